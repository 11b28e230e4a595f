"""The set-based work order import, at database speed, on PostgreSQL and on SQLite.

1. Each row is validated in Python by `clean_work_order_fields` (the API's own function, through
   `work_order_fields_cleaner` for the file's columns); good rows are COPYed (PostgreSQL) or
   inserted with one executemany (SQLite) into a TEMPORARY staging table.
2. References are resolved with joins, as `workorders.references.ReferenceResolver` resolves them
   (ids, else codes case-insensitively / references exactly, within the caller's tenancy, codes
   preferring the project's sales organization, then shared records). Unresolved ones become
   per-row errors with line and field, worded as the API words them.
3. The checks of `services.upsert_work_orders` run as set queries (mobile address, the project's
   address, references already used, explicit numbers).
4. One `INSERT … ON CONFLICT (id) DO UPDATE … WHERE (…) IS DISTINCT FROM (…)` writes the rows:
   unchanged rows are not written; new rows get their id2 from `next_numbers`; company and sales
   organization come from the project; only the columns the file carries are updated.
5. The Suggested rule: `services.sync_suggested_plannings` for the written rows it can act on.

Everything runs in one transaction: a failure leaves nothing half-written.

The SQL is written once; `_Dialect` holds the few pieces the two databases spell differently
(casts, uuid values, array membership, temporary tables, `IS DISTINCT FROM`, RETURNING into a
table, interval arithmetic). SQLite needs 3.35 (RETURNING; UPSERT, UPDATE … FROM, FILTER and
window functions come earlier)."""

import logging
import sqlite3
import uuid as uuid_module
from collections.abc import Sequence
from datetime import UTC

from django.db import connection, transaction
from django.utils import timezone

from apijobs import services as api_jobs
from apijobs.models import ApiJob
from jobs.models import StatusNumber
from jobsite.models import User
from jobsite.selectors import visible_sales_organization_ids
from jobsite.services import next_numbers, observe_number
from workorders import plannings, services
from workorders.models import JobPlanning, Project, WorkOrder
from workorders.records import (
    MOBILE_ADDRESS_REQUIRED,
    WORK_ORDER_SCALARS,
    clean_uuid,
    work_order_fields_cleaner,
)
from workorders.references import KINDS, WORK_ORDER_GROUPS, Group

logger = logging.getLogger(__name__)

COPY_BATCH = 5000
EMBEDDED_KEYS = {g.embedded_key for g in WORK_ORDER_GROUPS if g.embedded_key}
WO = WorkOrder._meta
WO_TABLE = WO.db_table
PLANNING_TABLE = JobPlanning._meta.db_table

TEMPORARY_TABLES = [
    "imp_stage",
    "imp_m0",
    "imp_m",
    "imp_done",
    *(f"imp_k_{g.field}" for g in WORK_ORDER_GROUPS),
]
# Problems a reference can have, worded as ReferenceResolver words them.
UNKNOWN_ID, MISMATCH, UNKNOWN_KEY, AMBIGUOUS = 1, 2, 3, 4
SQLITE_NEEDED = (3, 35, 0)
SQLITE_CACHE_KIB = -65536  # negative: KiB, i.e. 64 MB of page cache while importing


def supports(columns: Sequence[str]) -> bool:
    """Flat seed-004 columns only: embedded objects (JSON) go through the batched path."""
    return not (set(columns) & EMBEDDED_KEYS)


def database_supported() -> bool:
    if connection.vendor == "postgresql":
        return True
    return connection.vendor == "sqlite" and sqlite3.sqlite_version_info >= SQLITE_NEEDED


