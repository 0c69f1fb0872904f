"""Small server-rendered SVG bar charts for Store details (ADR 0073).

Webhook volume and lag per topic family over the last 24 hours (``webhooks.stats``) and
the records per second of each entity during a sync (``sync.rates``). This module only
turns numbers into bar geometry and sentences; ``shopify/_charts.html`` draws them. Each
chart has a ``<title>`` and ``<desc>``, and its figures are repeated in text beside it,
so nothing is only in the picture. A fixed ``viewBox`` stretched to the drawer's width
keeps every chart inside a 390 px screen.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import ngettext

from shoplink.integrations.shopify.models import Entity, EntityState, EntitySync, ShopifyStore
from shoplink.integrations.shopify.sync import rates as sync_rates
from shoplink.integrations.shopify.webhooks import stats

WIDTH, HEIGHT = 240, 40  # viewBox units; the SVG is stretched to the drawer's width


@dataclass
class Bar:
    x: float
    y: float
    w: float
    h: float
    label: str  # the bar's own figure, as a tooltip (<title>)


@dataclass
class Chart:
    key: str
    title: str
    desc: str
    bars: list[Bar]
    summary: str  # the same figures in a sentence, shown under the chart
    label: str = ""  # a heading shown above the chart (the entity of a rate chart)
    axis: tuple[str, str] = ("24 hours ago", "now")  # left and right ends of the x axis


def _bars(values: list[float | None], labels: list[str]) -> list[Bar]:
    top = max((v for v in values if v), default=0) or 1
    step = WIDTH / max(1, len(values))
    gap = min(1.0, step * 0.2)
    out = []
    for i, (v, label) in enumerate(zip(values, labels, strict=True)):
        if not v:
            continue
        h = max(1.0, HEIGHT * v / top)
        out.append(
            Bar(round(i * step, 2), round(HEIGHT - h, 2), round(step - gap, 2), round(h, 2), label)
        )
    return out


def seconds_text(seconds: float) -> str:
    """0.4 → "0.4 s", 75 → "1.2 min", 7200 → "2 h"."""
    if seconds < 10:
        return f"{seconds:.1f} s"
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def _hour_label(i: int) -> str:
    ago = stats.HOURS - 1 - i
    return "this hour" if ago == 0 else ngettext("%d hour ago", "%d hours ago", ago) % ago


def webhook_charts(store: ShopifyStore) -> list[dict]:
    """Per family: a volume chart and a lag chart, or None for both when it was quiet."""
    out = []
    for family in stats.last_24_hours(store.domain):
        total = family.total
        item = {"key": family.key, "label": family.label, "total": total}
        if total:
            counts = family.counts
            volume_labels = [
                f"{_hour_label(i)}: " + ngettext("%d webhook", "%d webhooks", n) % n
                for i, n in enumerate(counts)
            ]
            busiest = max(counts)
            item["volume"] = Chart(
                key=f"volume-{family.key}",
                title=f"{family.label} webhooks per hour, last 24 hours",
                desc=ngettext(
                    "%(n)d webhook in 24 hours; at most %(top)d in one hour.",
                    "%(n)d webhooks in 24 hours; at most %(top)d in one hour.",
                    total,
                )
                % {"n": total, "top": busiest},
                bars=_bars(counts, volume_labels),
                summary=ngettext(
                    "%(n)d webhook in the last 24 hours, at most %(top)d in one hour.",
                    "%(n)d webhooks in the last 24 hours, at most %(top)d in one hour.",
                    total,
                )
                % {"n": total, "top": busiest},
            )
            lags = family.lag_seconds()
            median, worst = family.median_lag(), family.max_lag()
            if median is not None:
                lag_labels = [
                    f"{_hour_label(i)}: "
                    + (f"median {seconds_text(v)}" if v is not None else "no webhooks")
                    for i, v in enumerate(lags)
                ]
                sentence = (
                    f"From Shopify to Shoplink: {seconds_text(median)} median, "
                    f"{seconds_text(worst)} at worst."
                )
                item["lag"] = Chart(
                    key=f"lag-{family.key}",
                    title=f"{family.label} webhook lag per hour, last 24 hours",
                    desc=sentence,
                    bars=_bars([v if v is None else max(v, 0.001) for v in lags], lag_labels),
                    summary=sentence,
                )
        out.append(item)
    return out


def sync_rate_charts(store: ShopifyStore) -> list[Chart]:
    """Records per second of each entity of the current (or last) sync attempt."""
    charts = []
    rows = EntitySync.objects.filter(store=store).exclude(state=EntityState.OFF)
    order = list(Entity.values)  # commit order: customers, orders, products, collections
    for es in sorted(rows, key=lambda e: order.index(e.entity)):
        r = sync_rates.rates(es.rate_samples or [])
        if r is None:
            continue
        label = es.get_entity_display()
        of_total = f" of {es.total:,}" if es.total else ""
        when = "now" if es.state in (EntityState.PENDING, EntityState.SYNCING) else "at the end"
        summary = (
            ngettext("%(done)s record", "%(done)s records", es.done) % {"done": f"{es.done:,}"}
            + f"{of_total} in {seconds_text(r.seconds)}: "
            + f"{r.average:,.0f} a second on average, {r.latest:,.0f} {when}."
        )
        labels = [f"after {seconds_text(t)}: {v:,.0f} records a second" for t, v in r.points]
        charts.append(
            Chart(
                key=f"rate-{es.entity}",
                title=f"{label}: records imported per second",
                desc=summary,
                bars=_bars([v for _, v in r.points], labels),
                summary=summary,
                label=label,
                axis=("start", seconds_text(r.seconds)),
            )
        )
    return charts
