"""The leader lease's interface, and the leases that need no server.

See :mod:`flask_toolkit.scheduler.leader` for which lease a job store gets.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import typing as t

logger = logging.getLogger("flask_toolkit.scheduler")


def this_process() -> dict[str, t.Any]:
    return {"host": socket.gethostname(), "pid": os.getpid()}


def _parse_owner(text: str | bytes | None) -> dict[str, t.Any] | None:
    if not text:
        return None
    if isinstance(text, bytes):
        text = text.decode(errors="replace")
    host, _, rest = text.strip().rpartition(" ")
    pid = rest.split(":")[0]
    if not host or not pid.isdigit():
        return None
    return {"host": host, "pid": int(pid)}


class Lease:
    """Base class; :class:`NoLease` is the trivial lease every process holds."""

    #: Shown by ``leader_info()["lock"]``.
    kind = "none"
    #: Whether the leader hears of changes (:meth:`wait_for_change`), or must poll.
    notifies = False

    def __init__(self) -> None:
        self.held = False
        self.owner = f"{socket.gethostname()} {os.getpid()}"
        #: When the lease was last taken or confirmed (``time.time()``), if held.
        self.renewed_at: float | None = None

    def try_acquire(self) -> bool:
        """Take the lease if free, or confirm it is still held; return whether held."""
        try:
            self.held = self._try_acquire()
        except Exception:
            logger.warning("Scheduler leader lease check failed.", exc_info=True)
            self._drop()
            self.held = False
        self.renewed_at = time.time() if self.held else None
        return self.held

    def release(self) -> None:
        """Give the lease up (shutdown, or before the process forks)."""
        try:
            if self.held:
                self._release()
        except Exception:
            logger.warning(
                "Could not release the scheduler leader lease.", exc_info=True
            )
        finally:
            self._drop()
            self.held = False

    def forget(self) -> None:
        """The lease's connection broke: drop it and count the lease as lost."""
        self._drop()
        self.held = False

    def holder(self) -> dict[str, t.Any] | None:
        """Who holds the lease, as ``{"host", "pid"}``, or ``None`` when unknown."""
        if self.held:
            return this_process()
        try:
            return self._holder()
        except Exception:
            return None

    def confirm_every(self, interval: float) -> float:
        """How often the holder must confirm the lease, in seconds.

        :param interval: ``SCHEDULER_LEADER_INTERVAL``, the polling interval.
        """
        return interval

    def wait_for_change(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for a change announced by any process.

        Only for a held lease that :attr:`notifies`. Returns whether one came.

        :raises Exception: when the connection that listens is gone (the lease is
            then lost too).
        """
        time.sleep(timeout)
        return False

    def notify(self) -> None:
        """Announce a change of the job store to the leader; never raises."""
        try:
            self._notify()
        except Exception:
            logger.warning("Could not announce a job store change.", exc_info=True)

    def _notify(self) -> None:
        pass

    def _try_acquire(self) -> bool:
        return True

    def _release(self) -> None:
        pass

    def _drop(self) -> None:
        """Forget any connection or handle (it may be broken)."""

    def _holder(self) -> dict[str, t.Any] | None:
        return None


class NoLease(Lease):
    """Every process leads (``SCHEDULER_LEADER_ELECTION = False``)."""


class FileLease(Lease):
    """An OS file lock; the holder's ``host pid`` is written to ``<path>.owner``."""

    kind = "file"

    def __init__(self, path: str) -> None:
        super().__init__()
        from filelock import FileLock

        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        self.path = path
        self._lock = FileLock(path, thread_local=False)

    def _try_acquire(self) -> bool:
        from filelock import Timeout

        if self._lock.is_locked:
            return True
        try:
            self._lock.acquire(timeout=0)
        except Timeout:
            return False
        with open(self.path + ".owner", "w") as f:
            f.write(self.owner)
        return True

    def _release(self) -> None:
        self._lock.release(force=True)

    def _holder(self) -> dict[str, t.Any] | None:
        try:
            with open(self.path + ".owner") as f:
                return _parse_owner(f.read())
        except OSError:
            return None
