"""The `id2` numbers: consecutive per sequence, reserved in ranges (a bulk import takes a
whole range in one statement), portable to SQLite and PostgreSQL."""

from django.db import connection, transaction

# The model (jobsite.models.NumberSequence) names its table from here: models number their
# rows through these functions, so this module cannot import them.
TABLE = "jobsite_numbersequence"


def _ensure_sequence(name: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {TABLE} (name, last_value) VALUES (%s, 0) ON CONFLICT (name) DO NOTHING",
            [name],
        )


def next_numbers(*, name: str, count: int) -> range:
    """Reserve `count` consecutive `id2` numbers of the sequence `name` in one statement."""
    if count <= 0:
        return range(0)
    with transaction.atomic():
        _ensure_sequence(name)
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {TABLE} SET last_value = last_value + %s WHERE name = %s "
                "RETURNING last_value",
                [count, name],
            )
            last = cursor.fetchone()[0]
    return range(last - count + 1, last + 1)


def observe_number(*, name: str, value: int) -> None:
    """An `id2` given explicitly moves the sequence past it, so later numbers never collide."""
    with transaction.atomic():
        _ensure_sequence(name)
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {TABLE} SET last_value = CASE WHEN last_value < %s THEN %s "
                "ELSE last_value END WHERE name = %s",
                [value, value, name],
            )
