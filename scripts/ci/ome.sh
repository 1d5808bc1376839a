#!/usr/bin/env bash
# CI for zarrkit-ome and zarrkit-filters: make the Python environment of the OME-Zarr
# validation tests (target/ome-venv from PyPI: ome-zarr-py, ome-zarr-models, the official
# JSON schemas via ngff-zarr, jsonschema, scipy, zarr; all versions pinned), then run both
# crates' tests with ZARRKIT_REQUIRE_OME=1, so a missing environment fails instead of
# skipping.
#
#   scripts/ci/ome.sh               # set up, then test (about 2 min with a warm pip cache)
#   scripts/ci/ome.sh --setup-only  # set up only; the caller then runs its tests with
#                                   # ZARRKIT_REQUIRE_OME=1 in the environment
#
# Idempotent (the venv is rebuilt only when ome/scripts/{requirements,constraints}.txt
# change); bounded: 10 minutes for the install, 10 for the tests.
set -euo pipefail
cd "$(dirname "$0")/../.."
echo "== OME-Zarr test environment (target/ome-venv)"
timeout 600 ome/scripts/setup-venv.sh
if [ "${1:-}" = "--setup-only" ]; then
    exit 0
fi
echo "== zarrkit-ome and zarrkit-filters tests (ZARRKIT_REQUIRE_OME=1)"
ZARRKIT_REQUIRE_OME=1 timeout 600 cargo test -p zarrkit-ome -p zarrkit-filters