class _Dialect:
    """PostgreSQL's spelling; `_SQLite` overrides what SQLite spells differently."""

    on_commit_drop = "ON COMMIT DROP"
    uuid_type = "uuid"
    new_uuid = "gen_random_uuid()"

    def __init__(self, visible=None):
        self.visible = visible  # the caller's sales organizations, None: all

    def cast(self, expr: str, sql_type: str) -> str:
        return f"({expr})::{sql_type}"

    def uuid(self, value) -> str:
        """A constant uuid (a trusted value) as SQL."""
        return f"'{value}'::uuid"

    def db_uuid(self, value):
        return value

    def in_visible(self, expr: str) -> str:
        return f"{expr} = ANY(%(visible)s::uuid[])"

    def only_one(self, expr: str, condition: str = "TRUE") -> str:
        """The value of `expr` in the one row of the group meeting `condition`."""
        return f"(array_agg({expr}) FILTER (WHERE {condition}))[1]"

    def distinct(self, a: str, b: str) -> str:
        return f"{a} IS DISTINCT FROM {b}"

    def plus_minutes(self, start: str, minutes: str) -> str:
        return f"{start} + make_interval(mins => {minutes})"

    def drop_temporary(self, cursor) -> None:
        # ON COMMIT DROP cleans up after a commit; inside a caller's transaction, this does.
        cursor.execute(
            f"DROP TABLE IF EXISTS {', '.join(TEMPORARY_TABLES)}; "
            "RESET work_mem; RESET default_statistics_target"
        )

    def prepare(self, cursor) -> None:
        # Whole-batch joins: hash joins in memory. The planner picks them itself once the
        # staging tables are analyzed; forbidding nested loops made a 1,000-row file hash-scan
        # every stored work order (3 s at 200,000 rows, 0.4 s with index lookups).
        # ANALYZE of the staging tables is for row counts and join sides: a small sample will do.
        cursor.execute("SET LOCAL work_mem = '64MB'; SET LOCAL default_statistics_target = 10")

    def analyze(self, cursor, table: str) -> None:
        cursor.execute(f"ANALYZE {table}")

    def finish(self, cursor) -> None:
        pass

    def stage(self, cursor, columns: list[str], rows) -> None:
        """Write `rows` (an iterable of value lists, read as it goes) into imp_stage."""
        names = ", ".join(_q(c) for c in columns)
        with cursor.cursor.copy(f"COPY imp_stage ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)

    def delete_ords(self, cursor, table: str, ords: list[int]) -> None:
        cursor.execute(f"DELETE FROM {table} WHERE ord = ANY(%s)", [ords])

    def upsert_into_done(self, cursor, sql: str, params: dict) -> None:
        """Run the INSERT … RETURNING id, job_status_id, id2 into table imp_done."""
        cursor.execute(
            f"CREATE TEMPORARY TABLE imp_done ON COMMIT DROP AS "
            f"WITH written AS ({sql}) SELECT * FROM written",
            params,
        )


class _SQLite(_Dialect):
    on_commit_drop = ""
    uuid_type = "char(32)"  # as Django stores a UUIDField: 32 hex digits
    # A random (version 4) uuid as 32 hex digits.
    new_uuid = (
        "lower(hex(randomblob(6)) || '4' || substr(hex(randomblob(2)), 2) "
        "|| substr('89ab', 1 + (random() & 3), 1) || substr(hex(randomblob(2)), 2) "
        "|| hex(randomblob(6)))"
    )

    def cast(self, expr: str, sql_type: str) -> str:
        return expr

    def uuid(self, value) -> str:
        return f"'{uuid_module.UUID(str(value)).hex}'"  # parsed: only hex digits reach the SQL

    def db_uuid(self, value):
        return None if value is None else value.hex

    def in_visible(self, expr: str) -> str:
        # A few trusted uuids: spelled out (SQLite has no arrays).
        return f"{expr} IN ({', '.join(self.uuid(v) for v in self.visible) or 'NULL'})"

    def only_one(self, expr: str, condition: str = "TRUE") -> str:
        return f"max({expr}) FILTER (WHERE {condition})"

    def distinct(self, a: str, b: str) -> str:
        return f"{a} IS NOT {b}"

    def plus_minutes(self, start: str, minutes: str) -> str:
        # Stored as Django writes it ('YYYY-MM-DD HH:MM:SS[.ffffff]', UTC): datetime() drops
        # the fraction, whole minutes do not change it.
        return f"(datetime({start}, '+' || ({minutes}) || ' minutes') || substr({start}, 20))"

    def drop_temporary(self, cursor) -> None:
        for table in TEMPORARY_TABLES:
            cursor.execute(f"DROP TABLE IF EXISTS temp.{table}")

    def prepare(self, cursor) -> None:
        # The work order table's many indexes and the staging tables outgrow the default page
        # cache (2 MB): pages would spill to disk in the middle of the transaction.
        cursor.execute("PRAGMA main.cache_size")
        self.cache_size = cursor.fetchone()[0]
        for schema in ("main", "temp"):
            cursor.execute(f"PRAGMA {schema}.cache_size = {SQLITE_CACHE_KIB}")

    def finish(self, cursor) -> None:
        for schema in ("main", "temp"):
            cursor.execute(f"PRAGMA {schema}.cache_size = {self.cache_size}")

    def analyze(self, cursor, table: str) -> None:
        pass

    def stage(self, cursor, columns: list[str], rows) -> None:
        names = ", ".join(_q(c) for c in columns)
        cursor.executemany(
            f"INSERT INTO imp_stage ({names}) VALUES ({', '.join(['%s'] * len(columns))})", rows
        )

    def delete_ords(self, cursor, table: str, ords: list[int]) -> None:
        cursor.executemany(f"DELETE FROM {table} WHERE ord = %s", [(o,) for o in ords])

    def upsert_into_done(self, cursor, sql: str, params: dict) -> None:
        # No data-modifying WITH in SQLite: the RETURNING rows come back and go in again.
        cursor.execute(sql, params)
        written = cursor.fetchall()
        cursor.execute(
            "CREATE TEMP TABLE imp_done (id char(32), job_status_id char(32), id2 bigint)"
        )
        cursor.executemany("INSERT INTO imp_done VALUES (%s, %s, %s)", written)


def dialect(visible=None) -> _Dialect:
    return _SQLite(visible) if connection.vendor == "sqlite" else _Dialect(visible)


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


class Plan:
    """Which columns a file carries, and the SQL pieces that follow from it."""

    def __init__(self, columns: Sequence[str]):
        present = set(columns)
        self.has_id = "id" in present
        self.has_id2 = "id2" in present
        self.scalars = [
            (name, spec) for name, spec in WORK_ORDER_SCALARS.items() if name in present
        ]
        self.groups = [g for g in WORK_ORDER_GROUPS if set(g.input_keys) & present]
        self.group_columns = {
            g.field: (
                g.id_key if g.id_key in present else None,
                g.code_key if g.code_key in present else None,
            )
            for g in self.groups
        }
        self.scalar_fields = [spec.field for _, spec in self.scalars]
        self.group_keys = [self.group_columns[g.field] for g in self.groups]
        # clean_work_order_fields(record, partial=False, creating=False) for this file's rows
        self.clean = work_order_fields_cleaner(columns, partial=False, creating=False)
        self.has_ref = "reference_back_office" in self.scalar_fields

    def stage_ddl(self, d: _Dialect) -> str:
        cols = ["line integer", "ord integer", f"id {d.uuid_type}", "id2 bigint"]
        for field in self.scalar_fields:
            f = WO.get_field(field)
            cols.append(f"{_q(f.column)} {f.db_type(connection)}")
        for g in self.groups:
            cols.append(f"{_q('g_' + g.field + '_id')} {d.uuid_type}")
            cols.append(f"{_q('g_' + g.field + '_key')} text")
        return f"CREATE TEMPORARY TABLE imp_stage ({', '.join(cols)}) {d.on_commit_drop}"

    def stage_adapters(self, d: _Dialect) -> list[tuple[int, object]]:
        """(position, function) for the staged values the database driver cannot take as
        they are (SQLite: uuids as 32 hex digits, datetimes as Django writes them)."""
        if not isinstance(d, _SQLite):
            return []
        adapters: list[tuple[int, object]] = [(2, _hex)]
        for i, field in enumerate(self.scalar_fields, start=4):
            if WO.get_field(field).get_internal_type() == "DateTimeField":
                adapters.append((i, _sqlite_datetime))
        start = 4 + len(self.scalar_fields)
        adapters += [(start + 2 * i, _hex) for i in range(len(self.groups))]
        return adapters

    def stage_columns(self) -> list[str]:
        names = ["line", "ord", "id", "id2"]
        names += [WO.get_field(f).column for f in self.scalar_fields]
        for g in self.groups:
            names += [f"g_{g.field}_id", f"g_{g.field}_key"]
        return names


def _hex(value):
    return value.hex


def _sqlite_datetime(value):
    # As connection.ops.adapt_datetimefield_value writes it: naive UTC, `str()` of it.
    text = value.isoformat(" ")  # what str() gives, at half the cost
    if text.endswith("+00:00"):  # parse_datetime gives UTC: the common case, cheaply
        return text[:-6]
    return str(value.astimezone(UTC).replace(tzinfo=None))


def _stage_row(plan: Plan, line: int, ord_: int, record: dict) -> tuple[list | None, dict]:
    """Validate one row (the API's scalar validation), and the values to COPY."""
    cleaned, errors = plan.clean(record)
    get = cleaned.get
    row = [line, ord_, get("id"), get("id2"), *[get(field) for field in plan.scalar_fields]]
    for id_key, code_key in plan.group_keys:
        raw_id = record.get(id_key) if id_key else None
        id_ = None
        if raw_id is not None and raw_id != "":
            try:
                id_ = clean_uuid(raw_id)
            except ValueError as exc:
                errors.setdefault(id_key, str(exc))
        raw_key = record.get(code_key) if code_key else None
        row.append(id_)
        row.append(raw_key or None)
    return (None if errors else row), errors


def _tenancy(d: _Dialect, kind, alias: str) -> str:
    """SQL: may the caller see row `alias` of this kind (as ReferenceResolver._load filters)."""
    if kind.tenant is None or d.visible is None:
        return "TRUE"
    if kind.tenant == "pk":
        return d.in_visible(f"{alias}.id")
    if kind.tenant == "company__sales_organization":
        return (
            f"EXISTS (SELECT 1 FROM jobsite_company tc WHERE tc.id = {alias}.company_id "
            f"AND {d.in_visible('tc.sales_organization_id')})"
        )
    condition = d.in_visible(f"{alias}.sales_organization_id")
    if kind.shared_when_null:
        condition = f"({condition} OR {alias}.sales_organization_id IS NULL)"
    return condition


def _org(d: _Dialect, kind, alias: str) -> str:
    if kind.tenant == "sales_organization":
        return f"{alias}.sales_organization_id"
    if kind.tenant == "company__sales_organization":
        return (
            "(SELECT tc.sales_organization_id FROM jobsite_company tc "
            f"WHERE tc.id = {alias}.company_id)"
        )
    return d.cast("NULL", "uuid")


def _norm(kind, expr: str) -> str:
    return f"lower({expr})" if kind.key_ci else expr


NO_CONTEXT = uuid_module.UUID(int=0)


def _key_table(cursor, d: _Dialect, g: Group, source: str, ctx: str, params: dict) -> None:
    """imp_k_<field>: one resolution per distinct (code, context) pair of the batch, as
    ReferenceResolver._by_code: one candidate wins; several: the one of the context's sales
    organization, else the one shared by all; else the code is ambiguous."""
    kind = KINDS[g.kind]
    org = _org(d, kind, "t")
    cursor.execute(
        f"""CREATE TEMPORARY TABLE imp_k_{g.field} {d.on_commit_drop} AS
            SELECT k.nk, k.ctx, count(t.id) AS n,
              CASE WHEN count(t.id) = 1 THEN {d.only_one("t.id")}
                   WHEN count(t.id) FILTER (WHERE {org} = k.ctx) = 1
                     THEN {d.only_one("t.id", f"{org} = k.ctx")}
                   WHEN count(t.id) FILTER (WHERE {org} IS NULL) = 1
                     THEN {d.only_one("t.id", f"{org} IS NULL")}
              END AS id
            FROM (SELECT DISTINCT {_norm(kind, f"m.g_{g.field}_key")} AS nk,
                    coalesce({ctx}, {d.uuid(NO_CONTEXT)}) AS ctx
                  FROM {source}
                  WHERE m.g_{g.field}_key IS NOT NULL AND m.g_{g.field}_id IS NULL) k
            LEFT JOIN {kind.model._meta.db_table} t ON {_norm(kind, f"t.{kind.key}")} = k.nk
              AND {_tenancy(d, kind, "t")}
            GROUP BY k.nk, k.ctx""",
        params,
    )


def _group_sql(d: _Dialect, plan: Plan, g: Group, ctx: str) -> tuple[list[str], list[str]]:
    """Joins and select expressions giving r_<field> (the resolved id) and p_<field> (a problem
    code) for one group, as ReferenceResolver._resolve_group decides them."""
    kind = KINDS[g.kind]
    table = kind.model._meta.db_table
    f = g.field
    id_carried, key_carried = (c is not None for c in plan.group_columns[f])
    gid, gkey = f"m.g_{f}_id", f"m.g_{f}_key"
    joins = []
    if id_carried:
        joins.append(
            f"LEFT JOIN {table} i_{f} ON i_{f}.id = {gid} AND {_tenancy(d, kind, f'i_{f}')}"
        )
    else:  # a column the file does not have: nothing to look up
        joins.append(
            f"LEFT JOIN (SELECT {d.cast('NULL', 'uuid')} AS id, "
            f"{d.cast('NULL', 'text')} AS {kind.key or 'key'}) i_{f} ON FALSE"
        )
    if kind.key is None or not key_carried:
        resolved = f"i_{f}.id"
        problem = f"CASE WHEN {gid} IS NOT NULL AND i_{f}.id IS NULL THEN {UNKNOWN_ID} END"
        return joins, [f"{resolved} AS r_{f}", f"{d.cast(problem, 'smallint')} AS p_{f}"]
    # Plain equality joins (hash joins); whether the key counts (no id given) is decided below.
    if kind.key_ci:
        joins.append(
            f"LEFT JOIN imp_k_{f} k_{f} ON k_{f}.nk = lower({gkey}) "
            f"AND k_{f}.ctx = coalesce({ctx}, {d.uuid(NO_CONTEXT)})"
        )
        n_zero = f"coalesce(k_{f}.n, 0) = 0"
    else:  # references back office are unique: at most one candidate
        joins.append(
            f"LEFT JOIN {table} k_{f} ON k_{f}.{kind.key} = {gkey} "
            f"AND {_tenancy(d, kind, f'k_{f}')}"
        )
        n_zero = f"k_{f}.id IS NULL"
    found = f"CASE WHEN {gid} IS NULL THEN k_{f}.id END"
    mismatch = f"{_norm(kind, f'coalesce(i_{f}.{kind.key}, %(empty)s)')} <> {_norm(kind, gkey)}"
    problem = f"""CASE
        WHEN {gid} IS NOT NULL AND i_{f}.id IS NULL THEN {UNKNOWN_ID}
        WHEN {gid} IS NOT NULL AND {gkey} IS NOT NULL AND {mismatch} THEN {MISMATCH}
        WHEN {gid} IS NULL AND {gkey} IS NOT NULL AND {n_zero} THEN {UNKNOWN_KEY}
        WHEN {gid} IS NULL AND {gkey} IS NOT NULL AND {found} IS NULL THEN {AMBIGUOUS} END"""
    return joins, [
        f"coalesce(i_{f}.id, {found}) AS r_{f}",
        f"{d.cast(problem, 'smallint')} AS p_{f}",
    ]


def _group_message(g: Group, problem: int, raw_id, raw_key) -> tuple[str, str]:
    kind = KINDS[g.kind]
    if problem == UNKNOWN_ID:
        return g.id_key, f"Unknown {kind.label} id {raw_id}."
    if problem == MISMATCH:
        return g.code_key, f"Does not name the same {kind.label} as {g.id_key}."
    if problem == UNKNOWN_KEY:
        return g.code_key, f"Unknown {kind.label} {kind.key} {raw_key!r}."
    return g.code_key, f"{raw_key!r} names several {kind.label} records; give the id."


class _Failures:
    def __init__(self):
        self.by_ord: dict[int, api_jobs.RecordOutcome] = {}

    def add(self, *, ord_: int, line: int, record_id: str, errors: dict) -> None:
        outcome = self.by_ord.get(ord_)
        if outcome is None:
            self.by_ord[ord_] = api_jobs.RecordOutcome(
                index=ord_,
                outcome=api_jobs.FAILED,
                errors=dict(errors),
                record_id=record_id,
                line=line,
            )
        else:
            for k, v in errors.items():
                outcome.errors.setdefault(k, v)


def _name(record: dict) -> str:
    for key in ("id", "reference_back_office"):
        if record.get(key) not in (None, ""):
            return str(record[key])
    return ""


def run(*, api_job: ApiJob, file, by: User, dry_run: bool, progress) -> ApiJob:
    job = api_jobs.start_api_job(api_job_id=api_job.pk)
    if job is None:
        return api_job
    try:
        with transaction.atomic():
            total, effected, failures = _import(file=file, by=by, progress=progress)
            if dry_run:
                transaction.set_rollback(True)
            else:
                _record(job, total, effected, failures)
        if dry_run:
            with transaction.atomic():
                _record(job, total, effected, failures)
    except Exception as exc:
        logger.exception("set-based import %s failed", job.pk)
        api_jobs.fail_api_job(
            api_job_id=job.pk,
            reason=f"The import stopped on an unexpected error ({type(exc).__name__}: {exc}); "
            "nothing was written.",
        )
        return api_jobs.jobs().get(pk=job.pk)
    return api_jobs.finish_api_job(api_job=job)


def _record(job, total, effected, failures: _Failures) -> None:
    failed = sorted(failures.by_ord.values(), key=lambda o: o.index)
    api_jobs.record_summary(api_job=job, processed=total, effected=effected, failed=failed)
    ApiJob.objects.filter(pk=job.pk).update(total_records=total)


def _import(*, file, by: User, progress) -> tuple[int, int, _Failures]:
    plan = Plan(file.columns)
    visible = visible_sales_organization_ids(user=by)
    d = dialect(visible)
    params = {"empty": ""}
    if not isinstance(d, _SQLite):
        params["visible"] = visible
    failures = _Failures()
    names: dict[int, tuple[int, str]] = {}  # ord -> (line, name), for rows that were staged
    read = [0]
    now = timezone.now()
    adapters = plan.stage_adapters(d)

    def staged():
        for ord_, row in enumerate(file.rows):
            read[0] += 1
            values, errors = _stage_row(plan, row.line, ord_, row.record)
            if errors:
                failures.add(ord_=ord_, line=row.line, record_id=_name(row.record), errors=errors)
            else:
                for i, adapt in adapters:
                    if values[i] is not None:
                        values[i] = adapt(values[i])
                names[ord_] = (row.line, _name(row.record))
                yield values
            if read[0] % COPY_BATCH == 0:
                progress.advance(COPY_BATCH)

    with connection.cursor() as cursor:
        d.drop_temporary(cursor)
        d.prepare(cursor)
        try:
            cursor.execute(plan.stage_ddl(d))
            d.stage(cursor, plan.stage_columns(), staged())
            total = read[0]
            progress.advance(total % COPY_BATCH)
            effected = 0
            if names:
                d.analyze(cursor, "imp_stage")
                effected = _merge(cursor, d, plan, params, failures, names, now)
            d.drop_temporary(cursor)
        finally:
            d.finish(cursor)
    return total, effected, failures


def _fail_rows(cursor, d: _Dialect, failures: _Failures, names, rows) -> None:
    if not rows:
        return
    for ord_, errors in rows:
        line, name = names[ord_]
        failures.add(ord_=ord_, line=line, record_id=name, errors=errors)
    d.delete_ords(cursor, "imp_m", [o for o, _ in rows])


def _merge(cursor, d: _Dialect, plan: Plan, params, failures: _Failures, names, now) -> int:
    ref = _q(WO.get_field("reference_back_office").column)
    # -- the work order each row names: by id, else by reference back office -----------------
    if plan.has_ref:
        match = f"""LEFT JOIN {WO_TABLE} e1 ON e1.id = s.id
                    LEFT JOIN {WO_TABLE} e2 ON s.id IS NULL AND e2.{ref} = s.{ref}"""
        existing = "coalesce(e1.id, e2.id)"
        pick = "CASE WHEN e1.id IS NOT NULL THEN e1.{c} ELSE e2.{c} END"
    else:
        match = f"LEFT JOIN {WO_TABLE} e1 ON e1.id = s.id"
        existing = "e1.id"
        pick = "e1.{c}"
    groups = {g.field: g for g in plan.groups}
    project = groups.get("project")
    joins, selects = _group_sql(d, plan, project, d.cast("NULL", "uuid")) if project else ([], [])
    status_col = _q(WO.get_field("job_status").column)
    cursor.execute(
        f"""CREATE TEMPORARY TABLE imp_m0 {d.on_commit_drop} AS
            SELECT m.*{"".join(", " + x for x in selects)} FROM (
              SELECT s.*, {existing} AS e_id,
                {pick.format(c="sales_organization_id")} AS e_org,
                {pick.format(c="id2")} AS e_id2,
                {pick.format(c="date_closed")} AS e_date_closed,
                {pick.format(c=status_col)} AS e_status,
                coalesce(s.id, {existing}, {d.new_uuid}) AS target_id
              FROM imp_stage s {match}) m
            {" ".join(joins)}""",
        params,
    )
    d.analyze(cursor, "imp_m0")
    # The sales organization codes are read in: the stored work order's, else its project's.
    ctx = "coalesce(m.e_org, ctx_p.sales_organization_id)"
    ctx_join = (
        "LEFT JOIN workorders_project ctx_p ON ctx_p.id = m.r_project"
        if project
        else f"LEFT JOIN (SELECT {d.cast('NULL', 'uuid')} AS sales_organization_id) ctx_p ON TRUE"
    )
    others = [g for g in plan.groups if g.field != "project"]
    joins, selects = [], []
    for g in others:
        if KINDS[g.kind].key and KINDS[g.kind].key_ci and plan.group_columns[g.field][1]:
            _key_table(cursor, d, g, f"imp_m0 m {ctx_join}", ctx, params)
        j, sel = _group_sql(d, plan, g, ctx)
        joins += j
        selects += sel
    cursor.execute(
        f"""CREATE TEMPORARY TABLE imp_m {d.on_commit_drop} AS
            SELECT m.*{"".join(", " + x for x in selects)}
            FROM imp_m0 m {ctx_join} {" ".join(joins)}""",
        params,
    )
    cursor.execute("CREATE INDEX imp_m_ord ON imp_m (ord)")
    if d.visible is not None:
        cursor.execute(
            "SELECT ord, id IS NOT NULL FROM imp_m WHERE e_id IS NOT NULL "
            f"AND NOT ({d.in_visible('e_org')})",
            params,
        )
        _fail_rows(
            cursor,
            d,
            failures,
            names,
            [
                (
                    o,
                    {"id": services.NOT_FOUND}
                    if by_id
                    else {"reference_back_office": "Already used by another work order."},
                )
                for o, by_id in cursor.fetchall()
            ],
        )
    problems = [f"p_{g.field} IS NOT NULL" for g in plan.groups]
    # A required group that did not resolve; on create, also beside a problem (as the API).
    required = [
        f"((r_{g.field} IS NULL AND p_{g.field} IS NULL) OR (e_id IS NULL AND r_{g.field} IS NULL))"
        for g in plan.groups
        if g.required
    ]
    # (Required groups absent from the file cannot happen: the file's columns are checked.)
    if problems or required:
        select = ", ".join(f"p_{g.field}, g_{g.field}_id, g_{g.field}_key" for g in plan.groups)
        cursor.execute(
            f"SELECT ord, {select}, {', '.join(f'r_{g.field} IS NULL' for g in plan.groups)}, "
            "e_id IS NULL "
            f"FROM imp_m WHERE {' OR '.join(problems + required)}"
        )
        failed = []
        n = len(plan.groups)
        for row in cursor.fetchall():
            errors = {}
            for i, g in enumerate(plan.groups):
                problem, raw_id, raw_key = row[1 + 3 * i : 4 + 3 * i]
                if problem:
                    key, message = _group_message(g, problem, raw_id, raw_key)
                    errors[key] = message
            creating = row[-1]
            for i, g in enumerate(plan.groups):
                unresolved, problem = row[1 + 3 * n + i], row[1 + 3 * i]
                if g.required and unresolved and (creating or not problem):
                    errors.setdefault(
                        g.input_keys[0], f"Required: give {' or '.join(g.input_keys)}."
                    )
            failed.append((row[0], errors))
        _fail_rows(cursor, d, failures, names, failed)
    _check_rules(cursor, d, plan, failures, names)
    return _write(cursor, d, plan, now)


def _final(plan: Plan, field: str, creating_default: str = "NULL") -> str:
    """SQL: the value a column will have: the file's when it carries it, else the stored one."""
    column = WO.get_field(field).column
    if field in plan.scalar_fields:
        return f"m.{_q(column)}"
    if field.removesuffix("_id") in plan.group_columns:
        return f"m.r_{field.removesuffix('_id')}"
    return f"CASE WHEN m.e_id IS NULL THEN {creating_default} ELSE e.{_q(column)} END"


def _check_rules(cursor, d: _Dialect, plan: Plan, failures: _Failures, names) -> None:
    """The checks of services._write_one that need the final row, as one query."""
    project = _final(plan, "project_id")
    parent = _final(plan, "parent_id")
    db_address = _final(plan, "db_address_id")
    reference = _final(plan, "reference_back_office")
    checks = [
        f"({parent} IS NOT NULL AND {parent} = m.target_id) AS own_parent",
    ]
    for name in MOBILE_ADDRESS_REQUIRED:
        checks.append(
            f"(p.is_mobile_installation AND coalesce({_final(plan, name, "''")}, '') = '') "
            f"AS {name}"
        )
    moved = ["m.e_id IS NULL"]
    if "db_address" in plan.group_columns:
        moved.append(d.distinct("m.r_db_address", "e.db_address_id"))
    if "project" in plan.group_columns:
        moved.append(d.distinct("m.r_project", "e.project_id"))
    checks.append(
        f"({db_address} IS NOT NULL AND ({' OR '.join(moved)}) "
        f"AND {d.distinct(db_address, 'p.db_address_id')}) AS bad_address"
    )
    # The planning service's technician rule, where the suggestion or the project moves.
    suggested = _final(plan, "suggested_user_id")
    replanned = ["m.e_id IS NULL"]
    if "suggested_user" in plan.group_columns:
        replanned.append(d.distinct("m.r_suggested_user", "e.suggested_user_id"))
    if "project" in plan.group_columns:
        replanned.append(d.distinct("m.r_project", "e.project_id"))
    technician = plannings.technician_problem_sql(
        user="su", sales_organization_id="p.sales_organization_id"
    )
    users = f"LEFT JOIN {User._meta.db_table} su ON su.id = {suggested}"
    # Holders of the reference and of an explicit number (unique: at most one each), joined.
    checks.append("(h.id IS NOT NULL AND h.id <> m.target_id) AS ref_used")
    holders = f"LEFT JOIN {WO_TABLE} h ON h.reference_back_office = {reference}"
    if plan.has_id2:
        checks.append("(m.e_id IS NULL AND h2.id IS NOT NULL) AS id2_used")
        holders += f" LEFT JOIN {WO_TABLE} h2 ON h2.id2 = m.id2"
    else:
        checks.append("FALSE AS id2_used")
    checks.append(f"CASE WHEN {' OR '.join(replanned)} THEN {technician} END AS technician")
    checks.append("su.username AS technician_name")
    cursor.execute(
        f"""SELECT * FROM (
              SELECT m.ord, {", ".join(checks)}
              FROM imp_m m LEFT JOIN {WO_TABLE} e ON e.id = m.e_id
              JOIN {Project._meta.db_table} p ON p.id = {project} {holders} {users}) c
            WHERE own_parent OR {" OR ".join(MOBILE_ADDRESS_REQUIRED)} OR bad_address
              OR ref_used OR id2_used OR technician IS NOT NULL"""
    )
    failed = []
    for ord_, own_parent, *rest in cursor.fetchall():
        mobile = rest[: len(MOBILE_ADDRESS_REQUIRED)]
        bad_address, ref_used, id2_used, technician, name = rest[len(MOBILE_ADDRESS_REQUIRED) :]
        errors = {}
        if own_parent:
            errors["_parent_id"] = "A work order cannot be its own parent."
        for name, missing in zip(MOBILE_ADDRESS_REQUIRED, mobile, strict=True):
            if missing:
                errors[name] = "Required: the project is a mobile installation."
        if bad_address:
            errors["db_address_id"] = "Must be the address of the project."
        if ref_used:
            errors["reference_back_office"] = "Already used by another work order."
        if id2_used:
            errors["id2"] = "Already used by another work order."
        if technician is not None:
            id_carried = plan.group_columns.get("suggested_user", (None,))[0] is not None
            field = "suggested_user_id" if id_carried else "suggested_user_code"
            code = plannings.code_of_sql(technician)
            errors[field] = plannings.technician_message(code=code, name=name)
        failed.append((ord_, errors))
    _fail_rows(cursor, d, failures, names, failed)
    # The same work order, reference or number twice in one file: the first row wins.
    used = "Already used by another work order."
    dup_checks = []
    if plan.has_ref:
        column = _q(WO.get_field("reference_back_office").column)
        dup_checks.append((column, "reference_back_office", used))
    if plan.has_id2:
        dup_checks.append(("CASE WHEN e_id IS NULL THEN id2 END", "id2", used))
    # The batched path would write such a row twice; one statement cannot: the first row wins.
    # (Without an id column, rows naming the same work order share its reference: found above.)
    if plan.has_id:
        dup_checks.append(
            ("target_id", "id", "The same work order is already on line {first} of this file.")
        )
    for expr, field, message in dup_checks:
        cursor.execute(
            f"""SELECT ord, first_line FROM (
                  SELECT ord, line, first_value(line) OVER w AS first_line,
                         row_number() OVER w AS n
                  FROM imp_m WHERE {expr} IS NOT NULL
                  WINDOW w AS (PARTITION BY {expr} ORDER BY ord)) d WHERE n > 1"""
        )
        _fail_rows(
            cursor,
            d,
            failures,
            names,
            [(o, {field: message.format(first=first)}) for o, first in cursor.fetchall()],
        )


def _write(cursor, d: _Dialect, plan: Plan, now) -> int:
    cursor.execute("SELECT count(*) FROM imp_m WHERE e_id IS NULL AND id2 IS NULL")
    (new_numbers,) = cursor.fetchone()
    numbers = next_numbers(name=WorkOrder.number_sequence, count=new_numbers)
    first_number = numbers.start if new_numbers else 0

    insert_cols, select_exprs, update_cols = [], [], []
    for f in WO.concrete_fields:
        column = f.column
        if f.name == "id":
            expr = "m.target_id"
        elif f.name == "id2":
            expr = (
                "CASE WHEN m.e_id IS NOT NULL THEN m.e_id2 WHEN m.id2 IS NOT NULL THEN m.id2 "
                "ELSE %(first)s - 1 + row_number() OVER "
                "(PARTITION BY m.e_id IS NULL AND m.id2 IS NULL ORDER BY m.ord) END"
            )
        elif f.name in ("company", "sales_organization"):
            expr = f"p.{_q(column)}"
            update_cols.append(column)
        elif f.name == "date_create":
            expr = "%(now)s"  # not updated: only a new row takes it
        elif f.name in ("date_update", "modified_dateutc"):
            expr = "%(now)s"
            update_cols.append(column)
        elif f.name == "date_closed":
            expr = (
                "CASE WHEN st.life_cycle_state <> 'COMPLETED' THEN NULL "
                "WHEN est.life_cycle_state = 'COMPLETED' THEN m.e_date_closed ELSE %(now)s END"
            )
            update_cols.append(column)
        elif f.name in plan.scalar_fields or f.name in plan.group_columns:
            expr = _final(plan, f.attname)
            update_cols.append(column)
        elif f.null:
            expr = "NULL"
        else:
            # A column the file does not carry is not updated: a new row takes the default.
            expr = f"%(default_{f.name})s"
        insert_cols.append(_q(column))
        select_exprs.append(expr)
    defaults = {
        f"default_{f.name}": f.get_db_prep_save(f.get_default(), connection)
        for f in WO.concrete_fields
        if not f.null and f.has_default()
    }
    sets = ", ".join(f"{_q(c)} = EXCLUDED.{_q(c)}" for c in update_cols)
    compared = [
        c for c in update_cols if c not in ("date_update", "modified_dateutc", "date_closed")
    ]
    target = ", ".join(f"{WO_TABLE}.{_q(c)}" for c in compared)
    proposed = ", ".join(f"EXCLUDED.{_q(c)}" for c in compared)
    # `WHERE TRUE`: SQLite would read ON CONFLICT as the join's ON without it.
    sql = f"""
          INSERT INTO {WO_TABLE} ({", ".join(insert_cols)})
          SELECT {", ".join(select_exprs)}
          FROM imp_m m
          JOIN workorders_project p ON p.id = {_final(plan, "project_id")}
          JOIN jobs_jobstatus st ON st.id = {_final(plan, "job_status_id")}
          LEFT JOIN jobs_jobstatus est ON est.id = m.e_status
          WHERE TRUE
          ORDER BY m.ord
          ON CONFLICT (id) DO UPDATE SET {sets}
          WHERE {d.distinct(f"({target})", f"({proposed})")}
          RETURNING id, job_status_id, id2"""
    d.upsert_into_done(
        cursor,
        sql,
        {
            "first": first_number,
            "now": connection.ops.adapt_datetimefield_value(now),
            **defaults,
        },
    )
    cursor.execute("SELECT count(*) FROM imp_done")
    (effected,) = cursor.fetchone()
    if plan.has_id2:
        # Every row left without a stored work order was inserted; explicit numbers move the
        # sequence past them.
        cursor.execute("SELECT max(id2) FROM imp_m WHERE e_id IS NULL")
        (max_id2,) = cursor.fetchone()
        if max_id2 is not None:
            observe_number(name=WorkOrder.number_sequence, value=max_id2)
    _sync_plannings(cursor, d)
    return effected


def _sync_plannings(cursor, d: _Dialect) -> None:
    """The Suggested rule for the written rows (table imp_done), as SQL."""
    cursor.execute("SELECT EXISTS (SELECT 1 FROM imp_m WHERE e_id IS NOT NULL)")
    (updates,) = cursor.fetchone()
    sync_suggested_plannings_sql(
        cursor, written="imp_done", now=timezone.now(), d=d, all_new=not updates
    )


def sync_suggested_plannings_sql(
    cursor, *, written: str, now, d: _Dialect | None = None, all_new: bool = False
) -> None:
    """`plannings.sync_suggested_plannings` as three statements for the work orders whose ids are
    in table `written` (same constants; tests/workorders/test_import_paths.py checks that both
    give the same plannings): remove the rule's planning where the rule says so, move the ones
    whose user or times changed, add the missing ones."""
    d = d or dialect()
    now = connection.ops.adapt_datetimefield_value(now)
    suggested = int(StatusNumber.SUGGESTED)
    unplanned = ", ".join(str(int(n)) for n in sorted(plannings.UNPLANNED_STATUSES))
    minutes = plannings.DEFAULT_PLANNING_MINUTES
    end = d.plus_minutes(
        "w.suggested_date_start", f"coalesce(nullif(w.estimated_time, 0), {minutes})"
    )
    planned = (
        f"st.number = {suggested} AND w.suggested_user_id IS NOT NULL "
        "AND w.suggested_date_start IS NOT NULL"
    )
    source = (
        f"{written} d JOIN {WO_TABLE} w ON w.id = d.id "
        "JOIN jobs_jobstatus st ON st.id = w.job_status_id"
    )
    if all_new:  # work orders created just now hold no planning yet: only some to add
        _add_plannings(cursor, source=source, planned=planned, end=end, now=now, d=d)
        return
    cursor.execute(
        f"""DELETE FROM {PLANNING_TABLE} WHERE made_by_rule AND work_order_id IN (
              SELECT w.id FROM {source}
              WHERE (st.number = {suggested} AND NOT ({planned}))
                OR st.number IN ({unplanned}))"""
    )
    changed = d.distinct(
        "(jp.user_id, jp.date_start, jp.date_end)",
        f"(w.suggested_user_id, w.suggested_date_start, {end})",
    )
    cursor.execute(
        f"""UPDATE {PLANNING_TABLE} AS jp SET user_id = w.suggested_user_id,
              date_start = w.suggested_date_start, date_end = {end}, modified_dateutc = %s
            FROM {source}
            WHERE jp.work_order_id = w.id AND jp.made_by_rule AND {planned} AND {changed}""",
        [now],
    )
    _add_plannings(cursor, source=source, planned=planned, end=end, now=now, d=d)


def _add_plannings(cursor, *, source: str, planned: str, end: str, now, d: _Dialect) -> None:
    cursor.execute(
        f"""INSERT INTO {PLANNING_TABLE}
              (id, work_order_id, user_id, date_start, date_end, made_by_rule, modified_dateutc)
            SELECT {d.new_uuid}, w.id, w.suggested_user_id, w.suggested_date_start, {end},
                   TRUE, %s
            FROM {source}
            WHERE {planned} AND NOT EXISTS (
              SELECT 1 FROM {PLANNING_TABLE} jp WHERE jp.work_order_id = w.id AND jp.made_by_rule)
            ORDER BY w.id""",
        [now],
    )


__all__ = ["run", "supports"]
