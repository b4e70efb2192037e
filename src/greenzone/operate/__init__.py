"""Energy management: rolling-horizon operation from forecasts (see docs/architecture.md).

:func:`operate` runs a zone with fixed capacities window by window on one persistent HiGHS model
(:mod:`greenzone.operate.rolling`); :mod:`greenzone.operate.forecast` holds the forecast models.
"""

import sys
import types

from greenzone.operate.rolling import (
    ForecastError,
    OperationModel,
    existing_capacities,
    fix_capacities,
    initial_state,
    operate,
    operating_cost,
)

__all__ = [
    "ForecastError",
    "OperationModel",
    "existing_capacities",
    "fix_capacities",
    "initial_state",
    "operate",
    "operating_cost",
]


class _OperatePackage(types.ModuleType):
    """Makes ``greenzone.operate(zone, capacities, profiles, ...)`` call :func:`operate` while
    ``greenzone.operate.forecast`` and the other modules stay importable: the package is both the entry point
    the API names and the folder the architecture names."""

    def __call__(self, *args, **kwargs):
        return operate(*args, **kwargs)


sys.modules[__name__].__class__ = _OperatePackage
