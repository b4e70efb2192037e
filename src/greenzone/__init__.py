"""greenzone: plan and operate a renewable green energy zone.

The stages, each a plain function (see docs/architecture.md)::

    zone = greenzone.load_zone("zone.yaml")          # or load_zone() for the embedded Karabakh zone
    weather = greenzone.load_weather(zone)            # synthetic by default; pvgis, csv, era5, atlite
    prof = greenzone.profiles(zone, weather)          # capacity factors, inflows, demand
    result = greenzone.plan(zone, prof, typical_days=16)   # least-cost capacities and dispatch
    path = greenzone.pathway(zone, greenzone.pathway_profiles(zone, weather), typical_days=8)  # what to build when
    # each period on weather years of its own (pathway.weather_years): pathway_profiles(zone, pathway_weather(zone))
    figures = greenzone.kpis(result, zone)
    operation = greenzone.operate(zone, result, prof, forecast="noisy")  # rolling windows from forecasts
"""

from greenzone import operate
from greenzone.errors import GreenzoneError, InfeasibleError, SolverError, WeatherError, ZoneError
from greenzone.kpi import kpis
from greenzone.planning.pathway import pathway, pathway_profiles, pathway_weather
from greenzone.planning.year import plan
from greenzone.resources import profiles
from greenzone.weather import load_weather
from greenzone.zone import load_zone

__version__ = "0.1.0"

__all__ = [
    "GreenzoneError",
    "InfeasibleError",
    "SolverError",
    "WeatherError",
    "ZoneError",
    "load_weather",
    "kpis",
    "operate",
    "load_zone",
    "pathway",
    "pathway_profiles",
    "pathway_weather",
    "plan",
    "profiles",
]
