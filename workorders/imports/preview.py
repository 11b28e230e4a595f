"""A look at an import file before anything runs: its first rows with what the import would do
to each (create, update, leave unchanged) and every problem found in them, and, over the whole
file, the references (project, technician, status, type, skill…) that name nothing: all in one
pass, so a planner fixes the file once instead of learning of an unknown project after fixing a
date.

The first rows go through the import's own write (`upsert_work_orders`, the project resolver)
in a transaction that is rolled back; the references of every row are looked up once per
distinct value, within what the importing user sees."""

from collections import defaultdict
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import QuerySet
from django.db.models.functions import Lower

from apijobs import services as api_jobs
from jobsite.models import SalesOrganization, User
from jobsite.tenancy import restrict_to_tenant
from workorders import services
from workorders.imports.readers import open_import_file, unknown_columns
from workorders.imports.runner import operator, upsert_projects
from workorders.records import clean_uuid, work_order_fields_cleaner
from workorders.reference_kinds import KINDS, WORK_ORDER_GROUPS

PREVIEW_ROWS = 20
# Rows whose references are checked: a file past this is checked in its first rows only (said).
SCAN_ROWS = 200_000
LINES_NAMED = 5
WOULD = {
    api_jobs.CREATED: "would create",
    api_jobs.UPDATED: "would update",
    api_jobs.UNCHANGED: "unchanged",
    api_jobs.FAILED: "refused",
}


@dataclass
class PreviewRow:
    line: int
    label: str  # the row's reference and name, as a planner recognises it
    outcome: str  # would create | would update | unchanged | refused
    problems: dict[str, str] = field(default_factory=dict)


@dataclass
class UnknownReference:
    column: str
    value: str
    message: str
    lines: list[int]  # the first LINES_NAMED
    count: int
    all_lines: list[int] = field(default_factory=list, repr=False)


@dataclass
class Preview:
    kind: str
    columns: list[str]
    ignored_columns: list[str]
    rows: list[PreviewRow]
    rows_read: int
    scanned_all: bool
    unknown: list[UnknownReference]
    line_label: str = "line"

    @property
    def would(self) -> dict[str, int]:
        counts = defaultdict(int)
        for row in self.rows:
            counts["refused" if row.problems else row.outcome] += 1
        return dict(counts)


def _visible(kind, *, user: User) -> QuerySet:
    manager = kind.model._default_manager
    if kind.tenant is None:
        return manager.all()
    field_name = "pk" if kind.tenant == "pk" else kind.tenant
    return restrict_to_tenant(
        manager.all(), user=user, field=field_name, shared_when_empty=kind.shared_when_null
    )


def _reference_columns(kind: str, columns) -> list[tuple[str, str, bool]]:
    """(column, reference kind's name, by id) of the references the file's columns carry."""
    groups = WORK_ORDER_GROUPS if kind == "workorders" else KINDS["project"].groups
    present = set(columns)
    found = []
    for g in groups:
        ref_kind = KINDS[g.kind]
        if g.code_key in present and ref_kind.key:
            found.append((g.code_key, ref_kind.name, False))
        if g.id_key in present:
            found.append((g.id_key, ref_kind.name, True))
    return found


def _unknown_references(refs: dict, *, user: User, own_references: set) -> list:
    """refs: {(column, kind, by_id): {value: [lines]}} -> what names nothing."""
    unknown = []
    for (column, kind_name, by_id), values in refs.items():
        kind = KINDS[kind_name]
        if by_id:
            ids = {}
            for value in values:
                try:
                    ids[value] = clean_uuid(value)
                except ValueError:
                    continue  # the row's own validation says it is no id
            known = {
                str(pk)
                for pk in _visible(kind, user=user)
                .filter(pk__in=list(ids.values()))
                .values_list("pk", flat=True)
            }
            missing = [v for v, pk in ids.items() if str(pk) not in known]

            def message(v, kind=kind):
                return f"Unknown {kind.label} id {v}."
        else:
            queryset = _visible(kind, user=user)
            if kind.key_ci:
                wanted = {v.lower() for v in values}
                stored = set(
                    queryset.annotate(k=Lower(kind.key))
                    .filter(k__in=wanted)
                    .values_list("k", flat=True)
                )
                missing = [v for v in values if v.lower() not in stored]
            else:
                stored = set(
                    queryset.filter(**{f"{kind.key}__in": list(values)}).values_list(
                        kind.key, flat=True
                    )
                )
                missing = [v for v in values if v not in stored]
            if kind.name == "work_order":
                # A parent the same file creates is no unknown reference.
                missing = [v for v in missing if v not in own_references]

            def message(v, kind=kind):
                return f"Unknown {kind.label} {kind.key} {v!r}."

        for value in missing:
            lines = values[value]
            unknown.append(
                UnknownReference(
                    column, value, message(value), lines[:LINES_NAMED], len(lines), lines
                )
            )
    return sorted(unknown, key=lambda u: (u.lines[0], u.column))


def _outcomes(kind: str, records: list[dict], by: User) -> list:
    """What the import's own write would do with `records`, rolled back."""
    with transaction.atomic():
        if kind == "workorders":
            results = services.upsert_work_orders(records=records, by=by)
        else:
            results = upsert_projects(records, by=by)
        transaction.set_rollback(True)
    return results


def _label(record: dict) -> str:
    return (
        " · ".join(str(record[k]) for k in ("reference_back_office", "name") if record.get(k))
        or "(no reference, no name)"
    )


def preview_import(
    *,
    path,
    kind: str = "workorders",
    by: User,
    sales_organization: SalesOrganization | None = None,
    limit: int = PREVIEW_ROWS,
) -> Preview:
    """Raises ImportFileError when the file cannot be imported at all (as the import would)."""
    file = open_import_file(path, kind=kind)
    if sales_organization is not None and by.is_superuser:
        by = operator(sales_organization=sales_organization)  # as run_import imports
    reference_columns = _reference_columns(kind, file.columns)
    refs: dict = {key: defaultdict(list) for key in reference_columns}
    own_references = set()
    first = []
    read = 0
    for row in file.rows:
        read += 1
        if len(first) < limit:
            first.append(row)
        for key in reference_columns:
            value = row.record.get(key[0])
            if value not in (None, ""):
                refs[key][str(value).strip()].append(row.line)
        if row.record.get("reference_back_office"):
            own_references.add(str(row.record["reference_back_office"]))
        if read >= SCAN_ROWS:
            break
    unknown = _unknown_references(refs, user=by, own_references=own_references)
    by_line = defaultdict(dict)
    for u in unknown:
        for line in u.all_lines:
            by_line[line].setdefault(u.column, u.message)
    clean = work_order_fields_cleaner(file.columns, partial=False, creating=False)
    results = _outcomes(kind, [row.record for row in first], by) if first else []
    rows = []
    for row, result in zip(first, results, strict=True):
        problems = dict(result.errors or {})
        if kind == "workorders":
            for name, message in clean(row.record)[1].items():
                problems.setdefault(name, message)
        for name, message in by_line.get(row.line, {}).items():
            problems.setdefault(name, message)
        outcome = WOULD.get(result.outcome, result.outcome)
        rows.append(
            PreviewRow(row.line, _label(row.record), "refused" if problems else outcome, problems)
        )
    return Preview(
        kind=kind,
        columns=list(file.columns),
        ignored_columns=unknown_columns(columns=file.columns, kind=kind),
        rows=rows,
        rows_read=read,
        scanned_all=read < SCAN_ROWS,
        unknown=unknown,
        line_label=file.line_label,
    )
