"""The planning check as SQL, for the set-based writes on PostgreSQL: the same warnings as
`checks.findings_for` (the Python form, which every other path runs), with the same messages,
computed for thousands of plannings in one statement. An import of 10,000 Suggested work
orders checked them in Python in about twice the time the import itself took; here the
database finds the overlaps through its (technician, start) index while it writes.

What SQL cannot read — a technician's name as Python spells it, the working hours (weekly
patterns and exceptions, stored as JSON, in local time) — is turned into two small temporary
tables first: each technician's name, zone and longest planning, and their working time in
UTC with touching intervals joined (`Calendar.stretches`). tests/workorders/test_check_parity.py
holds both forms equal on a world exercising every warning."""

import contextlib
import json
from datetime import UTC, datetime, time, timedelta

from django.db import connection

from jobs.models import JobStatus
from jobsite.calendars import calendars, zone_of
from jobsite.models import Absence, AbsenceKind, Holiday, Skill, User
from workorders.models import JobPlanning, WorkOrder
from workorders.scheduling.checks import (
    ABSENCE,
    AFTER_DUE_DATE,
    BEFORE_EARLIEST_DATE,
    HOLIDAY,
    IN_THE_PAST,
    MAX_PLANNING_IDS,
    MISSING_SKILL,
    NAMED_IN_MESSAGE,
    OUTSIDE_WORKING_HOURS,
    OVERLAP,
    PENDING_STATES,
)

TECHNICIAN = "planning_check_technician"
WORKING = "planning_check_working"
FOUND = "planning_check_found"
PLANNING_TABLE = JobPlanning._meta.db_table
_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)  # the span of an empty set of plannings
_DAY = timedelta(days=1)
SKILLS_TABLE = User.skills.through._meta.db_table

# The plannings as the check sees them: (id, user_id, date_start, date_end, number), the
# number being their work order's id2, for messages.
STORED_TIMELINE = f"""
    SELECT planning.id, planning.user_id, planning.date_start, planning.date_end,
           numbered.id2 AS number
    FROM {PLANNING_TABLE} planning
    JOIN {WorkOrder._meta.db_table} numbered ON numbered.id = planning.work_order_id"""
STORED_SPANS = f"SELECT user_id, date_start, date_end FROM {PLANNING_TABLE}"


def available() -> bool:
    return connection.vendor == "postgresql"


def prepare(cursor, *, users: str, spans: str = STORED_SPANS) -> dict:
    """TECHNICIAN: the technicians whose ids the SQL `users` selects, with their name (as
    `str(user)`), zone and longest planning among `spans` (user_id, date_start, date_end),
    which bounds the search for what overlaps one of theirs from below, as
    `checks._overlapping` does. Returns them ({id: user}, their organizations read), for
    `working_time`."""
    cursor.execute(f"SELECT DISTINCT user_id FROM ({users}) given")
    ids = [row[0] for row in cursor.fetchall()]
    technicians = User.objects.select_related("sales_organization").in_bulk(ids)
    cursor.execute(f"DROP TABLE IF EXISTS {TECHNICIAN}")
    cursor.execute(
        f"""CREATE TEMPORARY TABLE {TECHNICIAN} AS
            SELECT given.user_id, given.name, given.zone, given.organization_id,
                   coalesce(span.longest, interval '0') AS longest
            FROM unnest(%s::uuid[], %s::text[], %s::text[], %s::uuid[])
                 AS given(user_id, name, zone, organization_id)
            LEFT JOIN (SELECT user_id, max(date_end - date_start) AS longest
                       FROM ({spans}) planning WHERE user_id = ANY(%s::uuid[])
                       GROUP BY user_id) span USING (user_id)""",
        [
            list(technicians),
            [str(t) for t in technicians.values()],
            [zone_of(t.sales_organization).key for t in technicians.values()],
            [t.sales_organization_id for t in technicians.values()],
            list(technicians),
        ],
    )
    cursor.execute(f"CREATE UNIQUE INDEX {TECHNICIAN}_user ON {TECHNICIAN} (user_id)")
    return technicians


