"""The stored warnings of plannings, kept current: after any write that moves, adds or removes
a planning, or changes what the check reads (a work order's skill or dates, an absence, a
holiday, working hours), the plannings it touches are checked again — the written ones and
every neighbour whose overlap may have come or gone — and those whose warnings changed are
saved. Every view (board, lists, API) then reads the same warnings."""

import contextlib
import gc
import json
import uuid
from bisect import bisect_right
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from django.db import connection, connections

from jobsite.compiled_queries import converted
from workorders.models import JobPlanning
from workorders.scheduling.check_reads import Booked, stretches, touching
from workorders.scheduling.checks import (
    IN_THE_PAST,
    Appointment,
    WorkOrderFacts,
    findings_for,
    warning_codes,
)

# What the check reads of a planning and its work order (not the work order's hundred columns).
PLANNING_COLUMNS = (
    "id",
    "user_id",
    "date_start",
    "date_end",
    "warnings",
    # in WorkOrderFacts' order
    "work_order__id2",
    "work_order__skill_id",
    "work_order__due_date",
    "work_order__earliest_date_plannable",
    "work_order__job_status__life_cycle_state",
)

KEPT = PLANNING_COLUMNS.index("warnings")

# Neighbours are read this far either side of the touched stretches (longer plannings send the
# check back to its own read).
NEIGHBOUR_MARGIN = timedelta(days=1)

# (technician id, start, end): a stretch of a technician's time a write touched.
Window = tuple[object, datetime, datetime]


def windows_of(plannings: Iterable[JobPlanning]) -> list[Window]:
    return [(p.user_id, p.date_start, p.date_end) for p in plannings]


