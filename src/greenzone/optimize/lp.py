"""A small sparse linear program made of named, labelled blocks.

The planner's LP is written as *blocks*: a variable block is an n-dimensional array of columns with labelled
dimensions (e.g. ``dispatch`` over ``node × tech × time``), a constraint block an n-dimensional array of rows
(e.g. ``balance`` over ``node × time``). Formulation code gets each variable block's column numbers as an
integer array of the block's shape (:attr:`VariableBlock.index`) and writes constraints with numpy index
arithmetic; :class:`LinearProgram` turns them into one sparse matrix, and maps every row and column back to
``(block name, {dim: label})``.

The problem is always a minimisation::

    minimise    c @ x + constant
    subject to  row_lower <= A @ x <= row_upper
                col_lower <=   x   <= col_upper

A constraint block's sense sets its row bounds: ``"<="`` gives ``(-inf, rhs]``, ``">="`` gives
``[rhs, +inf)`` and ``"=="`` gives ``[rhs, rhs]``.

Shapes must match exactly or raise: arrays are never broadcast against a block, except scalars. Labelled
arrays (anything with ``dims`` and ``coords``, such as an ``xarray.DataArray``) must also carry the block's
dimensions in the block's order and the block's labels. Row and column numbers stay inside
``greenzone.optimize``.

Sign convention of duals (see :mod:`greenzone.optimize.solve`): the dual of a row is the change of the
optimal objective per unit increase of its right-hand side. For a minimisation, the dual of an ``==``
balance row ``generation - ... == demand`` is the marginal cost of one more unit of demand, positive when
more demand costs more.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Literal

import numpy as np
import pandas as pd
import scipy.sparse as sp

__all__ = [
    "SENSES",
    "ConstraintBlock",
    "LinearProgram",
    "Located",
    "Sense",
    "Term",
    "VariableBlock",
]

Sense = Literal["<=", ">=", "=="]
SENSES: tuple[str, ...] = ("<=", ">=", "==")


class _Block:
    """Common part of variable and constraint blocks: a name, labelled dimensions and an offset."""

    kind = "block"

    __slots__ = ("_coords", "_index", "_name", "_offset", "_shape", "_size")

    def __init__(self, name: str, coords: dict[str, pd.Index], offset: int) -> None:
        self._name = name
        self._coords = coords
        self._shape = tuple(len(labels) for labels in coords.values())
        self._size = int(np.prod(self._shape, dtype=np.int64))
        self._offset = int(offset)
        self._index: np.ndarray | None = None

    @property
    def name(self) -> str:
        """The block's name, unique within its :class:`LinearProgram`."""
        return self._name

    @property
    def dims(self) -> tuple[str, ...]:
        """Names of the block's dimensions, in order."""
        return tuple(self._coords)

    @property
    def coords(self) -> Mapping[str, pd.Index]:
        """Labels of each dimension (read-only mapping of dimension name to :class:`pandas.Index`)."""
        return MappingProxyType(self._coords)

    @property
    def shape(self) -> tuple[int, ...]:
        """Shape of the block: the number of labels of each dimension."""
        return self._shape

    @property
    def size(self) -> int:
        """Number of columns (variables) or rows (constraints) in the block."""
        return self._size

    @property
    def offset(self) -> int:
        """Number of the block's first column or row in the whole LP."""
        return self._offset

    @property
    def index(self) -> np.ndarray:
        """Column (or row) numbers of the block's elements: a read-only int64 array of the block's shape."""
        if self._index is None:
            index = np.arange(self._offset, self._offset + self._size, dtype=np.int64).reshape(self._shape)
            index.flags.writeable = False
            self._index = index
        return self._index

    def position(self, dim: str, label: Any) -> int:
        """Position of one label along a dimension.

        Parameters
        ----------
        dim : str
            Dimension name.
        label : Any
            One label of that dimension.

        Returns
        -------
        int
            Its position, to index :attr:`index` or value arrays with.

        Raises
        ------
        KeyError
            If the block has no such dimension or label.
        """
        return int(self.positions(dim, [label])[0])

    def positions(self, dim: str, labels: Sequence[Any]) -> np.ndarray:
        """Positions of several labels along a dimension (see :meth:`position`)."""
        if dim not in self._coords:
            raise KeyError(
                f"{self.kind} block {self._name!r} has no dimension {dim!r}; its dims are {self.dims}"
            )
        index = self._coords[dim]
        found = index.get_indexer(pd.Index(list(labels)))
        if (found < 0).any():
            missing = [label for label, pos in zip(labels, found, strict=True) if pos < 0]
            raise KeyError(
                f"{self.kind} block {self._name!r} has no label {missing[0]!r} along {dim!r} "
                f"(missing: {missing[:5]}); its labels are {list(index[:10])}"
                + (" ..." if len(index) > 10 else "")
            )
        return found.astype(np.int64)

    def labels_at(self, positions: np.ndarray) -> dict[str, np.ndarray]:
        """Labels of flat positions inside the block.

        Parameters
        ----------
        positions : numpy.ndarray
            Flat (C-order) positions, ``0 <= positions < size``.

        Returns
        -------
        dict of str to numpy.ndarray
            For each dimension, the label of each position.
        """
        positions = np.asarray(positions, dtype=np.int64)
        multi = np.unravel_index(positions, self._shape) if self._shape else ()
        return {
            dim: labels.take(pos).to_numpy()
            for (dim, labels), pos in zip(self._coords.items(), multi, strict=True)
        }

    def _describe_flat(self, position: int) -> dict[str, Any]:
        multi = np.unravel_index(position, self._shape) if self._shape else ()
        return {dim: labels[int(pos)] for (dim, labels), pos in zip(self._coords.items(), multi, strict=True)}

    def __repr__(self) -> str:
        dims = ", ".join(f"{dim}: {n}" for dim, n in zip(self.dims, self._shape, strict=True))
        return f"{type(self).__name__}({self._name!r}, {{{dims}}}, offset={self._offset})"


