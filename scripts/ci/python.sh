#!/usr/bin/env bash
# CI for the Python bindings (bindings/python, the zarr-python 3.4 codec pipeline
# zarrkit.ZarrkitCodecPipeline):
#   1. a venv from PyPI (maturin, zarr==3.4.2, pytest, dask[array,distributed], xarray);
#   2. the abi3 wheel, built by maturin (release, in the workspace's target/);
#   3. bindings/python/tests (pytest; dask and xarray required: ZARRKIT_REQUIRE_DASK=1);
#   4. a bounded part of zarr-python 3.4.2's own test suite (../shared/ecosystem/run_suite.sh)
#      with zarrkit's pipeline forced in strict mode: fails on any failure not listed (with
#      its reason) in bindings/python/tests/suite_known_failures.txt, and when fewer tests
#      than expected had their chunk I/O go through zarrkit.
#
#   scripts/ci/python.sh                          # everything
#   ZARRKIT_PYTHON_SUITE=0 scripts/ci/python.sh   # without step 4
#   ZARRKIT_PYTHON_SUITE=full scripts/ci/python.sh  # step 4 on the whole suite (~7 min more)
#   ZARRKIT_PYTHON_WHEEL=path/to/zarrkit-*.whl scripts/ci/python.sh  # a wheel built before
#
# zarr-python 3.4.2 needs CPython >= 3.12 (the wheel itself is abi3 for >= 3.11): the first
# of $ZARRKIT_PYTHON, python3.12, pyenv's 3.12, python3.13, pyenv's 3.13+
# that runs is used. Venvs and the wheel live under target/python-ci (git-ignored).
# Idempotent: venvs are reused when their requirements are unchanged; the wheel is rebuilt
# (cargo's incremental state makes that quick when nothing changed) and reinstalled.
# Time on 2 cores, after the cargo build: ~1-2 min of pip on a cold cache, ~20 s of
# bindings tests, ~4 min for the suite part.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT="$(pwd)"
WORK="$ROOT/target/python-ci"
mkdir -p "$WORK"
source "$ROOT/scripts/ci/python-env.sh"
VENV="$WORK/venv"
venv_with "$VENV" "maturin>=1.9.4,<2" "zarr==3.4.2" "pytest>=8,<10" "dask[array,distributed]>=2025.1" "xarray>=2025.1" "obstore>=0.8,<1"
install_wheel "$VENV"

echo "== bindings/python tests (pytest)"
(cd bindings/python && ZARRKIT_REQUIRE_DASK=1 timeout 600 "$VENV/bin/python" -m pytest tests -q \
  -p no:cacheprovider -W "ignore::DeprecationWarning")

case "${ZARRKIT_PYTHON_SUITE:-1}" in
  0) echo "ZARRKIT_PYTHON_SUITE=0: zarr-python's own suite skipped"; exit 0 ;;
  full) TESTS="tests"; MIN_THROUGH=3500; MIN_TESTS=14000; SUITE_TIMEOUT=3000 ;;
  *)
    # The part of the suite with the most tests doing chunk I/O per second of test time
    # (measured on the whole suite, 2026-12: bindings/python/README.md): ~9,200 of the
    # 14,104 tests, ~3,480 of the 3,616 whose chunk I/O goes through zarrkit, in ~3 min;
    # left out: the slow ones (property tests, fsspec/s3, docs, the V2 regression corpus).
    TESTS="tests/test_api.py tests/test_indexing.py tests/test_v2.py tests/test_codecs tests/test_unified_chunk_grid.py tests/test_array.py tests/test_dtype tests/test_chunk_grids.py tests/test_group.py tests/test_resize.py tests/test_metadata tests/test_config.py tests/benchmarks/test_indexing.py tests/test_store/test_zip.py tests/test_cli tests/test_store/test_memory.py tests/test_store/test_local.py"
    MIN_THROUGH="${ZARRKIT_SUITE_MIN_THROUGH:-3400}"; MIN_TESTS=9000; SUITE_TIMEOUT=900 ;;
esac

SUITE="$ROOT/../shared/ecosystem/run_suite.sh"
if [ ! -f "$SUITE" ]; then
  echo "python.sh: $SUITE not found (the shared ecosystem harness beside the checkout)" >&2
  exit 1
fi
SUITE_WORK="$WORK/zarr-suite"
# run_suite.sh creates its venv on first use (installing the wheel); a venv from an earlier
# run gets this wheel here (pip would keep an installed zarrkit of the same version).
if [ -x "$SUITE_WORK/.venv/bin/pip" ]; then
  "$SUITE_WORK/.venv/bin/pip" install -q --force-reinstall --no-deps "$WHEEL"
fi
echo "== zarr-python 3.4.2's own tests with zarrkit's pipeline forced, strict: $TESTS"
OUT="$WORK/suite-part"
set +e
ZARR_SUITE_WORK="$SUITE_WORK" PIPELINE_PIP="$WHEEL" PYTHON="$PY" JOBS=2 TIMEOUT=300 TESTS="$TESTS" \
  timeout "$SUITE_TIMEOUT" bash "$SUITE" zarrkit.ZarrkitCodecPipeline true "$OUT" > "$WORK/suite-part.log" 2>&1
rc=$?
set -e
# (Only this script's own summary is printed below: the suite's expected failures are not
# counted as this run's, and the harness' own pytest line is in $WORK/suite-part.log.)
if [ ! -f "$OUT/summary.json" ]; then
  echo "python.sh: the suite run did not finish (exit $rc); see $WORK/suite-part.log" >&2
  tail -n 30 "$WORK/suite-part.log" >&2
  exit 1
fi
"$VENV/bin/python" - "$OUT" "$ROOT/bindings/python/tests/suite_known_failures.txt" "$MIN_THROUGH" "$MIN_TESTS" <<'EOF'
import json
import sys
from pathlib import Path

out, known_path = Path(sys.argv[1]), Path(sys.argv[2])
min_through, min_tests = int(sys.argv[3]), int(sys.argv[4])
known = {}
for line in known_path.read_text().splitlines():
    entry = line.split("#")[0].strip()
    if entry:
        known[entry] = True
tests = {}
for f in (out / "plugin").glob("*.jsonl"):
    for line in f.read_text().splitlines():
        rec = json.loads(line)
        if "nodeid" in rec:
            tests[rec["nodeid"]] = rec
failed = {n for n, r in tests.items() if r.get("outcome") in ("failed", "error")}
through = sum(1 for r in tests.values() if any(k.startswith("forced.") for k in r.get("io", {})))
new = sorted(failed - set(known))
print(f"zarr-python 3.4.2 suite part, zarrkit forced (strict): {len(tests)} tests, {through} with "
      f"chunk I/O through zarrkit; {len(failed) - len(new)} known failures "
      f"({known_path.name}), {len(new)} new")
now_pass = sorted(n for n in known if tests.get(n, {}).get("outcome") == "passed")
for n in now_pass:
    print(f"  listed as known but passed (remove it from the list): {n}")
for n in new:
    msg = tests[n].get("cause") or tests[n].get("msg", "")
    print(f"  NEW FAILURE: {n}: {msg[:200]}")
problems = []
if new:
    problems.append(f"{len(new)} failures not in {known_path.name}")
if through < min_through:
    problems.append(f"only {through} tests with chunk I/O through zarrkit (expected >= {min_through})")
if len(tests) < min_tests:
    problems.append(f"only {len(tests)} tests ran (expected >= {min_tests})")
for p in problems:
    print("python.sh:", p)
sys.exit(1 if problems else 0)
EOF
