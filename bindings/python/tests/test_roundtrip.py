"""Round trips through zarrkit's pipeline against zarr-python's own, byte for byte.

Each case writes the same data with zarr's default pipeline and with zarrkit's (strict: a
fallback would raise), compares every stored key's bytes, and reads each store back with
the other pipeline.
"""

from __future__ import annotations

import zipfile

import numpy as np
import pytest
import zarr
import zarr.codecs as zc
from zarr.storage import LocalStore, LoggingStore, MemoryStore, ZipStore

from conftest import DEFAULT, ZARRKIT, pipeline, store_bytes

import zarrkit


def _is_zarrkit(arr) -> bool:
    return isinstance(arr._async_array.codec_pipeline, zarrkit.ZarrkitCodecPipeline)


def _data(dtype, shape, seed=0):
    rng = np.random.default_rng(seed)
    n = int(np.prod(shape))
    dt = np.dtype(dtype) if not isinstance(dtype, str) or dtype not in ("str", "bytes") else None
    if dtype == "str":
        words = ["", "a", "zarr", "ünïcödé", "x" * 40, "日本"]
        return np.array([words[i % len(words)] + str(i) for i in range(n)], dtype=object).reshape(shape)
    if dtype == "bytes":
        return np.array([bytes([i % 256]) * (i % 7) for i in range(n)], dtype=object).reshape(shape)
    if dt.kind == "b":
        return (rng.integers(0, 2, n) == 1).reshape(shape)
    if dt.kind in "iu":
        info = np.iinfo(dt)
        return rng.integers(max(info.min, -1000), min(info.max, 1000), n).astype(dt).reshape(shape)
    if dt.kind == "f":
        return (rng.standard_normal(n) * 100).astype(dt).reshape(shape)
    if dt.kind == "c":
        return (rng.standard_normal(n) + 1j * rng.standard_normal(n)).astype(dt).reshape(shape)
    if dt.kind in "mM":
        return rng.integers(-10_000, 10_000, n).astype(dt).reshape(shape)
    if dt.kind == "U":
        return np.array([f"s{i}" for i in range(n)], dtype=dt).reshape(shape)
    if dt.kind == "S":
        return np.array([f"b{i}".encode() for i in range(n)], dtype=dt).reshape(shape)
    raise AssertionError(dtype)


def _write(path, make_store, data, **kw):
    with pipeline(path):
        store = make_store()
        a = zarr.create_array(store, shape=data.shape, dtype=kw.pop("dtype", data.dtype), **kw)
        if path == ZARRKIT:
            assert _is_zarrkit(a)
        a[...] = data
        return store, a


def _read(path, store):
    with pipeline(path):
        a = zarr.open_array(store, mode="r")
        if path == ZARRKIT:
            assert _is_zarrkit(a)
        return a[...]


def _eq(a, b):
    a, b = np.asarray(a), np.asarray(b)
    assert a.shape == b.shape
    if a.dtype.kind in "fc":
        np.testing.assert_array_equal(a, b)
    else:
        assert (a == b).all(), (a, b)


def _inflate(b: bytes) -> bytes:
    import gzip
    import zlib

    return gzip.decompress(b) if b[:2] == b"\x1f\x8b" else zlib.decompress(b)


def _shard_parts(b: bytes, n: int) -> list:
    """The inner chunks of a shard (index at the end, with crc32c), by inner chunk index."""
    idx = np.frombuffer(b[-(16 * n) - 4 : -4], dtype="<u8").reshape(n, 2)
    return [None if int(o) == 2**64 - 1 else b[int(o) : int(o) + int(k)] for o, k in idx]


