"""Seed-004 records as parsed JSON -> clean Python values, without touching the database.

The API, the bulk endpoint and the set-based importer all validate scalar fields here, so a name
that is too long or a date that does not parse is refused the same way on every entry path."""

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from functools import partial as partial_function
from typing import Any

from jobsite.dates import parse_datetime
from jobsite.text import unstorable

_INTEGER = re.compile(r"\s*[+-]?\d{1,18}\s*")


def format_datetime(value: datetime | None) -> str | None:
    """As the seeds answer: ISO 8601 in UTC with an explicit `+00:00` offset."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat()


@dataclass(frozen=True)
class Scalar:
    """One scalar input field: its model field, type and limits."""

    field: str
    kind: str  # "str", "text", "int", "bool", "datetime", "decimal", "json"
    max_length: int | None = None
    nullable: bool = False  # empty -> None instead of ""
    min_value: int | float | None = None
    max_value: int | float | None = None
    decimal_places: int | None = None
    max_digits: int | None = None


def clean_scalar(spec: Scalar, value: Any) -> Any:
    """One value -> its Python value, or ValueError with a message for the caller's field path."""
    kind = spec.kind
    if value is None:
        if kind in ("str", "text"):
            return None if spec.nullable else ""
        if kind == "bool":
            raise ValueError("Must be true or false, not null.")
        if kind == "json":
            return []
        return None
    if kind in ("str", "text"):
        if not isinstance(value, str):
            raise ValueError("Must be a string.")
        if "\x00" in value:
            raise ValueError("Must not contain NUL characters.")
        if unstorable(value, surrogates_only=True):
            raise ValueError("Must not contain a lone UTF-16 surrogate (e.g. \\ud800).")
        if kind == "str":
            value = value.strip()
        if spec.max_length is not None and len(value) > spec.max_length:
            raise ValueError(f"At most {spec.max_length} characters (got {len(value)}).")
        if value == "" and spec.nullable:
            return None
        return value
    if kind == "int":
        if isinstance(value, bool):
            raise ValueError("Must be an integer.")
        integral_float = isinstance(value, float) and value.is_integer()
        if integral_float or (isinstance(value, str) and _INTEGER.fullmatch(value)):
            value = int(value)
        if not isinstance(value, int):
            raise ValueError("Must be an integer.")
        _check_range(spec, value)
        return value
    if kind == "bool":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise ValueError("Must be true or false.")
    if kind == "datetime":
        if not isinstance(value, str):
            raise ValueError("Must be an ISO 8601 date string.")
        if not value.strip():
            return None
        try:
            return parse_datetime(value)
        except ValueError as exc:
            raise ValueError(
                "Must be an ISO 8601 date, e.g. 2025-10-08T18:26:51.3485589+00:00."
            ) from exc
    if kind == "decimal":
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise ValueError("Must be a number.")
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation as exc:
            raise ValueError("Must be a number.") from exc
        if not number.is_finite():
            raise ValueError("Must be a finite number.")
        _check_range(spec, number)
        if spec.decimal_places is not None:
            number = number.quantize(Decimal(1).scaleb(-spec.decimal_places))
            whole_digits = len(number.as_tuple().digits) - spec.decimal_places
            if spec.max_digits and whole_digits > spec.max_digits - spec.decimal_places:
                raise ValueError("Too many digits.")
        return number
    if kind == "json":
        return value
    raise AssertionError(kind)


def _check_range(spec: Scalar, value) -> None:
    if spec.min_value is not None and value < spec.min_value:
        raise ValueError(f"Must be at least {spec.min_value}.")
    if spec.max_value is not None and value > spec.max_value:
        raise ValueError(f"Must be at most {spec.max_value}.")


