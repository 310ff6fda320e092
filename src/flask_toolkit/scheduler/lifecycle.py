"""One app's scheduler over its life: open, lead or stand by, fork, shut down.

Every process opens the scheduler *paused*: its job stores are readable and writable
(so the API works everywhere) but it processes no jobs. A process that called
:meth:`AppScheduling.start` runs a small lease thread which, every
``SCHEDULER_LEADER_INTERVAL`` seconds, tries to take the leader lease; the leader
resumes its scheduler, the others stay paused.

The leader must see jobs that other processes write to the store. Where the store's
server can announce changes (PostgreSQL ``LISTEN/NOTIFY``, Redis pub/sub; see
:attr:`~flask_toolkit.scheduler.lease.Lease.notifies`) every process announces its
changes to the default store, and the leader sleeps until one comes, confirming its
lease now and then (:meth:`~flask_toolkit.scheduler.lease.Lease.confirm_every`);
otherwise (SQLite, MySQL / MariaDB, several persistent stores) it polls every interval.
The lease is given up before the process forks and at interpreter exit.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import typing as t
import weakref

from apscheduler.schedulers.base import STATE_PAUSED
from apscheduler.schedulers.base import STATE_RUNNING
from flask import Flask

from .background import lease_thread
from .background import log_open_failure
from .background import Resources
from .background import RetryIn
from .claims import take_over_dead
from .history import History
from .leader import lease_for_store
from .leading import announce_changes
from .leading import in_reloader_parent
from .leading import wait_for_changes
from .lease import Lease
from .lease import this_process
from .runner import AppScheduler
from .runner import JobRunner

logger = logging.getLogger("flask_toolkit.scheduler")

_STATES: weakref.WeakSet[AppScheduling] = weakref.WeakSet()
#: How often the leader deletes history rows past their retention, in seconds.
PRUNE_INTERVAL = 600.0
#: How often (seconds) a leader looks for history rows left by processes of its host
#: that died while it led (a standby killed during a "run now"); rows of processes
#: that still live are looked at again at each confirmation of the lease.
SETTLE_INTERVAL = 300.0


class AppScheduling:
    """The scheduler state of one app, kept in the toolkit's per-app state.

    :param app: the app, whose context every job runs in.
    :param build: makes the app's :class:`AppScheduler` and the lease for its default
        job store.
    :param load_jobs: adds the declared jobs (config and ``@task``) to a new scheduler.
    """

    def __init__(
        self,
        app: Flask,
        history: History,
        build: t.Callable[[AppScheduling], AppScheduler],
        load_jobs: t.Callable[[AppScheduling], None],
    ) -> None:
        self.app = app
        self.history = history
        self.runner = JobRunner(app, history)
        self._build = build
        self._load_jobs = load_jobs
        self.lock = threading.RLock()
        self.scheduler: AppScheduler | None = None
        self.lease: Lease | None = None
        self.is_leader = False
        self.user_paused = False
        self.started = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_prune = 0.0
        #: Rows of other live processes of this host remain: settle again next tick.
        self._look_again = False
        self._last_settle = 0.0
        self._fork_from_main = False
        #: The leader sleeps until a change is announced, instead of polling.
        self.event_driven = False
        #: When the leader confirms its lease next (monotonic clock).
        self.next_confirm = 0.0
        #: This process forked its workers: they start schedulers, it stands by.
        self._children_start = False
        # Only the lease thread's weak reference and this finalizer outlive the app:
        # an app that is thrown away takes its scheduler down with it.
        self._resources = Resources()
        # At interpreter exit shutdown_all() does this, in the right order.
        weakref.finalize(self, self._resources.close).atexit = False
        _STATES.add(self)

    # opening and closing

    def open(self) -> AppScheduler:
        """Return the scheduler, opening it paused (standby) if needed."""
        with self.lock:
            if self.scheduler is not None:
                return self.scheduler
            scheduler = self._build(self)
            # The job store first: an SQLite path in a folder that does not exist
            # fails here, before a lock file next to it could create the folder.
            scheduler.start(paused=True)
            self.scheduler = scheduler
            try:
                self.lease = self._make_lease(scheduler.lookup_jobstore("default"))
                self.event_driven = announce_changes(scheduler, self.lease)
                self._resources.hold(scheduler, self.lease)
                if self.history.enabled:
                    self.history.create()
                self._load_jobs(self)
            except BaseException:
                self.scheduler = None
                self._resources.hold(None, None)
                scheduler.shutdown(wait=False)
                raise
            return scheduler

    def _make_lease(self, store: t.Any) -> Lease:
        cfg = self.app.config
        if not cfg["SCHEDULER_LEADER_ELECTION"]:
            return Lease()
        return lease_for_store(
            store,
            fallback_lock_file=os.path.join(
                self.app.instance_path, "toolkit-scheduler.lock"
            ),
            lock_file=cfg["SCHEDULER_LEADER_LOCK_FILE"],
            redis_ttl=float(cfg["SCHEDULER_LEADER_TTL"]),
            cfg=cfg,
        )

    def start(self, *, background: bool = False) -> None:
        """Open the scheduler and compete for the leader lease from now on.

        :param background: open the job store in the lease thread instead of here,
            retrying with back-off while it cannot be reached (what ``init_app``
            does, so that an app boots with its database down).
        """
        with self.lock:
            if not background:
                self.open()
            if self.started:
                return
            self.started = True
            self._stop = threading.Event()
            self._thread = threading.Thread(
                target=lease_thread,
                args=(weakref.ref(self), self._stop),
                name="flask-toolkit scheduler lease",
                daemon=True,
            )
            self._thread.start()

    def shutdown(self, wait: bool = True) -> None:
        """Stop leading, stop the scheduler, give the lease up.

        :param wait: wait up to ``SCHEDULER_SHUTDOWN_TIMEOUT`` seconds for running jobs;
            those still running then are recorded as ``interrupted``.
        """
        with self.lock:
            self._stop.set()
            thread, self._thread = self._thread, None
            self.started = False
        if thread is not None and thread is not threading.current_thread():
            thread.join(5)
        with self.lock:
            scheduler, self.scheduler = self.scheduler, None
            self._resources.hold(None, None)
            self.is_leader = False
            self.next_confirm = 0.0
            if scheduler is None:
                return
            try:
                if scheduler.state == STATE_RUNNING:
                    scheduler.pause()
                if self.lease is not None:
                    self.lease.release()
            finally:
                self.runner.stopping = True
                scheduler.shutdown(wait=False)
        deadline = time.monotonic() + float(
            self.app.config["SCHEDULER_SHUTDOWN_TIMEOUT"]
        )
        while wait and self.runner.in_flight and time.monotonic() < deadline:
            time.sleep(0.05)
        self.runner.interrupt_in_flight()

    # leading

    def _next_round(self, failures: int) -> float:
        """One round of the lease thread: open the scheduler if it is not open yet,
        then :meth:`tick`. Returns the seconds to wait before the next round.
        """
        interval = float(self.app.config["SCHEDULER_LEADER_INTERVAL"])
        try:
            if self.scheduler is None:
                self.open()
                if failures:
                    logger.info("The scheduler's job store is reachable again.")
            if time.monotonic() >= self.next_confirm:
                self.tick()
                lease = self.lease
                if lease is not None and self.is_leader and self.event_driven:
                    every = lease.confirm_every(interval)
                    if self._look_again:
                        every = interval  # settle the other processes' rows soon
                    self.next_confirm = time.monotonic() + every
        except Exception as error:
            # Back off: 1, 2, 4 ... up to 30 intervals. A misconfiguration is logged
            # at ERROR with its fix; an outage as a warning.
            delay = interval * min(2.0**failures, 30.0)
            log_open_failure(
                error, self.scheduler is None, delay, self.history.engine.url
            )
            raise RetryIn(delay) from error
        lease = self.lease
        if lease is None or not (self.is_leader and self.event_driven):
            return interval
        wait_for_changes(self, lease)
        return 0.0

    def tick(self) -> None:
        """Take or confirm the lease; run jobs if this process leads, else stand by."""
        with self.lock:
            scheduler, lease = self.scheduler, self.lease
            if scheduler is None or lease is None or not self.started:
                return
            if in_reloader_parent():
                logger.info("Not running jobs in the Flask reloader's parent process.")
                self._stop.set()
                self.started = False
                self._stand_by(scheduler, lease)
                return
            held = lease.try_acquire()
            if held and not self.is_leader:
                logger.info(
                    "This process (%s) now runs the scheduled jobs.", this_process()
                )
            elif self.is_leader and not held:
                logger.warning(
                    "This process lost the scheduler leader lease; standing by."
                )
            if held and (
                not self.is_leader
                or self._look_again
                or time.monotonic() - self._last_settle > SETTLE_INTERVAL
            ):
                self._settle_dead()
            self.is_leader = held
            if held and not self.user_paused:
                if scheduler.state == STATE_PAUSED:
                    scheduler.resume()
                elif not self.event_driven:
                    scheduler.wakeup()
                now = time.monotonic()
                if now - self._last_prune > PRUNE_INTERVAL:
                    self._last_prune = now
                    self.history.prune()
                if self.history.has_pending:
                    self.history.flush_pending()
            elif scheduler.state == STATE_RUNNING:
                scheduler.pause()

    def _settle_dead(self) -> None:
        """Settle the history rows of dead processes of this host (leader only)."""
        settled = take_over_dead(self.history)
        self._look_again = settled.look_again
        self._last_settle = time.monotonic()
        if settled.taken:
            self.runner.take_over(settled.taken)
            scheduler = self.scheduler
            if self.is_leader and scheduler is not None:
                if scheduler.state == STATE_RUNNING:
                    scheduler.wakeup()  # it may sleep until its next job

    def _stand_by(self, scheduler: AppScheduler, lease: Lease) -> None:
        if scheduler.state == STATE_RUNNING:
            scheduler.pause()
        lease.release()
        self.is_leader = False

    def set_paused(self, paused: bool) -> None:
        """``pause()`` / ``resume()``: stop or restart processing in this process."""
        with self.lock:
            self.user_paused = paused
            scheduler = self.open()
            if paused and scheduler.state == STATE_RUNNING:
                scheduler.pause()
        if not paused:
            self.tick()

    def state_name(self) -> str:
        """``stopped``, ``standby``, ``running`` or ``paused``."""
        scheduler = self.scheduler
        if scheduler is None:
            return "stopped"
        if self.user_paused:
            return "paused"
        if not self.started:
            return "stopped"  # the store is open, but this process never runs jobs
        if self.is_leader and scheduler.state == STATE_RUNNING:
            return "running"
        return "standby"

    def leader_info(self) -> dict[str, t.Any]:
        me = this_process()
        lease = self.lease
        leader = None
        if self.is_leader:
            leader = me
        elif lease is not None:
            leader = lease.holder()
        return {
            "is_leader": self.is_leader,
            "leader": leader,
            "lock": lease.kind if lease is not None else "none",
            "state": self.state_name(),
            **me,
        }

    # forking

    # A fork from the main thread is a server making its workers (gunicorn --preload,
    # uWSGI): the parent hands scheduling over to the children and stays on standby.
    # A fork from another thread (say, a job using multiprocessing) changes nothing
    # but a short release of the lease.

    def _before_fork(self) -> None:
        self.lock.acquire()
        self._fork_from_main = threading.current_thread() is threading.main_thread()
        if self.scheduler is not None and self.lease is not None:
            self._stand_by(self.scheduler, self.lease)

    def _after_fork_parent(self) -> None:
        try:
            if self._fork_from_main and self.started:
                self._stop.set()
                self.started = False
                self._thread = None
                self._children_start = True
        finally:
            self.lock.release()

    def _after_fork_child(self) -> None:
        self.lock = threading.RLock()
        scheduler, self.scheduler = self.scheduler, None
        self._resources.hold(None, None)
        restart = (self.started or self._children_start) and self._fork_from_main
        self._children_start = False
        self.started = False
        self._thread = None
        self.lease = None
        self.is_leader = False
        self.runner.reset()
        if scheduler is not None:
            # The parent's connections must not be used (or closed) by the child.
            for alias in scheduler.jobstore_aliases():
                engine = getattr(scheduler.lookup_jobstore(alias), "engine", None)
                if engine is not None:
                    engine.dispose(close=False)
        self.history.engine.dispose(close=False)
        if restart:
            threading.Thread(target=self._restart_in_child, daemon=True).start()

    def _restart_in_child(self) -> None:
        try:
            self.start()
        except Exception:
            logger.exception("Could not start the scheduler in the forked process.")


def _before_fork() -> None:
    for state in list(_STATES):
        state._before_fork()


def _after_fork_parent() -> None:
    for state in list(_STATES):
        state._after_fork_parent()


def _after_fork_child() -> None:
    for state in list(_STATES):
        state._after_fork_child()


def shutdown_all() -> None:
    """Shut every scheduler of this process down (registered to run at exit)."""
    for state in list(_STATES):
        try:
            state.shutdown(wait=True)
        except Exception:
            logger.exception("Error while shutting the scheduler down.")


if hasattr(os, "register_at_fork"):
    os.register_at_fork(
        before=_before_fork,
        after_in_parent=_after_fork_parent,
        after_in_child=_after_fork_child,
    )
# Registered with threading so it runs before concurrent.futures joins its workers
# (a plain atexit handler would run after, with the scheduler still submitting jobs).
# Those hooks run last-registered first: import the pool module, which registers its
# own hook, before registering ours.
import concurrent.futures.thread  # noqa: E402, F401

_register = getattr(threading, "_register_atexit", None)
if _register is not None:
    _register(shutdown_all)
else:  # pragma: no cover
    import atexit

    atexit.register(shutdown_all)
