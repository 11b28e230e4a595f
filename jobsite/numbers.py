"""The `id2` numbers: consecutive per sequence, reserved in ranges (a bulk import takes a
whole range in one statement), portable to SQLite and PostgreSQL.

On PostgreSQL a caller inside a transaction reserves on a second connection, in autocommit: the
sequence's row is locked for that one statement, not until the caller commits, so two workers'
bulk chunks creating work orders do not take turns on it. As with a database sequence, numbers
are not given back: a write that rolls back leaves a gap in them. The process opens that
connection at its first such reservation and keeps it (one, its threads use it in turn: the
connection count stays bounded); it is outside the pool and opened again if the database
dropped it. On SQLite the numbers are taken in the caller's transaction: one writer at a time
anyway, and a second connection would wait for the write lock the caller holds."""

import threading
from contextlib import suppress

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, transaction

from jobsite.database import is_connection_lost

# The model (jobsite.models.NumberSequence) names its table from here: models number their
# rows through these functions, so this module cannot import them.
TABLE = "jobsite_numbersequence"

# One statement each, the sequence's row made on first use: on the side connection the lock
# lasts that statement only.
_RESERVE = (
    f"INSERT INTO {TABLE} (name, last_value) VALUES (%s, %s) ON CONFLICT (name) DO UPDATE "
    f"SET last_value = {TABLE}.last_value + excluded.last_value RETURNING last_value"
)
_OBSERVE = (
    f"INSERT INTO {TABLE} (name, last_value) VALUES (%s, %s) ON CONFLICT (name) DO UPDATE "
    f"SET last_value = CASE WHEN {TABLE}.last_value < excluded.last_value "
    f"THEN excluded.last_value ELSE {TABLE}.last_value END RETURNING last_value"
)

# alias -> the process's side connection; the lock makes its threads take turns on it.
_side_connections: dict = {}
_side_lock = threading.Lock()


def next_numbers(*, name: str, count: int) -> range:
    """Reserve `count` consecutive `id2` numbers of the sequence `name` in one statement."""
    if count <= 0:
        return range(0)
    last = _execute(_RESERVE, [name, count])
    return range(last - count + 1, last + 1)


def observe_number(*, name: str, value: int) -> None:
    """An `id2` given explicitly moves the sequence past it, so later numbers never collide."""
    _execute(_OBSERVE, [name, value])


def close_side_connections() -> None:
    """Close the side connections (before the test database is dropped: PostgreSQL refuses to
    drop a database someone is connected to)."""
    with _side_lock:
        for side in _side_connections.values():
            side.close()


def _execute(sql: str, params: list, alias: str = DEFAULT_DB_ALIAS) -> int:
    connection = connections[alias]
    if connection.vendor != "postgresql" or not connection.in_atomic_block:
        with transaction.atomic(using=alias), connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchone()[0]
    with _side_lock:
        side = _side_connection(alias)
        try:
            return _execute_on(side, sql, params)
        except DatabaseError as exc:
            if not is_connection_lost(exc):
                raise
            # Dropped since its last use (the database restarted, say): once more on a new one.
            # A reservation whose answer was lost on the way is a gap, as a rollback is.
            with suppress(DatabaseError):
                side.close()
            return _execute_on(side, sql, params)


def _execute_on(side, sql: str, params: list) -> int:
    with side.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def _side_connection(alias: str):
    """The process's second connection to `alias` (autocommit), made on first use."""
    side = _side_connections.get(alias)
    if side is None:
        settings_dict = {**connections[alias].settings_dict}
        # Outside the connection pool: Django keeps one pool per alias, so a wrapper of the same
        # alias would draw from it and, with DB_POOL_MAX=1 (a worker), wait for the connection
        # its own caller holds.
        settings_dict["OPTIONS"] = {
            k: v for k, v in settings_dict.get("OPTIONS", {}).items() if k != "pool"
        }
        side = type(connections[alias])(settings_dict, alias)
        side.inc_thread_sharing()  # every thread's, used under _side_lock
        _side_connections[alias] = side
    return side
