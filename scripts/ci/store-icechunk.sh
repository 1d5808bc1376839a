#!/usr/bin/env bash
# CI for plugins/store-icechunk, which is a cargo workspace of its own (excluded from the
# main one: icechunk needs zstd 0.14 / zstd-sys 2.2, the main workspace's zstd codec
# zstd-safe 7), so `cargo test --workspace` does not reach it. This script:
#   1. creates the Python environment of its interop tests (tests/python.rs: repositories
#      written by icechunk-python + zarr-python read by zarrkit, and the other way round) from
#      PyPI in target/store-icechunk-venv (idempotent: reused when the pinned versions are
#      present). icechunk (PyPI) is pinned to the version of the icechunk crate the plugin is
#      built on (2.2.2: one on-disk format);
#   2. unless --setup-only: `cargo fmt --check`, `cargo clippy --all-targets -D warnings` and
#      `cargo test` of the crate with ZARRKIT_REQUIRE_ICECHUNK_PY=1 (a missing environment
#      fails instead of skipping), building into the main target directory.
# Time: ~30-60 s for the venv on first use (pip, wheels only); the crate's build ~3-5 min on
# 2 cores after the main workspace's (icechunk and ~45 crates of its own, zstd-sys 2.2).
set -euo pipefail
cd "$(dirname "$0")/../.."
setup_only=0
[ "${1:-}" = "--setup-only" ] && setup_only=1
venv="target/store-icechunk-venv"
pins=("icechunk==2.2.2" "zarr==3.1.6" "numpy==2.4.6")

pick_python() {
  for p in "${ZARRKIT_PYTHON:-}" /root/.pyenv/versions/3.12.1/bin/python3.12 python3.13 python3.12 python3.11 python3; do
    [ -n "$p" ] || continue
    if command -v "$p" >/dev/null 2>&1 && "$p" -c 'import sys, venv; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
      echo "$p"
      return 0
    fi
  done
  return 1
}

check='import sys, icechunk, zarr, numpy
want = dict(a.split("==") for a in sys.argv[1:])
have = {"icechunk": icechunk.__version__, "zarr": zarr.__version__, "numpy": numpy.__version__}
sys.exit(0 if all(have[k] == v for k, v in want.items()) else 1)'

setup_venv() {
  if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c "$check" "${pins[@]}" 2>/dev/null; then
    echo "icechunk environment present in $venv (${pins[*]})"
    return 0
  fi

  python="$(pick_python)" || {
    echo "store-icechunk.sh: no Python >= 3.11 found; installing python3-venv (apt-get)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends python3 python3-venv python3-pip >/dev/null
    python="$(pick_python)"
  }
  echo "creating $venv with $python, installing ${pins[*]}"
  rm -rf "$venv"
  "$python" -m venv "$venv"
  timeout 600 "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    --only-binary=:all: "${pins[@]}"
  "$venv/bin/python" -c "$check" "${pins[@]}"
  "$venv/bin/python" -c 'import icechunk, zarr; print("icechunk", icechunk.__version__, "zarr", zarr.__version__)'
}

setup_venv
[ "$setup_only" = 1 ] && exit 0

manifest=plugins/store-icechunk/Cargo.toml
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
echo "== store-icechunk: cargo fmt --check"
cargo fmt --manifest-path "$manifest" -- --check
echo "== store-icechunk: cargo clippy (warnings denied)"
cargo clippy --manifest-path "$manifest" --all-targets -- -D warnings
echo "== store-icechunk: cargo test (icechunk-python interop required)"
ZARRKIT_ICECHUNK_PYTHON="$PWD/$venv/bin/python" ZARRKIT_REQUIRE_ICECHUNK_PY=1 \
  cargo test --manifest-path "$manifest"
