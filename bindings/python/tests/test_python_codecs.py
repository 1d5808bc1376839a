"""Bytes-to-bytes codecs only Python can run (a user's codec class, a numcodecs compressor
zarrkit has no plugin for) run inside zarrkit's chain, called by zarrkit, strict mode and all:
the rest of the chain and the I/O stay native. Each test checks the codec really ran and the
bytes are the ones zarr's own pipeline writes and reads."""

from __future__ import annotations

from dataclasses import dataclass

import numcodecs
import numpy as np
import pytest
import zarr
from numcodecs.abc import Codec as Numcodec
from zarr.abc.codec import ArrayBytesCodec, BytesBytesCodec
from zarr.codecs import BytesCodec, ZstdCodec
from zarr.storage import LocalStore, MemoryStore

from conftest import DEFAULT, ZARRKIT, pipeline, store_bytes

import zarrkit

CALLS = {"encode": 0, "decode": 0}


@dataclass(frozen=True)
class XorCodec(BytesBytesCodec):
    """A bytes-to-bytes codec with async methods only."""

    is_fixed_size = True

    @classmethod
    def from_dict(cls, data):
        return cls()

    def to_dict(self):
        return {"name": "test.pyxor"}

    async def _decode_single(self, chunk_bytes, chunk_spec):
        CALLS["decode"] += 1
        a = chunk_bytes.as_numpy_array() ^ 0x5A
        return chunk_spec.prototype.buffer.from_array_like(a)

    async def _encode_single(self, chunk_bytes, chunk_spec):
        CALLS["encode"] += 1
        a = chunk_bytes.as_numpy_array() ^ 0x5A
        return chunk_spec.prototype.buffer.from_array_like(a)

    def compute_encoded_size(self, input_byte_length, chunk_spec):
        return input_byte_length


zarr.registry.register_codec("test.pyxor", XorCodec)


class Boom(Exception):
    pass


@dataclass(frozen=True)
class FailingCodec(BytesBytesCodec):
    """Decodes by raising its own exception type (sync methods)."""

    is_fixed_size = True

    @classmethod
    def from_dict(cls, data):
        return cls()

    def to_dict(self):
        return {"name": "test.pyfail"}

    def _encode_sync(self, chunk_bytes, chunk_spec):
        return chunk_bytes

    def _decode_sync(self, chunk_bytes, chunk_spec):
        raise Boom("the codec refuses")

    async def _encode_single(self, chunk_bytes, chunk_spec):
        return self._encode_sync(chunk_bytes, chunk_spec)

    async def _decode_single(self, chunk_bytes, chunk_spec):
        return self._decode_sync(chunk_bytes, chunk_spec)

    def compute_encoded_size(self, input_byte_length, chunk_spec):
        return input_byte_length


zarr.registry.register_codec("test.pyfail", FailingCodec)


SEEN = []


class Reverse(Numcodec):
    """A numcodecs compressor zarrkit has no plugin for (bytes reversed)."""

    codec_id = "test-reverse"

    def encode(self, buf):
        SEEN.append((buf.dtype.str, buf.shape))
        return bytes(numcodecs.compat.ensure_bytes(buf))[::-1]

    def decode(self, buf, out=None):
        return bytes(numcodecs.compat.ensure_bytes(buf))[::-1]


numcodecs.register_codec(Reverse)


@pytest.fixture(autouse=True)
def _count():
    CALLS.update(encode=0, decode=0)


@pytest.mark.parametrize("sharded", [False, True])
def test_async_python_codec_round_trip_same_bytes_as_zarr(sharded, tmp_path):
    data = np.arange(16 * 16, dtype="i4").reshape(16, 16)
    kw = dict(shape=(16, 16), chunks=(4, 4), dtype="i4", compressors=[XorCodec()], fill_value=-1)
    if sharded:
        kw["shards"] = (8, 8)
    stores = {}
    for name, path in (("zk", ZARRKIT), ("zarr", DEFAULT)):
        with pipeline(path):
            s = MemoryStore()
            a = zarr.create_array(s, **kw)
            a[...] = data
            a[1:3, 5:11] = -7  # partial writes (inside one shard / across chunks)
            stores[name] = s
    assert CALLS["encode"] > 0
    assert store_bytes(stores["zk"]) == store_bytes(stores["zarr"])
    expect = data.copy()
    expect[1:3, 5:11] = -7
    CALLS.update(decode=0)
    with pipeline(ZARRKIT):
        a = zarr.open_array(stores["zarr"])
        np.testing.assert_array_equal(a[...], expect)
        np.testing.assert_array_equal(a[2:9, 3], expect[2:9, 3])
    assert CALLS["decode"] > 0


