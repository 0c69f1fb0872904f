"""Records per second of an entity's import: progress samples and the rates drawn from them.

The importer calls :func:`add_sample` before each batch checkpoint; the sample rides on
that checkpoint's UPDATE (``rate_samples`` is one of its fields), so sampling adds no
query to the import. Store details turns the samples into a small chart (``ui/charts``).
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass

MAX_SAMPLES = 60  # enough for a readable line; older samples are thinned out
MIN_GAP = 0.5  # seconds between two kept samples (batches can be much closer)


def start_samples(now: float | None = None) -> list[list[float]]:
    """The first sample of an attempt: nothing done yet."""
    return [[round(now if now is not None else time.time(), 2), 0]]


def add_sample(samples: list, done: int, now: float | None = None) -> bool:
    """Append (now, done) to ``samples`` in place; False when it replaced the newest one.

    Past ``MAX_SAMPLES`` every other old sample is dropped, so the list covers the whole
    attempt at a coarser grain instead of only its end.
    """
    now = round(now if now is not None else time.time(), 2)
    if len(samples) >= 2 and now - samples[-2][0] < MIN_GAP:
        # Too close to the sample before: move the newest one instead of adding one, so
        # the last sample is always the latest count (and the first one stays the start).
        samples[-1] = [now, done]
        return False
    samples.append([now, done])
    if len(samples) > MAX_SAMPLES:
        head = samples[: MAX_SAMPLES // 2 : 2] if len(samples) > 2 else []
        samples[:] = [*head, *samples[MAX_SAMPLES // 2 :]]
    return True


@dataclass
class Rates:
    """Records per second between consecutive samples, and the summary figures."""

    points: list[tuple[float, float]]  # (seconds since the first sample, records/s)
    average: float  # over the whole attempt so far
    latest: float  # over the last interval
    seconds: float  # from the first sample to the last


def rates(samples: list) -> Rates | None:
    """The rates of ``samples``; None until two samples exist."""
    if not samples or len(samples) < 2:
        return None
    t0 = samples[0][0]
    points = []
    for (t1, d1), (t2, d2) in itertools.pairwise(samples):
        if t2 > t1:
            points.append((round(t2 - t0, 2), max(0.0, (d2 - d1) / (t2 - t1))))
    if not points:
        return None
    seconds = samples[-1][0] - t0
    done = samples[-1][1] - samples[0][1]
    return Rates(
        points=points,
        average=done / seconds if seconds > 0 else 0.0,
        latest=points[-1][1],
        seconds=seconds,
    )
