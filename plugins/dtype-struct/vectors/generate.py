"""Reference vectors for the `struct` data type and Zarr V2 structured dtypes.

Three writers:
- zarr-python 2.18 (the venv of scripts/reference/generate.sh): Zarr V2 arrays with record
  dtypes - little, big and mixed byte order, nested records, subarray fields, bytes and
  datetime fields, fill values given, 0 (zarr-python writes base64 of np.array(0, dtype))
  and null. The padded record (numpy's explicit field offsets, unnamed `""` padding fields
  in `.zarray`) has its `.zarray` from zarr-python 2 and its chunk written by numpy, since
  zarr-python 2 cannot write it (its own re-read dtype renames the padding).
- zarr-python 3.1.6 (bench-work/harness/.venv, used read-only: run as a subprocess): V3
  arrays of the legacy `structured` type (base64 fill values, `bytes` without `endian`), and
  a V2 record array.
- by hand from the zarr-extensions struct README (no Python writer implements the newest
  `struct`): `zarr.json` written here, chunks as numpy's packed records in the `bytes`
  codec's byte order.

For every store the expected data is the array's records in zarrkit's memory layout on a
little-endian machine: packed fields in declaration order (padding fields included), each
converted to little-endian by numpy (`astype` of the field dtype to '<'), walking the field
list the store's metadata declares.

Run with scripts/reference/generate.sh dtype-struct.
"""

import json
import os
import shutil
import subprocess
import sys
import warnings

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ZP3 = os.path.join(HERE, "../../../bench-work/harness/.venv/bin/python")
warnings.simplefilter("ignore")


def reset(path):
    shutil.rmtree(path, ignore_errors=True)


def itemsize(d):
    if isinstance(d, list):
        return sum(itemsize(f[1]) * int(np.prod(f[2] if len(f) > 2 else [], dtype=np.int64)) for f in d)
    return np.dtype(d).itemsize


def le_record(raw, d):
    """Raw record bytes laid out as the field list `d` (V2 strings or lists) -> memory bytes."""
    out = b""
    pos = 0
    for f in d:
        count = int(np.prod(f[2] if len(f) > 2 else [], dtype=np.int64))
        size = itemsize(f[1])
        for _ in range(count):
            part = raw[pos:pos + size]
            if isinstance(f[1], list):
                out += le_record(part, f[1])
            else:
                dt = np.dtype(f[1])
                out += np.frombuffer(part, dtype=dt).astype(dt.newbyteorder("<")).tobytes()
            pos += size
    assert pos == len(raw), (pos, len(raw))
    return out


