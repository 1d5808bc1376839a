"""Read Zarr arrays with a peer implementation and print the SHA-256 of their canonical bytes.

Used by `zarrkit-conformance --write-back`:

    python peer_read.py --versions
        prints {"python": ..., "zarr": ..., "tensorstore": ..., "numcodecs": ..., "numpy": ...}
    python peer_read.py PEER < jobs.json
        PEER is `zarr-python` or `tensorstore`; jobs.json is a JSON list of
        {"key": str, "store": "/store/root", "path": "/node/path", "zarr_format": 2 | 3}.
        Prints one JSON line per job, in order:
        {"key": ..., "sha256": "<hex>"} or {"key": ..., "error": "<ExceptionType: message>"}.

Canonical bytes (as in the corpus README): elements in C order; numbers little endian (complex:
real then imaginary part); bool one byte 0/1; variable-length strings and bytes as a u32
little-endian length followed by the (UTF-8) bytes; fixed-length |S / |V raw bytes, <U as
UCS-4 little endian. One process reads every job: interpreter and library start-up is slow.
"""

import hashlib
import json
import os
import re
import struct
import sys


def canonical_bytes(arr):
    import numpy as np

    arr = np.asarray(arr)
    flat = arr.reshape(-1)
    dt = arr.dtype
    if dt.kind == "b":
        return flat.astype(np.uint8).tobytes()
    if dt.kind in "iufc":
        return np.ascontiguousarray(flat, dtype=dt.newbyteorder("<")).tobytes()
    if dt.kind == "U":
        return np.ascontiguousarray(flat, dtype=dt.newbyteorder("<")).tobytes()
    if dt.kind in "SV" and dt.fields is None:
        return np.ascontiguousarray(flat).tobytes()
    if dt.kind in "OT":
        out = bytearray()
        for x in flat.tolist():
            if isinstance(x, str):
                b = x.encode("utf-8")
            elif isinstance(x, (bytes, bytearray, memoryview)):
                b = bytes(x)
            else:
                raise TypeError(f"element of type {type(x).__name__} in an {dt} array")
            out += struct.pack("<I", len(b))
            out += b
        return bytes(out)
    raise TypeError(f"no canonical encoding for numpy dtype {dt}")


def read_zarr_python(store, path, zarr_format):
    import zarr

    node = path.strip("/")
    kwargs = {"store": store, "mode": "r", "zarr_format": zarr_format}
    if node:
        kwargs["path"] = node
    a = zarr.open_array(**kwargs)
    return a[...]


def read_tensorstore(store, path, zarr_format):
    import tensorstore as ts

    root = os.path.join(store, path.strip("/")) if path.strip("/") else store
    spec = {
        "driver": "zarr3" if zarr_format == 3 else "zarr",
        "kvstore": {"driver": "file", "path": root.rstrip("/") + "/"},
    }
    t = ts.open(spec, open=True, read=True).result()
    return t.read().result()


READERS = {"zarr-python": read_zarr_python, "tensorstore": read_tensorstore}


def one_line(e):
    text = f"{type(e).__name__}: {e}"
    text = " | ".join(line.strip() for line in text.splitlines() if line.strip())
    # tensorstore appends the whole spec (context, paths) to its errors: keep the message.
    return re.sub(r"\s*\[tensorstore_spec='.*'\]\s*$", "", text)


def versions():
    import importlib.metadata as md

    out = {"python": sys.version.split()[0]}
    for name in ["zarr", "tensorstore", "numcodecs", "numpy"]:
        try:
            out[name] = md.version(name)
        except md.PackageNotFoundError:
            out[name] = None
    return out


def main(argv):
    if len(argv) == 2 and argv[1] == "--versions":
        print(json.dumps(versions()), flush=True)
        return 0
    if len(argv) != 2 or argv[1] not in READERS:
        print(f"usage: {argv[0]} --versions | {{{'|'.join(READERS)}}} < jobs.json", file=sys.stderr)
        return 2
    read = READERS[argv[1]]
    jobs = json.load(sys.stdin)
    for job in jobs:
        result = {"key": job["key"]}
        try:
            data = read(job["store"], job["path"], int(job["zarr_format"]))
            result["sha256"] = hashlib.sha256(canonical_bytes(data)).hexdigest()
        except BaseException as e:  # a peer's failure is a result, never a crash of the run
            if isinstance(e, KeyboardInterrupt):
                raise
            text = one_line(e)
            # The same limitation reads the same for every store: name no path.
            for root in sorted({job["store"], os.path.abspath(job["store"])}, key=len, reverse=True):
                text = text.replace(root.rstrip("/"), "<store>")
            result["error"] = text if len(text) <= 400 else text[:397] + "..."
        print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
