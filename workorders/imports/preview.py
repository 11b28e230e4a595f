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

from apijobs import services as api_jobs
from jobsite.models import SalesOrganization, User
from workorders import services
from workorders.imports.readers import open_import_file, unknown_columns
from workorders.imports.runner import operator, upsert_projects
from workorders.imports.unknown_references import (
    ReferenceValues,
    UnknownReference,
    problems_by_position,
)
from workorders.records import work_order_fields_cleaner

PREVIEW_ROWS = 20
# Rows whose references are checked: a file past this is checked in its first rows only (said).
SCAN_ROWS = 200_000
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
    references = ReferenceValues(kind, file.columns)
    first = []
    read = 0
    for row in file.rows:
        read += 1
        if len(first) < limit:
            first.append(row)
        references.add(row.line, row.record)
        if read >= SCAN_ROWS:
            break
    unknown = references.unknown(user=by)
    by_line = problems_by_position(unknown)
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
