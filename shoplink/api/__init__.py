"""The JSON API (django-ninja), versioned under /api/v1/, with per-project API keys."""
