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

declare -a zs_t zs_m zk_t zk_m
for i in $(seq 1 "$reps"); do
  read -r t m < <(timed "$work/ome_zarrs.zarr" "$zarrs" "$in" "$work/ome_zarrs.zarr" --max-levels 4)
  zs_t+=("$t"); zs_m+=("$m")
  echo "run $i zarrs_ome: ${t} s, peak RSS $((m / 1024)) MiB" >&2
  read -r t m < <(timed "$work/ome_zarrkit.zarr" "$zk" ome "$in" "$work/ome_zarrkit.zarr" --max-levels 4)
  zk_t+=("$t"); zk_m+=("$m")
  echo "run $i zarrkit ome: ${t} s, peak RSS $((m / 1024)) MiB" >&2
done

zs_tm=$(median "${zs_t[@]}"); zk_tm=$(median "${zk_t[@]}")
zs_mm=$(median "${zs_m[@]}"); zk_mm=$(median "${zk_m[@]}")

"$zk" validate "$in" "$work/ome_zarrs.zarr/0" >&2
"$zk" validate "$in" "$work/ome_zarrkit.zarr/0" >&2
for l in 1 2 3 4; do
  [ -f "$work/ome_zarrkit.zarr/$l/zarr.json" ] && [ -f "$work/ome_zarrs.zarr/$l/zarr.json" ] || {
    echo "level $l missing" >&2; exit 1; }
done

echo
echo "OME-Zarr 0.5 pyramid, 5 levels, block means: V3 zstd(3) 64x256x256, 512 MiB uint16"
echo "machine: $(nproc) CPUs; $reps runs each, alternating, medians"
printf '%-26s %10s %14s\n' tool "seconds" "peak RSS MiB"
printf '%-26s %10s %14s\n' "zarrs_ome $zt_version" "$zs_tm" "$((zs_mm / 1024))"
printf '%-26s %10s %14s\n' "zarrkit ome" "$zk_tm" "$((zk_mm / 1024))"
awk -v a="$zk_tm" -v b="$zs_tm" -v c="$zk_mm" -v d="$zs_mm" \
  'BEGIN { printf "time ratio zarrkit/zarrs: %.2fx   peak RSS ratio: %.2fx\n", a / b, c / d }'
echo "all runs: zarrs ${zs_t[*]} s, zarrkit ${zk_t[*]} s"

if [ -z "${KEEP:-}" ]; then
  rm -rf "$work/ome_zarrs.zarr" "$work/ome_zarrkit.zarr"
fi
