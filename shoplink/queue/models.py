"""WorkerHeartbeat: lets operators (and the sweeper) see which workers are alive."""

from django.db import models


class WorkerHeartbeat(models.Model):
    worker = models.CharField(max_length=200, unique=True)
    beat_at = models.DateTimeField()
