"""Reference archives for zarrkit-store-zip written by zarr-python 3 (run with
scripts/reference/generate.sh store-zip, zarr-python 3.1 venv). Writes zip3.json:

- `zarr3_zipstore`: a group with a sharded gzip array and a plain one, written through
  zarr-python 3's `zarr.storage.ZipStore`;
- `ozx`: an OME-Zarr 0.5 hierarchy written by zarr-python 3 to a directory, then packed as
  RFC-9 says (and ngff-zarr's `write_store_to_zip` does): stored entries, ZIP64 forced, the
  root zarr.json first, the other zarr.json breadth-first, then the rest, and the comment
  {"ome": {"version": "0.5", "zipFile": {"centralDirectory": {"jsonFirst": true}}}}.
"""

import io
import json
import os
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import zarr
from zarr.codecs import GzipCodec

HERE = Path(__file__).resolve().parent


def arrays_of(root, names):
    out = {}
    for name in names:
        arr = root[name]
        out[name] = {
            "shape": list(arr.shape),
            "dtype": arr.dtype.str,
            "values": arr[...].ravel().tolist(),
        }
    return out


def zarr3_zipstore():
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "store.zip"
        store = zarr.storage.ZipStore(path, mode="w")
        root = zarr.open_group(store, mode="w", attributes={"title": "zarr-python 3 ZipStore"})
        a = root.create_array("img", shape=(40, 50), chunks=(10, 10), shards=(20, 20),
                              dtype="uint16", compressors=GzipCodec(level=1), fill_value=7)
        a[:, :] = (np.arange(2000, dtype="uint16").reshape(40, 50) * 3) % 65521
        b = root.create_array("sub/plain", shape=(9,), chunks=(4,), dtype="float64",
                              compressors=None, fill_value=-1.0)
        b[:5] = np.linspace(0.0, 2.0, 5)
        store.close()
        data = path.read_bytes()
        store = zarr.storage.ZipStore(path, mode="r")
        root = zarr.open_group(store, mode="r")
        arrays = arrays_of(root, ["img", "sub/plain"])
        store.close()
    return {"zip_hex": data.hex(), "arrays": arrays}


def bfs_key(rel):
    parts = rel.split("/")
    if rel == "zarr.json":
        return (0, 0, parts)
    if parts[-1] == "zarr.json":
        return (1, len(parts), parts)
    return (2, 0, parts)


def ozx():
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp) / "image.ome.zarr"
        ome = {
            "version": "0.5",
            "multiscales": [{
                "name": "image",
                "axes": [{"name": "y", "type": "space"}, {"name": "x", "type": "space"}],
                "datasets": [{"path": "0", "coordinateTransformations": [
                    {"type": "scale", "scale": [1.0, 1.0]}]}],
            }],
        }
        root = zarr.open_group(zarr.storage.LocalStore(d), mode="w", attributes={"ome": ome})
        a = root.create_array("0", shape=(32, 48), chunks=(8, 8), shards=(16, 16),
                              dtype="int16", compressors=None, fill_value=0)
        a[:, :] = np.arange(32 * 48, dtype="int16").reshape(32, 48) - 700
        files = []
        for dirpath, _, filenames in os.walk(d):
            for f in filenames:
                full = Path(dirpath) / f
                files.append(full.relative_to(d).as_posix())
        files.sort(key=bfs_key)
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_STORED) as zf:
            for rel in files:
                zi = zipfile.ZipInfo(rel, date_time=(2025, 1, 1, 0, 0, 0))
                zi.compress_type = zipfile.ZIP_STORED
                with zf.open(zi, "w", force_zip64=True) as dst:
                    dst.write((d / rel).read_bytes())
            zf.comment = json.dumps(
                {"ome": {"version": "0.5", "zipFile": {"centralDirectory": {"jsonFirst": True}}}},
                separators=(",", ":")).encode("utf-8")
        data = buf.getvalue()
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            order = zf.namelist()
        store = zarr.storage.ZipStore(_tmpfile(tmp, data), mode="r")
        root = zarr.open_group(store, mode="r")
        arrays = arrays_of(root, ["0"])
        attrs = dict(root.attrs)
        store.close()
    return {"zip_hex": data.hex(), "order": order, "arrays": arrays, "attrs": attrs}


def _tmpfile(tmp, data):
    p = Path(tmp) / "image.ozx"
    p.write_bytes(data)
    return p


def main():
    doc = {
        "generator": f"Python {sys.version.split()[0]} zipfile, zarr-python {zarr.__version__}",
        "zarr3_zipstore": zarr3_zipstore(),
        "ozx": ozx(),
    }
    (HERE / "zip3.json").write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
