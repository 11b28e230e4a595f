import csv
import json
from datetime import UTC, datetime

import pytest
from django.test import Client

from ..factories import make_work_order

IMPORT_COLUMNS = [
    "reference_back_office",
    "name",
    "project_reference_back_office",
    "job_type_code",
    "job_status_code",
    "suggested_user_code",
    "suggested_date_start",
    "estimated_time",
    "skill_code",
    "due_date",
    "description",
]


@pytest.fixture
def planner_client(planner, planners_group):
    planner.groups.add(planners_group)
    client = Client()
    client.force_login(planner)
    return client


@pytest.fixture
def make_wo(statuses, job_type, priority):
    def make(project, **fields):
        return make_work_order(project=project, job_type=job_type, priority=priority, **fields)

    return make


@pytest.fixture
def rows(project, job_type, technician, skill):
    """Import rows (seed-004 names): three good ones, one Suggested, and the fourth bad."""
    start = datetime(2030, 5, 6, 8, 0, tzinfo=UTC).isoformat()
    base = {
        "project_reference_back_office": project.reference_back_office,
        "job_type_code": job_type.code.upper(),
        "job_status_code": "ToBePlanned",
        "estimated_time": "45",
    }
    return [
        {**base, "reference_back_office": "IMP-1", "name": "Service A", "skill_code": "elec"},
        {
            **base,
            "reference_back_office": "IMP-2",
            "name": "Service B",
            "job_status_code": "Suggested",
            "suggested_user_code": technician.code,
            "suggested_date_start": start,
        },
        {**base, "reference_back_office": "IMP-3", "name": "Service C", "due_date": "2030-06-01"},
        {**base, "reference_back_office": "IMP-4", "name": "Bad", "job_status_code": "Nope"},
    ]


def write_csv(path, rows, columns=IMPORT_COLUMNS, *, encoding="utf-8", delimiter=","):
    with open(path, "w", newline="", encoding=encoding) as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, delimiter=delimiter)
        writer.writeheader()
        for row in rows:
            writer.writerow({c: row.get(c, "") for c in columns})
    return path


def write_json(path, rows):
    path.write_text(json.dumps(rows))
    return path


@pytest.fixture
def line(project, job_type, technician, statuses):
    """An import row (seed-004 names) of a Suggested work order for the technician: make(reference,
    start, **over)."""

    def make(reference, start, **over):
        return {
            "reference_back_office": reference,
            "name": f"Service {reference}",
            "project_reference_back_office": project.reference_back_office,
            "job_type_code": job_type.code,
            "job_status_code": "Suggested",
            "suggested_user_code": technician.code,
            "suggested_date_start": start,
            "estimated_time": "60",
            "skill_code": "ELEC",
            **over,
        }

    return make
