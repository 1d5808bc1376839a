#!/usr/bin/env bash
# CI for the fuzz targets (fuzz/, its own cargo workspace and target dir fuzz/target):
# installs cargo-fuzz if it is missing (crates.io), builds every target once (cargo-fuzz
# defaults: release, debug assertions, AddressSanitizer; RUSTC_BOOTSTRAP=1 because this
# toolchain is stable and cargo-fuzz passes -Z sanitizer flags), seeds each target's
# corpus from fuzz/seeds, fuzz/regressions and the conformance corpus (../shared/conformance
# beside the checkout, or $ZARRKIT_CONFORMANCE_CORPUS), then runs every target for
# $ZARRKIT_FUZZ_SECONDS seconds (default 10), two at once (2 cores). Any crash, hang
# (-timeout=10), leak or input-decided allocation (-malloc_limit_mb=1024) fails; the
# executions of each target are printed and added to fuzz/stats.tsv.
#
# Works from a clean clone: fuzz/corpus, fuzz/artifacts and fuzz/target are git-ignored and
# made here. Idempotent. Time bounded: the install by $ZARRKIT_FUZZ_INSTALL_TIMEOUT
# (default 900 s), the build and the runs by $ZARRKIT_FUZZ_TIMEOUT (default 1500 s).
#
# Measured on the shared 2-core dev machine (under load, nice 19): `cargo install
# cargo-fuzz --locked` 72 s; `cargo fuzz build` of all 25 targets from scratch 7.5-17 min
# wall (9-13 min CPU); the runs at 10 s each, two at once, about 2.5 min.
#
# Usage: scripts/ci/fuzz.sh [TARGET...]   (default: every target)
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="$HOME/.cargo/bin:$PATH"
export CARGO_TERM_COLOR=never

seconds="${ZARRKIT_FUZZ_SECONDS:-10}"
jobs="${ZARRKIT_FUZZ_JOBS:-2}"
started=$(date +%s)

echo "== fuzz: cargo-fuzz"
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "cargo-fuzz missing: cargo install cargo-fuzz --locked"
  timeout "${ZARRKIT_FUZZ_INSTALL_TIMEOUT:-900}" cargo install cargo-fuzz --locked
fi
cargo fuzz --version

corpus="${ZARRKIT_CONFORMANCE_CORPUS:-../shared/conformance}"
if [ -d "$corpus/stores" ]; then
  export ZARRKIT_CORPUS="$corpus"
  echo "seeds from the conformance corpus at $corpus"
else
  echo "WARNING: no conformance corpus at $corpus: seeds from fuzz/ and synthetic ones only" >&2
fi

echo "== fuzz: build every target once, then $seconds s per target, $jobs at once"
export RUSTC_BOOTSTRAP=1
# `timeout` signals its whole process group: cargo, the xtask and the fuzzers.
timeout "${ZARRKIT_FUZZ_TIMEOUT:-1500}" \
  cargo xtask fuzz "$@" --seconds "$seconds" --jobs "$jobs"

echo "== fuzz: done in $(( $(date +%s) - started )) s"
