# Sourced by the bench scripts: build, a scratch directory, and an actorhost started in it and
# stopped (with everything else the script started) when the script exits.

scripts/setup build bench >&2
scripts/build >/dev/null

dir=$(mktemp -d)
pid=
bench_pids=()
cleanup() {
  for p in $pid "${bench_pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT

# start_actorhost PORT [flags...]: starts the host on PORT with its data in $dir/data and
# returns once /health answers. ACTORHOST_BIN picks another build of the binary (for example
# one configured with -Dio_uring=true); the default is build/app/actorhost.
start_actorhost() {
  local port=$1
  shift
  "${ACTORHOST_BIN:-build/app/actorhost}" --port "$port" --data-dir "$dir/data" --log-level warn "$@" >/dev/null &
  pid=$!
  wait_port "$port"
}

# wait_port PORT: returns once something answers HTTP on PORT (5 s at most).
wait_port() {
  for _ in $(seq 100); do
    curl -s -o /dev/null "http://127.0.0.1:$1/" && return 0
    sleep 0.05
  done
  echo "nothing listens on port $1" >&2
  exit 1
}

median() { printf "%s\n" "$@" | sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

# run_wrk [wrk args...]: "req/s p99_ms" of one run.
run_wrk() {
  wrk "$@" --latency | awk '
    /Requests\/sec/ { rps = $2 }
    $1 == "99%" { v = $2; unit = v; gsub(/[0-9.]/, "", unit); gsub(/[a-z]/, "", v);
                  if (unit == "us") v /= 1000; else if (unit == "s") v *= 1000; p99 = v }
    END { printf "%.0f %.3f\n", rps, p99 }'
}
