"""Running jobs: the app's APScheduler subclass, the app context, the history records.

Jobs run in the app context because the executor's thread pool is wrapped: whatever
APScheduler submits to the pool (``run_job(job, ...)``) runs inside
``app.app_context()``. That happens at execution time, so it holds for jobs loaded back
from a persistent store as much as for jobs added in this process. Only thread-pool
executors are accepted; a process pool would need the app in another interpreter, and is
refused with an error when the scheduler is configured.
"""

from __future__ import annotations

import datetime as dt
import itertools
import logging
import threading
import typing as t
import weakref

from apscheduler.events import EVENT_JOB_ERROR
from apscheduler.events import EVENT_JOB_EXECUTED
from apscheduler.events import EVENT_JOB_MAX_INSTANCES
from apscheduler.events import EVENT_JOB_MISSED
from apscheduler.events import JobExecutionEvent
from apscheduler.executors.base import MaxInstancesReachedError
from apscheduler.executors.base import run_job
from apscheduler.executors.pool import BasePoolExecutor
from apscheduler.executors.pool import ProcessPoolExecutor
from apscheduler.jobstores.base import BaseJobStore
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import STATE_STOPPED
from flask import Flask

from . import history as h
from .claims import Claim
from .claims import submit_taken_over
from .claims import TakenOver
from .jobs import RunRef
from .jobs import set_current_run
from .runs_table import create_table

logger = logging.getLogger("flask_toolkit.scheduler")

_STATUS = {
    EVENT_JOB_EXECUTED: h.SUCCESS,
    EVENT_JOB_ERROR: h.ERROR,
    EVENT_JOB_MISSED: h.MISSED,
}
#: Set in the scheduler's own thread while it hands due jobs to the executors.
_processing = threading.local()


