"""Telling a database that went away from an error of the statement itself."""

import psycopg

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
