"""Reference vectors for zarrkit's numcodecs `astype` filter, from numcodecs 0.15 / NumPy 2
and zarr-python 2.18 (run by scripts/reference/generate.sh codec-astype).

Writes next to itself:
- vectors.json: codec cases (numcodecs config, input bytes as NumPy holds them, the
  numcodecs encoding, its decoding) and, per zarr-python 2 array in zarr2/, the data
  zarr-python reads back;
- zarr2/: a small directory store of V2 arrays written by zarr-python 2 with AsType filters.

Float -> integer casts of NaN, inf or out-of-range values are undefined in NumPy: on x86-64
its SIMD and scalar loops give different results for the same value. Only values whose
result does not depend on the position in the array are kept (checked below); the others are
listed under "position_dependent" for the record.
"""

import json
import os
import shutil

import numcodecs
import numpy as np
import zarr
from zarr.storage import DirectoryStore

np.seterr(all="ignore")
HERE = os.path.dirname(os.path.abspath(__file__))

SPECIAL_F = [
    0.0, -0.0, 0.5, -0.5, 1.5, 2.5, -2.5, 0.9999, -0.9999, 1.0, -1.0, 127.5, -128.7, 255.9,
    256.0, 300.7, -300.7, 32767.9, 65535.5, 65536.0, 70000.7, -70000.7, 2.0**31 - 1,
    -(2.0**31), 3e9, -3e9, 2.0**32 + 5, 1e10, -1e10, 2.0**53 + 1, 2.0**63, -(2.0**63),
    2.0**63 + 4096, 1e19, 2.0**64, -1e19, 1e300, -1e300, 5e-324, 1e-310, 6e-8, 3e-8,
    1e-5, 65504.0, 65519.0, 65520.0, 3.4028235e38, 3.5e38, 1.0 + 2.0**-11 + 2.0**-40,
    1.0 + 2.0**-24 + 2.0**-50, float("nan"), float("inf"), float("-inf"), -float("nan"),
]
SPECIAL_I = [0, 1, -1, 2, 127, -128, 128, 255, 256, -129, 32767, -32768, 32768, 65535, 65536,
             70000, -70000, 2**31 - 1, -(2**31), 2**31, 2**32 - 1, 2**32 + 7, 2**53 + 1,
             2**62 + 12345, 2**63 - 1, -(2**63), 16777217, -16777217, 2049, 65519, 65520]


def position_independent(value, src, dst):
    """Whether NumPy casts `value` (of dtype src) to dst alike wherever it sits in an array
    (SIMD lanes and the scalar tail), for arrays of 1 to 40 elements."""
    results = set()
    for n in range(1, 41):
        a = np.full(n, value, dtype=src).astype(dst)
        results.update(a.view(f"u{a.dtype.itemsize}").tolist())
    return len(results) == 1


# Signalling and payload NaNs (NumPy quiets them in float32 <-> float64 casts, which use
# the hardware, and keeps them in casts from and to float16, which are software).
NAN_BITS = {
    2: [0x7C01, 0x7D00, 0xFE01, 0x7E00],
    4: [0x7F800001, 0x7FA00000, 0xFFC00123, 0x7FC00000],
    8: [0x7FF0000000000001, 0x7FF4000000000000, 0xFFF0040000000000, 0x7FF8000000000123],
}


def values_for(src):
    s = np.dtype(src)
    if s.kind == "f":
        nans = np.array(NAN_BITS[s.itemsize], dtype=f"u{s.itemsize}").view(s.newbyteorder("="))
        return np.concatenate([np.array(SPECIAL_F).astype(s), nans.astype(s)])
    elif s.kind == "b":
        vals = [False, True]
    else:
        info = np.iinfo(s)
        vals = [v for v in SPECIAL_I if info.min <= v <= info.max]
    with np.errstate(all="ignore"):
        return np.array(vals, dtype=object).astype(s) if s.kind != "f" else np.array(vals).astype(s)


def case(encode_dtype, decode_dtype, record):
    codec = numcodecs.AsType(encode_dtype=encode_dtype, decode_dtype=decode_dtype)
    vals = values_for(decode_dtype)
    keep, dropped = [], []
    for v in vals:
        (keep if position_independent(v, decode_dtype, encode_dtype) else dropped).append(v)
    arr = np.array(keep, dtype=decode_dtype)
    enc = codec.encode(arr)
    dec = codec.decode(enc)
    assert enc.dtype == np.dtype(encode_dtype)
    if dropped:
        record.append({"decode_dtype": decode_dtype, "encode_dtype": encode_dtype,
                       "values": [repr(x) for x in dropped]})
    return {
        "config": codec.get_config(),
        "decoded_dtype": np.dtype(decode_dtype).str,
        "input": arr.tobytes().hex(),
        "encoded": np.ascontiguousarray(enc).tobytes().hex(),
        "decoded": np.ascontiguousarray(dec).tobytes().hex(),
    }


