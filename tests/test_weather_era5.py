"""ERA5 NetCDF, atlite cutout and CDS request: conversions checked against hand-built files."""

from __future__ import annotations

import sys
import types
import zipfile

import numpy as np
import pandas as pd
import pvlib
import pytest
import xarray as xr

from greenzone.errors import WeatherError
from greenzone.weather.era5 import DATASET, get_era5, read_atlite_cutout, read_era5
from greenzone.weather.schema import check_weather

LATS = np.array([40.0, 39.75, 39.5])  # descending, as the CDS delivers it
LONS = np.array([46.5, 46.75, 47.0])
STAMPS = pd.date_range("2024-06-01 00:00", periods=60, freq="h")
SITES = pd.DataFrame(
    {"lat": [39.8, 39.55], "lon": [46.8, 46.55], "elevation": [1400.0, 600.0]},
    index=pd.Index(["shusha", "aghdam"], name="site"),
)
CELLS = {"shusha": (1, 1), "aghdam": (2, 0)}  # (latitude index, longitude index) of the nearest cell


def _cell_zenith(stamps: pd.DatetimeIndex, lat: float, lon: float, altitude: float = 0.0) -> np.ndarray:
    position = pvlib.solarposition.get_solarposition(stamps.tz_localize("UTC"), lat, lon, altitude=altitude)
    return position["zenith"].to_numpy()


def _site_mid_zenith(site: str) -> np.ndarray:
    """Solar zenith [deg] at the middle of each output hour, at the site (not the cell)."""
    lat, lon, elevation = SITES.loc[site, ["lat", "lon", "elevation"]]
    return _cell_zenith(STAMPS[:-1] + pd.Timedelta(minutes=30), lat, lon, elevation)


@pytest.fixture(scope="module")
def era5() -> xr.Dataset:
    """ERA5-like fields: radiation accumulated over the hour ending at each stamp [J/m^2], the rest instant."""
    shape = (len(STAMPS), len(LATS), len(LONS))
    ssrd, t2m, sp, u100 = (np.empty(shape) for _ in range(4))
    hours = STAMPS.hour.to_numpy()
    for i, lat in enumerate(LATS):
        for j, lon in enumerate(LONS):
            k = 3 * i + j
            # mean power over the hour ending at the stamp, from the sun at that hour's middle
            cos_mid = np.cos(np.radians(_cell_zenith(STAMPS - pd.Timedelta(minutes=30), lat, lon)))
            power = 950.0 * np.clip(cos_mid, 0.0, None) ** 1.2 * (1.0 + 0.01 * k)
            ssrd[:, i, j] = power * 3600.0
            t2m[:, i, j] = 290.0 + k + 5.0 * np.sin(2 * np.pi * hours / 24)
            sp[:, i, j] = 90_000.0 - 100.0 * k + 10.0 * hours
            u100[:, i, j] = 3.0 + 0.1 * k + 0.05 * hours
    dims = ("valid_time", "latitude", "longitude")
    ds = xr.Dataset(
        {
            "ssrd": (dims, ssrd, {"units": "J m**-2"}),
            "fdir": (dims, 0.7 * ssrd, {"units": "J m**-2"}),
            "t2m": (dims, t2m, {"units": "K"}),
            "sp": (dims, sp, {"units": "Pa"}),
            "u100": (dims, u100, {"units": "m s**-1"}),
            "v100": (dims, np.full(shape, -4.0), {"units": "m s**-1"}),
        },
        coords={
            "valid_time": STAMPS,
            "latitude": LATS,
            "longitude": LONS,
            "number": 0,
            "expver": ("valid_time", np.full(len(STAMPS), "0001")),
        },
    )
    return ds