def working_time(cursor, *, targets: str, technicians: dict) -> None:
    """WORKING: the working time of each technician of the table `targets` (`technicians`,
    as `prepare` returned them) on the local days
    their plannings there touch (and the day before each: `Calendar.stretches`), in UTC,
    touching intervals joined. Those days alone: a technician's few plannings months apart
    made a calendar of every day between them (20,000 intervals for 5,000 plannings)."""
    cursor.execute(
        f"""SELECT DISTINCT planning.user_id, day::date
            FROM {targets} planning
            JOIN {TECHNICIAN} technician ON technician.user_id = planning.user_id,
            generate_series((planning.date_start AT TIME ZONE technician.zone)::date - 1,
                            (planning.date_end AT TIME ZONE technician.zone)::date,
                            interval '1 day') day"""
    )
    days: dict = {}
    for user_id, day in cursor.fetchall():
        days.setdefault(user_id, []).append(day)
    every = [day for theirs in days.values() for day in theirs] or [_EPOCH.date()]
    low = datetime.combine(min(every), time(), UTC) - _DAY
    high = datetime.combine(max(every), time(), UTC) + 2 * _DAY
    found = calendars([technicians[pk] for pk in days], start=low, end=high)
    rows = [
        (user_id, a, b)
        for user_id, theirs in days.items()
        if user_id in found
        for a, b in found[user_id].stretches(theirs)
    ]
    cursor.execute(f"DROP TABLE IF EXISTS {WORKING}")
    cursor.execute(
        f"""CREATE TEMPORARY TABLE {WORKING} AS
            SELECT * FROM unnest(%s::uuid[], %s::timestamptz[], %s::timestamptz[])
                 AS working(user_id, date_start, date_end)""",
        [_array(r[0] for r in rows), _array(r[1] for r in rows), _array(r[2] for r in rows)],
    )
    cursor.execute(
        f"CREATE INDEX {WORKING}_user ON {WORKING} (user_id, date_start) INCLUDE (date_end)"
    )


def _array(values) -> str:
    """Uuids or datetimes as one PostgreSQL array literal: the driver quoting 15,000 values one
    by one took longer than the statement. (Their text holds no comma, brace or space.)"""
    text = (v.isoformat() if isinstance(v, datetime) else str(v) for v in values)
    return "{" + ",".join(text) + "}"


@contextlib.contextmanager
def without_jit(cursor):
    """PostgreSQL's JIT compiler off for the check's statements: their estimated cost (a
    lateral search per planning) sets it off, and compiling them took 2 s of a 0.3 s query.
    Set for the transaction, then put back as it was."""
    cursor.execute("SELECT current_setting('jit'), set_config('jit', 'off', true)")
    (previous, _) = cursor.fetchone()
    yield
    # (not on an error: the transaction is lost then, and its setting with it)
    cursor.execute("SELECT set_config('jit', %s, true)", [previous])


def find(cursor, *, targets: str, timeline: str = STORED_TIMELINE, now) -> None:
    """FOUND (id, warnings, codes): the warnings of each planning of the table `targets`
    (id, user_id, date_start, date_end, work_order_id, written, stored), against the other
    plannings of `timeline`. `written`: placed just now — the others keep `in_the_past` only
    if their `stored` warnings had it (it was true or not when they were made), as
    `warnings.refresh_warnings` does. Needs `prepare` and `working_time` first."""
    cursor.execute(f"DROP TABLE IF EXISTS {FOUND}")
    cursor.execute(
        f"CREATE TEMPORARY TABLE {FOUND} AS {_findings_sql(targets=targets, timeline=timeline)}",
        _parameters(now),
    )
    cursor.execute(f"CREATE UNIQUE INDEX {FOUND}_id ON {FOUND} (id)")


