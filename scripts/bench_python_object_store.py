"""zarr-python on an S3 server (moto, 127.0.0.1): zarr's own pipeline, zarrkit's pipeline with
native object-store I/O, and zarrkit's pipeline through zarr's store methods (the bridge).

    target/python-ci/venv/bin/python scripts/bench_python_object_store.py

(the venv of scripts/ci/python.sh; moto from scripts/ci/store-object.sh). A 16 MiB uint16
array, shards of 1 MiB with 32x512 zstd inner chunks; medians of 7 rounds (the three
configurations in turn each round) of a whole read, 48 sorted random rows (`oindex`) and a
whole write. moto is a Python server: on it the server dominates, so the ratios are a floor.
"""
import os, sys, time, subprocess, urllib.request, statistics
import numpy as np, zarr
from obstore.store import S3Store
port = 45901
p = subprocess.Popen([os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "target/store-object-venv/bin/moto_server"), "-H", "127.0.0.1", "-p", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
ep = f"http://127.0.0.1:{port}"
try:
    for _ in range(200):
        try: urllib.request.urlopen(ep + "/", timeout=1); break
        except OSError: time.sleep(0.2)
    urllib.request.urlopen(urllib.request.Request(ep + "/bench", method="PUT")).read()
    mk = lambda: zarr.storage.ObjectStore(S3Store("bench", prefix="a", endpoint=ep, region="us-east-1", access_key_id="t", secret_access_key="t", virtual_hosted_style_request=False, client_options={"allow_http": True}))
    data = np.random.default_rng(0).poisson(3, (2048, 4096)).astype("uint16")
    a = zarr.create_array(mk(), shape=data.shape, dtype="uint16", shards=(128, 4096), chunks=(32, 512), compressors=[zarr.codecs.ZstdCodec(level=3)])
    a[:] = data
    import zarrkit._pipeline as zp
    real = zp._object_spec
    cfgs = [("zarr", "zarr.core.codec_pipeline.BatchedCodecPipeline", None), ("zarrkit-native", "zarrkit.ZarrkitCodecPipeline", real), ("zarrkit-bridge", "zarrkit.ZarrkitCodecPipeline", lambda ob: None)]
    res = {n: {"all": [], "rows": [], "write": []} for n, _, _ in cfgs}
    rows = np.sort(np.random.default_rng(1).choice(2048, 48, replace=False))
    for rep in range(7):
        for name, path, spec in cfgs:
            if spec: zp._object_spec = spec; zp._object_specs.clear()
            with zarr.config.set({"codec_pipeline.path": path}):
                b = zarr.open_array(mk())
                t = time.perf_counter(); got = b[:]; res[name]["all"].append(time.perf_counter() - t)
                assert (got == data).all()
                t = time.perf_counter(); got = b.oindex[rows, :]; res[name]["rows"].append(time.perf_counter() - t)
                assert (got == data[rows]).all()
                t = time.perf_counter(); b[:] = data; res[name]["write"].append(time.perf_counter() - t)
    zp._object_spec = real
    for name in res:
        print(name, {k: round(statistics.median(v), 3) for k, v in res[name].items()})
finally:
    p.terminate()
