"""dask through the pipeline: the threaded scheduler, and a `dask.distributed.LocalCluster` of
worker processes on loopback, reading (chunk-aligned and not) and writing a sharded array.

Needs dask[array,distributed]; without it these tests skip (with the reason), unless
ZARRKIT_REQUIRE_DASK=1 (set by scripts/ci/python.sh), which makes a missing dask a failure.
"""

from __future__ import annotations

import os

import numpy as np
import pytest
import zarr
from zarr.storage import LocalStore

from conftest import ZARRKIT, pipeline

try:
    import dask
    import dask.array as da
except ImportError as e:  # pragma: no cover - depends on the environment
    if os.environ.get("ZARRKIT_REQUIRE_DASK") == "1":
        raise
    pytest.skip(f"dask is not installed ({e}); pip install 'dask[array,distributed]'", allow_module_level=True)


def _pipeline_class_name(path: str) -> str:
    """In a worker: the class of the pipeline an array opened there gets."""
    a = zarr.open_array(LocalStore(path), mode="r")
    return type(a._async_array.codec_pipeline).__qualname__


def _make(path: str) -> np.ndarray:
    data = np.random.default_rng(7).integers(-1000, 1000, size=(120, 90)).astype("i8")
    with pipeline(ZARRKIT):
        a = zarr.create_array(
            LocalStore(path), shape=data.shape, dtype="i8", chunks=(10, 15), shards=(40, 45)
        )
        a[...] = data
    return data


def test_threaded_scheduler_sum(tmp_path):
    p = str(tmp_path / "t.zarr")
    data = _make(p)
    with pipeline(ZARRKIT):
        a = zarr.open_array(LocalStore(p), mode="r")
        assert type(a._async_array.codec_pipeline).__qualname__ == "ZarrkitCodecPipeline"
        for chunks in ((40, 45), (7, 11)):  # shard-aligned, and not aligned at all
            x = da.from_zarr(a, chunks=chunks)
            with dask.config.set(scheduler="threads", num_workers=4):
                assert int(x.sum().compute()) == int(data.sum())
                np.testing.assert_array_equal(x[5:77:3, ::-2].compute(), data[5:77:3, ::-2])


def test_threaded_scheduler_to_zarr(tmp_path):
    data = np.arange(120 * 90, dtype="f8").reshape(120, 90) / 7
    out = str(tmp_path / "w.zarr")
    with pipeline(ZARRKIT):
        z = zarr.create_array(LocalStore(out), shape=data.shape, dtype="f8", chunks=(10, 15), shards=(40, 45))
        x = da.from_array(data, chunks=(40, 45))  # one task per shard: no two write the same shard
        with dask.config.set(scheduler="threads", num_workers=4):
            da.to_zarr(x, z)
    b = zarr.open_array(LocalStore(out), mode="r")  # read back with zarr's own pipeline
    np.testing.assert_array_equal(b[...], data)


@pytest.fixture(scope="module")
def cluster_client():
    distributed = pytest.importorskip("distributed")
    # Worker processes are spawned: zarr's config reaches them through ZARR_* variables.
    saved = {k: os.environ.get(k) for k in ("ZARR_CODEC_PIPELINE__PATH", "ZARR_CODEC_PIPELINE__STRICT")}
    os.environ["ZARR_CODEC_PIPELINE__PATH"] = ZARRKIT
    os.environ["ZARR_CODEC_PIPELINE__STRICT"] = "true"
    try:
        cluster = distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=2,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
            silence_logs=40,
        )
        client = distributed.Client(cluster)
        try:
            yield client
        finally:
            client.close()
            cluster.close()
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def test_local_cluster_read_and_write(tmp_path, cluster_client):
    client = cluster_client
    p = str(tmp_path / "c.zarr")
    data = _make(p)
    # Every worker really runs zarrkit's pipeline.
    names = client.run(_pipeline_class_name, p)
    assert set(names.values()) == {"ZarrkitCodecPipeline"}, names
    with pipeline(ZARRKIT):
        a = zarr.open_array(LocalStore(p), mode="r")
        for chunks in ((40, 45), (13, 17)):
            x = da.from_zarr(a, chunks=chunks)
            assert int(client.compute(x.sum()).result()) == int(data.sum())
        # write a sharded array from the workers (one task per shard), read it back here
        out = str(tmp_path / "c-out.zarr")
        y = da.from_zarr(a, chunks=(40, 45)) * 3 + 1
        z = zarr.create_array(LocalStore(out), shape=data.shape, dtype="i8", chunks=(10, 15), shards=(40, 45))
        client.compute(da.to_zarr(y, z, compute=False)).result()
    b = zarr.open_array(LocalStore(out), mode="r")  # zarr's own pipeline reads it
    np.testing.assert_array_equal(b[...], data * 3 + 1)
