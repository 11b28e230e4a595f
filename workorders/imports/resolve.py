"""References resolved with joins, as `workorders.references.ReferenceResolver` resolves them:
ids, else codes case-insensitively / references exactly, within the caller's tenancy, codes
preferring the sales organization the row belongs to, then shared records. Unresolved ones
become per-row errors with line and field, worded as the API words them."""

from uuid import UUID

from jobsite.tenancy import organization_sql, sees_sql
from workorders import services
from workorders.imports.checks import ALREADY_USED, visible_rows
from workorders.imports.sql_dialect import PostgreSQLDialect, quote
from workorders.imports.staging import (
    MATCHED,
    RESOLVED,
    STAGED,
    WORK_ORDER,
    ColumnPlan,
    RowFailures,
    codes_table,
)
from workorders.models import Project
from workorders.reference_kinds import KINDS, Group

# Problems a reference can have, worded as ReferenceResolver words them.
UNKNOWN_ID, MISMATCH, UNKNOWN_KEY, AMBIGUOUS = 1, 2, 3, 4
# The context of a code when the row has no sales organization: matches no stored one.
NO_CONTEXT = UUID(int=0)


def _organization_of(dialect: PostgreSQLDialect, kind, alias: str) -> str:
    if kind.tenant is None:
        return dialect.cast("NULL", "uuid")
    return organization_sql(kind.model, kind.tenant, alias)


def _norm(kind, expr: str) -> str:
    return f"lower({expr})" if kind.key_ci else expr


def _fill_codes_table(
    cursor, dialect: PostgreSQLDialect, group: Group, source: str, context: str, params: dict
) -> None:
    """One resolution per distinct (code, context) pair of the batch, as
    ReferenceResolver._by_code: one candidate wins; several: the one of the context's sales
    organization, else the one shared by all; else the code is ambiguous."""
    kind = KINDS[group.kind]
    org = _organization_of(dialect, kind, "candidate")
    given_id, given_key = f"incoming.given_{group.field}_id", f"incoming.given_{group.field}_key"
    cursor.execute(
        f"""CREATE TEMPORARY TABLE {codes_table(group.field)} {dialect.on_commit_drop} AS
            SELECT wanted.norm_key, wanted.context_org, count(candidate.id) AS candidates,
              CASE WHEN count(candidate.id) = 1 THEN {dialect.only_one("candidate.id")}
                   WHEN count(candidate.id) FILTER (WHERE {org} = wanted.context_org) = 1
                     THEN {dialect.only_one("candidate.id", f"{org} = wanted.context_org")}
                   WHEN count(candidate.id) FILTER (WHERE {org} IS NULL) = 1
                     THEN {dialect.only_one("candidate.id", f"{org} IS NULL")}
              END AS id
            FROM (SELECT DISTINCT {_norm(kind, given_key)} AS norm_key,
                    coalesce({context}, {dialect.uuid(NO_CONTEXT)}) AS context_org
                  FROM {source}
                  WHERE {given_key} IS NOT NULL AND {given_id} IS NULL) wanted
            LEFT JOIN {kind.model._meta.db_table} candidate
              ON {_norm(kind, f"candidate.{kind.key}")} = wanted.norm_key
              AND {visible_rows(dialect, kind, "candidate")}
            GROUP BY wanted.norm_key, wanted.context_org""",
        params,
    )


