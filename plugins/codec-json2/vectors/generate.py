"""Reference vectors for zarrkit-codec-json2, from the real writers.

Writes, next to this file:
- numcodecs.json: numcodecs `JSON(...).encode(array)` for arrays of strings (unicode,
  escapes, empty strings, None, nested shapes, 0-d, empty), numbers and booleans, with
  several encoder configurations; plus Python `repr` of many floats.
- zarr2/: a zarr-python 2 directory store of json2 arrays (C and F order, partial chunks
  with fill values 0 and None, numeric arrays with a json2 filter, a 0-d array), and
  zarr2.json describing what zarr-python 2 reads back from each.
- anndata/: the string columns of an AnnData object as anndata (0.8-0.10, zarr-python 2)
  writes them (obs index and a categorical column: `string-array` arrays written with
  `dtype=object, object_codec=numcodecs.VLenUTF8()`, categorical codes as int8), and
  anndata.json with the expected values. anndata itself writes vlen-utf8, not json2.

Run with scripts/reference/generate.sh codec-json2.
"""

import json
import os
import random
import shutil
import struct

import numcodecs
import numpy as np
import zarr
from numcodecs import JSON, VLenUTF8

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

ESCAPES = [
    "",
    'a"b',
    "back\\slash",
    "tab\t nl\n cr\r bs\b ff\f",
    "\x00\x01\x1f\x7f",
    "😀 emoji 𝄞",
    "\u2028 line sep",
    "/slash",
    " ",
]


def obj(values, shape=None):
    a = np.empty(len(values), dtype=object)
    for i, v in enumerate(values):
        a[i] = v
    return a.reshape(shape) if shape is not None else a


def le_hex(a):
    a = np.ascontiguousarray(a)
    return a.astype(a.dtype.newbyteorder("<")).tobytes().hex()


def case(name, arr, codec=None, exact=True, expect_error=False, values=None):
    codec = codec or JSON()
    enc = bytes(codec.encode(arr))
    c = {
        "name": name,
        "config": codec.get_config(),
        "shape": list(arr.shape),
        "dtype": arr.dtype.str,
        "encoded_hex": enc.hex(),
        # Encoding zarrkit's decoded chunk must give these bytes back.
        "byte_exact": exact,
        # zarrkit has no data type for these elements: decoding is an error.
        "expect_error": expect_error,
    }
    # Whether numcodecs reads its own output (it cannot broadcast `[]` into (0, 3)).
    try:
        dec = codec.decode(enc)
        assert dec.shape == arr.shape
        c["numcodecs_decodes"] = True
    except ValueError:
        c["numcodecs_decodes"] = False
    if arr.dtype == object:
        if values is None:
            values = arr.ravel(order="C").tolist()
        c["values"] = values
    else:
        c["data_hex"] = le_hex(arr)
    return c


