"""File imports of work orders and projects (CSV, JSON, XLSX with the seed-004 field names).

Bad rows are reported with their line and field and skipped; good rows land; each import is an
ApiJob with its counts and per-row errors. Work orders go through `upsert_work_orders` in
batches, or (CSV and XLSX files, on PostgreSQL and SQLite) through the set-based path of
`workorders.import_sql` (rows staged in a temporary table, references resolved by joins, one
INSERT … ON CONFLICT) which validates with the same `clean_work_order_fields` and applies the
same Suggested rule."""

import codecs
import csv
import io
import json
import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import partial
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from apijobs import services as api_jobs
from apijobs.models import ApiJob, ApiJobStatus
from apijobs.recovery import enqueue_on_commit
from jobsite.models import SalesOrganization, User
from jobsite.text import find_unstorable
from workorders import services
from workorders.records import WORK_ORDER_SCALARS, WORK_ORDER_SYSTEM_FIELDS
from workorders.references import WORK_ORDER_GROUPS

KINDS = {"workorders": "workorder_import", "projects": "project_import"}
BATCH_SIZE = 1000

WORK_ORDER_COLUMNS = (
    {"id", "id2"}
    | set(WORK_ORDER_SCALARS)
    | {k for g in WORK_ORDER_GROUPS for k in (g.id_key, g.code_key) if k}
)
# One column of each group must be in the file: a re-import has to find its rows again (so
# an identifier), and a new work order needs its name, project, type and status.
WORK_ORDER_REQUIRED = (
    ("id", "reference_back_office"),
    ("name",),
    ("project_id", "project_reference_back_office"),
    ("job_type_id", "job_type_code"),
    ("job_status_id", "job_status_code"),
)
PROJECT_REQUIRED = (("reference_back_office", "id"), ("name",), ("company_code", "company_id"))


class ImportFileError(Exception):
    """The file cannot be imported at all (format, encoding, columns): nothing was written."""


@dataclass
class Row:
    line: int  # line in a CSV file, row in a sheet, position (from 1) in a JSON array
    record: dict


@dataclass
class ImportFile:
    path: Path
    format: str  # csv | json | xlsx
    columns: list[str]
    rows: Iterator[Row]
    estimated_rows: int
    line_label: str = "line"


# -- reading -------------------------------------------------------------------------------------


def open_import_file(path, *, kind: str = "workorders") -> ImportFile:
    """Opens and checks a file before anything is written: format, UTF-8, required columns."""
    path = Path(path)
    if not path.is_file():
        raise ImportFileError(f"{path}: no such file.")
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt"):
        file = _open_csv(path)
    elif suffix == ".json":
        file = _open_json(path)
    elif suffix in (".xlsx", ".xlsm"):
        file = _open_xlsx(path)
    else:
        raise ImportFileError(
            f"{path.name}: unknown format {suffix or '(none)'}; use CSV, JSON or XLSX."
        )
    required = WORK_ORDER_REQUIRED if kind == "workorders" else PROJECT_REQUIRED
    present = set(file.columns)
    missing = [" or ".join(group) for group in required if not present & set(group)]
    if missing:
        raise ImportFileError(f"{path.name}: missing required column(s): {', '.join(missing)}.")
    return file


def unknown_columns(*, columns: Sequence[str], kind: str) -> list[str]:
    """Columns an import does not know (a typo, another system's extra): ignored, and said so."""
    if kind == "workorders":
        known = (
            WORK_ORDER_COLUMNS
            | WORK_ORDER_SYSTEM_FIELDS
            | {g.embedded_key for g in WORK_ORDER_GROUPS if g.embedded_key}
        )
    else:
        from workorders.references import KINDS as REFERENCE_KINDS

        project = REFERENCE_KINDS["project"]
        known = {"id", project.key, *project.scalars}
        known |= {k for g in project.groups for k in g.input_keys}
    return [c for c in columns if c and c not in known]


def _decode_csv(path: Path, raw: bytes) -> str:
    """UTF-8 (with or without a BOM), or UTF-16 with its BOM (Excel's "Unicode text"); any
    other encoding is refused with the byte and line where it stops being UTF-8, never
    guessed (a guessed cp1252 would store wrong letters without a word)."""
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise ImportFileError(
                f"{path.name}: starts as UTF-16 but byte {exc.start + 1} is not; "
                "save it as UTF-8 CSV."
            ) from exc
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ImportFileError(
            f"{path.name}: not UTF-8 (byte {exc.start + 1}, line {line}); save it as UTF-8 CSV."
        ) from exc


