from contextlib import contextmanager

from django.db import transaction


@contextmanager
def rolled_back_module_data(django_db_blocker, build):
    """Rows built once for a module, inside a transaction rolled back at its end. Each test runs
    in a savepoint of it (pytest-django's `db`), so what a test writes is undone as well."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            built = build()
        except BaseException:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            raise
    try:
        yield built
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
