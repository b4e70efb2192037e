"""greenzone calibrate: known factors recovered, the refusals, the calibrated zone file and the embedded zone's
fit against its record."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import yaml

from cli_helpers import cli_main
from greenzone.calibrate import calibrate, with_calibrations
from greenzone.calibrate.model import UnitModel, reservoir_release_mw
from greenzone.errors import CalibrationError
from greenzone.resources import profiles
from greenzone.weather import load_weather
from greenzone.zone import embedded_zone_path, load_zone
from greenzone.zone.schema import Calibration

HYDRO = "lachin/hydro_ror;zangilan/hydro_ror"
FACTORS = {"hydro": ("flow", 0.8765), "solar": ("dc_yield", 1.1234), "wind": ("yield", 0.9321)}
UNITS = {"hydro": HYDRO, "solar": "jabrayil/solar_fixed", "wind": "kalbajar/wind_onshore"}
PERIODS = {"hydro": ["2025-03", "2025-07"], "solar": ["2025"], "wind": ["2024"]}
HEADER = "group,units,period,energy_mwh,source\n"


@pytest.fixture
def zone_file(write_zone):
    """The embedded zone with 100 MW of wind at Kalbajar and no calibration anywhere."""

    def mutate(data):
        for node in data["nodes"]:
            for nt in node["technologies"].values():
                nt.pop("calibration", None)
        kalbajar = next(n for n in data["nodes"] if n["id"] == "kalbajar")
        kalbajar["technologies"]["wind_onshore"]["existing_mw"] = 100

    return write_zone(mutate)


def _known(zone, weather, synthetic: bool, periods=PERIODS) -> str:
    """Observed CSV text made with profiles() from the known FACTORS: per period, the mean power of the units
    over its local hours (each synthetic year's, averaged, when synthetic) times the period's length, less the
    units' forced outages (metered output is after them; the profiles leave them to adequacy)."""
    cals = {}
    for group, units in UNITS.items():
        quantity, factor = FACTORS[group]
        for unit in units.split(";"):
            cals[tuple(unit.split("/"))] = Calibration(quantity=quantity, factor=factor)
    prof = profiles(with_calibrations(zone, cals), weather)
    local = pd.DatetimeIndex(prof.indexes["time"]).tz_localize("UTC").tz_convert(zone.timezone)
    lines = [HEADER]
    for group, units in UNITS.items():
        power = sum(
            prof["capacity_factor"].sel(node=n, technology=t).to_numpy()
            * zone.node(n).technologies[t].existing_mw
            * (1.0 - zone.technologies[t].forced_outage_rate)
            for n, t in (u.split("/") for u in units.split(";"))
        )
        for period in periods[group]:
            year, _, month = period.partition("-")
            hours = (
                pd.Timestamp(period) + pd.DateOffset(months=1 if month else 12) - pd.Timestamp(period)
            ) / pd.Timedelta("1h")
            years = sorted(set(local.year)) if synthetic else [int(year)]
            means = []
            for y in years:
                at = (local.year == y) & ((local.month == int(month)) if month else True)
                full = (
                    pd.Timestamp(f"{y}-{month or '01'}-01") + pd.DateOffset(months=1 if month else 12)
                ) - pd.Timestamp(f"{y}-{month or '01'}-01")
                if at.sum() >= 0.99 * full / pd.Timedelta("1h"):
                    means.append(power[at].mean())
            lines.append(f'{group},{units},{period},{np.mean(means) * hours:.9f},"test, {group}"\n')
    return "".join(lines)


def _check_recovered(result):
    factors = {fit.group.name: fit.factor for fit in result.fits}
    for group, (_, factor) in FACTORS.items():
        assert factors[group] == pytest.approx(factor, abs=1e-6)
    assert np.allclose(result.table["error_after"], 0, atol=1e-6)


def test_known_factors_recovered_on_synthetic_weather(zone_file, tmp_path):
    zone = load_zone(zone_file)
    weather = load_weather(zone, years=2, seed=3)
    observed = tmp_path / "observed.csv"
    observed.write_text(_known(zone, weather, synthetic=True))
    result = calibrate(zone, observed, weather=weather, date="2026-01-01")
    _check_recovered(result)
    assert result.table["spread_mwh"].notna().all()  # two synthetic years give a spread


def test_known_factors_recovered_on_csv_weather_and_written_into_the_zone_file(zone_file, tmp_path):
    zone = load_zone(zone_file)
    synthetic = load_weather(zone, years=1, seed=5, source="synthetic")
    frame = (
        synthetic[["ghi", "dni", "dhi", "temp_air", "pressure", "wind_speed"]].to_dataframe().reset_index()
    )
    frame["time"] = frame["time"].dt.strftime("%Y-%m-%dT%H:%M+00:00")
    csv = tmp_path / "weather.csv"
    csv.write_text(f"# wind_height_m: {synthetic.attrs['wind_height_m']}\n" + frame.to_csv(index=False))
    weather = load_weather(zone, source="csv", path=csv)
    assert not int(weather.attrs.get("synthetic", 0))
    # measured weather compares each period with itself: the weather holds local 2027 only
    observed = tmp_path / "observed.csv"
    periods = {"hydro": ["2027-03", "2027-07"], "solar": ["2027"], "wind": ["2027"]}
    observed.write_text(_known(zone, weather, synthetic=False, periods=periods))
    result = calibrate(zone, observed, weather=weather, date="2026-01-01")
    _check_recovered(result)
    # the calibrated zone file keeps the original and carries each factor, which profiles() then applies
    calibrated = tmp_path / "out" / "zone.yaml"
    calibrated.parent.mkdir()
    calibrated.write_text(result.zone_text)
    again = load_zone(calibrated)
    lines = iter(result.zone_text.splitlines())
    assert all(line in lines for line in zone_file.read_text().splitlines())  # only lines added
    cal = again.node("lachin").technologies["hydro_ror"].calibration
    assert cal.quantity == "flow" and cal.factor == pytest.approx(0.8765, abs=1e-6)
    assert cal.group == "hydro" and cal.observed == "observed.csv" and cal.date == "2026-01-01"
    prof_again = profiles(again, weather)
    prof_api = profiles(result.zone, weather)
    assert np.allclose(prof_again["capacity_factor"], prof_api["capacity_factor"], atol=1e-8)


def test_periods_outside_measured_weather_are_refused(zone_file, tmp_path):
    zone = load_zone(zone_file)
    weather = load_weather(zone, years=1, seed=0)
    weather.attrs["synthetic"] = 0  # read it as measured: it covers local 2027 only
    observed = tmp_path / "obs.csv"
    observed.write_text(HEADER + "g,jabrayil/solar_fixed,2025,1000,test\n")
    with pytest.raises(
        CalibrationError, match=r"obs.csv line 2: column 'period': 2025 lies outside the weather"
    ):
        calibrate(zone, observed, weather=weather)


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (
            "g,nowhere/solar_fixed,2025,1,s\n",
            r"line 2: column 'units': 'nowhere/solar_fixed': the zone has no node",
        ),
        (
            "g,jabrayil/wind_onshore,2025,1,s\n",
            r"line 2: column 'units': .*node 'jabrayil' has no technology",
        ),
        ("g,jabrayil/battery,2025,1,s\n", r"line 2: column 'units': 'jabrayil/battery' is battery"),
        ("g,jabrayil/solar_fixed,2025,-5,s\n", r"line 2: column 'energy_mwh': -5 is negative"),
        ("g,jabrayil/solar_fixed,2025,,s\n", r"line 2: column 'energy_mwh' is empty"),
        ("g,jabrayil/solar_fixed,25,1,s\n", r"line 2: column 'period': '25' is not a year"),
        ("g,jabrayil/solar_fixed,2025-13,1,s\n", r"line 2: column 'period': '2025-13'"),
        ("g,jabrayil/solar_fixed,2025,1,\n", r"line 2: column 'source' is empty"),
        ("g,fuzuli/solar_fixed,2025,1,s\n", r"line 2: group 'g' has zero capacity"),
        (
            "g,jabrayil/solar_fixed;lachin/hydro_ror,2025,1,s\n",
            r"line 2: column 'units': group 'g' mixes technologies",
        ),
        (
            "a,jabrayil/solar_fixed,2025,1,s\nb,jabrayil/solar_fixed,2025,1,s\n",
            r"line 3: column 'units': groups 'a' \(.*line 2\) and 'b' both cover jabrayil/solar_fixed; .*cannot tell",
        ),
        (
            "g,jabrayil/solar_fixed,2025,1,s\ng,jabrayil/solar_fixed,2025-03,1,s\n",
            r"line 3: column 'period': 2025-03 of group 'g' overlaps 2025",
        ),
        (
            "g,lachin/hydro_ror,2025,1,s\ng,zangilan/hydro_ror,2024,1,s\n",
            r"line 3: column 'units': group 'g' covers zangilan/hydro_ror here",
        ),
    ],
)
def test_bad_observed_data_named_by_file_line_and_column(zone_file, tmp_path, rows, message):
    zone = load_zone(zone_file)
    observed = tmp_path / "obs.csv"
    observed.write_text(HEADER + rows)
    with pytest.raises(CalibrationError, match=message):
        calibrate(zone, observed, weather=_Unreachable())