def _roundtrip(data, make_store=MemoryStore, deflate=False, inner=None, **kw):
    """``deflate``: the chunks are zlib/gzip streams, whose bytes depend on the deflate
    implementation (zarrkit's is miniz_oxide, zarr's is zlib): compare them inflated.
    ``inner``: chunks are shards of this many inner chunks, compared inner chunk by inner
    chunk (the layout itself is compared by ``test_subchunk_write_order_bytes_match``)."""
    s_def, _ = _write(DEFAULT, make_store, data, **dict(kw))
    s_zk, _ = _write(ZARRKIT, make_store, data, **dict(kw))
    got, want = store_bytes(s_zk), store_bytes(s_def)
    if deflate or inner:
        assert got.keys() == want.keys()
        for k in got:
            if k.endswith((".json", ".zarray", ".zattrs", ".zgroup")):
                assert got[k] == want[k], k
                continue
            g, w = got[k], want[k]
            if inner:
                assert deflate or len(g) == len(w), k
                g, w = _shard_parts(g, inner), _shard_parts(w, inner)
                if deflate:
                    g = [None if x is None else _inflate(x) for x in g]
                    w = [None if x is None else _inflate(x) for x in w]
            else:
                g, w = _inflate(g), _inflate(w)
            assert g == w, k
    else:
        assert got == want
    _eq(_read(ZARRKIT, s_def), data)
    _eq(_read(DEFAULT, s_zk), data)
    return s_zk


DTYPES = [
    "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
    "float16", "float32", "float64", "complex64", "complex128", "bool",
    "datetime64[s]", "datetime64[ns]", "timedelta64[ms]", "datetime64[10s]",
    "<U7", "S5", "str", "bytes",
]


@pytest.mark.parametrize("dtype", DTYPES)
def test_v3_dtypes(dtype):
    data = _data(dtype, (13, 9))
    _roundtrip(data, chunks=(5, 4), dtype=("str" if dtype == "str" else data.dtype) if dtype != "bytes" else zarr.dtype.VariableLengthBytes())


@pytest.mark.parametrize("dtype", ["<i4", ">i4", ">f8", "<u2", ">c16", "|b1", "<U3", ">U3", "|S3", ">M8[s]", "<m8[10ms]"])
@pytest.mark.parametrize("compressor", [None, "zlib", "blosc"])
def test_v2_dtypes_and_compressors(dtype, compressor):
    import numcodecs

    comp = {None: None, "zlib": numcodecs.Zlib(level=3), "blosc": numcodecs.Blosc(cname="lz4", clevel=5, shuffle=1)}[compressor]
    data = _data(dtype, (11, 6), seed=1).astype(dtype)
    _roundtrip(data, chunks=(4, 4), zarr_format=2, compressors=comp, filters=None, deflate=compressor == "zlib")


def test_v2_f_order_and_object_strings():
    data = _data("int32", (9, 7))
    _roundtrip(data, chunks=(4, 3), zarr_format=2, order="F")
    s = _data("str", (7, 5))
    _roundtrip(s, chunks=(3, 3), zarr_format=2, dtype=str)


@pytest.mark.parametrize(
    "codecs",
    [
        dict(compressors=zc.GzipCodec(level=5), deflate=True),
        dict(compressors=zc.ZstdCodec(level=3, checksum=True)),
        dict(compressors=zc.BloscCodec(cname="zstd", clevel=3, shuffle="bitshuffle")),
        dict(compressors=zc.Crc32cCodec()),
        dict(compressors=None, serializer=zc.BytesCodec(endian="big")),
        dict(filters=[zc.TransposeCodec(order=(1, 0))], compressors=None),
        dict(shards=(10, 8), inner=4),
        dict(shards=(10, 8), compressors=zc.GzipCodec(), deflate=True, inner=4),
    ],
    ids=["gzip", "zstd-checksum", "blosc-bitshuffle", "crc32c", "big-endian", "transpose", "sharding", "sharding-gzip"],
)
def test_v3_codecs(codecs):
    data = _data("float32", (20, 17), seed=2)
    _roundtrip(data, chunks=(5, 4), **codecs)


