"""downloads hook (being written)."""