class _Unreachable:
    """A weather the refusals never reach (observed data is checked first)."""

    attrs: dict = {}

    def __getattr__(self, name):
        raise AssertionError("the observed data should have been refused before the weather is used")


def test_missing_column_and_a_capacity_of_zero(zone_file, tmp_path):
    zone = load_zone(zone_file)
    observed = tmp_path / "obs.csv"
    observed.write_text("group,units,period,source\ng,jabrayil/solar_fixed,2025,s\n")
    with pytest.raises(CalibrationError, match=r"obs.csv: missing column\(s\) energy_mwh"):
        calibrate(zone, observed, weather=_Unreachable())
    observed.write_text(
        "group,units,period,energy_mwh,source,capacity_mw\ng,jabrayil/solar_fixed,2025,5,s,0\n"
    )
    with pytest.raises(CalibrationError, match=r"line 2: column 'capacity_mw': '0' .*capacity is zero"):
        calibrate(zone, observed, weather=_Unreachable())


def test_a_factor_beyond_its_bound_and_an_unidentifiable_one_are_refused(zone_file, tmp_path):
    zone = load_zone(zone_file)
    weather = load_weather(zone, years=2, seed=0)
    observed = tmp_path / "obs.csv"
    observed.write_text(HEADER + "sun,jabrayil/solar_fixed,2025,5000000,s\n")  # 1.7 GWh per MWac: impossible
    with pytest.raises(CalibrationError, match=r"group 'sun' .*even at the dc_yield factor's bound 1.5"):
        calibrate(zone, observed, weather=weather)
    # a run-of-river plant whose design flow is far below any flow runs flat out: its flow factor has no effect
    tiny = tmp_path / "tiny.yaml"
    raw = yaml.safe_load(zone_file.read_text())
    lachin = next(n for n in raw["nodes"] if n["id"] == "lachin")["technologies"]["hydro_ror"]
    lachin.update({"design_flow_m3s": 0.001, "head_m": 100000, "residual_flow_m3s": 0.0, "existing_mw": 0.8})
    lachin["max_mw"] = 0.8
    tiny.write_text(yaml.safe_dump(raw, sort_keys=False))
    flat = load_zone(tiny)
    energy = 0.8 * (pd.Timestamp("2026-01-01") - pd.Timestamp("2025-01-01")) / pd.Timedelta("1h")
    observed.write_text(HEADER + f"flat,lachin/hydro_ror,2025,{energy},s\n")
    with pytest.raises(CalibrationError, match=r"group 'flat' .*hardly changes with the flow factor"):
        calibrate(flat, observed, weather=weather)


