"""Reference vectors for zarrkit-codec-vlen-array, from the real writers.

Writes, next to this file:
- numcodecs.json: numcodecs `VLenArray(dtype).encode(array)` for ragged object arrays of
  every integer dtype (numcodecs' own fixture list), floats, bool, complex and big-endian
  dtypes; 1-D, 2-D (C and F memory order), None and empty elements, empty arrays.
- zarr2/: a zarr-python 2 directory store of vlen-array arrays (C and F order, a big-endian
  dtype, floats, partial chunks with fill value None) and zarr2.json with what zarr-python
  2 reads back (each element's numbers as little-endian hex, in C order of the array).

Run with scripts/reference/generate.sh codec-vlen-array.
"""

import json
import os
import shutil

import numcodecs
import numpy as np
import zarr
from numcodecs import VLenArray

HERE = os.path.dirname(os.path.abspath(__file__))


def obj(values, shape=None):
    a = np.empty(len(values), dtype=object)
    for i, v in enumerate(values):
        a[i] = v
    return a.reshape(shape) if shape is not None else a


def le_hex(e, dtype):
    """An element's numbers as little-endian hex ("" for None or 0)."""
    if e is None or (not isinstance(e, np.ndarray) and e == 0):
        return ""
    a = np.ascontiguousarray(e, dtype=dtype)
    return a.astype(a.dtype.newbyteorder("<")).tobytes().hex()


def memory_order(arr):
    return arr.reshape(-1, order="A")


def case(name, arr, dtype):
    codec = VLenArray(dtype)
    enc = bytes(codec.encode(arr))
    dec = codec.decode(enc)
    assert len(dec) == arr.size
    return {
        "name": name,
        "config": codec.get_config(),
        "n": int(arr.size),
        "encoded_hex": enc.hex(),
        # Elements in the order numcodecs writes them (memory order).
        "values_hex": [le_hex(e, dtype) for e in memory_order(arr).tolist()],
        # Encoding the decoded elements gives these bytes back (None is written as []).
        "byte_exact": True,
    }


ragged = [np.arange(1, 4), np.array([4]), np.array([5, 6])] * 3
cases = []
for dt in ["<i1", "<i2", "<i4", "<i8", "<u1", "<u2", "<u4", "<u8", ">i4", ">u2", ">i8"]:
    cases.append(case(f"ragged_{dt}", obj([a.astype(dt) for a in ragged]), dt))
cases.append(case("ragged_2d", obj(ragged, (3, 3)), "<i4"))
cases.append(case("ragged_2d_fortran_memory", np.asfortranarray(obj(ragged + ragged[:3], (3, 4))), "<i4"))
cases.append(case("floats", obj([np.array([0.1, np.nan, -np.inf]), np.array([]), np.array([-0.0])]), "<f8"))
cases.append(case("floats_be", obj([np.array([0.1, np.nan, -np.inf]), np.array([2.5])]), ">f8"))
cases.append(case("float32", obj([np.array([0.1, 1e30], dtype="f4"), np.array([], dtype="f4")]), "<f4"))
cases.append(case("float16", obj([np.array([0.5, 65504], dtype="f2")]), "<f2"))
cases.append(case("bool", obj([np.array([True, False]), np.array([True])]), "|b1"))
cases.append(case("complex_be", obj([np.array([1 + 2j, -0.5j], dtype="c8")]), ">c8"))
cases.append(case("none_and_empty", obj([None, np.array([], dtype="i4"), np.array([7], dtype="i4"), None]), "<i4"))
cases.append(case("empty", obj([]), "<i4"))
big = np.arange(100_000, dtype="<u2") % 1000
cases.append(case("long_element", obj([big[:3000], big[:1]]), "<u2"))

with open(os.path.join(HERE, "numcodecs.json"), "w") as f:
    json.dump({"generator": f"numcodecs {numcodecs.__version__}, numpy {np.__version__}", "cases": cases}, f, indent=1)
    f.write("\n")

store_dir = os.path.join(HERE, "zarr2")
shutil.rmtree(store_dir, ignore_errors=True)
root = zarr.open_group(zarr.DirectoryStore(store_dir), mode="w")
arrays = {}


def record(name, z, dtype, written):
    back = np.asarray(z[...], dtype=object)
    arrays[name] = {
        "shape": list(z.shape),
        "dtype": dtype,
        "order": z.order,
        "read_back_hex": [le_hex(e, dtype) for e in back.ravel(order="C").tolist()],
        "written_hex": None if written is None else [le_hex(e, dtype) for e in written.ravel(order="C").tolist()],
    }


def ragged_of(n, dtype, seed):
    rng = np.random.default_rng(seed)
    return obj([rng.integers(-50, 50, size=rng.integers(0, 6)).astype(dtype) for _ in range(n)])


data = ragged_of(9, "<i4", 1)
z = root.create_dataset("ragged", shape=(9,), chunks=(4,), dtype=object, object_codec=VLenArray("<i4"))
z[...] = data
record("ragged", z, "<i4", data)

data = ragged_of(20, "<i4", 2).reshape(4, 5)
z = root.create_dataset("ragged_2d", shape=(4, 5), chunks=(2, 3), dtype=object, object_codec=VLenArray("<i4"), compressor=None)
z[...] = data
record("ragged_2d", z, "<i4", data)

data = ragged_of(20, "<i4", 3).reshape(4, 5)
z = root.create_dataset("ragged_f", shape=(4, 5), chunks=(2, 3), dtype=object, object_codec=VLenArray("<i4"), compressor=None, order="F")
z[...] = data
record("ragged_f", z, "<i4", data)

data = ragged_of(7, ">i2", 4)
z = root.create_dataset("ragged_be", shape=(7,), chunks=(7,), dtype=object, object_codec=VLenArray(">i2"), compressor=None)
z[...] = data
record("ragged_be", z, ">i2", data)

data = obj([np.array([0.1, np.nan]), np.array([]), np.array([1e300, -0.0, 2.5])])
z = root.create_dataset("ragged_f8", shape=(3,), chunks=(2,), dtype=object, object_codec=VLenArray("<f8"), compressor=None)
z[...] = data
record("ragged_f8", z, "<f8", data)

z = root.create_dataset("partial_fill_none", shape=(8,), chunks=(3,), dtype=object, object_codec=VLenArray("<i4"), compressor=None, fill_value=None)
z[0] = np.array([1, 2], dtype="i4")
z[4] = np.array([5], dtype="i4")
record("partial_fill_none", z, "<i4", None)

# With the default fill value 0, the unwritten elements of a partial chunk hold the integer
# 0, which VLenArray writes as the one-number array [0]; a missing chunk reads as 0 (which
# zarrkit reads as the empty array, its rule for V2 fill value 0 of variable-size types).
z = root.create_dataset("partial_fill0", shape=(8,), chunks=(3,), dtype=object, object_codec=VLenArray("<i4"), compressor=None)
z[0] = np.array([1], dtype="i4")
z[4] = np.array([5], dtype="i4")
record("partial_fill0", z, "<i4", None)

with open(os.path.join(HERE, "zarr2.json"), "w") as f:
    json.dump({"generator": f"zarr {zarr.__version__}, numcodecs {numcodecs.__version__}", "arrays": arrays}, f, indent=1)
    f.write("\n")
