"""Reference vectors for zarrkit-codec-lzma, written by numcodecs' `LZMA` (Python's `lzma`,
i.e. the system liblzma) and zarr-python 2.

Run with `scripts/reference/generate.sh codec-lzma`; writes `lzma.json` next to this file.

- `inputs`: the numcodecs fixture-style arrays (test_lzma.py's list, fewer elements): their
  bytes as the codec sees them (memory order, so Fortran order for the F-ordered one).
- `cases`: `LZMA(**config).encode(input)` for the fixture codecs (xz with the default check
  and presets null/1/5/9, raw LZMA2 preset 1) on every input, plus xz with each check type,
  preset 6 and 9|extreme, the `alone` format, raw chains (delta, BCJ, LZMA1, explicit LZMA
  options) and xz with a filter chain on a few inputs. `numcodecs_decodes` is false where
  numcodecs cannot decode its own output (`filters` with a format other than raw: Python's
  `lzma.decompress` refuses filters except with FORMAT_RAW).
- `decode_only`: inputs numcodecs decodes that it does not write itself: format 0 (auto)
  on xz and .lzma streams, two concatenated xz, .lzma and raw streams.
- `deviations`: trailing data where Python's `lzma.decompress` and the .xz format differ
  (stream padding, garbage): Python's result (null for an error) and zarrkit's.
- `arrays`: zarr-python 2 V2 arrays (every key of the store, hex) and their data in C order.
"""

import ctypes
import ctypes.util
import json
import lzma
import os

import numcodecs
import numpy as np
import zarr
from numcodecs import LZMA

N = 32


def fixture_arrays():
    rng = np.random.default_rng(20240611)
    u8 = lambda hi: rng.integers(0, hi, size=N, dtype="<u8")  # noqa: E731
    nat = lambda: rng.integers(-(2**63), -(2**63) + 20, size=N, dtype="<i8")  # noqa: E731
    return [
        ("arange <i4", np.arange(N, dtype="<i4")),
        ("linspace <f8", np.linspace(1000, 1001, N, dtype="<f8")),
        ("normal <f8 (8, 4)", rng.normal(loc=1000, scale=1, size=(8, 4))),
        (
            "bool (8, 4) order F",
            rng.integers(0, 2, size=N).astype(bool).reshape(8, 4, order="F"),
        ),
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
        ("repetitive 4000 bytes", np.tile(np.arange(40, dtype="<u1"), 100)),
    ]


def memory_bytes(a):
    return a.tobytes(order="A")


def liblzma_version():
    try:
        lib = ctypes.CDLL(ctypes.util.find_library("lzma"))
        lib.lzma_version_string.restype = ctypes.c_char_p
        return lib.lzma_version_string().decode()
    except Exception:  # pragma: no cover
        return "unknown"


FIXTURE_CODECS = [
    LZMA(),
    LZMA(preset=1),
    LZMA(preset=5),
    LZMA(preset=9),
    LZMA(format=lzma.FORMAT_RAW, filters=[{"id": lzma.FILTER_LZMA2, "preset": 1}]),
]

