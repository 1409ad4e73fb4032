#!/usr/bin/env bash
# curl against the real actorhost binary: the routes a shell user tries first, binary echo,
# a 413, HEAD, 100-continue, chunked upload and keep-alive reuse. Needs ACTORHOST_BIN.
# Prints "N passed, M failed" last and exits non-zero if anything failed.
set -uo pipefail

if [[ -z "${ACTORHOST_BIN:-}" ]]; then
  echo "ACTORHOST_BIN is not set: point it at the built actorhost binary" >&2
  exit 2
fi

max_body=65536
tmp=$(mktemp -d "${TMPDIR:-/tmp}/actorhost-curl.XXXXXX")
host_pid=
cleanup() {
  if [[ -n "$host_pid" ]] && kill -0 "$host_pid" 2>/dev/null; then kill -KILL "$host_pid"; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

# Start the host on a free port; its one stdout line says where it listens. The FIFO lets
# us wait for that line (bounded by read -t) instead of sleeping.
mkfifo "$tmp/stdout"
env -u ACTORHOST_PORT -u ACTORHOST_HOST -u ACTORHOST_MAX_BODY -u ACTORHOST_NO_CORS \
  "$ACTORHOST_BIN" --port 0 --threads 2 --data-dir "$tmp/data" --log-level warn --max-body "$max_body" \
  >"$tmp/stdout" 2>"$tmp/stderr" &
host_pid=$!
exec 3<"$tmp/stdout"
if ! read -r -t 10 line <&3; then
  if (($? > 128)); then echo "actorhost did not print its listening line within 10 s; stderr:" >&2
  else echo "actorhost exited before printing its listening line; stderr:" >&2; fi
  cat "$tmp/stderr" >&2
  exit 1
fi
if [[ ! "$line" =~ ^listening\ on\ (http://127\.0\.0\.1:[0-9]+)$ ]]; then
  echo "unexpected first line from actorhost: $line" >&2
  exit 1
fi
base=${BASH_REMATCH[1]}

passed=0
failed=0
pass() { passed=$((passed + 1)); echo "ok   - $1"; }
fail() { failed=$((failed + 1)); echo "FAIL - $1: $2"; }
# check NAME ACTUAL EXPECTED
check() { if [[ "$2" == "$3" ]]; then pass "$1"; else fail "$1" "expected [$3], got [$2]"; fi; }

c() { curl -sS --max-time 10 "$@"; }
query='{"getOrCreateForKey":{"name":"httpActor","key":["curl"]}}'
actor="$base/registry/actors/httpActor/raw/http"

# 1. health
check "GET /health is 200 ok" "$(c -w ' %{http_code}' "$base/health")" "ok 200"

# 2. hello through the seed route form
check "GET /api/hello through the seed route" \
  "$(c -w ' %{http_code} %{content_type}' -H "X-RivetKit-Actor-Query: $query" "$actor/api/hello")" \
  '{"message":"Hello from actor!"} 200 application/json'

# 3. the 0.9 wire form without the /registry prefix
check "GET /api/hello through /actors/raw/http" \
  "$(c -H "X-RivetKit-Query: $query" "$base/actors/raw/http/api/hello")" '{"message":"Hello from actor!"}'

# 4. resolve gives the first 8 bytes of sha256('["httpActor",["curl"]]') in hex
want_id=$(printf '%s' '["httpActor",["curl"]]' | sha256sum | cut -c1-16)
check "POST /registry/actors/resolve" \
  "$(c -X POST -H "X-RivetKit-Query: $query" "$base/registry/actors/resolve")" "{\"i\":\"$want_id\"}"

# 5. binary echo, byte for byte: every byte value, then random bytes
{ for i in $(seq 0 255); do printf "\\$(printf '%03o' "$i")"; done; head -c 60000 /dev/urandom; } >"$tmp/body.bin"
if [[ $(stat -c %s "$tmp/body.bin") -ne 60256 ]]; then fail "build the binary body" "size $(stat -c %s "$tmp/body.bin")"; fi
ctype=$(c -o "$tmp/echo.bin" -w '%{http_code} %{content_type}' -H "X-RivetKit-Actor-Query: $query" \
  -H 'Content-Type: application/octet-stream' --data-binary @"$tmp/body.bin" "$actor/api/echo")
check "POST /api/echo status and Content-Type" "$ctype" "200 application/octet-stream"
if cmp -s "$tmp/body.bin" "$tmp/echo.bin"; then pass "POST /api/echo returns the bytes unchanged (cmp)"
else fail "POST /api/echo returns the bytes unchanged (cmp)" "$(cmp "$tmp/body.bin" "$tmp/echo.bin" 2>&1)"; fi

# 6. chunked upload
c -o "$tmp/echo2.bin" -H "X-RivetKit-Actor-Query: $query" -H 'Transfer-Encoding: chunked' \
  --data-binary @"$tmp/body.bin" "$actor/api/echo"
if cmp -s "$tmp/body.bin" "$tmp/echo2.bin"; then pass "chunked upload echoed unchanged (cmp)"
else fail "chunked upload echoed unchanged (cmp)" "$(cmp "$tmp/body.bin" "$tmp/echo2.bin" 2>&1)"; fi

# 7. Expect: 100-continue
c -v -o "$tmp/echo3.bin" -H "X-RivetKit-Actor-Query: $query" -H 'Expect: 100-continue' \
  --data-binary @"$tmp/body.bin" "$actor/api/echo" 2>"$tmp/continue.log"
if grep -q '^< HTTP/1.1 100 Continue' "$tmp/continue.log" && cmp -s "$tmp/body.bin" "$tmp/echo3.bin"; then
  pass "Expect: 100-continue gets 100 Continue, then the echo"
else fail "Expect: 100-continue gets 100 Continue, then the echo" "$(grep '^< HTTP' "$tmp/continue.log" | tr -d '\r' | tr '\n' ' ')"; fi

# 8. a body over --max-body is 413 payload_too_large
head -c $((max_body + 1)) /dev/urandom >"$tmp/big.bin"
out=$(c -w ' %{http_code}' -H "X-RivetKit-Actor-Query: $query" --data-binary @"$tmp/big.bin" "$actor/api/echo")
check "a body over --max-body is 413" "${out##* }" "413"
if [[ "$out" == *'"c":"payload_too_large"'* ]]; then pass "the 413 body names payload_too_large"
else fail "the 413 body names payload_too_large" "$out"; fi

# 9. HEAD via curl -I: the GET headers, Content-Length included, no body
c -I -H "X-RivetKit-Actor-Query: $query" "$actor/api/hello" | tr -d '\r' >"$tmp/head.txt"
check "HEAD status line" "$(head -1 "$tmp/head.txt")" "HTTP/1.1 200 OK"
check "HEAD Content-Length" "$(grep -i '^content-length:' "$tmp/head.txt" | tr 'A-Z' 'a-z')" "content-length: 31"
check "HEAD Content-Type" "$(grep -i '^content-type:' "$tmp/head.txt" | tr 'A-Z' 'a-z')" "content-type: application/json"
# A HEAD and a GET on one connection: a body sent after HEAD would corrupt the GET's response.
got=$(c -v -I -o /dev/null -H "X-RivetKit-Actor-Query: $query" "$actor/api/hello" --next \
  -H "X-RivetKit-Actor-Query: $query" "$actor/api/hello" 2>"$tmp/headget.log")
check "HEAD then GET on one connection: the GET's body is intact" "$got" '{"message":"Hello from actor!"}'
if grep -q 'Re-using existing connection' "$tmp/headget.log"; then pass "HEAD then GET: curl re-used the connection"
else fail "HEAD then GET: curl re-used the connection" "$(grep -i -E 'connect|error' "$tmp/headget.log" | head -3)"; fi

# 10. keep-alive: two URLs in one curl invocation share one connection
c -v -H "X-RivetKit-Actor-Query: $query" "$actor/api/hello" "$base/health" >"$tmp/ka.out" 2>"$tmp/ka.log"
if grep -q 'Re-using existing connection' "$tmp/ka.log"; then pass "keep-alive: curl re-uses the connection"
else fail "keep-alive: curl re-uses the connection" "no 'Re-using existing connection' in curl -v output"; fi
check "keep-alive: both responses arrive" "$(cat "$tmp/ka.out")" '{"message":"Hello from actor!"}ok'

# 11. errors are JSON with the SPEC's codes
check "missing query is 400 invalid_request" \
  "$(c -w ' %{http_code}' "$actor/api/hello" | sed 's/"m":"[^"]*"/"m":_/')" '{"c":"invalid_request","m":_,"md":{}} 400'
check "locked actor is 403 forbidden" \
  "$(c -o /dev/null -w '%{http_code}' -H 'X-RivetKit-Actor-Query: {"getOrCreateForKey":{"name":"lockedActor","key":["curl"]}}' \
     "$base/registry/actors/lockedActor/raw/http/")" "403"

# 12. every request above reached one instance; the refused 413 did not
check "GET /api/stats counts the requests" \
  "$(c -H "X-RivetKit-Actor-Query: $query" "$actor/api/stats")" '{"requestCount":10}'

# 13. SIGTERM: exit 0. The host's stdout reaches end-of-file when it exits; read -t bounds
# the wait for that, and only then does `wait` collect the status.
kill -TERM "$host_pid"
extra=
# (The status of the read that ends the wait, whichever it was: after `fi`, $? would be 0.)
if read -r -t 20 extra <&3; then
  fail "stdout holds only the listening line" "also: $extra"
  read -r -t 20 -d '' extra <&3
  waited=$?
else
  waited=$?
fi
if ((waited > 128)); then
  check "SIGTERM makes actorhost exit within 20 s" "still running" "exited"
else
  wait "$host_pid"
  check "SIGTERM makes actorhost exit 0" "$?" "0"
  host_pid=
fi

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
