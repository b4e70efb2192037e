"""Least-cost planning as a linear program solved by HiGHS.

:mod:`greenzone.optimize.lp` holds the generic sparse :class:`~greenzone.optimize.lp.LinearProgram` (named
variable and constraint blocks, one matrix), :mod:`greenzone.optimize.solve` the HiGHS adapter with its
:class:`~greenzone.optimize.solve.Status` enum and :class:`~greenzone.optimize.solve.Solution`, and
:mod:`greenzone.optimize.numerics` the coefficient-range check. Row and column numbers never leave this
package: everything outside it sees block names and labelled coordinates.
"""
