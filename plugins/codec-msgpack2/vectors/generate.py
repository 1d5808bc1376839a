"""Reference vectors for zarrkit-codec-msgpack2, from the real writers.

Writes, next to this file:
- numcodecs.json: numcodecs `MsgPack(...).encode(array)` (msgpack-python) for arrays of
  strings (short, str8- and str16-sized, unicode, empty, None, 0), byte strings, numbers and
  booleans, nested and empty shapes, with the three encoder options.
- zarr2/: a zarr-python 2 directory store of msgpack2 arrays (C and F order, partial chunks
  with fill values 0 and None, numeric arrays with a msgpack2 filter), and zarr2.json with
  what zarr-python 2 reads back from each.

Run with scripts/reference/generate.sh codec-msgpack2.
"""

import json
import os
import shutil

import msgpack
import numcodecs
import numpy as np
import zarr
from numcodecs import MsgPack

HERE = os.path.dirname(os.path.abspath(__file__))

GREETINGS = [
    "¡Hola mundo!",
    "Hej Världen!",
    "Servus Woid!",
    "Hei maailma!",
    "Xin chào thế giới",
    "Njatjeta Botë!",
    "Γεια σου κόσμε!",
    "こんにちは世界",
    "世界，你好！",
    "Helló, világ!",
    "Zdravo svete!",
    "เฮลโลเวิลด์",
]
LENGTHS = ["", "x" * 31, "y" * 32, "z" * 255, "w" * 256, "😀" * 80, "a\x00b"]


def obj(values, shape=None):
    a = np.empty(len(values), dtype=object)
    for i, v in enumerate(values):
        a[i] = v
    return a.reshape(shape) if shape is not None else a


def le_hex(a):
    a = np.ascontiguousarray(a)
    return a.astype(a.dtype.newbyteorder("<")).tobytes().hex()


def case(name, arr, codec=None, exact=True, expect_error=False, values=None, kind=None):
    codec = codec or MsgPack()
    enc = bytes(codec.encode(arr))
    c = {
        "name": name,
        "config": codec.get_config(),
        "shape": list(arr.shape),
        "dtype": arr.dtype.str,
        "encoded_hex": enc.hex(),
        "byte_exact": exact,
        "expect_error": expect_error,
        # "string" or "bytes" for object arrays.
        "kind": kind or ("string" if arr.dtype == object else None),
    }
    try:
        dec = codec.decode(enc)
        assert dec.shape == arr.shape
        c["numcodecs_decodes"] = True
    except (ValueError, IndexError):
        c["numcodecs_decodes"] = False
    if arr.dtype == object:
        if values is None:
            values = arr.ravel(order="C").tolist()
        if c["kind"] == "bytes":
            c["values_hex"] = [None if v is None else bytes(v).hex() for v in values]
        else:
            c["values"] = values
    else:
        c["data_hex"] = le_hex(arr)
    return c


