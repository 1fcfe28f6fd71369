"""The read-only JSON API at /api/: the same cards, filters and formatting as the public site."""