@contextlib.contextmanager
def without_cycle_collection():
    """Python's cycle collector paused: a refresh of thousands of plannings makes tens of
    thousands of tuples, lists and dicts that live until it ends, and each few hundred of them
    set off a collection walking the whole process's objects (a fifth of an import's refresh
    went there). What the refresh makes holds no cycles: it is freed as it always is."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def refresh_warnings(*, windows: Iterable[Window], written: Iterable = ()) -> int:
    """Check again every planning overlapping one of `windows`; save those whose warnings
    changed and return how many. `written`: ids of the plannings just written — the others
    keep whether they were planned in the past (that was true or not when they were made)."""
    with without_cycle_collection():
        return _refresh(windows=windows, written=written)


def _refresh(*, windows: Iterable[Window], written: Iterable) -> int:
    windows = list(windows)
    if not windows:
        return 0
    # One read for the touched plannings and their neighbours: the stretches the windows make,
    # a margin wider. Exact while no touched planning reaches past the margin (else the
    # check reads the neighbours itself). Tuples, not model instances: an import touches
    # thousands.
    spans = stretches(windows)
    # The stored warnings (a JSON document each) are decoded for the checked plannings alone:
    # a thousand moved plannings read 15,000 neighbours to check 4,000.
    rows, convert = rows_of(
        JobPlanning.objects.filter(touching(spans, margin=NEIGHBOUR_MARGIN)).values_list(
            *PLANNING_COLUMNS
        ),
        later={KEPT},
    )
    by_user: dict = {}
    for user_id, low, high in spans:
        by_user.setdefault(user_id, []).append((low, high))
    touched = _Touched(windows)
    inside = [row for row in rows if touched(row[1], row[2], row[3])]
    inside = [(*row[:KEPT], convert(KEPT, row[KEPT]), *row[KEPT + 1 :]) for row in inside]
    read = {
        user_id: [(low - NEIGHBOUR_MARGIN, high + NEIGHBOUR_MARGIN) for low, high in spans]
        for user_id, spans in by_user.items()
    }
    exact = all(
        any(start >= low and end <= high for low, high in read[row[1]])
        for row in inside
        for start, end in ((row[2], row[3]),)
    )
    stored = (
        [Booked(pk, user_id, start, end, facts[0]) for pk, user_id, start, end, _, *facts in rows]
        if exact
        else None
    )
    affected = [
        (
            Appointment(
                pk=pk,
                user_id=user_id,
                date_start=start,
                date_end=end,
                work_order=WorkOrderFacts(*facts),
            ),
            kept,
        )
        for pk, user_id, start, end, kept, *facts in inside
    ]
    if not affected:
        return 0
    written = {str(pk) for pk in written}
    findings = findings_for([appointment for appointment, _ in affected], stored=stored)
    changed = []
    for (appointment, stored), found in zip(affected, findings, strict=True):
        warnings = [f.as_dict() for f in found]
        # (asked only of those found in the past: naming a uuid costs, 13,000 times)
        if any(f.code == IN_THE_PAST for f in found) and str(appointment.pk) not in written:
            was_past = any(w["code"] == IN_THE_PAST for w in stored)
            warnings = [w for w in warnings if w["code"] != IN_THE_PAST or was_past]
        if warnings != stored:
            changed.append((appointment.pk, warnings))
    _save_warnings(changed)
    return len(changed)


def rows_of(queryset, *, later=frozenset()) -> tuple[list[tuple], Callable]:
    """The rows of a values_list queryset, as the ORM would give them, each distinct raw value
    of a column converted once (`compiled_queries.converted`). The columns at the indexes
    `later` are left as read: the function returned converts a value of one when asked,
    `convert(index, value)`."""
    compiler = queryset.query.get_compiler(using=queryset.db)
    sql, params = compiler.as_sql()
    converters = compiler.get_converters([expression for expression, _, _ in compiler.select])
    connection = connections[queryset.db]

    def convert(index, value):
        if index in converters:
            found, expression = converters[index]
            for step in found:
                value = step(value, expression, connection)
        return value

    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        raw = cursor.fetchall()
    return converted(raw, converters, connection, later=later), convert


class _Touched:
    """Does a planning touch one of the windows themselves (not the stretches read around
    them)? Only those are checked again: a daily file's thousand windows in a busy month
    must not re-check the whole month."""

    def __init__(self, windows: Iterable[Window]):
        by_user: dict = {}
        for user_id, start, end in windows:
            if user_id is not None and start is not None and end is not None:
                by_user.setdefault(user_id, []).append((start, end))
        self.starts, self.reach = {}, {}
        for user_id, spans in by_user.items():
            spans.sort()
            self.starts[user_id] = [start for start, _ in spans]
            # The latest end among the windows starting so far, to answer with one bisect.
            reach, latest = [], None
            for _, end in spans:
                latest = end if latest is None or end > latest else latest
                reach.append(latest)
            self.reach[user_id] = reach

    def __call__(self, user_id, start, end) -> bool:
        starts = self.starts.get(user_id)
        if not starts:
            return False
        n = bisect_right(starts, end)
        return n > 0 and self.reach[user_id][n - 1] >= start


def _save_warnings(changed: list[tuple]) -> None:
    """Save the changed warnings: on PostgreSQL one UPDATE from arrays (an import changes
    thousands at once: one statement a row took 2 s for 11,000); on SQLite, in-process, one
    executemany (Django's bulk_update builds a CASE per row, several times slower on both)."""
    if not changed:
        return
    # In the order of their ids: two writers saving overlapping plannings lock them in one
    # order. (Writers can still deadlock across steps, their own plannings against their
    # neighbours': the database rolls one back and its chunk runs again, apijobs.services.)
    changed = sorted(changed, key=lambda item: str(item[0]))
    meta = JobPlanning._meta
    warnings, codes = meta.get_field("warnings"), meta.get_field("warning_codes")
    quote = connection.ops.quote_name
    table, pk = quote(meta.db_table), quote(meta.pk.column)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET {quote(warnings.column)} = found.warnings::jsonb, "
                f"{quote(codes.column)} = found.codes "
                "FROM unnest(%s::uuid[], %s::text[], %s::text[]) AS found(id, warnings, codes) "
                f"WHERE {table}.{pk} = found.id",
                [
                    [planning_id for planning_id, _ in changed],
                    [json.dumps(found) for _, found in changed],
                    [warning_codes(found) for _, found in changed],
                ],
            )
        return
    save = warnings.get_db_prep_save
    native = connection.features.has_native_uuid_field
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {table} SET {quote(warnings.column)} = %s, "
            f"{quote(codes.column)} = %s WHERE {pk} = %s",
            [
                (
                    # What JSONField and UUIDField store on SQLite (no encoder, hex), written
                    # directly: their preparation took a fifth of the save.
                    json.dumps(found) if warnings.encoder is None else save(found, connection),
                    warning_codes(found),
                    planning_id.hex
                    if isinstance(planning_id, uuid.UUID) and not native
                    else meta.pk.get_db_prep_value(planning_id, connection),
                )
                for planning_id, found in changed
            ],
        )
