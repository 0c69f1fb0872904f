"""Huey discovers ``tasks`` modules; the sweeper lives in ``jobs``."""

from shoplink.queue.jobs import minute_sweep  # noqa: F401
