# Sourced by scripts/ci/python.sh and scripts/bench_python.sh (bash, from the repository
# root, with WORK set). Sets PY to a CPython >= 3.12 (zarr-python 3.4.2 requires it; zarrkit's
# wheel itself is abi3 for >= 3.11): the first of $ZARRKIT_PYTHON, python3.12, pyenv's 3.12,
# python3.13, pyenv's 3.13+ that runs; exits with a message naming what was found otherwise.
# Progress of the functions below goes to stderr.
export PIP_CACHE_DIR="${PIP_CACHE_DIR:-/tmp/pip-cache}" PIP_DISABLE_PIP_VERSION_CHECK=1
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
echo "== python: $PY ($("$PY" --version 2>&1))" >&2

# venv_with VENV REQUIREMENT...: a venv of $PY with exactly these requirements from PyPI,
# reused while they and the interpreter are unchanged, else recreated.
venv_with() {
  local venv="$1" stamp; shift
  stamp="$("$PY" --version 2>&1) $*"
  if [ ! -x "$venv/bin/python" ] || [ "$(cat "$venv/.zarrkit-stamp" 2>/dev/null)" != "$stamp" ]; then
    echo "== venv $venv (pip: $*)" >&2
    rm -rf "$venv"
    "$PY" -m venv "$venv"
    timeout 900 "$venv/bin/pip" install -q "$@" >&2
    echo "$stamp" > "$venv/.zarrkit-stamp"
  fi
}

# install_wheel VENV: sets WHEEL to $ZARRKIT_PYTHON_WHEEL (absolute) or to the wheel built
# from this checkout by the venv's maturin (release, into $WORK/wheels), and installs it.
install_wheel() {
  local venv="$1"
  if [ -n "${ZARRKIT_PYTHON_WHEEL:-}" ]; then
    WHEEL="$(cd "$(dirname "$ZARRKIT_PYTHON_WHEEL")" && pwd)/$(basename "$ZARRKIT_PYTHON_WHEEL")"
    echo "== ZARRKIT_PYTHON_WHEEL: using $WHEEL (not built here)" >&2
  else
    echo "== build the wheel (maturin build --release, workspace target/)" >&2
    rm -rf "$WORK/wheels"
    (cd bindings/python && timeout 2400 "$venv/bin/maturin" build --release -o "$WORK/wheels") >&2
    WHEEL="$(ls "$WORK"/wheels/zarrkit-*.whl)"
  fi
  echo "wheel: $WHEEL ($(du -h "$WHEEL" | cut -f1))" >&2
  "$venv/bin/pip" install -q --force-reinstall --no-deps "$WHEEL" >&2
}
