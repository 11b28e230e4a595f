"""schemathesis against /api/schema/ on the live application, every operation: no server error
and no response that breaks the schema. Bounded (ten generated examples an operation, no
coverage phase) so it fits the suite; `SCHEMATHESIS_EXAMPLES=100 SCHEMATHESIS_COVERAGE=1
make test PYTEST_ARGS=tests/reliability/test_schemathesis.py` digs deeper."""

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from jobsite.services import issue_api_token

EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "10"))
# The coverage phase walks every boundary value of every field whatever max_examples says
# (minutes an operation on the bulk and import bodies); the bounded run leaves it to
# `SCHEMATHESIS_COVERAGE=1`, which the deep run in docs/reliability.md sets.
COVERAGE = os.environ.get("SCHEMATHESIS_COVERAGE", "") not in ("", "0")


@pytest.fixture(autouse=True)
def keep_the_test_connection():
    """Calling the WSGI application directly fires request_started/finished, whose
    close_old_connections closes the test's connection inside its transaction (PostgreSQL:
    "the connection is closed"); Django's own test client disconnects it the same way."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def bearer(superuser, planner):
    raw, _ = issue_api_token(user=planner)
    return {"Authorization": f"Bearer {raw}"}


def _load_schema():
    # pytest-django has set Django up before collection; fetching the schema touches no table.
    from jobsite.wsgi import application

    loaded = schemathesis.openapi.from_wsgi("/api/schema/", application)
    loaded.config.phases.coverage.enabled = COVERAGE
    return loaded


schema = _load_schema()


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
@pytest.mark.django_db
def test_api_operation_never_errors_and_matches_its_schema(case, bearer):
    if case.path.rstrip("/").endswith("/auth/logout"):
        pytest.skip("logout would revoke the token the other examples use")
    case.call_and_validate(headers=bearer, checks=[not_a_server_error, response_schema_conformance])