EXTRA_CODECS = [
    LZMA(preset=6),
    LZMA(preset=9 | lzma.PRESET_EXTREME),
    LZMA(preset=0),
    LZMA(check=lzma.CHECK_NONE),
    LZMA(check=lzma.CHECK_CRC32),
    LZMA(check=lzma.CHECK_CRC64, preset=1),
    LZMA(check=lzma.CHECK_SHA256),
    LZMA(format=lzma.FORMAT_ALONE),
    LZMA(format=lzma.FORMAT_ALONE, preset=1),
    LZMA(format=lzma.FORMAT_ALONE, preset=9, check=lzma.CHECK_NONE),
    LZMA(
        format=lzma.FORMAT_ALONE,
        filters=[{"id": lzma.FILTER_LZMA1, "preset": 2, "lc": 1, "lp": 2, "pb": 1}],
    ),
    LZMA(format=lzma.FORMAT_RAW, filters=[{"id": lzma.FILTER_LZMA2}]),
    LZMA(format=lzma.FORMAT_RAW, filters=[{"id": lzma.FILTER_LZMA1, "preset": 6}]),
    LZMA(
        format=lzma.FORMAT_RAW,
        filters=[{"id": lzma.FILTER_DELTA, "dist": 4}, {"id": lzma.FILTER_LZMA2, "preset": 1}],
    ),
    LZMA(
        format=lzma.FORMAT_RAW,
        filters=[
            {"id": lzma.FILTER_X86, "start_offset": 16},
            {"id": lzma.FILTER_LZMA2, "preset": 2},
        ],
    ),
    LZMA(
        format=lzma.FORMAT_RAW,
        filters=[
            {
                "id": lzma.FILTER_LZMA2,
                "dict_size": 65536,
                "lc": 1,
                "lp": 1,
                "pb": 3,
                "mode": lzma.MODE_FAST,
                "nice_len": 32,
                "mf": lzma.MF_HC4,
                "depth": 8,
            }
        ],
    ),
    LZMA(
        format=lzma.FORMAT_RAW,
        filters=[
            {"id": lzma.FILTER_ARM},
            {"id": lzma.FILTER_DELTA, "dist": 2},
            {"id": lzma.FILTER_LZMA1, "preset": 1 | lzma.PRESET_EXTREME, "lc": 0},
        ],
    ),
    LZMA(filters=[{"id": lzma.FILTER_DELTA, "dist": 8}, {"id": lzma.FILTER_LZMA2, "preset": 3}]),
    LZMA(check=lzma.CHECK_CRC32, filters=[{"id": lzma.FILTER_LZMA2, "preset": 1}]),
]
EXTRA_INPUTS = [0, 2, 5, 13, 14]


def config(codec):
    c = codec.get_config()
    # Plain JSON (lists, ints), as json.dump writes it into .zarray.
    return json.loads(json.dumps(c))


def case(codec, i, arr):
    buf = memory_bytes(arr)
    enc = bytes(codec.encode(arr))
    try:
        dec = bytes(codec.decode(enc))
        assert dec == buf, "numcodecs round trip"
        decodes = True
    except ValueError:
        decodes = False
    return {"config": config(codec), "input": i, "encoded": enc.hex(), "numcodecs_decodes": decodes}


def python_decode(cfg, enc):
    try:
        return bytes(cfg.decode(enc)).hex()
    except Exception:
        return None


def decode_only(inputs):
    out = []
    data = memory_bytes(inputs[0][1])
    other = memory_bytes(inputs[1][1])
    xz_a = lzma.compress(data, format=lzma.FORMAT_XZ, preset=1)
    xz_b = lzma.compress(other, format=lzma.FORMAT_XZ, check=lzma.CHECK_NONE, preset=0)
    alone_a = lzma.compress(data, format=lzma.FORMAT_ALONE, preset=1)
    alone_b = lzma.compress(other, format=lzma.FORMAT_ALONE, preset=0)
    raw_f = [{"id": lzma.FILTER_LZMA2, "preset": 1}]
    raw_a = lzma.compress(data, format=lzma.FORMAT_RAW, filters=raw_f)
    raw_b = lzma.compress(other, format=lzma.FORMAT_RAW, filters=raw_f)
    for note, cfg, enc, dec in [
        ("auto format, xz stream", LZMA(format=0), xz_a, data),
        ("auto format, alone stream", LZMA(format=0), alone_a, data),
        ("xz, two concatenated streams", LZMA(), xz_a + xz_b, data + other),
        ("alone, two concatenated streams", LZMA(format=2), alone_a + alone_b, data + other),
        (
            "raw, two concatenated streams",
            LZMA(format=3, filters=raw_f),
            raw_a + raw_b,
            data + other,
        ),
    ]:
        got = bytes(cfg.decode(enc))
        assert got == dec, note
        out.append({"note": note, "config": config(cfg), "encoded": enc.hex(), "decoded": dec.hex()})
    # Where Python's `lzma.decompress` (a loop of single-stream decoders that stops quietly
    # at the first later stream it cannot parse) and zarrkit (liblzma's concatenated-stream
    # decoder: xz stream padding per the .xz spec, nothing else after the last stream)
    # differ. `python` / `zarrkit`: the decoded bytes, or null for an error.
    deviations = []
    for note, enc, zk in [
        ("xz, 4 bytes of stream padding, then a second stream", xz_a + b"\0" * 4 + xz_b, data + other),
        ("xz, 8 bytes of stream padding at the end", xz_a + b"\0" * 8, data),
        ("xz, then 16 bytes of garbage", xz_a + b"garbage!garbage!", None),
        ("xz, then 3 bytes of garbage", xz_a + b"abc", None),
    ]:
        deviations.append(
            {
                "note": note,
                "config": config(LZMA()),
                "encoded": enc.hex(),
                "python": python_decode(LZMA(), enc),
                "zarrkit": None if zk is None else zk.hex(),
            }
        )
    return out, deviations


