"""schemathesis against /api/schema/ on the live application, with every check schemathesis has
(status codes, content types, response bodies and headers, invalid data refused, valid data
accepted, no server error, …): every operation on its own, then a stateful phase that follows
the document's links (a create to its read, change and delete). The document is the contract:
0 failures. Deliberate exceptions are configured narrowly in CONFIG and explained in
docs/reliability.md, section 1.

Bounded so it fits the suite: ten generated examples an operation, no coverage phase, twenty
stateful scenarios of up to six calls. SCHEMATHESIS_EXAMPLES, SCHEMATHESIS_COVERAGE=1,
SCHEMATHESIS_SCENARIOS and SCHEMATHESIS_STEPS dig deeper (docs/reliability.md, section 1, has
the longer run and its figures)."""

import os
import secrets
from datetime import timedelta

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections, transaction
from django.utils import timezone
from hypothesis import HealthCheck, Phase, settings
from schemathesis.config import SchemathesisConfig

from jobsite.models import ApiToken
from jobsite.services import hash_token

EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "10"))
# The coverage phase walks every boundary value of every field whatever max_examples says
# (minutes an operation on the bulk and import bodies); the bounded run leaves it to
# `SCHEMATHESIS_COVERAGE=1`, which the deep run in docs/reliability.md sets.
COVERAGE = os.environ.get("SCHEMATHESIS_COVERAGE", "") not in ("", "0")
SCENARIOS = int(os.environ.get("SCHEMATHESIS_SCENARIOS", "20"))
STEPS = int(os.environ.get("SCHEMATHESIS_STEPS", "6"))
TOKEN = secrets.token_urlsafe(32)

# Where a check's finding is a deliberate choice (docs/reliability.md, section 1, "Configured").
#
# A write's body the schema allows may still name a record that does not exist, a code already
# taken, or break a rule across fields or across time (an end before its start, a job not in the
# state its move needs): JSON Schema cannot say what is stored. The server answers those with a
# 400 naming the field, so `positive_data_acceptance` takes a 400 for writes (reads and deletes
# stay strict), and for the one read whose parameters have a rule between them.
STORED_DATA_RULES = ["2xx", "3xx", "400", "401", "403", "404", "409", "429", "5xx"]
CONFIG = {
    "auth": {"openapi": {"bearerAuth": {"bearer": TOKEN}}},
    # PostgreSQL cannot store a NUL: every text refuses one with a 400 naming the field (README,
    # "Bad input"), so valid data is generated without one; invalid data still may hold one.
    "generation": {"allow-x00": False},
    "phases": {"coverage": {"enabled": COVERAGE}},
    "operations": [
        {
            "include-method-regex": "^(POST|PUT|PATCH)$",
            "checks": {"positive_data_acceptance": {"expected-statuses": STORED_DATA_RULES}},
        },
        {
            # `to` after `from`, and not too far after it.
            "include-operation-id": "v1_availability_retrieve",
            "checks": {"positive_data_acceptance": {"expected-statuses": STORED_DATA_RULES}},
        },
    ],
}

HYPOTHESIS = {
    "deadline": None,
    "derandomize": True,
    "suppress_health_check": list(HealthCheck),
}


@pytest.fixture(autouse=True)
def keep_the_test_connection():
    """Calling the WSGI application directly fires request_started/finished, whose
    close_old_connections closes the test's connection inside its transaction (PostgreSQL:
    "the connection is closed"); Django's own test client disconnects it the same way."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def bearer(superuser, planner):
    """The planner's token, stored as issue_api_token stores one: its raw value is TOKEN, known
    before any test runs, so schemathesis' own auth sends it (and its `ignored_auth` check knows
    it is real: it probes each operation without it and with a wrong one, both must be 401)."""
    return ApiToken.objects.create(
        user=planner,
        key_hash=hash_token(TOKEN),
        prefix=TOKEN[:8],
        expires_at=timezone.now() + timedelta(hours=1),
    )


def _load_schema():
    # pytest-django has set Django up before collection; fetching the schema touches no table.
    from jobsite.wsgi import application

    return schemathesis.openapi.from_wsgi(
        "/api/schema/", application, config=SchemathesisConfig.from_dict(CONFIG)
    )


schema = _load_schema()


def _skipped(path: str) -> bool:
    # Logout would revoke the token the other examples use.
    return path.rstrip("/").endswith("/auth/logout")


@schema.parametrize()
@settings(max_examples=EXAMPLES, **HYPOTHESIS)
@pytest.mark.django_db
def test_every_operation_keeps_the_contract(case, bearer):
    if _skipped(case.path):
        pytest.skip("logout would revoke the token the other examples use")
    # No `checks=`: every check schemathesis has, as configured in CONFIG.
    case.call_and_validate()


@pytest.mark.django_db
def test_stateful_scenarios_keep_the_contract(bearer):
    """Scenarios of up to STEPS calls chained by the document's links (and those schemathesis
    infers): what one answer creates, the next reads, changes or deletes."""
    followed = []

    class Scenarios(schema.exclude(path_regex=r"/auth/logout/?$").as_state_machine()):
        def setup(self):
            # Each scenario starts from the same rows (hypothesis replays scenarios; a row an
            # earlier one left would change what a later one draws).
            self.rows = transaction.atomic()
            self.rows.__enter__()

        def teardown(self):
            transaction.set_rollback(True)
            self.rows.__exit__(None, None, None)

        def step(self, input):
            output = super().step(input)
            if input.transition is not None and input.is_applied:
                followed.append((input.transition.id, output.response.status_code))
            return output

    Scenarios.run(
        settings=settings(
            max_examples=SCENARIOS,
            stateful_step_count=STEPS,
            # Generate only: a replayed scenario meets the server's state, not the first run's.
            phases=[Phase.generate],
            **HYPOTHESIS,
        )
    )
    answered = sorted({link for link, status in followed if 200 <= status < 300})
    print(f"stateful: {len(followed)} linked calls, 2xx through {len(answered)} links: {answered}")
    # The links were followed (how many reach a 2xx depends on the records the generated bodies
    # manage to create: the longer run in docs/reliability.md counts them).
    assert followed, "no link was followed"
