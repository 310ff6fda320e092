"""Heartbeats: every scheduler process says, next to the job store, that it lives.

A process that started its scheduler runs a heartbeat thread beside its lease thread
(:func:`~flask_toolkit.scheduler.background.lease_thread` starts it and, when the
scheduler stops, deletes the process' entry). The thread writes one entry about its
process (host, pid, leader or standby, state, when it started, when the lease was last
renewed) when the process' role or state changes, and otherwise every
``SCHEDULER_HEARTBEAT_INTERVAL`` seconds (default 30): one statement (or one Redis
call) per interval, so an idle leader stays cheap. Where the entries are kept:
:mod:`.roster`.

Writing never breaks anything: while the store cannot be reached the thread logs once,
retries every interval and carries on. :func:`cluster_info` reads the entries for
``leader_info()``, the dashboard's cluster page and the REST API, in any process,
also one that never starts the scheduler.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
import typing as t
import weakref

from .. import timefmt
from .lease import this_process
from .roster import DROP_AFTER
from .roster import Entry
from .roster import GONE_AFTER
from .roster import PRUNE_EVERY
from .roster import Roster
from .roster import roster_for_store

if t.TYPE_CHECKING:
    from .lifecycle import AppScheduling

logger = logging.getLogger("flask_toolkit.scheduler")

#: How often the thread looks (in memory) whether its process' role changed, seconds.
LOOK_EVERY = 1.0

_BEATS: weakref.WeakKeyDictionary[AppScheduling, Heartbeat] = (
    weakref.WeakKeyDictionary()
)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def interval_of(state: AppScheduling) -> float:
    """``SCHEDULER_HEARTBEAT_INTERVAL`` of the state's app, in seconds."""
    return max(float(state.app.config["SCHEDULER_HEARTBEAT_INTERVAL"]), 0.1)


def _roster(state: AppScheduling, scheduler: t.Any) -> Roster:
    return roster_for_store(scheduler.lookup_jobstore("default"), interval_of(state))


class Heartbeat:
    """The heartbeat of one started scheduler; its thread ends when ``stop`` is set.

    :param ref: the app's scheduling state, held weakly (as the lease thread does).
    """

    def __init__(self, ref: weakref.ref[AppScheduling], stop: threading.Event) -> None:
        self._ref = ref
        self._stop = stop
        self._lock = threading.Lock()
        self._left = False
        self._roster: Roster | None = None
        self._written: tuple[str, str] | None = None
        self._next = 0.0
        self._beats = 0
        self._failing = False
        me = this_process()
        self.host: str = me["host"]
        self.pid: int = me["pid"]
        self.started_at = _now()

    def start(self) -> None:
        state = self._ref()
        if state is not None:
            _BEATS[state] = self
        thread = threading.Thread(
            target=self._run, name="flask-toolkit scheduler heartbeat", daemon=True
        )
        thread.start()

    def entry(self, state: AppScheduling) -> Entry:
        """What this process says of itself now."""
        lease = state.lease
        renewed = getattr(lease, "renewed_at", None) if state.is_leader else None
        return {
            "host": self.host,
            "pid": self.pid,
            "role": "leader" if state.is_leader else "standby",
            "state": state.state_name(),
            "started_at": self.started_at,
            "seen_at": _now(),
            "renewed_at": None
            if renewed is None
            else dt.datetime.fromtimestamp(renewed, dt.timezone.utc),
        }

    def _run(self) -> None:
        delay = 0.0
        while not self._stop.wait(delay):
            delay = LOOK_EVERY
            state = self._ref()
            if state is None:
                return
            try:
                self._round(state)
            except Exception:  # never let the thread die
                logger.exception("The scheduler heartbeat failed; it goes on.")
            finally:
                del state

    def _round(self, state: AppScheduling) -> None:
        scheduler = state.scheduler
        if scheduler is None:
            return  # not open yet: the lease thread is opening it
        interval = interval_of(state)
        roster = _roster(state, scheduler)
        entry = self.entry(state)
        now = time.monotonic()
        said = (entry["role"], entry["state"])
        if said == self._written and roster is self._roster and now < self._next:
            return
        prune = None
        if self._beats % PRUNE_EVERY == 0:
            prune = entry["seen_at"] - dt.timedelta(seconds=DROP_AFTER * interval)
        self._written, self._next = said, now + interval
        try:
            with self._lock:
                if self._left:
                    return
                self._roster = roster
                roster.beat(entry, prune)
        except Exception as error:
            if not self._failing:
                logger.warning(
                    "Could not write the scheduler heartbeat (%s); retrying every"
                    " %.0f s.",
                    error,
                    interval,
                )
            self._failing = True
            return
        if self._failing:
            logger.info("The scheduler heartbeat is written again.")
        self._failing = False
        self._beats += 1

    def leave(self) -> None:
        """Stop writing and delete this process' entry (the scheduler stops)."""
        with self._lock:
            self._left = True
            roster = self._roster
        if roster is None or not roster.shared:
            return
        try:
            roster.leave(self.host, self.pid)
        except Exception as error:
            logger.warning(
                "Could not delete this process' scheduler heartbeat (%s); it is shown"
                " as gone after %d intervals.",
                error,
                GONE_AFTER,
            )


