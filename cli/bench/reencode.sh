#!/usr/bin/env bash
# Time the same reencode with zarrs_tools' zarrs_reencode and with `zarrkit reencode`:
# a Zarr V2 array (256 x 1024 x 1024 uint16 = 512 MiB, chunks 32 x 256 x 256, zstd level 3)
# into Zarr V3 with sharding (shards 64 x 256 x 256 of inner chunks 32 x 64 x 64: a rechunk),
# zstd replaced by blosc (lz4, level 5, byte shuffle). Same flags for both tools (zarrkit
# takes zarrs_reencode's). Reports the medians of wall time, user and system CPU time and
# peak RSS (/usr/bin/time) of REPS pairs of runs (order swapped each pair), the ratios, and
# checks both outputs against the input with
# `zarrkit validate` (so zarrkit also reads what zarrs wrote).
#
#   cli/bench/reencode.sh            # REPS=3; work files in target/cli-bench (removed after)
#   REPS=5 KEEP=1 cli/bench/reencode.sh
#
# Tools and input: see cli/bench/common.sh (zarrs_tools installed once from crates.io into
# target/zarrs-tools; zarrkit built with `cargo build --release -p zarrkit-cli`).
source "$(dirname "$0")/common.sh"
zarrs="$zt_root/bin/zarrs_reencode"

in="$work/in_v2.zarr"
if [ ! -f "$in/.zarray" ]; then
  echo "== binary2zarr -> $in (V2, zstd 3, chunks 32x256x256)" >&2
  "$zk" binary2zarr "$in" -i "$raw" -d uint16 -a 256,1024,1024 -c 32,256,256 \
    --bytes-to-bytes-codecs zstd:3 --zarr-format 2 --overwrite >&2
fi
# numcodecs (>= 0.13) and zarrkit write zstd's `checksum` into V2 metadata; zarrs 0.23 refuses
# the field ("unknown field `checksum`"). `false` is its default, so the field is dropped for
# the comparison (same chunks).
"${PYTHON:-python3}" - "$in/.zarray" <<'PY'
import json, sys
p = sys.argv[1]
m = json.load(open(p))
if m["compressor"].pop("checksum", True) is False:
    json.dump(m, open(p, "w"), indent=2)
PY

blosc='[{"name":"blosc","configuration":{"cname":"lz4","clevel":5,"shuffle":"shuffle","typesize":2,"blocksize":0}}]'
flags=(--chunk-shape 32,64,64 --shard-shape 64,256,256 --bytes-to-bytes-codecs "$blosc")


run_zarrs() { record zs "$work/out_zarrs.zarr" "$zarrs" "${flags[@]}" "$in" "$work/out_zarrs.zarr"; }
run_zarrkit() {
  record zk "$work/out_zarrkit.zarr" "$zk" reencode "$in" "$work/out_zarrkit.zarr" "${flags[@]}"
  echo "  $(tail -1 "$work/stdout.txt")" >&2
}
pairs

# 3. Both outputs hold the input's elements.
"$zk" validate "$in" "$work/out_zarrs.zarr" >&2
"$zk" validate "$in" "$work/out_zarrkit.zarr" >&2
size() { du -sb "$1" | cut -f1; }

echo
echo "reencode V2 zstd(3) 32x256x256 -> V3 sharded 64x256x256 / 32x64x64 blosc(lz4,5,shuffle), 512 MiB uint16"
echo "machine: $(nproc) CPUs, shared with other work (noisy); $reps pairs, order swapped each pair, medians"
summary reencode zarrs_reencode
echo "output MiB: zarrs $(( $(size "$work/out_zarrs.zarr") >> 20 )), zarrkit $(( $(size "$work/out_zarrkit.zarr") >> 20 ))"
echo "input $(( $(size "$in") >> 20 )) MiB"

if [ -z "${KEEP:-}" ]; then
  rm -rf "$work/out_zarrs.zarr" "$work/out_zarrkit.zarr" "$work/in_v2.zarr"
fi
