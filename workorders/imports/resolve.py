"""References resolved with joins, as `workorders.references.ReferenceResolver` resolves them:
ids, else codes (case-insensitively) and references back office (exactly) within the caller's
tenancy, preferring the sales organization the row belongs to, then shared records; a row's own
work order by id, else by reference within the organization its project names. Unresolved ones
become per-row errors with line and field, worded as the API words them."""

from uuid import UUID

from django.db import connection

from jobsite.tenancy import organization_sql, sees_sql
from workorders import services
from workorders.imports.checks import visible_rows
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
from workorders.reference_kinds import KINDS, WORK_ORDER_GROUPS, Group, ambiguous_message

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


def _codes_sql(dialect: PostgreSQLDialect, group: Group, source: str, context: str) -> str:
    """One resolution per distinct (code, context) pair of `source` (rows `incoming`), as
    ReferenceResolver._by_code (jobsite.codes.choose_by_code): one candidate wins; several: the
    one of the context's sales organization, else the one shared by all; else the code is
    ambiguous. References back office the same, matched exactly."""
    kind = KINDS[group.kind]
    org = _organization_of(dialect, kind, "candidate")
    given_id, given_key = f"incoming.given_{group.field}_id", f"incoming.given_{group.field}_key"
    return f"""SELECT wanted.norm_key, wanted.context_org, count(candidate.id) AS candidates,
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
            GROUP BY wanted.norm_key, wanted.context_org"""


def _fill_codes_table(
    cursor, dialect: PostgreSQLDialect, group: Group, source: str, context: str, params: dict
) -> None:
    cursor.execute(
        f"CREATE TEMPORARY TABLE {codes_table(group.field)} {dialect.on_commit_drop} AS "
        f"{_codes_sql(dialect, group, source, context)}",
        params,
    )


def _group_sql(
    dialect: PostgreSQLDialect, plan: ColumnPlan, group: Group, context: str, codes: str = ""
) -> tuple[list[str], list[str]]:
    """Joins and select expressions giving resolved_<field> (the id) and problem_<field> (a
    problem code) for one group, as ReferenceResolver._resolve_group decides them. `codes`:
    the table of its codes' resolutions (`_codes_sql`), codes_table(field) unless given."""
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
    joins.append(
        f"LEFT JOIN {codes or codes_table(field)} {by_key} "
        f"ON {by_key}.norm_key = {_norm(kind, given_key)} "
        f"AND {by_key}.context_org = coalesce({context}, {dialect.uuid(NO_CONTEXT)})"
    )
    none_found = f"coalesce({by_key}.candidates, 0) = 0"
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
        # As written (canonical): SQLite stages a uuid as 32 hex digits.
        return group.id_key, f"Unknown {kind.label} id {UUID(str(raw_id))}."
    if problem == MISMATCH:
        return group.code_key, f"Does not name the same {kind.label} as {group.id_key}."
    if problem == UNKNOWN_KEY:
        return group.code_key, f"Unknown {kind.label} {kind.key} {raw_key!r}."
    return group.code_key, ambiguous_message(kind, raw_key)


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
        if kind.key and plan.group_columns[group.field][1]:
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
    # Its row count and empty columns (no stored work order for new rows) steer the checks'
    # joins to index lookups rather than reading every stored work order.
    dialect.analyze(cursor, RESOLVED)
    if dialect.visible is not None:
        # Only an id can name what the caller may not see: references match their own rows.
        cursor.execute(
            f"SELECT ord FROM {RESOLVED} WHERE existing_id IS NOT NULL "
            f"AND NOT ({sees_sql('existing_org', visible=dialect.visible)})",
            params,
        )
        hidden = [(o, {"id": services.NOT_FOUND}) for (o,) in cursor.fetchall()]
        failures.fail_staged(cursor, hidden)
    if plan.has_ref:
        ref = quote(WORK_ORDER.get_field("reference_back_office").column)
        cursor.execute(f"SELECT ord, {ref} FROM {RESOLVED} WHERE ref_holders > 1")
        kind = KINDS["work_order"]
        failures.fail_staged(
            cursor,
            [
                (o, {"reference_back_office": ambiguous_message(kind, value)})
                for o, value in cursor.fetchall()
            ],
        )
    _fail_unresolved(cursor, plan, failures)