cases = [
    case("strings", obj(["foo", "bar", "baz"] * 3)),
    case("greetings", obj(GREETINGS)),
    case("greetings_no_ascii", obj(GREETINGS), JSON(ensure_ascii=False)),
    case("escapes", obj(ESCAPES)),
    case("escapes_no_ascii", obj(ESCAPES), JSON(ensure_ascii=False)),
    case("nested_2d", obj(GREETINGS, (3, 4))),
    case("nested_3d", obj(GREETINGS, (2, 2, 3))),
    # An F-contiguous chunk: numcodecs writes its logical C order.
    case("nested_2d_fortran_input", np.asfortranarray(obj(GREETINGS, (3, 4)))),
    case("zero_d", np.array("solo", dtype=object)),
    case("empty", obj([])),
    case("zero_inner", np.empty((2, 0), dtype=object)),
    case("zero_outer", np.empty((0, 3), dtype=object)),
    case("indent_true", obj(GREETINGS[:3], (3, 1)), JSON(indent=True)),
    case("indent_2", obj(GREETINGS[:6], (2, 3)), JSON(indent=2)),
    case("indent_tab", obj(["a", "b"]), JSON(indent="\t")),
    case("indent_0", obj(["a", "b"]), JSON(indent=0)),
    case("separators", obj(["a", "b", "c"]), JSON(separators=(" , ", ":"))),
    case("latin1", obj(["abc", "é"]), JSON(encoding="latin-1")),
    # None and 0 (zarr-python 2's fill values in partial chunks) read as "".
    case("none_and_zero", obj(["a", None, "", 0]), exact=False, values=["a", "", "", ""]),
    # Mixed objects: no zarrkit data type holds them.
    case("mixed", obj(["foo", 1.0, 2]), expect_error=True),
    case("list_element", obj([["a", "b"], "c"]), expect_error=True),
    case("dict_element", obj([{"a": 1}, "c"]), expect_error=True),
    # Numbers and booleans.
    case("int32", np.arange(-5, 10, dtype="<i4")),
    case("int8", np.array([-128, -1, 0, 127], dtype="|i1")),
    case("uint8", np.array([0, 1, 255], dtype="|u1")),
    case("int16", np.array([-32768, 32767], dtype="<i2")),
    case("uint16", np.array([0, 65535], dtype="<u2")),
    case("uint32", np.array([0, 2**32 - 1], dtype="<u4")),
    case("int64", np.array([-(2**63), 2**63 - 1, 0], dtype="<i8")),
    case("uint64", np.array([0, 2**63, 2**64 - 1], dtype="<u8")),
    case("bool", np.array([True, False, True], dtype="|b1")),
    case(
        "float64",
        np.array(
            [0.0, -0.0, 1.0, 0.1, 1e16, 1e15, 1e-5, 1e-4, 1.5e300, 5e-324, np.nan, np.inf, -np.inf, 123.456],
            dtype="<f8",
        ),
    ),
    case("float64_2d", np.linspace(0, 1, 12, dtype="<f8").reshape(3, 4)),
    case("float32", np.array([0.1, 1e-8, 3.4028235e38, -2.5, np.nan], dtype="<f4")),
    case("float16", np.array([0.1, 65504, -0.0, 6e-8, np.inf], dtype="<f2")),
    case("float64_no_nan", np.array([0.5, 2.0], dtype="<f8"), JSON(allow_nan=False)),
]

# Python's float repr for many doubles (and float32 values widened, as tolist() does).
rng = random.Random(20260101)
floats = []
specials = [
    1e16, 1e15, 9999999999999998.0, 1e17, 1e-4, 1e-5, 0.0001234, 1e22, 1e21, 1e23,
    2**53, 2**53 + 2, 5e-324, 2.2250738585072014e-308, 1.7976931348623157e308, 0.1, 0.2,
    0.30000000000000004, 1 / 3, 2 / 3, 100.0, 123456789.0, 1.0e-7, 4.35, 0.5, 2.5, 1e100,
]
for x in map(float, specials):
    floats.append(x)
    floats.append(-x)
while len(floats) < 3000:
    r = rng.random()
    if r < 0.4:
        bits = rng.getrandbits(64)
        x = struct.unpack("<d", struct.pack("<Q", bits))[0]
        if x != x or x in (float("inf"), float("-inf")):
            continue
    elif r < 0.7:
        x = rng.uniform(-1, 1) * 10 ** rng.randint(-30, 30)
    elif r < 0.85:
        x = float(np.float32(rng.uniform(-1, 1) * 10 ** rng.randint(-20, 20)))
    else:
        x = round(rng.uniform(-1000, 1000), rng.randint(0, 6))
    floats.append(x)
float_reprs = [[struct.pack("<d", x).hex(), repr(x)] for x in floats]

with open(os.path.join(HERE, "numcodecs.json"), "w") as f:
    json.dump(
        {
            "generator": f"numcodecs {numcodecs.__version__}, numpy {np.__version__}",
            "cases": cases,
            "float_reprs": float_reprs,
        },
        f,
        indent=1,
        ensure_ascii=True,
    )
    f.write("\n")

# A zarr-python 2 store.
store_dir = os.path.join(HERE, "zarr2")
shutil.rmtree(store_dir, ignore_errors=True)
root = zarr.open_group(zarr.DirectoryStore(store_dir), mode="w")
arrays = {}


def record(name, z, written):
    back = z[...]
    arrays[name] = {
        "shape": list(z.shape),
        "dtype": z.dtype.str,
        "order": z.order,
        # What zarr-python 2 reads back, flattened in C order (None stays null).
        "read_back": [v for v in np.asarray(back).ravel(order="C").tolist()]
        if z.dtype == object
        else None,
        "read_back_hex": None if z.dtype == object else le_hex(np.asarray(back)),
        "written": written,
    }


data = obj(GREETINGS[:7])
z = root.create_dataset("strings", shape=(7,), chunks=(3,), dtype=object, object_codec=JSON())
z[...] = data
record("strings", z, data.tolist())

