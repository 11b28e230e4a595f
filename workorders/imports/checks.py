"""The rules of `services.upsert_work_orders` as set queries over the resolved rows: tenancy of
references, a work order that is its own parent, a mobile installation's address, the project's
address, the technician rule, references and numbers already used (by a stored work order or an
earlier row of the file). A row breaking one fails with every error it has."""

from jobsite.models import User
from jobsite.tenancy import may_refer_sql, organization_sql, sees_sql
from workorders import plannings
from workorders.imports.sql_dialect import PostgreSQLDialect, quote
from workorders.imports.staging import RESOLVED, WORK_ORDER, ColumnPlan, RowFailures
from workorders.models import Project
from workorders.records import MOBILE_ADDRESS_REQUIRED
from workorders.reference_kinds import KINDS, other_organization_message
from workorders.services import ALREADY_USED


def visible_rows(dialect: PostgreSQLDialect, kind, alias: str) -> str:
    """SQL: may the caller see row `alias` of this kind (tenancy.sees_sql, as the resolver's
    loaders filter)."""
    if kind.tenant is None:
        return "1=1"
    return sees_sql(
        organization_sql(kind.model, kind.tenant, alias),
        visible=dialect.visible,
        shared_when_empty=kind.shared_when_null,
    )


def check_rules(
    cursor, dialect: PostgreSQLDialect, plan: ColumnPlan, failures: RowFailures
) -> None:
    """Fail the rows of RESOLVED that break a rule; what is left may be written."""
    _check_rules(cursor, dialect, plan, failures)
    _check_repeats(cursor, plan, failures)


def _check_rules(
    cursor, dialect: PostgreSQLDialect, plan: ColumnPlan, failures: RowFailures
) -> None:
    """The checks of services._write_one that need the final row, as one query."""
    after = plan.value_after_import
    project = after("project_id")
    parent = after("parent_id")
    db_address = after("db_address_id")
    reference = after("reference_back_office")
    checks = [
        f"({parent} IS NOT NULL AND {parent} = incoming.target_id) AS own_parent",
    ]
    for name in MOBILE_ADDRESS_REQUIRED:
        checks.append(
            f"(project.is_mobile_installation AND coalesce({after(name, "''")}, '') = '') AS {name}"
        )
    moved = ["incoming.existing_id IS NULL"]
    if "db_address" in plan.group_columns:
        moved.append(dialect.distinct("incoming.resolved_db_address", "existing.db_address_id"))
    if "project" in plan.group_columns:
        moved.append(dialect.distinct("incoming.resolved_project", "existing.project_id"))
    checks.append(
        f"({db_address} IS NOT NULL AND ({' OR '.join(moved)}) "
        f"AND {dialect.distinct(db_address, 'project.db_address_id')}) AS bad_address"
    )
    # The planning service's technician rule, where the suggestion or the project moves.
    suggested = after("suggested_user_id")
    replanned = ["incoming.existing_id IS NULL"]
    if "suggested_user" in plan.group_columns:
        replanned.append(
            dialect.distinct("incoming.resolved_suggested_user", "existing.suggested_user_id")
        )
    if "project" in plan.group_columns:
        replanned.append(dialect.distinct("incoming.resolved_project", "existing.project_id"))
    technician = plannings.technician_problem_sql(
        user="suggested_user", sales_organization_id="project.sales_organization_id"
    )
    users = f"LEFT JOIN {User._meta.db_table} suggested_user ON suggested_user.id = {suggested}"
    # Holders of the reference and of an explicit number (unique: at most one each), joined.
    work_orders = WORK_ORDER.db_table
    checks.append(
        "(reference_holder.id IS NOT NULL AND reference_holder.id <> incoming.target_id) "
        "AS ref_used"
    )
    # References are unique per sales organization: the holder in the project's.
    holders = dialect.probe(
        work_orders,
        "reference_holder",
        f"reference_holder.reference_back_office = {reference} "
        f"AND reference_holder.sales_organization_id = project.sales_organization_id",
    )
    if plan.has_id2:
        checks.append("(incoming.existing_id IS NULL AND number_holder.id IS NOT NULL) AS id2_used")
        holders += " " + dialect.probe(
            work_orders, "number_holder", "number_holder.id2 = incoming.id2"
        )
    else:
        checks.append("FALSE AS id2_used")
    checks.append(f"CASE WHEN {' OR '.join(replanned)} THEN {technician} END AS technician")
    checks.append("suggested_user.username AS technician_name")
    # Every other reference stays within the project's organization (tenancy.may_refer).
    foreign = []
    for group in plan.groups:
        kind = KINDS[group.kind]
        if group.field in ("project", "suggested_user") or kind.tenant is None:
            continue
        alias = f"referred_{group.field}"
        holders += (
            f" LEFT JOIN {kind.model._meta.db_table} {alias} "
            f"ON {alias}.{quote(kind.model._meta.pk.column)} = incoming.resolved_{group.field}"
        )
        allowed = may_refer_sql(
            "project.sales_organization_id",
            organization_sql(kind.model, kind.tenant, alias),
            kind.shared_when_null,
        )
        checks.append(
            f"(incoming.resolved_{group.field} IS NOT NULL AND NOT {allowed}) "
            f"AS foreign_{group.field}"
        )
        foreign.append(group)
    cursor.execute(
        f"""SELECT * FROM (
              SELECT incoming.ord, {", ".join(checks)}
              FROM {RESOLVED} incoming
              {dialect.probe(work_orders, "existing", "existing.id = incoming.existing_id")}
              JOIN {Project._meta.db_table} project ON project.id = {project}
              {holders} {users}) checked
            WHERE own_parent OR {" OR ".join(MOBILE_ADDRESS_REQUIRED)} OR bad_address
              OR ref_used OR id2_used OR technician IS NOT NULL
              {"".join(f" OR foreign_{group.field}" for group in foreign)}"""
    )
    failed = []
    for ord_, own_parent, *rest in cursor.fetchall():
        mobile = rest[: len(MOBILE_ADDRESS_REQUIRED)]
        bad_address, ref_used, id2_used, technician, name, *foreign_flags = rest[
            len(MOBILE_ADDRESS_REQUIRED) :
        ]
        errors = {}
        if own_parent:
            errors["_parent_id"] = "A work order cannot be its own parent."
        for name, missing in zip(MOBILE_ADDRESS_REQUIRED, mobile, strict=True):
            if missing:
                errors[name] = "Required: the project is a mobile installation."
        if bad_address:
            errors["db_address_id"] = "Must be the address of the project."
        if ref_used:
            errors["reference_back_office"] = ALREADY_USED
        if id2_used:
            errors["id2"] = ALREADY_USED
        if technician is not None:
            id_carried = plan.group_columns.get("suggested_user", (None,))[0] is not None
            field = "suggested_user_id" if id_carried else "suggested_user_code"
            code = plannings.code_of_sql(technician)
            errors[field] = plannings.technician_message(code=code, name=name)
        for group, is_foreign in zip(foreign, foreign_flags, strict=True):
            if is_foreign:
                id_carried = plan.group_columns[group.field][0] is not None
                field = group.id_key if id_carried else group.code_key
                errors[field] = other_organization_message(KINDS[group.kind])
        failed.append((ord_, errors))
    failures.fail_staged(cursor, failed)


