#!/usr/bin/env bash
# The Python side of `cargo xtask bench --python`: a venv (CPython >= 3.12, as zarr-python
# 3.4.2 needs; the harness's own venv is 3.11 with zarr 3.1.6) with zarr-python 3.4.2,
# zarrs-python and the zarrkit wheel built from this checkout, so the harness's zarr-python
# adapter runs zarr's default pipeline, zarrs-python's and zarrkit's on the same zarr-python.
# Prints the venv's python as its last line of stdout (progress goes to stderr).
#
#   scripts/bench_python.sh                     # venv + wheel in target/python-bench
#   ZARRKIT_PYTHON_WHEEL=path/to.whl scripts/bench_python.sh   # a wheel built before
#
# Versions follow the harness's requirements.txt where it pins one (zarrs, numcodecs,
# google-crc32c, obstore for --store s3). Idempotent: the venv is reused while its
# requirements are unchanged; the wheel is rebuilt (incremental) and reinstalled.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$(pwd)"
WORK="$ROOT/target/python-bench"
mkdir -p "$WORK"
source scripts/ci/python-env.sh
VENV="$WORK/venv"
venv_with "$VENV" "maturin>=1.9.4,<2" "zarr==3.4.2" "zarrs==0.2.3" "numcodecs==0.16.6" \
  "google-crc32c==1.9.0" "obstore==0.12.1"
install_wheel "$VENV"
"$VENV/bin/python" -c 'import zarr, zarrs, zarrkit; from importlib.metadata import version as v; print("zarr", v("zarr"), "zarrs", v("zarrs"), "zarrkit", v("zarrkit"))' >&2
echo "$VENV/bin/python"