def codec_cases():
    cases, dropped = [], []
    floats = ["<f8", "<f4", "<f2", ">f8", ">f4"]
    ints = ["|i1", "|u1", "<i2", "<u2", "<i4", "<u4", "<i8", "<u8", ">i2", ">u4", ">i8"]
    pairs = []
    for f in floats:
        for t in floats + ints + ["|b1"]:
            if t != f:
                pairs.append((t, f))
    for i in ints:
        for t in ["<f8", "<f4", "<f2", "|i1", "|u1", "<i2", "<u2", "<i4", "<u4", "<i8", "<u8",
                  ">i4", ">f8", "|b1"]:
            if t != i:
                pairs.append((t, i))
    pairs += [("<i4", "|b1"), ("<f8", "|b1"), ("<f4", "<f4"), (">i2", "<i2")]
    for encode_dtype, decode_dtype in pairs:
        cases.append(case(encode_dtype, decode_dtype, dropped))
    return cases, dropped


def store_arrays():
    root = os.path.join(HERE, "zarr2")
    shutil.rmtree(root, ignore_errors=True)
    store = DirectoryStore(root)
    zarr.group(store=store, overwrite=True)
    rng = np.random.default_rng(42)
    out = {}

    def add(name, data, dtype, chunks, filters, order="C", compressor=None, fill_value=0):
        z = zarr.open_array(store, mode="w", path=name, shape=data.shape, chunks=chunks,
                            dtype=dtype, filters=filters, compressor=compressor, order=order,
                            fill_value=fill_value)
        z[...] = data
        back = z[...]
        out[name] = {"dtype": z.dtype.str, "shape": list(z.shape),
                     "input": np.ascontiguousarray(data, dtype=z.dtype).tobytes().hex(),
                     "data": np.ascontiguousarray(back).tobytes().hex()}

    f8 = rng.normal(0, 1000, size=(10, 7))
    f8[0, 0], f8[1, 1], f8[2, 2] = np.nan, np.inf, -np.inf
    add("f8_f4", f8, "<f8", (4, 5), [numcodecs.AsType(encode_dtype="<f4", decode_dtype="<f8")])
    i4 = rng.integers(-200000, 200000, size=(9, 4)).astype(">i4")
    add("be_i4_i2", i4, ">i4", (4, 4), [numcodecs.AsType(encode_dtype=">i2", decode_dtype=">i4")])
    # The stored int16 bytes are big-endian though the array is little-endian.
    add("f8_be_i2", rng.uniform(-30000, 30000, size=(11,)), "<f8", (4,),
        [numcodecs.AsType(encode_dtype=">i2", decode_dtype="<f8")])
    # ... and little-endian in a big-endian array.
    add("be_f8_le_i2", rng.uniform(-30000, 30000, size=(11,)).astype(">f8"), ">f8", (4,),
        [numcodecs.AsType(encode_dtype="<i2", decode_dtype=">f8")])
    # F order, with a compressor after the filter.
    add("forder_i8_u1", rng.integers(-300, 300, size=(6, 5)), "<i8", (4, 3),
        [numcodecs.AsType(encode_dtype="|u1", decode_dtype="<i8")], order="F",
        compressor=numcodecs.Zlib(level=1))
    # A one-byte array with a two-byte encoding: the stored bytes keep astype's order.
    add("u1_be_u2", rng.integers(0, 256, size=(7,)).astype("u1"), "|u1", (3,),
        [numcodecs.AsType(encode_dtype=">u2", decode_dtype="|u1")])
    add("f4_f2", rng.normal(0, 100, size=(5, 5)).astype("<f4"), "<f4", (5, 2),
        [numcodecs.AsType(encode_dtype="<f2", decode_dtype="<f4")], fill_value=1.5)
    # A filter dtype whose byte order differs from the array's: NumPy reinterprets the
    # bytes (zarrkit reproduces this only when it knows the array's byte order).
    add("be_f8_view_le_f8", rng.uniform(-1, 1, size=(4,)).astype(">f8"), ">f8", (4,),
        [numcodecs.AsType(encode_dtype="<f4", decode_dtype="<f8")])
    return out


def main():
    cases, dropped = codec_cases()
    stores = store_arrays()
    doc = {
        "generator": f"numcodecs {numcodecs.__version__}, numpy {np.__version__}, "
                     f"zarr {zarr.__version__}",
        "cases": cases,
        "position_dependent": dropped,
        "zarr2": stores,
    }
    with open(os.path.join(HERE, "vectors.json"), "w") as f:
        json.dump(doc, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
