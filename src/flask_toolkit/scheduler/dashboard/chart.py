"""The runs-over-time chart of a job's page: an SVG drawn on the server.

One stacked bar per hour: successes, errors and the rest (missed, skipped,
interrupted ...). No JavaScript and no chart library; the markup is escaped by
:mod:`markupsafe` and styled by the dashboard's stylesheet.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import typing as t

from markupsafe import escape
from markupsafe import Markup

from .describe import as_utc

WIDTH = 720
HEIGHT = 160
_TOP = 10
_BOTTOM = 24
_LEFT = 30

#: The statuses drawn in their own colour; every other status is counted as "other".
SERIES = ("success", "error", "other")


@dataclasses.dataclass
class Bucket:
    """The runs of one hour, counted by series."""

    start: dt.datetime
    counts: dict[str, int] = dataclasses.field(
        default_factory=lambda: dict.fromkeys(SERIES, 0)
    )

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def run_time(row: t.Mapping[str, t.Any]) -> dt.datetime | None:
    """When a run happened: its start, else its scheduled time (missed runs)."""
    return as_utc(row.get("started_at") or row.get("scheduled_run_time"))


def hourly(
    rows: t.Iterable[t.Mapping[str, t.Any]], hours: int, now: dt.datetime
) -> list[Bucket]:
    """Count ``rows`` (history rows) per hour over the ``hours`` before ``now``."""
    end = now.astimezone(dt.timezone.utc).replace(minute=0, second=0, microsecond=0)
    end += dt.timedelta(hours=1)
    start = end - dt.timedelta(hours=hours)
    buckets = [Bucket(start + dt.timedelta(hours=i)) for i in range(hours)]
    for row in rows:
        moment = run_time(row)
        if moment is None or not start <= moment < end:
            continue
        index = int((moment - start).total_seconds() // 3600)
        status = row.get("status")
        key = status if status in ("success", "error") else "other"
        buckets[index].counts[key] += 1
    return buckets


def render(buckets: list[Bucket]) -> Markup:
    """The ``<svg>`` of :func:`hourly`'s buckets (hours along x, runs along y)."""
    peak = max((b.total for b in buckets), default=0) or 1
    plot_h = HEIGHT - _TOP - _BOTTOM
    slot = (WIDTH - _LEFT) / max(len(buckets), 1)
    bar = max(slot - 2, 1)
    totals = {key: sum(b.counts[key] for b in buckets) for key in SERIES}
    summary = (
        f"Runs per hour over the last {len(buckets)} hours: {totals['success']}"
        f" succeeded, {totals['error']} failed, {totals['other']} other."
    )
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img"'
        f' aria-label="{escape(summary)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(summary)}</title>",
        f'<line class="axis" x1="{_LEFT}" y1="{HEIGHT - _BOTTOM}" x2="{WIDTH}"'
        f' y2="{HEIGHT - _BOTTOM}"/>',
        f'<text class="tick" x="{_LEFT - 4}" y="{_TOP + 8}"'
        f' text-anchor="end">{peak}</text>',
        f'<text class="tick" x="{_LEFT - 4}" y="{HEIGHT - _BOTTOM}"'
        ' text-anchor="end">0</text>',
    ]
    for i, bucket in enumerate(buckets):
        x = _LEFT + i * slot + 1
        y = float(HEIGHT - _BOTTOM)
        label = (
            f"{bucket.start:%Y-%m-%d %H:00} UTC: {bucket.counts['success']} ok,"
            f" {bucket.counts['error']} errors, {bucket.counts['other']} other"
        )
        parts.append(f"<g><title>{escape(label)}</title>")
        for key in SERIES:
            count = bucket.counts[key]
            if not count:
                continue
            height = plot_h * count / peak
            y -= height
            parts.append(
                f'<rect class="bar-{key}" x="{x:.1f}" y="{y:.1f}"'
                f' width="{bar:.1f}" height="{height:.1f}"/>'
            )
        if not bucket.total:  # a hit area for the tooltip of an empty hour
            parts.append(
                f'<rect class="bar-empty" x="{x:.1f}" y="{_TOP}"'
                f' width="{bar:.1f}" height="{plot_h}"/>'
            )
        parts.append("</g>")
        if bucket.start.hour % 6 == 0:
            parts.append(
                f'<text class="tick" x="{x:.1f}" y="{HEIGHT - 8}">'
                f"{bucket.start:%H:00}</text>"
            )
    parts.append("</svg>")
    return Markup("".join(parts))
