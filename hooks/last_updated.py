"""last_updated hook (being written)."""
