#!/usr/bin/env bash
# The HTTP store's tests run against a real nginx on 127.0.0.1 (started by the tests
# themselves, on an ephemeral port, with a config in a temporary directory). Install it when
# missing (CI runs as root on Debian); ZARRKIT_REQUIRE_NGINX=1 turns the tests' skip into a
# failure.
set -euo pipefail
if ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ]; then
  echo "installing nginx (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends nginx >/dev/null
  # The package may start a system nginx on port 80; the tests do not need it.
  (service nginx stop || systemctl stop nginx || true) >/dev/null 2>&1
fi