def _match_stored(
    cursor, dialect: PostgreSQLDialect, plan: ColumnPlan, params: dict, project: Group | None
) -> None:
    """MATCHED: each staged row with the work order it names (by id, else by reference back
    office within the organization its project names, as upsert._by_reference), the id it will
    have, and its project resolved (codes in the stored work order's organization)."""
    work_orders = WORK_ORDER.db_table
    ref = quote(WORK_ORDER.get_field("reference_back_office").column)
    pick = "existing_by_id.{c}"
    ctes, source, existing, held = [], f"{STAGED} staged", "existing_by_id.id", "0"
    match = dialect.probe(work_orders, "existing_by_id", "existing_by_id.id = staged.id")
    status_column = quote(WORK_ORDER.get_field("job_status").column)
    if not plan.has_id:
        # No row gives an id: no lookup (a hash join would read every stored work order).
        nothing = {
            "id": "uuid",
            "sales_organization_id": "uuid",
            "id2": "bigint",
            "date_closed": WORK_ORDER.get_field("date_closed").db_type(connection),
            status_column: "uuid",
        }
        stub = ", ".join(f"{dialect.cast('NULL', t)} AS {c}" for c, t in nothing.items())
        match = f"LEFT JOIN (SELECT {stub}) existing_by_id ON FALSE"
    if plan.has_ref:
        no_context = dialect.uuid(NO_CONTEXT)
        holder_org = _organization_of(dialect, KINDS["work_order"], "holder")
        ctes.append(f"named AS ({_named_organization_sql(dialect, plan, project)})")
        ctes.append(
            f"""holders AS (
              SELECT wanted.reference, wanted.org, count(holder.id) AS holders,
                CASE WHEN count(holder.id) = 1 THEN {dialect.only_one("holder.id")} END AS id
              FROM (SELECT DISTINCT {ref} AS reference,
                      coalesce(named_org, {no_context}) AS org
                    FROM named WHERE id IS NULL AND {ref} IS NOT NULL) wanted
              JOIN {work_orders} holder ON holder.{ref} = wanted.reference
                AND {visible_rows(dialect, KINDS["work_order"], "holder")}
                AND (wanted.org = {no_context} OR {holder_org} = wanted.org)
              GROUP BY wanted.reference, wanted.org)"""
        )
        source = "named staged"
        match += f"""
            LEFT JOIN holders ON staged.id IS NULL AND holders.reference = staged.{ref}
              AND holders.org = coalesce(staged.named_org, {no_context})
            {dialect.probe(work_orders, "existing_by_ref", "existing_by_ref.id = holders.id")}"""
        existing = "coalesce(existing_by_id.id, existing_by_ref.id)"
        pick = (
            "CASE WHEN existing_by_id.id IS NOT NULL THEN existing_by_id.{c} "
            "ELSE existing_by_ref.{c} END"
        )
        held = "coalesce(holders.holders, 0)"
    ctes.append(
        f"""matched AS (
          SELECT staged.*, {existing} AS existing_id,
            {pick.format(c="sales_organization_id")} AS existing_org,
            {pick.format(c="id2")} AS existing_id2,
            {pick.format(c="date_closed")} AS existing_date_closed,
            {pick.format(c=status_column)} AS existing_status_id,
            {held} AS ref_holders,
            coalesce(staged.id, {existing}, {dialect.new_uuid}) AS target_id
          FROM {source} {match})"""
    )
    joins, selects = [], []
    if project:
        context = "incoming.existing_org"
        if plan.group_columns[project.field][1]:
            codes = _codes_sql(dialect, project, "matched incoming", context)
            ctes.append(f"project_codes AS ({codes})")
        joins, selects = _group_sql(dialect, plan, project, context, codes="project_codes")
    cursor.execute(
        f"""CREATE TEMPORARY TABLE {MATCHED} {dialect.on_commit_drop} AS
            WITH {", ".join(ctes)}
            SELECT incoming.*{"".join(", " + x for x in selects)} FROM matched incoming
            {" ".join(joins)}""",
        params,
    )
    dialect.analyze(cursor, MATCHED)


