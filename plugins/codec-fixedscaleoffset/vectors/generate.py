"""Reference vectors for zarrkit's numcodecs `fixedscaleoffset` filter, from numcodecs 0.15 /
NumPy 2 and zarr-python 2.18 (run by scripts/reference/generate.sh codec-fixedscaleoffset).

Writes next to itself:
- vectors.json: codec cases (numcodecs config, input bytes as NumPy holds them, the
  numcodecs encoding or the error it raises, its decoding) and, per zarr-python 2 array in
  zarr2/, the data zarr-python reads back;
- zarr2/: a small directory store of V2 arrays written by zarr-python 2 with FixedScaleOffset.

Casting NaN, inf or out-of-range floats to an integer astype is undefined in NumPy; values
whose encoding depends on their position in the array (SIMD lanes vs the scalar tail) are
left out of the cases and listed under "position_dependent".
"""

import json
import os
import shutil
import zlib

import numcodecs
import numpy as np
import zarr
from zarr.storage import DirectoryStore

np.seterr(all="ignore")
HERE = os.path.dirname(os.path.abspath(__file__))

F_SPECIAL = [0.0, -0.0, 0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 0.05, 0.15, 0.25, 0.35, 1e-3, 12.345,
             -99.99, 1e3, 1e5, 3.3e4, -3.3e4, 1e10, -1e10, 1e300, 5e-324, float("nan"),
             float("inf"), float("-inf")]


def inputs(dtype, offset):
    d = np.dtype(dtype)
    rng = np.random.default_rng(zlib.crc32(f"{d.str} {offset!r}".encode()))
    if d.kind == "f":
        vals = list(F_SPECIAL) + list(offset + rng.normal(0, 50, 40)) + \
            list(offset + np.linspace(-3, 3, 25))
        return np.array(vals).astype(d)
    info = np.iinfo(d)
    vals = [info.min, info.max, 0, 1, info.max - 1, info.min + 1] + \
        list(rng.integers(info.min, info.max, 40, endpoint=True, dtype=d.newbyteorder("=")))
    return np.array(vals, dtype=object).astype(d)


def position_independent(codec, value, dtype):
    """Whether numcodecs encodes `value`, and decodes its encoding, alike wherever it sits
    in an array (NumPy's SIMD lanes and scalar tail cast out-of-range floats differently)."""
    encodings, decodings = set(), set()
    for n in (1, 2, 3, 5, 8, 9, 16, 17, 31, 33):
        e = codec.encode(np.full(n, value, dtype=dtype))
        encodings.update(e.view(f"u{e.dtype.itemsize}").tolist())
        d = np.ascontiguousarray(codec.decode(e))
        decodings.update(d.view(f"u{d.dtype.itemsize}").tolist())
    return len(encodings) == 1 and len(decodings) == 1


def case(offset, scale, dtype, astype=None, values=None, note=""):
    codec = numcodecs.FixedScaleOffset(offset=offset, scale=scale, dtype=dtype, astype=astype)
    arr = inputs(dtype, offset) if values is None else np.array(values).astype(dtype)
    out = {"config": codec.get_config(), "note": note}
    try:
        keep = [v for v in arr if position_independent(codec, v, dtype)]
        dropped = [repr(v) for v in arr if not position_independent(codec, v, dtype)]
        arr = np.array(keep, dtype=dtype)
        enc = codec.encode(arr)
        out["encoded"] = np.ascontiguousarray(enc).tobytes().hex()
        dec = codec.decode(enc)
        out["decoded"] = np.ascontiguousarray(dec).tobytes().hex()
        out["position_dependent"] = dropped
    except (OverflowError, ValueError) as e:
        out["encode_error"] = f"{type(e).__name__}: {e}"
        # Decoding needs no encoding: decode some stored values of astype.
        a = np.dtype(codec.astype)
        stored = np.arange(20).astype(a)
        out["stored"] = stored.tobytes().hex()
        out["stored_decoded"] = np.ascontiguousarray(codec.decode(stored)).tobytes().hex()
    out["input"] = arr.tobytes().hex()
    return out