def drop(cursor) -> None:
    for table in (TECHNICIAN, WORKING, FOUND):
        cursor.execute(f"DROP TABLE IF EXISTS {table}")


def _finding(code: str, message: str, ids: str = "'[]'::jsonb") -> str:
    return (
        f"jsonb_build_array(jsonb_build_object('code', '{code}', 'message', {message}, "
        f"'planning_ids', {ids}))"
    )


def _facts_sql(*, targets: str, timeline: str) -> str:
    """One row a planning of `targets`: what each warning needs to be decided and worded."""
    work_order, status = WorkOrder._meta.db_table, JobStatus._meta.db_table
    pending = ", ".join(f"'{state}'" for state in sorted(PENDING_STATES))
    # Plannings sharing a start are named in the order of their ids (the Python form sorts
    # them by str(pk): a uuid's text sorts as its bytes do).
    return f"""
        SELECT planning.id, technician.name, technician.zone, planning.date_start,
               overlap.n, overlap.ids, overlap.numbers, holiday.name AS holiday,
               -- stretches do not overlap: only the last one starting by then can hold it
               (planning.date_end <= planning.date_start OR planning.date_end <= (
                   SELECT working.date_end FROM {WORKING} working
                   WHERE working.user_id = planning.user_id
                     AND working.date_start <= planning.date_start
                   ORDER BY working.date_start DESC LIMIT 1)) IS TRUE AS covered,
               away.kind AS away_kind, away.start AS away_start, away."end" AS away_end,
               (work_order.skill_id IS NOT NULL AND NOT EXISTS (
                   SELECT 1 FROM {SKILLS_TABLE} has WHERE has.user_id = planning.user_id
                     AND has.skill_id = work_order.skill_id)) AS lacks,
               skill.name AS skill,
               (planning.date_start < %(now)s AND status.life_cycle_state IN ({pending})
                AND (planning.written OR planning.stored @> %(was_past)s::jsonb)) AS past,
               coalesce(planning.date_start < work_order.earliest_date_plannable, FALSE)
                 AS early,
               work_order.earliest_date_plannable AS earliest,
               coalesce(planning.date_end > work_order.due_date, FALSE) AS late,
               work_order.due_date AS due
        FROM {targets} planning
        JOIN {TECHNICIAN} technician ON technician.user_id = planning.user_id
        JOIN {work_order} work_order ON work_order.id = planning.work_order_id
        JOIN {status} status ON status.id = work_order.job_status_id
        LEFT JOIN {Skill._meta.db_table} skill ON skill.id = work_order.skill_id
        LEFT JOIN LATERAL (
            SELECT count(*) AS n,
                   (array_agg(other.id::text ORDER BY other.date_start, other.id))
                     [1:{MAX_PLANNING_IDS}] AS ids,
                   (array_agg('#' || other.number ORDER BY other.date_start, other.id))
                     [1:{NAMED_IN_MESSAGE}] AS numbers
            FROM ({timeline}) other
            WHERE other.user_id = planning.user_id AND other.id <> planning.id
              AND other.date_start < planning.date_end
              AND other.date_start >= planning.date_start - technician.longest
              AND other.date_end > planning.date_start) overlap ON TRUE
        LEFT JOIN LATERAL (
            SELECT holiday.name FROM {Holiday._meta.db_table} holiday
            WHERE holiday.sales_organization_id = technician.organization_id
              AND (holiday.date::timestamp AT TIME ZONE technician.zone) < planning.date_end
              AND ((holiday.date + 1)::timestamp AT TIME ZONE technician.zone)
                  > planning.date_start
            ORDER BY holiday.date LIMIT 1) holiday ON TRUE
        -- joined as a set, not searched a planning at a time: few technicians are away
        LEFT JOIN (
            SELECT DISTINCT ON (target.id) target.id, away.kind, away.start, away."end"
            FROM {targets} target
            JOIN {Absence._meta.db_table} away ON away.technician_id = target.user_id
              AND away.start < target.date_end AND away."end" > target.date_start
            ORDER BY target.id, away.start, away.id) away ON away.id = planning.id"""