@pytest.mark.parametrize("kind", ["memory", "local", "logging"])
def test_stores(kind, tmp_path):
    counter = iter(range(100))

    def make():
        n = next(counter)
        if kind == "memory":
            return MemoryStore()
        if kind == "local":
            return LocalStore(tmp_path / f"s{n}")
        return LoggingStore(MemoryStore())

    data = _data("int16", (30, 21), seed=3)
    _roundtrip(data, make, chunks=(7, 8), shards=(14, 16), inner=4)
    _roundtrip(data, make, chunks=(7, 8))


def test_shard_layout_matches_zarr_python():
    """zarr-python 3.4 writes inner chunks in Morton order by default; so does zarrkit
    through this pipeline (it passes the codec's ``subchunk_write_order``): same bytes."""
    data = _data("float32", (20, 17), seed=2)
    _roundtrip(data, chunks=(5, 4), shards=(10, 8))


@pytest.mark.parametrize("order", ["morton", "lexicographic", "colexicographic", "unordered"])
@pytest.mark.parametrize("partial", [False, True], ids=["whole", "partial"])
def test_subchunk_write_order_bytes_match(order, partial):
    """Every ``subchunk_write_order``: the same shard bytes as zarr's own pipeline, for a
    whole write and after a partial one (which re-assembles the shard)."""
    from zarr.codecs.sharding import ShardingCodec

    data = _data("uint16", (24, 12), seed=5)
    stores = {}
    for path in (DEFAULT, ZARRKIT):
        store = MemoryStore()
        with pipeline(path):
            a = zarr.create_array(
                store,
                shape=data.shape,
                dtype=data.dtype,
                chunks=data.shape,
                serializer=ShardingCodec(
                    chunk_shape=(4, 4), codecs=[zc.BytesCodec()], subchunk_write_order=order
                ),
                compressors=None,
                filters=None,
            )
            if path == ZARRKIT:
                assert _is_zarrkit(a)
            a[...] = data
            if partial:
                a[5:9, 2:7] = 7
        stores[path] = store_bytes(store)
    assert stores[ZARRKIT] == stores[DEFAULT]


def test_zip_store_read_native(tmp_path):
    data = _data("uint32", (25, 12), seed=4)
    p = tmp_path / "a.zip"
    with pipeline(DEFAULT):
        z = ZipStore(p, mode="w")
        a = zarr.create_array(z, shape=data.shape, dtype=data.dtype, chunks=(6, 5))
        a[...] = data
        z.close()
    with pipeline(ZARRKIT):
        z = ZipStore(p, mode="r")
        a = zarr.open_array(z, mode="r")
        assert _is_zarrkit(a)
        _eq(a[...], data)
        _eq(a[3:20:3, [1, 7, 11]], data[3:20:3][:, [1, 7, 11]])
    # writing a zip through zarrkit (zarr's async store methods)
    q = tmp_path / "b.zip"
    with pipeline(ZARRKIT):
        z = ZipStore(q, mode="w")
        a = zarr.create_array(z, shape=data.shape, dtype=data.dtype, chunks=(6, 5))
        a[...] = data
        z.close()
    with zipfile.ZipFile(q) as zf:
        assert "c/0/0" in zf.namelist()
    _eq(_read(DEFAULT, ZipStore(q, mode="r")), data)


def _ops_partial(a):
    a[2:5, 3:9] = 5
    a[7, :] = np.arange(10)
    a[[0, 9], [1, 8]] = 99
    a.oindex[[1, 4], [0, 2, 9]] = 42
    a.vindex[[3, 6, 8], [2, 2, 7]] = [1, 2, 3]
    a[9, 9] = -1


