"""The planning check as SQL, for the set-based writes on PostgreSQL: the same warnings as
`checks.findings_for` (the Python form, which every other path runs), with the same messages,
computed for thousands of plannings in one statement. An import of 10,000 Suggested work
orders checked them in Python in about twice the time the import itself took.

Set-based throughout, no index search a planning (each cost ~12 µs, 40 with its
neighbours, and an import checks 13,000): the technicians' plannings around the checked ones
are read once a stretch of their time (`gather`); each technician's, their working stretches
and their organization's holidays become arrays in the order of their starts, in which a
planning's overlaps, stretch and holiday are found by bisection (`width_bucket`, as
`checks._overlapping` bisects); absences, few, are joined as a set.

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
from workorders.scheduling import check_reads
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
NEARBY = "planning_check_nearby"
FOUND = "planning_check_found"
PLANNING_TABLE = JobPlanning._meta.db_table
_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)  # the span of an empty set of plannings
_DAY = timedelta(days=1)
_UNIX = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
SKILLS_TABLE = User.skills.through._meta.db_table


def stored_timeline(more: str = "") -> str:
    """The plannings as the check sees them: (id, user_id, date_start, date_end, number), the
    number being their work order's id2, for messages; then the columns `more` names."""
    return f"""
        SELECT planning.id, planning.user_id, planning.date_start, planning.date_end,
               numbered.id2 AS number{", " + more if more else ""}
        FROM {PLANNING_TABLE} planning
        JOIN {WorkOrder._meta.db_table} numbered ON numbered.id = planning.work_order_id"""


