"""release_data hook (being written)."""
