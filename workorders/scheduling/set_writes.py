"""The warnings refresh of a set-based write (the file import), limited to what changed.

An import rewrites thousands of work orders, most of them for columns the planning check does
not read (a name, a description, a customer reference). Before the write, `note_inputs` copies
into two temporary tables what the check reads of the work orders the write may change (skill,
earliest date, due date, life-cycle state, organization) and where their plannings are
(technician, start, end). After the write and the Suggested rule, `refresh_changed` compares
both sides in SQL and checks again only the plannings that came, went or moved, and those whose
work order's inputs changed; `refresh_warnings` adds their neighbours where they were and where
they are. An import that changes none of that reads two small tables and checks nothing.

The setting IMPORT_REFRESHES_WARNINGS (default true; not in settings.py) is for the scheduling
bench alone: off, it times the import as it was before the check existed."""

from django.conf import settings
from django.db import connection

from jobs.models import JobStatus
from workorders.models import JobPlanning, WorkOrder
from workorders.scheduling.warnings import refresh_warnings, without_cycle_collection

BEFORE = "planning_check_before"
# What the check reads of a work order (the life-cycle state comes from its status).
WORK_ORDER_INPUTS = ("skill_id", "due_date", "earliest_date_plannable", "sales_organization_id")
WINDOW = ("user_id", "date_start", "date_end")


def enabled() -> bool:
    return getattr(settings, "IMPORT_REFRESHES_WARNINGS", True)


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
    # LEFT JOIN (22 s for 10,000 plannings without it).
    cursor.execute(f"CREATE INDEX {BEFORE}_planning ON {BEFORE} (planning_id)")


def refresh_changed(cursor, *, work_orders: str) -> int:
    """After the write: check again the plannings of the work orders the SQL `work_orders`
    selects (those written) that the Suggested rule added or moved, or whose work order's
    inputs changed, and the neighbours of where those and the rule's plannings gone were.
    Returns how many plannings' warnings changed."""
    if not enabled():
        return 0
    with without_cycle_collection():
        return _refresh_changed(cursor, work_orders=work_orders)


def _refresh_changed(cursor, *, work_orders: str) -> int:
    cursor.execute(f"SELECT EXISTS ({work_orders})")
    (written,) = cursor.fetchone()
    if not written:
        cursor.execute(f"DROP TABLE {BEFORE}")
        return 0
    planning_table = JobPlanning._meta.db_table
    changed_inputs = _distinct(
        f"({', '.join(f'before.{c}' for c in WORK_ORDER_INPUTS)}, before.life_cycle_state)",
        f"({', '.join(f'work_order.{c}' for c in WORK_ORDER_INPUTS)}, status.life_cycle_state)",
    )
    changed_work_orders = f"""
        SELECT before.id FROM {BEFORE} before
        JOIN {WorkOrder._meta.db_table} work_order ON work_order.id = before.id
        JOIN {JobStatus._meta.db_table} status ON status.id = work_order.job_status_id
        WHERE {changed_inputs}"""
    moved = _distinct(
        f"({', '.join(f'before.{c}' for c in WINDOW)})",
        f"({', '.join(f'now.{c}' for c in WINDOW)})",
    )
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