def v2_arrays():
    rng = np.random.default_rng(7)
    specs = [
        # (shape, chunks, dtype, order, compressor, data)
        ((10, 6), (4, 4), "<i4", "C", LZMA(), np.arange(60, dtype="<i4").reshape(10, 6) * 7 - 100),
        (
            (10, 6),
            (4, 4),
            "<M8[ns]",
            "F",
            LZMA(preset=1),
            rng.integers(0, 2**60, size=60, dtype="<i8").view("<M8[ns]").reshape(10, 6),
        ),
        ((3, 4, 5), (2, 4, 5), "|S3", "C", LZMA(format=2), rng.choice([b"a", b"bb", b"ccc"], size=60).reshape(3, 4, 5)),
        (
            (50,),
            (16,),
            "<f8",
            "C",
            LZMA(format=3, filters=[{"id": 3, "dist": 8}, {"id": 33, "preset": 1}]),
            rng.normal(size=50),
        ),
        ((9, 7), (5, 5), "|b1", "F", LZMA(preset=9, check=10), rng.integers(0, 2, size=(9, 7)).astype(bool)),
        ((20,), (20,), ">i2", "C", LZMA(check=0), np.arange(20, dtype=">i2") - 10),
    ]
    out = []
    for shape, chunks, dtype, order, comp, data in specs:
        store = {}
        a = zarr.open_array(store, mode="w", shape=shape, chunks=chunks, dtype=dtype, compressor=comp, order=order, fill_value=None)
        a[...] = data
        back = a[...]
        assert (back == data).all()
        c_order = np.ascontiguousarray(back)
        # zarrkit reads native-endian (little-endian) elements.
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
    for codec in FIXTURE_CODECS:
        for i, (_, arr) in enumerate(inputs):
            cases.append(case(codec, i, arr))
    for codec in EXTRA_CODECS:
        for i in EXTRA_INPUTS:
            cases.append(case(codec, i, inputs[i][1]))
    dec_only, deviations = decode_only(inputs)
    doc = {
        "generator": "plugins/codec-lzma/vectors/generate.py",
        "numcodecs": numcodecs.__version__,
        "numpy": np.__version__,
        "zarr": zarr.__version__,
        "liblzma": liblzma_version(),
        "inputs": [
            {
                "name": name,
                "dtype": arr.dtype.str,
                "shape": list(arr.shape),
                "order": "F" if arr.ndim > 1 and arr.flags.f_contiguous and not arr.flags.c_contiguous else "C",
                "hex": memory_bytes(arr).hex(),
            }
            for name, arr in inputs
        ],
        "cases": cases,
        "decode_only": dec_only,
        "deviations": deviations,
        "arrays": v2_arrays(),
    }
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "lzma.json"), "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
