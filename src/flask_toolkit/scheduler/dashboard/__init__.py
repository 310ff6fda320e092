"""The job dashboard: server-rendered pages over the scheduler's jobs, runs and leader.

Off until ``SCHEDULER_DASHBOARD_ENABLED = True``; then mounted at
``<SCHEDULER_API_PREFIX>/dashboard/`` by :func:`init_dashboard`.
"""

from __future__ import annotations

from .describe import trigger_in_words
from .setup import BLUEPRINT_NAME
from .setup import create_blueprint
from .setup import DASHBOARD_DEFAULTS
from .setup import init_dashboard

__all__ = [
    "BLUEPRINT_NAME",
    "DASHBOARD_DEFAULTS",
    "create_blueprint",
    "init_dashboard",
    "trigger_in_words",
]