def _check_repeats(cursor, plan: ColumnPlan, failures: RowFailures) -> None:
    """The same work order, reference (in one sales organization) or number twice in one file:
    the first row wins (the batched path would write such a row twice; one statement
    cannot)."""
    # (what must be given, what is repeated, joins it needs, field, message)
    repeats = []
    if plan.has_ref:
        column = quote(WORK_ORDER.get_field("reference_back_office").column)
        joins = (
            f"LEFT JOIN {WORK_ORDER.db_table} existing ON existing.id = incoming.existing_id "
            f"JOIN {Project._meta.db_table} project "
            f"ON project.id = {plan.value_after_import('project_id')}"
        )
        given = f"incoming.{column}"
        same = f"{given}, project.sales_organization_id"
        repeats.append((given, same, joins, "reference_back_office", ALREADY_USED))
    if plan.has_id2:
        number = "CASE WHEN incoming.existing_id IS NULL THEN incoming.id2 END"
        repeats.append((number, number, "", "id2", ALREADY_USED))
    # Without an id column, rows naming the same work order share its reference: found above.
    if plan.has_id:
        message = "The same work order is already on line {first} of this file."
        repeats.append(("incoming.target_id", "incoming.target_id", "", "id", message))
    for given, same, joins, field, message in repeats:
        cursor.execute(
            f"""SELECT ord, first_line FROM (
                  SELECT incoming.ord, incoming.line,
                         first_value(incoming.line) OVER same_value AS first_line,
                         row_number() OVER same_value AS nth
                  FROM {RESOLVED} incoming {joins} WHERE {given} IS NOT NULL
                  WINDOW same_value AS (PARTITION BY {same} ORDER BY incoming.ord)) repeated
                WHERE nth > 1"""
        )
        failures.fail_staged(
            cursor,
            [(o, {field: message.format(first=first)}) for o, first in cursor.fetchall()],
        )