def test_python_codec_on_local_store(tmp_path):
    with pipeline(ZARRKIT):
        a = zarr.create_array(LocalStore(tmp_path), shape=(10,), chunks=(3,), dtype="u2", compressors=[XorCodec(), ZstdCodec()])
        a[...] = np.arange(10, dtype="u2")
        np.testing.assert_array_equal(a[...], np.arange(10))
    assert CALLS["encode"] == 4 and CALLS["decode"] == 4  # one per chunk, by zarrkit
    with pipeline(DEFAULT):
        np.testing.assert_array_equal(zarr.open_array(LocalStore(tmp_path))[...], np.arange(10))


def test_python_codec_exception_reaches_the_caller():
    with pipeline(ZARRKIT):
        a = zarr.create_array(MemoryStore(), shape=(8,), chunks=(4,), dtype="u1", compressors=[FailingCodec()])
        a[...] = np.arange(8, dtype="u1")
        with pytest.raises(Boom, match="the codec refuses"):
            a[...]


def test_numcodecs_compressor_without_a_plugin_v2():
    SEEN.clear()
    data = np.arange(20, dtype="<i2")
    stores = {}
    for name, path in (("zk", ZARRKIT), ("zarr", DEFAULT)):
        with pipeline(path):
            s = MemoryStore()
            a = zarr.create_array(s, shape=(20,), chunks=(6,), dtype="<i2", zarr_format=2, compressors=Reverse())
            a[...] = data
            stores[name] = s
    assert store_bytes(stores["zk"]) == store_bytes(stores["zarr"])
    assert store_bytes(stores["zk"])["0"] == data[:6].tobytes()[::-1]
    # handed the chunk as zarr hands it: an array of the data type and chunk shape
    assert SEEN == [("<i2", (6,))] * 8
    with pipeline(ZARRKIT):
        np.testing.assert_array_equal(zarr.open_array(stores["zarr"])[...], data)


def test_pickle_compressor_is_gated_like_zarr(monkeypatch):
    from zarr.core.dtype import VariableLengthUTF8
    from zarr.errors import PickleCodecDisabledError

    with pipeline(ZARRKIT):
        a = zarr.create_array(
            store={}, shape=(3,), dtype=VariableLengthUTF8(), zarr_format=2,
            filters=[numcodecs.VLenUTF8()], compressors=numcodecs.Pickle(), fill_value="",
        )
        a[:] = np.array(["a", "bb", "ccc"])
        with pytest.raises(PickleCodecDisabledError):
            a[:]
        monkeypatch.setattr(numcodecs.pickles, "ALLOW_UNSAFE_PICKLE_DECODE", False, raising=False)
        with zarr.config.set({"array.allow_unsafe_pickle_decode": True}):
            with pytest.raises(numcodecs.errors.UnsafeDecodeError):
                a[:]
            monkeypatch.setattr(numcodecs.pickles, "ALLOW_UNSAFE_PICKLE_DECODE", True, raising=False)
            np.testing.assert_array_equal(a[:], np.array(["a", "bb", "ccc"]))


def test_python_codec_returning_none_stores_no_chunk():
    """zarr's meaning of a codec's `None` from encode: the chunk is not stored (a stored one
    is deleted). Inside a shard zarrkit cannot express it: an error naming the codec."""

    @dataclass(frozen=True)
    class Dropper(XorCodec):
        def to_dict(self):
            return {"name": "test.pydrop"}

        async def _encode_single(self, chunk_bytes, chunk_spec):
            CALLS["encode"] += 1
            return None if chunk_bytes.as_numpy_array()[0] == 9 else chunk_bytes

        async def _decode_single(self, chunk_bytes, chunk_spec):
            return chunk_bytes

    with pipeline(ZARRKIT):
        s = MemoryStore()
        a = zarr.create_array(s, shape=(8,), chunks=(4,), dtype="u1", compressors=[Dropper()], fill_value=0)
        a[...] = np.arange(8, dtype="u1")
        assert sorted(store_bytes(s)) == ["c/0", "c/1", "zarr.json"]
        a[4] = 9  # chunk 1 now encodes to None: deleted
        assert sorted(store_bytes(s)) == ["c/0", "zarr.json"]
        np.testing.assert_array_equal(a[...], [0, 1, 2, 3, 0, 0, 0, 0])
        b = zarr.create_array(MemoryStore(), shape=(8,), chunks=(2,), shards=(4,), dtype="u1", compressors=[Dropper()])
        with pytest.raises(zarrkit.ZarrkitError, match="inside sharding"):
            b[...] = 9


