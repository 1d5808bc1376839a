"""Reference vectors for the `scale_offset` codec.

No Python writer of this environment implements `scale_offset` (zarr-python 3.1.6 predates
it; zarr-python 2.18 has none). zarr-python's implementation (src/zarr/codecs/scale_offset.py
on its main branch) is three numpy expressions in the array's own dtype:
    encode: (arr - offset) * scale
    decode: arr // scale + offset   (integers)      arr / scale + offset   (floats)
with offset and scale numpy scalars of the array's dtype. This generator evaluates exactly
those expressions with numpy, so the vectors are what zarr-python computes; cases where
zarrs and zarrkit differ from it on purpose (encode overflow, which zarr-python wraps) are
marked "encode_overflows". Also writes hand-built stores (zarr.json by hand, chunks as
numpy's encode output) that the tests open through zarrkit's Array API.

Run with scripts/reference/generate.sh codec-scale-offset (numpy only).
"""

import json
import os
import shutil
import warnings

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
warnings.simplefilter("ignore")

NAMES = {
    "int8": np.int8, "int16": np.int16, "int32": np.int32, "int64": np.int64,
    "uint8": np.uint8, "uint16": np.uint16, "uint32": np.uint32, "uint64": np.uint64,
    "float16": np.float16, "float32": np.float32, "float64": np.float64,
}


def hexs(a):
    return a.astype(a.dtype.newbyteorder("<")).tobytes().hex()


def case(dtype, offset, scale, values, json_offset=None, json_scale=None):
    t = NAMES[dtype]
    a = np.array(values, dtype=t)
    o = t(offset)
    s = t(scale)
    with np.errstate(all="ignore"):
        enc = ((a - o) * s).astype(t)
        if np.issubdtype(a.dtype, np.integer):
            dec = (enc // s + o).astype(t)
            # Would a checked encode overflow? (zarrs and zarrkit: an error.)
            exact = (np.array(values, dtype=object) - int(offset)) * int(scale)
            info = np.iinfo(t)
            overflows = bool(any(v < info.min or v > info.max for v in exact))
        else:
            dec = (enc / s + o).astype(t)
            overflows = False
    return {
        "dtype": dtype,
        "offset": offset if json_offset is None else json_offset,
        "scale": scale if json_scale is None else json_scale,
        "input_le": hexs(a),
        "encoded_le": hexs(enc),
        "decoded_le": hexs(dec),
        "encode_overflows": overflows,
    }


def decode_case(dtype, offset, scale, stored):
    """Decode of stored values that are not multiples of scale (zarr-python's `//`)."""
    t = NAMES[dtype]
    a = np.array(stored, dtype=t)
    with np.errstate(all="ignore"):
        dec = (a // t(scale) + t(offset)).astype(t)
        trunc = [int(np.trunc(int(x) / int(scale))) + int(offset) for x in stored]
    return {
        "dtype": dtype,
        "offset": offset,
        "scale": scale,
        "stored_le": hexs(a),
        "numpy_floor_le": hexs(dec),
        "truncating_values": trunc,
    }


def write_store(name, dtype, offset, scale, data, chunks, fill, endian):
    t = NAMES[dtype]
    root = os.path.join(HERE, name)
    shutil.rmtree(root, ignore_errors=True)
    os.makedirs(os.path.join(root, "c"))
    conf = {}
    if offset is not None:
        conf["offset"] = offset
    if scale is not None:
        conf["scale"] = scale
    codec = {"name": "scale_offset"}
    if conf:
        codec["configuration"] = conf
    meta = {
        "zarr_format": 3, "node_type": "array", "shape": list(data.shape), "data_type": dtype,
        "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": chunks}},
        "chunk_key_encoding": {"name": "default", "configuration": {"separator": "/"}},
        "fill_value": fill,
        "codecs": [codec, {"name": "bytes", "configuration": {"endian": endian}}],
        "attributes": {},
    }
    with open(os.path.join(root, "zarr.json"), "w") as f:
        json.dump(meta, f, indent=2)
    o = t(offset if offset is not None else 0)
    s = t(scale if scale is not None else 1)
    grid = [-(-n // c) for n, c in zip(data.shape, chunks)]
    for idx in np.ndindex(*grid):
        chunk = np.full(chunks, fill, dtype=t)
        sl = tuple(slice(i * c, min((i + 1) * c, n)) for i, c, n in zip(idx, chunks, data.shape))
        part = data[sl]
        chunk[tuple(slice(0, k) for k in part.shape)] = part
        with np.errstate(all="ignore"):
            enc = ((chunk - o) * s).astype(t)
        path = os.path.join(root, "c", *map(str, idx))
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(enc.astype(enc.dtype.newbyteorder("<" if endian == "little" else ">")).tobytes())
    with np.errstate(all="ignore"):
        expected = ((((data - o) * s).astype(t) // s + o) if np.issubdtype(t, np.integer)
                    else (((data - o) * s).astype(t) / s + o)).astype(t)
    return {"store": name, "dtype": dtype, "expected_le": hexs(expected.ravel())}


def main():
    cases = [
        case("float32", 5, 0.1, [5.0, 6.0, -3.25, 1e30, 0.0, float("inf"), float("nan")]),
        case("float64", -273.15, 100.0, [0.0, 20.5, -40.0, 1e300, 5e-324]),
        case("float16", 2, 0.5, [2.0, 3.0, 65504.0, -1.0, 0.1]),
        case("float32", "NaN", 1, [1.0, 2.0], json_offset="NaN"),
        case("int16", 100, 3, [100, 103, -1000, 7000, 32767, -32768]),
        case("int8", -5, -2, [0, 1, -7, 50, 58, -68]),
        case("uint8", 10, 2, [10, 11, 100, 132, 140, 255, 0]),
        case("int32", 0, 1, [-(2**31), 2**31 - 1, 0]),
        case("int64", 2**40, 7, [2**40, 2**40 + 3, -(2**50), 2**60]),
        case("uint64", 1, 3, [1, 2, 2**64 - 1, 0]),
        case("uint32", 4000000000, 1, [4000000000, 4294967295, 5]),
    ]
    decodes = [
        decode_case("int16", 0, 2, [-7, -6, -1, 7, 0]),
        decode_case("int8", 3, -3, [-7, 7, 8, -128, 127]),
        decode_case("int32", -1, 5, [-2147483648, -11, 11]),
        decode_case("int8", 0, -1, [-128, 5]),
    ]
    stores = [
        write_store("float32_offset_scale", "float32", 5, 0.1,
                    (np.arange(30, dtype=np.float32) * 1.5 - 3).reshape(5, 6), [2, 4], 0.0, "little"),
        write_store("int16_big", "int16", -100, 3,
                    (np.arange(20, dtype=np.int16) * 37 - 300).reshape(4, 5), [3, 3], 7, "big"),
        write_store("uint8_identity", "uint8", None, None,
                    np.arange(10, dtype=np.uint8) * 25, [4], 1, "little"),
    ]
    with open(os.path.join(HERE, "vectors.json"), "w") as f:
        json.dump({
            "source": "numpy " + np.__version__ + " evaluating zarr-python's scale_offset expressions (no Python writer of scale_offset is installed); stores hand-built",
            "cases": cases, "decodes": decodes, "stores": stores,
        }, f, indent=1)


main()