def _group_sql(
    dialect: PostgreSQLDialect, plan: ColumnPlan, group: Group, context: str
) -> tuple[list[str], list[str]]:
    """Joins and select expressions giving resolved_<field> (the id) and problem_<field> (a
    problem code) for one group, as ReferenceResolver._resolve_group decides them."""
    kind = KINDS[group.kind]
    table = kind.model._meta.db_table
    field = group.field
    id_carried, key_carried = (c is not None for c in plan.group_columns[field])
    given_id, given_key = f"incoming.given_{field}_id", f"incoming.given_{field}_key"
    by_id, by_key = f"{field}_by_id", f"{field}_by_key"
    joins = []
    if id_carried:
        joins.append(
            f"LEFT JOIN {table} {by_id} ON {by_id}.id = {given_id} "
            f"AND {visible_rows(dialect, kind, by_id)}"
        )
    else:  # a column the file does not have: nothing to look up
        joins.append(
            f"LEFT JOIN (SELECT {dialect.cast('NULL', 'uuid')} AS id, "
            f"{dialect.cast('NULL', 'text')} AS {kind.key or 'key'}) {by_id} ON FALSE"
        )
    resolved, problem_column = f"resolved_{field}", f"problem_{field}"
    if kind.key is None or not key_carried:
        problem = f"CASE WHEN {given_id} IS NOT NULL AND {by_id}.id IS NULL THEN {UNKNOWN_ID} END"
        return joins, [
            f"{by_id}.id AS {resolved}",
            f"{dialect.cast(problem, 'smallint')} AS {problem_column}",
        ]
    # Plain equality joins (hash joins); whether the key counts (no id given) is decided below.
    if kind.key_ci:
        joins.append(
            f"LEFT JOIN {codes_table(field)} {by_key} ON {by_key}.norm_key = lower({given_key}) "
            f"AND {by_key}.context_org = coalesce({context}, {dialect.uuid(NO_CONTEXT)})"
        )
        none_found = f"coalesce({by_key}.candidates, 0) = 0"
    else:  # references back office are unique: at most one candidate
        joins.append(
            f"LEFT JOIN {table} {by_key} ON {by_key}.{kind.key} = {given_key} "
            f"AND {visible_rows(dialect, kind, by_key)}"
        )
        none_found = f"{by_key}.id IS NULL"
    found = f"CASE WHEN {given_id} IS NULL THEN {by_key}.id END"
    stored_key = _norm(kind, f"coalesce({by_id}.{kind.key}, %(empty)s)")
    mismatch = f"{stored_key} <> {_norm(kind, given_key)}"
    problem = f"""CASE
        WHEN {given_id} IS NOT NULL AND {by_id}.id IS NULL THEN {UNKNOWN_ID}
        WHEN {given_id} IS NOT NULL AND {given_key} IS NOT NULL AND {mismatch} THEN {MISMATCH}
        WHEN {given_id} IS NULL AND {given_key} IS NOT NULL AND {none_found} THEN {UNKNOWN_KEY}
        WHEN {given_id} IS NULL AND {given_key} IS NOT NULL AND {found} IS NULL
          THEN {AMBIGUOUS} END"""
    return joins, [
        f"coalesce({by_id}.id, {found}) AS {resolved}",
        f"{dialect.cast(problem, 'smallint')} AS {problem_column}",
    ]


def _group_message(group: Group, problem: int, raw_id, raw_key) -> tuple[str, str]:
    kind = KINDS[group.kind]
    if problem == UNKNOWN_ID:
        return group.id_key, f"Unknown {kind.label} id {raw_id}."
    if problem == MISMATCH:
        return group.code_key, f"Does not name the same {kind.label} as {group.id_key}."
    if problem == UNKNOWN_KEY:
        return group.code_key, f"Unknown {kind.label} {kind.key} {raw_key!r}."
    return group.code_key, f"{raw_key!r} names several {kind.label} records; give the id."


def resolve_rows(
    cursor, dialect: PostgreSQLDialect, plan: ColumnPlan, params: dict, failures: RowFailures
) -> None:
    """STAGED → MATCHED (the stored work order each row names, its project) → RESOLVED (every
    other reference); rows naming what the caller may not see, or references that do not
    resolve, fail."""
    project = next((g for g in plan.groups if g.field == "project"), None)
    _match_stored(cursor, dialect, plan, params, project)
    # The sales organization codes are read in: the stored work order's, else its project's.
    context = "coalesce(incoming.existing_org, context_project.sales_organization_id)"
    context_join = (
        f"LEFT JOIN {Project._meta.db_table} context_project "
        "ON context_project.id = incoming.resolved_project"
        if project
        else f"LEFT JOIN (SELECT {dialect.cast('NULL', 'uuid')} AS sales_organization_id) "
        "context_project ON TRUE"
    )
    joins, selects = [], []
    for group in plan.groups:
        if group is project:
            continue
        kind = KINDS[group.kind]
        if kind.key and kind.key_ci and plan.group_columns[group.field][1]:
            source = f"{MATCHED} incoming {context_join}"
            _fill_codes_table(cursor, dialect, group, source, context, params)
        group_joins, group_selects = _group_sql(dialect, plan, group, context)
        joins += group_joins
        selects += group_selects
    cursor.execute(
        f"""CREATE TEMPORARY TABLE {RESOLVED} {dialect.on_commit_drop} AS
            SELECT incoming.*{"".join(", " + x for x in selects)}
            FROM {MATCHED} incoming {context_join} {" ".join(joins)}""",
        params,
    )
    cursor.execute(f"CREATE INDEX {RESOLVED}_ord ON {RESOLVED} (ord)")
    if dialect.visible is not None:
        cursor.execute(
            f"SELECT ord, id IS NOT NULL FROM {RESOLVED} WHERE existing_id IS NOT NULL "
            f"AND NOT ({sees_sql('existing_org', visible=dialect.visible)})",
            params,
        )
        failures.fail_staged(
            cursor,
            [
                (
                    o,
                    {"id": services.NOT_FOUND}
                    if by_id
                    else {"reference_back_office": ALREADY_USED},
                )
                for o, by_id in cursor.fetchall()
            ],
        )
    _fail_unresolved(cursor, plan, failures)


