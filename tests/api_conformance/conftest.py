"""Fixtures of the API conformance tests: a Suggested seed-004 body for the planner's project."""

import pytest

from ..factories import seed_body


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
