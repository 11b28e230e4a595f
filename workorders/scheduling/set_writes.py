"""The warnings refresh of a set-based write (the file import), limited to what changed.

An import rewrites thousands of work orders, most of them for columns the planning check does
not read (a name, a description, a customer reference). Before the write, `note_inputs` copies
into two temporary tables what the check reads of the work orders the write may change (skill,
earliest date, due date, life-cycle state, organization) and where their plannings are
(technician, start, end). After the write and the Suggested rule, `refresh_changed` compares
both sides in SQL and checks again only the plannings that came, went or moved, and those whose
work order's inputs changed; `refresh_warnings` adds their neighbours where they were and where
they are. An import that changes none of that reads two small tables and checks nothing.

On PostgreSQL (`in_sql`) the check runs as SQL (`checks_sql`), and the Suggested rule's new
plannings wait in INCOMING until their warnings are known, so each is written once with them:
writing 10,000 plannings and then their warnings again cost the database as much as the check.

The setting IMPORT_REFRESHES_WARNINGS (default true; not in settings.py) is for the scheduling
bench alone: off, it times the import as it was before the check existed."""

from django.conf import settings
from django.db import connection
from django.utils import timezone

from jobs.models import JobStatus
from workorders.models import JobPlanning, WorkOrder
from workorders.scheduling import checks_sql
from workorders.scheduling.warnings import refresh_warnings, without_cycle_collection

BEFORE = "planning_check_before"
# The Suggested rule's plannings to add (id, work_order_id, user_id, date_start, date_end,
# modified_dateutc, number: the work order's id2), written by `refresh_changed` with their
# warnings.
INCOMING = "planning_check_incoming"
WINDOWS = "planning_check_windows"
TARGETS = "planning_check_targets"
# What the check reads of a work order (the life-cycle state comes from its status).
WORK_ORDER_INPUTS = ("skill_id", "due_date", "earliest_date_plannable", "sales_organization_id")
WINDOW = ("user_id", "date_start", "date_end")


def enabled() -> bool:
    return getattr(settings, "IMPORT_REFRESHES_WARNINGS", True)


def in_sql() -> bool:
    """Does this database check in SQL (and the rule stage its new plannings in INCOMING)?"""
    return enabled() and checks_sql.available()


def _distinct(a: str, b: str) -> str:
    if connection.vendor == "postgresql":
        return f"{a} IS DISTINCT FROM {b}"
    return f"{a} IS NOT {b}"  # SQLite: null-safe, row values included


def note_inputs(cursor, *, work_orders: str) -> None:
    """Before a set-based write: note the check's inputs of the work orders whose ids the SQL
    `work_orders` selects (the stored ones the write may change), with the place of the
    Suggested rule's planning of each (the only plannings an import moves or removes). One row
    a work order: they have one rule planning at most."""
    if not enabled():
        return
    cursor.execute(f"DROP TABLE IF EXISTS {BEFORE}")
    inputs = ", ".join(f"work_order.{c}" for c in WORK_ORDER_INPUTS)
    window = ", ".join(f"planning.{c}" for c in WINDOW)
    cursor.execute(
        f"""CREATE TEMPORARY TABLE {BEFORE} AS
            SELECT work_order.id, {inputs}, status.life_cycle_state,
                   planning.id AS planning_id, {window}
            FROM {WorkOrder._meta.db_table} work_order
            JOIN {JobStatus._meta.db_table} status ON status.id = work_order.job_status_id
            LEFT JOIN {JobPlanning._meta.db_table} planning
              ON planning.work_order_id = work_order.id AND planning.made_by_rule
            WHERE work_order.id IN ({work_orders})"""
    )
    # Looked up by planning from the other side: SQLite builds no index of its own for that
    # LEFT JOIN (22 s for 10,000 plannings without it). (PostgreSQL's SQL form hashes it.)
    if not in_sql():
        cursor.execute(f"CREATE INDEX {BEFORE}_planning ON {BEFORE} (planning_id)")


def refresh_changed(cursor, *, work_orders: str, now=None) -> int:
    """After the write: check again the plannings of the work orders the SQL `work_orders`
    selects (those written) that the Suggested rule added or moved, or whose work order's
    inputs changed, and the neighbours of where those and the rule's plannings gone were.
    Returns how many plannings' warnings changed. `now`: the write's (in SQL, for
    `in_the_past`)."""
    if not enabled():
        return 0
    if in_sql():
        return _refresh_changed_sql(cursor, work_orders=work_orders, now=now)
    with without_cycle_collection():
        return _refresh_changed(cursor, work_orders=work_orders)


def _conditions() -> tuple[str, str]:
    """SQL of (the condition that a noted work order `before`'s inputs changed, its
    `work_order` and `status` as they are now; the condition that a rule planning `now` is
    not where `before` says it was)."""
    changed_inputs = _distinct(
        f"({', '.join(f'before.{c}' for c in WORK_ORDER_INPUTS)}, before.life_cycle_state)",
        f"({', '.join(f'work_order.{c}' for c in WORK_ORDER_INPUTS)}, status.life_cycle_state)",
    )
    moved = _distinct(
        f"({', '.join(f'before.{c}' for c in WINDOW)})",
        f"({', '.join(f'now.{c}' for c in WINDOW)})",
    )
    return changed_inputs, moved


