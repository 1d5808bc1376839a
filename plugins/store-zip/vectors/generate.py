"""Reference archives for zarrkit-store-zip, written by Python's `zipfile` and zarr-python 2.

Run with scripts/reference/generate.sh store-zip (zarr 2.18 / numcodecs 0.15 venv). Writes
zip2.json next to this file: each archive as hex, with what Python's zipfile reads from it
(names and contents, the last of duplicate names), and zarr-python 2 `ZipStore` stores with
the arrays' values as zarr-python reads them.
"""

import io
import json
import sys
import tempfile
import zipfile
from pathlib import Path

import numcodecs
import numpy as np
import zarr

HERE = Path(__file__).resolve().parent


def contents(data: bytes) -> dict:
    """What Python's zipfile reads: every name (the last duplicate wins) and its bytes."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert zf.testzip() is None
        names = sorted({n for n in zf.namelist() if not n.endswith("/")})
        return {
            "entries": {n: zf.read(n).hex() for n in names},
            "methods": sorted({i.compress_type for i in zf.infolist()}),
            "comment_hex": zf.comment.hex(),
        }


def archive(name, description, data: bytes, root: str = "", expected=None, comment=b"") -> dict:
    d = {"name": name, "description": description, "root": root, "zip_hex": data.hex()}
    try:
        d.update(contents(data))
        d["python_reads"] = True
    except zipfile.BadZipFile as e:
        # Python's zipfile cannot read it: the contents it was written with are expected.
        d["python_reads"] = False
        d["python_error"] = str(e)
        d["entries"] = {n: v.hex() for n, v in sorted(expected.items())}
        d["comment_hex"] = comment.hex()
    return d


SAMPLE = {
    "zarr.json": b'{"zarr_format": 3, "node_type": "group"}',
    "a/zarr.json": b'{"zarr_format": 3, "node_type": "group", "attributes": {}}',
    "a/c/0": bytes(range(256)) * 3,
    "a/c/1": b"",
    "b/text.txt": (b"the quick brown fox jumps over the lazy dog\n" * 40),
}


def write(entries, compression, **kw) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=compression, **kw) as zf:
        for name, value in entries.items():
            zf.writestr(name, value)
    return buf.getvalue()


def generic():
    out = []
    out.append(archive("stored", "ZIP_STORED, default zipfile settings",
                       write(SAMPLE, zipfile.ZIP_STORED)))
    out.append(archive("deflated", "ZIP_DEFLATED (level 6)",
                       write(SAMPLE, zipfile.ZIP_DEFLATED)))
    # ZIP64 in a small file: Python's zipfile decides on ZIP64 from module limits at write
    # time; lowered, every size and offset above 64 bytes and more than 2 entries get the
    # ZIP64 fields and end records, exactly as a > 4 GiB archive would.
    saved = (zipfile.ZIP64_LIMIT, zipfile.ZIP_FILECOUNT_LIMIT)
    zipfile.ZIP64_LIMIT, zipfile.ZIP_FILECOUNT_LIMIT = 64, 2
    try:
        z64s = write(SAMPLE, zipfile.ZIP_STORED)
        z64d = write(SAMPLE, zipfile.ZIP_DEFLATED)
    finally:
        zipfile.ZIP64_LIMIT, zipfile.ZIP_FILECOUNT_LIMIT = saved
    out.append(archive("zip64_stored", "ZIP64 sizes, offsets and end records (limits lowered)", z64s))
    out.append(archive("zip64_deflated", "ZIP64 and ZIP_DEFLATED (limits lowered)", z64d))
    # force_zip64: a ZIP64 extra field in the local headers only (the central directory has
    # none): the local extra length differs from the central one.
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_STORED) as zf:
        for name, value in SAMPLE.items():
            with zf.open(name, "w", force_zip64=True) as f:
                f.write(value)
    out.append(archive("force_zip64", "open(..., force_zip64=True): local ZIP64 extra fields", buf.getvalue()))
    # A top-level folder holding the Zarr root, with directory entries.
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.mkdir("data.zarr")
        zf.mkdir("data.zarr/a")
        for name, value in SAMPLE.items():
            zf.writestr("data.zarr/" + name, value)
        zf.writestr("README.txt", b"outside the root")
    out.append(archive("root_folder", "entries under data.zarr/ with directory entries", buf.getvalue(), "data.zarr/"))
    # Data before the archive (offsets relative to the archive's start).
    stub = b"#!/bin/sh\necho self-extracting stub\nexit 0\n"
    out.append(archive("prepended", "a stub before the archive (cat stub archive.zip)",
                       stub + write(SAMPLE, zipfile.ZIP_STORED)))
    # Duplicate names: the last one wins.
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("k", b"first")
        zf.writestr("other", b"x")
        zf.writestr("k", b"second, the one that counts")
    out.append(archive("duplicates", "the name k twice", buf.getvalue()))
    # A name in code page 437 (no UTF-8 flag): written with a placeholder, then patched.
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("cp437-XY.bin", b"code page 437")
        zf.writestr("utf8-\u00e9.bin", b"utf-8 flag set")
    data = buf.getvalue().replace(b"cp437-XY.bin", b"cp437-\x80\xe1.bin")
    out.append(archive("cp437", "a name in code page 437, one in UTF-8", data))
    # A comment holding a fake end record signature.
    buf = io.BytesIO()
    comment = b"comment PK\x05\x06 with a fake end record signature" + b"!" * 30
    with zipfile.ZipFile(buf, "w") as zf:
        for name, value in SAMPLE.items():
            zf.writestr(name, value)
        zf.comment = comment
    out.append(archive("comment", "an archive comment containing PK\\x05\\x06 (Python's zipfile takes "
                       "the signature in the comment for the end record)", buf.getvalue(), expected=SAMPLE, comment=comment))
    # An empty archive.
    out.append(archive("empty", "no entries", write({}, zipfile.ZIP_STORED)))
    return out


def metadata_first(keys):
    """zarrkit's EntryOrder::MetadataFirst."""
    def k(key):
        parts = key.split("/")
        meta = parts[-1] in ("zarr.json", ".zgroup", ".zarray", ".zattrs", ".zmetadata")
        if key == "zarr.json":
            return (0, 0, parts)
        if meta:
            return (1, len(parts), parts)
        return (2, 0, parts)
    return sorted(keys, key=k)