def _open_csv(path: Path) -> ImportFile:
    raw = path.read_bytes()
    text = _decode_csv(path, raw)
    del raw
    # No cell may outgrow the csv module's limit (128 KiB) and stop the import half way: a
    # long cell is a row error naming its field (its column's maximum length).
    csv.field_size_limit(max(csv.field_size_limit(), len(text) + 1))
    try:
        dialect = csv.Sniffer().sniff(text[:8192], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    header = next(reader, None)
    if not header:
        raise ImportFileError(f"{path.name}: empty file (no header line).")
    columns = [c.strip() for c in header]

    def rows():
        last = reader.line_num
        for values in reader:
            start, last = last + 1, reader.line_num
            if not any(values):
                continue
            # An empty cell is None (csv gives strings: only "" is false).
            yield Row(start, dict(zip(columns, [v or None for v in values], strict=False)))

    return ImportFile(path, "csv", columns, rows(), max(text.count("\n") - 1, 1))


def _open_json(path: Path) -> ImportFile:
    try:
        data = json.loads(path.read_bytes().decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise ImportFileError(f"{path.name}: not UTF-8 (byte {exc.start + 1}).") from exc
    except ValueError as exc:
        raise ImportFileError(f"{path.name}: not valid JSON ({exc}).") from exc
    if not isinstance(data, list):
        raise ImportFileError(f"{path.name}: a JSON import is an array of objects.")
    # A "\ud800" escape decodes to half a character: the file was written by a broken encoder.
    broken = find_unstorable(data, surrogates_only=True)
    if broken is not None:
        where, problem = broken
        index, _, field = where.partition("].")
        raise ImportFileError(
            f"{path.name}: record {int(index.lstrip('[')) + 1}, {field or 'value'}: {problem}"
        )
    columns = sorted({k for r in data if isinstance(r, dict) for k in r})

    def rows():
        for n, record in enumerate(data, start=1):
            yield Row(n, record if isinstance(record, dict) else {"": record})

    return ImportFile(path, "json", columns, rows(), len(data), line_label="record")


def _cell(value):
    """Sheet cells as the text a CSV would carry, so every format validates the same way."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def _open_xlsx(path: Path) -> ImportFile:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:
        raise ImportFileError(f"{path.name}: not a readable XLSX file ({exc}).") from exc
    sheet = book.worksheets[0]
    rows_iter = sheet.iter_rows(values_only=True)
    header = next(rows_iter, None)
    if not header:
        raise ImportFileError(f"{path.name}: the first sheet is empty (no header row).")
    columns = [str(c).strip() if c is not None else "" for c in header]

    def rows():
        for n, values in enumerate(rows_iter, start=2):
            record = {c: _cell(v) for c, v in zip(columns, values, strict=False) if c}
            if any(v is not None for v in record.values()):
                yield Row(n, record)
        book.close()

    return ImportFile(path, "xlsx", columns, rows(), max((sheet.max_row or 2) - 1, 1))


# -- progress ------------------------------------------------------------------------------------


class Progress:
    """A text progress bar on a stream (stderr): redrawn in place on a terminal, a line per
    tenth otherwise."""

    def __init__(self, total: int, *, stream=None, label: str = "rows"):
        self.total = max(total, 1)
        self.stream = stream
        self.label = label
        self.done = 0
        self.started = time.monotonic()
        self.last_draw = 0.0
        self.last_tenth = -1
        self.tty = bool(stream) and hasattr(stream, "isatty") and stream.isatty()

    def advance(self, n: int) -> None:
        self.done += n
        if self.stream is None:
            return
        now = time.monotonic()
        tenth = min(10, self.done * 10 // self.total)
        if self.tty and now - self.last_draw >= 0.2:
            self.stream.write("\r" + self._bar())
            self.stream.flush()
            self.last_draw = now
        elif not self.tty and tenth != self.last_tenth:
            self.stream.write(self._bar() + "\n")
            self.last_tenth = tenth

    def _bar(self) -> str:
        share = min(self.done / self.total, 1.0)
        filled = int(share * 30)
        rate = self.done / max(time.monotonic() - self.started, 1e-6)
        return (
            f"[{'#' * filled}{'.' * (30 - filled)}] {share:4.0%} "
            f"{self.done}/{self.total} {self.label} {rate:,.0f}/s"
        )

    def close(self) -> None:
        if self.stream is not None:
            self.stream.write(("\r" if self.tty else "") + self._bar() + "\n")
            self.stream.flush()


# -- running -------------------------------------------------------------------------------------


def operator(*, sales_organization: SalesOrganization | None) -> User:
    """Who a command-line import runs as when no --user is given: the operator, who may write
    into the given sales organization (or every one). Never saved."""
    return User(
        username="manage.py",
        sales_organization=sales_organization,
        is_superuser=sales_organization is None,
    )


def create_import_job(
    *,
    path,
    kind: str,
    by: User | None,
    sales_organization: SalesOrganization | None,
    dry_run: bool,
    method: str = "auto",
) -> ApiJob:
    if kind not in KINDS:
        raise ImportFileError(f"Unknown import kind {kind!r}; use one of {', '.join(KINDS)}.")
    return api_jobs.create_api_job(
        type=KINDS[kind],
        by=by if by is not None and not by._state.adding else None,
        sales_organization=sales_organization,
        source_name=Path(path).name,
        options={
            "record_label": "Work order ID" if kind == "workorders" else "Project ID",
            "path": str(path),
            "kind": kind,
            "dry_run": dry_run,
            "method": method,
        },
    )


def run_import(
    *,
    path,
    kind: str = "workorders",
    by: User | None = None,
    sales_organization: SalesOrganization | None = None,
    dry_run: bool = False,
    method: str = "auto",
    progress_stream=None,
    api_job: ApiJob | None = None,
) -> ApiJob:
    """Import a file now and return its ApiJob. `method`: "auto" (set-based for the CSV/XLSX
    columns it knows, else batched), "batched" or "set" (PostgreSQL, SQLite >= 3.35).
    Raises ImportFileError (before writing anything) when the file cannot be imported."""
    file = open_import_file(path, kind=kind)
    if by is None:
        by = operator(sales_organization=sales_organization)
    elif (
        sales_organization is not None
        and not by.is_superuser
        and by.sales_organization_id != sales_organization.pk
    ):
        raise ImportFileError("You may only import into your own sales organization.")
    if sales_organization is not None and by.is_superuser:
        # An operator choosing a sales organization imports as a member of it.
        by = operator(sales_organization=sales_organization)
    if api_job is None:
        api_job = create_import_job(
            path=path,
            kind=kind,
            by=by,
            sales_organization=sales_organization,
            dry_run=dry_run,
            method=method,
        )
    ignored = unknown_columns(columns=file.columns, kind=kind)
    if ignored:
        api_job.options = {**api_job.options, "ignored_columns": ignored}
        api_job.save(update_fields=["options"])
    progress = Progress(file.estimated_rows, stream=progress_stream)
    try:
        if kind == "projects":
            _run_batched(api_job, file, progress, handler=_project_handler(by, dry_run))
        elif _use_set_based(method, file):
            from workorders import import_sql

            import_sql.run(api_job=api_job, file=file, by=by, dry_run=dry_run, progress=progress)
        else:
            _run_batched(api_job, file, progress, handler=_work_order_handler(by, dry_run))
    finally:
        progress.close()
    api_jobs.refresh(api_job)
    return api_job


def _use_set_based(method: str, file: ImportFile) -> bool:
    if method == "batched":
        return False
    from workorders import import_sql

    usable = (
        import_sql.database_supported()
        and file.format != "json"  # a JSON record may leave out any field: one at a time
        and import_sql.supports(file.columns)
    )
    if method == "set" and not usable:
        raise ImportFileError(
            "The set-based import needs PostgreSQL or SQLite >= 3.35 and a CSV or XLSX file "
            "(flat seed-004 columns)."
        )
    return usable


def _chunks(file: ImportFile, progress: Progress) -> Iterator[list[Row]]:
    chunk: list[Row] = []
    for row in file.rows:
        chunk.append(row)
        if len(chunk) == BATCH_SIZE:
            yield chunk
            progress.advance(len(chunk))
            chunk = []
    if chunk:
        yield chunk
        progress.advance(len(chunk))


def _run_batched(api_job: ApiJob, file: ImportFile, progress: Progress, *, handler) -> None:
    ApiJob.objects.filter(pk=api_job.pk).update(total_records=file.estimated_rows)
    api_jobs.run_records(api_job_id=api_job.pk, handler=handler, records=_chunks(file, progress))
    # The estimate counted lines; the true total is what was read.
    job = api_jobs.jobs().get(pk=api_job.pk)
    ApiJob.objects.filter(pk=api_job.pk).update(total_records=job.processed_records)


def _name(record: dict) -> str:
    for key in ("id", "reference_back_office"):
        value = record.get(key)
        if value not in (None, ""):
            return str(value)
    return ""


def _outcomes(rows: Sequence[Row], offset: int, results) -> list[api_jobs.RecordOutcome]:
    return [
        api_jobs.RecordOutcome(
            index=offset + r.index,
            outcome=r.outcome,
            errors=r.errors,
            record_id=_name(rows[r.index].record),
            line=rows[r.index].line,
        )
        for r in results
    ]


def _dry_run_aware(write: Callable, dry_run: bool):
    def handler(rows: Sequence[Row], offset: int):
        with transaction.atomic():
            results = write([row.record for row in rows])
            if dry_run:
                transaction.set_rollback(True)
        return _outcomes(rows, offset, results)

    return handler


def _work_order_handler(by: User, dry_run: bool):
    return _dry_run_aware(partial(_upsert_work_orders, by=by), dry_run)


def _upsert_work_orders(records, *, by):
    return services.upsert_work_orders(records=records, by=by)


def _project_handler(by: User, dry_run: bool):
    return _dry_run_aware(partial(upsert_projects, by=by), dry_run)


@dataclass
class ProjectResult:
    index: int
    outcome: str
    errors: dict


def upsert_projects(records: Sequence[dict], *, by: User) -> list[ProjectResult]:
    """Projects by id, else reference back office, through the same resolver that upserts a
    project embedded in a work order (codes of company, status, equipment resolved there). Each
    record succeeds or fails alone."""
    from workorders.references import KINDS as REFERENCE_KINDS
    from workorders.references import ReferenceResolver, UnresolvedReference

    kind = REFERENCE_KINDS["project"]
    booleans = [name for name, spec in kind.scalars.items() if spec.kind == "bool"]
    # An empty cell of a yes/no column says nothing (a CSV cannot write null).
    records = [{k: v for k, v in r.items() if not (k in booleans and v is None)} for r in records]
    resolver = ReferenceResolver(records=list(records), by=by, root_kind="project")
    if by._state.adding:
        # The command-line operator is no stored user: nobody to name as updated_by_user.
        # (Flat rows create nothing else that would need `by`.)
        resolver.by = None
    started = timezone.now()
    results = []
    for index, record in enumerate(records):
        resolver.created = []
        try:
            with transaction.atomic():
                project = resolver.upsert(
                    kind=kind, data=record, path="", context_org=by.sales_organization_id
                )
        except UnresolvedReference as exc:
            resolver.forget(resolver.created)
            errors = {k.lstrip("."): v for k, v in exc.errors.items()}
            results.append(ProjectResult(index, api_jobs.FAILED, errors))
            continue
        if any(obj is project for _, obj in resolver.created):
            outcome = api_jobs.CREATED
        elif project.modified_dateutc and project.modified_dateutc >= started:
            outcome = api_jobs.UPDATED
        else:
            outcome = api_jobs.UNCHANGED
        results.append(ProjectResult(index, outcome, {}))
    return results


# -- background ----------------------------------------------------------------------------------


def start_import(
    *,
    path,
    kind: str = "workorders",
    by: User,
    sales_organization: SalesOrganization | None = None,
    dry_run: bool = False,
) -> ApiJob:
    """Start the same import as the command, as a background task (the admin upload calls this).
    The file must stay at `path` until the job ends; it is checked now, so a bad file is an
    ImportFileError here rather than a failed job later."""
    open_import_file(path, kind=kind)
    with transaction.atomic():
        job = create_import_job(
            path=os.fspath(path),
            kind=kind,
            by=by,
            sales_organization=sales_organization,
            dry_run=dry_run,
        )
        enqueue_on_commit(task="workorders.tasks.run_import_task", api_job=job)
    return job


def run_started_import(*, api_job_id) -> ApiJob | None:
    """The task's body: run the import an ApiJob describes; a file error fails the job."""
    job = (
        api_jobs.jobs()
        .select_related("requested_by", "sales_organization")
        .filter(pk=api_job_id)
        .first()
    )
    if job is None or job.status != ApiJobStatus.PENDING:
        return job
    options = job.options
    try:
        return run_import(
            path=options["path"],
            kind=options.get("kind", "workorders"),
            by=job.requested_by,
            sales_organization=job.sales_organization,
            dry_run=options.get("dry_run", False),
            method=options.get("method", "auto"),
            api_job=job,
        )
    except ImportFileError as exc:
        api_jobs.fail_api_job(api_job_id=job.pk, reason=str(exc))
    except Exception as exc:  # never leave the job pending/processing
        api_jobs.fail_api_job(
            api_job_id=job.pk, reason=f"The import stopped: {type(exc).__name__}: {exc}"
        )
    return api_jobs.jobs().get(pk=job.pk)


def print_errors(api_job: ApiJob, *, stream=sys.stderr, limit: int = 50) -> None:
    label = "record" if api_job.source_name.lower().endswith(".json") else "line"
    shown = 0
    for error in api_job.errors.order_by("line", "index", "id")[:limit]:
        where = f"{label} {error.line}" if error.line is not None else f"#{error.index}"
        field = f"{error.field}: " if error.field else ""
        stream.write(f"{where}: {field}{error.message}\n")
        shown += 1
    if api_job.error_records > shown:
        stream.write(f"… see the API job {api_job.pk} for every error.\n")


__all__ = [
    "WORK_ORDER_COLUMNS",
    "WORK_ORDER_SYSTEM_FIELDS",
    "ImportFileError",
    "open_import_file",
    "run_import",
    "run_started_import",
    "start_import",
]
