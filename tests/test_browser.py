"""The report in a real browser: headless Chromium (Debian's ``chromium``) with no Python driver.

A copy of the report gets a small JavaScript harness as the first script of its <head>: it records console
errors and uncaught exceptions, then, once the page has loaded, checks that every plotly figure holds data and
drew it, clicks the second button of the week selector and checks that other traces and another title show,
lists every resource the page fetched, and writes all that as JSON into the DOM. ``chromium --dump-dom``
prints the DOM, and the test reads the JSON back. A screenshot of the unmodified report is kept as
tests/artifacts/report.png.

Without chromium the test is skipped, unless the environment variable CI is set: then it fails.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from test_report import make_two_season_run

ARTIFACTS = Path(__file__).parent / "artifacts"

HARNESS = r"""
<script>
(function () {
  var h = window.__harness = {errors: [], warnings: []};
  window.addEventListener('error', function (e) {
    h.errors.push('uncaught: ' + (e.message || (e.target && (e.target.src || e.target.href)) || 'error'));
  }, true);
  window.addEventListener('unhandledrejection', function (e) { h.errors.push('rejection: ' + e.reason); });
  var error = console.error, warn = console.warn;
  console.error = function () {
    h.errors.push('console.error: ' + Array.prototype.map.call(arguments, String).join(' '));
    return error.apply(console, arguments);
  };
  console.warn = function () {
    h.warnings.push(Array.prototype.map.call(arguments, String).join(' '));
    return warn.apply(console, arguments);
  };
  function visible(gd) {
    return gd._fullData.filter(function (t) { return t.visible === true; }).map(function (t) { return t.index; });
  }
  function drawn(gd) {  // marks of the traces: paths with a shape, texts with content, heatmap images
    var marks = gd.querySelectorAll(
      '.cartesianlayer g.trace path, .cartesianlayer g.trace text, .cartesianlayer g.hm image');
    return Array.prototype.filter.call(marks, function (m) {
      if (m.tagName === 'image') { return (m.getAttribute('href') || m.getAttribute('xlink:href') || '').length > 0; }
      return m.tagName === 'text' ? m.textContent.length > 0 : (m.getAttribute('d') || '').length > 4;
    }).length;
  }
  function length(t) {
    var n = 0;
    ['x', 'y'].forEach(function (k) { if (t[k] && t[k].length) { n = Math.max(n, t[k].length); } });
    return n;
  }
  function finish(out) {
    out.errors = h.errors;
    out.warnings = h.warnings;
    out.resources = performance.getEntriesByType('resource').map(function (e) { return e.name; });
    var pre = document.createElement('pre');
    pre.id = 'harness-result';
    pre.textContent = JSON.stringify(out);
    document.body.appendChild(pre);
  }
  window.addEventListener('load', function () {
    setTimeout(function () {
      var out = {figures: {}, weeks: null};
      try {
        document.querySelectorAll('.plotly-graph-div').forEach(function (gd) {
          out.figures[gd.id] = {
            traces: (gd._fullData || []).length,
            points: (gd._fullData || []).reduce(function (n, t) { return n + length(t); }, 0),
            svg: gd.querySelectorAll('svg.main-svg').length,
            drawn: drawn(gd)
          };
        });
        var gd = document.getElementById('fig-dispatch');
        if (!gd) { finish(out); return; }
        var buttons = gd.querySelectorAll('.updatemenu-button');
        var before = {visible: visible(gd), title: gd._fullLayout.title.text};
        out.weeks = {buttons: buttons.length, before: before};
        if (buttons.length < 2) { finish(out); return; }
        buttons[1].dispatchEvent(new MouseEvent('click', {bubbles: true, cancelable: true, view: window}));
        setTimeout(function () {
          out.weeks.after = {visible: visible(gd), title: gd._fullLayout.title.text, drawn: drawn(gd),
                             active: gd._fullLayout.updatemenus[0].active};
          finish(out);
        }, 1500);
      } catch (err) {
        h.errors.push('harness: ' + err + ' ' + (err.stack || ''));
        finish(out);
      }
    }, 1500);
  });
})();
</script>
"""


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


@pytest.fixture(scope="module")
def chromium() -> str:
    path = _chromium()
    if path is None:
        message = "chromium is not installed (Debian: apt-get install chromium; `make test` does it)"
        if os.environ.get("CI"):
            pytest.fail(message + "; under CI the browser test must run")
        pytest.skip(message)
    return path


def _run_chromium(
    chromium: str, profile: Path, *args: str, timeout: int = 180
) -> subprocess.CompletedProcess:
    command = [
        chromium,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-extensions",
        "--hide-scrollbars",
        f"--user-data-dir={profile}",
        "--virtual-time-budget=15000",
        *args,
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    """The two-season run's report with an Adequacy section: the plan's fleet over two weeks of heavier
    demand, so that load goes unserved and every adequacy chart has something to draw."""
    import xarray as xr

    from greenzone.adequacy import assess, profile_years, write_adequacy
    from greenzone.report import write_report
    from greenzone.resources import profiles
    from greenzone.weather import load_weather
    from greenzone.zone import load_zone

    folder = make_two_season_run(tmp_path_factory.mktemp("browser_run"))
    zone = load_zone(folder / "zone.yaml")
    with xr.open_dataset(folder / "plan.nc") as ds:
        planned = ds.load()
    weeks = profiles(zone, load_weather(zone)).isel(time=slice(0, 14 * 24))
    heavy = weeks.copy(deep=True)
    heavy["demand"] = heavy["demand"] * 3.0
    result = assess(zone, planned, profile_years([weeks, heavy], first_label=2027), workers=1)
    assert result.summary["lole_h_per_year"] > 0
    write_adequacy(result, folder)
    return write_report(folder, zone=zone)


@pytest.fixture(scope="module")
def result(chromium, report, tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("harness")
    text = report.read_text(encoding="utf-8")
    head = text.index("<head>") + len("<head>")
    page = folder / "report_harness.html"
    page.write_text(text[:head] + HARNESS + text[head:], encoding="utf-8")
    done = _run_chromium(chromium, folder / "profile", "--dump-dom", page.as_uri())
    match = re.search(r'<pre id="harness-result">(.*?)</pre>', done.stdout, re.S)
    assert match, f"no harness result in the DOM; chromium said:\n{done.stderr[-3000:]}"
    return json.loads(html.unescape(match.group(1)))


def test_no_console_errors(result):
    assert result["errors"] == []


def test_every_figure_drew_its_data(result):
    expected = {
        "fig-map",
        "fig-capacity",
        "fig-storage",
        "fig-balance",
        "fig-dispatch",
        "fig-duration",
        "fig-cost",
        "fig-adequacy-years",
        "fig-adequacy-when",
    }
    assert set(result["figures"]) == expected
    for name, figure in result["figures"].items():
        assert figure["traces"] > 0, name
        assert figure["points"] > 0, name
        assert figure["svg"] > 0, name
        assert figure["drawn"] > 0, name


def test_week_selector_switches_weeks(result):
    weeks = result["weeks"]
    assert weeks["buttons"] >= 2
    before, after = weeks["before"], weeks["after"]
    assert after["active"] == 1
    assert after["visible"] and after["visible"] != before["visible"]
    assert not set(after["visible"]) & set(before["visible"]), "the other week's traces are hidden"
    assert after["title"] != before["title"]
    assert after["drawn"] > 0


def test_nothing_fetched_from_outside(result):
    outside = [r for r in result["resources"] if not r.startswith(("file:", "data:", "blob:"))]
    assert outside == []


def test_screenshot(chromium, report, tmp_path):
    ARTIFACTS.mkdir(exist_ok=True)
    target = ARTIFACTS / "report.png"
    target.unlink(missing_ok=True)
    done = _run_chromium(
        chromium, tmp_path / "profile", f"--screenshot={target}", "--window-size=1400,3000", report.as_uri()
    )
    assert target.is_file(), done.stderr[-3000:]
    data = target.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(data) > 50_000, "a screenshot of a drawn report is not that small"


def test_harness_sees_errors(chromium, tmp_path):
    """The harness is not blind: a page that logs an error and calls what does not exist is caught."""
    page = tmp_path / "broken.html"
    body = "<script>console.error('boom'); not_defined_anywhere();</script>"
    page.write_text(
        f"<!DOCTYPE html><html><head>{HARNESS}</head><body>{body}</body></html>", encoding="utf-8"
    )
    done = _run_chromium(chromium, tmp_path / "profile", "--dump-dom", page.as_uri())
    match = re.search(r'<pre id="harness-result">(.*?)</pre>', done.stdout, re.S)
    assert match, done.stderr[-3000:]
    errors = json.loads(html.unescape(match.group(1)))["errors"]
    assert any("boom" in e for e in errors)
    assert any("not_defined_anywhere" in e for e in errors)