def _changes() -> tuple[str, str]:
    """SQL of (the written work orders whose check inputs changed, the condition that a rule
    planning `now` is not where `before` says it was)."""
    changed_inputs, moved = _conditions()
    changed_work_orders = f"""
        SELECT before.id FROM {BEFORE} before
        JOIN {WorkOrder._meta.db_table} work_order ON work_order.id = before.id
        JOIN {JobStatus._meta.db_table} status ON status.id = work_order.job_status_id
        WHERE {changed_inputs}"""
    return changed_work_orders, moved


def _refresh_changed(cursor, *, work_orders: str) -> int:
    cursor.execute(f"SELECT EXISTS ({work_orders})")
    (written,) = cursor.fetchone()
    if not written:
        cursor.execute(f"DROP TABLE {BEFORE}")
        return 0
    planning_table = JobPlanning._meta.db_table
    changed_work_orders, moved = _changes()
    # Where the rule's plannings were, that went or moved, or whose inputs changed.
    cursor.execute(
        f"""SELECT before.user_id, before.date_start, before.date_end
            FROM {BEFORE} before
            LEFT JOIN {planning_table} now ON now.id = before.planning_id
            WHERE before.planning_id IS NOT NULL
              AND (now.id IS NULL OR {moved} OR before.id IN ({changed_work_orders}))"""
    )
    convert = _converters(("user", "date_start", "date_end"))
    windows = [convert(row) for row in cursor.fetchall()]
    # Where the plannings of the written work orders are, that are new or moved (the rule's)
    # or whose inputs changed (any).
    cursor.execute(
        f"""SELECT now.id, now.user_id, now.date_start, now.date_end,
                   CASE WHEN now.made_by_rule AND (before.planning_id IS NULL OR {moved})
                   THEN 1 ELSE 0 END
            FROM {planning_table} now
            LEFT JOIN {BEFORE} before ON before.planning_id = now.id
            WHERE now.work_order_id IN ({work_orders})
              AND ((now.made_by_rule AND (before.planning_id IS NULL OR {moved}))
                   OR now.work_order_id IN ({changed_work_orders}))"""
    )
    convert = _converters(("id", "user", "date_start", "date_end"))
    placed = []
    for *values, new_place in cursor.fetchall():
        pk, *window = convert(values)
        windows.append(tuple(window))
        if new_place:
            placed.append(pk)
    cursor.execute(f"DROP TABLE {BEFORE}")
    return refresh_warnings(windows=windows, written=placed)


def _refresh_changed_sql(cursor, *, work_orders: str, now) -> int:
    """`_refresh_changed` in SQL: the same windows and plannings, checked by `checks_sql`; the
    new plannings of INCOMING written with their warnings, the stored ones whose warnings
    changed updated."""
    planning = JobPlanning._meta.db_table
    cursor.execute(f"SELECT EXISTS ({work_orders})")
    (written,) = cursor.fetchone()
    if not written:  # nothing written, nothing placed (INCOMING is empty)
        for table in (BEFORE, INCOMING):
            cursor.execute(f"DROP TABLE IF EXISTS {table}")
        return 0
    _windows(cursor)
    columns = "planning.work_order_id, planning.warnings AS stored, FALSE AS incoming"
    timeline = (
        f"{checks_sql.stored_timeline(columns)} UNION ALL "
        f"SELECT id, user_id, date_start, date_end, number, work_order_id, '[]'::jsonb, TRUE "
        f"FROM {INCOMING}"
    )
    spans = (
        f"{checks_sql.STORED_SPANS} UNION ALL SELECT user_id, date_start, date_end FROM {INCOMING}"
    )
    with checks_sql.without_jit(cursor):
        technicians = checks_sql.prepare(
            cursor, users=f"SELECT user_id FROM {WINDOWS}", spans=spans
        )
        checks_sql.gather(cursor, around=WINDOWS, timeline=timeline, reach=2)
        _targets(cursor)
        checks_sql.working_time(cursor, targets=TARGETS, technicians=technicians)
        checks_sql.find(cursor, targets=TARGETS, now=now or timezone.now())
    found = checks_sql.FOUND
    changed = f"{planning}.id = found.id AND {planning}.warnings IS DISTINCT FROM found.warnings"
    # Locked in the order of their ids first: two writers saving overlapping plannings lock
    # them in one order. (Counted, not sent: the ids are not needed here.)
    cursor.execute(
        f"SELECT count(*) FROM (SELECT {planning}.id FROM {planning} "
        f"JOIN {found} found ON {changed} ORDER BY {planning}.id FOR UPDATE OF {planning}) locked"
    )
    cursor.execute(
        f"UPDATE {planning} SET warnings = found.warnings, warning_codes = found.codes "
        f"FROM {found} found WHERE {changed}"
    )
    updated = cursor.rowcount
    # How many of the new plannings have a warning, counted as they are written.
    cursor.execute(
        f"""WITH written AS (
                INSERT INTO {planning} (id, work_order_id, user_id, date_start, date_end,
                    made_by_rule, modified_dateutc, warnings, warning_codes)
                SELECT incoming.id, incoming.work_order_id, incoming.user_id,
                       incoming.date_start, incoming.date_end, TRUE, incoming.modified_dateutc,
                       coalesce(found.warnings, '[]'::jsonb), coalesce(found.codes, '')
                FROM {INCOMING} incoming LEFT JOIN {found} found ON found.id = incoming.id
                ORDER BY incoming.work_order_id
                RETURNING warning_codes)
            SELECT count(*) FROM written WHERE warning_codes <> ''"""
    )
    (warned,) = cursor.fetchone()
    checks_sql.drop(cursor)
    for table in (BEFORE, INCOMING, WINDOWS, TARGETS):
        cursor.execute(f"DROP TABLE IF EXISTS {table}")
    return updated + warned


