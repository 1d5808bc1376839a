"""Reference vectors for zarrkit-codec-base64, written by numcodecs' `Base64` (Python's
`base64.standard_b64encode` / `standard_b64decode`) and zarr-python 2.

Run with `scripts/reference/generate.sh codec-base64`; writes `base64.json` next to this
file.

- `inputs` / `cases`: the numcodecs fixture-style arrays (test_base64.py's list, fewer
  elements) and a few byte strings of every length mod 3, encoded by `Base64()`.
- `decode`: what `Base64().decode` makes of non-canonical input (characters outside the
  alphabet are skipped, decoding stops at the padding that completes a quantum, excess `=`
  are ignored, non-zero trailing bits are dropped): the decoded bytes, or null where Python
  raises (`binascii.Error`: incorrect padding, a lone character).
- `arrays`: zarr-python 2 V2 arrays (every key, hex) with Base64 as compressor and as
  filter, and their data in C order.
"""

import json
import os

import numcodecs
import numpy as np
import zarr
from numcodecs import Base64

N = 32


def fixture_arrays():
    rng = np.random.default_rng(20240614)
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
        ("1 byte", np.array([0xFB], dtype="<u1")),
        ("2 bytes", np.array([0xFF, 0xEF], dtype="<u1")),
        ("every byte value", np.arange(256, dtype="<u1")),
    ]


def memory_bytes(a):
    return a.tobytes(order="A")


NONCANONICAL = [
    b"QQ==garbage",
    b"QQ=",
    b"QQ",
    b"Q",
    b"QUJD=",
    b"Q=Q==",
    b"QQ=\nQ=",
    b"QUJD\nREVG",
    b"QU JD",
    b"QUI",
    b"QUI=",
    b"QUI==",
    b"QUJ=",
    b"QR==",
    b"====",
    b"",
    b"=",
    b"QQ==QQ==",
    b"Q\x80Q==",
    b"QUJDRA",
    b"QUJDRA=",
    b"QUJDRA==",
    b"QUJDRA===",
    b"QUJD====",
    b"!!!!",
    b"QQ!==",
    b"-_-_",
    b"QUJD\r\nREVG\r\n",
    b"QUJDREVGR0g=\n",
    b"\xff\xfeQUJD",
    b"QUJDRUZH",
    b"QUJDRUZ",
    b"QUJDRU",
    b"QUJDR",
]


def v2_arrays():
    rng = np.random.default_rng(10)
    specs = [
        ((10, 6), (4, 4), "<i4", "C", Base64(), None, np.arange(60, dtype="<i4").reshape(10, 6) * 7 - 100),
        ((10, 6), (4, 4), "<f8", "F", Base64(), None, rng.normal(size=(10, 6))),
        ((3, 4, 5), (2, 4, 5), "|S3", "C", None, [Base64()], rng.choice([b"a", b"bb", b"ccc"], size=60).reshape(3, 4, 5)),
        ((7,), (5,), "|u1", "C", Base64(), [Base64()], np.arange(7, dtype="u1")),
        ((20,), (20,), ">i2", "C", Base64(), None, np.arange(20, dtype=">i2") - 10),
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
    codec = Base64()
    cases = []
    for i, (_, arr) in enumerate(inputs):
        enc = bytes(codec.encode(arr))
        assert bytes(codec.decode(enc)) == memory_bytes(arr)
        cases.append({"input": i, "encoded": enc.decode("ascii")})
    decode = []
    for s in NONCANONICAL:
        try:
            out = bytes(codec.decode(np.frombuffer(s, dtype="u1"))).hex()
        except Exception:
            out = None
        decode.append({"encoded_hex": s.hex(), "decoded": out})
    doc = {
        "generator": "plugins/codec-base64/vectors/generate.py",
        "numcodecs": numcodecs.__version__,
        "numpy": np.__version__,
        "zarr": zarr.__version__,
        "config": codec.get_config(),
        "inputs": [{"name": n, "hex": memory_bytes(a).hex()} for n, a in inputs],
        "cases": cases,
        "decode": decode,
        "arrays": v2_arrays(),
    }
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "base64.json"), "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
