"""Write the foreign-data corpus: Zarr V2 arrays and groups written by zarr-python 2 with the
numcodecs codecs, in the shared conformance corpus's manifest format.

Used by `zarrkit-conformance --foreign`, which runs it in its own pinned virtual environment
(`conformance/python/foreign-requirements.txt`) and then runs the normal read checks on the
result:

    python foreign_corpus.py --versions
        prints {"zarr": ..., "numcodecs": ..., "numpy": ..., ..., "python": ...}: every installed
        distribution by its normalized name
    python foreign_corpus.py OUT_DIR
        writes OUT_DIR/manifest.json, OUT_DIR/stores/<store>/..., OUT_DIR/expected/<case>.bin
        (OUT_DIR must not hold any of them yet), and prints one summary line.

Expected data (`expect.sha256`, `expect.elements_file`): the canonical element bytes of the
data as WRITTEN for lossless chains (missing chunks: the fill value as zarr-python gives it),
and of zarr-python's own read-back for lossy ones (quantize, bitround, lossy zfpy modes,
narrowing astype, fixedscaleoffset to an integer type, float delta, categorize with values
outside its labels). Every case is read back with zarr-python; a lossless case must read back
equal, unless the case names why zarr-python misreads it (`misread`: then the written data stays
the expectation, `verified_by` is empty and the description says so) or says that zarrkit
deliberately reads what zarr-python reads (`as_peer_reads`: F-order json2 / msgpack2, where
zarr-python 2 and 3 transpose each chunk; then zarr-python's read-back is the expectation). The
generator fails when a case misreads without such a note, or a note is given and it reads back
fine.

Canonical element bytes: as the shared corpus README defines them, extended for the types it
does not cover (documented in the conformance crate, `canonical.rs`):
- datetime64 / timedelta64: the i64 value, little endian (NaT is i64::MIN);
- records (structured dtypes): each field's canonical bytes in field order, recursively
  (nested records, subarray fields element by element in C order), one record after another;
- ragged arrays (`|O` + vlen-array): per element a u32 little-endian count of its numbers,
  then the numbers' canonical bytes;
- `|S<n>` / `|V<n>`: the n raw bytes; `<U<n>` / `>U<n>`: n UCS-4 code units little endian.

The manifest is written by Python's json, so attributes holding non-finite floats appear as
bare `NaN` / `Infinity` / `-Infinity` tokens, exactly as in the stores' `.zattrs`.
"""

import hashlib
import json
import lzma
import os
import struct
import sys
import warnings

ELEMENTS_FILE_LIMIT = 256 * 1024
# The note of cases whose expected data is zarr-python's read-back although it differs from
# the data written (the Rust summary looks for it).
PEER_READS_NOTE = "zarrkit reads what zarr-python reads (a documented choice of its codec), so the expected data is zarr-python 2's read-back."  # noqa: E501


def versions():
    """Every installed distribution's version, by its normalized name (PEP 503), and Python's."""
    import importlib.metadata as md
    import re

    out = {}
    for d in md.distributions():
        name = d.metadata["Name"]
        if name:
            out[re.sub(r"[-_.]+", "-", name).lower()] = d.version
    out["python"] = sys.version.split()[0]
    return out


# ---------------------------------------------------------------------------------------------
# Canonical element bytes
# ---------------------------------------------------------------------------------------------


def le_dtype(dt):
    """The same dtype with every multi-byte part little endian (records field by field)."""
    import numpy as np

    if dt.fields is not None:
        fields = []
        offset = 0
        for name in dt.names:
            sub, off = dt.fields[name][:2]
            if off != offset:
                raise ValueError(f"record dtype {dt} is not packed (field {name!r} at {off})")
            fields.append((name, le_dtype(sub)))
            offset += sub.itemsize
        if offset != dt.itemsize:
            raise ValueError(f"record dtype {dt} has trailing padding")
        return np.dtype(fields)
    if dt.subdtype is not None:
        base, shape = dt.subdtype
        return np.dtype((le_dtype(base), shape))
    if dt.kind in "SVb" or dt.itemsize == 1:
        return dt
    return dt.newbyteorder("<")


def canonical_bytes(arr):
    import numpy as np

    arr = np.asarray(arr)
    flat = arr.reshape(-1)  # C order
    dt = arr.dtype
    if dt.kind == "b":
        return flat.astype(np.uint8).tobytes()
    if dt.kind in "iufcU":
        return np.ascontiguousarray(flat, dtype=dt.newbyteorder("<")).tobytes()
    if dt.kind in "mM":
        return np.ascontiguousarray(flat, dtype=dt.newbyteorder("<")).view("<i8").tobytes()
    if dt.kind in "SV" and dt.fields is None:
        return np.ascontiguousarray(flat).tobytes()
    if dt.fields is not None:
        le = le_dtype(dt)
        out = np.ascontiguousarray(flat.astype(le))
        if out.dtype.itemsize != dt.itemsize:
            raise ValueError(f"record dtype {dt}: size changed")
        return out.tobytes()
    if dt.kind in "OT":  # object, or NumPy 2's StringDType (zarr-python 3's strings)
        out = bytearray()
        for x in flat:
            if isinstance(x, str):
                b = x.encode("utf-8")
                out += struct.pack("<I", len(b)) + b
            elif isinstance(x, (bytes, bytearray)):
                out += struct.pack("<I", len(x)) + bytes(x)
            elif isinstance(x, np.ndarray):
                if x.ndim != 1 or x.dtype.kind not in "iuf":
                    raise TypeError(f"ragged element of dtype {x.dtype}, ndim {x.ndim}")
                out += struct.pack("<I", x.shape[0]) + canonical_bytes(x)
            else:
                raise TypeError(f"element of type {type(x).__name__} in an object array")
        return bytes(out)
    raise TypeError(f"no canonical encoding for numpy dtype {dt}")


# ---------------------------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------------------------

STRINGS = [
    "",
    "a",
    "Grüße",
    "日本語のテキスト",
    "🦀 crab",
    "nul\x00inside",
    "x" * 300,
    "tab\tand\nnewline",
    'quote " and \\ backslash',
    "é" * 130,
]


def prod(shape):
    n = 1
    for d in shape:
        n *= d
    return n