class DatabaseJobStore(SQLAlchemyJobStore):  # type: ignore[misc]
    """APScheduler's SQLAlchemy job store, safe when several processes start at once.

    :param own_engine: dispose of the engine at shutdown; false for the app's engine.
    """

    def __init__(self, *args: t.Any, own_engine: bool = True, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        self.own_engine = own_engine

    def start(self, scheduler: t.Any, alias: str) -> None:
        BaseJobStore.start(self, scheduler, alias)
        create_table(self.jobs_t, self.engine)

    def shutdown(self) -> None:
        if self.own_engine:
            self.engine.dispose()


class JobRunner:
    """Runs jobs of one app: claims, app context, current run, history, queue.

    Every run time the scheduler hands over is first *claimed*: its history row is
    inserted under a unique index before the run starts, so two leaders can never both
    run one scheduled time of a job. A run time that falls due while the job already
    runs ``max_instances`` times in this process waits for the running instance and runs
    right after it, instead of being dropped: with ``coalesce`` one run time waits and
    the later ones are recorded ``skipped``, without ``coalesce`` they all wait, in
    order. ``misfire_grace_time`` still applies when a run's turn comes.
    """

    def __init__(self, app: Flask, history: h.History) -> None:
        # Weak: the scheduler's threads reach the runner, and must not keep the app
        # alive (an app that is thrown away shuts its scheduler down).
        self._app = weakref.ref(app)
        self.history = history
        self._lock = threading.Lock()
        self._ids = itertools.count()
        #: Runs in progress: token -> history row id, start time.
        self.in_flight: dict[int, tuple[int | None, dt.datetime]] = {}
        #: Instances of each job running in this process (``max_instances``).
        self.active: dict[str, int] = {}
        #: Run times waiting for a running instance of their job, per job id.
        self.queued: dict[str, list[tuple[t.Any, Claim]]] = {}
        #: Claims of dead processes taken over, not submitted yet.
        self.taken_over: list[TakenOver] = []
        #: Scheduled runs not run because another process had claimed them.
        self.duplicates_avoided = 0
        self.stopping = False

    def reset(self) -> None:
        """Forget runs of another process (after a fork) and start accepting runs."""
        self.in_flight.clear()
        self.active.clear()
        self.queued.clear()
        self.taken_over.clear()
        self.stopping = False

    def claim(self, job: t.Any, run_times: list[dt.datetime]) -> list[Claim]:
        """Claim ``run_times`` of ``job``; those another process claimed are dropped."""
        claims = []
        for run_time in run_times:
            row_id = self.history.claim(job.id, run_time)
            if row_id is h.DUPLICATE:
                self.duplicates_avoided += 1
                logger.warning(
                    "Run of job %r scheduled at %s was claimed by another process"
                    " already; not running it again (duplicate avoided).",
                    job.id,
                    run_time,
                )
                continue
            claims.append(Claim(run_time, t.cast("int | None", row_id)))
        return claims

    def submit(
        self, executor: t.Any, job: t.Any, run_times: list[dt.datetime], manual: bool
    ) -> None:
        """Claim the run times and hand them to ``executor`` (its ``submit_job``).

        :param manual: a "run now" from this process: refused with
            :class:`~apscheduler.executors.base.MaxInstancesReachedError` when the job
            is busy, instead of waiting.
        """
        if manual:
            with self._lock:
                if self.active.get(job.id, 0) >= job.max_instances:
                    raise MaxInstancesReachedError(job)
        self.submit_claims(executor, job, self.claim(job, run_times), manual)

    def submit_claims(
        self, executor: t.Any, job: t.Any, claims: list[Claim], manual: bool = False
    ) -> None:
        """Hand ``claims`` to ``executor``, or queue them while the job is busy."""
        if not claims:
            return
        with self._lock:
            if self.active.get(job.id, 0) >= job.max_instances and not manual:
                self._enqueue(job, claims)
                return
            self.active[job.id] = self.active.get(job.id, 0) + 1
        try:
            with executor._lock:
                executor._do_submit_job(job, claims)
                executor._instances[job.id] += 1
        except BaseException:
            with self._lock:
                self.active[job.id] -= 1
                if not self.active[job.id]:
                    del self.active[job.id]
            for claim in claims:
                self.history.finish(claim.row_id, h.INTERRUPTED, started=None)
            raise

    def take_over(self, claims: list[TakenOver]) -> None:
        """Queue claims of a dead process (now this one's) for the scheduler."""
        with self._lock:
            self.taken_over.extend(claims)

    def pop_taken_over(self) -> list[TakenOver]:
        with self._lock:
            taken, self.taken_over = self.taken_over, []
        return taken

    def _enqueue(self, job: t.Any, claims: list[Claim]) -> None:
        """Under the lock: let ``claims`` wait for the running instance of ``job``."""
        queue = self.queued.setdefault(job.id, [])
        for claim in claims:
            if job.coalesce and queue:
                self.history.finish(claim.row_id, h.SKIPPED, started=None)
                logger.info(
                    "Run of job %r at %s skipped: one run already waits (coalesce).",
                    job.id,
                    claim.run_time,
                )
            else:
                queue.append((job, claim))

    @property
    def app(self) -> Flask:
        """The app whose context jobs run in (:exc:`RuntimeError` once collected)."""
        app = self._app()
        if app is None:
            raise RuntimeError("The app of this scheduler no longer exists.")
        return app

    def run(
        self,
        job: t.Any,
        jobstore_alias: str,
        run_times: list[dt.datetime],
        logger_name: str,
    ) -> list[t.Any]:
        """Stand-in for APScheduler's ``run_job``: claim, then run each in the app."""
        events: list[t.Any] = []
        for claim in self.claim(job, run_times):
            events.extend(self._run_one(job, jobstore_alias, claim, logger_name))
        return events

    def run_claimed(
        self, job: t.Any, jobstore_alias: str, claims: list[Claim], logger_name: str
    ) -> list[t.Any]:
        """Run claimed run times, then those that queued up meanwhile (pool thread)."""
        events: list[t.Any] = []
        items = [(job, claim) for claim in claims]
        try:
            while True:
                for item_job, claim in items:
                    events.extend(
                        self._run_one(item_job, jobstore_alias, claim, logger_name)
                    )
                with self._lock:
                    items = self.queued.pop(job.id, [])
                    if not items or self.stopping:
                        self.active[job.id] -= 1
                        if not self.active[job.id]:
                            del self.active[job.id]
                        if items:
                            self.queued[job.id] = items
                        return events
        except BaseException:
            with self._lock:
                self.active[job.id] = max(self.active.get(job.id, 1) - 1, 0)
            raise

    def _run_one(
        self, job: t.Any, jobstore_alias: str, claim: Claim, logger_name: str
    ) -> list[t.Any]:
        run_time, row_id = claim.run_time, claim.row_id
        grace = job.misfire_grace_time
        late = h.now_utc() - run_time
        if grace is not None and late > dt.timedelta(seconds=grace):
            logger.warning("Run time of job %r was missed by %s", job.id, late)
            self.history.finish(
                row_id, h.MISSED, started=None, job_id=job.id, scheduled=run_time
            )
            code = EVENT_JOB_MISSED
            return [JobExecutionEvent(code, job.id, jobstore_alias, run_time)]
        started = h.now_utc()
        if not self.history.begin(row_id, started):
            logger.warning("Run of job %r at %s is not ours to run.", job.id, run_time)
            return []
        with self._lock:
            token = next(self._ids)
            self.in_flight[token] = (row_id, started)
        try:
            with self.app.app_context():
                set_current_run(RunRef(job.id, run_time))
                # run_job catches the job's exceptions and turns them into events.
                events: list[t.Any] = run_job(
                    job, jobstore_alias, [run_time], logger_name
                )
            for event in events:
                status = _STATUS.get(event.code)
                if status is not None:
                    self.history.finish(
                        row_id,
                        status,
                        started=started,
                        error=event.exception,
                        traceback=event.traceback,
                        job_id=job.id,
                        scheduled=run_time,
                    )
        finally:
            # Only now is the run over: shutdown(wait=True) waits for the history
            # write too, so disposing the engine afterwards loses nothing.
            with self._lock:
                self.in_flight.pop(token, None)
        return events

    def on_max_instances(self, event: t.Any) -> None:
        """Listener: a run skipped because the job was still running is recorded."""
        for run_time in event.scheduled_run_times:
            self.history.record(event.job_id, run_time, h.SKIPPED)

    def interrupt_in_flight(self) -> None:
        """Record the runs still in progress, or waiting, as ``interrupted``."""
        with self._lock:
            self.stopping = self.history.detached = True
            running = list(self.in_flight.values())
            waiting = [claim for q in self.queued.values() for _, claim in q]
            self.queued.clear()
        for row_id, started in running:
            self.history.finish(
                row_id, h.INTERRUPTED, started=started, only_if_running=True
            )
        for claim in waiting:
            self.history.finish(claim.row_id, h.INTERRUPTED, started=None)


class _AppContextPool:
    """Wraps an executor's ``concurrent.futures`` pool so jobs go through the runner."""

    def __init__(self, pool: t.Any, runner: JobRunner) -> None:
        self.pool = pool
        self.runner = runner

    def submit(self, fn: t.Any, *args: t.Any, **kwargs: t.Any) -> t.Any:
        if fn is run_job:
            claimed = len(args) > 2 and all(isinstance(c, Claim) for c in args[2])
            fn = self.runner.run_claimed if claimed else self.runner.run
        return self.pool.submit(fn, *args, **kwargs)

    def shutdown(self, wait: bool = True) -> None:
        self.pool.shutdown(wait)

    def __getattr__(self, name: str) -> t.Any:
        return getattr(self.pool, name)


def check_executor(executor: t.Any, alias: str) -> None:
    """Refuse executors that cannot run jobs in the app context.

    :raises RuntimeError: with the supported alternative.
    """
    if isinstance(executor, ProcessPoolExecutor) or not isinstance(
        executor, BasePoolExecutor
    ):
        raise RuntimeError(
            f"SCHEDULER_EXECUTORS[{alias!r}] is a {type(executor).__name__}, but jobs"
            " must run inside the Flask app context, which only a thread pool can"
            " give them."
            " Use {'type': 'threadpool', 'max_workers': N}; for CPU-bound work, start a"
            " process pool from inside the job."
        )


class AppScheduler(BackgroundScheduler):  # type: ignore[misc]
    """A background scheduler whose executors run jobs through a :class:`JobRunner`.

    Job processing survives job store errors (another process may have removed a job
    this one was about to update): the error is logged and processing retried.
    """

    def __init__(self, runner: JobRunner, **options: t.Any) -> None:
        self.runner = runner
        runner.stopping = runner.history.detached = False
        super().__init__(**options)
        self.add_listener(runner.on_max_instances, EVENT_JOB_MAX_INSTANCES)

    def add_executor(
        self, executor: t.Any, alias: str = "default", **options: t.Any
    ) -> None:
        if isinstance(executor, str):
            executor = self._create_plugin_instance("executor", executor, options)
        check_executor(executor, alias)
        if not isinstance(executor._pool, _AppContextPool):
            executor._pool = _AppContextPool(executor._pool, self.runner)
            runner = self.runner

            def submit_job(job: t.Any, run_times: list[dt.datetime]) -> None:
                manual = not getattr(_processing, "active", False)
                runner.submit(executor, job, run_times, manual)

            executor.submit_job = submit_job
        super().add_executor(executor, alias)

    def lookup_executor(self, alias: str) -> t.Any:
        return self._lookup_executor(alias)

    def lookup_jobstore(self, alias: str) -> t.Any:
        return self._lookup_jobstore(alias)

    def jobstore_aliases(self) -> list[str]:
        return list(self._jobstores)

    def executor_aliases(self) -> list[str]:
        return list(self._executors)

    def create_trigger(self, trigger: t.Any, trigger_args: dict[str, t.Any]) -> t.Any:
        return self._create_trigger(trigger, trigger_args)

    def _process_jobs(self) -> float | None:
        if self.state == STATE_STOPPED:
            # APScheduler's loop runs one more round after shutdown(); it would submit
            # to stopped executors and still move the jobs' next run times on.
            return None
        _processing.active = True
        try:
            submit_taken_over(self.runner, self)
            return t.cast("float | None", super()._process_jobs())
        except Exception:
            logger.exception("Error while processing due jobs; retrying in a second.")
            return 1.0
        finally:
            _processing.active = False
