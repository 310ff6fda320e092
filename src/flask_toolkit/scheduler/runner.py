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
from apscheduler.executors.base import run_job
from apscheduler.executors.pool import BasePoolExecutor
from apscheduler.executors.pool import ProcessPoolExecutor
from apscheduler.jobstores.base import BaseJobStore
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import STATE_STOPPED
from flask import Flask

from . import history as h
from .jobs import RunRef
from .jobs import set_current_run

logger = logging.getLogger("flask_toolkit.scheduler")

_STATUS = {
    EVENT_JOB_EXECUTED: h.SUCCESS,
    EVENT_JOB_ERROR: h.ERROR,
    EVENT_JOB_MISSED: h.MISSED,
}


class DatabaseJobStore(SQLAlchemyJobStore):  # type: ignore[misc]
    """APScheduler's SQLAlchemy job store, safe when several processes start at once.

    :param own_engine: dispose of the engine at shutdown; false for the app's engine.
    """

    def __init__(self, *args: t.Any, own_engine: bool = True, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        self.own_engine = own_engine

    def start(self, scheduler: t.Any, alias: str) -> None:
        BaseJobStore.start(self, scheduler, alias)
        h.create_table(self.jobs_t, self.engine)

    def shutdown(self) -> None:
        if self.own_engine:
            self.engine.dispose()


class JobRunner:
    """Runs jobs of one app: app context, current run, history, runs in flight."""

    def __init__(self, app: Flask, history: h.History) -> None:
        # Weak: the scheduler's threads reach the runner, and must not keep the app
        # alive (an app that is thrown away shuts its scheduler down).
        self._app = weakref.ref(app)
        self.history = history
        self._lock = threading.Lock()
        self._ids = itertools.count()
        #: Runs in progress: token -> history row id, start time.
        self.in_flight: dict[int, tuple[int | None, dt.datetime]] = {}

    @property
    def app(self) -> Flask:
        """The app whose context jobs run in.

        :raises RuntimeError: if the app was garbage-collected.
        """
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
        """Stand-in for APScheduler's ``run_job``: each run time in the app context."""
        events: list[t.Any] = []
        for run_time in run_times:
            grace = job.misfire_grace_time
            late = h.now_utc() - run_time
            if grace is not None and late > dt.timedelta(seconds=grace):
                events.append(
                    JobExecutionEvent(
                        EVENT_JOB_MISSED, job.id, jobstore_alias, run_time
                    )
                )
                logger.warning("Run time of job %r was missed by %s", job.id, late)
                self.history.record(job.id, run_time, h.MISSED)
                continue
            events.extend(self._run_one(job, jobstore_alias, run_time, logger_name))
        return events

    def _run_one(
        self, job: t.Any, jobstore_alias: str, run_time: dt.datetime, logger_name: str
    ) -> list[t.Any]:
        started = h.now_utc()
        row_id = self.history.start(job.id, run_time)
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
                        only_if_running=False,
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
        """Record the runs still in progress as ``interrupted`` (at process exit)."""
        with self._lock:
            running = list(self.in_flight.values())
        for row_id, started in running:
            self.history.finish(
                row_id, h.INTERRUPTED, started=started, only_if_running=True
            )


class _AppContextPool:
    """Wraps an executor's ``concurrent.futures`` pool so jobs go through the runner."""

    def __init__(self, pool: t.Any, runner: JobRunner) -> None:
        self.pool = pool
        self.runner = runner

    def submit(self, fn: t.Any, *args: t.Any, **kwargs: t.Any) -> t.Any:
        if fn is run_job:
            fn = self.runner.run
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
        try:
            return t.cast("float | None", super()._process_jobs())
        except Exception:
            logger.exception("Error while processing due jobs; retrying in a second.")
            return 1.0
