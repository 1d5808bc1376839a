# Shared by cli/bench/reencode.sh and cli/bench/ome.sh (sourced, not run): the tools, the
# input, one timed run and medians. Sets root, reps, zt_version, zt_root, work, zk, raw.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
reps="${REPS:-3}"
zt_version="${ZARRS_TOOLS_VERSION:-0.8.1}"
zt_root="$root/target/zarrs-tools"
work="${ZARRKIT_BENCH_DIR:-$root/target/cli-bench}"
mkdir -p "$work"

# The tools: zarrs_tools from crates.io with its `ome` feature (zarrs_reencode, zarrs_ome),
# installed once; zarrkit built in release.
if [ ! -x "$zt_root/bin/zarrs_reencode" ] || [ ! -x "$zt_root/bin/zarrs_ome" ]; then
  echo "== cargo install zarrs_tools $zt_version --features ome (once, -j 1)" >&2
  cargo install zarrs_tools --version "$zt_version" --locked --features ome --root "$zt_root" \
    --target-dir "$zt_root/build" -j 1
  rm -rf "$zt_root/build"
fi
echo "== cargo build --release -p zarrkit-cli" >&2
cargo build --release -p zarrkit-cli
zk="$root/target/release/zarrkit"

# The raw input (made once, not timed): the side-by-side harness's when it is there (same
# generator), else cli/bench/generate.py (needs Python with numpy: $PYTHON).
raw="$root/bench-work/harness/data/input_256x1024x1024_seed0_v1.u16"
if [ ! -f "$raw" ]; then
  raw="$work/input_256x1024x1024_seed0_v1.u16"
  if [ ! -f "$raw" ]; then
    echo "== generating $raw" >&2
    "${PYTHON:-python3}" cli/bench/generate.py 256 1024 1024 0 "$raw"
  fi
fi

# One timed run into OUT (removed first, page cache flushed): prints "seconds peak_rss_kib".
timed() {
  local out="$1"; shift
  rm -rf "$out"; sync
  /usr/bin/time -f "%e %M" -o "$work/time.txt" "$@" > "$work/stdout.txt" 2> "$work/stderr.txt" || {
    cat "$work/stderr.txt" >&2; exit 1; }
  cat "$work/time.txt"
}

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