def test_modelled_output_is_what_a_meter_sees_after_forced_outages():
    """Each unit's output is its conversion's times 1 - forced_outage_rate; a reservoir turbines at that share of
    its capacity and stores what it cannot take."""
    wind = UnitModel(
        unit=("n", "w"), kind="wind", capacity_mw=10.0, base=np.array([0.5, 1.2]), availability=0.9
    )
    assert np.allclose(wind.power_mw(1.0), [4.5, 9.0])
    assert np.allclose(wind.power_mw(2.0), [9.0, 9.0])  # capped at the available capacity
    zone = load_zone()
    assert zone.technologies["hydro_ror"].forced_outage_rate == pytest.approx(0.02)
    sarsang = zone.node("sarsang").technologies["hydro_reservoir"]
    reservoir = UnitModel(
        unit=("sarsang", "hydro_reservoir"),
        kind="hydro_reservoir",
        capacity_mw=50.0,
        base=np.full(48, 60.0),
        plant=sarsang,
        availability=0.9,
    )
    assert reservoir.power_mw(1.0).max() == pytest.approx(45.0)


def test_reservoir_release_conserves_water_and_is_cyclic():
    rng = np.random.default_rng(0)
    inflow = rng.gamma(2.0, 20.0, 2000)
    release = reservoir_release_mw(inflow, 50.0, 3000.0, 0.5)
    assert release.max() <= 50.0 + 1e-12 and release.min() >= 0
    # energy in = energy out + spill, with the same content at the start and the end (no spill here if the
    # turbines can take the mean inflow and the reservoir is large)
    release_big = reservoir_release_mw(np.full(100, 10.0), 50.0, 1e9, 0.0)
    assert release_big.sum() == pytest.approx(1000.0)
    assert release.sum() <= inflow.sum() + 1e-9


@pytest.fixture(scope="module")
def embedded_ten_years():
    """The embedded zone and 10 of its synthetic weather years (seed 0)."""
    zone = load_zone()
    return zone, load_weather(zone, years=10)