def codec_cases():
    cs = []
    # The numcodecs docstring example (half to even: 4.5 -> 4, 5.5 -> 6).
    cs.append(case(1000, 10, "<f8", "|u1", np.linspace(1000, 1001, 10), "docstring"))
    cs.append(case(1000, 10**2, "f8", "u1", np.linspace(1000, 1001, 10), "docstring"))
    cs.append(case(1000, 10**3, "f8", "u2", np.linspace(1000, 1001, 10), "docstring"))
    cs.append(case(0, 1, "<f8", "<i4", [0.5, 1.5, 2.5, 3.5, -0.5, -1.5, -2.5, 0.4999999999999999],
                   "round half to even"))
    # The numcodecs fixture codecs on their kind of data.
    for sc, at in [(10, "i1"), (100, "i2"), (10**6, "i4"), (10**12, "i8"), (10**12, None)]:
        cs.append(case(1000, sc, "<f8", at, np.linspace(1000, 1001, 64), "fixture codec"))
    # Float dtypes compute in their own type.
    for dt in ["<f8", "<f4", "<f2", ">f8", ">f4"]:
        for off, sc, at in [(0, 10, "<i2"), (1000.1, 100, "<i4"), (12.5, 0.25, "|i1"),
                            (-3, 3.7, "|u1"), (0.5, 1000, "<f4"), (2, 1e-3, "<f8"),
                            (1, 7, "<u4"), (100, 1e4, "<i8"), (-1e3, 1, "<u8"),
                            (0, 100, ">i2"), (0.1, 10, "<f2"), (7, 2, "|b1")]:
            cs.append(case(off, sc, dt, at))
    # Integer dtypes: integer arithmetic wraps; float operands go to float64.
    for dt in ["|i1", "|u1", "<i2", "<u2", "<i4", "<u4", "<i8", "<u8", ">i4", ">u2"]:
        for off, sc, at in [(3, 2, None), (1, 5, "|u1"), (-2, 3, "<i8"), (10, 0.5, "<i4"),
                            (0.5, 4, "<u2"), (-1.25, 0.1, "<f4"), (1, 2.5, "<f8"),
                            (0, 1, ">f2"), (100, 1, "|i1")]:
            cs.append(case(off, sc, dt, at))
    # Operands that do not fit the integer dtype: NumPy 2 raises.
    cs.append(case(1000, 10, "|u1", "|u1", note="offset out of range"))
    cs.append(case(1, 1000, "|i1", "<i2", note="scale out of range"))
    cs.append(case(-1, 2, "<u4", "<u4", note="negative offset for unsigned"))
    cs.append(case(2**70, 1, "<i8", "<i8", note="big int offset"))
    # Python ints beyond int64 with a float dtype.
    cs.append(case(2**70, 2**-60, "<f8", "<f8", note="big int offset, float dtype"))
    # scale 0: division by zero when decoding.
    cs.append(case(1, 0, "<f8", "<i2", note="scale 0"))
    cs.append(case(1, 0.0, "<f4", "<f4", note="scale 0.0"))
    return cs


def store_arrays():
    root = os.path.join(HERE, "zarr2")
    shutil.rmtree(root, ignore_errors=True)
    store = DirectoryStore(root)
    zarr.group(store=store, overwrite=True)
    rng = np.random.default_rng(7)
    out = {}

    def add(name, data, dtype, chunks, filt, order="C", compressor=None, fill_value=0):
        z = zarr.open_array(store, mode="w", path=name, shape=data.shape, chunks=chunks,
                            dtype=dtype, filters=[filt], compressor=compressor, order=order,
                            fill_value=fill_value)
        z[...] = data
        back = z[...]
        out[name] = {"dtype": z.dtype.str, "shape": list(z.shape),
                     "input": np.ascontiguousarray(data, dtype=z.dtype).tobytes().hex(),
                     "data": np.ascontiguousarray(back).tobytes().hex()}

    FSO = numcodecs.FixedScaleOffset
    add("f8_u1", np.linspace(1000, 1025, 12), "<f8", (5,),
        FSO(offset=1000, scale=10, dtype="<f8", astype="|u1"), fill_value=1000.0)
    add("forder_f8_i2", rng.normal(0, 50, size=(8, 6)), "<f8", (3, 4),
        FSO(offset=-5.5, scale=100, dtype="<f8", astype="<i2"), order="F",
        compressor=numcodecs.Zlib(level=1))
    add("be_f8_be_i2", rng.normal(0, 50, size=(9,)).astype(">f8"), ">f8", (4,),
        FSO(offset=0, scale=100, dtype=">f8", astype=">i2"))
    add("f8_be_u2", rng.uniform(0, 600, size=(9,)), "<f8", (4,),
        FSO(offset=0, scale=100, dtype="<f8", astype=">u2"))
    add("be_f4_le_i4", rng.normal(1000, 5, size=(3, 5)).astype(">f4"), ">f4", (2, 5),
        FSO(offset=1000.1, scale=1000, dtype=">f4", astype="<i4"))
    add("i4_i2_wrap", rng.integers(-100000, 100000, size=(10,)).astype("<i4"), "<i4", (4,),
        FSO(offset=7, scale=3, dtype="<i4", astype="<i2"))
    add("u1_be_u2", rng.integers(0, 256, size=(7,)).astype("u1"), "|u1", (3,),
        FSO(offset=0, scale=1.5, dtype="|u1", astype=">u2"))
    add("f2_i1", rng.normal(0, 20, size=(6, 2)).astype("<f2"), "<f2", (6, 1),
        FSO(offset=0, scale=2, dtype="<f2", astype="|i1"))
    add("f8_f4", rng.normal(0, 1, size=(5,)), "<f8", (5,),
        FSO(offset=1, scale=10**12, dtype="<f8", astype="<f4"))
    # The filter's dtype byte order differs from the array's (NumPy reinterprets the bytes).
    add("be_f8_view_le_f8", rng.uniform(-1, 1, size=(4,)).astype(">f8"), ">f8", (4,),
        FSO(offset=0.5, scale=2, dtype="<f8", astype="<f8"))
    return out


def main():
    doc = {
        "generator": f"numcodecs {numcodecs.__version__}, numpy {np.__version__}, "
                     f"zarr {zarr.__version__}",
        "cases": codec_cases(),
        "zarr2": store_arrays(),
    }
    with open(os.path.join(HERE, "vectors.json"), "w") as f:
        json.dump(doc, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