@dataclass(frozen=True)
class AsyncBytes(ArrayBytesCodec):
    """An array-to-bytes codec with async methods only (zarr's `bytes`, little endian)."""

    is_fixed_size = True

    @classmethod
    def from_dict(cls, data):
        return cls()

    def to_dict(self):
        return {"name": "test.pybytes"}

    def evolve_from_array_spec(self, array_spec):
        return self

    async def _decode_single(self, chunk_bytes, chunk_spec):
        CALLS["decode"] += 1
        return await BytesCodec(endian="little")._decode_single(chunk_bytes, chunk_spec)

    async def _encode_single(self, chunk_array, chunk_spec):
        CALLS["encode"] += 1
        return await BytesCodec(endian="little")._encode_single(chunk_array, chunk_spec)

    def compute_encoded_size(self, input_byte_length, chunk_spec):
        return input_byte_length


zarr.registry.register_codec("test.pybytes", AsyncBytes)


def test_python_array_to_bytes_codec():
    data = np.arange(6 * 5, dtype="<u4").reshape(6, 5) * 1000
    stores = {}
    for name, path in (("zk", ZARRKIT), ("zarr", DEFAULT)):
        with pipeline(path):
            s = MemoryStore()
            a = zarr.create_array(s, shape=(6, 5), chunks=(4, 4), dtype="<u4", serializer=AsyncBytes(), compressors=[ZstdCodec()])
            a[...] = data
            a[5, 4] = 7
            stores[name] = s
    assert store_bytes(stores["zk"]) == store_bytes(stores["zarr"])
    data[5, 4] = 7
    CALLS.update(decode=0)
    with pipeline(ZARRKIT):
        np.testing.assert_array_equal(zarr.open_array(stores["zarr"])[...], data)
    assert CALLS["decode"] == 4


def test_python_index_codecs_through_the_pipeline_api():
    """zarr's sharding codec encodes an index with an async-only index codec through the
    configured pipeline's `encode`/`decode` (zarr-python's own fallback path)."""
    import asyncio

    from zarr.codecs import Crc32cCodec, ShardingCodec
    from zarr.codecs.sharding import _ShardIndex

    with pipeline(ZARRKIT):
        codec = ShardingCodec(chunk_shape=(10,), codecs=[BytesCodec()], index_codecs=[AsyncBytes(), Crc32cCodec()])
        index = _ShardIndex.create_empty((5,))
        index.set_chunk_slice((0,), slice(0, 42))
        encoded = asyncio.run(codec._encode_shard_index(index))
        decoded = asyncio.run(codec._decode_shard_index(encoded, (5,)))
    np.testing.assert_array_equal(decoded.offsets_and_lengths, index.offsets_and_lengths)
    assert CALLS["encode"] == 1 and CALLS["decode"] == 1


def test_failed_read_modify_write_raises_the_codec_error():
    """A partial write whose re-encode fails (after the stored chunk was decoded) raises the
    codec's exception, and the stored chunk is left as it was. (The release build of this
    error path was miscompiled by rustc 1.95 and crashed the interpreter: see
    scripts/ci/check_stack_alignment.py.)"""

    @dataclass(frozen=True)
    class Refuser(XorCodec):
        def to_dict(self):
            return {"name": "test.pyrefuse"}

        async def _encode_single(self, chunk_bytes, chunk_spec):
            if chunk_bytes.as_numpy_array()[0] == 9:
                raise KeyError("nine")
            return chunk_bytes

        async def _decode_single(self, chunk_bytes, chunk_spec):
            return chunk_bytes

    with pipeline(ZARRKIT):
        s = MemoryStore()
        a = zarr.create_array(s, shape=(8,), chunks=(4,), dtype="u1", compressors=[Refuser()], fill_value=0)
        a[...] = np.arange(8, dtype="u1")
        before = store_bytes(s)
        with pytest.raises(KeyError, match="nine"):
            a[4] = 9
        assert store_bytes(s) == before


