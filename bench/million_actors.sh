#!/usr/bin/env bash
# Touches ACTORS distinct actors (default 1,000,000) through HTTP, each created and committed
# durably, with a short idle timeout, and samples the host's memory as it goes: anonymous RSS
# (what actors and the host hold) and file-backed RSS (LMDB pages the kernel may drop). The
# claim checked: memory follows the awake set, not the number of actors ever touched.
#
#   bench/million_actors.sh                  # 1,000,000 actors, idle timeout 2 s
#   ACTORS=200000 IDLE_MS=1000 bench/million_actors.sh
set -euo pipefail
cd "$(dirname "$0")/.."

ACTORS=${ACTORS:-1000000}
IDLE_MS=${IDLE_MS:-2000}
PORT=${PORT:-18183}
CONNECTIONS=${CONNECTIONS:-64}

source bench/lib.sh

start_actorhost "$PORT" --actor-idle-timeout "$IDLE_MS"

mem() { awk '/RssAnon/ { a = $2 } /RssFile/ { f = $2 } END { printf "%d %d\n", a / 1024, f / 1024 }' "/proc/$pid/status"; }
read -r a0 f0 < <(mem)
echo "start: RssAnon ${a0} MiB, RssFile ${f0} MiB"

url="http://127.0.0.1:$PORT/registry/actors/httpActor/raw/http/api/hello"
# wrk runs for a time, not a count: run in slices until ACTORS requests have been made.
done_count=0
peak=0
start=$(date +%s)
while ((done_count < ACTORS)); do
  out=$(wrk -t1 -c"$CONNECTIONS" -d5s -s bench/distinct_keys.lua "$url" 2>&1)
  n=$(awk '/requests in/ { print $1 }' <<<"$out")
  errors=$(awk '/Non-2xx/ { print $5 }' <<<"$out")
  done_count=$((done_count + n))
  read -r a f < <(mem)
  ((a > peak)) && peak=$a
  echo "touched ~${done_count} actors: RssAnon ${a} MiB, RssFile ${f} MiB${errors:+, non-2xx $errors}"
done
elapsed=$(($(date +%s) - start))
# Let every actor go idle and sleep.
sleep $(((IDLE_MS / 1000) + 3))
read -r a f < <(mem)
echo "after idle timeout: RssAnon ${a} MiB, RssFile ${f} MiB"
echo "peak RssAnon ${peak} MiB while touching ${done_count} actors in ${elapsed} s (idle timeout ${IDLE_MS} ms)"
du -sh "$dir/data" | awk '{ print "data dir: " $1 }'
