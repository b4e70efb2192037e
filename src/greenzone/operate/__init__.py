"""Energy management: rolling-horizon operation from forecasts (see docs/architecture.md)."""