class VariableBlock(_Block):
    """A named, labelled block of LP columns; :attr:`index` gives their column numbers."""

    kind = "variable"
    __slots__ = ()


#: One term of a constraint block: ``(coefficient, columns)``. ``columns`` is an integer array of column
#: numbers (usually built from :attr:`VariableBlock.index`) or a :class:`VariableBlock` itself;
#: ``coefficient`` a scalar or a float array of exactly the shape of ``columns``.
Term = tuple[float | np.ndarray, np.ndarray | VariableBlock]


class ConstraintBlock(_Block):
    """A named, labelled block of LP rows with one sense (``"<="``, ``">="`` or ``"=="``)."""

    kind = "constraint"
    __slots__ = ("_sense",)

    def __init__(self, name: str, coords: dict[str, pd.Index], offset: int, sense: Sense) -> None:
        super().__init__(name, coords, offset)
        self._sense = sense

    @property
    def sense(self) -> Sense:
        """``"<="``, ``">="`` or ``"=="``."""
        return self._sense


@dataclass(frozen=True, eq=False)
class Located:
    """The part of a set of rows or columns that falls in one block.

    Attributes
    ----------
    block : str
        The block's name.
    selection : numpy.ndarray
        Positions, in the query, of the rows or columns that fall in this block.
    labels : dict of str to numpy.ndarray
        For each of the block's dimensions, the label of each selected row or column (aligned with
        ``selection``).
    """

    block: str
    selection: np.ndarray
    labels: dict[str, np.ndarray]


