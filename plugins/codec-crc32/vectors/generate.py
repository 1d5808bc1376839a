"""Reference vectors for zarrkit-codec-crc32, written by numcodecs' `CRC32` (zlib.crc32)
and zarr-python 2.

Run with `scripts/reference/generate.sh codec-crc32`; writes `crc32.json` next to this file.

- `inputs`: the numcodecs fixture-style arrays (test_checksum32.py's list, fewer elements)
  plus a few byte strings, as the bytes the codec sees (memory order).
- `cases`: `CRC32(**config).encode(input)` for `CRC32()` (checksum at the start),
  `CRC32(location="start")` and `CRC32(location="end")` on every input.
- `arrays`: zarr-python 2 V2 arrays (every key of the store, hex) with CRC32 as the
  compressor or as a filter, and their data in C order.
"""

import json
import os
import zlib

import numcodecs
import numpy as np
import zarr
from numcodecs import CRC32

N = 32


def fixture_arrays():
    rng = np.random.default_rng(20240612)
    u8 = lambda hi: rng.integers(0, hi, size=N, dtype="<u8")  # noqa: E731
    nat = lambda: rng.integers(-(2**63), -(2**63) + 20, size=N, dtype="<i8")  # noqa: E731
    return [
        ("arange <i4", np.arange(N, dtype="<i4")),
        ("linspace <f8", np.linspace(1000, 1001, N, dtype="<f8")),
        ("normal <f8 (8, 4)", rng.normal(loc=1000, scale=1, size=(8, 4))),
        ("bool (8, 4) order F", rng.integers(0, 2, size=N).astype(bool).reshape(8, 4, order="F")),
        ("|S3 (2, 4, 4)", rng.choice([b"a", b"bb", b"ccc"], size=N).reshape(2, 4, 4)),
        ("<M8[ns]", u8(2**60).view("<M8[ns]")),
        ("<m8[ns]", u8(2**60).view("<m8[ns]")),
        ("<M8[m]", u8(2**25).view("<M8[m]")),
        ("<m8[m]", u8(2**25).view("<m8[m]")),
        ("<M8[ns] near NaT", nat().view("<M8[ns]")),
        ("<m8[ns] near NaT", nat().view("<m8[ns]")),
        ("<M8[m] near NaT", nat().view("<M8[m]")),
        ("<m8[m] near NaT", nat().view("<m8[m]")),
        ("empty", np.zeros(0, dtype="<u1")),
        ("one byte", np.array([0x61], dtype="<u1")),
        ("123456789", np.frombuffer(b"123456789", dtype="<u1")),
        ("3001 bytes", rng.integers(0, 256, size=3001, dtype="<u1")),
    ]


def memory_bytes(a):
    return a.tobytes(order="A")


CODECS = [CRC32(), CRC32(location="start"), CRC32(location="end")]


def v2_arrays():
    rng = np.random.default_rng(8)
    specs = [
        # (shape, chunks, dtype, order, compressor, filters, data)
        ((10, 6), (4, 4), "<i4", "C", CRC32(), None, np.arange(60, dtype="<i4").reshape(10, 6) * 7 - 100),
        ((10, 6), (4, 4), "<f8", "F", CRC32(location="end"), None, rng.normal(size=(10, 6))),
        ((3, 4, 5), (2, 4, 5), "|S3", "C", None, [CRC32()], rng.choice([b"a", b"bb", b"ccc"], size=60).reshape(3, 4, 5)),
        (
            (50,),
            (16,),
            "<M8[ns]",
            "C",
            CRC32(location="start"),
            [CRC32(location="end")],
            rng.integers(0, 2**60, size=50, dtype="<i8").view("<M8[ns]"),
        ),
        ((20,), (20,), ">i2", "C", CRC32(), None, np.arange(20, dtype=">i2") - 10),
    ]
    out = []
    for shape, chunks, dtype, order, comp, filters, data in specs:
        store = {}
        a = zarr.open_array(
            store, mode="w", shape=shape, chunks=chunks, dtype=dtype, compressor=comp, filters=filters, order=order, fill_value=None
        )
        a[...] = data
        back = a[...]
        assert (back == data).all()
        c_order = np.ascontiguousarray(back)
        native = c_order.astype(c_order.dtype.newbyteorder("<")) if c_order.dtype.byteorder == ">" else c_order
        out.append(
            {
                "keys": {k: bytes(v).hex() for k, v in sorted(store.items())},
                "dtype": dtype,
                "shape": list(shape),
                "data": native.tobytes().hex(),
            }
        )
    return out


def main():
    inputs = fixture_arrays()
    cases = []
    for codec in CODECS:
        for i, (_, arr) in enumerate(inputs):
            enc = bytes(codec.encode(arr))
            assert bytes(codec.decode(enc)) == memory_bytes(arr)
            cases.append(
                {
                    "config": json.loads(json.dumps(codec.get_config())),
                    "input": i,
                    "checksum": zlib.crc32(memory_bytes(arr)),
                    "encoded": enc.hex(),
                }
            )
    doc = {
        "generator": "plugins/codec-crc32/vectors/generate.py",
        "numcodecs": numcodecs.__version__,
        "numpy": np.__version__,
        "zarr": zarr.__version__,
        "inputs": [{"name": n, "hex": memory_bytes(a).hex()} for n, a in inputs],
        "cases": cases,
        "arrays": v2_arrays(),
    }
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "crc32.json"), "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
