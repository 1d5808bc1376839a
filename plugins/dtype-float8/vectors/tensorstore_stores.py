"""Small Zarr V3 stores written by tensorstore (the one installed writer that supports these
data types: zarr-python 3.1.6 has no data type for them), read back by the crate's tests.

Run with the benchmark harness's Python, which has tensorstore 0.1.86 and ml_dtypes 0.7.0
(read-only use, nothing is installed):

    cd plugins/dtype-float8/vectors && ../../../bench-work/harness/.venv/bin/python tensorstore_stores.py

For each type tensorstore supports it writes `tensorstore/<name>/` (shape [n + 64], chunks
[n], codecs [bytes], the fill value below), stores every bit pattern (n = 16 or 256) in
elements 0..n and leaves chunk 1 unwritten, then records in `tensorstore/expected.json` what
tensorstore reads back for every element (bytes) and the fill value's bytes it uses.
tensorstore 0.1.86 has no float6_*, float8_e4m3 or complex_* types.
"""

import json
import os
import shutil

import ml_dtypes
import numpy as np
import tensorstore as ts
from importlib.metadata import version

ARRAYS = {
    # name: (bits, fill value JSON or None for tensorstore's default)
    "float4_e2m1fn": (4, -1.5),
    "float8_e3m4": (8, "NaN"),
    "float8_e4m3fn": (8, 448.0),
    "float8_e4m3fnuz": (8, -0.5),
    "float8_e4m3b11fnuz": (8, 30.0),
    "float8_e5m2": (8, "-Infinity"),
    "float8_e5m2fnuz": (8, 57344.0),
    # tensorstore's default fill value, written as 0.0 (its own reading: the byte 0x00).
    "float8_e8m0fnu": (8, None),
}

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.join(here, "tensorstore")
shutil.rmtree(root, ignore_errors=True)
expected = {"tensorstore": version("tensorstore"), "ml_dtypes": ml_dtypes.__version__, "arrays": {}}
for name, (bits, fill) in ARRAYS.items():
    n = 1 << bits
    path = os.path.join(root, name)
    metadata = {"data_type": name}
    if fill is not None:
        metadata["fill_value"] = fill
    t = ts.open(
        {"driver": "zarr3", "kvstore": {"driver": "file", "path": path}, "metadata": metadata},
        create=True,
        shape=[n + 64],
        chunk_layout=ts.ChunkLayout(chunk_shape=[n]),
    ).result()
    dt = getattr(ml_dtypes, name)
    t[0:n] = np.arange(n, dtype=np.uint8).view(dt)
    back = ts.open({"driver": "zarr3", "kvstore": {"driver": "file", "path": path}}).result()
    values = back.read().result()
    expected["arrays"][name] = {
        "n": n,
        "elements": values.view(np.uint8).tobytes().hex(),
        "fill_bytes": np.array([back.fill_value]).view(np.uint8).tobytes().hex(),
    }
with open(os.path.join(root, "expected.json"), "w") as f:
    json.dump(expected, f, indent=1)
    f.write("\n")
