#!/usr/bin/env bash
# What durability costs: httpActor's state-changing POST /api/increment (committed to LMDB
# with fsync before each reply, in group commits) against its read-only GET /api/hello, in
# the same run, on one hot key and on many keys. wrk -t1 -c64, alternating, ROUNDS times.
#
#   bench/durable_bench.sh                       # 2 rounds of 10 s, 64 keys for "many"
#   ROUNDS=3 DURATION=5 KEYS=1000 bench/durable_bench.sh
#   RELAXED=1 bench/durable_bench.sh             # the same with --relaxed-durability
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-2}
DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-64}
KEYS=${KEYS:-64}
WORKERS=${WORKERS:-$(nproc)}
PORT=${PORT:-18182}

source bench/lib.sh

flags=()
[[ -n ${RELAXED:-} ]] && flags+=(--relaxed-durability)
start_actorhost "$PORT" --threads "$WORKERS" "${flags[@]}"

base="http://127.0.0.1:$PORT/registry/actors/httpActor/raw/http/api"
# keys method path -> "rps p99_ms"
run_route() { BENCH_KEYS=$1 BENCH_METHOD=$2 run_wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" -s bench/query.lua "$base/$3"; }

# Create the actors and warm up.
BENCH_KEYS=$KEYS BENCH_METHOD=POST wrk -t1 -c"$CONNECTIONS" -d2s -s bench/query.lua "$base/increment" >/dev/null
BENCH_KEYS=1 BENCH_METHOD=POST wrk -t1 -c"$CONNECTIONS" -d1s -s bench/query.lua "$base/increment" >/dev/null

printf "%-6s %-6s %-16s %12s %10s\n" round keys route req/s p99_ms
for keys in 1 "$KEYS"; do
  hello=(); inc=()
  for r in $(seq "$ROUNDS"); do
    read -r rps p99 < <(run_route "$keys" GET hello)
    hello+=("$rps"); printf "%-6s %-6s %-16s %12s %10s\n" "$r" "$keys" "GET /api/hello" "$rps" "$p99"
    read -r rps p99 < <(run_route "$keys" POST increment)
    inc+=("$rps"); printf "%-6s %-6s %-16s %12s %10s\n" "$r" "$keys" "POST /increment" "$rps" "$p99"
  done
  h=$(median "${hello[@]}"); i=$(median "${inc[@]}")
  awk -v h="$h" -v i="$i" -v k="$keys" 'BEGIN { printf "keys=%s: median hello %d req/s, increment %d req/s, ratio increment/hello %.2f\n", k, h, i, i / h }'
done
echo "workers=$WORKERS connections=$CONNECTIONS duration=${DURATION}s rounds=$ROUNDS mode=${RELAXED:+relaxed}${RELAXED:-durable}"
