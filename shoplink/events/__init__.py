"""The project event log: named activity with a data payload, idempotent by key."""
