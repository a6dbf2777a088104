"""markers hook (being written)."""