def _findings_sql(*, targets: str, timeline: str) -> str:
    """(id, warnings, codes) a planning of `targets`, from its facts (computed once: OFFSET 0
    keeps PostgreSQL from inlining them into each use)."""
    labels = " ".join(f"WHEN '{kind.value}' THEN %(kind_{kind.value})s" for kind in AbsenceKind)
    outside = "fact.holiday IS NULL AND NOT fact.covered"
    # In the order of `checks._findings_of`.
    found = [
        (
            OVERLAP,
            "fact.n > 0",
            "fact.name || %(already_planned)s || array_to_string(fact.numbers, ', ') || "
            f"CASE WHEN fact.n > {NAMED_IN_MESSAGE} THEN ' and more' ELSE '' END || '.'",
            "to_jsonb(fact.ids)",
        ),
        (HOLIDAY, "fact.holiday IS NOT NULL", "fact.holiday || %(is_a_holiday)s", None),
        (
            OUTSIDE_WORKING_HOURS,
            outside,
            f"{_local('fact.date_start')} || %(is_outside)s || fact.name || %(working_hours)s",
            None,
        ),
        (
            ABSENCE,
            "fact.away_kind IS NOT NULL",
            f"fact.name || %(is_away)s || CASE fact.away_kind {labels} ELSE fact.away_kind END"
            f" || %(from)s || {_local('fact.away_start')} || ' to ' "
            f"|| {_local('fact.away_end')} || '.'",
            None,
        ),
        (
            MISSING_SKILL,
            "fact.lacks",
            "fact.name || %(lacks)s || coalesce(fact.skill, %(of_the_work_order)s) || '.'",
            None,
        ),
        (IN_THE_PAST, "fact.past", "%(starts_in_the_past)s", None),
        (
            BEFORE_EARLIEST_DATE,
            "fact.early",
            f"%(before_earliest)s || {_local('fact.earliest')} || '.'",
            None,
        ),
        (AFTER_DUE_DATE, "fact.late", f"%(after_due)s || {_local('fact.due')} || '.'", None),
    ]
    warnings = " || ".join(
        f"CASE WHEN {condition} THEN {_finding(code, message, ids or "'[]'::jsonb")} "
        "ELSE '[]'::jsonb END"
        for code, condition, message, ids in found
    )
    # `checks.warning_codes`: ',a,b,' sorted by code point, or ''.
    codes = " || ".join(
        f"CASE WHEN {condition} THEN '{code},' ELSE '' END"
        for code, condition, _, _ in sorted(found)
    )
    return f"""
        SELECT fact.id, {warnings} AS warnings, coalesce(nullif(',' || {codes}, ','), '') AS codes
        FROM ({_facts_sql(targets=targets, timeline=timeline)} OFFSET 0) fact"""


def _local(moment: str) -> str:
    """`checks._local`: '%a %d %b %H:%M' in the technician's zone (C locale, as Python's)."""
    return f"to_char({moment} AT TIME ZONE fact.zone, 'Dy DD Mon HH24:MI')"


def _parameters(now) -> dict:
    """The messages' words, as `checks._findings_of` has them (labels translated now)."""
    return {
        "now": now,
        "already_planned": " is already planned then: ",
        "is_a_holiday": " is a public holiday.",
        "is_outside": " is outside ",
        "working_hours": "'s working hours.",
        "is_away": " is away (",
        "from": ") from ",
        "lacks": " lacks the skill ",
        "of_the_work_order": "of the work order",
        "was_past": json.dumps([{"code": IN_THE_PAST}]),
        "starts_in_the_past": "Starts in the past.",
        "before_earliest": "Before the work order's earliest date ",
        "after_due": "Ends after the work order's due date ",
        **{f"kind_{kind.value}": str(kind.label).lower() for kind in AbsenceKind},
    }
