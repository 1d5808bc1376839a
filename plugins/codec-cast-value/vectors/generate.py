"""Reference vectors for the `cast_value` codec.

No Python writer of this environment implements `cast_value` (zarr-python 3.1.6 predates
it; its later `cast_value.py` calls the Rust package cast-value-rs, not installed here).
So the vectors come from:
- numpy 2.x casts, the reference semantics the spec's "nearest-even" and "wrap" follow:
  float narrowing and int->float (`astype`, IEEE round to nearest, ties to even; overflow
  gives +-inf = the spec's `clamp` for float targets), int->int `astype` (two's complement
  wrap = `wrap`);
- numpy's rounding primitives for float->int (`rint`, `trunc`, `ceil`, `floor`; Python
  `fractions` for `nearest-away`), then exact Python integers for range, clamp and wrap;
- the directed modes of float->float and int->float derived from numpy's nearest cast and
  `nextafter` (step back when the nearest value lies on the wrong side; `nearest-away`
  moves off an exact midpoint, found with `fractions`);
- the spec README's own examples and the zarrs test tables quoted in the extensions notes
  (hand-built from that text);
- numcodecs 0.15 `FixedScaleOffset` (float32 -> uint8 / int16), which the scale_offset
  README says equals [scale_offset, cast_value{out_of_range: wrap}]: its encoded bytes.
It also writes hand-built stores (zarr.json by hand, chunks computed as above) that the
tests open through zarrkit's Array API.

Run with scripts/reference/generate.sh codec-cast-value.
"""

import json
import os
import shutil
import warnings
from fractions import Fraction

import numcodecs
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
warnings.simplefilter("ignore")

T = {
    "int8": np.int8, "int16": np.int16, "int32": np.int32, "int64": np.int64,
    "uint8": np.uint8, "uint16": np.uint16, "uint32": np.uint32, "uint64": np.uint64,
    "float16": np.float16, "float32": np.float32, "float64": np.float64,
}


def le(values, dtype):
    return np.array(values, dtype=np.dtype(T[dtype]).newbyteorder("<")).tobytes().hex()


def is_int(dtype):
    return np.issubdtype(T[dtype], np.integer)


def round_int(x, mode):
    """x: a Python float (finite). Returns a Python int."""
    if mode == "nearest-even":
        return int(np.rint(x))
    if mode == "towards-zero":
        return int(np.trunc(x))
    if mode == "towards-positive":
        return int(np.ceil(x))
    if mode == "towards-negative":
        return int(np.floor(x))
    f = Fraction(x)
    fl = f.numerator // f.denominator
    frac = f - fl
    if frac > Fraction(1, 2) or (frac == Fraction(1, 2) and f > 0):
        return fl + 1
    return fl


def to_int_target(v, target, mode, oor):
    """v: Python int or float. Returns a Python int or 'error'."""
    info = np.iinfo(T[target])
    if isinstance(v, float):
        if v != v or v in (float("inf"), float("-inf")):
            return "error"
        v = round_int(v, mode)
    if info.min <= v <= info.max:
        return v
    if oor == "clamp":
        return max(info.min, min(info.max, v))
    if oor == "wrap":
        bits = info.bits
        r = v % (1 << bits)
        if info.min < 0 and r >= 1 << (bits - 1):
            r -= 1 << bits
        return r
    return "error"


def to_float_target(v, target, mode, oor):
    """v: Python int or float. Returns a numpy scalar of the target or 'error'."""
    t = T[target]
    finfo = np.finfo(t)
    if isinstance(v, float) and (v != v or abs(v) == float("inf")):
        return t(v)
    # numpy's nearest (ties to even) cast.
    if isinstance(v, int):
        y = t(np.int64(v)) if -(2**63) <= v < 2**63 else t(np.uint64(v))
    else:
        y = t(np.float64(v))
    exact = Fraction(v)
    if mode == "nearest-even":
        # numpy's cast is the answer; its overflow to infinity is out of range.
        if np.isinf(y):
            return y if oor == "clamp" else "error"
        return y
    if np.isinf(y) or abs(exact) > Fraction(float(finfo.max)):
        return None  # not derived here (hand-built cases cover it)
    if mode == "towards-zero":
        if abs(Fraction(float(y))) > abs(exact):
            y = np.nextafter(y, t(0))
    elif mode == "towards-positive":
        if Fraction(float(y)) < exact:
            y = np.nextafter(y, t(np.inf))
    elif mode == "towards-negative":
        if Fraction(float(y)) > exact:
            y = np.nextafter(y, t(-np.inf))
    elif mode == "nearest-away":
        fy = Fraction(float(y))
        if fy != exact:
            other = np.nextafter(y, t(np.inf) if exact > fy else t(-np.inf))
            if not np.isinf(other) and (fy + Fraction(float(other))) == 2 * exact and abs(Fraction(float(other))) > abs(fy):
                y = other
    if np.isinf(y):
        return None
    return y


