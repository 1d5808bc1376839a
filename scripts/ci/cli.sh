#!/usr/bin/env bash
# CI for the `zarrkit` command line (cli/): makes the Python environment its interoperability
# tests need (zarr-python 3 and numpy read what `zarrkit reencode` writes and write what it
# reads; ome-zarr-py reads what `zarrkit ome` writes) from PyPI into target/cli-venv, then
# runs the crate's tests with those tests required (ZARRKIT_REQUIRE_CLI_PYTHON=1: a missing
# environment fails instead of skipping).
#
#   scripts/ci/cli.sh          # idempotent: the venv is reused while the pins are the same
#   scripts/ci/cli.sh --setup  # only the venv (.ci/run then exports ZARRKIT_CLI_PYTHON and
#                              # ZARRKIT_REQUIRE_CLI_PYTHON=1 for `cargo test --workspace`)
#
# Time: ~1 min for the venv (first run), the tests ~1-2 min after the workspace build.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
venv="$root/target/cli-venv"
python="${ZARRKIT_PYTHON:-}"
if [ -z "$python" ]; then
  for p in python3.13 python3.12 python3.11 /root/.pyenv/versions/3.12.1/bin/python3.12 python3; do
    if command -v "$p" >/dev/null 2>&1 && "$p" -c 'import sys; assert sys.version_info >= (3, 11)' 2>/dev/null; then
      python="$p"; break
    fi
  done
fi
if [ -z "$python" ]; then
  echo "scripts/ci/cli.sh: no Python >= 3.11 (zarr 3 needs it); set ZARRKIT_PYTHON" >&2
  exit 1
fi
# `script` (util-linux) runs the progress bar test on a pseudo-terminal.
if ! command -v script >/dev/null 2>&1; then
  timeout 300 apt-get install -y -q bsdutils >/dev/null || echo "note: no \`script\`; the progress bar test will skip" >&2
fi
pins="zarr==3.1.6 numpy==2.4.6 numcodecs==0.16.6 ome-zarr==0.18.0"
stamp="$venv/.zarrkit-pins"
if [ -x "$venv/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$pins" ]; then
  echo "== cli venv up to date: $venv"
else
  echo "== cli venv: $pins ($python)"
  rm -rf "$venv"
  "$python" -m venv "$venv"
  # shellcheck disable=SC2086
  timeout 600 "$venv/bin/pip" install --quiet --disable-pip-version-check $pins
  printf '%s' "$pins" > "$stamp"
fi
"$venv/bin/python" -c 'import zarr, numpy, ome_zarr; print("zarr", zarr.__version__, "numpy", numpy.__version__)'

if [ "${1:-}" = "--setup" ]; then exit 0; fi

echo "== cargo test -p zarrkit-cli (Python interoperability required)"
ZARRKIT_CLI_PYTHON="$venv/bin/python" ZARRKIT_REQUIRE_CLI_PYTHON=1 \
  timeout 1200 cargo test -p zarrkit-cli
