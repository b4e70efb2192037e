"""Energy management: rolling-horizon operation from forecasts (see docs/architecture.md).

:func:`operate` runs a zone with fixed capacities window by window on one persistent HiGHS model
(:mod:`greenzone.operate.rolling`); :mod:`greenzone.operate.forecast` holds the forecast models.
"""

from greenzone.operate.rolling import (
    ForecastError,
    OperationModel,
    existing_capacities,
    initial_state,
    operate,
    operating_cost,
)

__all__ = [
    "ForecastError",
    "OperationModel",
    "existing_capacities",
    "initial_state",
    "operate",
    "operating_cost",
]
