"""The columns an import file may carry, explained: the help table of the import page and the
downloadable templates (CSV, and XLSX with the help on a second sheet). Built from the same
specs the import validates with (`WORK_ORDER_SCALARS`, the reference groups), so the help never
names a column the import would ignore, nor forgets one it reads."""

import csv
import io
from dataclasses import dataclass

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from workorders.imports.readers import PROJECT_REQUIRED, WORK_ORDER_COLUMNS, WORK_ORDER_REQUIRED
from workorders.records import WORK_ORDER_SCALARS
from workorders.reference_kinds import KINDS, WORK_ORDER_GROUPS


@dataclass(frozen=True)
class Column:
    name: str
    required: str  # "" | "required" | "one of …"
    kind: str  # what a cell holds
    meaning: str
    example: str = ""


# What a planner would type, column by column, in the order a sheet reads best: the record's
# key and what a new work order needs first, then planning, customer, site, the rest.
WORK_ORDER_ORDER = [
    "reference_back_office",
    "name",
    "project_reference_back_office",
    "job_type_code",
    "job_status_code",
    "job_priority_code",
    "skill_code",
    "estimated_time",
    "earliest_date_plannable",
    "due_date",
    "suggested_user_code",
    "suggested_date_start",
    "customer_reference",
    "date_reported_by_company",
    "description",
    "prejob_information",
    "internal_memo",
    "estimated_quantity_remark",
    "db_address_name",
    "db_address_street",
    "db_address_street_number",
    "db_address_street2",
    "db_address_zip",
    "db_address_city",
    "db_address_db_country_code",
    "db_address_phone",
    "db_address_email",
    "db_address_latitude_decimal",
    "db_address_longitude_decimal",
    "_parent_jobs_reference_back_office",
    "working_sequence",
]
MEANINGS = {
    "reference_back_office": (
        "Your ERP's key of the work order: a line with a known one updates "
        "that work order, an unknown one creates it",
        "ERP-4711",
    ),
    "id": ("The work order's id (UUID): updates that work order (or creates it with this id)", ""),
    "id2": ("The work order's number, for a new one (given by the system when empty)", ""),
    "name": ("What is to be done", "Yearly maintenance"),
    "project_reference_back_office": ("The project (installation) it is for", "PRJ-000001"),
    "job_type_code": ("The job type", "Unknown"),
    "job_status_code": ("The status: ToBePlanned, Suggested, Activated, …", "ToBePlanned"),
    "job_priority_code": ("The priority", "Normal"),
    "skill_code": ("The skill a technician needs", "ELEC"),
    "estimated_time": ("Minutes of work", "90"),
    "earliest_date_plannable": ("Not to be planned before", "2026-03-02"),
    "due_date": ("To be done by", "2026-03-31"),
    "suggested_user_code": (
        "The technician (with Suggested and a start: planned by the rule)",
        "TBE01",
    ),
    "suggested_date_start": (
        "When the technician starts (with the zone's offset)",
        "2026-03-02T08:00:00+01:00",
    ),
    "customer_reference": ("The customer's own reference (purchase order…)", "PO-12345"),
    "_parent_jobs_reference_back_office": ("The multi job it belongs to (its reference)", ""),
    "db_address_db_country_code": ("The site's country, ISO code", "BE"),
    "db_address_db_country_id": ("The site's country", ""),
    "db_address_id": ("The site, from the address book", ""),
    "db_address_latitude_decimal": ("The site's latitude", "51.0543"),
    "db_address_longitude_decimal": ("The site's longitude", "3.7174"),
}
SITE_WORDS = {
    "db_address_name": "The site's name",
    "db_address_street": "The site's street",
    "db_address_street_number": "The site's house number",
    "db_address_street2": "The site's second address line",
    "db_address_zip": "The site's postcode",
    "db_address_city": "The site's city",
    "db_address_phone": "The site's phone",
    "db_address_email": "The site's email",
}


def _scalar_kind(spec) -> str:
    if spec.kind in ("str", "text"):
        return f"text, at most {spec.max_length:,} characters" if spec.max_length else "text"
    if spec.kind == "datetime":
        return "date, or date and time (ISO 8601)"
    if spec.kind == "int":
        return "whole number" + (" ≥ 0" if spec.min_value == 0 else "")
    if spec.kind == "bool":
        return "yes or no (true / false)"
    if spec.kind == "decimal":
        return f"decimal number from {spec.min_value} to {spec.max_value}"
    return spec.kind


