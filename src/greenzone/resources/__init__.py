"""Conversions from weather to hourly resource profiles, one module per resource."""

from greenzone.resources.profiles import profiles, summary

__all__ = ["profiles", "summary"]
