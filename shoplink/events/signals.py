"""``events_recorded``: sent after a transaction that recorded events commits.

Receivers get ``project_id`` and must be quick (they run in whatever process recorded
the events, webhook processing included): wake a job, do not do the work.
"""

from django.dispatch import Signal

events_recorded = Signal()
