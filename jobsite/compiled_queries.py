"""Querysets compiled once, run with each call's values: for a query asked on every request with
other values, building and compiling it cost the ORM several times what the database takes to
answer (the planning check's UNION of four querysets: ~3 ms to build and compile, under 1 ms to
run). `CompiledQuery` has the ORM build and compile the queryset once per database vendor and
shape (how many values each list holds), from stand-in values, and runs that SQL with each
call's values.

The queryset stays the one source of the query's shape: where each stand-in lands among the
compiled parameters says where a call's value goes, adapted for the database by the field it
is compared with, as the ORM adapts it. The queryset is compiled from two sets of stand-ins: a
parameter that differs between them and is not a stand-in (a value the queryset transformed,
e.g. `low - margin`) is refused when first compiled rather than run as a constant."""

import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, timedelta

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Field, QuerySet

from jobsite.database import prepared_cursor

# Compiled shapes kept per query: a check asks a few again and again; a large import's odd
# sizes do not come back, and past these the kept ones are dropped.
MAX_SHAPES = 64
# Stand-ins no constant of a query is: moments of the early 20th century, uuids of small ints,
# texts that say what they are.
_MOMENT = datetime(1901, 1, 1, tzinfo=UTC)
_DAY = date(1901, 1, 1)
_SETS = (1, 1 << 16)  # where the two sets of stand-ins start
_EMPTY = "empty"  # a queryset no row can pass: Django answers it without a query
# The largest shape a `prepared` query prepares: a request's few values come back in the same
# shape; a batch's hundreds, in sizes that do not, would only fill the connection's statements.
PREPARED_VALUES = 32


def _stand_in(field: Field, n: int):
    target = field.target_field if field.is_relation else field
    kind = target.get_internal_type()
    if kind == "UUIDField":
        return uuid.UUID(int=n)
    if kind == "DateTimeField":
        return _MOMENT + timedelta(seconds=n)
    if kind == "DateField":
        return _DAY + timedelta(days=n)
    if kind in ("CharField", "TextField"):
        return f"stand-in {n}"
    raise TypeError(f"no stand-in for a {kind}")


class CompiledQuery:
    """`build(**values)` makes a values_list queryset; `fields` name, for each of its keyword
    arguments, the model field its value (or each value of its list) is compared with. `rows`
    runs it with the given values: the rows the queryset would give, on the default database.
    With `prepared`, PostgreSQL also plans each small shape (at most PREPARED_VALUES values)
    once per connection (jobsite.database.prepared_cursor): for a query whose best plan does
    not depend on the values (lookups by key), asked again and again in a few shapes."""

    def __init__(self, build: Callable[..., QuerySet], *, prepared: bool = False, **fields: Field):
        self.build = build
        self.fields = fields
        self.prepared = prepared
        self.compiled: dict = {}

    def rows(self, **values) -> list[tuple]:
        sizes = [len(v) if isinstance(v, list) else None for v in map(values.get, self.fields)]
        shape = (connection.vendor, *sizes)
        compiled = self.compiled.get(shape)
        if compiled is None:
            compiled = self._compile(shape[1:])
            if len(self.compiled) >= MAX_SHAPES:
                self.compiled.clear()  # (a dict another thread may be reading: no eviction)
            self.compiled[shape] = compiled
        if compiled is _EMPTY:
            return []
        sql, slots, converters = compiled
        adapted = {
            name: (
                [field.get_db_prep_value(v, connection) for v in values[name]]
                if isinstance(values[name], list)
                else field.get_db_prep_value(values[name], connection)
            )
            for name, field in self.fields.items()
        }
        params = [
            constant if name is None else adapted[name] if index is None else adapted[name][index]
            for name, index, constant in slots
        ]
        prepare = self.prepared and sum(size or 1 for size in sizes) <= PREPARED_VALUES
        with prepared_cursor(connection) if prepare else connection.cursor() as cursor:
            cursor.execute(sql, params)
            return converted(cursor.fetchall(), converters, connection)

    def _stand_ins(self, shape: tuple, start: int) -> dict:
        n = iter(range(start, start + 1_000_000))
        return {
            name: (
                _stand_in(field, next(n))
                if size is None
                else [_stand_in(field, next(n)) for _ in range(size)]
            )
            for (name, field), size in zip(self.fields.items(), shape, strict=True)
        }

    def _compile(self, shape: tuple):
        """(sql, slots, converters): for each parameter, (input name, index in its list or
        None, None) where a call's value goes, or (None, None, constant)."""
        compiled = []
        for start in _SETS:
            stand_ins = self._stand_ins(shape, start)
            queryset = self.build(**stand_ins)
            compiler = queryset.query.get_compiler(using=queryset.db)
            try:
                sql, params = compiler.as_sql()
            except EmptyResultSet:
                return _EMPTY
            places = {}
            for name, value in stand_ins.items():
                field = self.fields[name]
                for index, one in enumerate(value) if isinstance(value, list) else [(None, value)]:
                    places[field.get_db_prep_value(one, connection)] = (name, index)
            compiled.append((sql, params, places, compiler))
        (sql, params, places, compiler), (other_sql, other_params, other_places, _) = compiled
        if sql != other_sql:
            raise ValueError(f"{self.build.__name__}: a value is written into the SQL")
        slots = []
        for one, other in zip(params, other_params, strict=True):
            place = _place(places, one)
            if place is not None and place == _place(other_places, other):
                slots.append((*place, None))
            elif place is None and one == other:
                slots.append((None, None, one))
            else:
                raise ValueError(f"{self.build.__name__}: a value is transformed ({one!r})")
        return sql, slots, compiler.get_converters([e for e, _, _ in compiler.select])


def _place(places: dict, param):
    try:
        return places.get(param)
    except TypeError:  # an unhashable parameter (a list): no stand-in
        return None


def converted(raw: Iterable[tuple], converters: dict, db, *, later=frozenset()) -> list[tuple]:
    """The rows as the ORM gives them, each distinct raw value of a column converted once (an
    import reads 15,000 plannings of 50 technicians, one skill, a few hundred start times:
    SQLite gives uuids and datetimes as text). `converters`: the compiler's, {index: (functions,
    expression)}; columns at the indexes `later` stay raw; `db`: the connection they were read
    on."""
    steps = [
        (index, found, expression, {})
        for index, (found, expression) in converters.items()
        if index not in later
    ]
    if not steps:
        return [tuple(row) for row in raw]
    rows = []
    for row in raw:
        row = list(row)
        for index, found, expression, seen in steps:
            value = row[index]
            try:
                row[index] = seen[value]
            except KeyError:
                converted_value = value
                for step in found:
                    converted_value = step(converted_value, expression, db)
                row[index] = seen[value] = converted_value
            except TypeError:  # an unhashable raw value (a decoded JSON document)
                for step in found:
                    value = step(value, expression, db)
                row[index] = value
        rows.append(tuple(row))
    return rows


def in_field_order(model, names: set) -> tuple[str, ...]:
    """`names` (attnames) in `model`'s field order: as `Model.from_db` takes a partial row."""
    return tuple(f.attname for f in model._meta.concrete_fields if f.attname in names)
