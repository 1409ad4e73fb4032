#!/usr/bin/env bash
# WebSocket echo throughput of websocketActor against a Node `ws` echo server on the same
# machine, both driven by our load generator (bench/ws_bench.cpp).
#
# For each load shape (connections spread over 64 actors, or all on one actor; DEPTH messages
# in flight per connection) the generator runs against Node and against actorhost,
# alternating, ROUNDS times; the script prints messages per second, p50/p99 round trip and the
# ratio actorhost/node of the medians. Binary messages of SIZE bytes, echoed as they came.
#
#   bench/ws_bench.sh                        # defaults: 2 rounds of 5 s, depths 1 and 8
#   ROUNDS=3 DURATION=10 DEPTHS="8" bench/ws_bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-2}
DURATION=${DURATION:-5}
CONNECTIONS=${CONNECTIONS:-64}
SIZE=${SIZE:-64}
DEPTHS=${DEPTHS:-"1 8"}
WORKERS=${WORKERS:-$(nproc)}
NODE_PORT=${NODE_PORT:-18191}
HOST_PORT=${HOST_PORT:-18190}

source bench/lib.sh
ninja -C build bench/ws_bench >/dev/null
(cd bench/node && npm ci --no-audit --no-fund --loglevel=error >/dev/null)

node bench/node/ws_echo.mjs "$NODE_PORT" >/dev/null &
bench_pids+=($!)
start_actorhost "$HOST_PORT" --threads "$WORKERS"
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$NODE_PORT") 2>/dev/null && break; sleep 0.05; done

query=$(node -e 'process.stdout.write(encodeURIComponent(process.argv[1]))' \
  '{"getOrCreateForKey":{"name":"websocketActor","key":["KEY"]}}')
gen() { build/bench/ws_bench --connections "$CONNECTIONS" --size "$SIZE" "$@"; }
host_gen() { gen --port "$HOST_PORT" --path /registry/actors/websocketActor/ws/ --protocol "query.$query" "$@"; }
node_gen() { gen --port "$NODE_PORT" --path / "$@"; }

host_gen --keys 64 --duration 1 --warmup 0 >/dev/null # create the actors
printf "%-6s %-6s %-6s %-10s %10s %8s %8s\n" keys depth round server msg/s p50_us p99_us
for keys in 64 1; do
  for depth in $DEPTHS; do
    node_rate=(); host_rate=(); node_p99=(); host_p99=()
    for r in $(seq "$ROUNDS"); do
      read -r rate p50 p99 errors < <(node_gen --keys "$keys" --depth "$depth" --duration "$DURATION")
      node_rate+=("$rate"); node_p99+=("$p99")
      printf "%-6s %-6s %-6s %-10s %10s %8s %8s\n" "$keys" "$depth" "$r" node "$rate" "$p50" "$p99"
      read -r rate p50 p99 errors < <(host_gen --keys "$keys" --depth "$depth" --duration "$DURATION")
      host_rate+=("$rate"); host_p99+=("$p99")
      printf "%-6s %-6s %-6s %-10s %10s %8s %8s\n" "$keys" "$depth" "$r" actorhost "$rate" "$p50" "$p99"
    done
    n=$(median "${node_rate[@]}"); h=$(median "${host_rate[@]}")
    np=$(median "${node_p99[@]}"); hp=$(median "${host_p99[@]}")
    awk -v k="$keys" -v d="$depth" -v h="$h" -v n="$n" -v hp="$hp" -v np="$np" 'BEGIN {
      printf "keys=%s depth=%s: node %d msg/s (p99 %d us), actorhost %d msg/s (p99 %d us), ratio %.1f\n", k, d, n, np, h, hp, h / n }'
  done
done
echo "workers=$WORKERS connections=$CONNECTIONS size=$SIZE duration=${DURATION}s rounds=$ROUNDS"