def test_partial_writes_and_fill():
    """The same partial writes through both pipelines leave the same stores."""
    stores = {}
    for p in (DEFAULT, ZARRKIT):
        with pipeline(p):
            s = MemoryStore()
            a = zarr.create_array(s, shape=(10, 10), dtype="i4", chunks=(3, 4), fill_value=-7)
            assert (a[...] == -7).all()
            _ops_partial(a)
            stores[p] = (store_bytes(s), a[...])
    assert stores[ZARRKIT][0] == stores[DEFAULT][0]
    _eq(stores[ZARRKIT][1], stores[DEFAULT][1])
    assert stores[ZARRKIT][1][0, 1] == 99 and stores[ZARRKIT][1][4, 9] == 42


def test_write_empty_chunks(zk):
    for wec in (False, True):
        s = MemoryStore()
        a = zarr.create_array(s, shape=(8,), dtype="u1", chunks=(4,), fill_value=0, config={"write_empty_chunks": wec})
        a[...] = np.array([0, 0, 0, 0, 1, 0, 0, 0], dtype="u1")
        keys = sorted(k for k in store_bytes(s) if k.startswith("c/"))
        assert keys == (["c/0", "c/1"] if wec else ["c/1"])
        a[4] = 0  # becomes all fill value: erased unless write_empty_chunks
        keys = sorted(k for k in store_bytes(s) if k.startswith("c/"))
        assert keys == (["c/0", "c/1"] if wec else [])


def test_read_missing_chunks(zk):
    s = MemoryStore()
    a = zarr.create_array(s, shape=(8,), dtype="f8", chunks=(4,), fill_value=1.5)
    a[:4] = 2.0
    assert list(a[...]) == [2.0] * 4 + [1.5] * 4
    b = zarr.open_array(s, mode="r", config={"read_missing_chunks": False})
    assert _is_zarrkit(b)
    assert list(b[:4]) == [2.0] * 4
    with pytest.raises(zarr.errors.ChunkNotFoundError):
        b[...]


def _spec(arr, shape=None):
    from zarr.core.array_spec import ArraySpec
    from zarr.core.buffer import default_buffer_prototype

    aa = arr._async_array
    return ArraySpec(
        shape=shape or aa.chunks,
        dtype=aa.metadata.data_type if hasattr(aa.metadata, "data_type") else aa.metadata.dtype,
        fill_value=aa.metadata.fill_value,
        config=aa._config,
        prototype=default_buffer_prototype(),
    )


def test_getresult_per_chunk(zk):
    from zarr.core.sync import sync

    s = MemoryStore()
    a = zarr.create_array(s, shape=(12,), dtype="i2", chunks=(4,))
    a[4:8] = 3
    pipe = a._async_array.codec_pipeline
    from zarr.core.buffer import default_buffer_prototype
    from zarr.storage import StorePath

    spec = _spec(a)
    out = default_buffer_prototype().nd_buffer.create(shape=(12,), dtype=np.dtype("i2"), fill_value=0)
    batch = [
        (StorePath(s, f"c/{i}"), spec, (slice(0, 4),), (slice(4 * i, 4 * i + 4),), True)
        for i in range(3)
    ]
    res = sync(pipe.read(batch, out))
    assert [r["status"] for r in res] == ["missing", "present", "missing"]
    assert list(out.as_numpy_array()) == [0] * 4 + [3] * 4 + [0] * 4


