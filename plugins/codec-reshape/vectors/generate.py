"""Reference vectors for the `reshape` codec, hand-built from the spec text.

No Python writer implements `reshape` (zarr-python 2.18 and 3.1.6 do not; zarrs has it in
Rust). The stores below are built by hand: `zarr.json` written here, each chunk's stored
bytes computed by numpy from what the zarr-extensions README defines
(`ravel(B) == ravel(A)`: numpy's C-order `reshape`), followed by numpy's `transpose` where
the chain has a `transpose` codec (the core spec's transpose: encoded axis i is decoded axis
order[i]) and `tobytes()` in the `bytes` codec's byte order. A wrong reshape shape gives a
wrong transpose, so these stores check the encoded shape, not only the byte pass-through.

Run with scripts/reference/generate.sh codec-reshape (numpy only).
"""

import json
import os
import shutil

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def encoded_shape(shape_cfg, a_shape):
    out, auto = [], None
    for i, d in enumerate(shape_cfg):
        if d == -1:
            auto = i
            out.append(1)
        elif isinstance(d, list):
            out.append(int(np.prod([a_shape[k] for k in d], dtype=np.int64)))
        else:
            out.append(d)
    total = int(np.prod(a_shape, dtype=np.int64))
    if auto is not None:
        out[auto] = total // int(np.prod(out, dtype=np.int64))
    assert int(np.prod(out, dtype=np.int64)) == total
    return out


def write_store(name, data, chunks, dtype_name, fill, codecs, endian):
    root = os.path.join(HERE, name)
    shutil.rmtree(root, ignore_errors=True)
    os.makedirs(os.path.join(root, "c"))
    meta = {
        "zarr_format": 3,
        "node_type": "array",
        "shape": list(data.shape),
        "data_type": dtype_name,
        "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": chunks}},
        "chunk_key_encoding": {"name": "default", "configuration": {"separator": "/"}},
        "fill_value": fill,
        "codecs": codecs
        + [{"name": "bytes", "configuration": {"endian": endian}}],
        "attributes": {},
    }
    with open(os.path.join(root, "zarr.json"), "w") as f:
        json.dump(meta, f, indent=2)
    grid = [-(-s // c) for s, c in zip(data.shape, chunks)]
    for idx in np.ndindex(*grid):
        # The full chunk (edge chunks padded with the fill value), then the codecs.
        chunk = np.full(chunks, fill, dtype=data.dtype)
        sl = tuple(slice(i * c, min((i + 1) * c, s)) for i, c, s in zip(idx, chunks, data.shape))
        part = data[sl]
        chunk[tuple(slice(0, n) for n in part.shape)] = part
        arr = chunk
        for c in codecs:
            if c["name"] == "reshape":
                arr = arr.reshape(encoded_shape(c["configuration"]["shape"], list(arr.shape)))
            elif c["name"] == "transpose":
                arr = np.transpose(arr, c["configuration"]["order"])
        dt = arr.dtype.newbyteorder("<" if endian == "little" else ">")
        path = os.path.join(root, "c", *map(str, idx))
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(np.ascontiguousarray(arr, dtype=dt).tobytes())
    return {
        "store": name,
        "dtype": dtype_name,
        "shape": list(data.shape),
        "values": data.ravel().tolist(),
    }


def main():
    cases = []
    a = np.arange(24, dtype=np.int32).reshape(4, 6) * 3 - 20
    cases.append(
        write_store(
            "reshape_transpose_int32",
            a,
            [4, 6],
            "int32",
            0,
            [
                {"name": "reshape", "configuration": {"shape": [[0], 2, 3]}},
                {"name": "transpose", "configuration": {"order": [2, 1, 0]}},
            ],
            "little",
        )
    )
    b = (np.arange(2 * 3 * 4 * 5, dtype=np.float32) * 0.5 - 7).reshape(2, 3, 4, 5)
    cases.append(
        write_store(
            "groups_auto_float32_big",
            b,
            [2, 3, 4, 5],
            "float32",
            0.0,
            [
                {"name": "reshape", "configuration": {"shape": [[0, 1], -1, [3]]}},
                {"name": "transpose", "configuration": {"order": [1, 0, 2]}},
            ],
            "big",
        )
    )
    # Edge chunks: the array is not a multiple of the chunk shape (fill value 9 beyond it).
    c = np.arange(5 * 6, dtype=np.uint16).reshape(5, 6)
    cases.append(
        write_store(
            "edge_chunks_uint16",
            c,
            [4, 4],
            "uint16",
            9,
            [
                {"name": "reshape", "configuration": {"shape": [-1, 2]}},
                {"name": "transpose", "configuration": {"order": [1, 0]}},
            ],
            "little",
        )
    )
    # The README's example configuration on its chunk shape, scaled down: [[0, 1], [2], 3].
    d = (np.arange(2 * 5 * 4 * 3, dtype=np.int16) - 50).reshape(2, 5, 4, 3)
    cases.append(
        write_store(
            "readme_example_int16",
            d,
            [2, 5, 4, 3],
            "int16",
            0,
            [
                {"name": "reshape", "configuration": {"shape": [[0, 1], [2], 3]}},
                {"name": "transpose", "configuration": {"order": [2, 0, 1]}},
            ],
            "little",
        )
    )
    with open(os.path.join(HERE, "vectors.json"), "w") as f:
        json.dump(
            {
                "source": "hand-built from the zarr-extensions reshape README (no Python writer implements reshape); stored chunks computed with numpy "
                + np.__version__,
                "cases": cases,
            },
            f,
            indent=1,
        )


main()