class LinearProgram:
    """A sparse minimisation LP built from named variable and constraint blocks.

    Examples
    --------
    Two generators meeting a demand of 8 MW in each of two hours::

        lp = LinearProgram()
        p = lp.add_variables("dispatch", coords={"gen": ["a", "b"], "time": [0, 1]},
                             upper=[[5.0, 5.0], [np.inf, np.inf]], cost=[[10.0, 10.0], [30.0, 30.0]])
        lp.add_constraints("balance", coords={"time": [0, 1]},
                           terms=[(1.0, p.index.T)], sense="==", rhs=8.0)

    ``p.index.T`` has shape ``(time, gen)``: a trailing axis is summed, so each row is
    ``dispatch[a, t] + dispatch[b, t] == 8``.
    """

    def __init__(self) -> None:
        self._variables: dict[str, VariableBlock] = {}
        self._constraints: dict[str, ConstraintBlock] = {}
        self._col_lower = np.zeros(0)
        self._col_upper = np.zeros(0)
        self._col_cost = np.zeros(0)
        self._row_lower = np.zeros(0)
        self._row_upper = np.zeros(0)
        self._objective_constant = 0.0
        self._triplets: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self._matrix: sp.csr_matrix | None = None
        self._col_starts = np.zeros(0, dtype=np.int64)
        self._row_starts = np.zeros(0, dtype=np.int64)
        # Bookkeeping for the solve layer: structural changes force a new HiGHS model, value changes are
        # pushed into a live one (see greenzone.optimize.solve.PersistentSolver).
        self._structure_version = 0
        self._changes: list[tuple[str, str]] = []

    # ------------------------------------------------------------------------------------------ building
    def add_variables(
        self,
        name: str,
        *,
        coords: Mapping[str, Sequence[Any]],
        lower: float | np.ndarray = 0.0,
        upper: float | np.ndarray = np.inf,
        cost: float | np.ndarray = 0.0,
    ) -> VariableBlock:
        """Add a block of variables (columns).

        Parameters
        ----------
        name : str
            Block name, unique in the LP (e.g. ``"dispatch"``).
        coords : mapping of str to sequence
            Ordered dimensions and their unique labels, e.g.
            ``{"node": [...], "tech": [...], "time": pandas.DatetimeIndex}``; ``{}`` gives one variable.
        lower, upper : float or numpy.ndarray
            Bounds, in the variable's unit (e.g. [MW]); a scalar or an array of exactly the block's shape.
            ``-numpy.inf`` / ``numpy.inf`` mean unbounded.
        cost : float or numpy.ndarray
            Objective coefficient per unit of the variable (e.g. [USD/MWh]); a scalar or an array of exactly
            the block's shape.

        Returns
        -------
        VariableBlock
            The block, whose :attr:`~VariableBlock.index` gives its column numbers.

        Raises
        ------
        ValueError
            If the name is taken, labels repeat, a value's shape differs from the block's, a value is NaN,
            ``lower`` is ``+inf`` or ``upper`` is ``-inf``.
        """
        dims = self._check_new_name(name, coords)
        block = VariableBlock(name, dims, offset=self.num_variables)
        lower_arr = _values(lower, block, "lower")
        upper_arr = _values(upper, block, "upper")
        cost_arr = _values(cost, block, "cost")
        _check_bounds(block, lower_arr, upper_arr)
        _check_finite(block, cost_arr, "cost")
        self._variables[name] = block
        self._col_lower = np.concatenate([self._col_lower, lower_arr])
        self._col_upper = np.concatenate([self._col_upper, upper_arr])
        self._col_cost = np.concatenate([self._col_cost, cost_arr])
        self._col_starts = np.array([b.offset for b in self._variables.values()], dtype=np.int64)
        self._structure_changed()
        return block

    def add_constraints(
        self,
        name: str,
        *,
        coords: Mapping[str, Sequence[Any]],
        terms: Iterable[Term],
        sense: Sense,
        rhs: float | np.ndarray,
    ) -> ConstraintBlock:
        """Add a block of constraints (rows): ``Σ_terms coefficient · x[columns]  sense  rhs``.

        Parameters
        ----------
        name : str
            Block name, unique in the LP (e.g. ``"balance"``).
        coords : mapping of str to sequence
            Ordered dimensions of the rows and their unique labels; ``{}`` gives one row.
        terms : iterable of (coefficient, columns)
            Each ``columns`` is an integer array of column numbers (or a :class:`VariableBlock`, meaning its
            whole :attr:`~VariableBlock.index`) of one of two shapes:

            * exactly the block's shape: one entry per row, ``coefficient · x[columns[row]]``;
            * the block's shape plus one trailing axis of length k: that axis is summed, giving k entries
              per row, ``Σ_k coefficient[row, k] · x[columns[row, k]]`` (e.g. ``Σ_t w_t p_{g,t}`` with
              columns of shape ``(g, t)`` for a block over ``g``).

            ``coefficient`` is a scalar or a float array of exactly the shape of ``columns``. Entries for the
            same (row, column) are summed; zero coefficients are dropped.
        sense : {"<=", ">=", "=="}
            Sense of every row of the block.
        rhs : float or numpy.ndarray
            Right-hand side, a scalar or an array of exactly the block's shape. It must be finite for
            ``"=="``; ``+inf`` is allowed for ``"<="`` (and ``-inf`` for ``">="``), making a row inactive.

        Returns
        -------
        ConstraintBlock

        Raises
        ------
        ValueError
            If the name is taken, a shape differs from the ones above, a column number is out of range, or a
            coefficient or right-hand side is NaN or infinite where it must not be.
        TypeError
            If column numbers are not integers.
        """
        if sense not in SENSES:
            raise ValueError(f"constraint block {name!r}: sense must be one of {SENSES}, got {sense!r}")
        dims = self._check_new_name(name, coords)
        block = ConstraintBlock(name, dims, offset=self.num_constraints, sense=sense)
        rhs_arr = _values(rhs, block, "rhs")
        _check_rhs(block, rhs_arr)
        row_lower, row_upper = _row_bounds(sense, rhs_arr)
        rows_all, cols_all, vals_all = [], [], []
        for k, term in enumerate(terms):
            rows, cols, vals = self._term_triplets(block, k, term)
            rows_all.append(rows)
            cols_all.append(cols)
            vals_all.append(vals)
        if rows_all:
            self._triplets.append(
                (np.concatenate(rows_all), np.concatenate(cols_all), np.concatenate(vals_all))
            )
        self._constraints[name] = block
        self._row_lower = np.concatenate([self._row_lower, row_lower])
        self._row_upper = np.concatenate([self._row_upper, row_upper])
        self._row_starts = np.array([b.offset for b in self._constraints.values()], dtype=np.int64)
        self._structure_changed()
        return block

    def add_terms(self, block_name: str, terms: Iterable[Term]) -> None:
        """Add terms to the rows of an existing constraint block (e.g. a slack column for diagnosis, or a user's
        own variable in the nodal balance). Shapes follow :meth:`add_constraints`."""
        block = self.constraint_block(block_name)
        for k, term in enumerate(terms):
            rows, cols, vals = self._term_triplets(block, k, term)
            self._triplets.append((rows, cols, vals))
        self._structure_changed()

    def set_objective_constant(self, constant: float) -> None:
        """Set the constant added to the objective (e.g. [USD/yr] of costs no decision changes)."""
        constant = float(constant)
        if not np.isfinite(constant):
            raise ValueError(f"the objective constant must be finite, got {constant}")
        self._objective_constant = constant
        self._changes.append(("objective_constant", ""))

    def _check_new_name(self, name: str, coords: Mapping[str, Sequence[Any]]) -> dict[str, pd.Index]:
        if not isinstance(name, str) or not name:
            raise ValueError(f"a block name must be a non-empty string, got {name!r}")
        if name in self._variables or name in self._constraints:
            kind = "variable" if name in self._variables else "constraint"
            raise ValueError(f"the LP already has a {kind} block named {name!r}; block names must be unique")
        return _normalise_coords(name, coords)

    def _term_triplets(
        self, block: ConstraintBlock, k: int, term: Term
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        where = f"constraint block {block.name!r}, term {k}"
        try:
            coef, cols = term
        except (TypeError, ValueError):
            raise TypeError(f"{where}: a term must be a (coefficient, columns) pair, got {term!r}") from None
        if isinstance(cols, ConstraintBlock):
            raise TypeError(
                f"{where}: columns must be a VariableBlock or column numbers, not a ConstraintBlock"
            )
        cols = cols.index if isinstance(cols, VariableBlock) else np.asarray(cols)
        if cols.dtype.kind not in "iu":
            raise TypeError(
                f"{where}: column numbers must be an integer array (from VariableBlock.index), got dtype "
                f"{cols.dtype}"
            )
        shape = block.shape
        if cols.shape == shape:
            per_row = 1
        elif cols.ndim == len(shape) + 1 and cols.shape[:-1] == shape:
            per_row = cols.shape[-1]
        else:
            raise ValueError(
                f"{where}: columns have shape {cols.shape}, but the block has shape {shape} (dims "
                f"{block.dims}); use exactly {shape}, or {shape + ('k',)} to sum over a trailing axis. "
                "Arrays are not broadcast: reorder axes with .transpose() or expand them with "
                "numpy.broadcast_to() explicitly."
            )
        coef_arr = np.asarray(coef, dtype=float)
        if coef_arr.ndim == 0:
            coef_arr = np.full(cols.shape, float(coef_arr))
        elif coef_arr.shape != cols.shape:
            raise ValueError(
                f"{where}: coefficients have shape {coef_arr.shape} but the columns have shape {cols.shape}; "
                "pass a scalar or an array of exactly the columns' shape (no broadcasting)"
            )
        if cols.size:
            low, high = int(cols.min()), int(cols.max())
            if low < 0 or high >= self.num_variables:
                bad = low if low < 0 else high
                raise ValueError(
                    f"{where}: column number {bad} is out of range (the LP has {self.num_variables} "
                    "columns); build column numbers from VariableBlock.index"
                )
        if not np.isfinite(coef_arr).all():
            bad = np.flatnonzero(~np.isfinite(coef_arr.reshape(-1, per_row)).all(axis=1))
            raise ValueError(
                f"{where}: {bad.size} row(s) have NaN or infinite coefficients, first at "
                f"{block._describe_flat(int(bad[0]))}"
            )
        # int32 triplets (HiGHS indexes with 32-bit ints anyway): a third less model memory than int64
        index_type = (
            np.int32 if self.num_variables < 2**31 and block.offset + block.size < 2**31 else np.int64
        )
        rows = np.repeat(block.index.ravel().astype(index_type), per_row)
        return rows, cols.ravel().astype(index_type), coef_arr.ravel()

    def _structure_changed(self) -> None:
        self._matrix = None
        self._structure_version += 1

    # ---------------------------------------------------------------------------------------- in place
    def update_bounds(
        self,
        block_name: str,
        lower: float | np.ndarray | None = None,
        upper: float | np.ndarray | None = None,
    ) -> None:
        """Change the bounds of a variable block in place (e.g. for the next rolling-horizon window).

        Parameters
        ----------
        block_name : str
            Name of a variable block.
        lower, upper : float or numpy.ndarray, optional
            New bounds, a scalar or an array of exactly the block's shape; ``None`` keeps the old ones.
        """
        block = self.variable_block(block_name)
        sl = slice(block.offset, block.offset + block.size)
        lower_arr = self._col_lower[sl] if lower is None else _values(lower, block, "lower")
        upper_arr = self._col_upper[sl] if upper is None else _values(upper, block, "upper")
        _check_bounds(block, lower_arr, upper_arr)
        self._col_lower[sl] = lower_arr
        self._col_upper[sl] = upper_arr
        self._changes.append(("col_bounds", block_name))

    def update_costs(self, block_name: str, cost: float | np.ndarray) -> None:
        """Change the objective coefficients of a variable block in place (scalar or the block's shape)."""
        block = self.variable_block(block_name)
        cost_arr = _values(cost, block, "cost")
        _check_finite(block, cost_arr, "cost")
        self._col_cost[block.offset : block.offset + block.size] = cost_arr
        self._changes.append(("cost", block_name))

    def update_rhs(self, block_name: str, rhs: float | np.ndarray) -> None:
        """Change the right-hand side of a constraint block in place, keeping its sense.

        Parameters
        ----------
        block_name : str
            Name of a constraint block.
        rhs : float or numpy.ndarray
            New right-hand side, a scalar or an array of exactly the block's shape.
        """
        block = self.constraint_block(block_name)
        rhs_arr = _values(rhs, block, "rhs")
        _check_rhs(block, rhs_arr)
        lower, upper = _row_bounds(block.sense, rhs_arr)
        sl = slice(block.offset, block.offset + block.size)
        self._row_lower[sl] = lower
        self._row_upper[sl] = upper
        self._changes.append(("row_bounds", block_name))

    # ------------------------------------------------------------------------------------------- access
    @property
    def num_variables(self) -> int:
        """Number of columns."""
        return int(self._col_cost.size)

    @property
    def num_constraints(self) -> int:
        """Number of rows."""
        return int(self._row_lower.size)

    @property
    def num_nonzeros(self) -> int:
        """Number of non-zero matrix coefficients (after summing duplicates)."""
        return int(self.matrix.nnz)

    @property
    def variables(self) -> Mapping[str, VariableBlock]:
        """Variable blocks by name, in column order."""
        return MappingProxyType(self._variables)

    @property
    def constraints(self) -> Mapping[str, ConstraintBlock]:
        """Constraint blocks by name, in row order."""
        return MappingProxyType(self._constraints)

    def variable_block(self, name: str) -> VariableBlock:
        """The variable block called ``name`` (``KeyError`` naming the known blocks if none)."""
        try:
            return self._variables[name]
        except KeyError:
            raise KeyError(f"no variable block {name!r}; the LP has {list(self._variables)}") from None

    def constraint_block(self, name: str) -> ConstraintBlock:
        """The constraint block called ``name`` (``KeyError`` naming the known blocks if none)."""
        try:
            return self._constraints[name]
        except KeyError:
            raise KeyError(f"no constraint block {name!r}; the LP has {list(self._constraints)}") from None

    @property
    def col_lower(self) -> np.ndarray:
        """Lower bounds of all columns (read-only view; change them with :meth:`update_bounds`)."""
        return _readonly(self._col_lower)

    @property
    def col_upper(self) -> np.ndarray:
        """Upper bounds of all columns (read-only view)."""
        return _readonly(self._col_upper)

    @property
    def col_cost(self) -> np.ndarray:
        """Objective coefficients of all columns (read-only view)."""
        return _readonly(self._col_cost)

    @property
    def row_lower(self) -> np.ndarray:
        """Lower bounds of all rows, ``-inf`` for ``"<="`` rows (read-only view)."""
        return _readonly(self._row_lower)

    @property
    def row_upper(self) -> np.ndarray:
        """Upper bounds of all rows, ``+inf`` for ``">="`` rows (read-only view)."""
        return _readonly(self._row_upper)

    @property
    def objective_constant(self) -> float:
        """Constant term of the objective."""
        return self._objective_constant

    @property
    def matrix(self) -> sp.csr_matrix:
        """The constraint matrix A, ``num_constraints × num_variables``, built once and cached (CSR)."""
        if self._matrix is None:
            if self._triplets:
                rows = np.concatenate([t[0] for t in self._triplets])
                cols = np.concatenate([t[1] for t in self._triplets])
                vals = np.concatenate([t[2] for t in self._triplets])
            else:
                rows = cols = np.zeros(0, dtype=np.int64)
                vals = np.zeros(0)
            shape = (self.num_constraints, self.num_variables)
            matrix = sp.coo_matrix((vals, (rows, cols)), shape=shape).tocsr()  # sums duplicates
            matrix.eliminate_zeros()
            matrix.sort_indices()
            self._matrix = matrix
        return self._matrix

    def to_csr(self) -> sp.csr_matrix:
        """The constraint matrix in CSR form (the cached :attr:`matrix`)."""
        return self.matrix

    def to_csc(self) -> sp.csc_matrix:
        """The constraint matrix in CSC form, as HiGHS stores it."""
        return self.matrix.tocsc()

    # ---------------------------------------------------------------------------------------- map back
    def describe_column(self, j: int) -> tuple[str, dict[str, Any]]:
        """Block name and labels of column ``j``, e.g. ``("dispatch", {"node": "a", "time": ...})``."""
        block, position = self._one(self._variables, self._col_starts, j, self.num_variables, "column")
        return block.name, block._describe_flat(position)

    def describe_row(self, i: int) -> tuple[str, dict[str, Any]]:
        """Block name and labels of row ``i``, e.g. ``("balance", {"node": "a", "time": ...})``."""
        block, position = self._one(self._constraints, self._row_starts, i, self.num_constraints, "row")
        return block.name, block._describe_flat(position)

    def locate_columns(self, columns: np.ndarray) -> list[Located]:
        """Block and labels of many columns at once, grouped by block (in column order).

        Parameters
        ----------
        columns : numpy.ndarray
            Column numbers (any shape; flattened).

        Returns
        -------
        list of Located
            One entry per block that holds at least one of the columns.
        """
        return _locate(self._variables, self._col_starts, columns, self.num_variables, "column")

    def locate_rows(self, rows: np.ndarray) -> list[Located]:
        """Block and labels of many rows at once, grouped by block (see :meth:`locate_columns`)."""
        return _locate(self._constraints, self._row_starts, rows, self.num_constraints, "row")

    def variable_values(self, name: str, x: np.ndarray | None) -> np.ndarray:
        """Values of one variable block, shaped like the block, from a vector over all columns.

        Parameters
        ----------
        name : str
            Variable block name.
        x : numpy.ndarray
            A vector of length :attr:`num_variables`: the primal solution, or the reduced costs.

        Returns
        -------
        numpy.ndarray
            A copy, of the block's shape.
        """
        return _block_slice(self.variable_block(name), x, self.num_variables, "columns")

    def constraint_duals(self, name: str, y: np.ndarray | None) -> np.ndarray:
        """Row duals of one constraint block, shaped like the block, from a vector over all rows.

        Parameters
        ----------
        name : str
            Constraint block name.
        y : numpy.ndarray
            A vector of length :attr:`num_constraints` (the row duals of a solution).

        Returns
        -------
        numpy.ndarray
            A copy, of the block's shape: the change of the optimal objective per unit increase of each
            row's right-hand side (e.g. [USD/MWh] for a balance in [MW] with costs in [USD/MWh]).
        """
        return _block_slice(self.constraint_block(name), y, self.num_constraints, "rows")

    @staticmethod
    def _one(blocks: Mapping[str, _Block], starts: np.ndarray, k: int, total: int, what: str):
        k = int(k)
        if not 0 <= k < total:
            raise IndexError(f"{what} {k} is out of range: the LP has {total} {what}s")
        b = int(np.searchsorted(starts, k, side="right")) - 1
        block = list(blocks.values())[b]
        return block, k - block.offset

    def __repr__(self) -> str:
        return (
            f"LinearProgram({len(self._variables)} variable blocks, {self.num_variables} columns; "
            f"{len(self._constraints)} constraint blocks, {self.num_constraints} rows)"
        )


# ---------------------------------------------------------------------------------------------- helpers
def _normalise_coords(name: str, coords: Mapping[str, Sequence[Any]]) -> dict[str, pd.Index]:
    if not isinstance(coords, Mapping):
        raise TypeError(
            f"block {name!r}: coords must be a mapping of dimension name to labels, got {coords!r}"
        )
    out: dict[str, pd.Index] = {}
    for dim, labels in coords.items():
        if not isinstance(dim, str) or not dim:
            raise ValueError(f"block {name!r}: dimension names must be non-empty strings, got {dim!r}")
        if isinstance(labels, (str, bytes)) or not hasattr(labels, "__len__"):
            raise TypeError(f"block {name!r}: labels of {dim!r} must be a sequence, got {labels!r}")
        index = labels.copy() if isinstance(labels, pd.Index) else pd.Index(list(labels))
        if index.nlevels != 1:
            raise ValueError(f"block {name!r}: labels of {dim!r} must be one-level, not a MultiIndex")
        if not index.is_unique:
            repeated = list(index[index.duplicated()].unique()[:5])
            raise ValueError(f"block {name!r}: labels of {dim!r} repeat: {repeated}")
        out[dim] = index
    return out


def _values(value: Any, block: _Block, what: str) -> np.ndarray:
    """A scalar or an array of exactly the block's shape, as a fresh flat float64 array."""
    _check_labelled(value, block, what)
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError) as err:
        raise TypeError(f"{what} of {block.kind} block {block.name!r} must be numeric: {err}") from None
    if arr.ndim == 0:
        return np.full(block.size, float(arr))
    if arr.shape != block.shape:
        raise ValueError(
            f"{what} of {block.kind} block {block.name!r} has shape {arr.shape}, but the block has shape "
            f"{block.shape} (dims {block.dims}); pass a scalar or an array of exactly the block's shape "
            "(arrays are not broadcast)"
        )
    out = np.array(arr, dtype=float).ravel()
    if np.isnan(out).any():
        first = int(np.flatnonzero(np.isnan(out))[0])
        raise ValueError(
            f"{what} of {block.kind} block {block.name!r} has {int(np.isnan(out).sum())} NaN value(s), "
            f"first at {block._describe_flat(first)}"
        )
    return out