STORED_TIMELINE = stored_timeline()
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
    technicians = check_reads.technicians(ids)
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
        # Each distinct span turned into local days once, each distinct pair of days counted
        # out once: 13,000 plannings share a few thousand spans and 2,000 pairs of days.
        f"""SELECT DISTINCT spanned.user_id, day::date
            FROM (SELECT DISTINCT planning.user_id,
                         (planning.date_start AT TIME ZONE technician.zone)::date AS first,
                         (planning.date_end AT TIME ZONE technician.zone)::date AS last
                  FROM (SELECT DISTINCT user_id, date_start, date_end FROM {targets}) planning
                  JOIN {TECHNICIAN} technician ON technician.user_id = planning.user_id
                  ) spanned,
            generate_series(spanned.first - 1, spanned.last, interval '1 day') day"""
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
            SELECT user_id, timestamptz 'epoch' + start * interval '1 microsecond' AS date_start,
                   timestamptz 'epoch' + finish * interval '1 microsecond' AS date_end
            FROM unnest(%s::uuid[], %s::int8[], %s::int8[]) AS working(user_id, start, finish)""",
        [_array(r[0] for r in rows), _array(r[1] for r in rows), _array(r[2] for r in rows)],
    )


def _array(values) -> str:
    """Uuids, or datetimes as microseconds since the epoch (exact, and written in a third of
    the time their ISO text took), as one PostgreSQL array literal: the driver quoting 15,000
    values one by one took longer than the statement. (Their text holds no comma, brace or
    space.)"""
    text = (str((v - _UNIX) // _MICROSECOND) if isinstance(v, datetime) else str(v) for v in values)
    return "{" + ",".join(text) + "}"


def gather(cursor, *, around: str, timeline: str = STORED_TIMELINE, reach: int = 1) -> None:
    """NEARBY: the rows of `timeline` (id, user_id, date_start, date_end, number, and whatever
    more it has) that may overlap a planning of the table `around` (`reach` 1), or a
    planning touching one of its windows (`reach` 2: the targets a write's windows make are
    found in NEARBY too). Needs `prepare`.

    A planning of length up to L (the technician's longest) overlapping [s, e] starts in
    [s - L, e]; one touching a planning that touches [s, e] in [s - 2L, e + L]. The windows
    are read a stretch at a time (one index search a stretch, not one a planning), a
    stretch ending where the next window starts further than those reaches put together
    (so that no row is read twice) and a day."""
    apart = 2 * reach - 1
    cursor.execute(f"DROP TABLE IF EXISTS {NEARBY}")
    cursor.execute(
        f"""CREATE TEMPORARY TABLE {NEARBY} AS
            WITH place AS (
                SELECT around.user_id, around.date_start, around.date_end,
                       greatest(technician.longest, interval '0') AS longest,
                       max(around.date_end) OVER (
                           PARTITION BY around.user_id ORDER BY around.date_start
                           ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS reached
                FROM {around} around
                JOIN {TECHNICIAN} technician ON technician.user_id = around.user_id),
            stretch AS (
                SELECT user_id, date_start, date_end, longest,
                       count(*) FILTER (
                           WHERE reached IS NULL OR date_start > reached
                                 + greatest({apart} * longest, interval '1 day'))
                         OVER (PARTITION BY user_id ORDER BY date_start
                               ROWS UNBOUNDED PRECEDING) AS stretch
                FROM place),
            region AS (
                SELECT user_id, min(date_start) - {reach} * longest AS low,
                       max(date_end) + {reach - 1} * longest AS high
                FROM stretch GROUP BY user_id, stretch, longest)
            SELECT timeline.* FROM region CROSS JOIN LATERAL (
                SELECT * FROM ({timeline}) timeline
                WHERE timeline.user_id = region.user_id
                  AND timeline.date_start >= region.low
                  AND timeline.date_start <= region.high) timeline"""
    )


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


def find(cursor, *, targets: str, now) -> None:
    """FOUND (id, warnings, codes): the warnings of each planning of the table `targets`
    (id, user_id, date_start, date_end, work_order_id, written, stored), against the other
    plannings of NEARBY (which holds the targets too). `written`: placed just now — the
    others keep `in_the_past` only if their `stored` warnings had it (it was true or not when
    they were made), as `warnings.refresh_warnings` does. Needs `prepare`, `working_time`
    and `gather` (around the targets, or with reach 2 around the windows they touch)."""
    cursor.execute(f"DROP TABLE IF EXISTS {FOUND}")
    cursor.execute(
        f"CREATE TEMPORARY TABLE {FOUND} AS {_findings_sql(targets=targets)}",
        _parameters(now),
    )


def drop(cursor) -> None:
    for table in (TECHNICIAN, WORKING, NEARBY, FOUND):
        cursor.execute(f"DROP TABLE IF EXISTS {table}")


def _finding(code: str, message: str, ids: str = "'[]'::jsonb") -> str:
    return (
        f"jsonb_build_array(jsonb_build_object('code', '{code}', 'message', {message}, "
        f"'planning_ids', {ids}))"
    )


def _around_sql(targets: str) -> str:
    """What each planning of `targets` has around it. Its technician's plannings of NEARBY,
    their working stretches and their organization's holidays are arrays in the order of
    their starts, searched by bisection (`width_bucket`, as `checks._overlapping` bisects):
    one expression a planning, no search of an index a planning. Absences, few, are
    joined as a set."""
    # Plannings sharing a start are named in the order of their ids (the Python form sorts
    # them by str(pk): a uuid's text sorts as its bytes do).
    return f"""
        span AS MATERIALIZED (
            SELECT min(date_start) AS low, max(date_end) AS high FROM {targets}),
        -- The arrays are aggregated from rows sorted first (a temporary table is read by one
        -- process, in that order): an ORDER BY in each aggregate sorted each technician's
        -- rows four times over, and each planning's overlaps twice (PostgreSQL 15).
        timeline AS MATERIALIZED (
            SELECT user_id, array_agg(id) AS ids, array_agg(date_start) AS starts,
                   array_agg(date_end) AS ends, array_agg(number) AS numbers
            FROM (SELECT user_id, id, date_start, date_end, number FROM {NEARBY}
                  ORDER BY user_id, date_start, id) ordered
            GROUP BY user_id),
        -- What may overlap a planning starts within the technician's longest before it and
        -- by its end: a range of their arrays, found by bisection, then looked at one by one.
        candidate AS (
            SELECT target.id, at, timeline.ids[at] AS other, timeline.numbers[at] AS number
            FROM {targets} target
            JOIN {TECHNICIAN} technician ON technician.user_id = target.user_id
            JOIN timeline ON timeline.user_id = target.user_id
            CROSS JOIN LATERAL generate_series(
                width_bucket(target.date_start - technician.longest, timeline.starts),
                width_bucket(target.date_end, timeline.starts)) AS at
            WHERE timeline.ids[at] <> target.id AND timeline.starts[at] < target.date_end
              AND timeline.ends[at] > target.date_start),
        overlap AS (
            SELECT id, count(*) AS n, (array_agg(other::text))[1:{MAX_PLANNING_IDS}] AS ids,
                   (array_agg('#' || number))[1:{NAMED_IN_MESSAGE}] AS numbers
            FROM (SELECT * FROM candidate ORDER BY id, at) ordered
            GROUP BY id),
        working AS MATERIALIZED (
            SELECT user_id, array_agg(date_start ORDER BY date_start) AS starts,
                   array_agg(date_end ORDER BY date_start) AS ends
            FROM {WORKING} GROUP BY user_id),
        holiday AS MATERIALIZED (
            SELECT organization.organization_id, organization.zone,
                   array_agg(holiday.name ORDER BY holiday.date) AS names,
                   array_agg(holiday.date::timestamp AT TIME ZONE organization.zone
                             ORDER BY holiday.date) AS starts,
                   array_agg((holiday.date + 1)::timestamp AT TIME ZONE organization.zone
                             ORDER BY holiday.date) AS ends
            FROM (SELECT DISTINCT organization_id, zone FROM {TECHNICIAN}) organization
            JOIN {Holiday._meta.db_table} holiday
              ON holiday.sales_organization_id = organization.organization_id, span
            -- days around the span in UTC: local days are within one of them
            WHERE holiday.date >= (span.low AT TIME ZONE 'UTC')::date - 2
              AND holiday.date <= (span.high AT TIME ZONE 'UTC')::date + 2
            GROUP BY organization.organization_id, organization.zone),
        -- Each planning with its technician and what the arrays tell of it, the arrays left
        -- behind (riding along each row into the joins' hash tables, they spilled them to
        -- disk).
        placed AS MATERIALIZED (
            SELECT planning.id, planning.user_id, planning.date_start, planning.date_end,
                   planning.work_order_id, planning.written, planning.stored, technician.name,
                   technician.zone,
                   -- the first holiday ending after the start, if it begins before the end
                   CASE WHEN holiday.starts[day.next] < planning.date_end
                        THEN holiday.names[day.next] END AS holiday,
                   -- stretches do not overlap: only the last one starting by then can hold it
                   (planning.date_end <= planning.date_start OR planning.date_end
                    <= working.ends[width_bucket(planning.date_start, working.starts)])
                     IS TRUE AS covered
            FROM {targets} planning
            JOIN {TECHNICIAN} technician ON technician.user_id = planning.user_id
            LEFT JOIN working ON working.user_id = planning.user_id
            LEFT JOIN holiday ON holiday.organization_id = technician.organization_id
                             AND holiday.zone = technician.zone
            CROSS JOIN LATERAL (
                SELECT width_bucket(planning.date_start, holiday.ends) + 1 AS next) day),
        away_near AS MATERIALIZED (
            SELECT away.id, away.technician_id, away.kind, away.start, away."end"
            FROM {Absence._meta.db_table} away, span
            WHERE away.technician_id IN (SELECT user_id FROM {TECHNICIAN})
              AND away.start < span.high AND away."end" > span.low),
        away AS (
            SELECT DISTINCT ON (target.id) target.id, away.kind, away.start, away."end"
            FROM {targets} target
            JOIN away_near away ON away.technician_id = target.user_id
              AND away.start < target.date_end AND away."end" > target.date_start
            ORDER BY target.id, away.start, away.id)"""


def _facts_sql(*, targets: str) -> str:
    """One row a planning of `targets`: what each warning needs to be decided and worded."""
    work_order, status = WorkOrder._meta.db_table, JobStatus._meta.db_table
    pending = ", ".join(f"'{state}'" for state in sorted(PENDING_STATES))
    return f"""
        WITH {_around_sql(targets)}
        SELECT planning.id, planning.name, planning.zone, planning.date_start,
               overlap.n, overlap.ids, overlap.numbers, planning.holiday, planning.covered,
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
        FROM placed planning
        JOIN {work_order} work_order ON work_order.id = planning.work_order_id
        JOIN {status} status ON status.id = work_order.job_status_id
        LEFT JOIN {Skill._meta.db_table} skill ON skill.id = work_order.skill_id
        LEFT JOIN overlap ON overlap.id = planning.id
        LEFT JOIN away ON away.id = planning.id"""


def _findings_sql(*, targets: str) -> str:
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
        FROM ({_facts_sql(targets=targets)} OFFSET 0) fact"""


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
