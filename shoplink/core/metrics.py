"""Operational gauges for an operator's monitoring, in Prometheus' text format (0.0.4).

Apps register what an operator should watch once, in their ``AppConfig.ready`` (the
queue's depth, the oldest webhook delivery still waiting, how long an import has not
moved); ``web`` serves :func:`render` at ``/metrics`` behind ``METRICS_TOKEN``. A gauge
reads the database when scraped, so it costs nothing between scrapes; each read is a
small aggregate query.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

log = logging.getLogger(__name__)

# A reading: one number, or numbers by label set ({"status": "connected"} -> 3).
Reading = float | Mapping[tuple[tuple[str, str], ...], float]


@dataclass(frozen=True)
class Gauge:
    name: str
    help: str
    read: Callable[[], Reading]


_gauges: dict[str, Gauge] = {}


def register_gauge(name: str, help_text: str, read: Callable[[], Reading]) -> None:
    """Register (or replace) the gauge ``name``; call from ``AppConfig.ready``."""
    _gauges[name] = Gauge(name, help_text, read)


def unregister_gauge(name: str) -> None:
    """Forget the gauge ``name`` (tests that register their own)."""
    _gauges.pop(name, None)


def _labels(pairs: tuple[tuple[str, str], ...]) -> str:
    if not pairs:
        return ""
    escaped = (
        f'{key}="{str(value).replace(chr(92), chr(92) * 2).replace(chr(34), chr(92) + chr(34))}"'
        for key, value in pairs
    )
    return "{" + ",".join(escaped) + "}"


def _number(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    return repr(float(value))


def render() -> str:
    """Every registered gauge as Prometheus text; a gauge that fails to read is skipped."""
    lines = []
    for gauge in sorted(_gauges.values(), key=lambda g: g.name):
        try:
            reading = gauge.read()
        except Exception:
            # One broken gauge must not blind the others; the log says which.
            log.exception("metric %s could not be read", gauge.name)
            continue
        lines.append(f"# HELP {gauge.name} {gauge.help}")
        lines.append(f"# TYPE {gauge.name} gauge")
        if isinstance(reading, Mapping):
            for pairs, value in sorted(reading.items()):
                lines.append(f"{gauge.name}{_labels(pairs)} {_number(value)}")
        else:
            lines.append(f"{gauge.name} {_number(reading)}")
    return "\n".join(lines) + "\n"