def _check_labelled(value: Any, block: _Block, what: str) -> None:
    """Refuse labelled arrays whose dims or labels differ from the block's: no silent alignment.

    xarray objects must have the block's dims in its order and, where they carry coordinates, its labels;
    a pandas Series (DataFrame) must be indexed (and have columns) by the block's first (and second) labels.
    """
    if isinstance(value, (pd.Series, pd.DataFrame)):
        axes = [value.index] if isinstance(value, pd.Series) else [value.index, value.columns]
        if len(axes) != len(block.dims):
            return  # the shape check that follows refuses it
        for dim, axis in zip(block.dims, axes, strict=True):
            if not axis.equals(block.coords[dim]):
                raise ValueError(
                    f"{what} of {block.kind} block {block.name!r}: the pandas labels along {dim!r} differ from "
                    "the block's (order included); reindex it to the block's labels first"
                )
        return
    dims = getattr(value, "dims", None)
    coords = getattr(value, "coords", None)
    if dims is None or coords is None or isinstance(value, np.ndarray):
        return
    dims = tuple(dims)
    if dims == () and np.ndim(value) == 0:
        return
    if dims != block.dims:
        raise ValueError(
            f"{what} of {block.kind} block {block.name!r} has dims {dims}, but the block has dims "
            f"{block.dims}; transpose or rename it first (arrays are never aligned silently)"
        )
    for dim in dims:
        if dim in coords and not pd.Index(np.asarray(coords[dim])).equals(block.coords[dim]):
            raise ValueError(
                f"{what} of {block.kind} block {block.name!r}: labels of {dim!r} differ from the block's "
                "(order included); select or reindex it to the block's labels first"
            )