def _required_of(name: str, required_groups) -> str:
    for group in required_groups:
        if name in group:
            return "required" if len(group) == 1 else "required: " + " or ".join(group)
    return ""


def work_order_columns() -> list[Column]:
    """Every column a work order import reads, in WORK_ORDER_ORDER first, then the ids."""
    refs, fields = {}, {}
    for g in WORK_ORDER_GROUPS:
        kind = KINDS[g.kind]
        if g.code_key:
            refs[g.code_key] = f"{kind.label}, by its {kind.key.replace('_', ' ')}"
        if g.id_key:
            refs[g.id_key] = f"{kind.label}, by its id (UUID) instead of its code"
        for key in (g.code_key, g.id_key):
            fields[key] = g.field.strip("_").replace("_", " ")
    names = [*WORK_ORDER_ORDER, *sorted(WORK_ORDER_COLUMNS - set(WORK_ORDER_ORDER))]
    columns = []
    for name in names:
        if name in WORK_ORDER_SCALARS:
            kind = _scalar_kind(WORK_ORDER_SCALARS[name])
        elif name in refs:
            kind = refs[name]
        else:
            kind = "UUID" if name == "id" else "whole number"
        meaning, example = MEANINGS.get(name, (SITE_WORDS.get(name, ""), ""))
        if not meaning and name in refs:
            meaning = f"The {fields[name]}"
        if not meaning:
            meaning = name.replace("_", " ").capitalize()
        columns.append(
            Column(name, _required_of(name, WORK_ORDER_REQUIRED), kind, meaning, example)
        )
    return columns


def project_columns() -> list[Column]:
    project = KINDS["project"]
    columns = [
        Column(
            "reference_back_office",
            _required_of("reference_back_office", PROJECT_REQUIRED),
            "text, at most 50 characters",
            "Your ERP's key of the project",
            "PRJ-000001",
        ),
        Column("id", _required_of("id", PROJECT_REQUIRED), "UUID", "The project's id", ""),
    ]
    for name, spec in project.scalars.items():
        if name in ("reference_back_office", "id"):
            continue
        columns.append(
            Column(
                name,
                _required_of(name, PROJECT_REQUIRED),
                _scalar_kind(spec),
                name.replace("_", " ").capitalize(),
            )
        )
    for g in project.groups:
        kind = KINDS[g.kind]
        for key, how in (
            (g.code_key, f"by its {kind.key.replace('_', ' ')}" if kind.key else ""),
            (g.id_key, "by its id (UUID)"),
        ):
            if key and key not in {c.name for c in columns}:
                columns.append(
                    Column(
                        key,
                        _required_of(key, PROJECT_REQUIRED),
                        f"{kind.label}, {how}".rstrip(", "),
                        f"The {g.field.strip('_').replace('_', ' ')}",
                    )
                )
    return columns


def columns_for(kind: str) -> list[Column]:
    return work_order_columns() if kind == "workorders" else project_columns()


def template_csv(kind: str) -> bytes:
    """The header line of every column (UTF-8 with a BOM, so Excel opens it as UTF-8)."""
    out = io.StringIO()
    csv.writer(out).writerow([c.name for c in columns_for(kind)])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def template_xlsx(kind: str) -> bytes:
    """A sheet with the header row of every column (frozen, bold), and a second sheet
    "Columns" with the help table. The import reads the first sheet only."""
    columns = columns_for(kind)
    book = Workbook()
    sheet = book.active
    sheet.title = "Work orders" if kind == "workorders" else "Projects"
    sheet.append([c.name for c in columns])
    for i, column in enumerate(columns, start=1):
        sheet.cell(row=1, column=i).font = Font(bold=True)
        sheet.column_dimensions[get_column_letter(i)].width = max(14, len(column.name) + 2)
    sheet.freeze_panes = "A2"
    help_sheet = book.create_sheet("Columns")
    help_sheet.append(["column", "required", "holds", "meaning", "example"])
    for cell in help_sheet[1]:
        cell.font = Font(bold=True)
    for c in columns:
        help_sheet.append([c.name, c.required, c.kind, c.meaning, c.example])
    for letter, width in zip("ABCDE", (34, 30, 40, 70, 28), strict=True):
        help_sheet.column_dimensions[letter].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
