"""Reference vectors for zarrkit-codec-zfpy, written by numcodecs' `ZFPY` (zfpy 1.0.1, whose
wheel ships libzfp 1.0.1) and zarr-python 2.

Run with `scripts/reference/generate.sh codec-zfpy`; writes `zfpy.json` next to this file.

- `inputs`: arrays (dtype, C-order shape, little-endian bytes as hex) for int32, int64,
  float32 and float64 in 1-4 dimensions, plus arrays of extreme values (NaN, infinities,
  subnormals, the integer limits) used with the reversible configurations only.
- `cases`: `ZFPY(**kwargs).encode(input)` (a full-header zfp stream) and
  `ZFPY().decode(encoded)` (hex of the C-order result) for reversible configurations
  (the default `ZFPY()`, and `rate=-1` / `precision=-1` as the numcodecs fixtures use) and
  for fixed accuracy, fixed rate and fixed precision. `config` is `get_config()` (the V2
  form; the V3 form is the same without `id`).
  `writer` says who produced `encoded`: "numcodecs" for `ZFPY.encode`, or "libzfp" for the
  cases where numcodecs cannot be run safely: a fixed rate whose block budget is below a
  float block's header (1 + 8 bits for float32, 1 + 11 for float64). zfpy passes zfp the
  type "none" there, so zfp does not raise the budget, sizes its buffer by it, and then
  writes past the buffer (its budget arithmetic wraps around, and it codes every bit
  plane): the process may crash. For those cases this script makes the same calls as
  `zfpy.compress_numpy` on zfpy's own libzfp through ctypes, into a buffer large enough.
  For every "numcodecs" case the script checks that the ctypes path gives the same bytes.
- `decode_only`: streams numcodecs writes for a chunk whose shape the stream does not
  carry: a Fortran-ordered chunk of shape (7, 1) (both C- and F-contiguous, so numcodecs
  compresses it; zarrkit's chain sees the transposed (1, 7) chunk), and a chunk flattened
  to 1-D by a preceding `Delta` filter.
- `arrays`: zarr-python 2 stores (every key, hex) and their data in C order:
  a C-order float32 array (edge chunks), an int64 array with a `Delta` filter before ZFPY
  (1-D streams), an F-order array with (7, 1) chunks written by zarr-python 2, and an
  F-order array with (3, 4) chunks that zarr-python 2 cannot write (numcodecs refuses
  F-ordered chunks): its chunks are what zarrkit writes (each chunk transposed to C order,
  so the stream's shape is reversed), and this script checks that zarr-python 2 reads them
  back as the data.
"""

import ctypes
import glob
import json
import os
import tempfile
from importlib.metadata import version

import numcodecs
import numpy as np
import zarr
import zfpy
from numcodecs import ZFPY, Delta

HERE = os.path.dirname(os.path.abspath(__file__))
ZFP_MAX_BITS = 16658


def libzfp():
    libs = glob.glob(os.path.join(os.path.dirname(zfpy.__file__), "zfpy.libs", "libzfp*"))
    assert len(libs) == 1, libs
    lib = ctypes.CDLL(libs[0])
    p, d, u, s, i = ctypes.c_void_p, ctypes.c_double, ctypes.c_uint, ctypes.c_size_t, ctypes.c_int
    sig = {
        "zfp_field_1d": (p, [p, i, s]),
        "zfp_field_2d": (p, [p, i, s, s]),
        "zfp_field_3d": (p, [p, i, s, s, s]),
        "zfp_field_4d": (p, [p, i, s, s, s, s]),
        "zfp_field_free": (None, [p]),
        "zfp_stream_open": (p, [p]),
        "zfp_stream_close": (None, [p]),
        "zfp_stream_set_rate": (d, [p, d, i, u, i]),
        "zfp_stream_set_accuracy": (d, [p, d]),
        "zfp_stream_set_precision": (u, [p, u]),
        "zfp_stream_set_reversible": (None, [p]),
        "zfp_stream_maximum_size": (s, [p, p]),
        "zfp_stream_set_bit_stream": (None, [p, p]),
        "zfp_stream_rewind": (None, [p]),
        "zfp_write_header": (s, [p, p, u]),
        "zfp_compress": (s, [p, p]),
        "stream_open": (p, [p, s]),
        "stream_close": (None, [p]),
    }
    for name, t in sig.items():
        f = getattr(lib, name)
        f.restype, f.argtypes = t
    version_string = ctypes.c_char_p.in_dll(lib, "zfp_version_string").value.decode()
    return lib, version_string


