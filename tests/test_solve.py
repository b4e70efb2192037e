"""The HiGHS adapter: known optima, statuses, dual signs, methods, warm starts, honest failures."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest

from greenzone.errors import InfeasibleError, SolverError
from greenzone.optimize.lp import LinearProgram
from greenzone.optimize.numerics import check_numerics, clean_small_coefficients
from greenzone.optimize.solve import (
    METHODS,
    PersistentSolver,
    SolverOptions,
    Status,
    available_cores,
    interior_point,
    require_optimal,
    solve,
)
from lp_helpers import TIME, dispatch_lp


def storage_lp(hours: int = 400, seed: int = 0) -> LinearProgram:
    """Solar, wind and gas with built capacities, and a battery, meeting a random demand [MW] hour by hour."""
    rng = np.random.default_rng(seed)
    time = pd.date_range("2030-01-01", periods=hours, freq="h")
    techs = ["solar", "wind", "gas"]
    solar = np.clip(np.sin((np.arange(hours) % 24 - 6) / 12 * np.pi), 0, None) * rng.uniform(0.6, 1.0, hours)
    cf = clean_small_coefficients(np.vstack([solar, rng.uniform(0.05, 1.0, hours), np.ones(hours)]))
    demand = 50 + 20 * rng.uniform(size=hours)
    scale = hours / 8760
    lp = LinearProgram()
    capacity = lp.add_variables("capacity", coords={"tech": techs}, cost=np.array([60e3, 90e3, 40e3]) * scale)
    dispatch = lp.add_variables(
        "dispatch",
        coords={"tech": techs, "time": time},
        cost=np.repeat([[0.0], [0.0], [80.0]], hours, axis=1),
    )
    energy = lp.add_variables("storage_energy", coords={}, cost=15e3 * scale)
    charge = lp.add_variables("charge", coords={"time": time}, upper=30.0)
    discharge = lp.add_variables("discharge", coords={"time": time}, upper=30.0)
    level = lp.add_variables("level", coords={"time": time})
    lp.add_constraints(
        "balance",
        coords={"time": time},
        terms=[(1.0, dispatch.index.T), (1.0, discharge.index), (-1.0, charge.index)],
        sense="==",
        rhs=demand,
    )
    lp.add_constraints(
        "availability",
        coords={"tech": techs, "time": time},
        terms=[(1.0, dispatch.index), (-cf, np.broadcast_to(capacity.index[:, None], (3, hours)))],
        sense="<=",
        rhs=0.0,
    )
    lp.add_constraints(
        "storage_balance",
        coords={"time": time},
        terms=[
            (1.0, level.index),
            (-1.0, np.roll(level.index, 1)),
            (-0.9, charge.index),
            (1 / 0.9, discharge.index),
        ],
        sense="==",
        rhs=0.0,
    )
    lp.add_constraints(
        "storage_capacity",
        coords={"time": time},
        terms=[(1.0, level.index), (-1.0, np.broadcast_to(energy.index, (hours,)))],
        sense="<=",
        rhs=0.0,
    )
    return lp


def test_dispatch_optimum_known_by_hand():
    # Solar capacity costs 60 per MW and yields 1, 0.5 and 0 MW per MW in the three hours; gas costs 100 per MWh.
    # Building 10 MW of solar covers hour 0 and half of hour 1; gas covers the rest: 60*10 + 100*(5+10) = 2100.
    lp = dispatch_lp()
    solution = require_optimal(solve(lp), what="the dispatch test")
    assert solution.ok and solution.status is Status.OPTIMAL
    assert solution.objective == pytest.approx(2100.0, rel=1e-9)
    np.testing.assert_allclose(lp.variable_values("capacity", solution.x), [10.0], atol=1e-9)
    np.testing.assert_allclose(
        lp.variable_values("dispatch", solution.x), [[10, 5, 0], [0, 5, 10]], atol=1e-9
    )
    # Nodal prices: one more MW in hour 0 costs 60 of solar minus 0.5 MWh of gas saved in hour 1 = 10;
    # hours 1 and 2 are set by gas at 100. Positive: more demand costs more.
    np.testing.assert_allclose(lp.constraint_duals("balance", solution.y), [10.0, 100.0, 100.0], atol=1e-9)
    # A binding "<=" row has a non-positive dual.
    assert (lp.constraint_duals("availability", solution.y) <= 1e-9).all()
    # Reduced costs c - A.T y: gas in hour 0 sits at its lower bound, 100 - 10 = 90.
    np.testing.assert_allclose(lp.variable_values("dispatch", solution.reduced_costs)[1, 0], 90.0, atol=1e-9)
    assert solution.solver == "highs"
    assert solution.solver_version.count(".") == 2
    assert solution.method == "dual_simplex"
    assert solution.run_time_s >= 0 and solution.iterations.total >= 0
    assert not solution.x.flags.writeable


def test_objective_constant_is_included():
    lp = dispatch_lp()
    lp.set_objective_constant(1000.0)
    assert solve(lp).objective == pytest.approx(3100.0)


def test_dual_of_a_balance_row_is_the_marginal_cost_of_demand():
    lp = storage_lp(hours=48)
    base = require_optimal(solve(lp))
    prices = lp.constraint_duals("balance", base.y)
    assert (prices >= -1e-9).all()  # zero in hours with curtailed wind or solar
    demand = lp.row_lower[lp.constraints["balance"].index].copy()
    hour = int(np.flatnonzero(np.isclose(prices, 80.0))[0])  # gas sets the price: 80 USD/MWh
    demand[hour] += 1e-3
    lp.update_rhs("balance", demand)
    bumped = require_optimal(solve(lp))
    assert (bumped.objective - base.objective) / 1e-3 == pytest.approx(prices[hour], rel=1e-6)


@pytest.mark.parametrize("method", METHODS)
def test_every_method_reaches_the_same_optimum(method):
    solution = require_optimal(solve(dispatch_lp(), SolverOptions(method=method)))
    assert solution.method == method
    tolerance = 1e-4 if method == "pdlp" else 1e-8
    assert solution.objective == pytest.approx(2100.0, rel=tolerance)


def test_infeasible_lp_is_reported_and_raises():
    lp = LinearProgram()
    x = lp.add_variables("x", coords={"i": [0]}, upper=1.0, cost=1.0)
    lp.add_constraints("need", coords={"i": [0]}, terms=[(1.0, x.index)], sense=">=", rhs=2.0)
    solution = solve(lp)
    assert solution.status is Status.INFEASIBLE and not solution.ok
    assert solution.x is None and solution.y is None and np.isnan(solution.objective)
    with pytest.raises(InfeasibleError, match="the test LP has no feasible solution"):
        require_optimal(solution, what="the test LP")


def test_unbounded_lp_is_reported_and_raises():
    lp = LinearProgram()
    x = lp.add_variables("x", coords={}, cost=-1.0)
    lp.add_constraints("floor", coords={}, terms=[(1.0, x.index)], sense=">=", rhs=0.0)
    solution = solve(lp)
    assert solution.status is Status.UNBOUNDED
    with pytest.raises(InfeasibleError, match="unbounded"):
        require_optimal(solution)


def test_time_limit_gives_no_result_and_raises_solver_error():
    lp = storage_lp(hours=400)
    solution = solve(lp, SolverOptions(time_limit_s=1e-9))
    assert solution.status is Status.TIME_LIMIT
    assert solution.x is None and solution.y is None and solution.reduced_costs is None
    assert np.isnan(solution.objective)
    with pytest.raises(SolverError, match="time limit.*not reported.*Increase SolverOptions.time_limit_s"):
        require_optimal(solution, what="the storage LP")


def test_iteration_limit_gives_no_result_and_raises_solver_error():
    lp = storage_lp(hours=400)
    solution = solve(lp, SolverOptions(extra={"simplex_iteration_limit": 10}))
    assert solution.status is Status.ITERATION_LIMIT
    assert solution.x is None
    with pytest.raises(SolverError, match="iteration limit"):
        require_optimal(solution)


def test_persistent_solver_warm_starts_after_rhs_changes():
    lp = storage_lp(hours=400)
    solver = PersistentSolver(lp)
    cold = require_optimal(solver.solve())
    demand = lp.row_lower[lp.constraints["balance"].index] * 1.05
    solver.change_rhs("balance", demand)
    warm = require_optimal(solver.solve())
    fresh = require_optimal(solve(lp))
    assert warm.objective == pytest.approx(fresh.objective, rel=1e-9)
    assert warm.objective > cold.objective
    assert warm.iterations.simplex <= cold.iterations.simplex
    assert warm.iterations.simplex < fresh.iterations.simplex


def test_persistent_solver_bounds_costs_and_direct_lp_changes():
    lp = storage_lp(hours=96)
    with PersistentSolver(lp) as solver:
        require_optimal(solver.solve())
        solver.change_col_bounds("charge", upper=10.0)
        solver.change_costs("capacity", np.array([50e3, 95e3, 45e3]) * 96 / 8760)
        lp.update_bounds("discharge", upper=12.0)  # made on the LP directly: picked up too
        lp.set_objective_constant(123.0)
        changed = require_optimal(solver.solve())
        assert changed.objective == pytest.approx(require_optimal(solve(lp)).objective, rel=1e-9)
        # a structural change passes the model again
        x = lp.add_variables("slack", coords={}, cost=1.0)
        lp.add_constraints("slack_floor", coords={}, terms=[(1.0, x.index)], sense=">=", rhs=2.0)
        grown = require_optimal(solver.solve())
        assert grown.objective == pytest.approx(changed.objective + 2.0, rel=1e-9)
        assert grown.x.size == lp.num_variables


def test_persistent_solver_reports_infeasibility_after_a_change():
    lp = dispatch_lp()
    solver = PersistentSolver(lp)
    require_optimal(solver.solve())
    solver.change_col_bounds("dispatch", upper=np.array([[0.0] * 3, [20.0] * 3]))
    assert require_optimal(solver.solve()).objective == pytest.approx(3000.0)
    solver.change_rhs("balance", np.array([10.0, 30.0, 10.0]))
    assert solver.solve().status is Status.INFEASIBLE


def test_thread_counts_can_change_between_solves():
    lp = dispatch_lp()
    for threads in (1, 2, 1, None):
        assert solve(lp, SolverOptions(threads=threads)).ok


def test_lp_without_variables():
    lp = LinearProgram()
    lp.set_objective_constant(5.0)
    solution = solve(lp)
    assert solution.ok and solution.objective == 5.0 and solution.x.size == 0
    lp.add_constraints("impossible", coords={}, terms=[], sense=">=", rhs=1.0)
    assert solve(lp).status is Status.INFEASIBLE


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"method": "ipmm"}, "did you mean 'ipm'"),
        ({"threads": 0}, "threads must be a positive integer"),
        ({"time_limit_s": 0}, "time_limit_s must be a positive number"),
        ({"primal_feasibility_tolerance": 2.0}, "between 0 and 1"),
        ({"primal_feasibility_tolerance": 1e-12}, "HiGHS refused option primal_feasibility_tolerance"),
        ({"presolve": "on"}, "presolve must be True or False"),
        ({"extra": {"time_limit": 5}}, "use method=, threads=, time_limit_s="),
        ({"extra": {"simplex_iteration_limt": 5}}, "did you mean 'simplex_iteration_limit'"),
    ],
)
def test_solver_options_validate_themselves(kwargs, match):
    with pytest.raises(ValueError, match=match):
        SolverOptions(**kwargs)


def test_solver_options_map_to_highs_options():
    options = SolverOptions(method="ipm_no_crossover", threads=2, time_limit_s=60, presolve=False)
    highs = options.highs_options()
    assert (
        highs["solver"] == ("hipo" if interior_point() == "hipo" else "ipm")
        and highs["run_crossover"] == "off"
    )
    assert highs["threads"] == 2 and highs["time_limit"] == 60.0 and highs["presolve"] == "off"
    assert SolverOptions().highs_options()["time_limit"] == np.inf
    with pytest.raises(TypeError):
        SolverOptions().extra["x"] = 1  # frozen


def test_the_interior_point_is_hipo_on_every_core_and_the_simplex_is_left_alone():
    """pyproject pins highspy 1.15.1 with highspy-extras, so HiPO is there; the IPM takes every core."""
    assert interior_point() == "hipo"
    ipm = SolverOptions(method="ipm")
    assert ipm.highs_options()["solver"] == "hipo" and ipm.highs_options()["run_crossover"] == "on"
    assert ipm.resolved_threads() == available_cores() and ipm.highs_options()["threads"] == available_cores()
    assert "threads" not in SolverOptions(method="dual_simplex").highs_options()
    assert SolverOptions(method="dual_simplex", threads=1).highs_options()["threads"] == 1


def test_without_hipo_the_ipm_runs_ipx_and_says_so_once(monkeypatch, caplog):
    import greenzone.optimize.solver_options as solve_module

    class NoHipo:
        def setOptionValue(self, name, value):
            return solve_module._HS.kError if value == "hipo" else solve_module._HS.kOk

        def version(self):
            return "1.16.0"

    solve_module.interior_point.cache_clear()
    monkeypatch.setattr(solve_module, "new_highs", NoHipo)
    try:
        with caplog.at_level("WARNING", logger="greenzone.solve"):
            assert solve_module.interior_point() == "ipx" and solve_module.interior_point() == "ipx"
        warned = [r for r in caplog.records if "HiPO is not available" in r.getMessage()]
        assert len(warned) == 1 and "highspy-extras==1.15.1" in warned[0].getMessage()
    finally:
        solve_module.interior_point.cache_clear()


@pytest.mark.parametrize("method", ["ipm", "ipm_no_crossover"])
def test_hipo_reaches_the_simplex_optimum(method):
    lp = storage_lp(hours=72)
    simplex = solve(lp, SolverOptions(method="dual_simplex"))
    interior = solve(lp, SolverOptions(method=method))
    assert interior.ok and interior.interior_point == "hipo"
    assert interior.objective == pytest.approx(simplex.objective, rel=1e-7)
    assert simplex.interior_point == ""


def test_storage_lp_is_well_scaled():
    report = check_numerics(storage_lp(hours=48))
    assert report.ok, report.warnings


def test_lp_options_and_solutions_pickle():
    lp = pickle.loads(pickle.dumps(dispatch_lp()))
    options = SolverOptions(extra={"simplex_iteration_limit": 1000})
    assert pickle.loads(pickle.dumps(options)) == options
    assert hash(options) == hash(SolverOptions(extra={"simplex_iteration_limit": 1000}))
    solution = pickle.loads(pickle.dumps(solve(lp, options)))
    assert solution.objective == pytest.approx(2100.0)


def test_hours_are_labelled_in_results():
    lp = dispatch_lp()
    solution = require_optimal(solve(lp))
    assert lp.describe_row(int(np.argmax(solution.y)))[1]["time"] in TIME


@pytest.mark.parametrize("failures", [1, 2])
def test_persistent_solver_retries_a_solve_without_verdict(monkeypatch, failures):
    """A warm start that ends with HiGHS's "unknown" status is solved again from scratch, then with ipm."""
    import dataclasses

    import greenzone.optimize.solve as solve_module

    lp = storage_lp(hours=96)
    solver = PersistentSolver(lp, SolverOptions(method="dual_simplex"))
    expected = require_optimal(solver.solve()).objective
    real_run = solve_module._run
    methods = []

    def flaky(highs, lp_, options):
        methods.append(options.method)
        result = real_run(highs, lp_, options)
        if len(methods) <= failures:
            return dataclasses.replace(result, status=Status.OTHER)
        return result

    monkeypatch.setattr(solve_module, "_run", flaky)
    again = require_optimal(solver.solve())
    assert again.objective == pytest.approx(expected, rel=1e-9)
    assert methods == ["dual_simplex", "dual_simplex", "ipm"][: failures + 1]
