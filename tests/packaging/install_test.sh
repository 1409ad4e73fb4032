#!/usr/bin/env bash
# `meson install` as a packager runs it: configure this checkout with --prefix=/usr/local, build,
# install into a DESTDIR, then check what landed there (the headers and only the headers,
# libactorhost, actorhost.pc) and use it the way docs/getting-started.md says: every installed
# header compiles against `pkg-config --cflags actorhost`, the page's main.cpp builds with the
# page's own pkg-config command line, runs, answers, and exits 0 on SIGTERM.
#
#   tests/packaging/install_test.sh ACTORHOST_SOURCE_ROOT
#
# pkg-config reads the installed actorhost.pc through PKG_CONFIG_PATH, and
# PKG_CONFIG_SYSROOT_DIR maps its /usr/local paths into the DESTDIR. The build is plain (no
# optimisation), with no tests, and -j 2, to keep this quick.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/packaging/lib.sh
source "$here/lib.sh"

src=$(source_root "${1:-}") || exit 2
prefix=/usr/local
work=$(mktemp -d "${TMPDIR:-/tmp}/actorhost-install.XXXXXX")
trap 'kill_host; rm -rf "$work"' EXIT
dest=$work/dest

step "meson setup --prefix=$prefix" "$work/setup.log" \
  meson setup "$work/build" "$src" --prefix="$prefix" --buildtype=plain -Dtests=disabled || finish
step "meson compile" "$work/compile.log" meson compile -C "$work/build" -j 2 || finish
step "meson install --destdir" "$work/install.log" \
  meson install -C "$work/build" --no-rebuild --destdir "$dest" || finish

# What was installed.
pc=$(find "$dest" -name actorhost.pc -path '*/pkgconfig/*' | head -n 1)
lib=$(find "$dest" -name 'libactorhost.so' | head -n 1)
if [[ -n "$pc" ]]; then pass "actorhost.pc is installed"; else fail "actorhost.pc is installed"; finish; fi
if [[ -n "$lib" ]]; then pass "libactorhost.so is installed"; else fail "libactorhost.so is installed"; finish; fi
check_eq "actorhost.pc names the real prefix" "prefix=$prefix" "$(grep '^prefix=' "$pc")"
check_eq "libactorhost.so sits in the .pc's libdir" "$(dirname "$(dirname "$pc")")" "$(dirname "$lib")"

inc=$dest$prefix/include
expected=$(cd "$src/lib" && find actorhost -name '*.hpp' | sort)
installed=$(cd "$inc" && find actorhost -type f | sort)
check_eq "the installed headers are exactly lib/actorhost/**/*.hpp" "$expected" "$installed"

PKG_CONFIG_PATH=$(dirname "$pc")
export PKG_CONFIG_PATH PKG_CONFIG_SYSROOT_DIR=$dest
if cflags=$(pkg-config --cflags actorhost) && pkg-config --libs actorhost >/dev/null; then
  pass "pkg-config resolves actorhost and what it requires"
else
  fail "pkg-config resolves actorhost and what it requires"
  finish
fi
case " $cflags " in
  *" -I$inc "*) pass "pkg-config --cflags points at the installed headers" ;;
  *) fail "pkg-config --cflags points at the installed headers" "cflags: $cflags" ;;
esac

# Every installed header, in one translation unit, with nothing but pkg-config's flags.
(cd "$inc" && find actorhost -name '*.hpp' | sort | sed 's|.*|#include <&>|') >"$work/all_headers.cpp"
# shellcheck disable=SC2086 # word splitting of pkg-config output is intended
step "every installed header compiles with pkg-config --cflags" "$work/headers.log" \
  g++ -std=c++20 -fsyntax-only $cflags "$work/all_headers.cpp"

# The page's program, built with the page's command.
mkdir -p "$work/page"
extract_blocks "$src/docs/getting-started.md" "$work/page/blocks"
if [[ -s "$work/page/blocks/file/main.cpp" && -s "$work/page/blocks/run/pkg-config" ]]; then
  pass "getting-started.md has main.cpp and the pkg-config command"
else
  fail "getting-started.md has main.cpp and the pkg-config command"
  finish
fi
cp "$work/page/blocks/file/main.cpp" "$work/page/"
step "getting-started's main.cpp builds with pkg-config" "$work/page.log" \
  bash -c "cd '$work/page' && bash -e '$work/page/blocks/run/pkg-config'"

LD_LIBRARY_PATH=$(dirname "$lib")
export LD_LIBRARY_PATH
check_eq "the program links the installed libactorhost" "$lib" \
  "$(ldd "$work/page/counter" 2>/dev/null | awk '$1 == "libactorhost.so" { print $3 }')"
# The program keeps its actors in ./data: run it where no earlier run left any.
cd "$work/page"
if start_host "$work/counter.log" "$work/page/counter" 0; then
  pass "the pkg-config build starts and prints its listening line"
  base=http://127.0.0.1:$host_port
  query='X-RivetKit-Actor-Query: {"getOrCreateForKey":{"name":"counter","key":["installed"]}}'
  check_eq "GET /health" "ok" "$(curl -s "$base/health")"
  check_eq "POST /increment" '{"count":1}' \
    "$(curl -s -X POST -H "$query" "$base/registry/actors/counter/raw/http/increment")"
  stop_host
  check_eq "SIGTERM stops it with exit status 0" "0" "$?"
else
  fail "the pkg-config build starts and prints its listening line" "--- output:" "$(cat "$work/counter.log")"
fi

# The installed example server runs too (its build rpath is gone, so it needs the libdir).
bin=$dest$prefix/bin/actorhost
if [[ -x "$bin" ]] && "$bin" --help >"$work/help.log" 2>&1; then
  pass "the installed actorhost binary runs (--help)"
else
  fail "the installed actorhost binary runs (--help)" "$(cat "$work/help.log" 2>/dev/null)"
fi

finish