def clean_uuid(value: Any) -> uuid.UUID | None:
    """A seed `globally unique identifier`; None for null/empty; ValueError otherwise."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValueError("Must be a UUID string.")
    try:
        return uuid.UUID(value)
    except ValueError as exc:
        raise ValueError("Must be a UUID.") from exc


_INT32 = 2**31 - 1

# Seed-004 input name -> how it is stored on WorkOrder.
WORK_ORDER_SCALARS: dict[str, Scalar] = {
    "name": Scalar("name", "str", max_length=255),
    "description": Scalar("description", "text", max_length=4000),
    "reference_back_office": Scalar("reference_back_office", "str", max_length=50, nullable=True),
    "working_sequence": Scalar("working_sequence", "int", min_value=-_INT32, max_value=_INT32),
    "internal_memo": Scalar("internal_memo", "text", max_length=100_000),
    "prejob_information": Scalar("prejob_information", "text", max_length=100_000),
    "estimated_time": Scalar("estimated_time", "int", min_value=0, max_value=_INT32),
    "earliest_date_plannable": Scalar("earliest_date_plannable", "datetime"),
    "due_date": Scalar("due_date", "datetime"),
    "suggested_date_start": Scalar("suggested_date_start", "datetime"),
    "customer_reference": Scalar("customer_reference", "str", max_length=50),
    "date_reported_by_company": Scalar("date_reported_by_company", "datetime"),
    "db_address_name": Scalar("db_address_name", "str", max_length=100),
    "db_address_street": Scalar("db_address_street", "str", max_length=50),
    "db_address_street2": Scalar("db_address_street2", "str", max_length=50),
    "db_address_street_number": Scalar("db_address_street_number", "str", max_length=50),
    "db_address_city": Scalar("db_address_city", "str", max_length=50),
    "db_address_zip": Scalar("db_address_zip", "str", max_length=50),
    "db_address_phone": Scalar("db_address_phone", "str", max_length=50),
    "db_address_email": Scalar("db_address_email", "str", max_length=250),
    "db_address_latitude_decimal": Scalar(
        "db_address_latitude",
        "decimal",
        min_value=-90,
        max_value=90,
        decimal_places=7,
        max_digits=10,
    ),
    "db_address_longitude_decimal": Scalar(
        "db_address_longitude",
        "decimal",
        min_value=-180,
        max_value=180,
        decimal_places=7,
        max_digits=10,
    ),
    "estimated_quantity_remark": Scalar("estimated_quantity_remark", "text", max_length=4000),
}

# Filled by the system (seed 004 says so): accepted in a body and ignored.
WORK_ORDER_SYSTEM_FIELDS = frozenset(
    {"company_id", "company_code", "date_create", "date_update", "date_closed", "modified_dateutc"}
)

_SCALAR_ITEMS = tuple(WORK_ORDER_SCALARS.items())

# The address columns a mobile installation's work order must carry.
MOBILE_ADDRESS_REQUIRED = ("db_address_street", "db_address_city", "db_address_zip")


def clean_work_order_fields(
    record: Any, *, partial: bool = False, creating: bool = True
) -> tuple[dict[str, Any], dict[str, str]]:
    """Validate and normalize one seed-004 record's own scalar fields (no references, no DB).

    Returns `(cleaned, errors)`: `cleaned` maps model field names to Python values for the fields
    the record carries (plus `id` and `id2` when given); `errors` maps input field names to
    messages. With `partial`, absent fields are left out; otherwise `name` is required."""
    if not isinstance(record, dict):
        return {}, {"non_field_errors": "Each record must be a JSON object."}
    return _clean_work_order_fields(record, _SCALAR_ITEMS, partial=partial, creating=creating)


def work_order_fields_cleaner(
    columns, *, partial: bool = False, creating: bool = True
) -> Callable[[dict], tuple[dict[str, Any], dict[str, str]]]:
    """`clean_work_order_fields` for records (dicts) whose keys are among `columns`, the rows of
    a file: the same checks, with the scalar fields the file cannot carry left out once."""
    present = set(columns)
    scalars = tuple((name, spec) for name, spec in _SCALAR_ITEMS if name in present)
    return partial_function(
        _clean_work_order_fields, scalars=scalars, partial=partial, creating=creating
    )


_ID2 = Scalar("id2", "int", min_value=1, max_value=2**62)


def _clean_work_order_fields(record: dict, scalars, *, partial: bool, creating: bool):
    cleaned: dict[str, Any] = {}
    errors: dict[str, str] = {}
    if "id" in record:
        try:
            cleaned["id"] = clean_uuid(record["id"])
        except ValueError as exc:
            errors["id"] = str(exc)
    if record.get("id2") is not None:
        try:
            cleaned["id2"] = clean_scalar(_ID2, record["id2"])
        except ValueError as exc:
            errors["id2"] = str(exc)
    for name, spec in scalars:
        if name not in record:
            continue
        try:
            cleaned[spec.field] = clean_scalar(spec, record[name])
        except ValueError as exc:
            errors[name] = str(exc)
    name_needed = creating or not partial or "name" in record
    if name_needed and "name" not in errors and not cleaned.get("name"):
        errors["name"] = "This field is required."
    return cleaned, errors


def record_name(record, index: int | None = None) -> str:
    """How a message names a record: its id, else its reference back office, else its position
    in the request (a file's errors carry its line instead)."""
    for key in ("id", "reference_back_office"):
        value = record.get(key) if isinstance(record, dict) else None
        if value not in (None, ""):
            return str(value)
    return f"#{index + 1}" if index is not None else ""
