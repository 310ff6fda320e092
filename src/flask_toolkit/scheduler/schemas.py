"""The forms that validate what clients send to the scheduler's REST API.

A job is sent as one flat JSON object, as Flask-APScheduler clients write it: the job's
options (``id``, ``func``, ``args`` ...) and the trigger's arguments (``minutes``,
``hour``, ``run_date`` ...) side by side, with ``trigger`` naming the trigger. The older
form ``"trigger": {"type": "cron", "hour": 3}`` is accepted too.
:func:`parse_job` splits the object and validates each half with its
:class:`~flask_toolkit.MetaForm`: :class:`JobForm` (or :class:`JobPatchForm`) for the
options, and the form of the named trigger (:data:`TRIGGER_FORMS`) for the rest, so a
key that belongs to neither is an *Unknown field* error like any other.

Every check is a form validator: cron expressions are parsed field by field with
APScheduler's own cron field parser, time zones must be IANA names, dates ISO 8601,
``func`` a registered task. Nothing reaches APScheduler before the whole body passed.
"""

from __future__ import annotations

import datetime as dt
import functools
import inspect
import typing as t

from wtforms import ValidationError
from wtforms.fields import BooleanField
from wtforms.fields import IntegerField
from wtforms.fields import StringField
from wtforms.validators import AnyOf
from wtforms.validators import InputRequired
from wtforms.validators import Length
from wtforms.validators import NumberRange
from wtforms.validators import Optional

from ..errors import APIError
from ..forms.form import MetaForm
from . import listing
from .fields import CronField
from .fields import DateTimeField
from .fields import JSONArrayField
from .fields import JSONObjectField
from .fields import TimezoneField
from .ids import id_problem
from .ids import MAX_ID_LENGTH

_INTERVAL_LIMITS = {
    "weeks": 5_200,
    "days": 36_500,
    "hours": 876_000,
    "minutes": 52_560_000,
    "seconds": 3_153_600_000,
}


def _registry() -> t.Mapping[str, t.Any]:
    from .tasks import app_tasks

    return app_tasks().tasks()


def _allowed_tasks() -> str:
    return ", ".join(repr(name) for name in sorted(_registry())) or "none"


class _JobOptionsForm(MetaForm):
    """The options shared by a new job and a change to one."""

    name = StringField(validators=[Optional(), Length(max=1000)])
    func = StringField(validators=[Optional(), Length(min=1, max=500)])
    args = JSONArrayField()
    kwargs = JSONObjectField()
    misfire_grace_time = IntegerField(validators=[Optional(), NumberRange(1, 10**9)])
    max_instances = IntegerField(validators=[Optional(), NumberRange(1, 10_000)])
    coalesce = BooleanField()
    next_run_time = DateTimeField()
    executor = StringField(validators=[Optional(), Length(min=1, max=200)])
    trigger = StringField(validators=[Optional()])

    def validate_func(self, field: t.Any) -> None:
        if field.data is not None and field.data not in _registry():
            raise ValidationError(
                f"{field.data!r} is not a registered task; only registered tasks can"
                f" be scheduled. Allowed: {_allowed_tasks()}."
            )

    def validate_executor(self, field: t.Any) -> None:
        _check_alias(field, "executor")

    def validate_trigger(self, field: t.Any) -> None:
        if field.data is not None and field.data not in TRIGGER_FORMS:
            raise ValidationError(
                f"Unknown trigger {field.data!r}; use one of"
                f" {', '.join(repr(n) for n in TRIGGER_FORMS)}."
            )


class JobForm(_JobOptionsForm):
    """A new job (``POST /jobs``): ``id`` and ``func`` are required."""

    id = StringField(
        validators=[
            InputRequired(),
            Length(min=1, max=MAX_ID_LENGTH),
        ]
    )
    func = StringField(validators=[InputRequired(), Length(min=1, max=500)])
    jobstore = StringField(validators=[Optional(), Length(min=1, max=200)])
    replace_existing = BooleanField()

    def validate_jobstore(self, field: t.Any) -> None:
        _check_alias(field, "jobstore")

    def validate_id(self, field: t.Any) -> None:
        problem = id_problem(field.data) if isinstance(field.data, str) else None
        if problem:
            raise ValidationError(problem)