def _match_stored(
    cursor, dialect: PostgreSQLDialect, plan: ColumnPlan, params: dict, project: Group | None
) -> None:
    """MATCHED: each staged row with the work order it names (by id, else by reference back
    office), the id it will have, and its project resolved."""
    work_orders = WORK_ORDER.db_table
    ref = quote(WORK_ORDER.get_field("reference_back_office").column)
    if plan.has_ref:
        match = f"""LEFT JOIN {work_orders} existing_by_id ON existing_by_id.id = staged.id
                    LEFT JOIN {work_orders} existing_by_ref
                      ON staged.id IS NULL AND existing_by_ref.{ref} = staged.{ref}"""
        existing = "coalesce(existing_by_id.id, existing_by_ref.id)"
        pick = (
            "CASE WHEN existing_by_id.id IS NOT NULL THEN existing_by_id.{c} "
            "ELSE existing_by_ref.{c} END"
        )
    else:
        match = f"LEFT JOIN {work_orders} existing_by_id ON existing_by_id.id = staged.id"
        existing = "existing_by_id.id"
        pick = "existing_by_id.{c}"
    joins, selects = (
        _group_sql(dialect, plan, project, dialect.cast("NULL", "uuid")) if project else ([], [])
    )
    status_column = quote(WORK_ORDER.get_field("job_status").column)
    cursor.execute(
        f"""CREATE TEMPORARY TABLE {MATCHED} {dialect.on_commit_drop} AS
            SELECT incoming.*{"".join(", " + x for x in selects)} FROM (
              SELECT staged.*, {existing} AS existing_id,
                {pick.format(c="sales_organization_id")} AS existing_org,
                {pick.format(c="id2")} AS existing_id2,
                {pick.format(c="date_closed")} AS existing_date_closed,
                {pick.format(c=status_column)} AS existing_status_id,
                coalesce(staged.id, {existing}, {dialect.new_uuid}) AS target_id
              FROM {STAGED} staged {match}) incoming
            {" ".join(joins)}""",
        params,
    )
    dialect.analyze(cursor, MATCHED)


def _fail_unresolved(cursor, plan: ColumnPlan, failures: RowFailures) -> None:
    problems = [f"problem_{g.field} IS NOT NULL" for g in plan.groups]
    # A required group that did not resolve; on create, also beside a problem (as the API).
    required = [
        f"((resolved_{g.field} IS NULL AND problem_{g.field} IS NULL) "
        f"OR (existing_id IS NULL AND resolved_{g.field} IS NULL))"
        for g in plan.groups
        if g.required
    ]
    # (Required groups absent from the file cannot happen: the file's columns are checked.)
    if not (problems or required):
        return
    select = ", ".join(
        f"problem_{g.field}, given_{g.field}_id, given_{g.field}_key" for g in plan.groups
    )
    unresolved = ", ".join(f"resolved_{g.field} IS NULL" for g in plan.groups)
    cursor.execute(
        f"SELECT ord, {select}, {unresolved}, existing_id IS NULL "
        f"FROM {RESOLVED} WHERE {' OR '.join(problems + required)}"
    )
    failed = []
    n = len(plan.groups)
    for row in cursor.fetchall():
        errors = {}
        for i, group in enumerate(plan.groups):
            problem, raw_id, raw_key = row[1 + 3 * i : 4 + 3 * i]
            if problem:
                key, message = _group_message(group, problem, raw_id, raw_key)
                errors[key] = message
        creating = row[-1]
        for i, group in enumerate(plan.groups):
            not_resolved, problem = row[1 + 3 * n + i], row[1 + 3 * i]
            if group.required and not_resolved and (creating or not problem):
                errors.setdefault(
                    group.input_keys[0], f"Required: give {' or '.join(group.input_keys)}."
                )
        failed.append((row[0], errors))
    failures.fail_staged(cursor, failed)
