"""The stored work orders of an upsert batch: those it names, read and locked in one query that
the ORM builds and compiles once per shape (jobsite.compiled_queries: on a single PUT, building
and compiling it again each time cost more than a millisecond, a sixth of the request), and
the batch's rows written set-wise."""

from django.db import connection, connections, models, router

from jobsite.compiled_queries import CompiledQuery
from jobsite.database import prepared_cursor
from jobsite.tenancy import organizations_condition
from workorders.models import WorkOrder

_COLUMNS = [f.attname for f in WorkOrder._meta.concrete_fields]


def _named(*, ids: list, refs: list, organizations: list | None = None):
    condition = models.Q(pk__in=ids)
    if refs:
        held = models.Q(reference_back_office__in=refs)
        if organizations is not None:
            held &= organizations_condition(organizations)
        condition |= held
    # Locked in one order (by id) whatever the batch's order: two batches sharing work orders
    # then queue for them instead of deadlocking.
    return (
        WorkOrder.objects.select_for_update(of=("self",))
        .filter(condition)
        .order_by("pk")
        .values_list(*_COLUMNS)
    )


_fields = {
    "ids": WorkOrder._meta.pk,
    "refs": WorkOrder._meta.get_field("reference_back_office"),
}
# A superuser's references are held in every organization; anyone else's in theirs. Lookups by
# key: planned once per connection.
_ANYWHERE = CompiledQuery(_named, prepared=True, **_fields)
_WITHIN = CompiledQuery(
    _named,
    prepared=True,
    **_fields,
    organizations=WorkOrder._meta.get_field("sales_organization"),
)


def locked_work_orders(*, ids, refs, organizations: list | None) -> list[WorkOrder]:
    """The work orders with these ids, and those holding these references back office in
    `organizations` (None: in any), locked until the transaction ends, in id order."""
    values = {"ids": sorted(ids, key=str), "refs": sorted(refs)}
    if organizations is None:
        rows = _ANYWHERE.rows(**values)
    else:
        rows = _WITHIN.rows(**values, organizations=list(organizations))
    return [WorkOrder.from_db(connection.alias, _COLUMNS, row) for row in rows]


def write_rows(*, new_rows: list[WorkOrder], changed_rows: dict) -> None:
    """One INSERT for the new work orders, one UPDATE per set of changed columns."""
    if new_rows:
        _insert_work_orders(new_rows)
    by_fields: dict[frozenset, list[WorkOrder]] = {}
    for wo, fields in changed_rows.values():
        by_fields.setdefault(frozenset(fields), []).append(wo)
    for fields, rows in by_fields.items():
        if len(rows) == 1:
            update_row(rows[0], fields)
        else:
            WorkOrder._base_manager.bulk_update(rows, sorted(fields))


def _insert_work_orders(rows: list[WorkOrder]) -> None:
    """bulk_create, but on SQLite one prepared single-row INSERT run for every row: building one
    statement with 40 placeholders per row costs most of the import's time in the ORM."""
    db = connections[router.db_for_write(WorkOrder)]
    if db.vendor != "sqlite":
        WorkOrder.objects.bulk_create(rows)
        return
    fields = WorkOrder._meta.local_concrete_fields
    qn = db.ops.quote_name
    sql = "INSERT INTO {} ({}) VALUES ({})".format(
        qn(WorkOrder._meta.db_table),
        ", ".join(qn(f.column) for f in fields),
        ", ".join(["%s"] * len(fields)),
    )
    # Most columns of a new work order are empty: None needs no preparing.
    params = [
        [None if (v := f.pre_save(wo, True)) is None else f.get_db_prep_save(v, db) for f in fields]
        for wo in rows
    ]
    with db.cursor() as cursor:
        cursor.executemany(sql, params)
    for wo in rows:
        wo._state.adding, wo._state.db = False, db.alias


def update_row(wo: WorkOrder, update_fields, *, prepared: bool = False) -> None:
    """One row's changed columns, the values prepared as `QuerySet.update` prepares them,
    without the ORM building and compiling the UPDATE (a tenth of a PUT's time). With
    `prepared` (a single record's write: a few sets of columns, again and again), PostgreSQL
    plans each set once per connection."""
    db = connections[router.db_for_write(WorkOrder)]
    qn = db.ops.quote_name
    fields = [WorkOrder._meta.get_field(name) for name in sorted(update_fields)]
    pk = WorkOrder._meta.pk
    sql = "UPDATE {} SET {} WHERE {} = %s".format(
        qn(WorkOrder._meta.db_table),
        ", ".join(f"{qn(f.column)} = %s" for f in fields),
        qn(pk.column),
    )
    params = [f.get_db_prep_save(getattr(wo, f.attname), db) for f in fields]
    with prepared_cursor(db) if prepared else db.cursor() as cursor:
        cursor.execute(sql, [*params, pk.get_db_prep_value(wo.pk, db)])
