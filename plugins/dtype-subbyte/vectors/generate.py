"""Reference vectors for zarrkit-dtype-subbyte, from ml_dtypes (the Python implementation the
zarr-extensions int2/int4/uint2/uint4 READMEs point to).

Run with `scripts/reference/generate.sh dtype-subbyte` (ml_dtypes 0.7.0, numpy 2.4.6).
Writes `ml_dtypes.json` next to this file, per type:

- `decode`: the value ml_dtypes reads from each of the 256 byte values (it ignores the
  upper bits, as the spec says).
- `encode`: the byte ml_dtypes stores for each value of the range (the value masked to N
  bits: upper bits zero).
- `fill`: fill-value JSON text and the expected byte (hex; the value as ml_dtypes stores it)
  or null for "must be rejected" (the core integer rules: a JSON integer in the range).
"""

import json

import ml_dtypes
import numpy as np

TYPES = {"int2": (2, -2, 1), "int4": (4, -8, 7), "uint2": (2, 0, 3), "uint4": (4, 0, 15)}


def main():
    out = {"ml_dtypes": ml_dtypes.__version__, "numpy": np.__version__, "types": {}}
    for name, (bits, lo, hi) in TYPES.items():
        dt = getattr(ml_dtypes, name)
        info = ml_dtypes.iinfo(dt)
        assert (int(info.min), int(info.max), int(info.bits)) == (lo, hi, bits)
        t = {"bits": bits, "min": lo, "max": hi}
        t["decode"] = [int(v) for v in np.arange(256, dtype=np.uint8).view(dt).astype(np.int64)]
        values = list(range(lo, hi + 1))
        t["encode"] = [[v, int(b)] for v, b in
                       zip(values, np.array(values, dtype=np.int64).astype(dt).view(np.uint8))]
        fill = []
        for v in values:
            fill.append([json.dumps(v), "%02x" % int(np.array([v]).astype(dt).view(np.uint8)[0])])
        for v in [lo - 1, hi + 1, 256, -129, 2**64]:
            fill.append([json.dumps(v), None])
        for bad in ["1.0", "0.5", '"1"', '"0x1"', "null", "true", "[1]", '"NaN"', "1e0"]:
            fill.append([bad, None])
        t["fill"] = fill
        out["types"][name] = t
    with open("ml_dtypes.json", "w") as f:
        json.dump(out, f, indent=0, separators=(",", ":"))
        f.write("\n")


main()
