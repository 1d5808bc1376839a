"""Shared fixtures: zarr-python 3.4 with zarrkit's pipeline (strict) or zarr's own."""

from __future__ import annotations

import contextlib

import pytest
import zarr

ZARRKIT = "zarrkit.ZarrkitCodecPipeline"
DEFAULT = "zarr.core.codec_pipeline.BatchedCodecPipeline"


@contextlib.contextmanager
def pipeline(path: str, strict: bool = True):
    with zarr.config.set({"codec_pipeline.path": path, "codec_pipeline.strict": strict}):
        yield


@pytest.fixture
def zk():
    """Run the test body with zarrkit's pipeline forced, strict (no silent fallback)."""
    with pipeline(ZARRKIT):
        yield


def store_bytes(store) -> dict[str, bytes]:
    """Every key of a store with its bytes (sync)."""
    from zarr.core.buffer import default_buffer_prototype
    from zarr.core.sync import sync

    async def collect():
        out = {}
        async for k in store.list():
            b = await store.get(k, prototype=default_buffer_prototype())
            out[k] = b.to_bytes()
        return out

    return sync(collect())
