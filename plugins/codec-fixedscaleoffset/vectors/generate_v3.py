"""Zarr V3 reference arrays for zarrkit's numcodecs `fixedscaleoffset` filter, written by zarr-python 3.1 /
numcodecs 0.16 (run by scripts/reference/generate.sh codec-fixedscaleoffset, which runs generate_v3.py
with the zarr-python 3 environment).

Writes next to itself:
- zarr3/: a small directory store of V3 arrays with `numcodecs.fixedscaleoffset` (as zarr-python 3
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

    add("f8_u1", np.linspace(1000, 1025, 10), znc.FixedScaleOffset(offset=1000, scale=10, dtype="<f8", astype="|u1"),
        numcodecs.FixedScaleOffset(offset=1000, scale=10, dtype="<f8", astype="|u1"), (4,), fill_value=1000.0)
    # No dtype in the configuration: zarr-python fills it in ("float32").
    add("f4_i2_2d", rng.normal(0, 30, size=(6, 5)).astype("float32"),
        znc.FixedScaleOffset(offset=0.5, scale=100, astype="int16"),
        numcodecs.FixedScaleOffset(offset=0.5, scale=100, dtype="float32", astype="int16"), (4, 3))
    add("i4_int_arith", rng.integers(-10**6, 10**6, size=(9,)).astype("int32"),
        znc.FixedScaleOffset(offset=7, scale=3, dtype="int32", astype="int16"),
        numcodecs.FixedScaleOffset(offset=7, scale=3, dtype="int32", astype="int16"), (4,))
    # A big-endian bytes codec: zarr-python views the big-endian codes it reads back as its
    # astype and misreads them.
    add("f8_i4_big", rng.normal(0, 30, size=(7,)), znc.FixedScaleOffset(offset=-1, scale=1000, dtype="<f8", astype="<i4"),
        numcodecs.FixedScaleOffset(offset=-1, scale=1000, dtype="<f8", astype="<i4"), (4,), endian="big",
        note="bytes big-endian")
    with open(os.path.join(HERE, "vectors_v3.json"), "w") as f:
        json.dump({"generator": f"zarr {zarr.__version__}, numcodecs {numcodecs.__version__}, "
                                f"numpy {np.__version__}", "arrays": out},
                  f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