class JobPatchForm(_JobOptionsForm):
    """A change to a job (``PATCH /jobs/<id>``): every key is optional.

    ``id`` may be sent (Flask-APScheduler clients echo it) but not changed, and a
    job cannot move to another job store.
    """

    id = StringField(validators=[Optional()])
    jobstore = StringField(validators=[Optional()])

    def validate_jobstore(self, field: t.Any) -> None:
        if field.data is not None:
            raise ValidationError(
                "A job cannot move to another job store; delete it and add it there."
            )

    def validate_id(self, field: t.Any) -> None:
        if field.data is not None and field.data != getattr(self, "job_id", None):
            raise ValidationError(
                "A job's id cannot be changed; add a new job instead."
            )


class _TriggerForm(MetaForm):
    timezone = TimezoneField()


class DateTriggerForm(_TriggerForm):
    """``"trigger": "date"``: run once, at ``run_date`` (default: now)."""

    run_date = DateTimeField()


class _PeriodForm(_TriggerForm):
    start_date = DateTimeField()
    end_date = DateTimeField()
    jitter = IntegerField(validators=[Optional(), NumberRange(0, 31_536_000)])

    def validate_end_date(self, field: t.Any) -> None:
        start = self.start_date.data
        if field.data is not None and start is not None:
            if _comparable(field.data) < _comparable(start):
                raise ValidationError("end_date must not be before start_date.")


def _interval_field(unit: str) -> IntegerField:
    limit = _INTERVAL_LIMITS[unit]
    return IntegerField(validators=[Optional(), NumberRange(0, limit)])


class IntervalTriggerForm(_PeriodForm):
    """``"trigger": "interval"``: every ``weeks``/``days``/``hours``/``minutes``/
    ``seconds`` (summed), from ``start_date`` until ``end_date``."""

    weeks = _interval_field("weeks")
    days = _interval_field("days")
    hours = _interval_field("hours")
    minutes = _interval_field("minutes")
    seconds = _interval_field("seconds")


class CronTriggerForm(_PeriodForm):
    """``"trigger": "cron"``: APScheduler's cron fields, each an expression string
    (``"*/5"``, ``"mon-fri"``, ``"last"``) or an integer."""

    year = CronField()
    month = CronField()
    day = CronField()
    week = CronField()
    day_of_week = CronField()
    hour = CronField()
    minute = CronField()
    second = CronField()


#: Trigger name -> the form of its arguments.
TRIGGER_FORMS: dict[str, type[MetaForm]] = {
    "date": DateTriggerForm,
    "interval": IntervalTriggerForm,
    "cron": CronTriggerForm,
}


_FIELD_NAMES: dict[type, frozenset[str]] = {}


def field_names(form_class: type[MetaForm]) -> frozenset[str]:
    """The keys a form reads (its fields' names), cached per class."""
    names = _FIELD_NAMES.get(form_class)
    if names is None:
        form = form_class(json={}, query=None)
        names = _FIELD_NAMES[form_class] = frozenset(f.name for f in form)
    return names


def _all_trigger_fields() -> frozenset[str]:
    return frozenset().union(*(field_names(form) for form in TRIGGER_FORMS.values()))


def _comparable(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.timezone.utc)


def _check_alias(field: t.Any, kind: str) -> None:
    if field.data is None:
        return
    aliases = scheduler_aliases(kind)
    if field.data not in aliases:
        raise ValidationError(
            f"There is no {kind} {field.data!r}; configured: "
            f"{', '.join(repr(a) for a in sorted(aliases))}."
        )


def scheduler_aliases(kind: str) -> set[str]:
    """The job store (``kind="jobstore"``) or executor aliases of the current app."""
    from ..state import get_state

    manager = get_state().toolkit.scheduler
    if kind == "jobstore":
        return set(manager.jobstore_aliases())
    return set(manager.executor_aliases())


class ParsedJob(t.NamedTuple):
    """A validated job body, ready for the manager."""

    #: Job options by APScheduler's keyword names (``None``: the client sent null).
    options: dict[str, t.Any]
    #: The trigger name, or ``None`` when the body named none.
    trigger: str | None
    #: The trigger's arguments.
    trigger_args: dict[str, t.Any]


#: Options where an explicit ``null`` means something (not "leave as is").
_NULLABLE = frozenset({"misfire_grace_time", "next_run_time"})
_NULLABLE_TRIGGER = frozenset({"jitter", "end_date", "start_date"})


