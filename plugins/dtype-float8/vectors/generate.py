"""Reference vectors for zarrkit-dtype-float8, from ml_dtypes (the Python implementation the
zarr-extensions data type READMEs point to).

Run with `scripts/reference/generate.sh dtype-float8` (ml_dtypes 0.7.0, numpy 2.4.6). Writes
`ml_dtypes.json` next to this file:

- `decode`: for every bit pattern of the format (16 / 64 / 256), the value ml_dtypes gives,
  as the 16 hex digits of an f64's bits (exact; NaN as any NaN).
- `ml_dtypes_decode_all` (4- and 6-bit types): ml_dtypes' value for all 256 byte values.
  ml_dtypes does NOT ignore the upper bits (it reads 0x17 as float4 -6.0); the spec says they
  are ignored, which zarrkit follows. Kept to document the difference.
- `encode`: f64 inputs (hex bits) and the byte `numpy.array(x, float64).astype(T)` gives:
  every value, every midpoint between neighbours (ties) and the f64 values either side of
  it, values that overflow and underflow, +-0, +-inf, +-NaN, f64 values that would round
  differently through float32, and seeded random values.
- `finfo`: ml_dtypes.finfo max / smallest_normal / smallest_subnormal.
- `fill`: fill-value JSON text and the expected bytes (hex) or null for "must be rejected".
  Numbers go through ml_dtypes (`float64(x).astype(T)`); "NaN" / "Infinity" / "-Infinity"
  are accepted exactly when ml_dtypes can represent them (and then give ml_dtypes' byte,
  which is the one the zarr-extensions READMEs name); hex strings are the zarr-extensions
  rule (the raw bits; for 4- and 6-bit types at most 2^N - 1).
- `complex_fill`: the same for `[re, im]` of the complex_* types, built on the component.
"""

import json
import random
import struct

import ml_dtypes
import numpy as np

FORMATS = {
    "float4_e2m1fn": 4,
    "float6_e2m3fn": 6,
    "float6_e3m2fn": 6,
    "float8_e3m4": 8,
    "float8_e4m3": 8,
    "float8_e4m3fn": 8,
    "float8_e4m3fnuz": 8,
    "float8_e4m3b11fnuz": 8,
    "float8_e5m2": 8,
    "float8_e5m2fnuz": 8,
    "float8_e8m0fnu": 8,
}


def f64_hex(x):
    return "%016x" % struct.unpack("<Q", struct.pack("<d", float(x)))[0]


def from_hex(h):
    return struct.unpack("<d", struct.pack("<Q", int(h, 16)))[0]


def encode(dt, xs):
    return [int(b) for b in np.array(xs, dtype=np.float64).astype(dt).view(np.uint8)]


def decode(dt, bits):
    return np.array(bits, dtype=np.uint8).view(dt).astype(np.float64)


def next_after(x, d):
    return float(np.nextafter(np.float64(x), np.float64(d)))


