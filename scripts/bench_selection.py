"""Selection benchmark: zarrkit against tensorstore, zarr-python and zarr-python with the
zarrs pipeline, on the same sharded zstd arrays and the same selections, in one run.

    bench-work/harness/.venv/bin/python scripts/bench_selection.py [--reps 5] [--out FILE]

(`cargo xtask bench` creates that venv: tensorstore, zarr-python, zarrs-python, numpy.)

Cases (issue "Indexing"):
- `vindex`: 10^5 random points (seed 0) from the harness's 256x1024x1024 uint16 array,
  sharded 128^3 with 32^3 inner chunks, zstd level 3 (512 MiB; written by zarrs in
  `bench-work/harness/data/arrays/shard_zstd/zarrs_rs.zarr` by `cargo xtask bench`).
- `oindex`: 1,024 sorted random rows (seed 0, distinct) of a 262144x1024 uint16 array
  (512 MiB; counts drawn from a Poisson distribution, like a cells x genes matrix), sharded
  [16384, 1024] with [128, 1024] inner chunks, zstd level 3, written here by zarr-python.

Every implementation runs in its own process (`--reps` reads, the median reported), on a
warm page cache (each process reads once before timing). Output checksums (sum of the
elements) must agree, or the run fails. Peak memory: the process's peak resident set after
the reads minus its resident set before the first read (the interpreter and libraries
excluded), in MiB.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "target" / "selection-bench"
ARRAY_3D = ROOT / "bench-work/harness/data/arrays/shard_zstd/zarrs_rs.zarr"
ARRAY_2D = WORK / "rows_2d.zarr"
ADAPTER = ROOT / "target/release/examples/selection_bench"


def status_kib(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field):
                return int(line.split()[1])
    return 0


def make_inputs():
    import numpy as np

    WORK.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    pts = np.stack([rng.integers(0, n, 100_000) for n in (256, 1024, 1024)])
    pts.astype("<i8").tofile(WORK / "points.i64")
    rows = np.sort(rng.choice(262144, 1024, replace=False))
    rows.astype("<i8").tofile(WORK / "rows.i64")
    if not (ARRAY_2D / "zarr.json").exists():
        import zarr

        print("writing", ARRAY_2D, file=sys.stderr)
        z = zarr.create_array(
            str(ARRAY_2D),
            shape=(262144, 1024),
            dtype="uint16",
            shards=(16384, 1024),
            chunks=(128, 1024),
            compressors=[zarr.codecs.ZstdCodec(level=3)],
            fill_value=0,
            overwrite=True,
        )
        for start in range(0, 262144, 16384):
            block = rng.poisson(1.5, size=(16384, 1024)).astype("uint16")
            z[start : start + 16384] = block


def load(kind):
    import numpy as np

    if kind == "vindex":
        v = np.fromfile(WORK / "points.i64", dtype="<i8")
        return tuple(v.reshape(3, -1))
    return np.fromfile(WORK / "rows.i64", dtype="<i8")


def child(impl, kind, reps):
    """Runs in a subprocess: one implementation, one case."""
    import numpy as np

    sel = load(kind)
    path = str(ARRAY_3D if kind == "vindex" else ARRAY_2D)
    if impl == "tensorstore":
        import tensorstore as ts

        arr = ts.open({"driver": "zarr3", "kvstore": {"driver": "file", "path": path}}).result()

        def read():
            if kind == "vindex":
                return arr.vindex[sel].read().result()
            return arr.oindex[sel].read().result()
    else:
        import zarr

        if impl == "zarrs-python":
            import zarrs  # noqa: F401

            # Not strict: zarrs-python refuses integer-array selections it cannot plan
            # (DiscontiguousArrayError) and hands them to zarr-python's own pipeline; this is
            # the speed its users get.
            zarr.config.set({"codec_pipeline.path": "zarrs.ZarrsCodecPipeline", "codec_pipeline.strict": False})
        arr = zarr.open_array(path, mode="r")

        def read():
            if kind == "vindex":
                return arr.vindex[sel]
            return arr.oindex[sel, :]

    out = read()  # warm the page cache and any lazy state
    checksum = int(np.asarray(out, dtype=np.uint64).sum())
    del out
    rss_before = status_kib("VmRSS:")
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        out = read()
        times.append(time.perf_counter() - t)
        n = int(np.asarray(out).size)
        del out
    print(json.dumps({
        "impl": impl, "kind": kind, "median_s": statistics.median(times), "times_s": times,
        "elements": n, "checksum": checksum, "rss_before_kib": rss_before,
        "peak_kib": status_kib("VmHWM:"),
    }))


def run_zarrkit(kind, reps, api):
    path = ARRAY_3D if kind == "vindex" else ARRAY_2D
    idx = WORK / ("points.i64" if kind == "vindex" else "rows.i64")
    cmd = [str(ADAPTER), "--path", str(path), "--kind", kind, "--indices", str(idx),
           "--api", api, "--reps", "1"]
    subprocess.run(cmd, check=True, capture_output=True)  # warm
    cmd[-1] = str(reps)
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--out", type=Path)
    ap.add_argument("--child", nargs=2)
    ap.add_argument("--impls", default="zarrkit,zarrkit_async,tensorstore,zarr-python,zarrs-python")
    args = ap.parse_args()
    if args.child:
        child(args.child[0], args.child[1], args.reps)
        return
    if not (ARRAY_3D / "zarr.json").exists():
        sys.exit(f"{ARRAY_3D} is missing: run `cargo xtask bench --encodings shard_zstd` once")
    subprocess.run(["cargo", "build", "--release", "--example", "selection_bench"], cwd=ROOT, check=True)
    make_inputs()
    results = []
    for kind in ("vindex", "oindex"):
        for impl in args.impls.split(","):
            if impl.startswith("zarrkit"):
                r = run_zarrkit(kind, args.reps, "async" if impl == "zarrkit_async" else "sync")
            else:
                p = subprocess.run([sys.executable, __file__, "--reps", str(args.reps), "--child", impl, kind],
                                   capture_output=True, text=True)
                if p.returncode != 0:
                    print(f"{impl} {kind} failed:\n{p.stderr[-2000:]}", file=sys.stderr)
                    continue
                r = json.loads(p.stdout.strip().splitlines()[-1])
            r["extra_mib"] = (r["peak_kib"] - r["rss_before_kib"]) / 1024
            print(json.dumps(r), file=sys.stderr)
            results.append(r)
    bad = False
    for kind in ("vindex", "oindex"):
        rs = [r for r in results if r["kind"] == kind]
        sums = {r["checksum"] for r in rs}
        if len(sums) > 1:
            print(f"CHECKSUM MISMATCH for {kind}: {[(r['impl'], r['checksum']) for r in rs]}", file=sys.stderr)
            bad = True
        zk = next((r for r in rs if r["impl"] == "zarrkit"), None)
        print(f"\n{kind}: {rs[0]['elements'] if rs else 0} elements")
        print("| implementation | median (s) | zarrkit / this | peak extra RSS (MiB) |")
        print("|---|---:|---:|---:|")
        for r in rs:
            ratio = zk["median_s"] / r["median_s"] if zk else float("nan")
            print(f"| {r['impl']} | {r['median_s']:.4f} | {ratio:.2f}x | {r['extra_mib']:.1f} |")
    if args.out:
        args.out.write_text(json.dumps(results, indent=1))
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
