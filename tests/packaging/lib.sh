# shellcheck shell=bash disable=SC2034 # host_port and the tallies are read by the scripts that source this
# Shared by the packaging tests (sourced, not run): counting checks, pulling marked blocks out
# of a Markdown page, and starting and stopping a host program.
#
# A page marks a fenced block with an HTML comment on the line before it:
#   <!-- file: main.cpp -->     a file to write out
#   <!-- run: calls -->         shell commands to run
#   <!-- expect: calls -->      what the `run:` block of the same name prints
# extract_blocks writes each one to DIR/KIND/NAME.
#
# start_host runs a program as a coprocess and waits, with a deadline and no sleeps, for its
# `listening on http://127.0.0.1:PORT` line. stop_host sends SIGTERM and returns the exit status.

passed=0
failed=0

pass() {
  passed=$((passed + 1))
  echo "ok - $1"
}

fail() {
  failed=$((failed + 1))
  echo "not ok - $1"
  shift
  local line
  for line in "$@"; do printf '    %s\n' "$line"; done
}

# check NAME EXPECTED ACTUAL
check_eq() {
  if [[ "$2" == "$3" ]]; then
    pass "$1"
  else
    fail "$1" "expected: $2" "actual:   $3"
  fi
}

# Prints the tally and exits 0 only when nothing failed (and something ran).
finish() {
  echo "$passed passed, $failed failed"
  [[ $failed -eq 0 && $passed -gt 0 ]] && exit 0
  exit 1
}

# The actorhost source root from $1 or ACTORHOST_SOURCE_ROOT, as an absolute path.
source_root() {
  local root=${1:-${ACTORHOST_SOURCE_ROOT:-}}
  if [[ -z "$root" || ! -f "$root/meson.build" ]]; then
    echo "usage: $0 ACTORHOST_SOURCE_ROOT (or set ACTORHOST_SOURCE_ROOT)" >&2
    exit 2
  fi
  (cd "$root" && pwd)
}

# extract_blocks PAGE DIR
extract_blocks() {
  mkdir -p "$2/file" "$2/run" "$2/expect"
  awk -v dir="$2" '
    /^<!-- (file|run|expect): [^ ]+ -->$/ { kind = substr($2, 1, length($2) - 1); name = $3; want = 1; next }
    inblock && /^```[ \t]*$/ { inblock = 0; close(out); next }
    inblock { print > out; next }
    want && /^```/ { inblock = 1; want = 0; out = dir "/" kind "/" name; printf "" > out; next }
    want && !/^[ \t]*$/ { want = 0 }
  ' "$1"
}

# Runs a command and passes when it succeeds; on failure shows the end of its log.
# step NAME LOG COMMAND...
step() {
  local name=$1 log=$2
  shift 2
  if "$@" >"$log" 2>&1; then
    pass "$name"
  else
    fail "$name" "command: $*" "--- last lines of $log:"
    tail -n 30 "$log" | sed 's/^/    /'
    return 1
  fi
}

host_pid=
host_port=
host_log=

# start_host LOG COMMAND...: sets host_pid and host_port; fails after 30 s without the line.
start_host() {
  host_log=$1
  shift
  : >"$host_log"
  coproc HOST { exec "$@" 2>&1; }
  # shellcheck disable=SC2153 # HOST_PID is set by coproc
  host_pid=$HOST_PID
  exec {host_fd}<&"${HOST[0]}"
  local line
  while IFS= read -r -t 30 -u "$host_fd" line; do
    echo "$line" >>"$host_log"
    if [[ "$line" =~ ^listening\ on\ http://127\.0\.0\.1:([0-9]+)$ ]]; then
      host_port=${BASH_REMATCH[1]}
      return 0
    fi
  done
  return 1
}

# stop_host: SIGTERM, then the exit status (124 when it is still running after 30 s).
stop_host() {
  [[ -n "$host_pid" ]] || return 1
  kill -TERM "$host_pid" 2>/dev/null
  # The rest of its output ends when it exits; read it with a deadline.
  timeout 30 cat <&"$host_fd" >>"$host_log"
  local drained=$?
  exec {host_fd}<&-
  if [[ $drained -eq 124 ]]; then
    kill -KILL "$host_pid" 2>/dev/null
    wait "$host_pid" 2>/dev/null
    host_pid=
    return 124
  fi
  wait "$host_pid"
  local status=$?
  host_pid=
  return $status
}

# For an EXIT trap: never leave a host running.
kill_host() {
  if [[ -n "$host_pid" ]]; then
    kill -KILL "$host_pid" 2>/dev/null
    wait "$host_pid" 2>/dev/null
    host_pid=
  fi
}