def numeric(dtype, shape, special=True, seed=0, scale=None):
    """Ramps plus small noise; with `special`, the type's extremes (and for floats NaN, ±inf,
    -0.0, the smallest subnormal) at flat positions 1..7."""
    import numpy as np

    dt = np.dtype(dtype)
    n = prod(shape)
    rng = np.random.default_rng(seed + 1234)
    k = np.arange(n, dtype=np.float64)
    if dt.kind == "b":
        v = ((np.arange(n) * 7 + np.arange(n) // 5 + seed) % 3 == 0)
        return v.reshape(shape).astype(dt)
    if dt.kind in "iu":
        info = np.iinfo(dt)
        span = min(int(info.max) - int(info.min), 60000) if scale is None else scale
        base = (np.arange(n, dtype=np.int64) * 3 + rng.integers(0, 5, n)) % max(span, 1)
        lo = 0 if dt.kind == "u" else -(span // 2)
        v = (base + lo).astype(dt)
        if special and n > 2:
            v[1] = info.min
            v[2] = info.max
        return v.reshape(shape)
    if dt.kind == "f":
        s = 0.25 if scale is None else scale
        v = (k * s + rng.normal(0, 0.1, n) - n * s / 3).astype(dt)
        if special and n > 7:
            fi = np.finfo(dt)
            v[1:8] = np.array(
                [np.nan, np.inf, -np.inf, -0.0, fi.smallest_subnormal, fi.max, fi.min], dtype=dt
            )
        return v.reshape(shape)
    if dt.kind == "c":
        ft = np.dtype(f"f{dt.itemsize // 2}")
        re = (k * 0.5 - n / 4 + rng.normal(0, 0.1, n)).astype(ft)
        im = (-k * 0.25 + rng.normal(0, 0.1, n)).astype(ft)
        v = np.empty(n, dtype=dt)
        v.real = re
        v.imag = im
        if special and n > 5:
            fi = np.finfo(ft)
            v[1] = complex(np.nan, 1.0)
            v[2] = complex(np.inf, -np.inf)
            v[3] = complex(-0.0, fi.smallest_subnormal)
            v[4] = complex(fi.max, fi.min)
        return v.astype(dt).reshape(shape)
    if dt.kind in "mM":
        base = (np.arange(n, dtype=np.int64) * 86400 + rng.integers(0, 1000, n) + 1_600_000_000)
        v = base.view("<i8").astype(np.int64)
        if special and n > 3:
            v[1] = np.iinfo(np.int64).min + 1
            v[2] = np.iinfo(np.int64).max
            v[3] = np.iinfo(np.int64).min  # NaT
        return v.astype("<i8").view(dt.newbyteorder("<")).astype(dt).reshape(shape)
    raise TypeError(dtype)


def strings(shape, seed=0):
    import numpy as np

    n = prod(shape)
    out = np.empty(n, dtype=object)
    for i in range(n):
        j = (i * 7 + seed) % 23
        out[i] = STRINGS[j] if j < len(STRINGS) else f"s{i}-{j}"
    return out.reshape(shape)


def byte_strings(shape, seed=0):
    import numpy as np

    n = prod(shape)
    out = np.empty(n, dtype=object)
    for i in range(n):
        j = (i * 5 + seed) % 17
        if j == 0:
            out[i] = b""
        elif j == 1:
            out[i] = bytes(range(256)) + b"\x00tail"
        elif j == 2:
            out[i] = b"\x00\x00\xff"
        else:
            out[i] = f"b{i}".encode() * (j % 4)
    return out.reshape(shape)


def ragged(dtype, shape, seed=0):
    import numpy as np

    n = prod(shape)
    out = np.empty(n, dtype=object)
    for i in range(n):
        length = (i * 3 + seed) % 9
        if i % 11 == 5:
            length = 70
        out[i] = numeric(dtype, (length,), special=(length > 7 and i % 2 == 0), seed=seed + i)
    return out.reshape(shape)


def fixed_bytes(n_bytes, shape, seed=0):
    import numpy as np

    n = prod(shape)
    vals = []
    for i in range(n):
        j = (i * 3 + seed) % 7
        if j == 0:
            vals.append(b"")
        elif j == 1:
            vals.append(bytes([0xFF, 0x00, 0x41])[:n_bytes])
        elif j == 2:
            vals.append(b"z" * n_bytes)
        else:
            vals.append(f"{i}".encode()[:n_bytes])
    return np.array(vals, dtype=f"S{n_bytes}").reshape(shape)


def fixed_unicode(n_chars, shape, byteorder="<", seed=0):
    import numpy as np

    n = prod(shape)
    pool = ["", "ab", "Grüß", "日本", "🦀", "x" * n_chars, "n\x00l"]
    vals = []
    for i in range(n):
        base = pool[(i + seed) % len(pool)]
        vals.append((base if i % 3 == 0 else base + str(i))[:n_chars])
    return np.array(vals, dtype=f"{byteorder}U{n_chars}").reshape(shape)


def records(dtype, shape, seed=0):
    """Fill every field of a record array (recursively) with deterministic values."""
    import numpy as np

    dt = np.dtype(dtype)
    out = np.zeros(shape, dtype=dt)

    def fill(view, fdt, s):
        if fdt.fields is not None:
            for i, name in enumerate(fdt.names):
                fill(view[name], fdt.fields[name][0], s + 17 * i)
            return
        if fdt.subdtype is not None:
            base, sub = fdt.subdtype
            vals = fill_plain(base, view.shape, s)  # the field view includes the subarray axes
            view[...] = vals
            return
        view[...] = fill_plain(fdt, view.shape, s)

    def fill_plain(fdt, shp, s):
        if fdt.kind == "S":
            return fixed_bytes(fdt.itemsize, shp, s)
        if fdt.kind == "U":
            return fixed_unicode(fdt.itemsize // 4, shp, fdt.byteorder if fdt.byteorder in "<>" else "<", s)
        return numeric(fdt, shp, special=True, seed=s)

    fill(out, dt, seed)
    return out


# ---------------------------------------------------------------------------------------------
# The corpus
# ---------------------------------------------------------------------------------------------


def zjson(path):
    with open(path, "rb") as f:
        return json.loads(f.read().decode("utf-8"))


def describe_codec(c):
    if c is None:
        return "none"
    c = dict(c)
    cid = c.pop("id")
    if not c:
        return cid
    args = ", ".join(f"{k} {json.dumps(v, sort_keys=True)}" for k, v in sorted(c.items()) if k != "compression_kwargs")
    return f"{cid}({args})"


def summary(meta):
    dtype = meta["dtype"]
    if isinstance(dtype, list):
        dtype = "record " + json.dumps(dtype, separators=(",", ":"))
    shape = tuple(meta["shape"])
    chunks = tuple(meta["chunks"])
    parts = [f"{dtype} {list(shape)} in {list(chunks)} chunks"]
    if meta.get("order") == "F":
        parts.append("order F")
    if meta.get("dimension_separator") == "/":
        parts.append("dimension_separator '/'")
    filters = meta.get("filters") or []
    if filters:
        parts.append("filters [" + ", ".join(describe_codec(f) for f in filters) + "]")
    parts.append("compressor " + describe_codec(meta.get("compressor")))
    parts.append(f"fill_value {json.dumps(meta.get('fill_value'))}")
    return ", ".join(parts)


def describe_codec3(c):
    name = c if isinstance(c, str) else c["name"]
    conf = {} if isinstance(c, str) else dict(c.get("configuration") or {})
    if name == "sharding_indexed":
        inner = ", ".join(describe_codec3(x) for x in conf.get("codecs", []))
        index = ", ".join(describe_codec3(x) for x in conf.get("index_codecs", []))
        return (
            f"sharding_indexed(chunk_shape {conf.get('chunk_shape')}, codecs [{inner}], index_codecs"
            f" [{index}], index_location {json.dumps(conf.get('index_location', 'end'))})"
        )
    if not conf:
        return name
    args = ", ".join(f"{k} {json.dumps(v, sort_keys=True)}" for k, v in sorted(conf.items()))
    return f"{name}({args})"


def summary3(meta):
    dt = meta["data_type"]
    dtype = dt if isinstance(dt, str) else json.dumps(dt, separators=(",", ":"), sort_keys=True)
    chunks = meta["chunk_grid"]["configuration"]["chunk_shape"]
    parts = [f"{dtype} {meta['shape']} in {chunks} chunks"]
    parts.append("codecs [" + ", ".join(describe_codec3(c) for c in meta["codecs"]) + "]")
    parts.append(f"fill_value {json.dumps(meta.get('fill_value'))}")
    if meta.get("dimension_names") is not None:
        parts.append(f"dimension_names {json.dumps(meta['dimension_names'])}")
    return ", ".join(parts)


class Corpus:
    def __init__(self, root, writer):
        self.root = root
        self.writer = writer
        self.cases = []
        self.ids = set()
        self.stats = {"verified": 0, "misread": 0, "lossy": 0, "as_peer_reads": 0}

    def _add(self, case):
        if case["id"] in self.ids:
            raise ValueError(f"duplicate case id {case['id']}")
        self.ids.add(case["id"])
        self.cases.append(case)

    def store_dir(self, store):
        d = os.path.join(self.root, "stores", store)
        os.makedirs(d, exist_ok=True)
        return d

    def array(
        self,
        case_id,
        data,
        *,
        description="",
        chunks,
        store=None,
        path="/",
        lossy=None,
        misread=None,
        as_peer_reads=None,
        writes=None,
        attrs=None,
        none_as_empty=False,
        patch=None,
        **kw,
    ):
        """Write `data` (or only the regions `writes` of it) as a V2 array with zarr-python 2,
        read it back, and record the case."""
        import numpy as np
        import zarr

        store = store or case_id
        root = self.store_dir(store)
        node = path.strip("/")
        kwargs = dict(kw)
        kwargs.setdefault("compressor", None)
        fill_value = kwargs.pop("fill_value", 0)
        dtype = kwargs.pop("dtype", data.dtype)
        z = zarr.open_array(
            store=root,
            path=node or None,
            mode="w",
            shape=data.shape,
            chunks=chunks,
            dtype=dtype,
            fill_value=fill_value,
            **kwargs,
        )
        if attrs is not None:
            z.attrs.update(attrs)
        if writes is None:
            z[...] = data
            written = data
        else:
            if z.fill_value is None and data.dtype.kind != "O":
                raise ValueError(f"{case_id}: partial writes need a fill value")
            written = np.empty(data.shape, dtype=data.dtype)
            written[...] = z.fill_value
            for region in writes:
                z[region] = data[region]
                written[region] = data[region]
        if patch is not None:
            # The store as another writer lays it out (zarr-python must still read it).
            patch(os.path.join(root, node))
        read_error = None
        try:
            back = zarr.open_array(store=root, path=node or None, mode="r")[...]
        except Exception as e:
            if not misread or lossy:
                raise
            back = None
            read_error = f"{type(e).__name__}: {e}"
        return self._record(
            case_id,
            written,
            back,
            read_error,
            root=root,
            store=store,
            node=node,
            zarr_format=2,
            description=description,
            lossy=lossy,
            misread=misread,
            as_peer_reads=as_peer_reads,
            partial=writes is not None,
            none_as_empty=none_as_empty,
        )

    def array3(
        self,
        case_id,
        data,
        *,
        description="",
        chunks,
        store=None,
        path="/",
        lossy=None,
        misread=None,
        writes=None,
        attrs=None,
        zarr_format=3,
        **kw,
    ):
        """Write `data` (or only the regions `writes` of it) with zarr-python 3's
        `zarr.create_array` (`kw`: its arguments: dtype, shards, filters, compressors,
        serializer, fill_value, order, dimension_names, ...), read it back, record the case."""
        import numpy as np
        import zarr

        store = store or case_id
        root = self.store_dir(store)
        node = path.strip("/")
        kwargs = dict(kw)
        kwargs.setdefault("compressors", None)
        kwargs.setdefault("dtype", data.dtype)
        z = zarr.create_array(
            store=root,
            name=node or None,
            shape=data.shape,
            chunks=chunks,
            zarr_format=zarr_format,
            attributes=attrs,
            overwrite=True,
            **kwargs,
        )
        if writes is None:
            z[...] = data
            written = data
        else:
            written = np.empty(data.shape, dtype=data.dtype)
            written[...] = z.fill_value
            for region in writes:
                z[region] = data[region]
                written[region] = data[region]
        read_error = None
        try:
            back = zarr.open_array(store=root, path=node or None, mode="r")[...]
        except Exception as e:
            if not misread or lossy:
                raise
            back = None
            read_error = f"{type(e).__name__}: {e}"
        return self._record(
            case_id,
            written,
            back,
            read_error,
            root=root,
            store=store,
            node=node,
            zarr_format=zarr_format,
            description=description,
            lossy=lossy,
            misread=misread,
            as_peer_reads=None,
            partial=writes is not None,
            none_as_empty=False,
        )

    def _record(
        self,
        case_id,
        written,
        back,
        read_error,
        *,
        root,
        store,
        node,
        zarr_format,
        description,
        lossy,
        misread,
        as_peer_reads,
        partial,
        none_as_empty,
    ):
        """Compare zarr-python's read-back `back` with the `written` data and record the case
        (its expectation from the node's metadata as stored)."""
        if back is not None and back.dtype != written.dtype and not (back.dtype.kind in "OT" and written.dtype.kind in "OT"):
            raise ValueError(f"{case_id}: read back as {back.dtype}, written as {written.dtype}")

        def canon(a):
            if (none_as_empty or as_peer_reads) and a.dtype.kind == "O":
                # None (partial chunks of fill_value null) and, in a read-back that moved
                # them into the array, the fill value 0 of the chunk's padding: zarrkit reads
                # both as empty strings.
                a = a.copy()
                flat = a.reshape(-1)
                for i in range(flat.shape[0]):
                    x = flat[i]
                    if x is None or (as_peer_reads and isinstance(x, int) and x == 0):
                        flat[i] = ""
            return canonical_bytes(a)

        written_bytes = canon(written)
        try:
            back_bytes = None if back is None else canon(back)
        except TypeError:
            if not misread:
                raise
            back_bytes = None  # e.g. fill-value 0 integers misplaced into a string array
        notes = []
        verified_by = [self.writer]
        if as_peer_reads:
            if lossy or misread:
                raise ValueError(f"{case_id}: as_peer_reads excludes lossy and misread")
            if back_bytes is None or back_bytes == written_bytes:
                raise ValueError(f"{case_id}: marked as_peer_reads but zarr-python reads it back as written")
            expected = back_bytes
            self.stats["as_peer_reads"] += 1
            notes.append(
                f"{self.label} reads other data than was written ({as_peer_reads}); {PEER_READS_NOTE}"
            )
        elif lossy:
            expected = back_bytes
            self.stats["lossy"] += 1
            notes.append(f"Lossy ({lossy}): the expected data is {self.label}'s read-back.")
            if written_bytes == back_bytes and "identity" not in lossy:
                raise ValueError(f"{case_id}: marked lossy but reads back exactly")
        else:
            expected = written_bytes
            if back_bytes != written_bytes:
                if not misread:
                    raise ValueError(f"{case_id}: zarr-python reads back other data than it wrote")
                verified_by = []
                self.stats["misread"] += 1
                if back is None:
                    notes.append(
                        f"{self.label} cannot read this store ({misread}: {read_error}); the"
                        " expected data is the data as written."
                    )
                else:
                    notes.append(
                        f"{self.label} misreads this store ({misread}); the expected data is the"
                        " data as written."
                    )
            elif misread:
                raise ValueError(f"{case_id}: marked misread but zarr-python reads it back fine")
        if verified_by:
            self.stats["verified"] += 1
        if none_as_empty:
            notes.append(
                "Object elements that are None (left in partially written chunks) count as empty"
                " strings, as zarrkit reads them."
            )
        if zarr_format == 2:
            meta = zjson(os.path.join(root, node, ".zarray"))
            zattrs_path = os.path.join(root, node, ".zattrs")
            attributes = zjson(zattrs_path) if os.path.exists(zattrs_path) else {}
            dtype_text = meta["dtype"]
            if isinstance(dtype_text, list):
                dtype_text = json.dumps(dtype_text, separators=(",", ":"), ensure_ascii=False)
            chunk_shape = meta["chunks"]
            what = f"V2 {summary(meta)}"
        else:
            meta = zjson(os.path.join(root, node, "zarr.json"))
            attributes = meta.get("attributes", {})
            dt = meta["data_type"]
            dtype_text = dt if isinstance(dt, str) else dt["name"]
            chunk_shape = meta["chunk_grid"]["configuration"]["chunk_shape"]
            what = f"V3 {summary3(meta)}"
        expect = {
            "shape": meta["shape"],
            "data_type": dtype_text,
            "fill_value": meta["fill_value"],
            "sha256": hashlib.sha256(expected).hexdigest(),
        }
        if len(expected) < ELEMENTS_FILE_LIMIT:
            rel = f"expected/{case_id}.bin"
            with open(os.path.join(self.root, rel), "wb") as f:
                f.write(expected)
            expect["elements_file"] = rel
        expect["attributes"] = attributes
        expect["chunk_shape"] = chunk_shape
        if zarr_format == 3 and "dimension_names" in meta:
            expect["dimension_names"] = meta["dimension_names"]
        text = " ".join(x for x in [description.strip(), *notes] if x)
        case = {
            "id": case_id,
            "store": f"stores/{store}",
            "path": "/" + node if node else "/",
            "zarr_format": zarr_format,
            "writer": self.writer,
            "kind": "array",
            "description": (f"{what}. " + text).strip(),
            "expect": expect,
            "verified_by": [self.writer] if verified_by else [],
        }
        if partial:
            n_chunks = prod([-(-s // c) for s, c in zip(meta["shape"], chunk_shape)])
            stored = sum(
                1
                for dirpath, _, files in os.walk(os.path.join(root, node))
                for f in files
                if not f.startswith(".") and f != "zarr.json"
            )
            case["description"] += f" {n_chunks - stored} of {n_chunks} chunks missing."
        self._add(case)
        return case

    def group(self, case_id, *, store, path="/", description="", consolidated=False, zarr_format=2):
        import zarr

        root = os.path.join(self.root, "stores", store)
        node = path.strip("/")
        g = zarr.open_group(store=root, path=node or None, mode="r")
        if zarr_format == 2:
            zattrs_path = os.path.join(root, node, ".zattrs")
            attributes = zjson(zattrs_path) if os.path.exists(zattrs_path) else {}
        else:
            attributes = zjson(os.path.join(root, node, "zarr.json")).get("attributes", {})
        same = lambda a, b: json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)  # NaN-safe
        if not same(dict(g.attrs), attributes):
            raise ValueError(f"{case_id}: zarr-python reads other attributes")
        children = sorted(list(g.group_keys()) + list(g.array_keys()))
        expect = {"attributes": attributes, "children": children}
        if consolidated:
            expect["consolidated"] = True
            cg = zarr.open_consolidated(root, mode="r")
            if node:
                cg = cg[node]
            if sorted(list(cg.group_keys()) + list(cg.array_keys())) != children or not same(dict(cg.attrs), attributes):
                raise ValueError(f"{case_id}: the consolidated metadata disagrees with the store")
        self._add(
            {
                "id": case_id,
                "store": f"stores/{store}",
                "path": "/" + node if node else "/",
                "zarr_format": zarr_format,
                "writer": self.writer,
                "kind": "group",
                "description": description,
                "expect": expect,
                "verified_by": [self.writer],
            }
        )


# ---------------------------------------------------------------------------------------------
# The cases
# ---------------------------------------------------------------------------------------------

S2 = (20, 33)
C2 = (8, 10)
S1 = (100,)
C1 = (30,)
S3 = (17, 9, 12)
C3 = (5, 4, 5)


def build(c):
    import numpy as np
    from numcodecs import (
        BZ2,
        CRC32,
        CRC32C,
        JSON,
        LZ4,
        LZMA,
        Adler32,
        AsType,
        Base64,
        BitRound,
        Blosc,
        Categorize,
        Delta,
        FixedScaleOffset,
        Fletcher32,
        GZip,
        JenkinsLookup3,
        MsgPack,
        PackBits,
        Quantize,
        Shuffle,
        VLenArray,
        VLenBytes,
        VLenUTF8,
        Zlib,
        Zstd,
    )
    from numcodecs.pcodec import PCodec
    from numcodecs.zfpy import ZFPY

    num = numeric

    # --- compressors -------------------------------------------------------------------------
    c.array("v2f-blosc-lz4-shuffle", num("<i4", S2), chunks=C2, compressor=Blosc("lz4", 5, Blosc.SHUFFLE))
    c.array("v2f-blosc-lz4hc-noshuffle", num("<f8", S2), chunks=C2, compressor=Blosc("lz4hc", 9, Blosc.NOSHUFFLE))
    c.array("v2f-blosc-blosclz-bitshuffle", num("<u2", S2), chunks=C2, compressor=Blosc("blosclz", 5, Blosc.BITSHUFFLE))
    c.array("v2f-blosc-zstd-shuffle-be", num(">f4", S2), chunks=C2, compressor=Blosc("zstd", 3, Blosc.SHUFFLE))
    c.array("v2f-blosc-zlib-bitshuffle", num("<i8", S2), chunks=C2, compressor=Blosc("zlib", 1, Blosc.BITSHUFFLE))
    c.array(
        "v2f-blosc-autoshuffle",
        num("<c16", S2),
        chunks=C2,
        compressor=Blosc("lz4", 5, Blosc.AUTOSHUFFLE),
        description="shuffle -1 (AUTOSHUFFLE: numcodecs resolves it per chunk from the item size).",
    )
    c.array(
        "v2f-blosc-blocksize",
        num("|u1", (100, 100), scale=251),
        chunks=(50, 50),
        compressor=Blosc("zstd", 5, Blosc.SHUFFLE, blocksize=256),
        description="blosc blocksize 256: each chunk holds several blosc blocks.",
    )
    c.array("v2f-zstd-level1", num("<i2", S2), chunks=C2, compressor=Zstd(level=1))
    c.array("v2f-zstd-level22-checksum", num("<f8", S2), chunks=C2, compressor=Zstd(level=22, checksum=True))
    c.array("v2f-zstd-negative-level", num(">u4", S2), chunks=C2, compressor=Zstd(level=-5))
    c.array("v2f-lz4-default", num("<i4", S2), chunks=C2, compressor=LZ4())
    c.array("v2f-lz4-acceleration", num("<f4", S2), chunks=C2, compressor=LZ4(acceleration=10))
    c.array("v2f-zlib-level1", num("<u8", S2), chunks=C2, compressor=Zlib(level=1))
    c.array("v2f-zlib-level9", num("|i1", S2), chunks=C2, compressor=Zlib(level=9))
    c.array("v2f-gzip-level1-be", num(">f8", S2), chunks=C2, compressor=GZip(level=1))
    c.array("v2f-gzip-level9", num("<c8", S2), chunks=C2, compressor=GZip(level=9))
    c.array("v2f-bz2-level1-be", num(">i4", S2), chunks=C2, compressor=BZ2(level=1))
    c.array("v2f-bz2-level9", num("<f2", S2), chunks=C2, compressor=BZ2(level=9))
    c.array("v2f-lzma-default", num("<f8", S2), chunks=C2, compressor=LZMA())
    c.array("v2f-lzma-xz-crc32-preset1", num("<i2", S2), chunks=C2, compressor=LZMA(check=lzma.CHECK_CRC32, preset=1))
    c.array("v2f-lzma-xz-sha256", num(">u2", S2), chunks=C2, compressor=LZMA(check=lzma.CHECK_SHA256))
    c.array("v2f-lzma-xz-nocheck-preset9", num("<i4", S2), chunks=C2, compressor=LZMA(check=lzma.CHECK_NONE, preset=9))
    c.array(
        "v2f-lzma-xz-bcj-filters",
        num("<u4", S2),
        chunks=C2,
        compressor=LZMA(filters=[{"id": lzma.FILTER_X86}, {"id": lzma.FILTER_LZMA2, "preset": 6}]),
        misread="numcodecs passes the filters to lzma.decompress, which takes filters only for raw streams",
    )
    c.array("v2f-lzma-alone", num("<f4", S2), chunks=C2, compressor=LZMA(format=lzma.FORMAT_ALONE, preset=3))
    c.array(
        "v2f-lzma-raw-delta-lzma2",
        num("<i4", S2),
        chunks=C2,
        compressor=LZMA(
            format=lzma.FORMAT_RAW,
            filters=[{"id": lzma.FILTER_DELTA, "dist": 4}, {"id": lzma.FILTER_LZMA2, "preset": 1}],
        ),
    )
    c.array(
        "v2f-lzma-raw-lzma1",
        num("<f8", S2),
        chunks=C2,
        compressor=LZMA(format=lzma.FORMAT_RAW, filters=[{"id": lzma.FILTER_LZMA1, "preset": 2, "lc": 0, "lp": 2, "pb": 2}]),
    )
    for dt in ["<i2", "<u2", "<i4", "<u4", "<i8", "<u8", "<f2", "<f4", "<f8", "<M8[ns]", "<m8[s]"]:
        name = dt.strip("<").replace("[", "-").replace("]", "")
        c.array(f"v2f-pcodec-{name}", num(dt, S2, seed=3), chunks=C2, compressor=PCodec())
    c.array("v2f-pcodec-classic-level0", num("<i4", S2), chunks=C2, compressor=PCodec(level=0, mode_spec="classic"))
    c.array(
        "v2f-pcodec-delta-order2",
        num("<i8", S1, special=False) * 3 + 7,
        chunks=C1,
        compressor=PCodec(delta_spec="try_consecutive", delta_encoding_order=2),
    )
    c.array("v2f-pcodec-lookback", num("<u4", S2), chunks=C2, compressor=PCodec(delta_spec="try_lookback"))
    c.array("v2f-pcodec-no-delta", num("<f4", S2), chunks=C2, compressor=PCodec(delta_spec="none"))
    c.array(
        "v2f-pcodec-small-pages",
        num("<f8", (200, 50)),
        chunks=(100, 50),
        compressor=PCodec(equal_pages_up_to=1000),
        description="pages of at most 1000 numbers: several pages per chunk.",
    )
    c.array("v2f-pcodec-order-F", num("<i4", S2), chunks=C2, order="F", compressor=PCodec())
    for dt in ["<f4", "<f8", "<i4", "<i8"]:
        c.array(
            f"v2f-zfpy-reversible-{dt[1:]}",
            num(dt, S2, seed=5),
            chunks=C2,
            compressor=ZFPY(),
            description="zfpy defaults: mode 4 with tolerance -1, a reversible (lossless) stream.",
        )
    c.array("v2f-zfpy-reversible-3d", num("<f4", S3), chunks=C3, compressor=ZFPY())
    c.array("v2f-zfpy-reversible-1d", num("<f8", (150,)), chunks=(64,), compressor=ZFPY())
    c.array(
        "v2f-zfpy-accuracy",
        num("<f8", S2, special=False),
        chunks=C2,
        compressor=ZFPY(mode=4, tolerance=0.01),
        lossy="zfp fixed accuracy 0.01",
    )
    c.array("v2f-zfpy-rate", num("<f4", S2, special=False), chunks=C2, compressor=ZFPY(mode=2, rate=8), lossy="zfp fixed rate 8")
    c.array(
        "v2f-zfpy-precision",
        num("<f8", S3, special=False),
        chunks=C3,
        compressor=ZFPY(mode=3, precision=12),
        lossy="zfp fixed precision 12",
    )
    c.array(
        "v2f-zfpy-accuracy-4d",
        num("<f4", (3, 4, 5, 6), special=False),
        chunks=(2, 3, 2, 4),
        compressor=ZFPY(mode=4, tolerance=0.001),
        lossy="zfp fixed accuracy 0.001, 4-d",
    )
    c.array("v2f-zfpy-rate-int", num("<i4", S2, special=False), chunks=C2, compressor=ZFPY(mode=2, rate=12), lossy="zfp fixed rate 12 on int32")
    c.array("v2f-crc32", num("<i4", S2), chunks=C2, compressor=CRC32())
    c.array("v2f-crc32-end", num("<f8", S2), chunks=C2, compressor=CRC32(location="end"))
    c.array("v2f-crc32c", num("<u2", S2), chunks=C2, compressor=CRC32C())
    c.array("v2f-crc32c-start", num(">i8", S2), chunks=C2, compressor=CRC32C(location="start"))
    c.array("v2f-adler32", num("<f4", S2), chunks=C2, compressor=Adler32())
    c.array("v2f-adler32-end", num("|u1", S2), chunks=C2, compressor=Adler32(location="end"))
    c.array("v2f-fletcher32", num("<i2", S2), chunks=C2, compressor=Fletcher32())
    c.array("v2f-jenkins-lookup3", num("<f8", S2), chunks=C2, compressor=JenkinsLookup3())
    c.array("v2f-jenkins-lookup3-initval", num(">i4", S2), chunks=C2, compressor=JenkinsLookup3(initval=12345))
    c.array("v2f-base64", num("<i4", S2), chunks=C2, compressor=Base64())
    c.array("v2f-shuffle-compressor", num("<f8", S2), chunks=C2, compressor=Shuffle(elementsize=8))
    c.array("v2f-no-compressor", num("<i4", S2), chunks=C2, compressor=None)

    # --- lenient reads: what other writers put in stores ------------------------------------
    def patch_zarray(change):
        def run(node_dir):
            path = os.path.join(node_dir, ".zarray")
            meta = zjson(path)
            change(meta)
            with open(path, "w", encoding="utf-8") as f:
                json.dump(meta, f, indent=4, sort_keys=True)

        return run

    def pad_chunks(node_dir):
        for name in os.listdir(node_dir):
            if not name.startswith("."):
                with open(os.path.join(node_dir, name), "ab") as f:
                    f.write(b"\0" * 16)

    c.array("v2f-zstd-level100", num("<f4", S2), chunks=C2, compressor=Zstd(level=100), description="zstd level 100 (libzstd clamps it to its maximum).")
    c.array("v2f-zlib-level-minus1", num("<i4", S2), chunks=C2, compressor=Zlib(level=-1), description="zlib level -1 (the library default).")
    c.array("v2f-gzip-level-minus1", num("<u2", S2), chunks=C2, compressor=GZip(level=-1), description="gzip level -1 (the library default).")
    c.array(
        "v2f-blosc-cname-snappy",
        num("<f8", S2),
        chunks=C2,
        compressor=Blosc("lz4", 5, Blosc.SHUFFLE),
        patch=patch_zarray(lambda m: m["compressor"].update(cname="snappy")),
        description="written with lz4, then .zarray names cname 'snappy' (a c-blosc with snappy compiled in writes it; the frame header names the codec that compressed each chunk, and numcodecs decodes by it).",
    )
    c.array(
        "v2f-blosc-padding",
        num("<i4", S2),
        chunks=C2,
        compressor=Blosc("zstd", 3, Blosc.SHUFFLE),
        patch=pad_chunks,
        description="every chunk followed by 16 zero bytes, as z5py writes blosc chunks (c-blosc reads the frame's cbytes and ignores the rest).",
    )
    c.array(
        "v2f-bitround-keepbits-above-mantissa",
        num("<f4", S2),
        chunks=C2,
        filters=[BitRound(keepbits=23)],
        compressor=Zlib(1),
        patch=patch_zarray(lambda m: m["filters"][0].update(keepbits=30)),
        description="bitround keepbits 30 on float32 (23 mantissa bits): decoding is the identity (written with keepbits 23, which keeps every bit).",
    )

    # --- filters -----------------------------------------------------------------------------
    c.array("v2f-delta-i4", num("<i4", S2), chunks=C2, filters=[Delta("<i4")], compressor=Zlib(1))
    c.array("v2f-delta-u1", num("|u1", S2), chunks=C2, filters=[Delta("|u1")], compressor=Blosc("lz4", 5, Blosc.NOSHUFFLE))
    c.array("v2f-delta-i2-be", num(">i2", S2), chunks=C2, filters=[Delta(">i2")], compressor=LZ4())
    c.array(
        "v2f-delta-f8",
        num("<f8", S2, special=False),
        chunks=C2,
        filters=[Delta("<f8")],
        compressor=Zstd(3),
        description="float delta (no NaN or infinities, which the running sum would spread); exact for this data.",
    )
    c.array("v2f-delta-i8-order-F", num("<i8", S2), chunks=C2, order="F", filters=[Delta("<i8")], compressor=Zlib(5))
    c.array(
        "v2f-delta-bool",
        num("|b1", S2),
        chunks=C2,
        filters=[Delta("|b1")],
        compressor=Zlib(1),
        misread="numcodecs' Delta decodes booleans with a running OR instead of the XOR its encoder inverts",
    )
    c.array(
        "v2f-delta-astype",
        (np.arange(660, dtype="<i8") * 37 + 1000).reshape(S2),
        chunks=C2,
        filters=[Delta(dtype="<i8", astype="<i2")],
        compressor=Zlib(1),
        description="delta with astype <i2: the first value and the differences fit 16 bits.",
    )
    c.array("v2f-shuffle-filter", num("<i4", S2), chunks=C2, filters=[Shuffle(elementsize=4)], compressor=Zlib(1))
    c.array(
        "v2f-fixedscaleoffset-f8-u1",
        (num("<f8", S2, special=False, scale=0.01) % 25 + 1000).reshape(S2),
        chunks=C2,
        filters=[FixedScaleOffset(offset=1000, scale=10, dtype="<f8", astype="|u1")],
        compressor=Zlib(1),
        lossy="fixedscaleoffset to an integer type",
    )
    c.array(
        "v2f-fixedscaleoffset-f8-i4",
        num("<f8", S2, special=False),
        chunks=C2,
        filters=[FixedScaleOffset(offset=0, scale=1000, dtype="<f8", astype="<i4")],
        compressor=Zstd(1),
        lossy="fixedscaleoffset to an integer type",
    )
    c.array(
        "v2f-fixedscaleoffset-i8-i2",
        (np.arange(660, dtype="<i8") % 30000 + 1_000_000).reshape(S2),
        chunks=C2,
        filters=[FixedScaleOffset(offset=1_000_000, scale=1, dtype="<i8", astype="<i2")],
        compressor=None,
        description="integer fixedscaleoffset: lossless for values within the astype range.",
    )
    c.array(
        "v2f-fixedscaleoffset-be",
        (num(">f4", S2, special=False, scale=0.01) % 60 + 10).astype(">f4"),
        chunks=C2,
        filters=[FixedScaleOffset(offset=10, scale=1000, dtype=">f4", astype=">u2")],
        compressor=Blosc("zstd", 1, Blosc.SHUFFLE),
        lossy="fixedscaleoffset to an integer type",
        description="big-endian dtype and astype: numcodecs stores the >u2 codes big endian.",
    )
    c.array(
        "v2f-fixedscaleoffset-order-F",
        num("<f4", S2, special=False),
        chunks=C2,
        order="F",
        filters=[FixedScaleOffset(offset=-5, scale=100, dtype="<f4", astype="<i4")],
        compressor=Zlib(1),
        lossy="fixedscaleoffset to an integer type",
    )
    c.array(
        "v2f-fixedscaleoffset-float-astype",
        num("<f8", S2, special=False),
        chunks=C2,
        filters=[FixedScaleOffset(offset=2.5, scale=4.0, dtype="<f8", astype="<f4")],
        compressor=None,
        lossy="fixedscaleoffset to float32",
    )
    c.array("v2f-quantize-d1", num("<f8", S2, special=False), chunks=C2, filters=[Quantize(1, "<f8")], compressor=Zlib(1), lossy="quantize 1 digit")
    c.array("v2f-quantize-d3-f4", num("<f4", S2, special=False), chunks=C2, filters=[Quantize(3, "<f4")], compressor=Zstd(1), lossy="quantize 3 digits")
    c.array(
        "v2f-quantize-astype-f2",
        num("<f8", S2, special=False, scale=0.01),
        chunks=C2,
        filters=[Quantize(2, "<f8", astype="<f2")],
        compressor=Blosc("lz4", 5, Blosc.SHUFFLE),
        lossy="quantize 2 digits stored as float16",
    )
    c.array("v2f-quantize-be", num(">f8", S2, special=False), chunks=C2, filters=[Quantize(2, ">f8")], compressor=GZip(1), lossy="quantize 2 digits")
    c.array(
        "v2f-quantize-nan",
        num("<f4", S2, special=True),
        chunks=C2,
        filters=[Quantize(2, "<f4")],
        compressor=None,
        lossy="quantize 2 digits; NaN and infinities pass through",
    )
    c.array("v2f-astype-f8-f4", num("<f8", S2, special=False), chunks=C2, filters=[AsType("<f4", "<f8")], compressor=Zlib(1), lossy="narrowing astype float64 -> float32")
    c.array("v2f-astype-i2-i8", num("<i2", S2), chunks=C2, filters=[AsType("<i8", "<i2")], compressor=Zstd(1), description="widening astype: lossless.")
    c.array("v2f-astype-i4-u1", num("<i4", S2, special=False), chunks=C2, filters=[AsType("|u1", "<i4")], compressor=None, lossy="narrowing astype int32 -> uint8 (wraps)")
    c.array("v2f-astype-f4-f8-be", num("<f4", S2), chunks=C2, filters=[AsType(">f8", "<f4")], compressor=LZ4(), description="widening astype to a big-endian type: lossless.")
    c.array("v2f-bitround-f4", num("<f4", S2, special=False), chunks=C2, filters=[BitRound(keepbits=3)], compressor=Zstd(3), lossy="bitround keepbits 3")
    c.array("v2f-bitround-f8", num("<f8", S2, special=True), chunks=C2, filters=[BitRound(keepbits=10)], compressor=Zlib(1), lossy="bitround keepbits 10")
    c.array("v2f-bitround-f2", num("<f2", S2, special=False), chunks=C2, filters=[BitRound(keepbits=5)], compressor=None, lossy="bitround keepbits 5")
    c.array("v2f-bitround-keepbits0", num("<f4", S2, special=False), chunks=C2, filters=[BitRound(keepbits=0)], compressor=None, lossy="bitround keepbits 0")
    c.array("v2f-packbits", num("|b1", S2), chunks=C2, filters=[PackBits()], compressor=None)
    c.array("v2f-packbits-1d-zlib", num("|b1", (101,)), chunks=(37,), filters=[PackBits()], compressor=Zlib(1))
    c.array("v2f-packbits-order-F", num("|b1", S3, seed=2), chunks=C3, order="F", filters=[PackBits()], compressor=Zstd(1))
    labels = ["ab", "Grüß", "", "日本", "zz"]
    u6 = np.array([labels[(i * 7) % 5] for i in range(660)], dtype="<U6").reshape(S2)
    c.array("v2f-categorize-U", u6, chunks=C2, filters=[Categorize(labels, dtype="<U6", astype="|u1")], compressor=Zlib(1))
    c.array(
        "v2f-categorize-O",
        u6.astype(object),
        chunks=C2,
        dtype=object,
        filters=[Categorize(labels, dtype=object, astype="<i2")],
        compressor=Zstd(1),
    )
    c.array(
        "v2f-categorize-be",
        u6.astype(">U6"),
        chunks=C2,
        filters=[Categorize(labels, dtype=">U6", astype=">i2")],
        compressor=None,
        description="big-endian <U and astype: codes stored big endian.",
    )
    other = u6.copy()
    other[::3, ::4] = "other"
    c.array(
        "v2f-categorize-unknown",
        other,
        chunks=C2,
        filters=[Categorize(labels, dtype="<U6", astype="|u1")],
        compressor=None,
        lossy="values outside the labels read as ''",
    )
    c.array("v2f-categorize-order-F", u6, chunks=C2, order="F", filters=[Categorize(labels, dtype="<U6", astype="|u1")], compressor=Zlib(1))
    c.array("v2f-base64-filter", num("<f8", S2), chunks=C2, filters=[Base64()], compressor=Zstd(1))
    c.array("v2f-crc32-filter", num("<i4", S2), chunks=C2, filters=[CRC32()], compressor=Blosc("lz4", 5, Blosc.SHUFFLE))
    c.array("v2f-checksum-filters", num("<u2", S2), chunks=C2, filters=[Fletcher32(), Adler32()], compressor=Zlib(1))
    c.array("v2f-jenkins-filter", num("<f4", S2), chunks=C2, filters=[JenkinsLookup3(initval=7)], compressor=BZ2(1))
    c.array("v2f-crc32c-filter", num("<f2", S2), chunks=C2, filters=[CRC32C()], compressor=LZMA(preset=1))

    # --- combinations ------------------------------------------------------------------------
    c.array(
        "v2f-combo-fso-delta-blosc",
        num("<f8", S2, special=False),
        chunks=C2,
        filters=[FixedScaleOffset(offset=0, scale=100, dtype="<f8", astype="<i4"), Delta("<i4")],
        compressor=Blosc("zstd", 3, Blosc.BITSHUFFLE),
        lossy="fixedscaleoffset to an integer type",
    )
    c.array("v2f-combo-delta-shuffle-lz4", num("<i4", S2), chunks=C2, filters=[Delta("<i4"), Shuffle(4)], compressor=LZ4())
    c.array(
        "v2f-combo-quantize-bitround",
        num("<f8", S2, special=False),
        chunks=C2,
        filters=[Quantize(3, "<f8"), BitRound(20)],
        compressor=Zstd(3),
        lossy="quantize 3 digits then bitround 20",
    )
    c.array(
        "v2f-combo-astype-bitround",
        num("<f8", S2, special=False),
        chunks=C2,
        filters=[AsType("<f4", "<f8"), BitRound(10)],
        compressor=Zlib(1),
        lossy="astype float32 then bitround 10",
    )
    c.array("v2f-combo-shuffle-crc32-zstd", num("<f8", S2), chunks=C2, filters=[Shuffle(8), CRC32()], compressor=Zstd(5))
    c.array("v2f-combo-packbits-crc32c", num("|b1", S2, seed=1), chunks=C2, filters=[PackBits(), CRC32C()], compressor=Zlib(1))
    c.array("v2f-combo-categorize-delta", u6, chunks=C2, filters=[Categorize(labels, dtype="<U6", astype="|u1"), Delta("|u1")], compressor=Zlib(1))
    c.array("v2f-combo-delta-pcodec", num("<i8", S2), chunks=C2, filters=[Delta("<i8")], compressor=PCodec())
    c.array(
        "v2f-combo-fso-zfpy",
        num("<f8", S2, special=False),
        chunks=C2,
        filters=[FixedScaleOffset(offset=0, scale=10, dtype="<f8", astype="<i4")],
        compressor=ZFPY(),
        lossy="fixedscaleoffset to an integer type; zfpy reversible on the 1-D codes",
    )
    c.array("v2f-combo-delta-zfpy", num("<i4", S3), chunks=C3, filters=[Delta("<i4")], compressor=ZFPY(), description="zfpy after a flattening filter: a 1-D stream.")
    c.array("v2f-combo-astype-pcodec", num("<i2", S2), chunks=C2, filters=[AsType("<i8", "<i2")], compressor=PCodec(level=4))
    c.array("v2f-combo-base64-bz2", num(">c8", S2), chunks=C2, filters=[Base64()], compressor=BZ2(1))

    # --- object arrays -----------------------------------------------------------------------
    obj = dict(dtype=object)
    c.array("v2f-vlen-utf8", strings(S2), chunks=C2, object_codec=VLenUTF8(), compressor=Zstd(1), **obj)
    c.array(
        "v2f-vlen-utf8-fill-empty",
        strings(S2, seed=1),
        chunks=C2,
        object_codec=VLenUTF8(),
        fill_value="",
        writes=[(slice(0, 8), slice(0, 20)), (slice(16, 20), slice(25, 33))],
        **obj,
    )
    c.array(
        "v2f-vlen-utf8-fill-zero",
        strings(S1, seed=2),
        chunks=C1,
        object_codec=VLenUTF8(),
        fill_value=0,
        compressor=Zlib(1),
        description="object array with fill_value 0 (zarr-python 2's default); every chunk stored.",
        **obj,
    )
    c.array("v2f-vlen-utf8-fill-null", strings(S1, seed=3), chunks=C1, object_codec=VLenUTF8(), fill_value=None, **obj)
    c.array("v2f-vlen-utf8-order-F", strings(S3, seed=4), chunks=C3, order="F", object_codec=VLenUTF8(), compressor=Blosc("zstd", 3, Blosc.NOSHUFFLE), **obj)
    c.array("v2f-vlen-utf8-base64", strings(S2, seed=5), chunks=C2, filters=[VLenUTF8(), Base64()], compressor=Zstd(1), **obj)
    c.array("v2f-vlen-bytes", byte_strings(S1), chunks=C1, object_codec=VLenBytes(), **obj)
    c.array("v2f-vlen-bytes-order-F", byte_strings(S2, seed=1), chunks=C2, order="F", object_codec=VLenBytes(), compressor=Zlib(1), **obj)
    c.array("v2f-vlen-bytes-adler32", byte_strings(S1, seed=2), chunks=C1, filters=[VLenBytes(), Adler32()], compressor=GZip(1), **obj)
    c.array("v2f-vlen-array-i4", ragged("<i4", (50,)), chunks=(16,), object_codec=VLenArray("<i4"), compressor=Zstd(1), **obj)
    c.array("v2f-vlen-array-f8", ragged("<f8", (50,), seed=1), chunks=(16,), object_codec=VLenArray("<f8"), compressor=Blosc("lz4", 5, Blosc.SHUFFLE), **obj)
    c.array("v2f-vlen-array-i2-be", ragged(">i2", (50,), seed=2), chunks=(16,), object_codec=VLenArray(">i2"), **obj)
    c.array("v2f-vlen-array-u1", ragged("|u1", (50,), seed=3), chunks=(16,), object_codec=VLenArray("|u1"), compressor=Zlib(1), **obj)
    c.array("v2f-vlen-array-order-F", ragged("<u2", (9, 7), seed=4), chunks=(4, 3), order="F", object_codec=VLenArray("<u2"), **obj)
    c.array("v2f-vlen-array-fletcher32", ragged("<f4", (50,), seed=5), chunks=(16,), filters=[VLenArray("<f4"), Fletcher32()], compressor=LZMA(preset=1), **obj)
    c.array("v2f-json2", strings(S2, seed=6), chunks=C2, object_codec=JSON(), **obj)
    c.array(
        "v2f-json2-indent",
        strings(S1, seed=7),
        chunks=C1,
        object_codec=JSON(ensure_ascii=False, indent=2),
        compressor=Zlib(1),
        description="json2 with ensure_ascii false and indent 2.",
        **obj,
    )
    c.array(
        "v2f-json2-order-F",
        strings(S2, seed=8),
        chunks=C2,
        order="F",
        object_codec=JSON(),
        as_peer_reads="zarr-python 2 and 3 reshape the decoded json2 chunk, stored in logical C order, in F order: transposed within each chunk",
        **obj,
    )
    c.array(
        "v2f-json2-partial-null",
        strings(S1, seed=9),
        chunks=C1,
        object_codec=JSON(),
        fill_value=None,
        writes=[(slice(0, 45),), (slice(60, 100),)],
        none_as_empty=True,
        description="fill_value null and two partial writes: chunk 1 holds None (JSON null) elements between the writes.",
        **obj,
    )
    c.array("v2f-msgpack2", strings(S2, seed=10), chunks=C2, object_codec=MsgPack(), compressor=Zstd(1), **obj)
    c.array("v2f-msgpack2-no-bin-type", strings(S1, seed=11), chunks=C1, object_codec=MsgPack(use_bin_type=False), **obj)
    c.array(
        "v2f-msgpack2-order-F",
        strings(S2, seed=12),
        chunks=C2,
        order="F",
        object_codec=MsgPack(),
        as_peer_reads="zarr-python 2 and 3 reshape the decoded msgpack2 chunk, stored in logical C order, in F order: transposed within each chunk",
        **obj,
    )
    c.array(
        "v2f-msgpack2-bytes",
        byte_strings(S1, seed=4),
        chunks=C1,
        object_codec=MsgPack(),
        description="msgpack2 holding bytes objects (bin values).",
        **obj,
    )

    # --- data types --------------------------------------------------------------------------
    sweep = [None, Zlib(1), Blosc("lz4", 5, Blosc.SHUFFLE), Zstd(3), LZ4(), GZip(5), BZ2(1), LZMA(preset=1)]
    dtypes = [
        "|b1", "|i1", "<i2", ">i2", "<i4", ">i4", "<i8", ">i8", "|u1", "<u2", ">u2", "<u4", ">u4",
        "<u8", ">u8", "<f2", ">f2", "<f4", ">f4", "<f8", ">f8", "<c8", ">c8", "<c16", ">c16",
    ]
    for i, dt in enumerate(dtypes):
        name = ("le-" if dt[0] == "<" else "be-" if dt[0] == ">" else "") + dt[1:]
        c.array(f"v2f-dtype-{name}", num(dt, S2, seed=i), chunks=C2, compressor=sweep[i % len(sweep)])
    c.array("v2f-dtype-S7", fixed_bytes(7, S2), chunks=C2, compressor=Zlib(1))
    c.array(
        "v2f-dtype-S7-fill-default",
        fixed_bytes(7, S2, seed=1),
        chunks=C2,
        writes=[(slice(0, 8), slice(0, 20))],
        description="zarr-python 2 writes the default fill_value 0 of |S7 as base64 of b'0' ('MA=='): missing chunks read as b'0'.",
    )
    c.array("v2f-dtype-S5-fill", fixed_bytes(5, S1, seed=2), chunks=C1, fill_value=b"ab", writes=[(slice(0, 30),), (slice(90, 100),)], compressor=Blosc("zstd", 1, Blosc.SHUFFLE))
    c.array("v2f-dtype-U5", fixed_unicode(5, S2), chunks=C2, compressor=Blosc("lz4", 5, Blosc.SHUFFLE))
    c.array("v2f-dtype-U5-be", fixed_unicode(5, S2, byteorder=">", seed=1), chunks=C2, compressor=Zstd(1))
    c.array(
        "v2f-dtype-U4-fill-default",
        fixed_unicode(4, S2, seed=2),
        chunks=C2,
        writes=[(slice(8, 20), slice(0, 33))],
        description="<U4 with zarr-python 2's default fill_value 0: missing chunks read as '0'.",
    )
    c.array("v2f-dtype-U3-fill", fixed_unicode(3, S1, seed=3), chunks=C1, fill_value="xy", writes=[(slice(30, 60),)])
    c.array("v2f-dtype-V6", fixed_bytes(6, S1, seed=4).view("V6"), chunks=C1, compressor=Zlib(1), fill_value=None)
    c.array("v2f-dtype-M8-ns", num("<M8[ns]", S2), chunks=C2, compressor=Zstd(1))
    c.array("v2f-dtype-M8-s-be", num(">M8[s]", S2, seed=1), chunks=C2, compressor=Blosc("lz4", 5, Blosc.SHUFFLE))
    c.array(
        "v2f-dtype-M8-D-fill-NaT",
        num("<M8[D]", S2, seed=2),
        chunks=C2,
        fill_value=np.datetime64("NaT", "D"),
        writes=[(slice(0, 16), slice(0, 20))],
    )
    c.array("v2f-dtype-m8-ms", num("<m8[ms]", S2, seed=3), chunks=C2, compressor=Zlib(1))
    c.array("v2f-dtype-m8-us-be", num(">m8[us]", S1, seed=4), chunks=C1)
    c.array("v2f-dtype-m8-10s", num("<m8[10s]", S1, seed=5), chunks=C1, compressor=LZ4())
    c.array("v2f-record-simple", records([("a", "<i4"), ("b", "<f8")], S1), chunks=C1, compressor=Blosc("lz4", 5, Blosc.SHUFFLE))
    c.array(
        "v2f-record-mixed-endian",
        records([("a", ">i4"), ("b", "<f8"), ("c", "S3")], S1, seed=1),
        chunks=C1,
        compressor=Zlib(1),
        description="record with fields in both byte orders and a |S3 field; fill_value 0 (base64 of the record numpy makes from 0).",
        writes=[(slice(0, 60),)],
    )
    c.array(
        "v2f-record-nested",
        records([("p", [("x", "<f4"), ("y", ">f4")]), ("id", "<u2")], S1, seed=2),
        chunks=C1,
        compressor=Zstd(1),
    )
    c.array("v2f-record-subarray", records([("v", "<f4", (3,)), ("n", "|u1"), ("m", ">i2", (2, 2))], S1, seed=3), chunks=C1, compressor=None)
    c.array(
        "v2f-record-datetime-bool-unicode",
        records([("t", "<M8[s]"), ("ok", "|b1"), ("w", "<U2"), ("d", ">m8[ms]")], S1, seed=4),
        chunks=C1,
        compressor=Blosc("zstd", 3, Blosc.BITSHUFFLE),
    )
    rec_fill = np.zeros((), dtype=[("a", "<i2"), ("b", ">f4")])
    rec_fill["a"] = -7
    rec_fill["b"] = 2.5
    c.array(
        "v2f-record-fill",
        records([("a", "<i2"), ("b", ">f4")], S2, seed=5),
        chunks=C2,
        fill_value=rec_fill[()],
        writes=[(slice(0, 8), slice(0, 33))],
        compressor=LZ4(),
    )
    c.array("v2f-record-order-F", records([("a", "<u4"), ("b", "<c8")], S2, seed=6), chunks=C2, order="F", compressor=Zlib(1))
    c.array("v2f-record-fill-null", records([("a", ">u8"), ("b", "|i1")], S1, seed=7), chunks=C1, fill_value=None, compressor=GZip(1))

    # --- order F -----------------------------------------------------------------------------
    c.array("v2f-order-F-2d", num("<i4", S2), chunks=C2, order="F")
    c.array("v2f-order-F-3d-be", num(">f8", S3), chunks=C3, order="F", compressor=Zlib(1))
    c.array("v2f-order-F-c16", num("<c16", S3, seed=1), chunks=C3, order="F", compressor=Blosc("lz4", 5, Blosc.SHUFFLE))
    c.array("v2f-order-F-quantize", num("<f8", S2, special=False), chunks=C2, order="F", filters=[Quantize(2, "<f8")], compressor=Zstd(1), lossy="quantize 2 digits")
    c.array("v2f-order-F-U", fixed_unicode(4, S3, seed=5), chunks=C3, order="F", compressor=Zlib(1))

    # --- fill values and missing chunks ------------------------------------------------------
    some = [(slice(0, 8), slice(0, 20)), (slice(8, 20), slice(20, 33))]
    c.array("v2f-fill-nan", num("<f8", S2), chunks=C2, fill_value=np.nan, writes=some, compressor=Zlib(1))
    c.array("v2f-fill-nan-f2", num("<f2", S2), chunks=C2, fill_value=np.nan, writes=some)
    c.array("v2f-fill-neginf-be", num(">f4", S2), chunks=C2, fill_value=-np.inf, writes=some, compressor=Blosc("lz4", 5, Blosc.SHUFFLE))
    c.array("v2f-fill-inf", num("<f8", S1), chunks=C1, fill_value=np.inf, writes=[(slice(0, 30),)])
    c.array("v2f-fill-int", num("<i2", S2), chunks=C2, fill_value=42, writes=some, compressor=Zstd(1))
    c.array("v2f-fill-u8-max", num("<u8", S1), chunks=C1, fill_value=np.iinfo(np.uint64).max, writes=[(slice(30, 60),)])
    c.array("v2f-fill-i8-min-be", num(">i8", S1), chunks=C1, fill_value=np.iinfo(np.int64).min, writes=[(slice(30, 60),)])
    c.array("v2f-fill-complex", num("<c16", S1), chunks=C1, fill_value=1.5 - 2j, writes=[(slice(0, 30),), (slice(90, 100),)])
    c.array("v2f-fill-bool-true", num("|b1", S2), chunks=C2, fill_value=True, writes=some, compressor=Zlib(1))
    c.array("v2f-fill-null-i4", num("<i4", S2), chunks=C2, fill_value=None)
    c.array("v2f-fill-null-f8", num("<f8", S2), chunks=C2, fill_value=None, compressor=Zlib(1))
    c.array("v2f-fill-float-fraction", num("<f4", S2), chunks=C2, fill_value=-0.125, writes=some)

    # --- shapes and chunk grids --------------------------------------------------------------
    c.array("v2f-chunk-larger-than-array", num("<i4", S2), chunks=(64, 64), compressor=Zlib(1))
    c.array("v2f-chunk-1x1", num("<f4", (3, 4)), chunks=(1, 1), compressor=None)
    c.array("v2f-scalar", num("<f8", ()), chunks=(), compressor=Zlib(1))
    c.array("v2f-zero-length", num("<i4", (20, 0)), chunks=(8, 10), compressor=Zlib(1))
    c.array("v2f-4d-order-F", num(">i2", (3, 4, 5, 6)), chunks=(2, 3, 2, 4), order="F", compressor=Blosc("lz4", 5, Blosc.SHUFFLE))
    c.array("v2f-separator-slash", num("<i2", S3), chunks=C3, dimension_separator="/", compressor=Zlib(1))
    c.array(
        "v2f-separator-slash-missing",
        num("<f4", S3),
        chunks=C3,
        dimension_separator="/",
        fill_value=np.nan,
        writes=[(slice(0, 5), slice(0, 9), slice(0, 12)), (slice(15, 17), slice(4, 8), slice(5, 10))],
        compressor=Zstd(1),
    )
    c.array(
        "v2f-attributes",
        num("<f4", S2),
        chunks=C2,
        attrs={
            "units": "K",
            "_FillValue": float("nan"),
            "valid_range": [float("-inf"), float("inf")],
            "scale_factor": 0.01,
            "nested": {"deep": [1, 2.5, None, True, "Grüße 🦀"]},
        },
        compressor=Zlib(1),
        description="array .zattrs with non-finite floats (bare NaN / Infinity / -Infinity, as Python's json writes them), nested and unicode values.",
    )

    # --- hierarchies -------------------------------------------------------------------------
    import zarr

    tree = c.store_dir("v2f-tree")
    g = zarr.open_group(tree, mode="w")
    g.attrs.update(
        {
            "title": "foreign tree",
            "missing": float("nan"),
            "range": [float("-inf"), 0.0, float("inf")],
            "meta": {"créé": "zarr-python 2", "n": 3},
        }
    )
    g1 = g.create_group("g1")
    g1.attrs["level"] = 1
    g2 = g1.create_group("g2")
    g2.attrs.update({"level": 2, "nan_list": [float("nan"), 1.0]})
    g.create_group("empty")
    c.array("v2f-tree.a", num("<f4", S2), chunks=C2, store="v2f-tree", path="/a", compressor=Zlib(1), attrs={"scale": float("inf")})
    c.array("v2f-tree.g1.b", num("<i2", S3), chunks=C3, store="v2f-tree", path="/g1/b", dimension_separator="/", compressor=Blosc("zstd", 1, Blosc.SHUFFLE))
    c.array("v2f-tree.g1.g2.c", strings(S1), chunks=C1, store="v2f-tree", path="/g1/g2/c", object_codec=VLenUTF8(), dtype=object, attrs={"low": float("-inf")})
    c.array("v2f-tree.g1.g2.d", num(">u4", S1), chunks=C1, store="v2f-tree", path="/g1/g2/d", compressor=LZ4(), fill_value=7, writes=[(slice(0, 30),)])
    zarr.consolidate_metadata(tree)
    c.group("v2f-tree", store="v2f-tree", description="V2 root group with attributes holding bare NaN / Infinity / -Infinity, nested groups and arrays, and consolidated metadata (.zmetadata).", consolidated=True)
    c.group("v2f-tree.g1", store="v2f-tree", path="/g1", description="V2 nested group with attributes.")
    c.group("v2f-tree.g1.g2", store="v2f-tree", path="/g1/g2", description="V2 group two levels down; attributes with a bare NaN in a list.")
    c.group("v2f-tree.empty", store="v2f-tree", path="/empty", description="V2 empty group (empty .zattrs).")

    nested = c.store_dir("v2f-nested")
    n = zarr.open_group(nested, mode="w")
    n.create_group("x").create_group("y")
    c.array("v2f-nested.x.y.z", num("<f8", S3), chunks=C3, store="v2f-nested", path="/x/y/z", dimension_separator="/", compressor=GZip(1))
    c.array("v2f-nested.x.w", num("|u1", S2), chunks=C2, store="v2f-nested", path="/x/w", dimension_separator="/", fill_value=3, writes=some)
    c.group("v2f-nested", store="v2f-nested", description="V2 hierarchy without consolidated metadata; arrays with dimension_separator '/'.")
    c.group("v2f-nested.x", store="v2f-nested", path="/x", description="V2 nested group.")
    c.group("v2f-nested.x.y", store="v2f-nested", path="/x/y", description="V2 nested group holding one array.")



def build3(c):
    """The zarr-python 3 section: V3 arrays with the core codecs, sharding and every
    `numcodecs.*` V3 codec zarr-python 3 registers, its data types (string, bytes,
    fixed-length strings, datetimes, structured), attributes with non-finite floats,
    consolidated metadata; and some V2 arrays as zarr-python 3 writes them."""
    import numpy as np
    import zarr
    import zarr.codecs as zc
    import zarr.dtype as zd

    num = numeric
    A = c.array3

    # --- core codecs -------------------------------------------------------------------------
    A("v3f-bytes-le", num("<i4", S2), chunks=C2)
    A("v3f-bytes-be", num("<f8", S2), chunks=C2, serializer=zc.BytesCodec(endian="big"), description="bytes with endian big.")
    A("v3f-bytes-be-u2", num("<u2", S1), chunks=C1, serializer=zc.BytesCodec(endian="big"), compressors=[zc.ZstdCodec(level=1)])
    A("v3f-transpose", num("<i2", S3), chunks=C3, filters=[zc.TransposeCodec(order=(2, 0, 1))], compressors=[zc.GzipCodec(level=1)])
    A("v3f-order-F", num("<f4", S2), chunks=C2, order="F", compressors=[zc.ZstdCodec(level=3)], description="order F: in zarr-python 3 only the memory order, the stored chunks stay C order.")
    A("v3f-gzip", num("<u8", S2), chunks=C2, compressors=[zc.GzipCodec(level=6)])
    A("v3f-zstd-checksum", num("<i8", S2), chunks=C2, compressors=[zc.ZstdCodec(level=5, checksum=True)])
    A("v3f-blosc-lz4-shuffle", num("<f8", S2), chunks=C2, compressors=[zc.BloscCodec(cname="lz4", clevel=5, shuffle="shuffle")])
    A("v3f-blosc-zstd-bitshuffle", num("<i4", S2), chunks=C2, compressors=[zc.BloscCodec(cname="zstd", clevel=3, shuffle="bitshuffle")])
    A("v3f-blosc-default", num("<f4", S2), chunks=C2, compressors="auto", description="zarr-python 3's default compressor (zstd).")
    A("v3f-crc32c", num("<u4", S2), chunks=C2, compressors=[zc.Crc32cCodec()])
    A("v3f-chain-gzip-crc32c", num("<i2", S2), chunks=C2, serializer=zc.BytesCodec(endian="big"), compressors=[zc.GzipCodec(level=1), zc.Crc32cCodec()])

    # --- sharding ----------------------------------------------------------------------------
    A("v3f-shard", num("<i4", (40, 60)), chunks=(5, 10), shards=(20, 30), compressors=[zc.ZstdCodec(level=1)])
    A("v3f-shard-edge", num("<f8", S2), chunks=(4, 5), shards=(8, 10), compressors=[zc.BloscCodec(cname="lz4", clevel=5, shuffle="shuffle")], description="shards that overhang the array.")
    A(
        "v3f-shard-missing",
        num("<f4", (40, 60)),
        chunks=(5, 10),
        shards=(20, 30),
        fill_value=np.nan,
        writes=[(slice(0, 5), slice(0, 10)), (slice(20, 40), slice(30, 60))],
        compressors=[zc.GzipCodec(level=1)],
        config={"write_empty_chunks": False},
        description="one inner chunk of one shard written, one whole shard, two shards missing.",
    )
    A(
        "v3f-shard-index-start",
        num("<u2", (32, 32)),
        chunks=(16, 16),
        serializer=zc.ShardingCodec(chunk_shape=(8, 8), codecs=[zc.BytesCodec(), zc.ZstdCodec(level=1)], index_location="start"),
        description="a sharding_indexed serializer with the index at the start.",
    )
    A(
        "v3f-shard-nested",
        num("<i2", (32, 32)),
        chunks=(16, 16),
        serializer=zc.ShardingCodec(
            chunk_shape=(8, 8),
            codecs=[zc.ShardingCodec(chunk_shape=(4, 4), codecs=[zc.BytesCodec(), zc.GzipCodec(level=1)])],
        ),
        description="sharding inside sharding.",
    )
    A("v3f-shard-strings", strings((30, 20)), chunks=(5, 5), shards=(10, 10), dtype=str, description="variable-length strings (vlen-utf8) inside shards.")
    A("v3f-shard-transpose", num("<f8", S3), chunks=(3, 2, 3), shards=(6, 4, 6), order="F", compressors=[zc.ZstdCodec(level=1)])

    # --- numcodecs.* V3 codecs ---------------------------------------------------------------
    for name, codec, dt in [
        ("numcodecs-blosc", zc.Blosc(cname="lz4", clevel=5, shuffle=1), "<f8"),
        ("numcodecs-bz2", zc.BZ2(level=1), "<i4"),
        ("numcodecs-gzip", zc.GZip(level=1), "<u2"),
        ("numcodecs-lz4", zc.LZ4(), "<f4"),
        ("numcodecs-lzma", zc.LZMA(preset=1), "<i8"),
        ("numcodecs-zlib", zc.Zlib(level=1), "<i4"),
        ("numcodecs-zstd", zc.Zstd(level=3), "<c8"),
        ("numcodecs-adler32", zc.Adler32(), "<u4"),
        ("numcodecs-crc32", zc.CRC32(), "<i2"),
        ("numcodecs-crc32c", zc.CRC32C(), "<f8"),
        ("numcodecs-fletcher32", zc.Fletcher32(), "<i4"),
        ("numcodecs-jenkins-lookup3", zc.JenkinsLookup3(), "<f4"),
        ("numcodecs-shuffle", zc.Shuffle(elementsize=4), "<i4"),
    ]:
        A(f"v3f-{name}", num(dt, S2), chunks=C2, compressors=[codec])
    A("v3f-numcodecs-delta", num("<i4", S2), chunks=C2, filters=[zc.Delta(dtype="<i4")], compressors=[zc.Zstd(level=1)])
    A(
        "v3f-numcodecs-delta-astype",
        (np.arange(660, dtype="<i8") * 37 + 1000).reshape(S2),
        chunks=C2,
        filters=[zc.Delta(dtype="<i8", astype="<i2")],
        compressors=[zc.Zlib(level=1)],
        description="delta with astype int16: the next codec sees int16.",
    )
    A(
        "v3f-numcodecs-fixedscaleoffset",
        num("<f8", S2, special=False),
        chunks=C2,
        filters=[zc.FixedScaleOffset(offset=0, scale=100, dtype="<f8", astype="<i4")],
        compressors=[zc.Zstd(level=1)],
        lossy="fixedscaleoffset to int32",
    )
    A("v3f-numcodecs-quantize", num("<f4", S2, special=False), chunks=C2, filters=[zc.Quantize(digits=2, dtype="<f4")], lossy="quantize 2 digits")
    A("v3f-numcodecs-bitround", num("<f8", S2), chunks=C2, filters=[zc.BitRound(keepbits=12)], compressors=[zc.Zstd(level=1)], lossy="bitround keepbits 12")
    A("v3f-numcodecs-astype", num("<f8", S2, special=False), chunks=C2, filters=[zc.AsType(encode_dtype="<f4", decode_dtype="<f8")], lossy="astype float64 -> float32")
    A("v3f-numcodecs-packbits", num("|b1", S2), chunks=C2, filters=[zc.PackBits()], compressors=[zc.Zlib(level=1)])
    A("v3f-numcodecs-pcodec", num("<i8", S2), chunks=C2, serializer=zc.PCodec(level=8))
    A("v3f-numcodecs-pcodec-f4", num("<f4", S2), chunks=C2, serializer=zc.PCodec(level=4, delta_spec="none"))
    A("v3f-numcodecs-zfpy-reversible", num("<f8", S2), chunks=C2, serializer=zc.ZFPY(mode=4, tolerance=-1), description="zfpy reversible (lossless).")
    A("v3f-numcodecs-zfpy-accuracy", num("<f4", S3, special=False), chunks=C3, serializer=zc.ZFPY(mode=4, tolerance=0.01), lossy="zfp fixed accuracy 0.01")
    A(
        "v3f-numcodecs-in-shard",
        num("<i4", (40, 60)),
        chunks=(10, 10),
        shards=(20, 30),
        filters=[zc.Delta(dtype="<i4")],
        compressors=[zc.Blosc(cname="zstd", clevel=1, shuffle=2)],
        description="numcodecs delta and blosc inside shards.",
    )

    # --- data types --------------------------------------------------------------------------
    for i, dt in enumerate(["|b1", "|i1", "<i2", "<i4", "<i8", "|u1", "<u2", "<u4", "<u8", "<f2", "<f4", "<f8", "<c8", "<c16"]):
        A(f"v3f-dtype-{dt[1:]}", num(dt, S2, seed=i), chunks=C2, compressors=[zc.ZstdCodec(level=1)] if i % 2 else None)
    A("v3f-string", strings(S2), chunks=C2, dtype=str, compressors=[zc.ZstdCodec(level=1)], description="variable-length UTF-8 strings (vlen-utf8).")
    A(
        "v3f-string-missing",
        strings(S2, seed=1),
        chunks=C2,
        dtype=str,
        fill_value="",
        writes=[(slice(0, 8), slice(0, 20))],
        description="strings with missing chunks (fill_value \"\").",
    )
    A("v3f-string-fill", strings(S1, seed=2), chunks=C1, dtype=str, fill_value="n/a", writes=[(slice(0, 30),)])
    A("v3f-bytes", byte_strings(S1), chunks=C1, dtype=zd.VariableLengthBytes(), compressors=[zc.GzipCodec(level=1)], description="variable-length bytes (vlen-bytes).")
    A("v3f-fixed-utf32", fixed_unicode(5, S2), chunks=C2, compressors=[zc.ZstdCodec(level=1)], description="fixed_length_utf32 (numpy <U5).")
    A("v3f-null-terminated-bytes", fixed_bytes(7, S2), chunks=C2, description="null_terminated_bytes (numpy |S7).")
    A("v3f-raw-bytes", fixed_bytes(6, S1, seed=4).view("V6"), chunks=C1, compressors=[zc.GzipCodec(level=1)], description="raw_bytes (numpy |V6).")
    A("v3f-datetime-ns", num("<M8[ns]", S2), chunks=C2, compressors=[zc.ZstdCodec(level=1)])
    A("v3f-datetime-D-NaT", num("<M8[D]", S2, seed=2), chunks=C2, fill_value=np.datetime64("NaT", "D"), writes=[(slice(0, 16), slice(0, 20))])
    A("v3f-timedelta-10s", num("<m8[10s]", S1, seed=5), chunks=C1)
    A("v3f-structured", records([("a", "<i4"), ("b", "<f8"), ("c", "S3")], S1), chunks=C1, compressors=[zc.ZstdCodec(level=1)])
    A("v3f-structured-be", records([("a", "<i2"), ("b", "<f4")], S1, seed=1), chunks=C1, serializer=zc.BytesCodec(endian="big"))

    # --- fill values, attributes, dimension names --------------------------------------------
    some = [(slice(0, 8), slice(0, 20)), (slice(8, 20), slice(20, 33))]
    A("v3f-fill-nan", num("<f8", S2), chunks=C2, fill_value=np.nan, writes=some, compressors=[zc.ZstdCodec(level=1)])
    A("v3f-fill-neginf-f2", num("<f2", S2), chunks=C2, fill_value=-np.inf, writes=some)
    A("v3f-fill-int", num("<i2", S2), chunks=C2, fill_value=-7, writes=some)
    A("v3f-fill-complex-nan", num("<c16", S1), chunks=C1, fill_value=complex(np.nan, 1.5), writes=[(slice(0, 30),)])
    A("v3f-fill-u8-max", num("<u8", S1), chunks=C1, fill_value=np.iinfo(np.uint64).max, writes=[(slice(30, 60),)])
    A("v3f-scalar", num("<f8", ()), chunks=(), compressors=[zc.ZstdCodec(level=1)])
    A("v3f-zero-length", num("<i4", (20, 0)), chunks=(8, 10))
    A(
        "v3f-attributes",
        num("<f4", S2),
        chunks=C2,
        attrs={"units": "K", "_FillValue": float("nan"), "valid_range": [float("-inf"), float("inf")], "nested": {"deep": [1, 2.5, None, True, "Grüße 🦀"]}},
        dimension_names=["y", None],
        description="attributes in zarr.json with bare NaN / Infinity / -Infinity (as Python's json writes them); dimension_names with a null.",
    )

    # --- hierarchies -------------------------------------------------------------------------
    tree = c.store_dir("v3f-tree")
    g = zarr.open_group(tree, mode="w", zarr_format=3)
    g.attrs.update({"title": "foreign v3 tree", "missing": float("nan"), "range": [float("-inf"), float("inf")]})
    g1 = g.create_group("g1")
    g1.attrs["level"] = 1
    g.create_group("empty")
    A("v3f-tree.a", num("<f4", S2), chunks=C2, store="v3f-tree", path="/a", compressors=[zc.ZstdCodec(level=1)], attrs={"scale": float("inf")})
    A("v3f-tree.g1.b", strings(S1), chunks=C1, store="v3f-tree", path="/g1/b", dtype=str)
    A("v3f-tree.g1.c", num("<i2", S3), chunks=C3, store="v3f-tree", path="/g1/c", shards=(10, 8, 10))
    zarr.consolidate_metadata(tree)
    c.group("v3f-tree", store="v3f-tree", zarr_format=3, consolidated=True, description="V3 root group with bare NaN / Infinity attributes, nested groups and arrays, and consolidated metadata inline in zarr.json.")
    c.group("v3f-tree.g1", store="v3f-tree", path="/g1", zarr_format=3, description="V3 nested group.")
    c.group("v3f-tree.empty", store="v3f-tree", path="/empty", zarr_format=3, description="V3 empty group.")

    # --- V2 as zarr-python 3 writes it -------------------------------------------------------
    import numcodecs

    A("v3f-v2-string", strings(S2), chunks=C2, dtype=str, zarr_format=2, compressors=numcodecs.Zstd(level=1), description="zarr-python 3 writing V2: a string array (vlen-utf8 filter).")
    A("v3f-v2-bytes", byte_strings(S1), chunks=C1, dtype=zd.VariableLengthBytes(), zarr_format=2, compressors=None)
    A("v3f-v2-be-blosc", num(">f8", S2), chunks=C2, zarr_format=2, compressors=numcodecs.Blosc(cname="zstd", clevel=3, shuffle=2))
    A("v3f-v2-fill-nan", num("<f4", S2), chunks=C2, zarr_format=2, fill_value=np.nan, writes=some, compressors=numcodecs.Zlib(level=1))
    A("v3f-v2-order-F", num("<i4", S3), chunks=C3, zarr_format=2, order="F", filters=[numcodecs.Delta(dtype="<i4")], compressors=numcodecs.LZ4())
    A("v3f-v2-U", fixed_unicode(4, S2), chunks=C2, zarr_format=2, compressors=numcodecs.GZip(level=1))
    A("v3f-v2-datetime", num("<M8[s]", S2), chunks=C2, zarr_format=2, compressors=None)


def main(argv):
    if len(argv) == 2 and argv[1] == "--versions":
        print(json.dumps(versions()), flush=True)
        return 0
    if len(argv) != 2:
        print(f"usage: {argv[0]} --versions | OUT_DIR", file=sys.stderr)
        return 2
    out = argv[1]
    if any(os.path.exists(os.path.join(out, x)) for x in ["manifest.json", "stores", "expected"]):
        print(f"error: {out} already holds a corpus", file=sys.stderr)
        return 2
    os.makedirs(os.path.join(out, "expected"), exist_ok=True)
    os.makedirs(os.path.join(out, "stores"), exist_ok=True)
    warnings.simplefilter("ignore")
    import zarr

    major = int(zarr.__version__.split(".")[0])
    if major == 2:
        corpus = Corpus(out, "zarr-python-2")
        corpus.label = "zarr-python 2"
        build(corpus)
    elif major == 3:
        corpus = Corpus(out, "zarr-python-3")
        corpus.label = "zarr-python 3"
        build3(corpus)
    else:
        print(f"error: no corpus for zarr {zarr.__version__}", file=sys.stderr)
        return 2
    v = versions()
    manifest = {
        "format": 1,
        "generated_by": {k: v.get(k) for k in ["zarr", "numcodecs", "numpy", "msgpack", "pcodec", "zfpy", "crc32c"]},
        "cases": corpus.cases,
    }
    with open(os.path.join(out, "manifest.json"), "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=1, ensure_ascii=False)
        f.write("\n")
    arrays = sum(1 for x in corpus.cases if x["kind"] == "array")
    print(
        f"{len(corpus.cases)} cases ({arrays} array, {len(corpus.cases) - arrays} group): "
        f"{corpus.stats['verified']} arrays read back equal by zarr-python, "
        f"{corpus.stats['lossy']} of them lossy and {corpus.stats['as_peer_reads']} read by zarr-python other"
        f" than written (expected: its read-back), {corpus.stats['misread']} misread by zarr-python"
        f" (expected: the data as written)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
