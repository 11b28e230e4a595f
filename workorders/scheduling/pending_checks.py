"""The planning checks a set-based write left (PendingPlanningCheck, `set_writes`), settled.

An import or a bulk job writes its work orders and the Suggested rule's plannings, notes where
plannings came, went or moved, and commits. Then the plannings touching those places are
checked again and their warnings saved — by a task queued when the write commits, and by any
read of warnings that comes first: every view of warnings (board, plannings API and admin,
work order form, home page, bulk edit) calls `settle()` before it reads, so none shows a
planning the check has not seen. With nothing pending, that is one indexed `EXISTS`.

On PostgreSQL the check runs as SQL (`checks_sql`, set-based: 13,000 plannings in a few
hundred milliseconds); elsewhere in Python (`warnings.refresh_warnings`). Both find what the
check of each planning alone finds (tests/workorders/test_check_parity.py)."""

import contextlib
import logging
import threading

from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from workorders.models import JobPlanning, PendingPlanningCheck
from workorders.scheduling import checks_sql
from workorders.scheduling.warnings import refresh_warnings

logger = logging.getLogger(__name__)

# Queued by dotted path: the tasks module imports the import and bulk services, which note
# pending checks through this module.
TASK = "workorders.tasks.settle_planning_checks"
WINDOWS = "planning_check_windows"
_DELETED_AT_ONCE = 10_000
TARGETS = "planning_check_targets"


# Below the jobs' tasks: a bulk job's chunks all run before the checks they left, which one
# settle then takes at once (the others find nothing); a reader never waits for it anyway.
PRIORITY = -10


_queueing = threading.local()


@contextlib.contextmanager
def settle_queued_by_caller():
    """Within it, a set-based write's commit queues no settling task: the caller queues one
    (`queue_settle`) when its run of writes ends — a bulk job's chunks, after the last rather
    than between them, where a settle would take the database from the chunks still running."""
    _queueing.held = True
    try:
        yield
    finally:
        _queueing.held = False


def settle_after_commit() -> None:
    """Queue the settling task once the current transaction commits."""
    if not getattr(_queueing, "held", False):
        transaction.on_commit(queue_settle)


def queue_settle() -> None:
    import_string(TASK).using(priority=PRIORITY).enqueue()


def settle() -> int:
    """Check again the plannings around every pending place and save the warnings that
    changed; returns how many changed. Two settlers queue on the pending rows: the second
    finds them gone."""
    if not PendingPlanningCheck.objects.exists():
        return 0
    return _settle_pending()


def _settle_pending() -> int:
    with transaction.atomic():
        rows = list(
            PendingPlanningCheck.objects.select_for_update()
            .order_by("pk")
            .values_list("pk", "user_id", "date_start", "date_end", "placed_id")
        )
        if not rows:
            return 0
        if checks_sql.available():
            changed = _settle_in_sql([pk for pk, *_ in rows])  # (one array parameter)
        else:
            changed = refresh_warnings(
                windows=[(user_id, start, end) for _, user_id, start, end, _ in rows],
                written=[placed for *_, placed in rows if placed is not None],
            )
        ids = [pk for pk, *_ in rows]
        # A bulk job of 100,000 leaves as many: more than one statement's parameters allow.
        for start in range(0, len(ids), _DELETED_AT_ONCE):
            PendingPlanningCheck.objects.filter(
                pk__in=ids[start : start + _DELETED_AT_ONCE]
            ).delete()
    return changed


def settle_quietly() -> None:
    """`settle()` before a read of warnings, and in the task. One that fails (a deadlock with a
    writer moving the same plannings, a lost connection) fails neither the page nor the task:
    it is logged and its pending places stay for the next reader or task."""
    try:
        if PendingPlanningCheck.objects.exists():  # (no savepoint for nothing)
            _settle_pending()
    except DatabaseError:
        logger.exception("pending planning checks not settled")


def _settle_in_sql(ids: list) -> int:
    """The pending places (their ids) checked by `checks_sql`: the plannings touching one and
    their neighbours read around them, the changed warnings saved in one UPDATE."""
    planning = JobPlanning._meta.db_table
    pending = PendingPlanningCheck._meta
    column = {name: pending.get_field(name).column for name in ("user", "placed_id")}
    with connection.cursor() as cursor, checks_sql.without_jit(cursor):
        cursor.execute(f"DROP TABLE IF EXISTS {WINDOWS}")
        cursor.execute(
            f"""CREATE TEMPORARY TABLE {WINDOWS} AS
                SELECT {column["user"]} AS user_id, date_start, date_end,
                       {column["placed_id"]} AS placed
                FROM {pending.db_table} WHERE id = ANY(%s)""",
            [ids],
        )
        technicians = checks_sql.prepare(cursor, users=f"SELECT user_id FROM {WINDOWS}")
        timeline = checks_sql.stored_timeline("planning.work_order_id, planning.warnings AS stored")
        checks_sql.gather(cursor, around=WINDOWS, timeline=timeline, reach=2)
        _targets(cursor)
        checks_sql.working_time(cursor, targets=TARGETS, technicians=technicians)
        checks_sql.find(cursor, targets=TARGETS, now=timezone.now())
        found = checks_sql.FOUND
        changed = (
            f"{planning}.id = found.id AND {planning}.warnings IS DISTINCT FROM found.warnings"
        )
        # Locked in the order of their ids first: two writers saving overlapping plannings
        # lock them in one order. (Counted, not sent: the ids are not needed here.)
        cursor.execute(
            f"SELECT count(*) FROM (SELECT {planning}.id FROM {planning} JOIN {found} found "
            f"ON {changed} ORDER BY {planning}.id FOR UPDATE OF {planning}) locked"
        )
        cursor.execute(
            f"UPDATE {planning} SET warnings = found.warnings, warning_codes = found.codes "
            f"FROM {found} found WHERE {changed}"
        )
        updated = cursor.rowcount
        checks_sql.drop(cursor)
        for table in (WINDOWS, TARGETS):
            cursor.execute(f"DROP TABLE IF EXISTS {table}")
    return updated


def _targets(cursor) -> None:
    """TARGETS: the plannings of NEARBY touching a window (edges included), as
    `warnings._Touched` finds them: each technician's windows by start, with the latest end
    reached so far; a planning touches one if, among the windows starting by its end, the
    latest reach is not before its start (a bisection, `width_bucket`, not a search a
    planning). Written: placed by the write (its in_the_past is decided anew)."""
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
                   near.id IN (SELECT placed FROM {WINDOWS} WHERE placed IS NOT NULL)
                     AS written,
                   near.stored
            FROM {checks_sql.NEARBY} near JOIN reach ON reach.user_id = near.user_id
            WHERE reach.reached[width_bucket(near.date_end, reach.starts)] >= near.date_start"""
    )
