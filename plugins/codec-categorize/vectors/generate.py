"""Reference vectors for zarrkit's numcodecs `categorize` filter, from numcodecs 0.15 /
NumPy 2 and zarr-python 2.18 (run by scripts/reference/generate.sh codec-categorize).

Writes next to itself:
- vectors.json: codec cases (numcodecs config; the input as strings, and for `<U` dtypes
  also as the bytes NumPy holds; the numcodecs encoding or the error it raises; its
  decoding) and, per zarr-python 2 array in zarr2/, the strings given and the strings
  zarr-python reads back;
- zarr2/: a small directory store of V2 arrays written by zarr-python 2 with Categorize, for
  object (`|O`) and fixed-length unicode (`<U`, `>U`) arrays.
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

# The numcodecs test labels.
LABELS = ["ƒöõ", "ßàř", "ßāẑ", "ƪùüx"]
VALUES = ["ƒöõ", "ßàř", "ƒöõ", "ßāẑ", "ƪùüx", "", "x", "ƒö", "ƒöõ ", "😀", "ßàř", "ƪùüx"]


def case(labels, dtype, astype, values):
    codec = numcodecs.Categorize(labels, dtype=dtype, astype=astype)
    d = np.dtype(dtype)
    arr = np.array(values, dtype=object) if d == object else np.array(values, dtype=d)
    out = {"config": codec.get_config(), "input": [str(v) for v in arr]}
    if d != object:
        out["input_bytes"] = arr.tobytes().hex()
    try:
        enc = codec.encode(arr)
        out["encoded"] = np.ascontiguousarray(enc).tobytes().hex()
    except OverflowError as e:
        out["encode_error"] = f"{type(e).__name__}: {e}"
        enc = np.arange(min(len(labels) + 3, 400)).astype(codec.astype)
        out["stored"] = enc.tobytes().hex()
    dec = codec.decode(enc)
    out["decoded"] = [str(v) for v in dec]
    if d != object:
        out["decoded_bytes"] = np.ascontiguousarray(dec).tobytes().hex()
    return out


def codec_cases():
    cs = []
    for dtype in ["|O", "<U4", ">U4", "<U2", "<U7"]:
        for astype in ["|u1", "|i1", "<u2", ">u2", "<i4", ">i8", "<f4", "<f2"]:
            cs.append(case(LABELS, dtype, astype, VALUES))
    # Duplicate labels (the later wins), the empty label, a label with a NUL inside and one
    # with trailing NULs (NumPy's U comparison ignores those), labels longer than U2.
    odd = ["ab", "ab", "", "a\x00b", "c\x00\x00", "abcdef"]
    vals = ["ab", "", "a\x00b", "c", "abcd", "abcdef", "zz", "ab"]
    for dtype in ["|O", "<U4", "<U8"]:
        cs.append(case(odd, dtype, "|u1", vals))
    # More labels than the astype can count: NumPy 2 raises when encoding.
    many = [f"l{i}" for i in range(300)]
    cs.append(case(many, "|O", "|u1", ["l1", "l299"]))
    cs.append(case(many, "<U4", "|i1", ["l1", "l299"]))
    cs.append(case(many, "<U4", "<u2", ["l1", "l299", "l0", "l300"]))
    # A float16 astype rounds codes above 2048 (labels 2047 and 2048 share the code 2048).
    f = [str(i) for i in range(2050)]
    cs.append(case(f, "|O", "<f2", ["1", "2047", "2048", "2049", "x"]))
    cs.append(case(LABELS, "|O", "|u1", []))
    return cs


def store_arrays():
    root = os.path.join(HERE, "zarr2")
    shutil.rmtree(root, ignore_errors=True)
    store = DirectoryStore(root)
    zarr.group(store=store, overwrite=True)
    rng = np.random.default_rng(11)
    out = {}

    def add(name, values, shape, dtype, chunks, filt, order="C", compressor=None,
            fill_value=""):
        d = np.dtype(dtype)
        data = np.array(values, dtype=object if d == object else d).reshape(shape)
        z = zarr.open_array(store, mode="w", path=name, shape=shape, chunks=chunks,
                            dtype=dtype, filters=[filt], compressor=compressor, order=order,
                            fill_value=fill_value)
        z[...] = data
        back = z[...]
        out[name] = {"dtype": z.dtype.str, "shape": list(shape),
                     "input": [str(v) for v in data.reshape(-1)],
                     "data": [str(v) for v in back.reshape(-1)]}

    pool = LABELS + ["", "other", "ƒöõx"]
    pick = lambda n: [pool[i] for i in rng.integers(0, len(pool), n)]
    C = numcodecs.Categorize
    add("O_u1", pick(20), (20,), object, (7,), C(LABELS, dtype=object))
    add("U4_u1", pick(20), (20,), "<U4", (7,), C(LABELS, dtype="<U4"))
    add("O_2d_zlib", pick(30), (5, 6), object, (2, 4), C(LABELS, dtype=object),
        compressor=numcodecs.Zlib(level=1))
    add("be_U4_le_u2_forder", pick(30), (6, 5), ">U4", (4, 3),
        C(LABELS, dtype=">U4", astype="<u2"), order="F")
    add("O_be_i2", pick(9), (9,), object, (4,), C(LABELS, dtype=object, astype=">i2"))
    many = [f"x{i}" for i in range(300)]
    add("U5_300_labels", [many[i] for i in rng.integers(0, 300, 12)] + ["nope"], (13,), "<U5",
        (5,), C(many, dtype="<U5", astype="<u2"))
    return out


def main():
    doc = {
        "generator": f"numcodecs {numcodecs.__version__}, numpy {np.__version__}, "
                     f"zarr {zarr.__version__}",
        "cases": codec_cases(),
        "zarr2": store_arrays(),
    }
    with open(os.path.join(HERE, "vectors.json"), "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=1, sort_keys=True, ensure_ascii=False)
        f.write("\n")


if __name__ == "__main__":
    main()
