"""Reference vectors for zarrkit's numcodecs `quantize` filter, from numcodecs 0.15 / NumPy 2
and zarr-python 2.18 (run by scripts/reference/generate.sh codec-quantize).

Writes next to itself:
- vectors.json: the scale numcodecs uses for each `digits` from -400 to 400 (or the error
  Python raises), codec cases (numcodecs config, input bytes as NumPy holds them, the
  numcodecs encoding, its decoding) and, per zarr-python 2 array in zarr2/, the data given
  and the data zarr-python reads back;
- zarr2/: a small directory store of V2 arrays written by zarr-python 2 with Quantize.

It also checks that an older numcodecs' formula (math.log(x, 10) and math.log(x, 2), that is
ln(x)/ln(b), instead of log10 and log2) gives the same scale for every digits tried.
"""

import json
import math
import os
import shutil
import zlib

import numcodecs
import numpy as np
import zarr
from zarr.storage import DirectoryStore

np.seterr(all="ignore")
HERE = os.path.dirname(os.path.abspath(__file__))


def scale_of(digits, log10=math.log10, log2=math.log2):
    """The scale numcodecs' Quantize.encode computes (copied from numcodecs 0.15)."""
    precision = 10.0**-digits
    exp = log10(precision)
    if exp < 0:
        exp = math.floor(exp)
    else:
        exp = math.ceil(exp)
    bits = math.ceil(log2(10.0**-exp))
    return 2.0**bits


def scales():
    out = []
    for d in range(-400, 401):
        try:
            s = scale_of(d)
        except (OverflowError, ValueError) as e:
            out.append([d, None, type(e).__name__])
            continue
        old = scale_of(d, lambda x: math.log(x, 10), lambda x: math.log(x, 2))
        assert old == s, (d, old, s)
        # The codec itself uses this scale.
        x = np.array([1.0 / 3.0, 123.456])
        assert (numcodecs.Quantize(digits=d, dtype="<f8").encode(x) ==
                np.around(s * x) / s).all() or not np.isfinite(s * x).all()
        out.append([d, s, None])
    return out


SPECIAL = [0.0, -0.0, 1.0 / 3.0, -2.0 / 3.0, 0.03125, 0.09375, -0.03125, 0.5, 1.5, 2.5, 100.0,
           123.456789, 65504.0, 65520.0, 1e5, 1e-8, 3.4e38, 1e300, 5e-324, float("nan"),
           float("inf"), float("-inf")]


def inputs(dtype, seed):
    rng = np.random.default_rng(seed)
    vals = SPECIAL + list(rng.normal(0, 100, 30)) + list(np.linspace(100, 200, 17))
    return np.array(vals).astype(dtype)


def case(digits, dtype, astype=None):
    codec = numcodecs.Quantize(digits=digits, dtype=dtype, astype=astype)
    arr = inputs(dtype, zlib.crc32(f"{digits} {dtype} {astype}".encode()))
    enc = codec.encode(arr)
    dec = codec.decode(enc)
    return {
        "config": codec.get_config(),
        "input": arr.tobytes().hex(),
        "encoded": np.ascontiguousarray(enc).tobytes().hex(),
        "decoded": np.ascontiguousarray(dec).tobytes().hex(),
    }


def codec_cases():
    cs = []
    for dt in ["<f8", "<f4", "<f2", ">f8", ">f4"]:
        for at in [None, "<f8", "<f4", "<f2", ">f2", ">f8"]:
            for digits in [-2, 0, 1, 3, 8, 20]:
                cs.append(case(digits, dt, at))
    # The numcodecs fixture codecs.
    for digits, at in [(-1, "<f2"), (0, "<f2"), (1, "<f2"), (5, "<f4"), (12, "<f8")]:
        cs.append(case(digits, "<f8", at))
    return cs


def store_arrays():
    root = os.path.join(HERE, "zarr2")
    shutil.rmtree(root, ignore_errors=True)
    store = DirectoryStore(root)
    zarr.group(store=store, overwrite=True)
    rng = np.random.default_rng(3)
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

    Q = numcodecs.Quantize
    add("f8_f2", np.linspace(100, 200, 13), "<f8", (5,), Q(digits=1, dtype="<f8", astype="<f2"),
        fill_value=100.0)
    data = rng.normal(0, 10, size=(7, 6))
    data[0, 0], data[1, 1] = np.nan, np.inf
    add("forder_f8_f4", data, "<f8", (3, 4), Q(digits=3, dtype="<f8", astype="<f4"),
        order="F", compressor=numcodecs.Zlib(level=1))
    add("be_f8", rng.normal(0, 10, size=(9,)).astype(">f8"), ">f8", (4,),
        Q(digits=2, dtype=">f8"))
    add("f8_be_f4", rng.normal(0, 10, size=(9,)), "<f8", (4,),
        Q(digits=4, dtype="<f8", astype=">f4"))
    add("be_f4_le_f2", rng.normal(0, 10, size=(3, 5)).astype(">f4"), ">f4", (2, 5),
        Q(digits=0, dtype=">f4", astype="<f2"))
    add("f2", rng.normal(0, 10, size=(10,)).astype("<f2"), "<f2", (4,),
        Q(digits=1, dtype="<f2"))
    add("f4_negative_digits", rng.normal(0, 1000, size=(10,)).astype("<f4"), "<f4", (10,),
        Q(digits=-2, dtype="<f4"))
    return out


def main():
    doc = {
        "generator": f"numcodecs {numcodecs.__version__}, numpy {np.__version__}, "
                     f"zarr {zarr.__version__}",
        "scales": scales(),
        "cases": codec_cases(),
        "zarr2": store_arrays(),
    }
    with open(os.path.join(HERE, "vectors.json"), "w") as f:
        json.dump(doc, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
