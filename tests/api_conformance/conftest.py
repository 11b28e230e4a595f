"""Fixtures of the API conformance tests: a Suggested seed-004 body for the planner's project,
and the directory rows seed 000's sample refers to."""

import pytest

from ..factories import company_with_id2, seed_body, user_with_id2


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


@pytest.fixture
def seed_directory(api, sales_org):
    """Client 1 and user 1 of the seed-000 sample, in the planner's sales organization."""
    return company_with_id2(1, sales_org=sales_org), user_with_id2(1, sales_org=sales_org)
