#!/usr/bin/env bash
# The object store's tests (plugins/store-object) run against real S3 servers on 127.0.0.1,
# started by the tests themselves on ephemeral ports:
#   - s3s + s3s-fs (crates.io dev-dependencies, in-process): always;
#   - moto (`moto_server` from PyPI, the AWS reference mock; a child process): installed here
#     into a venv at target/store-object-venv (idempotent: reused when it already works).
# Afterwards export ZARRKIT_REQUIRE_MOTO=1 so that a missing moto fails the tests instead of
# skipping them; the tests find moto_server at target/store-object-venv/bin/moto_server, or
# at $ZARRKIT_TEST_MOTO_SERVER.
# Time: ~30-60 s for the venv on first use (pip, wheels only), nothing when present.
set -euo pipefail
cd "$(dirname "$0")/../.."
venv="target/store-object-venv"
moto_version="5.2.6"

pick_python() {
  for p in "${ZARRKIT_PYTHON:-}" /root/.pyenv/versions/3.12.1/bin/python3.12 python3.12 python3.11 python3; do
    [ -n "$p" ] || continue
    if command -v "$p" >/dev/null 2>&1 && "$p" -c 'import sys, venv; sys.exit(sys.version_info < (3, 9))' 2>/dev/null; then
      echo "$p"
      return 0
    fi
  done
  return 1
}

if [ -x "$venv/bin/moto_server" ] && "$venv/bin/python" -c "import moto, sys; sys.exit(moto.__version__ != '$moto_version')" 2>/dev/null; then
  echo "moto $moto_version present in $venv"
  exit 0
fi

python="$(pick_python)" || {
  echo "store-object.sh: no Python >= 3.9 found; installing python3-venv (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends python3 python3-venv python3-pip >/dev/null
  python="$(pick_python)"
}
echo "creating $venv with $python, installing moto[server]==$moto_version"
rm -rf "$venv"
"$python" -m venv "$venv"
timeout 600 "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
  --only-binary=:all: "moto[server]==$moto_version"
"$venv/bin/python" -c "import moto; print('moto', moto.__version__)"
test -x "$venv/bin/moto_server"