cases = [
    case("strings", obj(["foo", "bar", "baz"] * 3)),
    case("greetings", obj(GREETINGS)),
    case("lengths", obj(LENGTHS)),
    case("lengths_no_bin_type", obj(LENGTHS), MsgPack(use_bin_type=False)),
    case("nested_2d", obj(GREETINGS, (3, 4))),
    case("nested_3d", obj(GREETINGS, (2, 2, 3))),
    case("nested_2d_fortran_input", np.asfortranarray(obj(GREETINGS, (3, 4)))),
    case("empty", obj([])),
    case("zero_inner", np.empty((2, 0), dtype=object)),
    case("many_items", obj([str(i) for i in range(20)])),
    case("none_and_zero", obj(["a", None, "", 0]), exact=False, values=["a", "", "", ""]),
    case("mixed", obj(["foo", 1.0, 2]), expect_error=True),
    case("list_element", obj([["a", "b"], "c"]), expect_error=True),
    case("dict_element", obj([{"a": 1}, "c"]), expect_error=True),
    case("bytes", obj([b"", b"\x00\xff", b"x" * 300]), kind="bytes"),
    case("bytes_no_bin_type", obj([b"", b"\x00\xff", b"x" * 40]), MsgPack(use_bin_type=False), kind="bytes"),
    case("int32", np.array([0, 1, 127, 128, 255, 256, 65535, 65536, -1, -32, -33, -128, -129, -32768, -32769, 2**31 - 1, -(2**31)], dtype="<i4")),
    case("int8", np.array([-128, -33, -32, -1, 0, 127], dtype="|i1")),
    case("uint8", np.array([0, 127, 128, 255], dtype="|u1")),
    case("int16", np.array([-32768, 32767, 200], dtype="<i2")),
    case("uint16", np.array([0, 65535], dtype="<u2")),
    case("uint32", np.array([0, 2**32 - 1, 70000], dtype="<u4")),
    case("int64", np.array([-(2**63), 2**63 - 1, 2**32, -(2**32)], dtype="<i8")),
    case("uint64", np.array([0, 2**63, 2**64 - 1], dtype="<u8")),
    case("bool", np.array([True, False, True], dtype="|b1")),
    case("float64", np.array([0.0, -0.0, 0.1, 1e300, np.nan, np.inf, -np.inf, 5e-324], dtype="<f8")),
    case("float64_single", np.array([0.5, 0.1, 1e30, np.nan, -np.inf], dtype="<f8"), MsgPack(use_single_float=True), exact=False),
    case("float32", np.array([0.1, 3.4028235e38, -2.5, np.nan], dtype="<f4")),
    case("float32_single", np.array([0.1, -2.5, np.inf], dtype="<f4"), MsgPack(use_single_float=True)),
    case("float16", np.array([0.1, 65504, -0.0, np.inf], dtype="<f2")),
    case("float64_2d", np.linspace(0, 1, 12, dtype="<f8").reshape(3, 4)),
]

with open(os.path.join(HERE, "numcodecs.json"), "w") as f:
    json.dump(
        {
            "generator": f"numcodecs {numcodecs.__version__}, msgpack {msgpack.version}, numpy {np.__version__}",
            "cases": cases,
        },
        f,
        indent=1,
    )
    f.write("\n")

store_dir = os.path.join(HERE, "zarr2")
shutil.rmtree(store_dir, ignore_errors=True)
root = zarr.open_group(zarr.DirectoryStore(store_dir), mode="w")
arrays = {}


def record(name, z, written):
    back = np.asarray(z[...])
    arrays[name] = {
        "shape": list(z.shape),
        "dtype": z.dtype.str,
        "order": z.order,
        "read_back": back.ravel(order="C").tolist() if z.dtype == object else None,
        "read_back_hex": None if z.dtype == object else le_hex(back),
        "written": written,
    }


data = obj(GREETINGS[:7])
z = root.create_dataset("strings", shape=(7,), chunks=(3,), dtype=object, object_codec=MsgPack())
z[...] = data
record("strings", z, data.tolist())

data = obj((GREETINGS * 2)[:20], (4, 5))
z = root.create_dataset("strings_2d", shape=(4, 5), chunks=(2, 3), dtype=object, object_codec=MsgPack(), compressor=None)
z[...] = data
record("strings_2d", z, data.ravel().tolist())

for name, shape, chunks in [("strings_f", (4, 5), (2, 3)), ("strings_f_square", (3, 3), (3, 3))]:
    n = shape[0] * shape[1]
    data = obj([f"s{i}" for i in range(n)], shape)
    z = root.create_dataset(name, shape=shape, chunks=chunks, dtype=object, object_codec=MsgPack(), order="F", compressor=None)
    z[...] = data
    record(name, z, data.ravel().tolist())

for name, fill in [("partial_fill0", 0), ("partial_fill_none", None)]:
    z = root.create_dataset(name, shape=(8,), chunks=(3,), dtype=object, object_codec=MsgPack(), compressor=None, fill_value=fill)
    z[0] = "a"
    z[4] = "e"
    record(name, z, None)

z = root.create_dataset("int32", shape=(10,), chunks=(4,), dtype="<i4", filters=[MsgPack()], compressor=None)
z[...] = np.arange(10, dtype="<i4") * 70 - 200
record("int32", z, None)

z = root.create_dataset("float64", shape=(6,), chunks=(6,), dtype="<f8", filters=[MsgPack()], compressor=None)
z[...] = np.array([0.1, -0.0, 1e16, np.nan, np.inf, 2.5])
record("float64", z, None)

with open(os.path.join(HERE, "zarr2.json"), "w") as f:
    json.dump({"generator": f"zarr {zarr.__version__}, numcodecs {numcodecs.__version__}", "arrays": arrays}, f, indent=1)
    f.write("\n")
