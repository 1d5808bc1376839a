"""Small Zarr V3 stores written by tensorstore (zarr-python 3.1.6 has no data type for int2 /
int4; tensorstore 0.1.86 has int2 and int4 but no uint2 / uint4), read back by the tests.

    cd plugins/dtype-subbyte/vectors && ../../../bench-work/harness/.venv/bin/python tensorstore_stores.py

For each type: `tensorstore/<name>/` with shape [n + 4], chunks [n], codecs [bytes], a fill
value, every value of the range in elements 0..n and chunk 1 unwritten; and
`tensorstore/expected.json` with tensorstore's read of every element and its fill value.
"""

import json
import os
import shutil
from importlib.metadata import version

import ml_dtypes
import numpy as np
import tensorstore as ts

ARRAYS = {"int2": (-2, 1, -2), "int4": (-8, 7, -3)}

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.join(here, "tensorstore")
shutil.rmtree(root, ignore_errors=True)
expected = {"tensorstore": version("tensorstore"), "ml_dtypes": ml_dtypes.__version__, "arrays": {}}
for name, (lo, hi, fill) in ARRAYS.items():
    n = hi - lo + 1
    path = os.path.join(root, name)
    t = ts.open(
        {"driver": "zarr3", "kvstore": {"driver": "file", "path": path},
         "metadata": {"data_type": name, "fill_value": fill}},
        create=True,
        shape=[n + 4],
        chunk_layout=ts.ChunkLayout(chunk_shape=[n]),
    ).result()
    t[0:n] = np.arange(lo, hi + 1).astype(getattr(ml_dtypes, name))
    back = ts.open({"driver": "zarr3", "kvstore": {"driver": "file", "path": path}}).result()
    expected["arrays"][name] = {
        "n": n,
        "values": [int(v) for v in back.read().result().astype(np.int64)],
        "fill": int(back.fill_value),
    }
with open(os.path.join(root, "expected.json"), "w") as f:
    json.dump(expected, f, indent=1)
    f.write("\n")
