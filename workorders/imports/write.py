"""The set-based import's write: one `INSERT … ON CONFLICT (id) DO UPDATE … WHERE (…) IS
DISTINCT FROM (…)` for every row left in RESOLVED, then the Suggested rule for the rows written.

Unchanged rows are not written; new rows get their id2 from `next_numbers`; company and sales
organization come from the project; only the columns the file carries are updated."""

from django.db import connection
from django.utils import timezone

from jobs.models import JobStatus, StatusNumber
from jobsite.numbers import next_numbers, observe_number
from workorders import plannings
from workorders.imports.sql_dialect import PostgreSQLDialect, for_connection, quote
from workorders.imports.staging import RESOLVED, WORK_ORDER, WRITTEN, ColumnPlan
from workorders.models import JobPlanning, Project, WorkOrder
from workorders.scheduling import set_writes

PLANNING_TABLE = JobPlanning._meta.db_table
STATUS_TABLE = JobStatus._meta.db_table
# Stamped by the write itself, so no reason to write a row.
STAMPS = ("date_update", "modified_dateutc", "date_closed")


def write_rows(cursor, dialect: PostgreSQLDialect, plan: ColumnPlan, now) -> int:
    """Insert or update the work orders of RESOLVED; returns how many were written."""
    cursor.execute(f"SELECT count(*) FROM {RESOLVED} WHERE existing_id IS NULL AND id2 IS NULL")
    (new_numbers,) = cursor.fetchone()
    numbers = next_numbers(name=WorkOrder.number_sequence, count=new_numbers)
    first_number = numbers.start if new_numbers else 0
    insert_columns, select_exprs, update_columns = _columns(plan)
    defaults = {
        f"default_{f.name}": f.get_db_prep_save(f.get_default(), connection)
        for f in WORK_ORDER.concrete_fields
        if not f.null and f.has_default()
    }
    table = WORK_ORDER.db_table
    sets = ", ".join(f"{quote(c)} = EXCLUDED.{quote(c)}" for c in update_columns)
    compared = [c for c in update_columns if c not in STAMPS]
    stored = ", ".join(f"{table}.{quote(c)}" for c in compared)
    proposed = ", ".join(f"EXCLUDED.{quote(c)}" for c in compared)
    returned = [("id", dialect.uuid_type), ("job_status_id", dialect.uuid_type), ("id2", "bigint")]
    set_writes.note_inputs(
        cursor, work_orders=f"SELECT existing_id FROM {RESOLVED} WHERE existing_id IS NOT NULL"
    )
    existing = ""
    if plan.lacks_required_group:
        existing = f"LEFT JOIN {table} existing ON existing.id = incoming.existing_id"
    # `WHERE TRUE`: SQLite would read ON CONFLICT as the join's ON without it.
    sql = f"""
          INSERT INTO {table} ({", ".join(insert_columns)})
          SELECT {", ".join(select_exprs)}
          FROM {RESOLVED} incoming {existing}
          JOIN {Project._meta.db_table} project
            ON project.id = {plan.value_after_import("project_id")}
          JOIN {STATUS_TABLE} final_status
            ON final_status.id = {plan.value_after_import("job_status_id")}
          LEFT JOIN {STATUS_TABLE} existing_status
            ON existing_status.id = incoming.existing_status_id
          WHERE TRUE
          ORDER BY incoming.ord
          ON CONFLICT (id) DO UPDATE SET {sets}
          WHERE {dialect.distinct(f"({stored})", f"({proposed})")}
          RETURNING {", ".join(name for name, _ in returned)}"""
    dialect.insert_returning_into(
        cursor,
        WRITTEN,
        returned,
        sql,
        {
            "first": first_number,
            "now": connection.ops.adapt_datetimefield_value(now),
            **defaults,
        },
    )
    dialect.analyze(cursor, WRITTEN)  # the plannings' lookups join it
    cursor.execute(f"SELECT count(*) FROM {WRITTEN}")
    (effected,) = cursor.fetchone()
    if plan.has_id2:
        # Every row left without a stored work order was inserted; explicit numbers move the
        # sequence past them.
        cursor.execute(f"SELECT max(id2) FROM {RESOLVED} WHERE existing_id IS NULL")
        (max_id2,) = cursor.fetchone()
        if max_id2 is not None:
            observe_number(name=WorkOrder.number_sequence, value=max_id2)
    _sync_plannings(cursor, dialect)
    return effected


