"""A lost connection is told from an error of the statement: the worker waits out the first,
a job fails on the second."""

import sqlite3

import psycopg
import pytest
from django.db import InterfaceError, OperationalError
from psycopg import errors
from psycopg_pool import PoolTimeout

from jobsite.database import is_connection_lost


def _as_django(error_class, cause):
    """As Django raises it: its own class, the driver's error as the cause."""
    try:
        raise error_class(str(cause)) from cause
    except error_class as exc:
        return exc


@pytest.mark.parametrize(
    ("cause", "lost"),
    [
        (psycopg.OperationalError("server closed the connection unexpectedly"), True),
        (PoolTimeout("couldn't get a connection after 10.00 sec"), True),
        (errors.ConnectionFailure("connection failure"), True),
        (errors.AdminShutdown("terminating connection due to administrator command"), True),
        (errors.CannotConnectNow("the database system is starting up"), True),
        (errors.QueryCanceled("canceling statement due to statement timeout"), False),
        (errors.LockNotAvailable("could not obtain lock"), False),
        (errors.DeadlockDetected("deadlock detected"), False),
        (sqlite3.OperationalError("database is locked"), False),
    ],
)
def test_connection_lost_or_not(cause, lost):
    assert is_connection_lost(_as_django(OperationalError, cause)) is lost


def test_a_closed_connection_is_lost_and_other_errors_are_not():
    assert is_connection_lost(_as_django(InterfaceError, psycopg.InterfaceError("closed")))
    assert not is_connection_lost(ValueError("no"))
    assert not is_connection_lost(None)