def writer_exact():
    """What zarrkit's writer must write byte for byte: ZIP_STORED entries with the DOS date
    1980-01-01, Unix mode 0644, in zarrkit's metadata-first order."""
    entries = dict(SAMPLE)
    entries["b/\u00fc.bin"] = b"non-ASCII name: UTF-8 flag"
    entries["b/zarr.json"] = b"{}"
    order = metadata_first(entries)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_STORED) as zf:
        for name in order:
            zi = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            zi.external_attr = 0o100644 << 16
            zi.compress_type = zipfile.ZIP_STORED
            zf.writestr(zi, entries[name])
    assert buf.getvalue()[:4] == b"PK\x03\x04"
    return {
        "description": "Python zipfile, ZipInfo(date_time=1980-01-01), external_attr 0o100644<<16",
        "entries": [[n, entries[n].hex()] for n in order],
        "zip_hex": buf.getvalue().hex(),
    }


def zarr2_archives():
    out = []
    for label, compression in [("stored", zipfile.ZIP_STORED), ("deflated", zipfile.ZIP_DEFLATED)]:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "store.zip"
            store = zarr.ZipStore(str(path), mode="w", compression=compression)
            root = zarr.group(store=store)
            root.attrs["title"] = "first"
            a = root.create_dataset("data", shape=(20, 30), chunks=(8, 16), dtype="<i4",
                                    compressor=numcodecs.Zlib(level=1), fill_value=-1)
            a[:] = np.arange(600, dtype="<i4").reshape(20, 30)
            b = root.create_dataset("sub/raw", shape=(10,), chunks=(4,), dtype="<f8",
                                    compressor=None, fill_value=0.5)
            b[:6] = np.linspace(0.0, 1.0, 6)
            # Overwriting a key in a ZipStore appends a second entry of the same name.
            root.attrs["title"] = "second"
            store.close()
            data = path.read_bytes()
            store = zarr.ZipStore(str(path), mode="r")
            root = zarr.open_group(store=store, mode="r")
            arrays = {}
            for name in ["data", "sub/raw"]:
                arr = root[name]
                arrays[name] = {
                    "shape": list(arr.shape),
                    "dtype": arr.dtype.str,
                    "values": arr[...].ravel().tolist(),
                }
            attrs = dict(root.attrs)
            store.close()
        d = archive(f"zarr2_{label}", f"zarr-python {zarr.__version__} ZipStore, {label}", data)
        d["arrays"] = arrays
        d["attrs"] = attrs
        out.append(d)
    return out


def main():
    doc = {
        "generator": f"Python {sys.version.split()[0]} zipfile, zarr-python {zarr.__version__}, numcodecs {numcodecs.__version__}",
        "archives": generic(),
        "writer_exact": writer_exact(),
        "zarr2": zarr2_archives(),
    }
    (HERE / "zip2.json").write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