data = obj((GREETINGS * 2)[:20], (4, 5))
z = root.create_dataset(
    "strings_2d", shape=(4, 5), chunks=(2, 3), dtype=object, object_codec=JSON(), compressor=None
)
z[...] = data
record("strings_2d", z, data.ravel().tolist())

# F order: zarr-python 2 writes numcodecs' logical C order of each F-ordered chunk, but reads
# it back as if it were F order: `read_back` differs from `written`.
for name, shape, chunks in [("strings_f", (4, 5), (2, 3)), ("strings_f_square", (3, 3), (3, 3))]:
    n = shape[0] * shape[1]
    data = obj([f"s{i}" for i in range(n)], shape)
    z = root.create_dataset(
        name, shape=shape, chunks=chunks, dtype=object, object_codec=JSON(), order="F", compressor=None
    )
    z[...] = data
    record(name, z, data.ravel().tolist())

for name, fill in [("partial_fill0", 0), ("partial_fill_none", None)]:
    z = root.create_dataset(
        name, shape=(8,), chunks=(3,), dtype=object, object_codec=JSON(), compressor=None, fill_value=fill
    )
    z[0] = "a"
    z[4] = "e"
    record(name, z, None)

z = root.create_dataset("zero_d", shape=(), dtype=object, object_codec=JSON(), compressor=None)
z[...] = "solo"
record("zero_d", z, ["solo"])

z = root.create_dataset("int32", shape=(10,), chunks=(4,), dtype="<i4", filters=[JSON()], compressor=None)
z[...] = np.arange(10, dtype="<i4") * 7 - 20
record("int32", z, None)

z = root.create_dataset("float64", shape=(6,), chunks=(6,), dtype="<f8", filters=[JSON()], compressor=None)
z[...] = np.array([0.1, -0.0, 1e16, np.nan, np.inf, 2.5])
record("float64", z, None)

with open(os.path.join(HERE, "zarr2.json"), "w") as f:
    json.dump({"generator": f"zarr {zarr.__version__}, numcodecs {numcodecs.__version__}", "arrays": arrays}, f, indent=1)
    f.write("\n")

# The string columns of an AnnData object, as anndata writes them with zarr-python 2:
# `string-array` elements through `create_dataset(dtype=object, object_codec=VLenUTF8())`
# with zarr's default compressor, categorical columns as a group of `categories` (a
# string-array) and int8 `codes`.
ad_dir = os.path.join(HERE, "anndata")
shutil.rmtree(ad_dir, ignore_errors=True)
ad = zarr.open_group(zarr.DirectoryStore(ad_dir), mode="w")
ad.attrs.update({"encoding-type": "anndata", "encoding-version": "0.1.0"})
obs = ad.create_group("obs")
index = ["cell_%d" % i for i in range(6)] + ["çéll_ü", "细胞"]
obs.attrs.update(
    {
        "_index": "_index",
        "column-order": ["cell_type", "donor"],
        "encoding-type": "dataframe",
        "encoding-version": "0.2.0",
    }
)


def string_array(group, key, values):
    a = np.array(values, dtype=object)
    group.create_dataset(key, shape=a.shape, dtype=object, object_codec=VLenUTF8())
    group[key][:] = a
    group[key].attrs.update({"encoding-type": "string-array", "encoding-version": "0.2.0"})


string_array(obs, "_index", index)
cats = ["B cell", "T cell", "NK ☃"]
codes = np.array([0, 1, 1, 2, -1, 0, 2, 1], dtype="i1")
ct = obs.create_group("cell_type")
ct.attrs.update({"encoding-type": "categorical", "encoding-version": "0.2.0", "ordered": False})
string_array(ct, "categories", cats)
ct.create_dataset("codes", data=codes)
ct["codes"].attrs.update({"encoding-type": "array", "encoding-version": "0.2.0"})
donor = ["d1", "d2", "", "d1", "d3", "d2", "d1", "d4"]
string_array(obs, "donor", donor)

with open(os.path.join(HERE, "anndata.json"), "w") as f:
    json.dump(
        {
            "generator": f"zarr {zarr.__version__}, numcodecs {numcodecs.__version__}",
            "obs/_index": index,
            "obs/cell_type/categories": cats,
            "obs/cell_type/codes": codes.tolist(),
            "obs/donor": donor,
        },
        f,
        indent=1,
    )
    f.write("\n")
