# Sourced by scripts/ci/python.sh and scripts/bench_python.sh: sets PY to a CPython >= 3.12
# (zarr-python 3.4.2 requires it; zarrkit's wheel itself is abi3 for >= 3.11): the first of
# $ZARRKIT_PYTHON, python3.12, pyenv's 3.12, python3.13, pyenv's 3.13+ that runs. Exits with
# a message naming what was found otherwise.
ok_python() { "$1" -c 'import sys, venv; sys.exit(sys.version_info < (3, 12))' > /dev/null 2>&1; }
PY=""
for c in "${ZARRKIT_PYTHON:-}" python3.12 /root/.pyenv/versions/3.12*/bin/python3.12 python3.13 /root/.pyenv/versions/3.1[3-9]*/bin/python3.1[3-9]; do
  [ -n "$c" ] || continue
  if command -v "$c" > /dev/null 2>&1 && ok_python "$c"; then PY="$(command -v "$c")"; break; fi
done
if [ -z "$PY" ]; then
  echo "no CPython >= 3.12 found (zarr-python 3.4.2 requires it; python3 is" \
    "$(python3 --version 2>&1 || echo missing)); set ZARRKIT_PYTHON" >&2
  exit 1
fi
