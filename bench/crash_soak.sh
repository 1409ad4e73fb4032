#!/usr/bin/env bash
# The long form of the crash test in tests/integration/durability.test.mjs: CYCLES rounds
# (default 200) of concurrent increments across many actors, each ended by SIGKILL mid-load,
# checking after every restart that each counter holds every acknowledged increment and at
# most the ones in flight besides.
#
#   bench/crash_soak.sh              # 200 cycles
#   CYCLES=1000 bench/crash_soak.sh
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup build test >&2
scripts/build >/dev/null
ACTORHOST_BIN="$PWD/build/app/actorhost" DURABILITY_CRASH_CYCLES="${CYCLES:-200}" \
  node --test --test-name-pattern='cycles' tests/integration/durability.test.mjs
