"""Adequacy years on Dask: the same pure year function as a task on a cluster started here (a `dask scheduler`
and two `dask worker` processes on loopback, reached by address as `adequacy --scheduler` does) gives the
figures of the serial loop, bit for bit."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from greenzone.adequacy import assess, profile_years
from greenzone.operate import existing_capacities
from plan_helpers import hand_profiles
from test_adequacy import thermal_zone


def test_adequacy_years_on_a_dask_cluster_equal_the_serial_loop(tmp_path, dask_cluster):
    gas = {"mw": 30, "spec": {"unit_size_mw": 10, "forced_outage_rate": 0.2, "mean_time_to_repair_h": 5}}
    zone = thermal_zone(tmp_path, gas)
    years = profile_years([hand_profiles(zone, 240, demand={"a": 21.0})] * 3)
    serial = assess(zone, existing_capacities(zone), years, outages=True, seed=5, workers=1)
    on_dask = assess(zone, existing_capacities(zone), years, outages=True, seed=5, scheduler=dask_cluster)
    assert on_dask.summary["workers"] == 2
    pd.testing.assert_frame_equal(
        serial.per_year.drop(columns="run_time_s"), on_dask.per_year.drop(columns="run_time_s")
    )
    for a, b in zip(serial.years, on_dask.years, strict=True):
        np.testing.assert_array_equal(a.shortfall, b.shortfall)
    assert serial.summary["lole_h_per_year"] > 0  # the outages bite, so the comparison means something


def test_an_unreachable_scheduler_is_one_message(tmp_path):
    from greenzone.parallel import SchedulerError, dask_client

    with pytest.raises(SchedulerError) as error, dask_client(scheduler="tcp://127.0.0.1:1", timeout_s=1):
        pass
    assert "--scheduler tcp://127.0.0.1:1: cannot reach a Dask scheduler" in str(error.value)
    assert error.value.exit_code == 2