def _named_organization_sql(dialect: PostgreSQLDialect, plan: ColumnPlan, project) -> str:
    """The staged rows with named_org: the sales organization of the project each names, as
    ReferenceResolver.named_organization reads it (by id, else the only project holding its
    reference), NULL when none."""
    if project is None:
        return f"SELECT staged.*, {dialect.cast('NULL', 'uuid')} AS named_org FROM {STAGED} staged"
    kind = KINDS["project"]
    table, key = kind.model._meta.db_table, quote(kind.model._meta.get_field(kind.key).column)
    id_carried, key_carried = (c is not None for c in plan.group_columns[project.field])
    given_id, given_key = "staged.given_project_id", "staged.given_project_key"
    joins, by_id, by_key = [], "NULL", "NULL"
    if id_carried:
        joins.append(
            f"LEFT JOIN {table} named_by_id ON named_by_id.id = {given_id} "
            f"AND {visible_rows(dialect, kind, 'named_by_id')}"
        )
        by_id = _organization_of(dialect, kind, "named_by_id")
    if key_carried:
        org = _organization_of(dialect, kind, "candidate")
        joins.append(
            f"""LEFT JOIN (SELECT candidate.{key} AS reference,
                  {dialect.only_one(org)} AS org
                FROM {table} candidate
                WHERE candidate.{key} IN (SELECT given_project_key FROM {STAGED})
                  AND {visible_rows(dialect, kind, "candidate")}
                GROUP BY candidate.{key} HAVING count(*) = 1) named_by_key
              ON named_by_key.reference = {given_key}"""
        )
        by_key = "named_by_key.org"
    named = by_id if not key_carried else by_key
    if id_carried and key_carried:
        named = f"CASE WHEN {given_id} IS NOT NULL THEN {by_id} ELSE {by_key} END"
    return f"SELECT staged.*, {named} AS named_org FROM {STAGED} staged {' '.join(joins)}"


def _fail_unresolved(cursor, plan: ColumnPlan, failures: RowFailures) -> None:
    problems = [f"problem_{g.field} IS NOT NULL" for g in plan.groups]
    # A required group that did not resolve; on create, also beside a problem (as the API).
    required = [
        f"((resolved_{g.field} IS NULL AND problem_{g.field} IS NULL) "
        f"OR (existing_id IS NULL AND resolved_{g.field} IS NULL))"
        for g in plan.groups
        if g.required
    ]
    # A required group the rows do not carry (a file's columns are checked first; bulk
    # records may leave one out): only a new work order needs it.
    absent = [g for g in WORK_ORDER_GROUPS if g.required and g.field not in plan.group_columns]
    if absent:
        required.append("existing_id IS NULL")
    if not (problems or required):
        return
    select = "".join(
        f", problem_{g.field}, given_{g.field}_id, given_{g.field}_key" for g in plan.groups
    )
    unresolved = "".join(f", resolved_{g.field} IS NULL" for g in plan.groups)
    cursor.execute(
        f"SELECT ord{select}{unresolved}, existing_id IS NULL "
        f"FROM {RESOLVED} WHERE {' OR '.join(problems + required)}"
    )
    failed = []
    n = len(plan.groups)
    position = {g.field: i for i, g in enumerate(plan.groups)}
    for row in cursor.fetchall():
        errors = {}
        for i, group in enumerate(plan.groups):
            problem, raw_id, raw_key = row[1 + 3 * i : 4 + 3 * i]
            if problem:
                key, message = _group_message(group, problem, raw_id, raw_key)
                errors[key] = message
        creating = row[-1]
        for group in WORK_ORDER_GROUPS:
            if not group.required:
                continue
            i = position.get(group.field)
            if i is None:
                missing = creating
            else:
                not_resolved, problem = row[1 + 3 * n + i], row[1 + 3 * i]
                missing = not_resolved and (creating or not problem)
            if missing:
                errors.setdefault(
                    group.input_keys[0], f"Required: give {' or '.join(group.input_keys)}."
                )
        failed.append((row[0], errors))
    failures.fail_staged(cursor, failed)
