"""Reading an import file (CSV, JSON, XLSX with the seed-004 field names): its format, encoding
and columns are checked before anything is written; its rows are read as they are needed."""

import codecs
import csv
import io
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from openpyxl import load_workbook

from jobsite.text import find_unstorable
from workorders.records import WORK_ORDER_SCALARS, WORK_ORDER_SYSTEM_FIELDS
from workorders.reference_kinds import KINDS as REFERENCE_KINDS
from workorders.reference_kinds import WORK_ORDER_GROUPS

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
