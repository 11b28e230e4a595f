"""`id2` numbers: consecutive ranges; on PostgreSQL two transactions reserve side by side (the
sequence's row is not held until either commits)."""

import threading
import uuid

import pytest
from django.db import DEFAULT_DB_ALIAS, connection, transaction

from jobsite import numbers
from jobsite.models import NumberSequence
from jobsite.numbers import next_numbers, observe_number

pytestmark = pytest.mark.django_db


def test_a_range_is_consecutive_and_the_next_one_follows_it():
    first = next_numbers(name="test", count=3)
    second = next_numbers(name="test", count=2)
    assert len(first) == 3 and len(second) == 2
    assert second.start == first.stop


def test_an_observed_number_moves_the_sequence_past_it_never_back():
    start = next_numbers(name="observed", count=1)[0]
    observe_number(name="observed", value=start + 100)
    assert next_numbers(name="observed", count=1)[0] == start + 101
    observe_number(name="observed", value=start)
    assert next_numbers(name="observed", count=1)[0] == start + 102


def test_observing_a_sequence_not_used_yet_starts_it_there():
    name = f"new-{uuid.uuid4().hex[:8]}"
    observe_number(name=name, value=41)
    assert list(next_numbers(name=name, count=2)) == [42, 43]


@pytest.mark.postgres
def test_two_transactions_reserve_side_by_side_on_postgresql():
    """This test's transaction reserves and stays open; another thread's transaction reserves
    meanwhile without waiting, and the ranges are consecutive and disjoint."""
    assert connection.in_atomic_block
    mine = next_numbers(name="side-by-side", count=5)
    theirs = []

    def reserve():
        try:
            with transaction.atomic():
                theirs.append(next_numbers(name="side-by-side", count=3))
        finally:
            connection.close()

    other = threading.Thread(target=reserve)
    other.start()
    other.join(timeout=10)
    # Had it waited for this transaction's lock, it would end only when the test rolls back.
    assert not other.is_alive(), "the second transaction waited for the first to commit"
    (their_range,) = theirs
    assert len(mine) == 5 and len(their_range) == 3
    assert their_range.start == mine.stop, "disjoint, and nothing skipped between them"


@pytest.mark.postgres
def test_numbers_outlive_a_rollback_on_postgresql():
    """Reserved on their own connection, numbers are not given back: a rolled-back write leaves
    a gap, as a database sequence does."""
    with pytest.raises(RuntimeError), transaction.atomic():
        lost = next_numbers(name="gap", count=2)
        raise RuntimeError
    assert next_numbers(name="gap", count=1).start == lost.stop


@pytest.mark.postgres
def test_a_side_connection_the_database_dropped_is_opened_again():
    """A worker outlives a database restart: the next reservation opens a new connection."""
    first = next_numbers(name="restart", count=1)
    with numbers._side_connection(DEFAULT_DB_ALIAS).cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    assert next_numbers(name="restart", count=1).start == first.stop


def test_on_sqlite_numbers_are_taken_in_the_callers_transaction(is_postgres):
    if is_postgres:
        pytest.skip("SQLite's behaviour")
    start = next_numbers(name="rolled-back", count=1).start
    with pytest.raises(RuntimeError), transaction.atomic():
        next_numbers(name="rolled-back", count=2)
        raise RuntimeError
    assert next_numbers(name="rolled-back", count=1).start == start + 1
    assert NumberSequence.objects.get(name="rolled-back").last_value == start + 1
