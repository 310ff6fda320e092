"""Words for what the dashboard shows: triggers, durations, times and statuses."""

from __future__ import annotations

import datetime as dt
import re
import typing as t

from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

#: APScheduler 3 numbers the days of the week from Monday = 0.
_DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTH_NAMES = (
    "Jan",
    "Feb",
    "Mar",
    "Apr",
    "May",
    "Jun",
    "Jul",
    "Aug",
    "Sep",
    "Oct",
    "Nov",
    "Dec",
)
_UNITS = (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1))
_STEP_RE = re.compile(r"\A\*/(\d+)\Z")


def _plural(count: int, unit: str) -> str:
    return f"{count} {unit}" if count == 1 else f"{count} {unit}s"


def span_in_words(seconds: float) -> str:
    """``300`` -> ``"5 minutes"``, ``5400`` -> ``"1 hour 30 minutes"``."""
    whole = int(seconds)
    if whole < 1:
        return f"{seconds:g} seconds"
    parts = []
    for unit, size in _UNITS:
        count, whole = divmod(whole, size)
        if count:
            parts.append(_plural(count, unit))
    return " ".join(parts)


def every(seconds: float) -> str:
    """``60`` -> ``"every minute"``, ``300`` -> ``"every 5 minutes"``."""
    for unit, size in _UNITS:
        if seconds == size:
            return f"every {unit}"
    return f"every {span_in_words(seconds)}"


def _names(expression: str, names: tuple[str, ...], first: int) -> str:
    """Turn the numbers of a day-of-week or month expression into names."""

    def name(match: re.Match[str]) -> str:
        index = int(match.group()) - first
        return names[index] if 0 <= index < len(names) else match.group()

    text = re.sub(r"\d+", name, expression)
    return re.sub(r"[a-z]{3}", lambda m: m.group().capitalize(), text)


def _clock(hour: str, minute: str, second: str) -> str | None:
    if not (hour.isdigit() and minute.isdigit() and second.isdigit()):
        return None
    text = f"{int(hour):02d}:{int(minute):02d}"
    return text + (f":{int(second):02d}" if int(second) else "")


def cron_in_words(trigger: CronTrigger) -> str:
    """``CronTrigger(hour=3, minute=0, day_of_week="mon-fri")`` ->
    ``"cron: at 03:00 on Mon-Fri"``.
    """
    fields = {field.name: str(field) for field in trigger.fields}
    second, minute, hour = fields["second"], fields["minute"], fields["hour"]
    clock = _clock(hour, minute, second)
    step = _STEP_RE.match(minute)
    during = "" if hour == "*" else f" during hour {hour}"
    if clock is not None:
        when = f"at {clock}"
    elif second != "0":
        parts = [f"{name} {fields[name]}" for name in ("hour", "minute", "second")]
        when = "at " + ", ".join(p for p in parts if not p.endswith(" *"))
    elif minute.isdigit():
        when = f"at minute {int(minute)} of " + (
            "every hour" if hour == "*" else f"hour {hour}"
        )
    elif step:
        when = every(int(step.group(1)) * 60) + during
    elif minute == "*":
        when = "every minute" + during
    else:
        when = f"at minute {minute}" + during
    days = []
    if fields["day_of_week"] != "*":
        days.append("on " + _names(fields["day_of_week"], _DAY_NAMES, 0))
    if fields["day"] != "*":
        days.append(f"on day {fields['day']} of the month")
    if fields["week"] != "*":
        days.append(f"in ISO week {fields['week']}")
    if fields["month"] != "*":
        days.append("in " + _names(fields["month"], _MONTH_NAMES, 1))
    if fields["year"] != "*":
        days.append(f"in {fields['year']}")
    return " ".join(["cron:", when, *days])


def trigger_in_words(trigger: t.Any) -> str:
    """A person's description of an APScheduler trigger, such as ``"every 5
    minutes"``, ``"cron: at 03:00 on Mon-Fri"`` or ``"once, at 2026-12-03 14:00
    UTC"``; other triggers are described by their own ``str()``.
    """
    if isinstance(trigger, IntervalTrigger):
        return every(trigger.interval.total_seconds())
    if isinstance(trigger, CronTrigger):
        return cron_in_words(trigger)
    if isinstance(trigger, DateTrigger):
        return f"once, at {utc_text(trigger.run_date)}"
    return str(trigger)


def as_utc(value: dt.datetime | str | None) -> dt.datetime | None:
    """A datetime (or the history's ISO 8601 text) in UTC; naive values are UTC."""
    if value is None:
        return None
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone(dt.timezone.utc)


def utc_text(value: dt.datetime | str | None) -> str:
    """``"2026-12-03 14:00:00 UTC"``, or ``"—"`` when there is no time."""
    moment = as_utc(value)
    if moment is None:
        return "—"
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def duration_text(seconds: float | None) -> str:
    """``0.0123`` -> ``"12 ms"``, ``75.2`` -> ``"1 minute 15 seconds"``."""
    if seconds is None:
        return "—"
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 60:
        return f"{seconds:.1f} s"
    return span_in_words(seconds)
