"""zarr's ObjectStore (obstore) through zarrkit's own object store, on a real S3 server.

moto's server (PyPI `moto[server]`, the AWS reference mock) is started on 127.0.0.1 on an
ephemeral port: `$ZARRKIT_TEST_MOTO_SERVER`, or `target/store-object-venv/bin/moto_server`
(made by `scripts/ci/store-object.sh`). Without it the tests are skipped, unless
`ZARRKIT_REQUIRE_MOTO=1` (CI), when they fail.

The chunk I/O must be zarrkit's: zarr's own `ObjectStore.get`/`set` are made to fail for
chunk keys, so a read or write that went through zarr's store methods (the bridge) fails.
What zarrkit writes natively is read back by zarr's own pipeline, byte for byte the same
array.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest
import zarr

from conftest import DEFAULT, pipeline

obstore = pytest.importorskip("obstore")
from obstore.store import S3Store  # noqa: E402

ROOT = Path(__file__).resolve().parents[3]


def _moto_server() -> str | None:
    p = os.environ.get("ZARRKIT_TEST_MOTO_SERVER") or str(
        ROOT / "target/store-object-venv/bin/moto_server"
    )
    return p if os.path.exists(p) else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def endpoint():
    exe = _moto_server()
    if exe is None:
        if os.environ.get("ZARRKIT_REQUIRE_MOTO") == "1":
            pytest.fail("ZARRKIT_REQUIRE_MOTO=1 but no moto_server was found")
        pytest.skip("no moto_server (run scripts/ci/store-object.sh)")
    port = _free_port()
    proc = subprocess.Popen(
        [exe, "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(url + "/", timeout=2).read()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("moto_server did not start") from None
                time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


_buckets = iter(range(10**6))


def _bucket(endpoint: str) -> str:
    name = f"zk-{os.getpid()}-{next(_buckets)}"
    req = urllib.request.Request(f"{endpoint}/{name}", method="PUT")
    urllib.request.urlopen(req, timeout=10).read()
    return name


def _s3(endpoint: str, bucket: str, prefix: str = "data/arr", **kw) -> S3Store:
    return S3Store(
        bucket,
        prefix=prefix,
        endpoint=endpoint,
        region="us-east-1",
        access_key_id="testing",
        secret_access_key="testing",
        virtual_hosted_style_request=False,
        client_options={"allow_http": True},
        **kw,
    )


_METADATA = {"zarr.json", ".zarray", ".zattrs", ".zgroup", ".zmetadata"}


@pytest.fixture
def no_bridge(monkeypatch):
    """zarr's ObjectStore refuses chunk keys: only metadata goes through it."""
    cls = zarr.storage.ObjectStore

    def guard(name):
        orig = getattr(cls, name)

        async def f(self, key, *a, **k):
            if key.split("/")[-1] not in _METADATA:
                raise AssertionError(f"chunk key {key!r} went through zarr's ObjectStore.{name}")
            return await orig(self, key, *a, **k)

        monkeypatch.setattr(cls, name, f)

    for name in ("get", "set", "get_partial_values", "set_if_not_exists", "delete"):
        if hasattr(cls, name):
            guard(name)
    yield


@pytest.mark.parametrize("sharded", [False, True])
def test_native_round_trip_read_by_zarr(endpoint, zk, no_bridge, sharded):
    bucket = _bucket(endpoint)
    store = zarr.storage.ObjectStore(_s3(endpoint, bucket))
    data = np.arange(40 * 30, dtype="<u2").reshape(40, 30) * 7
    kw = {"shards": (20, 20), "chunks": (10, 10)} if sharded else {"chunks": (10, 10)}
    a = zarr.create_array(store, shape=data.shape, dtype="uint16", fill_value=0, **kw)
    a[:] = data
    a[3:17, 5:26] = data[3:17, 5:26] + 1  # partial chunks: read-modify-write
    want = data.copy()
    want[3:17, 5:26] += 1
    np.testing.assert_array_equal(a[:], want)
    np.testing.assert_array_equal(a[5:9, 11:29], want[5:9, 11:29])
    np.testing.assert_array_equal(a.oindex[[0, 39, 17], [2, 29]], want[np.ix_([0, 39, 17], [2, 29])])
    # The chunks are objects under the store's prefix (listed with obstore itself).
    root = _s3(endpoint, bucket, prefix="")
    keys = sorted(m["path"] for batch in obstore.list(root) for m in batch)
    assert "data/arr/zarr.json" in keys, keys
    assert any(k.startswith("data/arr/c/") for k in keys), keys