@pytest.mark.parametrize("order", ["C", "F"])
def test_indexing_against_numpy(zk, order):
    data = _data("float64", (17, 13, 5), seed=5)
    a = zarr.create_array(MemoryStore(), shape=data.shape, dtype=data.dtype, chunks=(4, 5, 3), shards=(8, 10, 3), config={"order": order})
    a[...] = data
    got = a[...]
    _eq(got, data)
    if order == "F":
        assert got.flags.f_contiguous
    _eq(a[1:16:3, ::2, 4], data[1:16:3, ::2, 4])
    _eq(a[5], data[5])
    _eq(a.oindex[[0, 3, 16], :, [1, 4]], data[[0, 3, 16]][:, :, [1, 4]])
    mask = np.zeros(13, dtype=bool)
    mask[[2, 3, 11]] = True
    _eq(a.oindex[:, mask, 2], data[:, mask, 2])
    _eq(a.vindex[[0, 5, 16, 9], [12, 0, 3, 3], [4, 1, 0, 2]], data[[0, 5, 16, 9], [12, 0, 3, 3], [4, 1, 0, 2]])
    m3 = data > 50
    _eq(a.vindex[m3], data[m3])
    _eq(a.get_block_selection((1, 1)), data[8:16, 10:13])
    # writes through the same indexing
    ref = data.copy()
    a.oindex[[1, 7], 3:9:2, :] = -1.0
    ref[np.ix_([1, 7], range(3, 9, 2), range(5))] = -1.0
    a.vindex[[2, 3], [4, 5], [0, 1]] = [10.0, 20.0]
    ref[[2, 3], [4, 5], [0, 1]] = [10.0, 20.0]
    a.vindex[m3 & (data > 200)] = 0.5
    ref[m3 & (data > 200)] = 0.5
    _eq(a[...], ref)


def test_out_buffer_strided(zk):
    from zarr.core.buffer import default_buffer_prototype

    data = _data("int32", (12, 10), seed=6)
    a = zarr.create_array(MemoryStore(), shape=data.shape, dtype=data.dtype, chunks=(5, 3))
    a[...] = data
    big = np.zeros((24, 30), dtype="int32")
    view = big[::2, ::3]  # a strided view
    out = default_buffer_prototype().nd_buffer.from_numpy_array(view)
    a.get_basic_selection(..., out=out)
    _eq(big[::2, ::3], data)
    assert big[1::2].sum() == 0
    # big-endian output buffer
    be = np.zeros((12, 10), dtype=">i4")
    a.get_basic_selection(..., out=default_buffer_prototype().nd_buffer.from_numpy_array(be))
    _eq(be, data)


def test_strings_indexing(zk):
    data = _data("str", (9, 8))
    a = zarr.create_array(MemoryStore(), shape=data.shape, dtype=str, chunks=(4, 3))
    a[...] = data
    _eq(a[...], data)
    _eq(a.oindex[[0, 8], 1:7:2], data[[0, 8]][:, 1:7:2])
    _eq(a.vindex[[1, 2, 3], [7, 0, 4]], data[[1, 2, 3], [7, 0, 4]])
    a[2, 1:5] = "new"
    data[2, 1:5] = "new"
    _eq(a[...], data)


def test_zero_dim_and_scalar(zk):
    a = zarr.create_array(MemoryStore(), shape=(), dtype="f4", fill_value=3.0)
    assert a[()] == 3.0
    a[()] = 4.5
    assert a[()] == 4.5
    b = zarr.create_array(MemoryStore(), shape=(6, 6), dtype="u2", chunks=(4, 4))
    b[...] = 7
    assert (b[...] == 7).all()


def test_read_only_store_is_honoured(tmp_path):
    from zarr.core.buffer import default_buffer_prototype
    from zarr.core.sync import sync

    with pipeline(ZARRKIT):
        a = zarr.create_array(LocalStore(tmp_path / "ro"), shape=(4,), dtype="i1", chunks=(2,))
        a[...] = 1
        for store in (LocalStore(tmp_path / "ro", read_only=True), ):
            r = zarr.open_array(store, mode="r")
            assert _is_zarrkit(r)
            assert (r[...] == 1).all()
            value = default_buffer_prototype().nd_buffer.from_numpy_array(np.zeros(2, dtype="i1"))
            batch = [(r._async_array.store_path / "c/0", _spec(r), (slice(0, 2),), (slice(0, 2),), True)]
            with pytest.raises(ValueError, match="read-only"):
                sync(r._async_array.codec_pipeline.write(batch, value))
        assert (a[...] == 1).all()