def _check_finite(block: _Block, arr: np.ndarray, what: str) -> None:
    bad = ~np.isfinite(arr)
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"{what} of {block.kind} block {block.name!r} must be finite; {int(bad.sum())} value(s) are not, "
            f"first at {block._describe_flat(first)}"
        )


def _check_bounds(block: _Block, lower: np.ndarray, upper: np.ndarray) -> None:
    for arr, bad_value, what in ((lower, np.inf, "lower"), (upper, -np.inf, "upper")):
        bad = arr == bad_value
        if bad.any():
            first = int(np.flatnonzero(bad)[0])
            raise ValueError(
                f"{what} bound of variable block {block.name!r} is {bad_value} at "
                f"{block._describe_flat(first)}; no value can satisfy it"
            )


def _check_rhs(block: ConstraintBlock, rhs: np.ndarray) -> None:
    forbidden = {"==": np.isinf(rhs), "<=": rhs == -np.inf, ">=": rhs == np.inf}[block.sense]
    if forbidden.any():
        first = int(np.flatnonzero(forbidden)[0])
        raise ValueError(
            f"rhs of constraint block {block.name!r} ({block.sense}) is {rhs[first]} at "
            f"{block._describe_flat(first)}; no value can satisfy it"
        )


def _row_bounds(sense: str, rhs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if sense == "<=":
        return np.full(rhs.size, -np.inf), rhs.copy()
    if sense == ">=":
        return rhs.copy(), np.full(rhs.size, np.inf)
    return rhs.copy(), rhs.copy()


def _readonly(arr: np.ndarray) -> np.ndarray:
    view = arr.view()
    view.flags.writeable = False
    return view


def _block_slice(block: _Block, vector: np.ndarray | None, total: int, what: str) -> np.ndarray:
    if vector is None:
        raise ValueError(
            f"no values for {block.kind} block {block.name!r}: the vector is None, so the solve did not reach "
            "an optimum; check the solution with greenzone.optimize.solve.require_optimal first"
        )
    vector = np.asarray(vector)
    if vector.shape != (total,):
        raise ValueError(
            f"expected a vector over all {total} {what} of the LP, got shape {vector.shape}; was it solved "
            "from another LP?"
        )
    return np.array(vector[block.offset : block.offset + block.size]).reshape(block.shape)


def _locate(
    blocks: Mapping[str, _Block], starts: np.ndarray, numbers: np.ndarray, total: int, what: str
) -> list[Located]:
    numbers = np.asarray(numbers)
    if numbers.size and numbers.dtype.kind not in "iu":
        raise TypeError(f"{what} numbers must be integers, got dtype {numbers.dtype}")
    flat = numbers.ravel().astype(np.int64)
    if flat.size and (flat.min() < 0 or flat.max() >= total):
        bad = int(flat.min()) if flat.min() < 0 else int(flat.max())
        raise IndexError(f"{what} {bad} is out of range: the LP has {total} {what}s")
    which = np.searchsorted(starts, flat, side="right") - 1
    block_list = list(blocks.values())
    out = []
    for b in np.unique(which):
        selection = np.flatnonzero(which == b)
        block = block_list[int(b)]
        out.append(Located(block.name, selection, block.labels_at(flat[selection] - block.offset)))
    return out
