"""xarray through the pipeline: a `to_zarr` / `open_zarr` round trip with CF encodings
(time as "days since", packed integers with scale_factor / add_offset / _FillValue), read
lazily with dask, and checked against zarr's own pipeline reading the same store.

Needs xarray (and dask); without them these tests skip (with the reason), unless
ZARRKIT_REQUIRE_DASK=1 (set by scripts/ci/python.sh), which makes them a failure.
"""

from __future__ import annotations

import os

import numpy as np
import pytest
import zarr

from conftest import ZARRKIT, pipeline

try:
    import pandas as pd
    import xarray as xr
except ImportError as e:  # pragma: no cover - depends on the environment
    if os.environ.get("ZARRKIT_REQUIRE_DASK") == "1":
        raise
    pytest.skip(f"xarray is not installed ({e}); pip install xarray", allow_module_level=True)


def _dataset() -> xr.Dataset:
    rng = np.random.default_rng(3)
    time = pd.date_range("2000-01-01", periods=40, freq="D")
    temp = 15 + 8 * rng.standard_normal((40, 6, 9))
    temp[3, 2, 1] = np.nan
    ds = xr.Dataset(
        {
            "temperature": (("time", "lat", "lon"), temp, {"units": "degC", "long_name": "air temperature"}),
            "station": (("lat",), np.array(["a", "bb", "ccc", "d", "ee", "f"])),
        },
        coords={
            "time": time,
            "lat": ("lat", np.linspace(-50, 50, 6), {"units": "degrees_north", "standard_name": "latitude"}),
            "lon": ("lon", np.linspace(0, 320, 9), {"units": "degrees_east"}),
        },
        attrs={"Conventions": "CF-1.8", "title": "zarrkit round trip"},
    )
    ds["temperature"].encoding = {
        "dtype": "int16",
        "scale_factor": 0.01,
        "add_offset": 15.0,
        "_FillValue": -32768,
        "chunks": (10, 3, 9),
    }
    ds["time"].encoding = {"units": "days since 2000-01-01", "calendar": "proleptic_gregorian"}
    return ds


@pytest.mark.parametrize("zarr_format", [2, 3])
def test_xarray_cf_round_trip(tmp_path, zarr_format):
    path = str(tmp_path / f"x{zarr_format}.zarr")
    ds = _dataset()
    with pipeline(ZARRKIT):
        ds.to_zarr(path, zarr_format=zarr_format, consolidated=False, mode="w")
        got = xr.open_zarr(path, zarr_format=zarr_format, consolidated=False)
        assert got["temperature"].chunks is not None  # lazy, dask-backed
        loaded = got.load()
        g = zarr.open_group(path, mode="r", zarr_format=zarr_format)
        assert type(g["temperature"]._async_array.codec_pipeline).__qualname__ == "ZarrkitCodecPipeline"
    # The CF encoding is in the stored attributes, the packed integers in the chunks.
    raw = zarr.open_group(path, mode="r", zarr_format=zarr_format)
    t = raw["temperature"]
    assert t.dtype == np.dtype("int16")
    assert t.attrs["scale_factor"] == 0.01 and t.attrs["units"] == "degC"
    assert raw["time"].attrs["units"] == "days since 2000-01-01"
    np.testing.assert_array_equal(raw["time"][...], np.arange(40))
    # Decoded values: what CF packing keeps (0.01 steps), NaN where it was NaN.
    xr.testing.assert_allclose(loaded, ds, atol=0.006)
    assert np.isnan(loaded["temperature"].values[3, 2, 1])
    assert loaded.attrs == ds.attrs and loaded["lat"].attrs["standard_name"] == "latitude"
    # zarr's own pipeline reads exactly what zarrkit's does.
    ref = xr.open_zarr(path, zarr_format=zarr_format, consolidated=False).load()
    xr.testing.assert_identical(loaded, ref)
    # An append along time (edge chunks, partial shards of the last chunk) through zarrkit.
    more = _dataset().isel(time=slice(0, 7)).assign_coords(time=pd.date_range("2000-02-10", periods=7, freq="D"))
    for v in more.variables.values():
        v.encoding = {}
    with pipeline(ZARRKIT):
        more[["temperature"]].to_zarr(path, zarr_format=zarr_format, consolidated=False, append_dim="time")
        both = xr.open_zarr(path, zarr_format=zarr_format, consolidated=False).load()
    assert both.sizes["time"] == 47
    np.testing.assert_allclose(both["temperature"].values[40:], more["temperature"].values, atol=0.006)
    ref2 = xr.open_zarr(path, zarr_format=zarr_format, consolidated=False).load()
    xr.testing.assert_identical(both, ref2)
