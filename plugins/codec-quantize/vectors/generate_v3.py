"""Zarr V3 reference arrays for zarrkit's numcodecs `quantize` filter, written by zarr-python 3.1 /
numcodecs 0.16 (run by scripts/reference/generate.sh codec-quantize, which runs generate_v3.py
with the zarr-python 3 environment).

Writes next to itself:
- zarr3/: a small directory store of V3 arrays with `numcodecs.quantize` (as zarr-python 3
  writes its metadata: configurations, dtype names);
- vectors_v3.json: per array, its shape and data type, the data given, the data the codec
  round trip gives (numcodecs called directly: encode, then decode) and whether zarr-python 3
  reads that back itself (`zarr_python_reads`; it does not for some, see below).
"""

import json
import os
import shutil

import numcodecs
import numpy as np
import zarr
from zarr.codecs import BytesCodec
from zarr.codecs import numcodecs as znc
from zarr.storage import LocalStore

np.seterr(all="ignore")
HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    root = os.path.join(HERE, "zarr3")
    shutil.rmtree(root, ignore_errors=True)
    store = LocalStore(root)
    zarr.open_group(store, mode="w")
    rng = np.random.default_rng(5)
    out = {}

    def add(name, data, filt, codec, chunks, fill_value=0, endian="little", note=""):
        a = zarr.create_array(store, name=name, shape=data.shape, chunks=chunks,
                              dtype=data.dtype, filters=[filt], compressors=None,
                              serializer=BytesCodec(endian=endian), fill_value=fill_value)
        a[...] = data
        flat = np.ascontiguousarray(data).reshape(-1)
        expect = np.asarray(codec.decode(codec.encode(flat))).astype(data.dtype)
        try:
            back = np.asarray(a[...]).reshape(-1)
            reads = bool(np.array_equal(back.view(f"u{back.dtype.itemsize}"),
                                        expect.view(f"u{expect.dtype.itemsize}")))
        except Exception as e:  # noqa: BLE001 (zarr-python's own failure is the record)
            reads = f"{type(e).__name__}: {e}"
        out[name] = {"shape": list(data.shape), "dtype": data.dtype.str,
                     "input": flat.astype(data.dtype.newbyteorder("<")).tobytes().hex(),
                     "data": expect.astype(expect.dtype.newbyteorder("<")).tobytes().hex(),
                     "zarr_python_reads": reads, "note": note}

    add("f8_same", rng.normal(0, 10, size=(10,)), znc.Quantize(digits=2, dtype="<f8"),
        numcodecs.Quantize(digits=2, dtype="<f8"), (4,))
    # No dtype: zarr-python fills it in ("float32").
    add("f4_2d", rng.normal(0, 10, size=(5, 6)).astype("float32"), znc.Quantize(digits=1),
        numcodecs.Quantize(digits=1, dtype="float32"), (2, 4))
    # astype != dtype: zarr-python stores the float16 bytes but declares float64 downstream,
    # so it cannot read its own chunks back.
    add("f8_as_f2", np.linspace(0, 1, 10), znc.Quantize(digits=1, astype="<f2"),
        numcodecs.Quantize(digits=1, dtype="float64", astype="<f2"), (4,),
        note="zarr-python does not resolve the downstream data type to astype")
    with open(os.path.join(HERE, "vectors_v3.json"), "w") as f:
        json.dump({"generator": f"zarr {zarr.__version__}, numcodecs {numcodecs.__version__}, "
                                f"numpy {np.__version__}", "arrays": out},
                  f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
