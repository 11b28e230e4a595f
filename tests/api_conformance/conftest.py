"""Seed-004 bodies built from the sample document, with identifiers that exist."""

import copy
import json
import re
import uuid
from pathlib import Path

import pytest

SEED = Path(__file__).with_name("seed_004_request_sample.json")  # copied from seed 004


def seed_sample() -> dict:
    """The request sample of seed 004, exactly as documented."""
    return json.loads(SEED.read_text())


def seed_body(
    *, project, job_type, status, technician=None, skill=None, priority=None, overrides=None
):
    """The seed-004 sample with every identifier pointing at fixtures: top-level `x_id`/`x_code`
    pairs that exist, embedded objects that match them, and system fields left as samples."""
    body = copy.deepcopy(seed_sample())
    body.pop("id")
    body.pop("id2")  # an explicit number would collide between records; tests give it when needed
    for key in (
        "_parent_id",
        "_parent_jobs_reference_back_office",
        "db_address_id",
        "contact_id",
        "requested_by_company_id",
        "requested_by_contact_id",
        "approval_responsible_user_id",
        "db_address_db_country_id",
        "db_address_db_country_code",
    ):
        body.pop(key)
    body["project"] = {
        "id": str(project.pk),
        "reference_back_office": project.reference_back_office,
    }
    body["project_id"] = str(project.pk)
    body["project_reference_back_office"] = project.reference_back_office
    body["job_type"] = {"id": str(job_type.pk), "code": job_type.code, "name": job_type.name}
    body["job_type_id"] = str(job_type.pk)
    body["job_type_code"] = job_type.code.upper()  # codes match case-insensitively
    body["job_status_id"] = str(status.pk)
    body["job_status_code"] = status.code.lower()
    if priority is not None:
        body["job_priority"] = {
            "id": str(priority.pk),
            "code": priority.code,
            "name": priority.name,
            "sequence": priority.sequence,
        }
        body["job_priority_id"] = str(priority.pk)
        body["job_priority_code"] = priority.code
    else:
        for key in ("job_priority", "job_priority_id", "job_priority_code"):
            body.pop(key)
    if technician is not None:
        body["suggested_user"] = {
            "id": str(technician.pk),
            "code": technician.code,
            "username": technician.username,
        }
        body["suggested_user_id"] = str(technician.pk)
        body["suggested_user_code"] = technician.code
    else:
        for key in ("suggested_user", "suggested_user_id", "suggested_user_code"):
            body.pop(key)
    if skill is not None:
        body["skill"] = {"id": str(skill.pk), "code": skill.code, "name": skill.name}
        body["skill_id"] = str(skill.pk)
        body["skill_code"] = skill.code
    else:
        for key in ("skill", "skill_id", "skill_code"):
            body.pop(key)
    body["reference_back_office"] = f"ERP-{uuid.uuid4().hex[:8]}"
    body.update(overrides or {})
    return body


@pytest.fixture
def seed(project, job_type, statuses, technician, skill, priority):
    """A Suggested seed-004 body for the planner's project."""

    def build(**over):
        return seed_body(
            project=project,
            job_type=job_type,
            status=statuses["Suggested"],
            technician=technician,
            skill=skill,
            priority=priority,
            overrides=over,
        )

    return build


def url(pk) -> str:
    return f"/api/v1/workorders/{pk}"


def as_json(text: str) -> dict:
    return json.loads(re.sub(r"\s+", " ", text))
