"""One investment period's part of a pathway LP: the single-year blocks under the period's name.

A pathway LP holds every period's blocks in one :class:`~greenzone.optimize.lp.LinearProgram`; the
``define_*`` functions of the single-year formulation build each period's share through a
:class:`PeriodView`, which files every block they add as ``"<period>/<name>"`` (``2030/dispatch``) and reads
them back by their plain names, so the same functions, and :func:`greenzone.planning.plan_dataset`, work on
one period of a pathway unchanged. In a stochastic pathway a later period of scenario s is filed under
``"<s>/<period>/<name>"`` (``slow/2035/dispatch``); the first period, shared by every scenario, has no
scenario level.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from greenzone.optimize.lp import ConstraintBlock, LinearProgram, VariableBlock


class PeriodView:
    """The blocks of one period of a shared LP, named without the period (see this module's docstring).

    Parameters
    ----------
    lp : the shared pathway LP.
    period : the period's first year; its blocks are named ``f"{period}/{name}"``.
    scenario : the scenario of a stochastic pathway's later period (blocks ``f"{scenario}/{period}/{name}"``);
        None for a deterministic pathway's periods and the shared first period.
    """

    def __init__(self, lp: LinearProgram, period: int, scenario: str | None = None) -> None:
        self.lp = lp
        self.period = int(period)
        self.scenario = scenario
        self._prefix = f"{self.period}/" if scenario is None else f"{scenario}/{self.period}/"
        self._variables: dict[str, VariableBlock] = {}
        self._constraints: dict[str, ConstraintBlock] = {}

    def _name(self, name: str) -> str:
        return self._prefix + name

    def add_variables(self, name: str, **kwargs: Any) -> VariableBlock:
        """:meth:`LinearProgram.add_variables` under the period's name."""
        block = self.lp.add_variables(self._name(name), **kwargs)
        self._variables[name] = block
        return block

    def add_constraints(self, name: str, **kwargs: Any) -> ConstraintBlock:
        """:meth:`LinearProgram.add_constraints` under the period's name."""
        block = self.lp.add_constraints(self._name(name), **kwargs)
        self._constraints[name] = block
        return block

    def set_objective_constant(self, constant: float) -> None:
        """Refused unless 0: a period has no constant of its own (the pathway LP carries one)."""
        if constant != 0.0:
            raise ValueError(
                "a pathway period has no objective constant of its own; set it on the pathway LP"
            )

    def scale_costs(self, factor: float) -> None:
        """Multiply the objective coefficient of every variable of the period by ``factor`` (its discounted
        years, [yr])."""
        for name, block in self._variables.items():
            cost = self.lp.col_cost[block.offset : block.offset + block.size].reshape(block.shape)
            self.lp.update_costs(self._name(name), cost * factor)

    @property
    def variables(self) -> Mapping[str, VariableBlock]:
        """The period's variable blocks by plain name."""
        return dict(self._variables)

    @property
    def constraints(self) -> Mapping[str, ConstraintBlock]:
        """The period's constraint blocks by plain name."""
        return dict(self._constraints)

    def variable_block(self, name: str) -> VariableBlock:
        return self.lp.variable_block(self._name(name))

    def constraint_block(self, name: str) -> ConstraintBlock:
        return self.lp.constraint_block(self._name(name))

    def variable_values(self, name: str, x: np.ndarray | None) -> np.ndarray:
        return self.lp.variable_values(self._name(name), x)

    def constraint_duals(self, name: str, y: np.ndarray | None) -> np.ndarray:
        return self.lp.constraint_duals(self._name(name), y)

    def update_bounds(self, name: str, **kwargs: Any) -> None:
        self.lp.update_bounds(self._name(name), **kwargs)

    def update_costs(self, name: str, cost: float | np.ndarray) -> None:
        """:meth:`LinearProgram.update_costs` of a block of the period (the infeasibility diagnosis' elastic
        problem sets its own costs)."""
        self.lp.update_costs(self._name(name), cost)

    def add_terms(self, name: str, terms: Any) -> None:
        """:meth:`LinearProgram.add_terms` on a constraint block of the period (slacks of the diagnosis)."""
        self.lp.add_terms(self._name(name), terms)

    @property
    def num_variables(self) -> int:
        """Columns of the whole pathway LP."""
        return self.lp.num_variables

    @property
    def num_constraints(self) -> int:
        """Rows of the whole pathway LP."""
        return self.lp.num_constraints


__all__ = ["PeriodView"]
