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

# One timed run into OUT (removed first, page cache flushed): prints "seconds peak_rss_kib
# user_cpu_s system_cpu_s".
timed() {
  local out="$1"; shift
  rm -rf "$out"; sync
  /usr/bin/time -f "%e %M %U %S" -o "$work/time.txt" "$@" > "$work/stdout.txt" 2> "$work/stderr.txt" || {
    cat "$work/stderr.txt" >&2; exit 1; }
  cat "$work/time.txt"
}

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# REPS pairs of runs of `run_zarrs` and `run_zarrkit` (defined by the caller; each calls
# `record zs|zk OUT CMD...`), the order swapped every other pair: on this VM, writing into
# recently freed page-cache memory costs up to several times the system CPU time of writing
# into memory the kernel kept, and which run gets which depends on the order.
declare -a zs_t zs_m zs_u zs_s zk_t zk_m zk_u zk_s
record() {
  local who="$1" t m u s; shift
  read -r t m u s < <(timed "$@")
  eval "${who}_t+=($t); ${who}_m+=($m); ${who}_u+=($u); ${who}_s+=($s)"
  echo "  $who: ${t} s wall, ${u} s user, ${s} s system, peak RSS $((m / 1024)) MiB" >&2
}
pairs() {
  for i in $(seq 1 "$reps"); do
    echo "pair $i" >&2
    if (( i % 2 )); then run_zarrs; run_zarrkit; else run_zarrkit; run_zarrs; fi
  done
}

# The summary table (after `pairs`): medians of wall time, CPU times and peak RSS, ratios.
summary() {
  local a
  printf '%-26s %8s %8s %8s %13s\n' tool "wall s" "user s" "sys s" "peak RSS MiB"
  for a in zs zk; do
    local -n t="${a}_t" m="${a}_m" u="${a}_u" s="${a}_s"
    local name="zarrkit $1"
    [ "$a" = zs ] && name="$2 $zt_version"
    printf '%-26s %8s %8s %8s %13s\n' "$name" "$(median "${t[@]}")" "$(median "${u[@]}")" \
      "$(median "${s[@]}")" "$(( $(median "${m[@]}") / 1024 ))"
  done
  awk -v a="$(median "${zk_t[@]}")" -v b="$(median "${zs_t[@]}")" \
    -v c="$(median "${zk_m[@]}")" -v d="$(median "${zs_m[@]}")" \
    -v e="$(median "${zk_u[@]}")" -v f="$(median "${zs_u[@]}")" \
    'BEGIN { printf "ratios zarrkit/zarrs: wall %.2fx, user CPU %.2fx, peak RSS %.2fx\n", a / b, e / f, c / d }'
  echo "all runs (wall s): zarrs ${zs_t[*]}; zarrkit ${zk_t[*]}"
  echo "all runs (system CPU s): zarrs ${zs_s[*]}; zarrkit ${zk_s[*]}"
}