def start_heartbeat(
    ref: weakref.ref[AppScheduling], stop: threading.Event
) -> Heartbeat:
    """Start the heartbeat thread of a started scheduler (until ``stop`` is set)."""
    heartbeat = Heartbeat(ref, stop)
    heartbeat.start()
    return heartbeat


def _same(entry: Entry, who: t.Mapping[str, t.Any] | None) -> bool:
    return who is not None and (entry["host"], entry["pid"]) == (
        who.get("host"),
        who.get("pid"),
    )


def _as_text(entry: Entry) -> Entry:
    return {
        key: timefmt.format_datetime(value) if isinstance(value, dt.datetime) else value
        for key, value in entry.items()
    }


def cluster_info(state: AppScheduling) -> dict[str, t.Any]:
    """``state.leader_info()`` plus what the heartbeats in the job store say.

    Adds ``processes`` (every scheduler process seen in the last :data:`~.roster.
    DROP_AFTER` intervals, the leader first: ``host``, ``pid``, ``role``, ``state``,
    ``started_at``, ``seen_at``, ``renewed_at``, ``gone``), ``standbys`` (the same
    without the leader), ``renewed_at`` (when the leader last renewed the lease, as of
    its last heartbeat), ``heartbeat_interval`` and ``shared`` (whether the store shows
    other processes). ``leader`` comes from the heartbeats when the lease cannot say.

    :raises Exception: the store's error when the heartbeats cannot be read.
    """
    scheduler = state.open()
    info = state.leader_info()
    roster = _roster(state, scheduler)
    interval = interval_of(state)
    entries = roster.read()
    heartbeat = _BEATS.get(state)
    if heartbeat is not None and state.started:
        # This process' own entry, fresher than the store's copy.
        me = {"host": heartbeat.host, "pid": heartbeat.pid}
        entries = [e for e in entries if not _same(e, me)]
        entries.append(heartbeat.entry(state))
    now = _now()
    processes = []
    for entry in entries:
        age = (now - entry["seen_at"]).total_seconds()
        if age < DROP_AFTER * interval:
            processes.append({**entry, "gone": age > GONE_AFTER * interval})
    if info["leader"] is None:  # the lease does not name its holder (MySQL)
        claims = [p for p in processes if p["role"] == "leader" and not p["gone"]]
        if claims:
            newest = max(claims, key=lambda p: p["seen_at"])
            info["leader"] = {"host": newest["host"], "pid": newest["pid"]}
    leader = info["leader"]
    processes.sort(key=lambda p: (not _same(p, leader), p["gone"], p["host"], p["pid"]))
    row = next((p for p in processes if _same(p, leader)), None)
    renewed = None if row is None else row["renewed_at"]
    info.update(
        processes=[_as_text(p) for p in processes],
        standbys=[_as_text(p) for p in processes if p is not row],
        renewed_at=None if renewed is None else timefmt.format_datetime(renewed),
        heartbeat_interval=interval,
        shared=roster.shared,
    )
    return info