def test_local_store_after_move(tmp_path):
    from zarr.core.sync import sync

    with pipeline(ZARRKIT):
        s = LocalStore(tmp_path / "old")
        a = zarr.create_array(s, shape=(6,), dtype="i8", chunks=(3,))
        a[...] = np.arange(6)
        sync(s.move(tmp_path / "new"))
        b = zarr.open_array(s, mode="r+")
        assert (b[...] == np.arange(6)).all()
        b[0] = 100
        assert (tmp_path / "new" / "c" / "0").exists()
        assert not (tmp_path / "old").exists()
        assert b[0] == 100


def test_edge_chunks_and_resize_like_zarr(tmp_path):
    """Edge chunks are written whole with the fill value beyond the shape (as zarr does);
    a shard kept by a shrinking resize keeps its cells beyond the new shape."""
    results = {}
    for p in (DEFAULT, ZARRKIT):
        with pipeline(p):
            out = []
            for shards in (None, (4,)):
                for make in (MemoryStore, lambda: LocalStore(tmp_path / f"{p}-{shards}")):
                    s = make()
                    a = zarr.create_array(s, shape=(4,), chunks=(1,) if shards else (3,), shards=shards, dtype="int16", fill_value=0)
                    a[:] = [1, 2, 3, 4]
                    a.resize((2,))
                    a[:] = [9, 9]
                    a.resize((4,))
                    out.append((a[:].tolist(), store_bytes(s)))
            results[p] = out
    assert results[ZARRKIT] == results[DEFAULT]
    assert results[ZARRKIT][2][0] == [9, 9, 3, 4]  # sharded: kept


@pytest.mark.parametrize(
    "dt",
    [
        "<M8",
        ">m8",
        "<M8[2generic]",
        ">m8[2147483647generic]",
        [("time", "<M8"), ("x", "<i2")],
        [("time", ">m8[3generic]")],
    ],
)
def test_generic_time_units_v2(dt):
    dt = np.dtype(dt)
    data = np.zeros(10, dtype=dt)
    if dt.fields:
        t = dt.fields["time"][0]
        data["time"] = np.arange(10).astype(t.byteorder + "i8").view(t)
        if "x" in dt.fields:
            data["x"] = np.arange(10)
    else:
        data[:] = np.arange(10).astype(dt.byteorder + "i8").view(dt)
    _roundtrip(data, chunks=(4,), zarr_format=2, compressors=None, filters=None)


def test_any_store_shard_reads_like_zarr():
    """On a store zarrkit has no native I/O for, a partial shard read is the shard's index
    (``get`` with a byte range) and then the inner chunks it needs (one ``get_ranges`` per
    shard), the same calls zarr's own pipeline makes."""
    from collections import Counter

    from zarr.storage import WrapperStore

    class Counting(WrapperStore):
        def __init__(self, store):
            super().__init__(store)
            self.calls = Counter()

        async def get(self, key, prototype=None, byte_range=None):
            self.calls["get" if byte_range is not None else "get-whole"] += 1
            return await self._store.get(key, prototype, byte_range)

        async def get_ranges(self, key, byte_ranges, **kw):
            self.calls["get_ranges"] += 1
            async for g in self._store.get_ranges(key, byte_ranges, **kw):
                yield g

    data = np.arange(16 * 64, dtype="float32").reshape(16, 64)
    counts = {}
    for p in (DEFAULT, ZARRKIT):
        with pipeline(p):
            s = Counting(MemoryStore())
            a = zarr.create_array(s, shape=data.shape, chunks=(2, 4), shards=(8, 32), dtype=data.dtype, fill_value=1)
            a[:] = data
            s.calls.clear()
            _eq(a[0, 22:42], data[0, 22:42])
            _eq(a[:, 0], data[:, 0])
            counts[p] = dict(s.calls)
    assert counts[ZARRKIT] == counts[DEFAULT] == {"get": 4, "get_ranges": 4}