def test_partial_write_into_a_corrupt_chunk_is_an_error():
    from zarr.core.buffer import default_buffer_prototype

    with pipeline(ZARRKIT):
        s = MemoryStore()
        a = zarr.create_array(s, shape=(8,), chunks=(4,), dtype="u1", fill_value=0, compressors=[ZstdCodec()])
        a[...] = np.arange(8, dtype="u1")
        s._store_dict["c/1"] = default_buffer_prototype().buffer.from_bytes(b"garbage!")
        with pytest.raises(zarrkit.ZarrkitError, match="c/1.*zstd"):
            a[4] = 9
        assert s._store_dict["c/1"].to_bytes() == b"garbage!"


def test_a_batch_override_is_what_codes():
    """A subclass that overrides only the batch `encode` of a codec with sync methods is coded
    by its override (zarr's pipelines call the batch method)."""
    from zarr.codecs import Crc32cCodec

    calls = []

    @dataclass(frozen=True)
    class CountingCrc(Crc32cCodec):
        async def encode(self, chunks_and_specs):
            chunks_and_specs = list(chunks_and_specs)
            calls.append(len(chunks_and_specs))
            return await super().encode(chunks_and_specs)

    with pipeline(ZARRKIT):
        s = MemoryStore()
        a = zarr.create_array(s, shape=(8,), chunks=(4,), dtype="u1", compressors=[CountingCrc()])
        a[...] = np.arange(8, dtype="u1")
        assert calls == [1, 1]
        np.testing.assert_array_equal(a[...], np.arange(8))


@pytest.mark.parametrize("index_location", ["start", "end"])
def test_zarr_codec_code_patched_at_run_time_runs_as_patched(index_location, monkeypatch):
    """A monkeypatch of zarr's own codec code (here sharding's ``_ShardIndex``) is honoured:
    the codec runs in Python, as patched, called by zarrkit (strict mode: no fallback)."""
    from zarr.codecs import BloscCodec
    from zarr.codecs.sharding import ShardingCodec, _ShardIndex

    from zarrkit._pipeline import _overrides

    kw = dict(
        shape=(16,), chunks=(8,), shards={"shape": (16,), "index_location": index_location},
        compressors=BloscCodec(cname="lz4"), dtype="float32", fill_value=-999,
    )
    data = np.arange(16, dtype="float32")
    assert _overrides(ShardingCodec(chunk_shape=(8,))) == ""
    original = _ShardIndex.get_chunk_slice
    seen = []

    def counting(self, chunk_coords):
        seen.append(chunk_coords)
        return original(self, chunk_coords)

    monkeypatch.setattr(_ShardIndex, "get_chunk_slice", counting)
    assert "_ShardIndex.get_chunk_slice was replaced" in _overrides(ShardingCodec(chunk_shape=(8,)))
    with pipeline(ZARRKIT):
        a = zarr.create_array(MemoryStore(), **kw)
        a[:] = data
        np.testing.assert_array_equal(a[:], data)
        assert a[3] == 3
    assert seen  # the patched Python code ran
    with pipeline(DEFAULT):  # and the bytes are zarr's
        np.testing.assert_array_equal(zarr.open_array(a.store)[:], data)

    monkeypatch.setattr(_ShardIndex, "get_chunk_slice", lambda self, chunk_coords: None)
    with pipeline(ZARRKIT):
        b = zarr.create_array(MemoryStore(), **kw)
        b[:] = data
        assert b[0] == -999  # every inner chunk looks missing, as the patch says

    monkeypatch.setattr(_ShardIndex, "get_chunk_slice", original)
    assert _overrides(ShardingCodec(chunk_shape=(8,))) == ""


def test_no_zarr_codec_counts_as_patched_unpatched():
    """zarr's own codecs as released never count as changed (they stay native)."""
    import zarr.codecs as zc

    from zarrkit._pipeline import _zarr_code_changed

    classes = [v for v in vars(zc).values() if isinstance(v, type) and v.__module__.startswith("zarr.")]
    assert len(classes) >= 10
    for cls in classes:
        assert _zarr_code_changed(cls) == "", cls


def test_a_patch_with_a_wrapped_cycle_counts_as_changed(monkeypatch):
    """A replacement whose ``__wrapped__`` chain loops is still seen (not an exception)."""
    from zarr.codecs.sharding import ShardingCodec, _ShardIndex

    from zarrkit._pipeline import _overrides

    def looping(self, chunk_coords):
        return None

    looping.__wrapped__ = looping
    monkeypatch.setattr(_ShardIndex, "get_chunk_slice", looping)
    assert "_ShardIndex.get_chunk_slice was replaced" in _overrides(ShardingCodec(chunk_shape=(8,)))
