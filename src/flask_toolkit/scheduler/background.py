"""The lease thread's loop and what it needs, apart from the lifecycle's state machine.

The thread holds its :class:`~flask_toolkit.scheduler.lifecycle.AppScheduling` only
weakly, so an app that is thrown away is garbage-collected; :class:`Resources` then
shuts its scheduler down. A round that fails (the job store cannot be opened yet) is
retried with back-off; why it failed is logged once per attempt, at ERROR when no retry
can help.
"""

from __future__ import annotations

import logging
import threading
import typing as t
import weakref

from apscheduler.schedulers.base import STATE_STOPPED

if t.TYPE_CHECKING:
    from .leader import Lease
    from .lifecycle import AppScheduling
    from .runner import AppScheduler

logger = logging.getLogger("flask_toolkit.scheduler")


class Resources:
    """What an app's scheduler holds open, closed when the app is collected."""

    def __init__(self) -> None:
        self.scheduler: AppScheduler | None = None
        self.lease: Lease | None = None

    def hold(self, scheduler: AppScheduler | None, lease: Lease | None) -> None:
        self.scheduler, self.lease = scheduler, lease

    def close(self) -> None:
        """Release the lease and stop the scheduler (called by the GC's finalizer, in
        whatever thread collected the app: never raises).
        """
        scheduler, lease = self.scheduler, self.lease
        self.hold(None, None)
        try:
            if lease is not None:
                lease.release()
            if scheduler is not None and scheduler.state != STATE_STOPPED:
                if getattr(scheduler, "_thread", None) is threading.current_thread():
                    # Collected in the scheduler's own thread, which cannot join
                    # itself: stopping the loop is enough, it ends by itself.
                    scheduler.state = STATE_STOPPED
                    scheduler.wakeup()
                else:
                    scheduler.shutdown(wait=False)
        except Exception:
            logger.exception("Error while stopping the scheduler of a collected app.")


class RetryIn(Exception):
    """Raised by a round of the lease thread: wait ``delay`` seconds, then retry."""

    def __init__(self, delay: float) -> None:
        super().__init__(delay)
        self.delay = delay


def log_open_failure(
    error: Exception, opening: bool, delay: float, url: t.Any = None
) -> None:
    """Log why the scheduler could not open its job store or check its lease."""
    if not opening:
        logger.exception("Scheduler lease check failed; retrying in %.1f s.", delay)
        return
    from ..db.diagnose import describe_connection_error

    problem = describe_connection_error(error, url)
    if problem is not None and problem.permanent:
        logger.error(
            "The scheduler cannot open its job store: %s Retrying in %.1f s.",
            problem.message,
            delay,
        )
    elif problem is not None:
        logger.warning(
            "The scheduler cannot open its job store yet (%s); retrying in %.1f s.",
            problem.message,
            delay,
        )
    else:
        logger.exception(
            "The scheduler could not open its job store; retrying in %.1f s.", delay
        )


def lease_thread(ref: weakref.ref[AppScheduling], stop: threading.Event) -> None:
    """The lease thread. It holds its app only weakly, so that an app thrown away is
    garbage-collected (its scheduler is then shut down by a finalizer).
    """
    from .heartbeat import start_heartbeat

    heartbeat = start_heartbeat(ref, stop)
    delay, failures = 0.0, 0
    while not stop.wait(delay):
        state = ref()
        if state is None:
            return
        try:
            delay = state._next_round(failures)
            failures = 0
        except RetryIn as retry:
            delay = retry.delay
            failures += 1
        finally:
            del state
    heartbeat.leave()  # stopped: before the scheduler (and its store) shuts down
