"""The :class:`SchedulerManager`."""

from __future__ import annotations

import typing as t

from flask import Flask

if t.TYPE_CHECKING:
    from ..extension import Toolkit


class SchedulerManager:
    """Run APScheduler jobs inside the app.

    :param toolkit: the owning :class:`~flask_toolkit.Toolkit`, for its database.
    """

    def __init__(self, toolkit: Toolkit) -> None:
        self._toolkit = toolkit

    def init_app(self, app: Flask) -> None:
        """Register the scheduler on ``app``."""
