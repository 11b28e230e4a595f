"""Seed-004 dates: the quick reading of the common forms gives the value spelled out."""

import pytest

from jobsite.dates import _DATETIME, _spelled_out_datetime, parse_datetime

FORMS = [
    "2025-10-08T18:26:51+00:00",
    "2025-10-08T18:26:51.3485589+00:00",
    "2025-10-08T18:26:51.348558+02:00",
    "2025-10-08T18:26:51.5-05:30",
    "2025-10-08T18:26:51,25Z",
    "2025-10-08T18:26:51z",
    "2025-10-08 18:26",
    "2025-10-08T18:26:51+0130",
    "2025-10-08T18:26:51-03",
    "  2025-10-08T18:26:51.123456789Z ",
    "2025-10-08T18:26:51",
    "2025-10-08",
    "2024-02-29T23:59:59.999999+14:00",
    "3431-07-16T19:50:49.884831-21:01",  # beyond what PostgreSQL takes as an offset: UTC
]


@pytest.mark.parametrize("text", FORMS)
def test_parse_datetime_reads_every_form_as_spelled_out(text):
    parsed = parse_datetime(text)
    assert parsed == _spelled_out_datetime(_DATETIME.match(text.strip()))
    assert parsed.utcoffset().total_seconds() == 0


@pytest.mark.parametrize(
    "text",
    [
        "2025-02-30T10:00:00Z",
        "2025-10-08T24:00:00Z",
        "2025-10-08T10:00+25:00",
        "soon",
        "0001-01-01T00:00:00+05:00",  # no UTC value: before year 1
        "9999-12-31T23:59:59.1234567-05:00",
    ],
)
def test_parse_datetime_refuses(text):
    with pytest.raises(ValueError):
        parse_datetime(text)


def test_the_cleaner_for_a_files_columns_checks_as_clean_work_order_fields():
    from workorders.records import clean_work_order_fields, work_order_fields_cleaner

    columns = ["id", "id2", "name", "due_date", "estimated_time", "customer_reference", "extra"]
    clean = work_order_fields_cleaner(columns, partial=False, creating=False)
    records = [
        {"id": None, "id2": None, "name": "A", "due_date": "2030-01-02", "estimated_time": "5"},
        {"id": "nope", "id2": "0", "name": " ", "due_date": "soon", "estimated_time": "-1"},
        {"name": "x" * 256, "customer_reference": "PO-1", "extra": "ignored"},
        {"id2": "12", "estimated_time": None},
    ]
    for record in records:
        assert clean(record) == clean_work_order_fields(record, partial=False, creating=False)