LIB, LIBZFP_VERSION = libzfp()
ZTYPE = {"int32": 1, "int64": 2, "float32": 3, "float64": 4}


def c_compress(arr, tolerance=-1.0, rate=-1.0, precision=-1):
    """zfpy.compress_numpy(arr, write_header=True, ...) through zfpy's libzfp, with a buffer
    that holds any stream (zfpy's is zfp_stream_maximum_size, too small in the cases above)."""
    arr = np.ascontiguousarray(arr)
    shape = arr.shape
    dims = list(reversed(shape))
    ptr = arr.ctypes.data_as(ctypes.c_void_p)
    t = ZTYPE[arr.dtype.name]
    field = getattr(LIB, f"zfp_field_{len(dims)}d")(ptr, t, *dims)
    stream = LIB.zfp_stream_open(None)
    if tolerance >= 0:
        LIB.zfp_stream_set_accuracy(stream, tolerance)
    elif rate >= 0:
        LIB.zfp_stream_set_rate(stream, rate, 0, len(dims), 0)  # zfp_type_none, as zfpy
    elif precision >= 0:
        LIB.zfp_stream_set_precision(stream, precision)
    else:
        LIB.zfp_stream_set_reversible(stream)
    blocks = int(np.prod([(n + 3) // 4 for n in dims]))
    size = max(LIB.zfp_stream_maximum_size(stream, field), 8 * (3 + blocks * ZFP_MAX_BITS // 64 + blocks))
    buf = ctypes.create_string_buffer(size)
    bs = LIB.stream_open(ctypes.cast(buf, ctypes.c_void_p), size)
    LIB.zfp_stream_set_bit_stream(stream, bs)
    LIB.zfp_stream_rewind(stream)
    assert LIB.zfp_write_header(stream, field, 7) != 0
    n = LIB.zfp_compress(stream, field)
    assert n != 0
    out = buf.raw[:n]
    LIB.zfp_field_free(field)
    LIB.zfp_stream_close(stream)
    LIB.stream_close(bs)
    return out


def smooth(shape, seed):
    rng = np.random.default_rng(seed)
    grids = np.meshgrid(*[np.arange(n, dtype="f8") for n in shape], indexing="ij")
    v = np.zeros(shape)
    for k, g in enumerate(grids):
        v = v + np.sin(g * (0.3 + 0.17 * k) + k)
    return v * 100 + rng.normal(scale=0.5, size=shape)


def make_input(dtype, shape, seed):
    v = smooth(shape, seed)
    if dtype.startswith("float"):
        return v.astype(dtype)
    return (v * 1000).astype(dtype)


def extremes(dtype, shape, seed):
    n = int(np.prod(shape))
    a = make_input(dtype, shape, seed).reshape(-1)
    if dtype.startswith("float"):
        fi = np.finfo(dtype)
        special = [np.nan, np.inf, -np.inf, -0.0, fi.tiny, fi.smallest_subnormal, fi.max, -fi.max, 1.0]
        a[: len(special)] = np.array(special, dtype=dtype)
        bits = a.view("u4" if dtype == "float32" else "u8")
        bits[len(special)] = 0x7FC00001 if dtype == "float32" else 0x7FF8000000000001  # NaN payload
    else:
        ii = np.iinfo(dtype)
        special = [ii.min, ii.max, ii.min + 1, ii.max - 1, 0, -1, 1]
        a[: len(special)] = np.array(special, dtype=dtype)
        a[len(special) : n : 3] = ii.min
    return a.reshape(shape)


DTYPES = ["int32", "int64", "float32", "float64"]
SHAPES = [(37,), (6, 9), (5, 4, 6), (3, 2, 5, 4), (4, 4, 4)]
REVERSIBLE = [{}, {"mode": 2, "rate": -1}, {"mode": 3, "precision": -1}, {"mode": 4, "tolerance": -1, "rate": 8}]
LOSSY = [
    ({"mode": 4, "tolerance": 0.01}, None),
    ({"mode": 4, "tolerance": 0}, None),
    ({"mode": 4, "tolerance": 1.5}, None),
    ({"mode": 2, "rate": 8}, None),
    # Budgets of 10 / 40 / 160 bits: below the float64 header in 1-D.
    ({"mode": 2, "rate": 2.5}, [0, 1, 2]),
    # 2 / 8 / 32 bits: below both float headers in 1-D and 2-D.
    ({"mode": 2, "rate": 0.5}, [0, 1, 2]),
    # 400 / 1600 / 6400 / 25600 bits: above ZFP_MAX_BITS in 4-D (a long mode word).
    ({"mode": 2, "rate": 100}, [0, 3]),
    ({"mode": 3, "precision": 12}, None),
    ({"mode": 3, "precision": 0}, None),
    ({"mode": 3, "precision": 40}, None),
    # numcodecs passes only the parameter of its mode: precision is ignored here.
    ({"mode": 4, "tolerance": 0.25, "precision": 3}, None),
]


def budget_below_header(dtype, ndim, kwargs):
    if kwargs.get("mode") != 2 or kwargs.get("rate", -1) < 0 or not dtype.startswith("float"):
        return False
    bits = int(np.floor(4**ndim * kwargs["rate"] + 0.5))
    return bits < (9 if dtype == "float32" else 12)


def hexb(b):
    return bytes(b).hex()


def main():
    inputs = {}
    for di, dtype in enumerate(DTYPES):
        for si, shape in enumerate(SHAPES):
            inputs[f"{dtype}-{si}"] = make_input(dtype, shape, 100 * di + si)
        inputs[f"{dtype}-extremes"] = extremes(dtype, (6, 9), 1000 + di)

    cases = []

    def case(key, kwargs):
        arr = inputs[key]
        codec = ZFPY(**kwargs)
        cfg = codec.get_config()
        ref = c_compress(arr, **codec.compression_kwargs) if hasattr(codec, "compression_kwargs") else None
        if budget_below_header(arr.dtype.name, arr.ndim, kwargs):
            enc, writer = ref, "libzfp"
        else:
            enc, writer = codec.encode(arr), "numcodecs"
            assert enc == ref, (key, kwargs)
        dec = ZFPY().decode(enc)
        assert dec.shape == arr.shape and dec.dtype == arr.dtype
        lossless = dec.tobytes() == arr.tobytes()
        cases.append(
            {
                "name": f"{key} {json.dumps(kwargs, sort_keys=True)}",
                "input": key,
                "config": cfg,
                "writer": writer,
                "encoded": hexb(enc),
                "decoded": None if lossless else hexb(dec.tobytes()),
            }
        )

    for dtype in DTYPES:
        for si in range(len(SHAPES)):
            for kw in REVERSIBLE:
                case(f"{dtype}-{si}", kw)
        for kw in REVERSIBLE[:1]:
            case(f"{dtype}-extremes", kw)
        for li, (kw, shapes) in enumerate(LOSSY):
            for si in shapes if shapes is not None else [(li + k) % len(SHAPES) for k in (0, 2)]:
                case(f"{dtype}-{si}", kw)

    decode_only = []
    f = np.asfortranarray(make_input("float64", (7, 1), 7))
    assert f.flags.c_contiguous and f.flags.f_contiguous
    enc = ZFPY().encode(f)
    decode_only.append(
        {
            "name": "F-order (7, 1) chunk: the stream says (7, 1), zarrkit's chain sees (1, 7)",
            "config": ZFPY().get_config(),
            "dtype": "float64",
            "shape": [1, 7],
            "encoded": hexb(enc),
            "decoded": hexb(f.tobytes(order="A")),
        }
    )
    d = make_input("int32", (4, 5, 6), 8)
    delta = Delta(dtype="<i4")
    enc = ZFPY(mode=2, rate=12).encode(delta.encode(d))
    dec = ZFPY().decode(enc)
    assert dec.shape == (120,)
    decode_only.append(
        {
            "name": "a 1-D stream of a (4, 5, 6) chunk (numcodecs' Delta flattens before ZFPY)",
            "config": ZFPY(mode=2, rate=12).get_config(),
            "dtype": "int32",
            "shape": [4, 5, 6],
            "encoded": hexb(enc),
            "decoded": hexb(dec.tobytes()),
        }
    )

    arrays = []

    def store_case(name, path, data, note):
        files = {}
        for root, _, names in os.walk(path):
            for fn in names:
                full = os.path.join(root, fn)
                with open(full, "rb") as fh:
                    files[os.path.relpath(full, path).replace(os.sep, "/")] = fh.read().hex()
        arrays.append(
            {
                "name": name,
                "note": note,
                "dtype": data.dtype.name,
                "shape": list(data.shape),
                "files": dict(sorted(files.items())),
                "data": hexb(np.ascontiguousarray(data).tobytes()),
            }
        )

    with tempfile.TemporaryDirectory() as tmp:
        p = os.path.join(tmp, "c")
        data = make_input("float32", (10, 9, 8), 11)
        a = zarr.open_array(p, mode="w", shape=data.shape, chunks=(4, 4, 4), dtype="<f4", compressor=ZFPY(), fill_value=0)
        a[...] = data
        assert (zarr.open_array(p, mode="r")[...] == data).all()
        store_case("c-order float32 (10, 9, 8), chunks (4, 4, 4), ZFPY()", p, data, "written by zarr-python 2")

        p = os.path.join(tmp, "delta")
        data = make_input("int64", (6, 10), 12)
        a = zarr.open_array(p, mode="w", shape=data.shape, chunks=(3, 5), dtype="<i8", filters=[Delta(dtype="<i8")], compressor=ZFPY(), fill_value=0)
        a[...] = data
        assert (zarr.open_array(p, mode="r")[...] == data).all()
        store_case("int64 (6, 10), chunks (3, 5), Delta + ZFPY(): 1-D streams", p, data, "written by zarr-python 2")

        p = os.path.join(tmp, "fsingle")
        data = make_input("float64", (7, 3), 13)
        a = zarr.open_array(p, mode="w", shape=data.shape, chunks=(7, 1), dtype="<f8", order="F", compressor=ZFPY(mode=4, tolerance=0.01), fill_value=0)
        a[...] = data
        back = zarr.open_array(p, mode="r")[...]
        store_case("F-order float64 (7, 3), chunks (7, 1), ZFPY(tolerance=0.01)", p, back, "written by zarr-python 2 (data: what zarr-python 2 reads back)")

        p = os.path.join(tmp, "f")
        data = make_input("float64", (6, 8), 14)
        a = zarr.open_array(p, mode="w", shape=data.shape, chunks=(3, 4), dtype="<f8", order="F", compressor=ZFPY(), fill_value=0)
        try:
            a[...] = data
            raise AssertionError("numcodecs was expected to refuse an F-ordered chunk")
        except ValueError:
            pass
        for i in range(2):
            for j in range(2):
                chunk = data[3 * i : 3 * i + 3, 4 * j : 4 * j + 4]
                # zarrkit: transpose (order F) then zfpy on the C-order (4, 3) chunk.
                with open(os.path.join(p, f"{i}.{j}"), "wb") as fh:
                    fh.write(ZFPY().encode(np.ascontiguousarray(chunk.T)))
        assert (zarr.open_array(p, mode="r")[...] == data).all()
        store_case(
            "F-order float64 (6, 8), chunks (3, 4), ZFPY(): chunks as zarrkit writes them",
            p,
            data,
            "metadata by zarr-python 2, chunks by this script as zarrkit writes them (zarr-python 2 cannot); zarr-python 2 reads them back as the data",
        )

    out = {
        "zfpy": version("zfpy"),
        "libzfp": LIBZFP_VERSION,
        "numcodecs": numcodecs.__version__,
        "zarr": zarr.__version__,
        "numpy": np.__version__,
        "inputs": {
            k: {"dtype": v.dtype.name, "shape": list(v.shape), "hex": hexb(v.tobytes())} for k, v in inputs.items()
        },
        "cases": cases,
        "decode_only": decode_only,
        "arrays": arrays,
    }
    with open(os.path.join(HERE, "zfpy.json"), "w") as fh:
        json.dump(out, fh, indent=1)
        fh.write("\n")
    print(f"{len(cases)} cases, {len(decode_only)} decode-only, {len(arrays)} arrays ({LIBZFP_VERSION})")


if __name__ == "__main__":
    main()
