"""``endpoint_woken``: an endpoint has work to send (enabled again, a test event queued).

Sent after commit by ``services``; ``tasks`` listens (connected in ``apps.ready``), so
services never import the jobs that call them (no import cycle, ADR 0009's rule).
"""

from django.dispatch import Signal

endpoint_woken = Signal()
