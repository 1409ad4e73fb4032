#!/usr/bin/env bash
# HTTP throughput of actorhost's onFetch route against nginx on the same machine.
#
# Starts nginx (`return 200` with the same JSON body) and actorhost, then runs
# `wrk -t1 -c64 -d${DURATION}s --latency` against each, alternating, ROUNDS times, and prints
# requests per second, p99 latency and the ratio actorhost/nginx of the medians.
#
#   bench/http_bench.sh                     # defaults: 2 rounds of 10 s, 2 workers each
#   ROUNDS=3 DURATION=10 WORKERS=1 bench/http_bench.sh
#   ROUTE=health bench/http_bench.sh        # actorhost's /health instead of the actor route
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-2}
DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-64}
WORKERS=${WORKERS:-$(nproc)}
ROUTE=${ROUTE:-actor}
NGINX_PORT=${NGINX_PORT:-18181}
HOST_PORT=${HOST_PORT:-18180}

source bench/lib.sh

sed -e "s|@DIR@|$dir|g" -e "s|@PORT@|$NGINX_PORT|g" -e "s|@WORKERS@|$WORKERS|g" bench/nginx.conf.in >"$dir/nginx.conf"
nginx -c "$dir/nginx.conf" -p "$dir" &
bench_pids+=($!)
start_actorhost "$HOST_PORT" --threads "$WORKERS"

wait_port "$NGINX_PORT"

if [[ $ROUTE == health ]]; then
  host_url="http://127.0.0.1:$HOST_PORT/health"
  host_args=()
else
  host_url="http://127.0.0.1:$HOST_PORT/registry/actors/httpActor/raw/http/api/hello"
  host_args=(-s bench/query.lua)
fi
nginx_url="http://127.0.0.1:$NGINX_PORT/api/hello"

# Warm both up (and create the actor) before measuring.
wrk -t1 -c"$CONNECTIONS" -d2s "${host_args[@]}" "$host_url" >/dev/null
wrk -t1 -c"$CONNECTIONS" -d2s "$nginx_url" >/dev/null

printf "%-6s %-10s %12s %10s\n" round server req/s p99_ms
nginx_rps=(); host_rps=(); host_p99=(); nginx_p99=()
for r in $(seq "$ROUNDS"); do
  read -r rps p99 < <(run_wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" "$nginx_url")
  nginx_rps+=("$rps"); nginx_p99+=("$p99")
  printf "%-6s %-10s %12s %10s\n" "$r" nginx "$rps" "$p99"
  read -r rps p99 < <(run_wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" "${host_args[@]}" "$host_url")
  host_rps+=("$rps"); host_p99+=("$p99")
  printf "%-6s %-10s %12s %10s\n" "$r" actorhost "$rps" "$p99"
done

n=$(median "${nginx_rps[@]}"); h=$(median "${host_rps[@]}")
np=$(median "${nginx_p99[@]}"); hp=$(median "${host_p99[@]}")
echo "median: nginx $n req/s (p99 $np ms), actorhost $h req/s (p99 $hp ms)"
awk -v h="$h" -v n="$n" 'BEGIN { printf "ratio actorhost/nginx: %.2f\n", h / n }'
echo "workers=$WORKERS connections=$CONNECTIONS duration=${DURATION}s route=$ROUTE rounds=$ROUNDS"
