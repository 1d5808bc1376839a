#!/usr/bin/env bash
# Regenerate every plugin's reference vectors from the real writers (numcodecs, zarr-python
# 2 and 3, ml_dtypes), installed from PyPI into two private venvs (zarr 2 and zarr 3 cannot
# share one):
#
#   scripts/reference/generate.sh            # all plugins
#   scripts/reference/generate.sh codec-lzma # one plugin (its directory name)
#
# Each plugin that has vectors keeps a generator at plugins/<name>/vectors/generate.py (run
# with zarr-python 2.18 / numcodecs 0.15) and/or generate_v3.py (zarr-python 3.1 / numcodecs
# 0.16); tests/data/<name>/ may hold the same for the facade's tests. Generators write next
# to themselves; the output is committed and read by tests with include_str! or as stores,
# so tests never need Python. `cargo xtask vectors` runs this.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
venv="${ZARRKIT_VECTORS_VENV:-$root/target/reference-venv}"
venv3="${ZARRKIT_VECTORS_VENV_V3:-$root/target/reference-venv-v3}"
setup() { # venv requirements
    if [ ! -x "$1/bin/python" ] || ! cmp -s "$2" "$1/requirements.txt"; then
        python3 -m venv "$1"
        "$1/bin/pip" install --quiet --disable-pip-version-check -r "$2"
        cp "$2" "$1/requirements.txt"
    fi
}
setup "$venv" "$here/requirements.txt"
setup "$venv3" "$here/requirements-v3.txt"
status=0
for gen in "$root"/plugins/*/vectors/generate*.py "$root"/tests/data/*/generate*.py; do
    [ -e "$gen" ] || continue
    name="$(basename "$(dirname "$(dirname "$gen")")")"
    [ "$name" = data ] && name="$(basename "$(dirname "$gen")")"
    if [ "$#" -gt 0 ] && [[ ! " $* " == *" $name "* ]]; then
        continue
    fi
    case "$(basename "$gen")" in
        generate_v3.py) py="$venv3/bin/python" ;;
        *) py="$venv/bin/python" ;;
    esac
    echo "== $name ($(basename "$gen"))"
    if ! (cd "$(dirname "$gen")" && "$py" -W ignore "$(basename "$gen")"); then
        echo "FAILED: $gen" >&2
        status=1
    fi
done
exit $status