def _windows(cursor) -> None:
    """WINDOWS (user_id, date_start, date_end, placed): where the rule's plannings were that
    went or moved, or whose work order's inputs changed; where the rule's plannings are that
    moved (`placed`: their id) or come (INCOMING's); where the plannings of the work orders
    whose inputs changed are. Each noted work order compared once with what it is now
    (`_conditions`, in one pass)."""
    planning = JobPlanning._meta.db_table
    changed_inputs, moved = _conditions()
    cursor.execute(f"DROP TABLE IF EXISTS {WINDOWS}")
    cursor.execute(
        f"""CREATE TEMPORARY TABLE {WINDOWS} AS
            WITH compared AS MATERIALIZED (
                SELECT before.id, before.planning_id, before.user_id, before.date_start,
                       before.date_end, now.id AS now_id, now.user_id AS now_user,
                       now.date_start AS now_start, now.date_end AS now_end,
                       {changed_inputs} AS changed_inputs,
                       (now.id IS NOT NULL AND {moved}) AS moved
                FROM {BEFORE} before
                JOIN {WorkOrder._meta.db_table} work_order ON work_order.id = before.id
                JOIN {JobStatus._meta.db_table} status ON status.id = work_order.job_status_id
                LEFT JOIN {planning} now ON now.id = before.planning_id)
            SELECT user_id, date_start, date_end, NULL::uuid AS placed FROM compared
            WHERE planning_id IS NOT NULL AND (now_id IS NULL OR moved OR changed_inputs)
            UNION ALL
            SELECT now_user, now_start, now_end, now_id FROM compared WHERE moved
            UNION ALL
            SELECT user_id, date_start, date_end, NULL FROM {planning}
            WHERE work_order_id IN (SELECT id FROM compared WHERE changed_inputs)
            UNION ALL
            SELECT user_id, date_start, date_end, id FROM {INCOMING}"""
    )


def _targets(cursor) -> None:
    """TARGETS: the plannings of NEARBY touching a window (edges included), as `_Touched` finds
    them: each technician's windows by start, with the latest end reached so far; a planning
    touches one if, among the windows starting by its end, the latest reach is not before
    its start (a bisection, `width_bucket`, not a search a planning). Written: new
    (INCOMING's) or moved by the rule."""
    cursor.execute(f"DROP TABLE IF EXISTS {TARGETS}")
    cursor.execute(
        f"""CREATE TEMPORARY TABLE {TARGETS} AS
            WITH reach AS MATERIALIZED (
                SELECT user_id, array_agg(date_start ORDER BY date_start) AS starts,
                       array_agg(reached ORDER BY date_start) AS reached
                FROM (SELECT user_id, date_start,
                             -- (windows sharing a start share the reach of them all)
                             max(date_end) OVER (PARTITION BY user_id ORDER BY date_start)
                               AS reached
                      FROM {WINDOWS}) windows
                GROUP BY user_id)
            SELECT near.id, near.user_id, near.date_start, near.date_end, near.work_order_id,
                   near.incoming OR near.id IN (
                       SELECT placed FROM {WINDOWS} WHERE placed IS NOT NULL) AS written,
                   near.stored
            FROM {checks_sql.NEARBY} near JOIN reach ON reach.user_id = near.user_id
            WHERE reach.reached[width_bucket(near.date_end, reach.starts)] >= near.date_start"""
    )


def _converters(names):
    """A function turning a raw row of these planning columns into Python values, as the ORM
    reads them (SQLite gives uuids as hex text and datetimes as naive text)."""
    steps = []
    for name in names:
        field = JobPlanning._meta.get_field(name)
        column = field.get_col(JobPlanning._meta.db_table)
        found = connection.ops.get_db_converters(column) + field.get_db_converters(connection)
        steps.append((column, found))

    # Each distinct raw value converted once (10,000 plannings share 50 technicians and a few
    # hundred start times).
    seen = [{} for _ in steps]

    def convert(row):
        values = []
        for value, (column, found), known in zip(row, steps, seen, strict=True):
            converted = known.get(value, known)
            if converted is known:
                converted = value
                for step in found:
                    converted = step(converted, column, connection)
                known[value] = converted
            values.append(converted)
        return tuple(values)

    return convert
