"""Zarr V3 reference arrays for zarrkit's numcodecs `astype` filter, written by zarr-python 3.1 /
numcodecs 0.16 (run by scripts/reference/generate.sh codec-astype, which runs generate_v3.py
with the zarr-python 3 environment).

Writes next to itself:
- zarr3/: a small directory store of V3 arrays with `numcodecs.astype` (as zarr-python 3
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

    add("i8_i2", (np.arange(10) * 10000).astype("int64"), znc.AsType(encode_dtype="int16"),
        numcodecs.AsType(encode_dtype="int16", decode_dtype="int64"), (4,))
    add("f8_f4_2d", rng.normal(0, 1e3, size=(5, 4)), znc.AsType(encode_dtype="<f4", decode_dtype="<f8"),
        numcodecs.AsType(encode_dtype="<f4", decode_dtype="<f8"), (2, 3))
    add("f4_u1", rng.uniform(-10, 300, size=(9,)).astype("float32"), znc.AsType(encode_dtype="|u1", decode_dtype="float32"),
        numcodecs.AsType(encode_dtype="|u1", decode_dtype="float32"), (4,))
    with open(os.path.join(HERE, "vectors_v3.json"), "w") as f:
        json.dump({"generator": f"zarr {zarr.__version__}, numcodecs {numcodecs.__version__}, "
                                f"numpy {np.__version__}", "arrays": out},
                  f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
