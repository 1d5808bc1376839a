"""The pipeline contract: strictness, equality and pickling, config, the event loop and the
GIL, fork safety, the entry point."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import pickle
import time
import warnings
from dataclasses import dataclass
from importlib.metadata import entry_points

import numpy as np
import pytest
import zarr
from zarr.abc.codec import ArrayArrayCodec
from zarr.storage import LocalStore, MemoryStore

from conftest import ZARRKIT, pipeline

import zarrkit


@dataclass(frozen=True)
class NegateCodec(ArrayArrayCodec):
    """An array-to-array codec implemented in Python only: zarrkit cannot run it (it runs
    Python codecs in the bytes-to-bytes position only)."""

    is_fixed_size = True

    @classmethod
    def from_dict(cls, data):
        return cls()

    def to_dict(self):
        return {"name": "test.negate"}

    def resolve_metadata(self, chunk_spec):
        return chunk_spec

    async def _decode_single(self, chunk_array, chunk_spec):
        return chunk_spec.prototype.nd_buffer.from_ndarray_like(-chunk_array.as_ndarray_like())

    async def _encode_single(self, chunk_array, chunk_spec):
        return chunk_spec.prototype.nd_buffer.from_ndarray_like(-chunk_array.as_ndarray_like())

    def compute_encoded_size(self, input_byte_length, chunk_spec):
        return input_byte_length


zarr.registry.register_codec("test.negate", NegateCodec)


def test_entry_point_and_registry():
    names = {ep.name: ep.value for ep in entry_points(group="zarr.codec_pipeline")}
    assert names.get("zarrkit") == "zarrkit:ZarrkitCodecPipeline"
    with pipeline(ZARRKIT):
        assert zarr.registry.get_pipeline_class() is zarrkit.ZarrkitCodecPipeline


def test_strict_raises_on_unsupported_codec():
    with pipeline(ZARRKIT, strict=True):
        a = zarr.create_array(MemoryStore(), shape=(8,), dtype="i1", chunks=(4,), filters=NegateCodec())
        with pytest.raises(zarrkit.UnsupportedError, match="array-to-array"):
            a[...] = np.arange(8, dtype="i1")


def test_non_strict_falls_back_with_warning():
    with pipeline(ZARRKIT, strict=False):
        s = MemoryStore()
        a = zarr.create_array(s, shape=(8,), dtype="i1", chunks=(4,), filters=NegateCodec(), compressors=None)
        with pytest.warns(zarrkit.ZarrkitFallbackWarning):
            a[...] = np.arange(8, dtype="i1")
        with pytest.warns(zarrkit.ZarrkitFallbackWarning):
            assert (a[...] == np.arange(8)).all()
        raw = s._store_dict["c/0"].to_bytes()
        assert raw == (-np.arange(4, dtype="i1")).tobytes()


def test_equality_and_pickling():
    with pipeline(ZARRKIT):
        a = zarr.create_array(MemoryStore(), shape=(8, 8), dtype="f4", chunks=(4, 4))
        b = zarr.create_array(MemoryStore(), shape=(8, 8), dtype="f4", chunks=(4, 4))
        c = zarr.create_array(MemoryStore(), shape=(8, 8), dtype="f4", chunks=(4, 4), compressors=None)
        pa, pb, pc = (x._async_array.codec_pipeline for x in (a, b, c))
        a[...] = 1.0  # binds specs inside pa
        assert pa == pb
        assert pa != pc
        q = pickle.loads(pickle.dumps(pa))
        assert q == pa and isinstance(q, zarrkit.ZarrkitCodecPipeline)
        # a pickled array (with its pipeline) still works
        s = MemoryStore()
        d = zarr.create_array(s, shape=(4,), dtype="i4", chunks=(2,))
        d[...] = [1, 2, 3, 4]
        e = pickle.loads(pickle.dumps(d))
        assert list(e[...]) == [1, 2, 3, 4]


def test_event_loop_runs_during_rust_work():
    """The loop (and so the GIL) is free while zarrkit decodes: another task keeps ticking."""
    with pipeline(ZARRKIT):
        n = 1 << 22
        a = zarr.create_array(MemoryStore(), shape=(n,), dtype="f8", chunks=(1 << 18,), compressors=zarr.codecs.GzipCodec(level=6))
        a[...] = np.sin(np.arange(n))
        aa = a._async_array

        async def main():
            ticks = 0
            stop = False

            async def ticker():
                nonlocal ticks
                while not stop:
                    ticks += 1
                    await asyncio.sleep(0)

            t = asyncio.ensure_future(ticker())
            await asyncio.sleep(0)
            t0 = time.perf_counter()
            got = await aa.getitem(slice(None))
            dt = time.perf_counter() - t0
            stop = True
            await t
            return got, ticks, dt

        # With a long switch interval, a thread holding the GIL would keep it (and the loop
        # stopped) for up to half a second at a time.
        import sys

        old = sys.getswitchinterval()
        sys.setswitchinterval(0.5)
        try:
            got, ticks, dt = asyncio.run(main())
        finally:
            sys.setswitchinterval(old)
        assert np.array_equal(got, np.sin(np.arange(n)))
        # a GIL-holding decode of ~30 MB of gzip would leave the ticker at a handful of ticks
        print(f"ticks during the read: {ticks} in {dt:.3f} s")
        assert ticks > 1000, (ticks, dt)


def test_threading_max_workers_honoured():
    with pipeline(ZARRKIT), zarr.config.set({"threading.max_workers": 1}):
        a = zarr.create_array(MemoryStore(), shape=(64,), dtype="i4", chunks=(8,))
        a[...] = np.arange(64)
        assert (a[...] == np.arange(64)).all()


def _child_read(path: str) -> int:
    with pipeline(ZARRKIT):
        a = zarr.open_array(LocalStore(path), mode="r+")
        assert isinstance(a._async_array.codec_pipeline, zarrkit.ZarrkitCodecPipeline)
        ok = bool((a[...] == np.arange(4096).reshape(64, 64)).all())
        a[0, 0] = 7
        return int(ok) + int(a[0, 0] == 7)


def _mp_read(args):
    path, i = args
    with pipeline(ZARRKIT):
        a = zarr.open_array(LocalStore(path), mode="r")
        return int(a[i].sum())


@pytest.fixture
def warm_array(tmp_path):
    """An array written and read in this process first, so that the pools exist here."""
    p = str(tmp_path / "fork")
    with pipeline(ZARRKIT):
        a = zarr.create_array(LocalStore(p), shape=(64, 64), dtype="i8", chunks=(8, 8))
        a[...] = np.arange(4096).reshape(64, 64)
        assert (a[...] == np.arange(4096).reshape(64, 64)).all()
    return p


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_os_fork_child_works(warm_array):
    pid = os.fork()
    if pid == 0:  # child
        code = 1
        try:
            code = 0 if _child_read(warm_array) == 2 else 3
        finally:
            os._exit(code)
    deadline = time.time() + 60
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.time() > deadline:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
            pytest.fail("forked child deadlocked")
        time.sleep(0.05)
    assert os.waitstatus_to_exitcode(status) == 0
    # the parent still works after the fork
    with pipeline(ZARRKIT):
        a = zarr.open_array(LocalStore(warm_array), mode="r")
        assert a[0, 0] == 7 and a[1, 1] == 65


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_multiprocessing_fork_pool(warm_array):
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(2) as p:
        r = p.map_async(_mp_read, [(warm_array, i) for i in range(8)])
        sums = r.get(timeout=60)
    ref = np.arange(4096).reshape(64, 64)
    assert sums == [int(ref[i].sum()) for i in range(8)]


def _wait_child(pid: int, what: str, timeout: float = 60) -> int:
    deadline = time.time() + timeout
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        if time.time() > deadline:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
            pytest.fail(f"forked child deadlocked ({what})")
        time.sleep(0.02)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_fork_while_requests_are_in_flight(warm_array, tmp_path):
    """Forks taken while another thread keeps zarrkit's pools busy (decoding and encoding
    gzip chunks): each child still reads and writes (fresh pools), the parent goes on."""
    import threading
    import warnings

    busy_path = str(tmp_path / "busy")
    ref = np.sin(np.arange(1 << 18)).reshape(512, 512)
    with pipeline(ZARRKIT):
        busy = zarr.create_array(
            LocalStore(busy_path), shape=ref.shape, dtype="f8", chunks=(64, 64),
            compressors=zarr.codecs.GzipCodec(level=6),
        )
        busy[...] = ref
    stop = threading.Event()
    errors: list[BaseException] = []
    rounds = [0]

    def worker():
        try:
            with pipeline(ZARRKIT):
                a = zarr.open_array(LocalStore(busy_path), mode="r+")
                while not stop.is_set():
                    assert np.array_equal(a[...], ref)
                    a[:64, :64] = ref[:64, :64]
                    rounds[0] += 1
        except BaseException as e:  # noqa: BLE001 - reported by the test
            errors.append(e)

    t = threading.Thread(target=worker, daemon=True)
    t.start()
    try:
        while rounds[0] == 0 and t.is_alive():
            time.sleep(0.01)
        for i in range(6):
            time.sleep(0.05 * (i % 3))
            with warnings.catch_warnings():
                # Python warns that forking a multi-threaded process may deadlock the child:
                # that is what this checks does not happen.
                warnings.simplefilter("ignore", DeprecationWarning)
                pid = os.fork()
            if pid == 0:  # child
                code = 1
                try:
                    code = 0 if _child_read(warm_array) == 2 else 3
                finally:
                    os._exit(code)
            assert _wait_child(pid, f"fork {i} during reads and writes in another thread") == 0
            with pipeline(ZARRKIT):  # the parent goes on: undo the child's write
                w = zarr.open_array(LocalStore(warm_array), mode="r+")
                assert w[0, 0] == 7
                w[0, 0] = 0
    finally:
        stop.set()
        t.join(60)
    assert not errors, errors
    assert rounds[0] > 0


def test_codec_class_overriding_how_it_codes_is_not_ignored():
    """A codec class configured for a name (`codecs.blosc`) that overrides how it codes runs
    as its Python code says: zarrkit calls it (strict or not, no fallback). A subclass that
    only derives from the codec is that codec, run natively."""
    from zarr.codecs import BloscCodec
    from zarr.registry import get_codec_class, register_codec

    calls = []

    class CountingBlosc(BloscCodec):
        async def _encode_single(self, chunk_bytes, chunk_spec):
            calls.append(1)
            return await super()._encode_single(chunk_bytes, chunk_spec)

    class PlainBlosc(BloscCodec):
        pass

    original = get_codec_class("blosc")
    try:
        for cls in (CountingBlosc, PlainBlosc):
            register_codec("blosc", cls)
        name = f"{CountingBlosc.__module__}.{CountingBlosc.__qualname__}"
        with zarr.config.set({"codecs.blosc": name}):
            for strict in (True, False):
                calls.clear()
                with pipeline(ZARRKIT, strict=strict), warnings.catch_warnings():
                    warnings.simplefilter("error", zarrkit.ZarrkitFallbackWarning)
                    a = zarr.create_array(MemoryStore(), shape=(16,), chunks=(4,), dtype="i4", compressors=[{"name": "blosc", "configuration": {}}])
                    a[...] = np.arange(16)
                    assert len(calls) == 4  # one per chunk, through zarrkit
                    assert list(a[...]) == list(range(16))
        name = f"{PlainBlosc.__module__}.{PlainBlosc.__qualname__}"
        with zarr.config.set({"codecs.blosc": name}), pipeline(ZARRKIT, strict=True):
            a = zarr.create_array(MemoryStore(), shape=(16,), chunks=(4,), dtype="i4", compressors=[{"name": "blosc", "configuration": {}}])
            a[...] = np.arange(16)
            assert list(a[...]) == list(range(16))
    finally:
        register_codec("blosc", original)
