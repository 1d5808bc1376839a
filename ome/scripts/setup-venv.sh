#!/usr/bin/env bash
# Create the Python environment zarrkit-ome's validation tests use (they are skipped when it
# is missing, and fail with ZARRKIT_REQUIRE_OME=1): target/ome-venv, or $ZARRKIT_OME_VENV.
#
#   ome/scripts/setup-venv.sh            # create or update (idempotent)
#
# Installs ome/scripts/requirements.txt from PyPI (every version pinned by constraints.txt),
# plus ngff-zarr (without its dependencies) for its copy of the official OME-Zarr JSON
# schemas (ngff_zarr/spec/<v>/schemas, from the ome/ngff repository). Does nothing when the
# venv was made from the same files. Needs Python >= 3.11 (zarr 3): $ZARRKIT_PYTHON, else
# the first of python3, python3.12, python3.11, pyenv's that is new enough.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
venv="${ZARRKIT_OME_VENV:-$root/target/ome-venv}"
stamp="$venv/.zarrkit-requirements"
want="$(cat "$here/requirements.txt" "$here/constraints.txt"; echo "ngff-zarr==0.50.0 --no-deps")"
if [ -x "$venv/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    echo "ome venv up to date: $venv"
    exit 0
fi

new_enough() { "$1" -c 'import sys, venv; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; }
python="${ZARRKIT_PYTHON:-}"
if [ -z "$python" ]; then
    for c in python3 python3.12 python3.11 /root/.pyenv/versions/*/bin/python3; do
        if command -v "$c" >/dev/null 2>&1 && new_enough "$c"; then python="$c"; break; fi
    done
fi
if [ -z "$python" ] || ! new_enough "$python"; then
    echo "error: no Python >= 3.11 with the venv module (set ZARRKIT_PYTHON)" >&2
    exit 1
fi

rm -rf "$venv"
"$python" -m venv "$venv"
pip=("$venv/bin/pip" install --quiet --disable-pip-version-check --no-input)
"${pip[@]}" -r "$here/requirements.txt" -c "$here/constraints.txt"
"${pip[@]}" --no-deps ngff-zarr==0.50.0
"$venv/bin/python" "$here/check.py" selftest >/dev/null
printf '%s' "$want" > "$stamp"
echo "ome venv ready: $venv ($("$venv/bin/python" --version))"
