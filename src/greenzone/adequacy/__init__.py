"""Adequacy: the planned fleet dispatched over many weather years, with random forced outages.

``assess`` (:mod:`greenzone.adequacy.assess`) runs the years in parallel processes and returns the loss-of-load
figures; :mod:`~greenzone.adequacy.outages` draws the outages and computes capacity-outage probability tables;
:mod:`~greenzone.adequacy.years` makes or cuts the weather years; :mod:`~greenzone.adequacy.output` writes
``adequacy.json`` and ``adequacy.nc``.
"""

from greenzone.adequacy.assess import LOL_TOLERANCE_MW, Adequacy, assess
from greenzone.adequacy.outages import (
    capacity_outage_table,
    loss_of_load_probability,
    sample_availability,
)
from greenzone.adequacy.output import read_adequacy, write_adequacy
from greenzone.adequacy.years import WeatherYear, given_years, profile_years, synthetic_years, zone_years

__all__ = [
    "LOL_TOLERANCE_MW",
    "Adequacy",
    "WeatherYear",
    "assess",
    "capacity_outage_table",
    "given_years",
    "loss_of_load_probability",
    "profile_years",
    "read_adequacy",
    "sample_availability",
    "synthetic_years",
    "write_adequacy",
    "zone_years",
]