def _columns(plan: ColumnPlan) -> tuple[list[str], list[str], list[str]]:
    """The INSERT's columns, the SELECT's value of each, and the columns an update sets."""
    insert_columns, select_exprs, update_columns = [], [], []
    for f in WORK_ORDER.concrete_fields:
        column = f.column
        if f.name == "id":
            expr = "incoming.target_id"
        elif f.name == "id2":
            expr = (
                "CASE WHEN incoming.existing_id IS NOT NULL THEN incoming.existing_id2 "
                "WHEN incoming.id2 IS NOT NULL THEN incoming.id2 "
                "ELSE %(first)s - 1 + row_number() OVER "
                "(PARTITION BY incoming.existing_id IS NULL AND incoming.id2 IS NULL "
                "ORDER BY incoming.ord) END"
            )
        elif f.name in ("company", "sales_organization"):
            expr = f"project.{quote(column)}"
            update_columns.append(column)
        elif f.name == "date_create":
            expr = "%(now)s"  # not updated: only a new row takes it
        elif f.name in ("date_update", "modified_dateutc"):
            expr = "%(now)s"
            update_columns.append(column)
        elif f.name == "date_closed":
            expr = (
                "CASE WHEN final_status.life_cycle_state <> 'COMPLETED' THEN NULL "
                "WHEN existing_status.life_cycle_state = 'COMPLETED' "
                "THEN incoming.existing_date_closed ELSE %(now)s END"
            )
            update_columns.append(column)
        elif f.name in plan.scalar_fields or f.name in plan.group_columns:
            expr = plan.value_after_import(f.attname)
            update_columns.append(column)
        elif f.null:
            expr = "NULL"
        elif f.has_default():
            # A column the file does not carry is not updated: a new row takes the default.
            expr = f"%(default_{f.name})s"
        else:
            # A required reference the rows do not carry (bulk records may leave one out):
            # only stored work orders are left (a new one without it failed), and NOT NULL is
            # checked before ON CONFLICT decides to update, so the stored value goes in.
            expr = plan.value_after_import(f.attname)
        insert_columns.append(quote(column))
        select_exprs.append(expr)
    return insert_columns, select_exprs, update_columns


def _sync_plannings(cursor, dialect: PostgreSQLDialect) -> None:
    """The Suggested rule for the written rows (table WRITTEN), as SQL; then the places of the
    plannings it moved and of those whose work order's inputs changed, left for the planning
    check (`set_writes.leave_for_check`)."""
    cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {RESOLVED} WHERE existing_id IS NOT NULL)")
    (updates,) = cursor.fetchone()
    now = timezone.now()
    sync_suggested_plannings_sql(
        cursor,
        written=WRITTEN,
        now=now,
        dialect=dialect,
        all_new=not updates,
    )
    set_writes.leave_for_check(cursor, work_orders=f"SELECT id FROM {WRITTEN}")


def sync_suggested_plannings_sql(
    cursor,
    *,
    written: str,
    now,
    dialect: PostgreSQLDialect | None = None,
    all_new: bool = False,
) -> None:
    """`plannings.sync_suggested_plannings` as three statements for the work orders whose ids are
    in table `written` (same constants; tests/workorders/test_import_paths.py checks that both
    give the same plannings): remove the rule's planning where the rule says so, move the ones
    whose user or times changed, add the missing ones."""
    dialect = dialect or for_connection()
    now = connection.ops.adapt_datetimefield_value(now)
    suggested = int(StatusNumber.SUGGESTED)
    unplanned = ", ".join(str(int(n)) for n in sorted(plannings.UNPLANNED_STATUSES))
    minutes = plannings.DEFAULT_PLANNING_MINUTES
    end = dialect.plus_minutes(
        "work_order.suggested_date_start",
        f"coalesce(nullif(work_order.estimated_time, 0), {minutes})",
    )
    planned = (
        f"work_order_status.number = {suggested} AND work_order.suggested_user_id IS NOT NULL "
        "AND work_order.suggested_date_start IS NOT NULL"
    )
    source = (
        f"{written} done JOIN {WORK_ORDER.db_table} work_order ON work_order.id = done.id "
        f"JOIN {STATUS_TABLE} work_order_status "
        "ON work_order_status.id = work_order.job_status_id"
    )
    add = {"source": source, "planned": planned, "end": end, "now": now, "dialect": dialect}
    if all_new:  # work orders created just now hold no planning yet: only some to add
        _add_plannings(cursor, **add)
        return
    cursor.execute(
        f"""DELETE FROM {PLANNING_TABLE} WHERE made_by_rule AND work_order_id IN (
              SELECT work_order.id FROM {source}
              WHERE (work_order_status.number = {suggested} AND NOT ({planned}))
                OR work_order_status.number IN ({unplanned}))"""
    )
    changed = dialect.distinct(
        "(planning.user_id, planning.date_start, planning.date_end)",
        f"(work_order.suggested_user_id, work_order.suggested_date_start, {end})",
    )
    cursor.execute(
        f"""UPDATE {PLANNING_TABLE} AS planning SET user_id = work_order.suggested_user_id,
              date_start = work_order.suggested_date_start, date_end = {end},
              modified_dateutc = %s
            FROM {source}
            WHERE planning.work_order_id = work_order.id AND planning.made_by_rule
              AND {planned} AND {changed}""",
        [now],
    )
    _add_plannings(cursor, **add)


def _add_plannings(
    cursor, *, source: str, planned: str, end: str, now, dialect: PostgreSQLDialect
) -> None:
    cursor.execute(
        f"""INSERT INTO {PLANNING_TABLE}
              (id, work_order_id, user_id, date_start, date_end, made_by_rule, modified_dateutc,
               warnings, warning_codes)
            SELECT {dialect.new_uuid}, work_order.id, work_order.suggested_user_id,
                   work_order.suggested_date_start, {end}, TRUE, %s, '[]', ''
            FROM {source}
            WHERE {planned} AND NOT EXISTS (
              SELECT 1 FROM {PLANNING_TABLE} rule_planning
              WHERE rule_planning.work_order_id = work_order.id AND rule_planning.made_by_rule)
            ORDER BY work_order.id""",
        [now],
    )