def v2_expected(store):
    """All records of a V2 store (C order, no compressor), fill value for missing chunks."""
    meta = json.load(open(os.path.join(store, ".zarray")))
    d = meta["dtype"]
    n = itemsize(d)
    shape, chunks = meta["shape"], meta["chunks"]
    fill = None if meta["fill_value"] is None else np.frombuffer(__import__("base64").b64decode(meta["fill_value"]), dtype=np.uint8).tobytes()
    grid = [-(-s // c) for s, c in zip(shape, chunks)]
    full = np.zeros([g * c for g, c in zip(grid, chunks)] + [n], dtype=np.uint8)
    for idx in np.ndindex(*grid):
        key = os.path.join(store, ".".join(map(str, idx)))
        sl = tuple(slice(i * c, (i + 1) * c) for i, c in zip(idx, chunks))
        if os.path.exists(key):
            raw = open(key, "rb").read()
        elif fill is not None:
            raw = fill * int(np.prod(chunks))
        else:
            raw = bytes(n * int(np.prod(chunks)))
        full[sl] = np.frombuffer(raw, dtype=np.uint8).reshape(list(chunks) + [n])
    full = full[tuple(slice(0, s) for s in shape)]
    recs = full.reshape(-1, n)
    out = b"".join(le_record(r.tobytes(), d) for r in recs)
    return {
        "fill_le": None if fill is None else le_record(fill, d).hex(),
        "records_le": out.hex(),
        "record_size": n,
    }


def v2_stores():
    import zarr

    cases = []

    def make(name, dtype, shape, chunks, fill, data_fn, note):
        path = os.path.join(HERE, "v2", name)
        reset(path)
        a = zarr.open_array(path, mode="w", shape=shape, chunks=chunks, dtype=dtype, compressor=None, fill_value=fill)
        data_fn(a)
        e = v2_expected(path)
        e.update({"store": "v2/" + name, "writer": "zarr-python " + zarr.__version__, "note": note})
        cases.append(e)

    le = np.dtype([("a", "<i4"), ("b", "<f8"), ("c", "|u1")])
    make("le_basic", le, (5,), (2,), np.array((1, 2.5, 3), dtype=le)[()],
         lambda a: a.__setitem__(slice(0, 3), np.array([(-7, 0.1, 255), (2**31 - 1, float("nan"), 0), (0, -np.inf, 9)], dtype=le)),
         "little endian, partial last chunk, fill value given")
    be = np.dtype([("a", ">i4"), ("b", ">f8")])
    make("be_basic", be, (3, 4), (2, 3), np.array((-1, 1e300), dtype=be)[()],
         lambda a: a.__setitem__((slice(0, 2), slice(0, 3)), np.array([[(i * 10 + j, i - j / 8) for j in range(3)] for i in range(2)], dtype=be)),
         "big endian, 2-D, missing chunks read as the fill value")
    beu = np.dtype([("x", ">f4"), ("y", ">i4"), ("z", ">u4")])
    make("be_uniform", beu, (5,), (2,), np.array((0.5, -3, 4000000000), dtype=beu)[()],
         lambda a: a.__setitem__(slice(1, 4), np.array([(1.25, -(2**31), 7), (-0.0, 2**31 - 1, 2**32 - 1), (3e38, 0, 1)], dtype=beu)),
         "big endian, every field 4 bytes")
    mixed = np.dtype([("a", "<i4"), ("b", ">f8"), ("c", "<u2"), ("d", "|b1")])
    make("mixed", mixed, (4,), (4,), np.array((5, -0.5, 7, True), dtype=mixed)[()],
         lambda a: a.__setitem__(slice(0, 4), np.array([(i, i * 1.25, 60000 + i, i % 2 == 0) for i in range(4)], dtype=mixed)),
         "mixed byte order inside the record")
    nested = np.dtype([("id", "<u2"), ("p", [("x", "<f4"), ("y", "<f4")]), ("flag", "|b1")])
    make("nested", nested, (3,), (2,), np.array((9, (1.0, 2.0), False), dtype=nested)[()],
         lambda a: a.__setitem__(slice(0, 3), np.array([(i, (i / 2, -i), i == 1) for i in range(3)], dtype=nested)),
         "nested record")
    nested_be = np.dtype([("id", ">u2"), ("p", [("x", ">f4"), ("q", [("z", ">i8")])])])
    make("nested_be", nested_be, (2,), (2,), None,
         lambda a: a.__setitem__(slice(0, 2), np.array([(1, (0.5, (-(2**40),))), (65535, (3.5, (7,)))], dtype=nested_be)),
         "two levels of nesting, big endian, fill null")
    sub = np.dtype([("a", "<i2", (3,)), ("b", "<f4", (2, 2)), ("c", "|u1")])
    make("subarray", sub, (3,), (3,), 0,
         lambda a: a.__setitem__(slice(0, 2), np.array([([1, -2, 3], [[0.5, 1.5], [2.5, 3.5]], 7), ([-4, 5, -6], [[-1, -2], [-3, -4]], 8)], dtype=sub)),
         "subarray fields; fill 0")
    rec_sub = np.dtype([("q", [("u", ">u2"), ("v", "|i1")], (2,)), ("w", ">f2")])
    make("subarray_of_records", rec_sub, (2,), (1,), None,
         lambda a: a.__setitem__(slice(0, 2), np.array([([(1, -1), (2, -2)], 0.5), ([(300, 5), (400, 6)], -2.0)], dtype=rec_sub)),
         "a subarray of nested records, big endian")
    sd = np.dtype([("a", "<i4"), ("b", "|S3"), ("t", "<M8[s]"), ("f", "|b1")])
    make("bytes_datetime", sd, (3,), (2,), 0,
         lambda a: a.__setitem__(slice(0, 2), np.array([(1, b"ab", "2020-01-01T00:00:01", True), (-2, b"xyz", "1969-12-31T23:59:59", False)], dtype=sd)),
         "|S3 and <M8[s] fields; fill 0 (zarr-python 2 makes b'0' of it)")

    # A record with explicit offsets: `.zarray` by zarr-python 2 (unnamed padding fields),
    # the chunk by numpy (zarr-python 2 cannot write it).
    off = np.dtype({"names": ["a", "b"], "formats": ["u1", "<i4"], "offsets": [0, 4], "itemsize": 12})
    path = os.path.join(HERE, "v2", "padded")
    reset(path)
    zarr.open_array(path, mode="w", shape=(2,), chunks=(2,), dtype=off, compressor=None, fill_value=None)
    recs = np.zeros(2, dtype=off)
    recs["a"] = [1, 2]
    recs["b"] = [-3, 40000]
    open(os.path.join(path, "0"), "wb").write(recs.tobytes())
    e = v2_expected(path)
    e.update({"store": "v2/padded", "writer": "zarr-python " + zarr.__version__ + " (.zarray), numpy (chunk)", "note": "unnamed padding fields"})
    cases.append(e)
    return cases


ZP3_SCRIPT = r'''
import json, os, sys, warnings
import numpy as np
import zarr
warnings.simplefilter("ignore")
here = sys.argv[1]
out = []
def make(name, dtype, shape, chunks, fill, data, fmt=3):
    path = os.path.join(here, name)
    import shutil; shutil.rmtree(path, ignore_errors=True)
    a = zarr.create_array(path, shape=shape, chunks=chunks, dtype=dtype, fill_value=fill, compressors=None, zarr_format=fmt)
    a[: len(data)] = data
    back = zarr.open_array(path)[:]
    out.append({"store": name, "writer": "zarr-python " + zarr.__version__, "read_back_packed": np.ascontiguousarray(back).tobytes().hex()})
le = np.dtype([("a", "<i4"), ("b", "<f8"), ("c", "u1")])
make("v3/structured_le", le, (5,), (2,), np.array((1, 2.5, 3), dtype=le)[()], np.array([(-7, 0.1, 255), (8, -0.0, 0), (0, 1e-300, 9)], dtype=le))
nested = np.dtype([("id", "<u2"), ("p", [("x", "<f4"), ("y", "<f4")])])
make("v3/structured_nested", nested, (3,), (3,), np.array((4, (0.5, -0.5)), dtype=nested)[()], np.array([(1, (2.0, 3.0))], dtype=nested))
be = np.dtype([("a", ">i4"), ("b", ">f8")])
make("v3/structured_be_dtype", be, (2,), (2,), None, np.array([(1, 2.0), (3, 4.0)], dtype=be))
make("v2/zp3_le", le, (3,), (2,), np.array((1, 2.5, 3), dtype=le)[()], np.array([(5, 6.5, 7)], dtype=le), fmt=2)
print(json.dumps(out))
'''


def zp3_stores():
    os.makedirs(os.path.join(HERE, "v3"), exist_ok=True)
    if not os.path.exists(ZP3):
        # The zarr-python 3 interpreter is not there: keep the stores and cases made before.
        print("zarr-python 3 interpreter not found at", ZP3, "- keeping the previous zarr-python 3 vectors", file=sys.stderr)
        return json.load(open(os.path.join(HERE, "vectors.json")))["zarr_python3"]
    r = subprocess.run([ZP3, "-c", ZP3_SCRIPT, HERE], capture_output=True, text=True, check=True)
    cases = json.loads(r.stdout)
    for c in cases:
        path = os.path.join(HERE, c["store"])
        if c["store"].startswith("v2/"):
            c.update(v2_expected(path))
            continue
        meta = json.load(open(os.path.join(path, "zarr.json")))
        fields = meta["data_type"]["configuration"]["fields"]
        c["fill_json"] = meta["fill_value"]
        # zarr-python 3.1.6 reads every `structured` chunk as little-endian records (its
        # `bytes` codec has no `endian`): its read-back is the expected data, the
        # big-endian case included (written in big-endian byte order, read back garbled).
        c["records_le"] = c.pop("read_back_packed")
        c["fields"] = fields
    return cases


def struct_stores():
    cases = []

    def make(name, fields_v3, np_fields, shape, chunks, fill_json, fill_np, data, endian):
        path = os.path.join(HERE, "v3", name)
        reset(path)
        os.makedirs(os.path.join(path, "c"))
        codec = {"name": "bytes"}
        if endian:
            codec["configuration"] = {"endian": endian}
        meta = {"zarr_format": 3, "node_type": "array", "shape": list(shape), "data_type": {"name": "struct", "configuration": {"fields": fields_v3}},
                "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": list(chunks)}},
                "chunk_key_encoding": {"name": "default", "configuration": {"separator": "/"}},
                "fill_value": fill_json, "codecs": [codec], "attributes": {}}
        json.dump(meta, open(os.path.join(path, "zarr.json"), "w"), indent=2)
        order = ">" if endian == "big" else "<"
        stored = np.dtype([(n, np.dtype(t).newbyteorder(order) if not isinstance(t, list) else np.dtype([(m, np.dtype(u).newbyteorder(order)) for m, u in t])) for n, t in np_fields])
        mem = np.dtype([(n, np.dtype(t).newbyteorder("<") if not isinstance(t, list) else np.dtype([(m, np.dtype(u).newbyteorder("<")) for m, u in t])) for n, t in np_fields])
        full = np.full(shape, np.array(fill_np, dtype=mem)[()], dtype=mem)
        full[: len(data)] = np.array(data, dtype=mem)
        grid = [-(-s // c) for s, c in zip(shape, chunks)]
        for idx in np.ndindex(*grid):
            chunk = np.full(chunks, np.array(fill_np, dtype=mem)[()], dtype=mem)
            sl = tuple(slice(i * c, min((i + 1) * c, s)) for i, c, s in zip(idx, chunks, shape))
            part = full[sl]
            chunk[tuple(slice(0, k) for k in part.shape)] = part
            if idx[0] == 0 or len(data) > idx[0] * chunks[0]:
                p = os.path.join(path, "c", *map(str, idx))
                os.makedirs(os.path.dirname(p), exist_ok=True)
                open(p, "wb").write(chunk.astype(stored).tobytes())
        cases.append({"store": "v3/" + name, "writer": "hand-built (zarr-extensions struct README)", "endian": endian,
                      "records_le": full.tobytes().hex(), "fill_le": np.array(fill_np, dtype=mem).tobytes().hex(),
                      "uniform": len({np.dtype(t).itemsize for _, t in np_fields if not isinstance(t, list)} - {1}) <= 1 and all(np.dtype(t).itemsize > 1 for _, t in np_fields if not isinstance(t, list))})

    f13 = [{"name": "id", "data_type": "int32"}, {"name": "flags", "data_type": "uint8"}, {"name": "value", "data_type": "float64"}]
    n13 = [("id", "i4"), ("flags", "u1"), ("value", "f8")]
    make("struct_little", f13, n13, (5,), (2,), {"id": -1, "flags": 7, "value": "NaN"}, (-1, 7, np.nan),
         [(1, 2, 3.5), (2**31 - 1, 255, -0.0), (-5, 0, 1e-310)], "little")
    make("struct_big_mixed", f13, n13, (3,), (3,), {"id": 0, "flags": 0, "value": 0.0}, (0, 0, 0.0),
         [(1, 2, 3.5), (-2, 9, "Infinity" and np.inf)], "big")
    fu = [{"name": "x", "data_type": "float32"}, {"name": "y", "data_type": "int32"}, {"name": "z", "data_type": "uint32"}]
    nu = [("x", "f4"), ("y", "i4"), ("z", "u4")]
    make("struct_big_uniform", fu, nu, (4,), (3,), {"x": 1.5, "y": -2, "z": 3}, (1.5, -2, 3),
         [(0.25, 1, 2), (-8.0, -(2**31), 2**32 - 1), (1e-45, 0, 5)], "big")
    fn = [{"name": "point", "data_type": {"name": "struct", "configuration": {"fields": [{"name": "x", "data_type": "float64"}, {"name": "y", "data_type": "float64"}]}}},
          {"name": "value", "data_type": "float32"}, {"name": "ok", "data_type": "bool"}]
    nn = [("point", [("x", "f8"), ("y", "f8")]), ("value", "f4"), ("ok", "b1")]
    make("struct_nested", fn, nn, (3,), (2,), {"point": {"x": 1.0, "y": 2.0}, "value": 3.14, "ok": True}, ((1.0, 2.0), 3.14, True),
         [((0.5, -0.5), 1.0, False)], "little")
    fb = [{"name": "a", "data_type": "uint8"}, {"name": "b", "data_type": "int8"}, {"name": "c", "data_type": "bool"}]
    nb = [("a", "u1"), ("b", "i1"), ("c", "b1")]
    make("struct_bytes_only", fb, nb, (4,), (4,), {"a": 1, "b": -1, "c": False}, (1, -1, False), [(255, -128, True), (0, 127, False)], None)
    return cases


def main():
    v2 = v2_stores()
    zp3 = zp3_stores()
    v3 = struct_stores()
    json.dump({"source": "see generate.py", "v2": v2, "zarr_python3": zp3, "struct": v3},
              open(os.path.join(HERE, "vectors.json"), "w"), indent=1)
    print(len(v2), "V2,", len(zp3), "zarr-python 3,", len(v3), "struct stores")


main()