def main():
    rng = random.Random(20261124)
    out = {"ml_dtypes": ml_dtypes.__version__, "numpy": np.__version__, "types": {}}
    for name, nbits in FORMATS.items():
        dt = getattr(ml_dtypes, name)
        n = 1 << nbits
        values = decode(dt, list(range(n)))
        t = {"bits": nbits}
        t["decode"] = [f64_hex(v) for v in values]
        if nbits < 8:
            t["ml_dtypes_decode_all"] = [f64_hex(v) for v in decode(dt, list(range(256)))]
        fi = ml_dtypes.finfo(dt)
        t["finfo"] = {
            "max": float(fi.max),
            "smallest_normal": float(fi.smallest_normal),
            "smallest_subnormal": float(fi.smallest_subnormal),
        }
        finite = sorted({float(v) for v in values if np.isfinite(v)})
        xs = []
        for v in finite:
            xs += [v, -v]
        for a, b in zip(finite, finite[1:]):
            mid = (a + b) / 2
            for m in (mid, -mid):
                xs += [m, next_after(m, np.inf), next_after(m, -np.inf)]
                # Values within float32 rounding of the tie: rounding through float32 first
                # (double rounding) would land on the tie and round to even instead.
                xs += [m * (1 + 2.0**-30), m * (1 - 2.0**-30)]
        big = max(finite)
        tiny = min(v for v in finite if v > 0)
        xs += [big * 1.0625, big * 1.125, big * 1.5, big * 2, big * 1e10, 1e300, -1e300,
               tiny / 2, next_after(tiny / 2, np.inf), next_after(tiny / 2, 0), tiny / 4,
               tiny * 0.75, 1e-300, 5e-324, -5e-324,
               0.0, -0.0, np.inf, -np.inf, np.nan, -np.nan]
        for _ in range(200):
            e = rng.uniform(np.log2(tiny) - 3, np.log2(big) + 3)
            xs.append(rng.choice([1, -1]) * 2.0**e)
        ys = encode(dt, xs)
        t["encode"] = [[f64_hex(x), y] for x, y in zip(xs, ys)]

        nan_bits = encode(dt, [np.nan])[0]
        has_nan = bool(np.isnan(decode(dt, [nan_bits])[0]))
        inf_bits = encode(dt, [np.inf, -np.inf])
        has_inf = bool(np.isinf(decode(dt, [inf_bits[0]])[0]))
        t["has_nan"], t["has_inf"] = has_nan, has_inf
        fill = []
        for v in [0, 0.0, -0.0, 1, 1.5, -2.5, 0.1, 0.3, 2, 6, 7.5, 28, 15.5, 240, 448, 57344,
                  1e10, -1e10, 1e-10, 123456789, 1e300, -3, 2.0**-127, 2.0**127, 2.0**128]:
            fill.append([json.dumps(v), "%02x" % encode(dt, [v])[0]])
        fill.append(['"NaN"', "%02x" % nan_bits if has_nan else None])
        fill.append(['"Infinity"', "%02x" % inf_bits[0] if has_inf else None])
        fill.append(['"-Infinity"', "%02x" % inf_bits[1] if has_inf else None])
        limit = (1 << nbits) - 1
        for h in ["0x00", "0x0", "0x7", "0x07", "0x0f", "0x1f", "0x3f", "0x40", "0x7c",
                  "0x7f", "0x80", "0xfe", "0xff", "0xFF", "0x10"]:
            v = int(h, 16)
            fill.append([json.dumps(h), "%02x" % v if v <= limit else None])
        for bad in ['"0x100"', '"0x"', '"0xzz"', '"0x-1"', '"nan"', '"inf"', '"+Infinity"',
                    '"1.5"', "null", "true", "[1.0]", "{}", '""']:
            fill.append([bad, None])
        t["fill"] = fill
        cfill = []
        for re_, im in [(0.0, 0.0), (1.5, -2.0), (-0.0, 0.5), (1e10, 0.1)]:
            cfill.append([json.dumps([re_, im]), "%02x%02x" % tuple(encode(dt, [re_, im]))])
        cfill.append(['["NaN", 1.0]',
                      ("%02x%02x" % (nan_bits, encode(dt, [1.0])[0])) if has_nan else None])
        cfill.append(['[1.0, "Infinity"]',
                      ("%02x%02x" % (encode(dt, [1.0])[0], inf_bits[0])) if has_inf else None])
        cfill.append(['["0x01", "0x02"]', "0102"])
        for bad in ["1.0", "[1.0]", "[1.0, 2.0, 3.0]", '["x", 1.0]', "null", "[null, 1.0]"]:
            cfill.append([bad, None])
        t["complex_fill"] = cfill
        out["types"][name] = t
    with open("ml_dtypes.json", "w") as f:
        json.dump(out, f, separators=(",", ":"))
        f.write("\n")


main()
