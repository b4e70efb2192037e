"""The calibration page (report.html of ``greenzone calibrate``): its rows are calibration.csv's, it makes no
request, its figure has data; and the run report's inputs link nothing outside the file."""

from __future__ import annotations

import json
import math
import re
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest

from cli_helpers import cli_main
from greenzone.report.calibration import calibration_figure, calibration_page
from greenzone.report.common import number
from greenzone.report.html import plotly_js
from test_report import _outside_references

HEADER = "group,units,period,energy_mwh,source\n"
OBSERVED = (
    HEADER + "sun,jabrayil/solar_fixed,2025,500000,announced\n"
    "river,lachin/hydro_ror;zangilan/hydro_ror,2025-03,25000,metered <b>&amp</b>\n"
    "river,lachin/hydro_ror;zangilan/hydro_ror,2025-07,45000,metered <b>&amp</b>\n"
)


class _Tables(HTMLParser):
    """The cells of every ``<tr>`` of the tables with an id, by table id, with the row's data- attributes."""

    def __init__(self):
        super().__init__()
        self.tables: dict[str, list[tuple[dict, list[str]]]] = {}
        self._table = None
        self._row = None
        self._cell = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and attrs.get("id"):
            self._table = self.tables.setdefault(attrs["id"], [])
        elif tag == "tr" and self._table is not None:
            self._row = (attrs, [])
        elif tag == "td" and self._row is not None:
            self._cell = ""

    def handle_data(self, data):
        if self._cell is not None:
            self._cell += data

    def handle_endtag(self, tag):
        if tag == "td" and self._cell is not None:
            self._row[1].append(self._cell.strip())
            self._cell = None
        elif tag == "tr" and self._row is not None:
            if self._row[1]:
                self._table.append(self._row)
            self._row = None
        elif tag == "table":
            self._table = None


def _tables(text: str) -> dict[str, list[tuple[dict, list[str]]]]:
    parser = _Tables()
    parser.feed(text)
    return parser.tables


def _embedded(text: str) -> dict:
    match = re.search(r'<script type="application/json" id="calibration-data">(.*?)</script>', text, re.S)
    assert match, "the page embeds its rows as JSON"
    return json.loads(match.group(1))


@pytest.fixture
def zone_file(write_zone):
    """The embedded zone without its calibration."""

    def mutate(data):
        for node in data["nodes"]:
            for nt in node["technologies"].values():
                nt.pop("calibration", None)

    return write_zone(mutate)


def test_calibrate_writes_a_self_contained_page_of_its_table(monkeypatch, capsys, zone_file, tmp_path):
    observed = tmp_path / "metered.csv"
    observed.write_text(OBSERVED)
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
    assert "report.html" in stdout
    text = (out / "report.html").read_text(encoding="utf-8")
    table = pd.read_csv(out / "calibration.csv", dtype={"period": str})
    fitted = json.loads((out / "calibration.json").read_text())["groups"]

    # offline: no src or href outside the file, plotly.js inlined once; the source text is escaped, inert
    assert _outside_references(text) == []
    assert text.count(plotly_js()[:300]) == 1
    assert "metered &lt;b&gt;&amp;amp&lt;/b&gt;" in text and "<b>&amp</b>" not in text.split("</head>")[1]

    # the header: what was calibrated from which file, on SYNTHETIC weather of 2 years with its spread
    header = text[text.index("<header>") : text.index("</header>")]
    assert "metered.csv" in header and "sun, river" in header
    assert 'id="synthetic-banner"' in text and "SYNTHETIC" in text and "over 2 synthetic weather" in text
    spread = re.search(r'<span id="spread">([^<]*)</span>', text).group(1)
    assert "%" in spread

    # one row per group and period with calibration.csv's numbers, in the table and in the embedded JSON
    rows = {(a["data-group"], a["data-period"]): cells for a, cells in _tables(text)["calibration-table"]}
    assert set(rows) == {("sun", "2025"), ("river", "2025-03"), ("river", "2025-07")}
    embedded = {(r["group"], r["period"]): r for r in _embedded(text)["rows"]}
    assert set(embedded) == set(rows)
    for r in table.itertuples():
        cells = rows[(r.group, r.period)]
        assert cells[2:5] == [number(v, 0) for v in (r.observed_mwh, r.before_mwh, r.after_mwh)]
        assert cells[5:7] == [f"{round(100 * v, 1) + 0.0:+.1f}" for v in (r.error_before, r.error_after)]
        assert cells[7] == number(r.spread_mwh, 0) and cells[-1] == r.source
        for column in ("observed_mwh", "before_mwh", "after_mwh", "error_before", "spread_mwh"):
            assert embedded[(r.group, r.period)][column] == pytest.approx(getattr(r, column), rel=1e-5)

    # the factor per group with its bounds and whether one was hit
    factors = {a["data-group"]: cells for a, cells in _tables(text)["factor-table"]}
    for g in fitted:
        cells = factors[g["group"]]
        assert cells[3] == f"{g['factor']:.4f}"
        assert cells[4] == f"{g['bounds'][0]:g} – {g['bounds'][1]:g}"
        assert cells[5] == "no" and g["bound_hit"] is None

    # the figure: observed, before and after per group, with the spread as error bars
    assert 'id="fig-calibration"' in text
    fig = calibration_figure(table, synthetic=True)
    assert len(fig.data) == 3 * 2
    for trace in fig.data:
        assert len(trace.x) == len(trace.y) > 0 and np.isfinite(np.asarray(trace.y, float)).all()
        if trace.name != "observed":
            assert trace.error_y.visible and len(trace.error_y.array) == len(trace.y)
    after = [t for t in fig.data if t.name == "modelled after"]
    assert sum(sum(t.y) for t in after) == pytest.approx(table["after_mwh"].sum())