def test_the_embedded_zone_is_its_own_calibration(embedded_ten_years):
    """The packaged zone carries the factors `greenzone calibrate` fits from the packaged record (rerun)."""
    zone, weather = embedded_ten_years
    observed = embedded_zone_path().parent / "observed.csv"
    result = calibrate(zone, observed, weather=weather)
    for fit in result.fits:
        for node, tech in fit.group.units:
            assert zone.node(node).technologies[tech].calibration.factor == pytest.approx(
                fit.factor, abs=1e-6
            )
    table = result.table.set_index(["group", "period"])
    record = table.loc["hydro_307mw"]
    mean_record = record["observed_mwh"].mean()
    assert mean_record == pytest.approx((573_000 + 750_000) / 2)
    assert record["after_mwh"].mean() == pytest.approx(mean_record, rel=0.05)
    # each year of the record within the model's year-to-year spread, or the gap named (in the zone file)
    off = record["spreads_off"].abs()
    named = f"{off.max():.1f} year-to-year spreads"
    assert (off <= 1).all() or named in embedded_zone_path().read_text()
    shams = table.loc[("shams_ufug", "2025")]
    assert shams["after_mwh"] == pytest.approx(206_000, rel=0.05)
    # the revised hydro and PV data keep both fitted factors within 10% of 1
    assert 0.9 < zone.node("lachin").technologies["hydro_ror"].calibration.factor < 1.1
    assert 0.9 < zone.node("jabrayil").technologies["solar_fixed"].calibration.factor < 1.1


def test_embedded_fleet_with_profiles_meets_the_record(embedded_ten_years):
    """Mean over 10 synthetic years, through profiles(): the 307 MW fleet within 5% of the 2024-25 mean of its
    record, and Shams and Ufug's yield within 5% of 2,060 kWh per kWac."""
    zone, weather = embedded_ten_years
    prof = profiles(zone, weather)
    cf = prof["capacity_factor"].mean("time")
    years = prof.sizes["time"] / 8766.0
    fleet = (
        sum(
            float(cf.sel(node=n, technology="hydro_ror")) * zone.node(n).technologies["hydro_ror"].existing_mw
            for n in ("zangilan", "lachin", "kalbajar")
        )
        * 8766.0
    )
    sarsang = zone.node("sarsang").technologies["hydro_reservoir"]
    inflow = prof["inflow"].sel(node="sarsang", technology="hydro_reservoir").to_numpy()
    fleet += reservoir_release_mw(inflow, sarsang.existing_mw, sarsang.storage_mwh, 0.5).sum() / years
    assert fleet == pytest.approx((573_000 + 750_000) / 2, rel=0.05)
    kwh_per_kwac = float(cf.sel(node="jabrayil", technology="solar_fixed")) * 8766.0
    assert kwh_per_kwac == pytest.approx(2060, rel=0.05)


def test_cli_writes_the_calibrated_zone_and_refuses_bad_data_with_exit_2(
    monkeypatch, capsys, zone_file, tmp_path
):
    observed = tmp_path / "obs.csv"
    observed.write_text(HEADER + "sun,jabrayil/solar_fixed,2025,500000,announced\n")
    out = tmp_path / "cal"
    code, stdout, stderr = cli_main(
        monkeypatch,
        capsys,
        "calibrate",
        str(zone_file),
        "--observed",
        str(observed),
        "--weather-years",
        "2",
        "--out",
        str(out),
    )
    assert code == 0, stderr
    assert {p.name for p in out.iterdir()} >= {
        "zone.yaml",
        "calibration.csv",
        "calibration.json",
        "report.html",
        "manifest.json",
    }
    fitted = json.loads((out / "calibration.json").read_text())["groups"][0]
    assert fitted["group"] == "sun" and fitted["quantity"] == "dc_yield"
    assert load_zone(out / "zone.yaml").node("jabrayil").technologies[
        "solar_fixed"
    ].calibration.factor == pytest.approx(fitted["factor"], abs=1e-8)
    table = pd.read_csv(out / "calibration.csv")
    assert table.loc[0, "after_mwh"] == pytest.approx(500_000, rel=1e-6)
    observed.write_text(HEADER + "sun,jabrayil/solar_fixed,2025,-1,announced\n")
    code, stdout, stderr = cli_main(
        monkeypatch,
        capsys,
        "calibrate",
        str(zone_file),
        "--observed",
        str(observed),
        "--out",
        str(tmp_path / "c2"),
    )
    assert code == 2 and "obs.csv line 2: column 'energy_mwh'" in stderr and "Traceback" not in stderr


def test_the_report_inputs_name_each_calibration():
    from greenzone.report.inputs import inputs

    plants = [p for node in inputs(load_zone())["nodes"] for p in node["plants"]]
    lachin = next(p for p in plants if "150 MW" in p and "run-of-river" in p)
    assert "calibrated: flow factor 0.939 (group hydro_307mw, observed 1,323 GWh over 2024, 2025" in lachin
    assert any("calibrated: dc yield factor 1.071 (group shams_ufug" in p for p in plants)
