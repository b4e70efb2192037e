"""Zone description: schema, catalogue and loading."""

from greenzone.zone import dated  # noqa: F401  (completes Zone with its pathway section)
from greenzone.zone.load import embedded_zone_path, load_catalogue, load_zone
from greenzone.zone.schema import Zone

__all__ = ["Zone", "embedded_zone_path", "load_catalogue", "load_zone"]
