"""greenzone."""
