"""Telling a database that went away from an error of the statement itself; cursors whose
statements are prepared."""

import psycopg
from django.db.backends.postgresql.base import ServerBindingCursor
from django.db.backends.postgresql.psycopg_any import register_tzloader
from psycopg.pq import Format

_TIMESTAMPTZ = psycopg.adapters.types["timestamptz"].oid

# SQLSTATEs of a connection that is gone: connection_exception (class 08), and the server
# shutting down or not yet accepting connections (admin_shutdown, crash_shutdown,
# cannot_connect_now).
_GONE = ("08", "57P01", "57P02", "57P03")


def is_connection_lost(exc: BaseException | None) -> bool:
    """The PostgreSQL connection broke or could not be had (the pool's timeout included): a
    client-side psycopg error carries no SQLSTATE. A statement timeout, a lock not available,
    a deadlock or any SQLite error is not one."""
    while exc is not None:
        if isinstance(exc, psycopg.InterfaceError):
            return True
        if isinstance(exc, psycopg.OperationalError):
            return not exc.sqlstate or exc.sqlstate.startswith(_GONE)
        exc = exc.__cause__
    return False


class _PreparingCursor(ServerBindingCursor):
    """Django's cursor binding values on the server, each statement prepared on first use."""

    def execute(self, query, params=None, *, prepare=None, binary=None):
        result = super().execute(query, params, prepare=True, binary=binary)
        self._query = _LoggedQuery(self.connection, query, params)
        return result


class _LoggedQuery:
    """What Django's query log reads of a cursor's last statement (`_query.query`, which psycopg
    leaves unset for a prepared one): its text with the values written in, as an ordinary
    cursor's, composed only when read."""

    def __init__(self, connection, sql, params):
        self.connection, self.sql, self.params = connection, sql, params

    @property
    def query(self) -> bytes:
        return psycopg.ClientCursor(self.connection).mogrify(self.sql, self.params).encode()


def prepared_cursor(db):
    """A cursor of `db` (a Django connection) whose statements PostgreSQL parses and plans once
    per connection, then runs with each call's values: for the statements a hot path sends on
    every request in the same few shapes (a PUT's lock, references and UPDATE: planning them
    cost the server about what running them did). Statements are kept per connection, so only
    where the process pools its connections (settings: `prepare_threshold`, not behind
    PgBouncer); anywhere else, and on SQLite, an ordinary cursor. Use it for statements of a
    bounded number of shapes: each shape is prepared once per connection (psycopg keeps 100)."""
    if db.vendor != "postgresql" or db.settings_dict["OPTIONS"].get("prepare_threshold") is None:
        return db.cursor()
    # As BaseDatabaseWrapper._cursor and the backend's create_cursor do, with another class.
    db.close_if_health_check_failed()
    db.ensure_connection()
    with db.wrap_database_errors:
        cursor = _PreparingCursor(db.connection)
        tzloader = db.connection.adapters.get_loader(_TIMESTAMPTZ, Format.TEXT)
        if db.timezone != tzloader.timezone:
            register_tzloader(db.timezone, cursor)
        return db._prepare_cursor(cursor)