def _table(**change) -> pd.DataFrame:
    row = {
        "group": "g",
        "period": "2025",
        "factor": 0.5,
        "observed_mwh": 1000.0,
        "before_mwh": 1500.0,
        "after_mwh": 1010.0,
        "error_before": 0.5,
        "error_after": 0.01,
        "spread_mwh": math.nan,
        "spread_before_mwh": math.nan,
        "spreads_off": math.nan,
        "source": "https://example.org/record.pdf",
    }
    return pd.DataFrame([row | change])


GROUP = {
    "group": "g",
    "units": ["jabrayil/solar_fixed"],
    "quantity": "dc_yield",
    "factor": 0.5,
    "bounds": [0.5, 1.5],
    "bound_hit": "lower",
    "observed_mwh": 1000.0,
    "before_mwh": 1500.0,
    "after_mwh": 1010.0,
    "periods": ["2025"],
}


def test_measured_weather_page_names_a_bound_hit_and_shows_no_spread():
    text = calibration_page(
        _table(),
        [GROUP],
        zone="z",
        observed="obs.csv",
        weather="csv 2025-01-01 to 2025-12-31 UTC",
        synthetic=False,
        weather_years=1,
    )
    assert "synthetic-banner" not in text and "spread [MWh]" not in text
    (_, cells), *_ = _tables(text)["factor-table"]
    assert cells[5] == "yes, the lower bound"
    (_, cells), *_ = _tables(text)["calibration-table"]
    assert cells[2:7] == ["1,000", "1,500", "1,010", "+50.0", "+1.0"]
    assert _outside_references(text) == []  # a URL as source stays text
    assert "https://example.org/record.pdf" in text
    fig = calibration_figure(_table(), synthetic=False)
    assert all(t.error_y.array is None for t in fig.data)


def test_run_report_inputs_link_nothing_outside(tmp_path):
    """A zone whose sources and calibration name web addresses: the run report shows them as text only."""
    from greenzone.planning.year import plan
    from greenzone.report import render_report
    from greenzone.report.inputs import inputs
    from plan_helpers import hand_profiles, write_small_zone

    url = "https://example.org/metered.csv"
    zone, _ = write_small_zone(
        tmp_path,
        {
            "sources": [f"record: {url}", "<a href='https://example.org'>x</a>"],
            "nodes": [
                {
                    "id": "a",
                    "lat": 40,
                    "lon": 46,
                    "demand": {"annual_mwh": 8760},
                    "technologies": {
                        "solar_fixed": {
                            "existing_mw": 5,
                            "calibration": {
                                "quantity": "dc_yield",
                                "factor": 1.1,
                                "group": "g",
                                "observed": url,
                                "source": url,
                            },
                        }
                    },
                }
            ],
            "policy": {"allow_unserved": True},
        },
    )
    plants = inputs(zone)["nodes"][0]["plants"]
    assert any("calibrated: dc yield factor 1.100 (group g" in p and url in p for p in plants)
    result = plan(zone, hand_profiles(zone, 24, cf={("a", "solar_fixed"): 0.3}, demand={"a": 1.0}))
    from greenzone.kpi import kpis

    text = render_report(result, kpis(result, zone), zone)
    section = text[text.index('<section id="inputs">') : text.index('<section id="run">')]
    assert url in section and "&lt;a href=" in section
    assert _outside_references(section) == [] and _outside_references(text) == []
