"""Geothermal, biomass and gas turbine: availability as a constant capacity factor [-].

Planned maintenance is folded into ``availability``; forced outages are drawn unit by unit by the adequacy
analysis, not here.
"""

from __future__ import annotations

import numpy as np

from greenzone.zone.schema import DispatchableTechnology


def availability_capacity_factor(technology: DispatchableTechnology, n_hours: int) -> np.ndarray:
    """Hourly capacity factor [-]: the technology's ``availability`` in every hour."""
    return np.full(n_hours, technology.availability)
