"""The APScheduler manager, ``toolkit.scheduler``."""

from __future__ import annotations

from .manager import SchedulerManager

__all__ = ["SchedulerManager"]