def test_native_bytes_match_zarr_pipeline(endpoint):
    """zarrkit writes natively; zarr's own pipeline (through obstore) reads the same array,
    and zarrkit reads what zarr wrote."""
    data = np.random.default_rng(1).integers(0, 1000, (33, 21)).astype("<i4")
    b1, b2 = _bucket(endpoint), _bucket(endpoint)
    with pipeline("zarrkit.ZarrkitCodecPipeline"):
        a = zarr.create_array(
            zarr.storage.ObjectStore(_s3(endpoint, b1)),
            shape=data.shape, dtype="int32", shards=(16, 16), chunks=(8, 8),
            compressors=[zarr.codecs.ZstdCodec(level=3)],
        )
        a[:] = data
    with pipeline(DEFAULT, strict=False):
        back = zarr.open_array(zarr.storage.ObjectStore(_s3(endpoint, b1), read_only=True))[:]
        z = zarr.create_array(
            zarr.storage.ObjectStore(_s3(endpoint, b2)),
            shape=data.shape, dtype="int32", shards=(16, 16), chunks=(8, 8),
            compressors=[zarr.codecs.ZstdCodec(level=3)],
        )
        z[:] = data
    np.testing.assert_array_equal(back, data)
    with pipeline("zarrkit.ZarrkitCodecPipeline"):
        got = zarr.open_array(zarr.storage.ObjectStore(_s3(endpoint, b2), read_only=True))[:]
    np.testing.assert_array_equal(got, data)


def test_read_only_store_refuses_writes(endpoint, zk, no_bridge):
    bucket = _bucket(endpoint)
    a = zarr.create_array(
        zarr.storage.ObjectStore(_s3(endpoint, bucket)), shape=(8,), dtype="uint8", chunks=(4,)
    )
    a[:] = np.arange(8, dtype="uint8")
    ro = zarr.open_array(zarr.storage.ObjectStore(_s3(endpoint, bucket), read_only=True))
    np.testing.assert_array_equal(ro[:], np.arange(8, dtype="uint8"))
    with pytest.raises(Exception, match="read.only|read-only|ReadOnly"):
        ro[:4] = 1
    np.testing.assert_array_equal(a[:], np.arange(8, dtype="uint8"))


def test_prefix_and_missing_chunks(endpoint, zk, no_bridge):
    bucket = _bucket(endpoint)
    s = zarr.storage.ObjectStore(_s3(endpoint, bucket, prefix="deep/er/prefix"))
    a = zarr.create_array(s, shape=(12, 12), dtype="float32", chunks=(5, 5), fill_value=-1.5)
    a[6:8, 6:8] = 2.0
    want = np.full((12, 12), -1.5, dtype="float32")
    want[6:8, 6:8] = 2.0
    np.testing.assert_array_equal(a[:], want)
    keys = sorted(m["path"] for batch in obstore.list(_s3(endpoint, bucket, prefix="")) for m in batch)
    assert "deep/er/prefix/c/1/1" in keys, keys
    assert not any(k.startswith("deep/er/prefix/c/0/0") for k in keys)


def test_store_classification():
    """Which obstore stores zarrkit serves natively, and with what configuration."""
    from zarrkit import _pipeline as p

    s = _s3("http://127.0.0.1:1", "bkt", prefix="/a/b/", retry_config={"max_retries": 2})
    url, pairs, retry = p._object_spec(s)
    assert url == "s3://bkt/a/b"
    d = dict(pairs)
    assert d["endpoint"] == "http://127.0.0.1:1" and d["allow_http"] == "true"
    assert "bucket" not in d
    assert retry is not None and retry[0] == 2
    assert p._object_spec(obstore.store.MemoryStore()) is None
    assert p._object_spec(
        _s3("http://127.0.0.1:1", "bkt", credential_provider=lambda: {
            "access_key_id": "a", "secret_access_key": "b", "token": None, "expires_at": None,
        })
    ) is None



# No fork test here: obstore itself hangs in a forked child once the parent has used it
# (`obstore.get` in a `fork` Pool worker never returns, without zarrkit loaded), and zarr
# reads metadata through obstore. zarrkit's object store I/O runtime is per fork
# generation (`pool::runtime`), like its thread pools (tests/test_contract.py's fork tests).


def test_credentials_from_the_environment(endpoint, zk, no_bridge, monkeypatch):
    """obstore reads credentials from `AWS_*` variables without listing them in its
    `config`; zarrkit's native store reads them the same way (no instance-metadata lookup)."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    bucket = _bucket(endpoint)
    ob = S3Store(
        bucket, prefix="env/arr", endpoint=endpoint, region="us-east-1",
        virtual_hosted_style_request=False, client_options={"allow_http": True},
    )
    assert "access_key_id" not in (ob.config or {})
    a = zarr.create_array(zarr.storage.ObjectStore(ob), shape=(6, 6), dtype="int16", chunks=(4, 4))
    a[:] = np.arange(36, dtype="int16").reshape(6, 6)
    np.testing.assert_array_equal(a[1:5, 2:6], np.arange(36, dtype="int16").reshape(6, 6)[1:5, 2:6])
