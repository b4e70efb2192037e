"""The LinearProgram container: blocks, shapes, the matrix, the map back, in-place changes, numerics."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from greenzone.optimize.lp import LinearProgram
from greenzone.optimize.numerics import check_numerics, clean_small_coefficients
from lp_helpers import TIME, dispatch_lp


def test_blocks_know_offsets_shapes_and_column_numbers():
    lp = dispatch_lp()
    capacity, dispatch = lp.variables["capacity"], lp.variables["dispatch"]
    assert (capacity.offset, capacity.shape) == (0, (1,))
    assert (dispatch.offset, dispatch.shape, dispatch.dims) == (1, (2, 3), ("tech", "time"))
    np.testing.assert_array_equal(dispatch.index, [[1, 2, 3], [4, 5, 6]])
    assert not dispatch.index.flags.writeable
    assert (lp.num_variables, lp.num_constraints, lp.num_nonzeros) == (7, 6, 11)
    assert lp.constraints["availability"].offset == 3
    assert lp.constraints["availability"].sense == "<="
    assert isinstance(dispatch.coords["time"], pd.DatetimeIndex)
    assert dispatch.position("tech", "gas") == 1
    np.testing.assert_array_equal(dispatch.positions("time", TIME[::-1]), [2, 1, 0])
    with pytest.raises(KeyError, match="no label 'wind' along 'tech'"):
        dispatch.position("tech", "wind")


def test_matrix_bounds_and_costs():
    lp = dispatch_lp()
    expected = np.array(
        [
            [0, 1, 0, 0, 1, 0, 0],
            [0, 0, 1, 0, 0, 1, 0],
            [0, 0, 0, 1, 0, 0, 1],
            [-1, 1, 0, 0, 0, 0, 0],
            [-0.5, 0, 1, 0, 0, 0, 0],
            [0, 0, 0, 1, 0, 0, 0],  # the zero capacity factor leaves no entry
        ]
    )
    np.testing.assert_array_equal(lp.matrix.toarray(), expected)
    assert lp.to_csr() is lp.matrix  # built once
    np.testing.assert_array_equal(lp.to_csc().toarray(), expected)
    np.testing.assert_array_equal(lp.row_lower, [10, 10, 10, -np.inf, -np.inf, -np.inf])
    np.testing.assert_array_equal(lp.row_upper, [10, 10, 10, 0, 0, 0])
    np.testing.assert_array_equal(lp.col_upper, [np.inf, np.inf, np.inf, np.inf, 20, 20, 20])
    np.testing.assert_array_equal(lp.col_cost, [60, 0, 0, 0, 100, 100, 100])
    with pytest.raises(ValueError, match="read-only"):
        lp.col_cost[0] = 1.0


def test_duplicate_entries_are_summed_and_cancelling_ones_dropped():
    lp = LinearProgram()
    x = lp.add_variables("x", coords={"i": [0, 1]})
    lp.add_constraints(
        "row",
        coords={"i": [0, 1]},
        terms=[(1.0, x.index), (np.array([2.0, -1.0]), x.index), (np.array([3.0, 0.0]), x.index[::-1])],
        sense=">=",
        rhs=np.array([1.0, 2.0]),
    )
    np.testing.assert_array_equal(lp.matrix.toarray(), [[3.0, 3.0], [0.0, 0.0]])
    assert lp.num_nonzeros == 2


def test_sum_over_a_trailing_axis():
    lp = LinearProgram()
    p = lp.add_variables("p", coords={"gen": ["a", "b"], "time": [0, 1, 2]})
    weights = np.array([1.0, 2.0, 3.0])
    lp.add_constraints(
        "budget",
        coords={"gen": ["a", "b"]},
        terms=[(np.broadcast_to(weights, (2, 3)), p.index)],
        sense="<=",
        rhs=np.array([5.0, 6.0]),
    )
    np.testing.assert_array_equal(lp.matrix.toarray(), [[1, 2, 3, 0, 0, 0], [0, 0, 0, 1, 2, 3]])
    # a scalar block summing over everything
    lp.add_constraints("total", coords={}, terms=[(1.0, p.index.ravel())], sense="<=", rhs=100.0)
    np.testing.assert_array_equal(lp.matrix.toarray()[2], np.ones(6))


@pytest.mark.parametrize("field", ["lower", "upper", "cost"])
def test_variable_values_must_have_exactly_the_block_shape(field):
    lp = LinearProgram()
    with pytest.raises(ValueError, match=r"'p' has shape \(3,\), but the block has shape \(2, 3\)"):
        lp.add_variables("p", coords={"gen": ["a", "b"], "time": [0, 1, 2]}, **{field: np.ones(3)})
    with pytest.raises(ValueError, match=r"shape \(3, 2\), but the block has shape \(2, 3\)"):
        lp.add_variables("p", coords={"gen": ["a", "b"], "time": [0, 1, 2]}, **{field: np.ones((3, 2))})
    assert lp.num_variables == 0  # nothing half-added


def test_term_shapes_must_match_or_raise():
    lp = LinearProgram()
    p = lp.add_variables("p", coords={"gen": ["a", "b"], "time": [0, 1, 2]})
    coords = {"time": [0, 1, 2]}
    with pytest.raises(ValueError, match=r"columns have shape \(2, 3\), but the block has shape \(3,\)"):
        lp.add_constraints("balance", coords=coords, terms=[(1.0, p.index)], sense="==", rhs=1.0)
    with pytest.raises(
        ValueError, match=r"coefficients have shape \(3,\) but the columns have shape \(3, 2\)"
    ):
        lp.add_constraints("balance", coords=coords, terms=[(np.ones(3), p.index.T)], sense="==", rhs=1.0)
    with pytest.raises(ValueError, match=r"rhs of constraint block 'balance' has shape \(2,\)"):
        lp.add_constraints("balance", coords=coords, terms=[(1.0, p.index.T)], sense="==", rhs=np.ones(2))
    with pytest.raises(TypeError, match="integer array"):
        lp.add_constraints(
            "balance", coords=coords, terms=[(1.0, p.index.T.astype(float))], sense="==", rhs=1
        )
    with pytest.raises(ValueError, match="column number 99 is out of range"):
        lp.add_constraints("balance", coords=coords, terms=[(1.0, np.array([0, 1, 99]))], sense="==", rhs=1)
    with pytest.raises(ValueError, match="sense must be one of"):
        lp.add_constraints("balance", coords=coords, terms=[(1.0, p.index.T)], sense="=", rhs=1.0)
    assert lp.num_constraints == 0


def test_invalid_values_and_names_raise():
    lp = LinearProgram()
    lp.add_variables("p", coords={"gen": ["a", "b"]})
    with pytest.raises(ValueError, match="already has a variable block named 'p'"):
        lp.add_variables("p", coords={"gen": ["a"]})
    with pytest.raises(ValueError, match=r"labels of 'gen' repeat: \['a'\]"):
        lp.add_variables("q", coords={"gen": ["a", "a"]})
    with pytest.raises(ValueError, match=r"1 NaN value\(s\), first at \{'gen': 'b'\}"):
        lp.add_variables("q", coords={"gen": ["a", "b"]}, upper=np.array([1.0, np.nan]))
    with pytest.raises(ValueError, match="lower bound of variable block 'q' is inf"):
        lp.add_variables("q", coords={"gen": ["a"]}, lower=np.inf)
    with pytest.raises(ValueError, match="must be finite"):
        lp.add_variables("q", coords={"gen": ["a"]}, cost=np.inf)
    x = lp.variables["p"]
    with pytest.raises(ValueError, match="NaN or infinite coefficients"):
        lp.add_constraints(
            "r", coords={"gen": ["a", "b"]}, terms=[(np.array([1, np.nan]), x.index)], sense="<=", rhs=1
        )
    with pytest.raises(ValueError, match=r"rhs of constraint block 'r' \(==\) is inf"):
        lp.add_constraints("r", coords={"gen": ["a", "b"]}, terms=[(1.0, x.index)], sense="==", rhs=np.inf)
    # an inactive "<=" row is allowed
    lp.add_constraints("r", coords={"gen": ["a", "b"]}, terms=[(1.0, x)], sense="<=", rhs=np.inf)
    with pytest.raises(ValueError, match="already has a constraint block named 'r'"):
        lp.add_variables("r", coords={})


def test_labelled_arrays_must_carry_the_block_dims_and_labels():
    xr = pytest.importorskip("xarray")
    lp = LinearProgram()
    coords = {"gen": ["a", "b"], "time": [0, 1]}
    swapped = xr.DataArray(np.ones((2, 2)), dims=("time", "gen"), coords={"time": [0, 1], "gen": ["a", "b"]})
    with pytest.raises(
        ValueError, match=r"has dims \('time', 'gen'\), but the block has dims \('gen', 'time'\)"
    ):
        lp.add_variables("p", coords=coords, upper=swapped)
    reordered = xr.DataArray(
        np.ones((2, 2)), dims=("gen", "time"), coords={"gen": ["b", "a"], "time": [0, 1]}
    )
    with pytest.raises(ValueError, match="labels of 'gen' differ"):
        lp.add_variables("p", coords=coords, upper=reordered)
    good = swapped.transpose("gen", "time") * np.array([[1.0, 2.0], [3.0, 4.0]])
    p = lp.add_variables("p", coords=coords, upper=good)
    np.testing.assert_array_equal(lp.col_upper[p.index.ravel()], [1.0, 2.0, 3.0, 4.0])


def test_pandas_values_must_carry_the_block_labels():
    lp = LinearProgram()
    coords = {"gen": ["a", "b"]}
    with pytest.raises(ValueError, match="pandas labels along 'gen' differ"):
        lp.add_variables("p", coords=coords, cost=pd.Series([1.0, 2.0], index=["b", "a"]))
    p = lp.add_variables("p", coords=coords, cost=pd.Series([1.0, 2.0], index=["a", "b"]))
    np.testing.assert_array_equal(lp.col_cost[p.index], [1.0, 2.0])
    frame = pd.DataFrame([[1.0, 2.0]], index=["a"], columns=[1, 0])
    with pytest.raises(ValueError, match="pandas labels along 'time' differ"):
        lp.add_variables("q", coords={"gen": ["a"], "time": [0, 1]}, upper=frame)


def test_map_back_rows_and_columns():
    lp = dispatch_lp()
    assert lp.describe_column(0) == ("capacity", {"tech": "solar"})
    assert lp.describe_column(5) == ("dispatch", {"tech": "gas", "time": TIME[1]})
    assert lp.describe_row(2) == ("balance", {"time": TIME[2]})
    assert lp.describe_row(4) == ("availability", {"tech": "solar", "time": TIME[1]})
    with pytest.raises(IndexError, match="row 6 is out of range"):
        lp.describe_row(6)

    located = lp.locate_rows(np.array([4, 0, 5, 2]))
    assert [loc.block for loc in located] == ["balance", "availability"]
    balance, availability = located
    np.testing.assert_array_equal(balance.selection, [1, 3])
    np.testing.assert_array_equal(balance.labels["time"], TIME[[0, 2]].to_numpy())
    np.testing.assert_array_equal(availability.selection, [0, 2])
    np.testing.assert_array_equal(availability.labels["tech"], ["solar", "solar"])
    np.testing.assert_array_equal(availability.labels["time"], TIME[[1, 2]].to_numpy())

    columns = lp.locate_columns(lp.variables["dispatch"].index[1])
    assert [loc.block for loc in columns] == ["dispatch"]
    np.testing.assert_array_equal(columns[0].labels["tech"], ["gas"] * 3)


def test_map_back_with_empty_and_scalar_blocks():
    lp = LinearProgram()
    lp.add_variables("empty", coords={"node": []})
    lp.add_variables("import", coords={})
    lp.add_variables("p", coords={"node": ["n1", "n2"]})
    assert lp.describe_column(0) == ("import", {})
    assert lp.describe_column(2) == ("p", {"node": "n2"})
    assert [loc.block for loc in lp.locate_columns(np.arange(3))] == ["import", "p"]


def test_block_values_from_full_vectors():
    lp = dispatch_lp()
    x = np.arange(7.0)
    np.testing.assert_array_equal(lp.variable_values("dispatch", x), [[1, 2, 3], [4, 5, 6]])
    np.testing.assert_array_equal(lp.constraint_duals("balance", np.arange(6.0)), [0, 1, 2])
    with pytest.raises(ValueError, match="expected a vector over all 7 columns"):
        lp.variable_values("dispatch", np.arange(6.0))
    with pytest.raises(ValueError, match="require_optimal"):
        lp.variable_values("dispatch", None)
    with pytest.raises(KeyError, match="no variable block 'dispach'"):
        lp.variable_values("dispach", x)


def test_updates_change_values_in_place_and_are_recorded():
    lp = dispatch_lp()
    version = lp._structure_version
    lp.update_rhs("balance", np.array([1.0, 2.0, 3.0]))
    lp.update_rhs("availability", 0.5)
    lp.update_bounds("dispatch", upper=np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]))
    lp.update_costs("capacity", 70.0)
    np.testing.assert_array_equal(lp.row_lower, [1, 2, 3, -np.inf, -np.inf, -np.inf])
    np.testing.assert_array_equal(lp.row_upper, [1, 2, 3, 0.5, 0.5, 0.5])
    np.testing.assert_array_equal(lp.col_upper, [np.inf, 1, 2, 3, 4, 5, 6])
    np.testing.assert_array_equal(lp.col_lower, np.zeros(7))
    assert lp.col_cost[0] == 70.0
    assert lp._changes == [
        ("row_bounds", "balance"),
        ("row_bounds", "availability"),
        ("col_bounds", "dispatch"),
        ("cost", "capacity"),
    ]
    assert lp._structure_version == version
    with pytest.raises(ValueError, match=r"has shape \(3,\), but the block has shape \(2, 3\)"):
        lp.update_bounds("dispatch", lower=np.zeros(3))


def test_check_numerics_names_the_blocks_out_of_range():
    lp = LinearProgram()
    capacity = lp.add_variables("capacity", coords={"tech": ["solar"]}, upper=1e8, cost=2e7)
    dispatch = lp.add_variables("dispatch", coords={"tech": ["solar"], "time": [0, 1]}, cost=1.0)
    cf = np.array([[0.5, 1e-5]])
    lp.add_constraints(
        "availability",
        coords={"tech": ["solar"], "time": [0, 1]},
        terms=[(1.0, dispatch.index), (-cf, np.broadcast_to(capacity.index[:, None], (1, 2)))],
        sense="<=",
        rhs=0.0,
    )
    lp.add_constraints(
        "demand", coords={"time": [0, 1]}, terms=[(1.0, dispatch.index.T)], sense=">=", rhs=5.0
    )
    report = check_numerics(lp)
    assert (report.matrix.low, report.matrix.high) == (1e-5, 1.0)
    assert report.matrix.low_block == "availability × capacity"
    assert (report.bounds.high, report.bounds.high_block) == (1e8, "capacity")
    assert (report.costs.low, report.costs.high, report.costs.high_block) == (1.0, 2e7, "capacity")
    assert (report.rhs.low, report.rhs.high) == (5.0, 5.0)
    assert not report.ok
    text = "\n".join(report.warnings)
    assert "matrix coefficients as small as 1e-05 in constraint block 'availability'" in text
    assert "clean_small_coefficients" in text
    assert "bounds as large as 1e+08 in variable block 'capacity'" in text
    assert "costs as large as 2e+07 in variable block 'capacity'" in text
    assert len(report.warnings) == 3
    assert "availability × capacity" in str(report)

    cleaned = clean_small_coefficients(cf)
    np.testing.assert_array_equal(cleaned, [[0.5, 0.0]])
    np.testing.assert_array_equal(cf, [[0.5, 1e-5]])  # input unchanged
    lp2 = LinearProgram()
    lp2.add_variables("x", coords={}, upper=10.0, cost=1.0)
    assert check_numerics(lp2).ok
    assert check_numerics(lp2).matrix is None


def test_clean_small_coefficients_keeps_labels_and_nan():
    xr = pytest.importorskip("xarray")
    cf = xr.DataArray([0.2, 5e-4, np.nan, -1e-4], dims="time", coords={"time": [0, 1, 2, 3]})
    cleaned = clean_small_coefficients(cf)
    assert isinstance(cleaned, xr.DataArray)
    np.testing.assert_array_equal(cleaned.values, [0.2, 0.0, np.nan, 0.0])
    np.testing.assert_array_equal(cleaned["time"], [0, 1, 2, 3])
    assert cf.values[1] == 5e-4
