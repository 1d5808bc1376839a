#!/usr/bin/env bash
# Peak memory and time of whole-array writes and reads (examples/memory_probe.rs), for the
# README: typed vs bytes API at one size, and a scaling table over sizes.
#
#   scripts/memory_tables.sh [DIR] [SIZES]     # DIR: scratch directory (default: target/memory-probe)
#                                              # SIZES: GiB list (default: "0.25 1 4 8")
# Peak RSS is GNU time's %M (KiB). Each read follows its own write; the page cache is dropped
# before reads when /proc/sys/vm/drop_caches is writable (root), else reads are warm.
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${1:-target/memory-probe}"
sizes="${2:-0.25 1 4 8}"
cargo build --release --example memory_probe >&2
probe=target/release/examples/memory_probe
mkdir -p "$dir"
drop() { sync; if [ -w /proc/sys/vm/drop_caches ]; then echo 3 > /proc/sys/vm/drop_caches; fi; }
run() { # op api gib [codec]
  local out
  out=$(/usr/bin/time -f "%M" "$probe" "$1" --api "$2" --gib "$3" --dir "$dir" ${4:+--codec "$4"} 2>&1)
  local rss json
  rss=$(echo "$out" | tail -1)
  json=$(echo "$out" | grep '^{')
  local t
  t=$(echo "$json" | sed 's/.*"elapsed_s": \([0-9.]*\).*/\1/')
  echo "$t $((rss / 1024))"
}
echo "## typed vs bytes (0.25 GiB = 256 MiB uint16, raw)"
echo
echo "| operation | API | time (s) | peak RSS (MiB) |"
echo "|---|---|---:|---:|"
for api in bytes typed async; do
  read -r t m < <(run write "$api" 0.25); echo "| write | $api | $t | $m |"
  drop
  read -r t m < <(run read "$api" 0.25); echo "| read | $api | $t | $m |"
done
echo
echo "## scaling (zstd level 1, 128³ chunks)"
echo
echo "| size (GiB) | write s/GiB | write peak RSS (MiB) | read s/GiB | read peak RSS (MiB) |"
echo "|---:|---:|---:|---:|---:|"
for g in $sizes; do
  read -r tw mw < <(run write typed "$g" zstd:1)
  drop
  read -r tr mr < <(run read typed "$g")
  printf "| %s | %.3f | %s | %.3f | %s |\n" "$g" "$(echo "$tw / $g" | bc -l)" "$mw" "$(echo "$tr / $g" | bc -l)" "$mr"
done
rm -rf "$dir"