def parse_job(body: t.Mapping[str, t.Any], *, job_id: str | None = None) -> ParsedJob:
    """Validate a job body; ``job_id`` given means a PATCH of that job.

    :raises APIError: 400 with ``{field: [messages]}`` for every problem found.
    """
    data = dict(body)
    trigger = data.get("trigger")
    if isinstance(trigger, t.Mapping):  # {"trigger": {"type": "cron", "hour": 3}}
        nested = dict(trigger)
        data["trigger"] = nested.pop("type", "date")
        for key, value in nested.items():
            data.setdefault(key, value)
    form_class: type[_JobOptionsForm] = JobForm if job_id is None else JobPatchForm
    own = field_names(form_class)
    form = form_class(json={k: v for k, v in data.items() if k in own}, query=None)
    form.job_id = job_id
    ok = form.validate()
    errors: dict[str, t.Any] = dict(form.errors)
    rest = {k: v for k, v in data.items() if k not in own}
    name = form.trigger.data if not form.trigger.errors else None
    trigger_args: dict[str, t.Any] = {}
    if name is None:
        stray = [k for k in rest if k not in _all_trigger_fields()]
        for key in stray:
            errors[key] = ["Unknown field."]
            ok = False
        if rest and len(stray) < len(rest) and job_id is not None:
            if not form.trigger.errors:
                errors["trigger"] = [
                    "Send 'trigger' with the trigger's fields to change the schedule."
                ]
            ok = False
        if stray or job_id is not None or form.trigger.errors:
            rest = {}
    if name is not None or rest:
        trigger_form = TRIGGER_FORMS[name or "date"](json=rest, query=None)
        if trigger_form.validate():
            trigger_args = trigger_form.sent_data
            for key in [k for k, v in trigger_args.items() if v is None]:
                if key not in _NULLABLE_TRIGGER:
                    del trigger_args[key]
        else:
            errors.update(trigger_form.errors)
            ok = False
    if not ok:
        raise APIError(400, errors)
    options = {
        k: v for k, v in form.sent_data.items() if v is not None or k in _NULLABLE
    }
    options.pop("trigger", None)
    if job_id is not None:
        options.pop("id", None)
    return ParsedJob(options, name, trigger_args)


#: ``state=`` filter values; ``active`` is a synonym of ``scheduled``.
JOB_STATES = ("scheduled", "active", "paused")
#: ``sort=`` values: next run time (soonest or, with ``-``, latest first; paused jobs
#: last either way, ties by id), or job id ascending / descending.
SORT_KEYS = listing.SORTS


@functools.lru_cache(maxsize=256)
def _signature(func: t.Callable[..., t.Any]) -> inspect.Signature | None:
    try:
        return inspect.signature(func)
    except (TypeError, ValueError):
        return None


def check_call(
    func: str,
    args: t.Sequence[t.Any],
    kwargs: t.Mapping[str, t.Any],
    *,
    sent: t.Collection[str] = ("args", "kwargs"),
) -> None:
    """Check that the registered task ``func`` accepts ``args`` and ``kwargs``.

    :param sent: the keys the client sent, to put the error under one of them.
    :raises APIError: 400 naming the task's signature; 409 if ``func`` is not a task
        of the app (the API never sets the arguments of any other function).
    """
    target = _registry().get(func)
    if target is None:
        raise APIError(
            409,
            f"{func!r} is not a registered task, so the API cannot set its arguments."
            " Register it with '@toolkit.scheduler.task(...)' or"
            " 'toolkit.scheduler.register(func)'.",
        )
    signature = _signature(target)
    if signature is None:  # a builtin without a signature: nothing to check
        return
    try:
        signature.bind(*args, **kwargs)
    except TypeError as e:
        key = "args" if "args" in sent or "kwargs" not in sent else "kwargs"
        raise APIError(
            400,
            {
                key: [
                    f"The task {func!r} takes {signature}, so it cannot run with these"
                    f" arguments: {e}."
                ]
            },
        ) from None


class ListJobsForm(MetaForm):
    """The query string of ``GET /jobs``."""

    page = IntegerField(validators=[Optional(), NumberRange(min=1, max=10**6)])
    per_page = IntegerField(validators=[Optional(), NumberRange(min=1)])
    state = StringField(validators=[Optional(), AnyOf(JOB_STATES)])
    next_run_from = DateTimeField()
    next_run_to = DateTimeField()
    jobstore = StringField(validators=[Optional(), Length(min=1, max=200)])
    sort = StringField(validators=[Optional(), AnyOf(SORT_KEYS)])

    def validate_jobstore(self, field: t.Any) -> None:
        _check_alias(field, "jobstore")


class PageForm(MetaForm):
    """The query string of ``GET /jobs/<id>/runs``."""

    page = IntegerField(validators=[Optional(), NumberRange(min=1, max=10**6)])
    per_page = IntegerField(validators=[Optional(), NumberRange(min=1)])


class ShutdownForm(MetaForm):
    """The optional body of ``POST /shutdown``."""

    wait = BooleanField()
