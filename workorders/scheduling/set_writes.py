"""What the planning check must look at again after a set-based write (the file import, bulk's
flat records), limited to what changed, and left for `pending_checks.settle`.

An import rewrites thousands of work orders, most of them for columns the planning check does
not read (a name, a description, a customer reference). Before the write, `note_inputs` copies
into a temporary table what the check reads of the work orders the write may change (skill,
earliest date, due date, life-cycle state, organization) and where their rule plannings are
(technician, start, end). After the write and the Suggested rule, `leave_for_check` compares
both sides in SQL and notes, as PendingPlanningCheck rows, where the plannings that came, went
or moved are, and those whose work order's inputs changed: the stretches whose plannings (and
neighbours) the check looks at again once the write has committed. An import that changes
none of that reads one small table and notes nothing.

Why after the commit: checking 10,000 placed plannings and their 3,000 neighbours inside the
write (in SQL, set-based) still added half again to the import's time; noted, it adds a few
percent, and no reader sees an unchecked planning (`pending_checks`).

The setting IMPORT_REFRESHES_WARNINGS (default true; not in settings.py) is for the scheduling
bench alone: off, it times the import as it was before the check existed."""

from django.conf import settings
from django.db import connection

from jobs.models import JobStatus
from workorders.models import JobPlanning, PendingPlanningCheck, WorkOrder
from workorders.scheduling.pending_checks import settle_after_commit

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
    # (22 s for 10,000 plannings without it); PostgreSQL hashes it.
    if connection.vendor != "postgresql":
        cursor.execute(f"CREATE INDEX {BEFORE}_planning ON {BEFORE} (planning_id)")


def leave_for_check(cursor, *, work_orders: str) -> None:
    """After the write: note for the check (PendingPlanningCheck) where the rule's plannings
    were that went or moved, or whose work order's inputs changed; where the rule's plannings
    are that moved or came (with their ids: `placed`); where the plannings of the work orders
    whose inputs changed are — for the work orders the SQL `work_orders` selects (those
    written). Each noted work order is compared once with what it is now, in one statement;
    a task checks them once the write commits."""
    if not enabled():
        return
    cursor.execute(f"SELECT EXISTS ({work_orders})")
    (written,) = cursor.fetchone()
    if not written:  # nothing written, nothing moved
        cursor.execute(f"DROP TABLE IF EXISTS {BEFORE}")
        return
    planning = JobPlanning._meta.db_table
    changed_inputs, moved = _conditions()
    pending = PendingPlanningCheck._meta
    columns = ", ".join(
        pending.get_field(name).column for name in ("user", "date_start", "date_end", "placed_id")
    )
    cursor.execute(
        f"""INSERT INTO {pending.db_table} ({columns})
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
            SELECT user_id, date_start, date_end, NULL FROM compared
            WHERE planning_id IS NOT NULL AND (now_id IS NULL OR moved OR changed_inputs)
            UNION ALL
            SELECT now_user, now_start, now_end, now_id FROM compared WHERE moved
            UNION ALL
            SELECT user_id, date_start, date_end, NULL FROM {planning}
            WHERE work_order_id IN (SELECT id FROM compared WHERE changed_inputs)
            UNION ALL
            SELECT now.user_id, now.date_start, now.date_end, now.id
            FROM ({work_orders}) written
            -- a rule planning is new where its work order had none (the rule moves one it has)
            LEFT JOIN {BEFORE} before ON before.id = written.id
            {_rule_planning_of("written")}
            WHERE before.planning_id IS NULL""",
    )
    noted = cursor.rowcount
    cursor.execute(f"DROP TABLE {BEFORE}")
    if noted:
        settle_after_commit()


def _rule_planning_of(written: str) -> str:
    """SQL joining the rule planning `now` of each work order `written` (id), looked up by its
    work order, one written row after another: the statistics do not know the plannings the
    write just added, and PostgreSQL, planning for one, compared each with every written row
    (5 s for 10,000). LATERAL on PostgreSQL, CROSS JOIN (which keeps the order) on SQLite."""
    planning = JobPlanning._meta.db_table
    if connection.vendor == "postgresql":
        return (
            f"CROSS JOIN LATERAL (SELECT * FROM {planning} rule_planning "
            f"WHERE rule_planning.work_order_id = {written}.id AND rule_planning.made_by_rule "
            # (OFFSET 0: not flattened into a join PostgreSQL would plan on those statistics)
            "OFFSET 0) now"
        )
    return f"CROSS JOIN {planning} now ON now.work_order_id = {written}.id AND now.made_by_rule"


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
