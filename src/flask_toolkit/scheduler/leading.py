"""Small pieces of leading: which process may lead, and how the leader hears of
changes made by the others.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
import typing as t

from apscheduler.events import EVENT_ALL_JOBS_REMOVED
from apscheduler.events import EVENT_JOB_ADDED
from apscheduler.events import EVENT_JOB_MODIFIED
from apscheduler.events import EVENT_JOB_REMOVED
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.base import STATE_RUNNING

from .lease import Lease

if t.TYPE_CHECKING:
    from .lifecycle import AppScheduling

logger = logging.getLogger("flask_toolkit.scheduler")
#: The longest an event-driven leader waits at once (so that it stops promptly).
WAIT_SLICE = 1.0

#: The events of a change to a job store that the leader must hear of.
CHANGE_EVENTS = (
    EVENT_JOB_ADDED | EVENT_JOB_MODIFIED | EVENT_JOB_REMOVED | EVENT_ALL_JOBS_REMOVED
)


def in_reloader_parent() -> bool:
    """Whether this is the Flask reloader's watching process (it never serves)."""
    if os.environ.get("WERKZEUG_RUN_MAIN") == "true":
        return False
    frame = sys._current_frames().get(threading.main_thread().ident or -1)
    while frame is not None:
        code = frame.f_code
        if code.co_name in ("run_with_reloader", "restart_with_reloader") and (
            "werkzeug" in code.co_filename
        ):
            return True
        frame = frame.f_back
    return False


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` of this host still runs.

    A zombie (a process that ended and that its parent has not reaped yet: gunicorn's
    master reaps a killed worker in its main loop, seconds later at times) is dead.
    """
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        pass  # it exists, under another user
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            # "pid (command) state ...": the command may hold spaces and parentheses.
            state = stat.read().rpartition(b")")[2].split()[:1]
    except OSError:
        return True  # no /proc (macOS): a zombie counts as alive
    return state not in ([b"Z"], [b"X"])


def announce_changes(scheduler: t.Any, lease: Lease | None) -> bool:
    """Announce the changes this process makes to the default job store.

    :return: whether the leader can rely on these announcements (and sleep until one
        comes): the lease's server carries them, and every other job store is in
        memory (so no other process changes it).
    """
    stores = [scheduler.lookup_jobstore(a) for a in scheduler.jobstore_aliases()]
    default = scheduler.lookup_jobstore("default")
    if lease is None or not lease.notifies:
        return False

    def announce(event: t.Any) -> None:
        if getattr(event, "jobstore", "default") in ("default", None):
            lease.notify()

    scheduler.add_listener(announce, CHANGE_EVENTS)
    return all(
        store is default or isinstance(store, MemoryJobStore) for store in stores
    )


def wait_for_changes(state: AppScheduling, lease: Lease) -> None:
    """One wait of an event-driven leader: for an announced change, until its next
    lease confirmation (``state.next_confirm``) but at most :data:`WAIT_SLICE`, so
    that its thread sees a stop promptly. A change wakes the scheduler; a broken
    connection loses the lease.
    """
    try:
        timeout = min(max(state.next_confirm - time.monotonic(), 0), WAIT_SLICE)
        changed = lease.wait_for_change(timeout)
    except Exception:
        logger.warning(
            "Lost the connection that holds the scheduler leader lease.", exc_info=True
        )
        with state.lock:
            lease.forget()
        state.next_confirm = 0.0
        return
    if changed:
        with state.lock:
            scheduler = state.scheduler
            if state.is_leader and scheduler is not None:
                if scheduler.state == STATE_RUNNING:
                    scheduler.wakeup()
