#!/usr/bin/env bash
# Build and run the C and C++ examples against a staged zarrkit: with CMake
# (find_package(zarrkit); the C example static, the C++ example shared; run by ctest), the
# C example's remote part against an HTTP server (python3 -m http.server on 127.0.0.1
# serving what the example wrote), and with pkg-config (zarrkit and zarrkit-static). Needs
# cmake, a C and a C++ compiler, pkg-config and python3. CI runs it from
# scripts/ci/c-api.sh.
#
#   bindings/c/scripts/run-examples.sh [WORKDIR]
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
remove_work=""
if [ $# -ge 1 ]; then
  work="$1"
  mkdir -p "$work"
else
  work="$(mktemp -d)"
  remove_work=1
fi
server_pid=""
stop_server() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
  fi
}
cleanup() {
  stop_server
  if [ -n "$remove_work" ]; then rm -rf "$work"; fi
}
trap cleanup EXIT
prefix="$work/prefix"

"$here/scripts/stage.sh" "$prefix"

echo "== CMake: find_package(zarrkit)"
cmake -S "$here/examples" -B "$work/build" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Debug
cmake --build "$work/build" -j 2
(cd "$work/build" && ctest --output-on-failure)

echo "== the C example against an HTTP server (python3 -m http.server)"
python="${PYTHON:-python3}"
served="$work/served"
mkdir -p "$served"
port="$("$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
"$python" -m http.server --bind 127.0.0.1 --directory "$served" "$port" >"$work/http.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do
  if "$python" -c "import urllib.request, sys; urllib.request.urlopen('http://127.0.0.1:$port/', timeout=1)" 2>/dev/null; then
    break
  fi
  sleep 0.1
done
"$work/build/example" "$served" "http://127.0.0.1:$port" | tee "$work/example_http.out"
grep -q "over HTTP from http://127.0.0.1:$port" "$work/example_http.out"
requests="$(grep -c '"GET ' "$work/http.log" || true)"
echo "the HTTP server answered $requests GET requests"
stop_server

echo "== pkg-config: zarrkit (shared) and zarrkit-static"
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
cc="${CC:-cc}"
# shellcheck disable=SC2046 # the flags are meant to be split
"$cc" -std=c11 -Wall -Werror "$here/examples/example.c" -o "$work/example_pc_shared" \
  $(pkg-config --cflags --libs zarrkit) -Wl,-rpath,"$prefix/lib"
mkdir -p "$work/run_shared" "$work/run_static"
"$work/example_pc_shared" "$work/run_shared"
# shellcheck disable=SC2046
"$cc" -std=c11 -Wall -Werror "$here/examples/example.c" -o "$work/example_pc_static" \
  $(pkg-config --cflags --libs zarrkit-static)
"$work/example_pc_static" "$work/run_static"
echo "run-examples: ok"
