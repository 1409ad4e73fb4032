#!/usr/bin/env bash
# Builds and runs docs/getting-started.md as a newcomer would: a fresh project with the page's
# meson.build and main.cpp and subprojects/actorhost symlinked to this checkout, built with
# meson and ninja, started on a free port, called with the page's own curl commands (their
# output must be what the page says) and a few more, then stopped with SIGTERM (exit 0).
#
#   tests/packaging/getting_started_test.sh ACTORHOST_SOURCE_ROOT
#
# The page's `meson setup build` / `meson compile -C build` are run with --buildtype=plain and
# -j 2 to keep this quick on a small machine, and with --force-fallback-for=actorhost so that an
# actorhost installed on the machine cannot stand in for the checkout under test.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/packaging/lib.sh
source "$here/lib.sh"

src=$(source_root "${1:-}") || exit 2
page=$src/docs/getting-started.md
work=$(mktemp -d "${TMPDIR:-/tmp}/actorhost-getting-started.XXXXXX")
trap 'kill_host; rm -rf "$work"' EXIT

blocks=$work/blocks
extract_blocks "$page" "$blocks"
for f in meson.build main.cpp; do
  if [[ -s "$blocks/file/$f" ]]; then pass "page has a $f block"; else fail "page has a $f block"; fi
done
for f in run/calls expect/calls; do
  if [[ -s "$blocks/$f" ]]; then pass "page has a $f block"; else fail "page has a $f block"; fi
done
[[ $failed -eq 0 ]] || finish

# The project, exactly as the page lays it out.
proj=$work/counter
mkdir -p "$proj/subprojects"
cp "$blocks/file/meson.build" "$blocks/file/main.cpp" "$proj/"
ln -s "$src" "$proj/subprojects/actorhost"

cd "$proj" || exit 1
step "meson setup (actorhost as a subproject)" "$work/setup.log" \
  meson setup build --buildtype=plain --force-fallback-for=actorhost || finish
if grep -q 'Subproject actorhost finished' "$work/setup.log"; then
  pass "dependency('actorhost') came from subprojects/actorhost"
else
  fail "dependency('actorhost') came from subprojects/actorhost"
fi
step "meson compile" "$work/compile.log" meson compile -C build -j 2 || finish
if [[ -e build/subprojects/actorhost/app/actorhost ]]; then
  fail "a subproject build leaves actorhost's example server out"
else
  pass "a subproject build leaves actorhost's example server out"
fi

# Port 0: the program prints the port it got.
if start_host "$work/counter.log" ./build/counter 0; then
  pass "counter prints its listening line"
else
  fail "counter prints its listening line" "--- output:" "$(cat "$work/counter.log")"
  finish
fi
base=http://127.0.0.1:$host_port

# The page's calls, on our port, must print what the page says they print.
actual=$(sed "s|127\.0\.0\.1:8080|127.0.0.1:$host_port|g" "$blocks/run/calls" | bash 2>&1)
check_eq "the page's curl calls print the page's output" "$(cat "$blocks/expect/calls")" "$actual"

# A few more, each to its own instance.
q() { printf '{"getOrCreateForKey":{"name":"counter","key":["%s"]}}' "$1"; }
raw=$base/registry/actors/counter/raw/http
check_eq "GET /health" "ok" "$(curl -s "$base/health")"
for _ in 1 2 3; do curl -s -o /dev/null -X POST -H "X-RivetKit-Actor-Query: $(q three)" "$raw/increment"; done
check_eq "three increments count 3" '{"count":3}' "$(curl -s -H "X-RivetKit-Actor-Query: $(q three)" "$raw/count")"
check_eq "an unknown path is 404 from onFetch" "Not Found 404" \
  "$(curl -s -w ' %{http_code}' -H "X-RivetKit-Actor-Query: $(q three)" "$raw/nope")"
check_eq "GET /increment is 404 (POST only)" "404" \
  "$(curl -s -o /dev/null -w '%{http_code}' -H "X-RivetKit-Actor-Query: $(q three)" "$raw/increment")"
check_eq "the RivetKit 0.9 route with X-RivetKit-Query reaches the same instance" '{"count":3}' \
  "$(curl -s -H "X-RivetKit-Query: $(q three)" "$base/registry/actors/raw/http/count")"
check_eq "a request without a query is 400 invalid_request" "400 invalid_request" \
  "$(curl -s -w ' %{http_code}' "$raw/count" | sed -E 's/^\{"c":"([a-z_]+)".* ([0-9]+)$/\2 \1/')"

stop_host
status=$?
check_eq "SIGTERM stops counter with exit status 0" "0" "$status"

finish
