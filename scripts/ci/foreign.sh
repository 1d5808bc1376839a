#!/usr/bin/env bash
# The foreign-data run in CI: zarr-python 2 (with every numcodecs codec) and zarr-python 3
# (V3 with numcodecs.* codecs, sharding, vlen strings; and V2) write a corpus each, zarrkit reads
# it, and docs/foreign.md must be the summary of this run.
#
# Needs only PyPI (pip, into target/foreign-venvs) and, if python3 lacks the venv module, the
# Debian package python3-venv. The base interpreter is $ZARRKIT_PYTHON or python3 (>= 3.11, for
# zarr-python 3). Idempotent: the venvs are reused when their pins match; the corpus in
# target/foreign-corpus is regenerated on every run. Bounded: 15 minutes for the run itself.
#
# Exit status: 0 when every array reads (or is skipped with the unsupported feature named) and
# docs/foreign.md is current; 1 otherwise; 2 on a set-up error.
set -euo pipefail

cd "$(dirname "$0")/../.."

python="${ZARRKIT_PYTHON:-python3}"
if ! command -v "$python" >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "foreign.sh: installing python3 with apt" >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3 python3-venv >/dev/null
    else
        echo "foreign.sh: error: no $python (set ZARRKIT_PYTHON)" >&2
        exit 2
    fi
fi
if ! "$python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)'; then
    echo "foreign.sh: error: $python is $("$python" --version 2>&1); zarr-python 3 needs >= 3.11 (set ZARRKIT_PYTHON)" >&2
    exit 2
fi
# Debian's python3 has no ensurepip without python3-venv: venv creation would fail.
if ! "$python" -c 'import ensurepip, venv' >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        minor="$("$python" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')"
        echo "foreign.sh: installing python${minor}-venv with apt" >&2
        DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q "python${minor}-venv" >/dev/null \
            || DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-venv >/dev/null
    else
        echo "foreign.sh: error: $python has no venv/ensurepip module (install python3-venv)" >&2
        exit 2
    fi
fi
export ZARRKIT_PYTHON="$python"

cargo build --release -p zarrkit-conformance
# One decode thread: a case zarrkit refuses reports the first failing chunk's error, and with
# parallel decoding which chunk fails first varies (docs/foreign.md quotes the message).
RAYON_NUM_THREADS=1 ZARRKIT_IO_CONCURRENCY=1 timeout 900 target/release/zarrkit-conformance --foreign \
    --foreign-check-markdown docs/foreign.md \
    --json target/foreign-report.json
