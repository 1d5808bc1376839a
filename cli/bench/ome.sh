#!/usr/bin/env bash
# Time the same OME-Zarr pyramid with zarrs_tools' zarrs_ome and with `zarrkit ome`: a Zarr V3
# array (256 x 1024 x 1024 uint16 = 512 MiB, chunks 64 x 256 x 256, zstd level 3) into an
# OME-Zarr 0.5 multiscale image of 5 levels (factor 2 on every axis, block means: both tools'
# default method without --gaussian-sigma / --discrete). Reports the median wall time and peak
# RSS (/usr/bin/time) of REPS alternating runs and the ratios, and checks that level 0 of both
# outputs equals the input with `zarrkit validate`. Levels 1+ differ by one unit where a mean
# is not an integer: zarrkit rounds means to the nearest integer (ties to even), zarrs_ome
# truncates them.
#
#   cli/bench/ome.sh            # REPS=3; work files in target/cli-bench (removed after)
#   REPS=5 KEEP=1 cli/bench/ome.sh
#
# Tools and input: see cli/bench/common.sh (zarrs_tools installed once from crates.io into
# target/zarrs-tools; zarrkit built with `cargo build --release -p zarrkit-cli`).
source "$(dirname "$0")/common.sh"
zarrs="$zt_root/bin/zarrs_ome"

in="$work/in_v3_zstd.zarr"
if [ ! -f "$in/zarr.json" ]; then
  echo "== binary2zarr -> $in (V3, zstd 3, chunks 64x256x256)" >&2
  "$zk" binary2zarr "$in" -i "$raw" -d uint16 -a 256,1024,1024 -c 64,256,256 \
    --bytes-to-bytes-codecs zstd:3 --overwrite >&2
fi

run_zarrs() { record zs "$work/ome_zarrs.zarr" "$zarrs" "$in" "$work/ome_zarrs.zarr" --max-levels 4; }
run_zarrkit() {
  record zk "$work/ome_zarrkit.zarr" "$zk" ome "$in" "$work/ome_zarrkit.zarr" --max-levels 4
}
pairs

"$zk" validate "$in" "$work/ome_zarrs.zarr/0" >&2
"$zk" validate "$in" "$work/ome_zarrkit.zarr/0" >&2
for l in 1 2 3 4; do
  [ -f "$work/ome_zarrkit.zarr/$l/zarr.json" ] && [ -f "$work/ome_zarrs.zarr/$l/zarr.json" ] || {
    echo "level $l missing" >&2; exit 1; }
done

echo
echo "OME-Zarr 0.5 pyramid, 5 levels, block means: V3 zstd(3) 64x256x256, 512 MiB uint16"
echo "machine: $(nproc) CPUs; $reps pairs, order swapped each pair, medians"
summary ome zarrs_ome

if [ -z "${KEEP:-}" ]; then
  rm -rf "$work/ome_zarrs.zarr" "$work/ome_zarrkit.zarr"
fi