def cast_case(source, target, values, rounding="nearest-even", oor=None, source_note="numpy"):
    conf = {"data_type": target}
    if rounding != "nearest-even":
        conf["rounding"] = rounding
    if oor is not None:
        conf["out_of_range"] = oor
    inputs = np.array(values, dtype=T[source])
    expected = []
    for x in inputs:
        v = int(x) if is_int(source) else float(x)
        r = to_int_target(v, target, rounding, oor) if is_int(target) else to_float_target(v, target, rounding, oor)
        if r is None:
            return None
        expected.append(r)
    errors = [i for i, r in enumerate(expected) if isinstance(r, str)]
    ok = [r if not isinstance(r, str) else 0 for r in expected]
    return {
        "source": source,
        "configuration": conf,
        "input_le": le(list(inputs), source),
        "expected_le": le(ok, target),
        "errors": errors,
        "from": source_note,
    }


def main():
    casts = []
    floats64 = [0.0, -0.0, 1.5, -2.5, 0.1, 1e-40, -1e-45, 5e-324, 3.4028234663852886e38,
                3.4028235677973366e38, 65504.0, 65519.99, 65520.0, 6.103515625e-05, 5.96e-08,
                2.98023223876953125e-08, -123456.789, 1e300, float("nan"), float("inf"),
                float("-inf"), 2.0**-149, 2.0**-150, 3 * 2.0**-151, 1 + 2.0**-24, 1 + 3 * 2.0**-24]
    # Float narrowing, nearest-even: numpy astype (overflow = inf = clamp).
    for tgt in ["float32", "float16"]:
        casts.append(cast_case("float64", tgt, floats64, oor="clamp"))
    casts.append(cast_case("float32", "float16", [np.float32(x) for x in floats64 if abs(x) < 3e38 or x != x], oor="clamp"))
    # Directed modes on values inside the finite range.
    finite = [x for x in floats64 if x == x and abs(x) <= 65504.0]
    for mode in ["towards-zero", "towards-positive", "towards-negative", "nearest-away"]:
        casts.append(cast_case("float64", "float32", [x for x in floats64 if x == x and abs(x) <= 3.4e38], rounding=mode))
        casts.append(cast_case("float64", "float16", finite, rounding=mode))
    # Int -> float.
    big = [0, 1, -1, 2**24 + 1, 2**24 + 3, -(2**53) - 1, 2**62 + 2**38 + 1, -(2**63), 2**63 - 1, 123456789, 16777217, 33554435]
    for mode in ["nearest-even", "towards-zero", "towards-positive", "towards-negative", "nearest-away"]:
        casts.append(cast_case("int64", "float32", big, rounding=mode))
        casts.append(cast_case("int64", "float64", big, rounding=mode))
    casts.append(cast_case("uint64", "float32", [2**64 - 1, 2**63 + 2**39, 2**40 + 1, 0]))
    casts.append(cast_case("uint64", "float64", [2**64 - 1, 2**53 + 1, 2**63 + 1025]))
    casts.append(cast_case("int32", "float16", [65504, 65519, 65520, 2049, 2051, -70000], oor="clamp"))
    # Float -> int, every mode, with and without out_of_range.
    fvals = [1.5, 2.5, -1.5, -2.5, 0.5, -0.5, 0.49999999999999994, 127.5, 128.0, -128.5, 300.7, -300.7, 1e10, -1e19, 3.0e38, 0.0, -0.0]
    for mode in ["nearest-even", "towards-zero", "towards-positive", "towards-negative", "nearest-away"]:
        for oor in [None, "clamp", "wrap"]:
            for tgt in ["int8", "uint8", "int64"]:
                casts.append(cast_case("float64", tgt, fvals, rounding=mode, oor=oor))
    casts.append(cast_case("float32", "uint8", [np.float32(3.4028235e38), np.float32(2.0**127), np.float32(-3.4028235e38), 255.5, 256.0], oor="wrap", source_note="zarrs test: huge floats wrap to 0 (multiples of 256)"))
    casts.append(cast_case("float32", "uint8", [np.float32(3.4028235e38), -1.0], oor="clamp"))
    casts.append(cast_case("float32", "int8", [np.float32(3.4028235e38), float("nan"), float("inf")], oor="clamp"))
    # Int -> int: numpy astype wraps; clamp and error by exact integers.
    ivals = [0, 127, 128, 129, -129, 32767, 32768, 32769, -32769, -1, 2**31, -(2**63), 2**63 - 1]
    for oor in [None, "clamp", "wrap"]:
        for tgt in ["int8", "uint8", "int16", "uint32"]:
            casts.append(cast_case("int64", tgt, ivals, oor=oor))
    casts.append(cast_case("uint64", "int8", [2**64 - 1, 255, 128], oor="wrap"))
    casts.append(cast_case("int16", "int8", [127, 128, 129, -129], oor="wrap", source_note="zarrs test"))
    casts.append(cast_case("uint8", "float16", list(range(0, 256, 17))))
    casts.append(cast_case("int8", "float64", [-128, 0, 127]))
    casts = [c for c in casts if c is not None]
    # numpy's own astype for int->int wrap must agree with the exact derivation.
    for c in casts:
        if c["source"] == "int64" and c["configuration"].get("out_of_range") == "wrap" and is_int(c["configuration"]["data_type"]):
            a = np.frombuffer(bytes.fromhex(c["input_le"]), dtype="<i8").astype(T[c["configuration"]["data_type"]])
            assert a.astype(a.dtype.newbyteorder("<")).tobytes().hex() == c["expected_le"], c

    # The README's examples, hand-built from its text.
    spec = [
        {"source": "float64", "configuration": {"data_type": "int8"}, "input": [128.0], "expected": "error"},
        {"source": "float64", "configuration": {"data_type": "int8", "out_of_range": "clamp"}, "input": [128.0], "expected": [127]},
        {"source": "float64", "configuration": {"data_type": "int8", "out_of_range": "wrap"}, "input": [128.0], "expected": [-128]},
        {"source": "int32", "configuration": {"data_type": "int16", "out_of_range": "wrap"}, "input": [32768, 32769, -32769], "expected": [-32768, -32767, 32767]},
        {"source": "uint16", "configuration": {"data_type": "uint8"}, "input": [0], "expected": [0]},
        # The NumPy-compatibility example (with the README's "+Infinity").
        {"source": "float64", "configuration": {"data_type": "uint8", "rounding": "towards-zero", "out_of_range": "wrap",
                                                 "scalar_map": {"encode": [["NaN", 0], ["+Infinity", 0], ["-Infinity", 0]]}},
         "input": ["NaN", "Infinity", "-Infinity", 300.7, -1.5, 255.9], "expected": [0, 0, 0, 44, 255, 255]},
        # zarrs: scalar_map wins over clamp.
        {"source": "float32", "configuration": {"data_type": "uint8", "out_of_range": "clamp", "scalar_map": {"encode": [[1.5, 42], ["NaN", 7]]}},
         "input": [1.5, 300, "NaN"], "expected": [42, 255, 7]},
        # First occurrence of a repeated key wins.
        {"source": "int16", "configuration": {"data_type": "int8", "scalar_map": {"encode": [[1000, 1], [1000, 2]]}},
         "input": [1000, 5], "expected": [1, 5]},
        # NaN -> int needs a map; any NaN matches a NaN key.
        {"source": "float32", "configuration": {"data_type": "int16"}, "input": ["NaN"], "expected": "error"},
        {"source": "float32", "configuration": {"data_type": "int16", "scalar_map": {"encode": [["NaN", -1]]}}, "input": ["0x7fc00001", "0xffc00000", 2.0], "expected": [-1, -1, 2]},
        # Out of range into a float without out_of_range is an error; clamp gives infinity.
        {"source": "float64", "configuration": {"data_type": "float32"}, "input": [1e300], "expected": "error"},
        {"source": "float64", "configuration": {"data_type": "float32", "out_of_range": "clamp"}, "input": [1e300, -1e300], "expected": ["Infinity", "-Infinity"]},
        {"source": "float64", "configuration": {"data_type": "float16", "rounding": "towards-zero", "out_of_range": "clamp"}, "input": [65519.0, 65536.0, 1e6], "expected": [65504.0, "Infinity", "Infinity"]},
    ]
    # zarrs' f32 -> int8 rounding table.
    table = {"nearest-even": [2, 2, -2, -2], "towards-zero": [1, 2, -1, -2], "towards-positive": [2, 3, -1, -2],
             "towards-negative": [1, 2, -2, -3], "nearest-away": [2, 3, -2, -3]}
    for mode, want in table.items():
        spec.append({"source": "float32", "configuration": {"data_type": "int8", "rounding": mode}, "input": [1.5, 2.5, -1.5, -2.5], "expected": want})

    # numcodecs FixedScaleOffset == [scale_offset, cast_value(wrap)]: its encoded bytes.
    fso = []
    rng = np.random.default_rng(7)
    for astype, offset, scale, lo, hi in [("u1", 10, 0.5, 10, 135), ("i2", -3.5, 100.0, -300, 300), ("u1", 0, 2.0, 0, 127)]:
        data = rng.uniform(lo, hi, 200).astype(np.float32)
        data[:4] = [lo, hi, (lo + hi) / 2 + 0.25 / scale, offset + 0.5 / scale]  # a tie
        c = numcodecs.FixedScaleOffset(offset=offset, scale=scale, dtype="<f4", astype=astype)
        enc = c.encode(data)
        dec = c.decode(enc)
        fso.append({
            "offset": offset, "scale": scale, "astype": {"u1": "uint8", "i2": "int16"}[astype],
            "data_le": data.astype("<f4").tobytes().hex(),
            "encoded_le": np.asarray(enc).astype(np.dtype(astype).newbyteorder("<")).tobytes().hex(),
            "numcodecs_decoded_le": np.asarray(dec).astype("<f4").tobytes().hex(),
        })

    stores = []
    # float64 -> uint8 with the NumPy-compatibility configuration, and a fill value of NaN.
    def write_store(name, dtype, data, chunks, fill, codecs, encode_chunk):
        root = os.path.join(HERE, name)
        shutil.rmtree(root, ignore_errors=True)
        os.makedirs(os.path.join(root, "c"))
        meta = {"zarr_format": 3, "node_type": "array", "shape": list(data.shape), "data_type": dtype,
                "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": chunks}},
                "chunk_key_encoding": {"name": "default", "configuration": {"separator": "/"}},
                "fill_value": fill, "codecs": codecs, "attributes": {}}
        with open(os.path.join(root, "zarr.json"), "w") as f:
            json.dump(meta, f, indent=2)
        grid = [-(-n // c) for n, c in zip(data.shape, chunks)]
        fillv = np.nan if fill == "NaN" else fill
        for idx in np.ndindex(*grid):
            chunk = np.full(chunks, fillv, dtype=data.dtype)
            sl = tuple(slice(i * c, min((i + 1) * c, n)) for i, c, n in zip(idx, chunks, data.shape))
            part = data[sl]
            chunk[tuple(slice(0, k) for k in part.shape)] = part
            path = os.path.join(root, "c", *map(str, idx))
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as f:
                f.write(encode_chunk(chunk))

    def numpy_compat(chunk):
        out = []
        for x in chunk.ravel():
            x = float(x)
            if x != x or abs(x) == float("inf"):
                out.append(0)
            else:
                out.append(int(np.trunc(x)) % 256)
        return np.array(out, dtype="<u1").tobytes()

    d = np.array([[0.5, 255.9, 256.0, -1.0], [300.7, np.nan, np.inf, -np.inf], [1e3, 7.0, 8.5, 9.99]])
    write_store("numpy_compat_float64_uint8", "float64", d, [2, 4], 0.0, [
        {"name": "cast_value", "configuration": {"data_type": "uint8", "rounding": "towards-zero", "out_of_range": "wrap",
                                                  "scalar_map": {"encode": [["NaN", 0], ["+Infinity", 0], ["-Infinity", 0]]}}},
        {"name": "bytes"}], numpy_compat)
    dec = np.frombuffer(b"".join(numpy_compat(np.pad(d, ((0, 1), (0, 0)))[r:r + 2]) for r in (0, 2)), dtype="u1").astype(np.float64)
    stores.append({"store": "numpy_compat_float64_uint8", "dtype": "float64",
                   "expected": dec.reshape(4, 4)[:3].ravel().tolist()})

    # float32 temperatures -> [scale_offset, cast_value int16 clamp], big-endian int16.
    t = (np.arange(24, dtype=np.float32).reshape(4, 6) * 1.37 - 12.0).astype(np.float32)
    t[0, 0] = -400.0  # clamps
    def sc(chunk):
        enc = (chunk - np.float32(-10)) * np.float32(100)
        q = np.clip(np.rint(enc), -32768, 32767).astype(">i2")
        return q.tobytes()
    write_store("scale_offset_then_int16", "float32", t, [3, 4], 20.5, [
        {"name": "scale_offset", "configuration": {"offset": -10, "scale": 100}},
        {"name": "cast_value", "configuration": {"data_type": "int16", "out_of_range": "clamp"}},
        {"name": "bytes", "configuration": {"endian": "big"}}], sc)
    full = np.full((6, 8), 20.5, dtype=np.float32)
    full[:4, :6] = t
    q = np.clip(np.rint((full - np.float32(-10)) * np.float32(100)), -32768, 32767).astype(np.int16)
    back = (q.astype(np.float32) / np.float32(100) + np.float32(-10)).astype(np.float32)
    stores.append({"store": "scale_offset_then_int16", "dtype": "float32", "expected": back[:4, :6].ravel().astype(np.float64).tolist()})

    with open(os.path.join(HERE, "vectors.json"), "w") as f:
        json.dump({"source": f"numpy {np.__version__}, numcodecs {numcodecs.__version__}; see generate.py",
                   "casts": casts, "spec": spec, "fixedscaleoffset": fso, "stores": stores}, f, indent=1)
    print(len(casts), "casts,", len(spec), "spec cases")


main()
