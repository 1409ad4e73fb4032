#!/usr/bin/env bash
# How actorhost and nginx (same machine, same peer timeouts) hold up against slow and hostile
# clients. Each attack runs DURATION seconds against a freshly started server:
#
#   slowloris   N connections send a request head one byte a second, never finishing it
#   slowbody    N connections send a POST head with Content-Length: 1 MiB, then one body byte
#               a second (actorhost: httpActor's /api/echo; nginx: a proxied location, which
#               reads the whole body before it forwards)
#   slowreader  READER_N connections ask for 16 MiB and never read it (actorhost: POST 16 MiB
#               to /api/echo, which answers it back; nginx: GET a 16 MiB static file)
#   wsreserve   WS_N WebSocket connections to websocketActor (actorhost only), each sending one
#               masked binary frame header that declares a 16 MiB payload, then silence
#
# bench/slow_clients.py runs the clients and, every 0.5 s, reads the server's /proc status and
# fd count (nginx: master and workers summed) and times a health request over a fresh
# connection (actorhost GET /health, nginx GET /). One row per attack and server:
#
#   ok/N     connections set up (connected; for wsreserve, answered 101)
#   held     of those, how many the server still held open at the end
#   close_s  median seconds from setup until the server closed one ("-": it closed none)
#   rss0, rss_pk, rss_end, vsz0, vsz_pk   MiB of VmRSS and VmSize before the attack, at their
#            peak (the larger of the samples and the kernel's VmHWM / VmPeak) and, for RSS, at
#            the end of the attack
#   fd0, fd_pk, fd_end           open fds before, at the peak, at the end of the attack
#   hc_med, hc_max               ms of the health checks that answered 200 / of all of them
#   <10ms    yes if every health check answered 200 in under 10 ms
#   note     checks made, failed checks, status codes the attack clients got back, ...
#
# actorhost runs with --header-timeout/--io-timeout/--idle-timeout set from HEADER_TIMEOUT,
# IO_TIMEOUT and IDLE_TIMEOUT (ms; defaults are actorhost's own, 10000/30000/60000), nginx
# with client_header_timeout, client_body_timeout + send_timeout, and keepalive_timeout set to
# the same (bench/nginx-slow.conf.in). With DURATION=20 only the header timeout can fire;
# DURATION=40 shows the body and write timeouts too.
#
#   bench/slow_clients.sh                                      # N=200 for 20 s per attack
#   ACTORHOST_BIN=/path/to/actorhost DURATION=20 bench/slow_clients.sh
#   DURATION=12 N=50 READER_N=10 WS_N=100 ATTACKS="slowloris wsreserve" bench/slow_clients.sh
#   SERVERS=actorhost bench/slow_clients.sh
#   SLOW_CLIENTS_TRACE=1 bench/slow_clients.sh               # + each attack's timeline, on stderr
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-20}
N=${N:-200}
READER_N=${READER_N:-20}
WS_N=${WS_N:-300}
ATTACKS=${ATTACKS:-"slowloris slowbody slowreader wsreserve"}
SERVERS=${SERVERS:-"actorhost nginx"}
HEADER_TIMEOUT=${HEADER_TIMEOUT:-10000}
IO_TIMEOUT=${IO_TIMEOUT:-30000}
IDLE_TIMEOUT=${IDLE_TIMEOUT:-60000}
WORKERS=${WORKERS:-$(nproc)}
HOST_PORT=${HOST_PORT:-18200}
NGINX_PORT=${NGINX_PORT:-18201}
UPSTREAM_PORT=${UPSTREAM_PORT:-18202}

source bench/lib.sh
trap 'exit 130' INT TERM # run lib.sh's EXIT trap (which stops everything) on a signal too

chmod 755 "$dir" # nginx started by root runs its workers as nobody: they read www/big.bin
mkdir -p "$dir/www"
head -c $((16 * 1024 * 1024)) /dev/urandom >"$dir/www/big.bin"
chmod 644 "$dir/www/big.bin"
sed -e "s|@DIR@|$dir|g" -e "s|@PORT@|$NGINX_PORT|g" -e "s|@UPSTREAM_PORT@|$UPSTREAM_PORT|g" \
  -e "s|@WORKERS@|$WORKERS|g" -e "s|@HEADER_MS@|$HEADER_TIMEOUT|g" -e "s|@IO_MS@|$IO_TIMEOUT|g" \
  -e "s|@IDLE_MS@|$IDLE_TIMEOUT|g" bench/nginx-slow.conf.in >"$dir/nginx-slow.conf"

server_pid= server_port=
# start_server NAME: a fresh server (actorhost on an empty data directory), up and answering.
start_server() {
  case $1 in
    actorhost)
      rm -rf "$dir/data"
      start_actorhost "$HOST_PORT" --threads "$WORKERS" --header-timeout "$HEADER_TIMEOUT" \
        --io-timeout "$IO_TIMEOUT" --idle-timeout "$IDLE_TIMEOUT" 2>>"$dir/actorhost.log"
      server_pid=$pid server_port=$HOST_PORT
      ;;
    nginx)
      nginx -c "$dir/nginx-slow.conf" -p "$dir" 2>>"$dir/nginx-stderr.log" &
      server_pid=$!
      bench_pids+=("$server_pid")
      wait_port "$NGINX_PORT"
      server_port=$NGINX_PORT
      ;;
  esac
}

alive() { local s; s=$(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null) && [[ $s != Z ]]; }

# stop_server: SIGTERM, and SIGKILL if it is still there after 5 s.
stop_server() {
  kill "$server_pid" 2>/dev/null || true
  for _ in $(seq 50); do alive "$server_pid" || break; sleep 0.1; done
  kill -9 "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  pid= bench_pids=()
}

echo "timeouts: actorhost --header-timeout ${HEADER_TIMEOUT} --io-timeout ${IO_TIMEOUT} --idle-timeout ${IDLE_TIMEOUT} (ms);" \
  "nginx client_header_timeout ${HEADER_TIMEOUT}ms client_body_timeout/send_timeout ${IO_TIMEOUT}ms keepalive_timeout ${IDLE_TIMEOUT}ms"
echo "duration=${DURATION}s workers=$WORKERS N=$N READER_N=$READER_N WS_N=$WS_N; MiB, ms; health: actorhost GET /health, nginx GET /, every 0.5 s"
/usr/bin/python3 bench/slow_clients.py header
for attack in $ATTACKS; do
  case $attack in
    slowreader) n=$READER_N ;;
    wsreserve) n=$WS_N ;;
    *) n=$N ;;
  esac
  for server in $SERVERS; do
    [[ $attack == wsreserve && $server == nginx ]] && continue # nginx serves no WebSockets here
    start_server "$server"
    /usr/bin/python3 bench/slow_clients.py run --attack "$attack" --server "$server" --pid "$server_pid" \
      --port "$server_port" --n "$n" --duration "$DURATION" &
    helper=$!
    bench_pids+=("$helper")
    wait "$helper"
    stop_server
  done
done