@pytest.fixture(scope="module")
def era5_file(era5, tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("era5") / "era5.nc"
    era5.to_netcdf(path)
    return str(path)


@pytest.fixture(scope="module")
def weather(era5_file) -> xr.Dataset:
    return read_era5(era5_file, sites=SITES)


def _cell(era5: xr.Dataset, name: str, site: str) -> np.ndarray:
    i, j = CELLS[site]
    return era5[name].to_numpy()[:, i, j]


def test_shape_time_and_attrs(weather):
    check_weather(weather)
    # N stamps give N - 1 hours, labelled by their start: the first stamp to the last but one
    assert weather.sizes["time"] == len(STAMPS) - 1
    assert weather.indexes["time"][0] == STAMPS[0]
    assert weather.indexes["time"][-1] == STAMPS[-2]
    assert weather.attrs["source"] == "era5"
    assert weather.attrs["synthetic"] == 0
    assert weather.attrs["wind_height_m"] == 100.0
    assert weather.attrs["direct_from"] == "fdir"


def test_nearest_cell_is_chosen(weather):
    assert weather["grid_lat"].sel(site="shusha") == 39.75
    assert weather["grid_lon"].sel(site="shusha") == 46.75
    assert weather["grid_lat"].sel(site="aghdam") == 39.5
    assert weather["grid_lon"].sel(site="aghdam") == 46.5
    np.testing.assert_allclose(weather["lat"], SITES["lat"])  # the site's own position stays on the site


@pytest.mark.parametrize("site", ["shusha", "aghdam"])
def test_units_and_time_shift(era5, weather, site):
    w = weather.sel(site=site)
    # accumulation stamped t + 1 h is the mean over [t, t + 1 h): J/m^2 / 3600 s
    np.testing.assert_allclose(w["ghi"], _cell(era5, "ssrd", site)[1:] / 3600.0)
    # instantaneous values: the mean of both ends of the hour, K -> degC
    t2m = _cell(era5, "t2m", site)
    np.testing.assert_allclose(w["temp_air"], 0.5 * (t2m[:-1] + t2m[1:]) - 273.15)
    sp = _cell(era5, "sp", site)
    np.testing.assert_allclose(w["pressure"], 0.5 * (sp[:-1] + sp[1:]))
    speed = np.hypot(_cell(era5, "u100", site), _cell(era5, "v100", site))
    np.testing.assert_allclose(w["wind_speed"], 0.5 * (speed[:-1] + speed[1:]))


def test_dni_dhi_closure_and_low_sun_guard(era5, weather):
    site = "shusha"
    w = weather.sel(site=site)
    zenith = _site_mid_zenith(site)
    cos_z = np.cos(np.radians(zenith))
    ghi, dni, dhi = (w[v].to_numpy() for v in ("ghi", "dni", "dhi"))
    np.testing.assert_allclose(dhi + dni * cos_z, ghi, atol=1e-9)
    direct = _cell(era5, "fdir", site)[1:] / 3600.0
    day = zenith < 80
    assert day.sum() > 10
    np.testing.assert_allclose(dni[day], direct[day] / cos_z[day], rtol=1e-12)
    low = zenith > 85
    assert low.sum() > 10
    assert np.all(dni[low] == 0.0)
    np.testing.assert_allclose(dhi[low], ghi[low])
    assert ghi.max() > 700  # daytime June sun in the test data


def test_old_time_name_and_u10_fallback(era5, tmp_path):
    old = era5.rename(valid_time="time").drop_vars(["u100", "v100", "number", "expver"])
    old["u10"] = old["t2m"] * 0 + 3.0
    old["v10"] = old["t2m"] * 0 + 4.0
    old["u10"].attrs = old["v10"].attrs = {"units": "m s**-1"}
    path = tmp_path / "old.nc"
    old.to_netcdf(path)
    w = read_era5(path, sites=SITES)
    assert w.attrs["wind_height_m"] == 10.0
    np.testing.assert_allclose(w["wind_speed"], 5.0)
    assert w.indexes["time"][0] == STAMPS[0]


def test_cds_zip_and_time_split_files_give_the_same_weather(era5, weather, tmp_path):
    accum, instant = tmp_path / "accum.nc", tmp_path / "instant.nc"
    era5[["ssrd", "fdir"]].to_netcdf(accum)
    era5[["t2m", "sp", "u100", "v100"]].to_netcdf(instant)
    archive = tmp_path / "download.nc"  # the CDS may send a zip under the requested name
    with zipfile.ZipFile(archive, "w") as z:
        z.write(accum, "data_stream-oper_stepType-accum.nc")
        z.write(instant, "data_stream-oper_stepType-instant.nc")
    from_zip = read_era5(archive, sites=SITES)
    first, second = tmp_path / "first.nc", tmp_path / "second.nc"
    era5.isel(valid_time=slice(0, 30)).to_netcdf(first)
    era5.isel(valid_time=slice(30, None)).to_netcdf(second)
    from_parts = read_era5([second, first], sites=SITES)
    for other in (from_zip, from_parts):
        for name in ("ghi", "dni", "dhi", "temp_air", "pressure", "wind_speed"):
            np.testing.assert_allclose(other[name], weather[name])


def test_missing_fdir_uses_erbs(era5, tmp_path):
    path = tmp_path / "nofdir.nc"
    era5.drop_vars("fdir").to_netcdf(path)
    w = read_era5(path, sites=SITES)
    assert w.attrs["direct_from"] == "erbs"
    zenith = _site_mid_zenith("shusha")
    s = w.sel(site="shusha")
    np.testing.assert_allclose(s["dhi"] + s["dni"] * np.cos(np.radians(zenith)), s["ghi"], atol=1e-9)
    assert float(s["dni"].max()) > 300
    assert np.all(s["dni"].to_numpy()[zenith > 85] == 0)


@pytest.mark.parametrize(
    ("drop", "words"),
    [
        (["ssrd"], ["ssrd", "surface_solar_radiation_downwards"]),
        (["u100", "v100"], ["u100", "100m_u_component_of_wind"]),
        (["t2m"], ["t2m", "2m_temperature"]),
    ],
)
def test_missing_variable_is_named(era5, tmp_path, drop, words):
    path = tmp_path / "partial.nc"
    era5.drop_vars(drop).to_netcdf(path)
    with pytest.raises(WeatherError) as info:
        read_era5(path, sites=SITES)
    message = str(info.value)
    assert "partial.nc" in message
    for word in words:
        assert word in message


def test_errors_site_outside_gap_units_and_missing_file(era5, tmp_path):
    path = tmp_path / "e.nc"
    era5.to_netcdf(path)
    far = pd.DataFrame({"lat": [41.5], "lon": [46.8], "elevation": [100.0]}, index=["ganja"])
    with pytest.raises(WeatherError, match="ganja.*outside"):
        read_era5(path, sites=far)
    gap = tmp_path / "gap.nc"
    era5.drop_isel(valid_time=[20]).to_netcdf(gap)
    with pytest.raises(WeatherError, match="2 h from 2024-06-01 19:00"):
        read_era5(gap, sites=SITES)
    celsius = era5.copy()
    celsius["t2m"] = (celsius["t2m"] - 273.15).assign_attrs(units="degC")
    wrong = tmp_path / "celsius.nc"
    celsius.to_netcdf(wrong)
    with pytest.raises(WeatherError, match="'t2m' has units 'degC'"):
        read_era5(wrong, sites=SITES)
    with pytest.raises(WeatherError, match="file not found"):
        read_era5(tmp_path / "nope.nc", sites=SITES)


# --- atlite cutout ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cutout(era5) -> xr.Dataset:
    """An atlite-style cutout of the same weather: x/y ascending, ERA5's end-of-hour labels kept."""
    e = era5.rename(valid_time="time", latitude="y", longitude="x").sortby("y")
    e = e.drop_vars(["number", "expver"])
    w_m2 = {"units": "W m**-2"}
    return xr.Dataset(
        {
            "influx_direct": (e["fdir"] / 3600.0).assign_attrs(w_m2),
            "influx_diffuse": ((e["ssrd"] - e["fdir"]) / 3600.0).assign_attrs(w_m2),
            "influx_toa": (e["ssrd"] / 3600.0 * 1.3).assign_attrs(w_m2),
            "temperature": e["t2m"],
            "wnd100m": np.hypot(e["u100"], e["v100"]).assign_attrs(units="m s**-1"),
        },
        attrs={"module": "era5", "prepared_features": ["influx", "temperature", "wind"]},
    ).assign_coords(lon=e["x"], lat=e["y"])


def test_cutout_matches_era5(cutout, weather, tmp_path):
    path = tmp_path / "cutout.nc"
    cutout.to_netcdf(path)
    w = read_atlite_cutout(path, sites=SITES)
    check_weather(w)
    assert w.attrs["source"] == "atlite"
    assert w.attrs["wind_height_m"] == 100.0
    assert w.indexes["time"].equals(weather.indexes["time"])
    for name in ("ghi", "dni", "dhi", "temp_air", "wind_speed"):
        np.testing.assert_allclose(w[name], weather[name], atol=1e-9)
    np.testing.assert_allclose(w["pressure"].isel(time=0), pvlib.atmosphere.alt2pres(SITES["elevation"]))
    assert float(w["grid_lat"].sel(site="shusha")) == 39.75


def test_cutout_errors(cutout, tmp_path):
    path = tmp_path / "c.nc"
    cutout.drop_vars("wnd100m").to_netcdf(path)
    with pytest.raises(WeatherError, match="wnd100m.*'wind'"):
        read_atlite_cutout(path, sites=SITES)
    sarah = tmp_path / "sarah.nc"
    cutout.assign_attrs(module="sarah").to_netcdf(sarah)
    with pytest.raises(WeatherError, match="only ERA5 cutouts"):
        read_atlite_cutout(sarah, sites=SITES)


# --- CDS request -----------------------------------------------------------------------------------------


def _fake_cdsapi(calls: list, fail: bool = False) -> types.ModuleType:
    module = types.ModuleType("cdsapi")

    class Client:
        def retrieve(self, name, request, target):
            calls.append((name, request, target))
            if fail:
                raise Exception("401 Client Error: Unauthorized")
            with open(target, "wb") as handle:
                handle.write(b"netcdf")

    module.Client = Client
    return module


def test_get_era5_builds_the_request(tmp_path, monkeypatch):
    calls: list = []
    monkeypatch.setitem(sys.modules, "cdsapi", _fake_cdsapi(calls))
    files = get_era5(area=(40.5, 46.0, 39.0, 47.5), years=[2019, 2020], target=tmp_path / "era5")
    assert [f.name for f in files] == ["era5_2019.nc", "era5_2020.nc"]
    assert all(f.is_file() for f in files)
    assert len(calls) == 2
    name, request, _ = calls[0]
    assert name == DATASET == "reanalysis-era5-single-levels"
    assert request["product_type"] == ["reanalysis"]
    assert request["year"] == ["2019"]
    assert request["month"] == [f"{m:02d}" for m in range(1, 13)]
    assert len(request["day"]) == 31
    assert request["time"][0] == "00:00" and request["time"][-1] == "23:00"
    assert request["area"] == [40.5, 46.0, 39.0, 47.5]
    assert request["data_format"] == "netcdf"
    assert set(request["variable"]) == {
        "surface_solar_radiation_downwards",
        "total_sky_direct_solar_radiation_at_surface",
        "2m_temperature",
        "surface_pressure",
        "100m_u_component_of_wind",
        "100m_v_component_of_wind",
    }
    get_era5(area=(40.5, 46.0, 39.0, 47.5), years=[2019], target=tmp_path / "era5")
    assert len(calls) == 2  # already downloaded: no new request


def test_get_era5_errors(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "cdsapi", None)  # makes `import cdsapi` raise ImportError
    with pytest.raises(WeatherError, match=r"pip install 'greenzone\[era5\]'"):
        get_era5(area=(40.5, 46.0, 39.0, 47.5), years=[2019], target=tmp_path)
    calls: list = []
    monkeypatch.setitem(sys.modules, "cdsapi", _fake_cdsapi(calls, fail=True))
    with pytest.raises(WeatherError, match="Unauthorized.*cdsapirc"):
        get_era5(area=(40.5, 46.0, 39.0, 47.5), years=[2019], target=tmp_path)
    assert not list(tmp_path.glob("*.nc*"))  # no half-written file left behind
    with pytest.raises(WeatherError, match="north, west, south, east"):
        get_era5(area=(39.0, 46.0, 40.5, 47.5), years=[2019], target=tmp_path)
