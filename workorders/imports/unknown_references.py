"""The references of import rows that name nothing the importing user sees (unknown project,
technician, status, skill…), looked up once per distinct value: one rule for the preview, which
reports them for every row of the file before anything runs, and for the import itself, which
reports them beside a row's field errors (a row refused for a bad date would otherwise hide its
unknown project until the next upload)."""

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import QuerySet
from django.db.models.functions import Lower

from jobsite.models import User
from jobsite.tenancy import restrict_to_tenant
from workorders.records import clean_uuid
from workorders.reference_kinds import KINDS, WORK_ORDER_GROUPS

LINES_NAMED = 5


@dataclass
class UnknownReference:
    column: str
    value: str
    message: str
    lines: list[int]  # the first LINES_NAMED
    count: int
    all_lines: list[int] = field(default_factory=list, repr=False)


def _visible(kind, *, user: User) -> QuerySet:
    manager = kind.model._default_manager
    if kind.tenant is None:
        return manager.all()
    field_name = "pk" if kind.tenant == "pk" else kind.tenant
    return restrict_to_tenant(
        manager.all(), user=user, field=field_name, shared_when_empty=kind.shared_when_null
    )


def _reference_columns(kind: str, columns) -> list[tuple[str, str, bool]]:
    """(column, reference kind's name, by id) of the references the file's columns carry."""
    groups = WORK_ORDER_GROUPS if kind == "workorders" else KINDS["project"].groups
    present = set(columns)
    found = []
    for g in groups:
        ref_kind = KINDS[g.kind]
        if g.code_key in present and ref_kind.key:
            found.append((g.code_key, ref_kind.name, False))
        if g.id_key in present:
            found.append((g.id_key, ref_kind.name, True))
    return found


class ReferenceValues:
    """The reference values rows carry, each with the rows (a line, or any position the caller
    names rows by) that carry it; `unknown` looks them up."""

    def __init__(self, kind: str, columns):
        self.columns = _reference_columns(kind, columns)
        self.values: dict = {key: defaultdict(list) for key in self.columns}
        # A parent the same file creates is no unknown reference.
        self.own_references: set[str] = set()

    def add(self, position: int, record: dict) -> None:
        for key in self.columns:
            value = record.get(key[0])
            if value not in (None, ""):
                self.values[key][str(value).strip()].append(position)
        if record.get("reference_back_office"):
            self.own_references.add(str(record["reference_back_office"]))

    def unknown(self, *, user: User) -> list[UnknownReference]:
        """What names nothing `user` sees, by its first position."""
        unknown = []
        for (column, kind_name, by_id), values in self.values.items():
            if values:
                unknown += _unknown_of_column(
                    column, KINDS[kind_name], by_id, values, user, self.own_references
                )
        return sorted(unknown, key=lambda u: (u.lines[0], u.column))

    def problems(self, *, user: User) -> dict[int, dict[str, str]]:
        """{position: {column: message}} of the unknown references."""
        return problems_by_position(self.unknown(user=user))


def problems_by_position(unknown: list[UnknownReference]) -> dict[int, dict[str, str]]:
    by_position = defaultdict(dict)
    for u in unknown:
        for position in u.all_lines:
            by_position[position].setdefault(u.column, u.message)
    return dict(by_position)


def _unknown_of_column(column, kind, by_id, values, user, own_references) -> list:
    if by_id:
        ids = {}
        for value in values:
            try:
                ids[value] = clean_uuid(value)
            except ValueError:
                continue  # the row's own validation says it is no id
        known = {
            str(pk)
            for pk in _visible(kind, user=user)
            .filter(pk__in=list(ids.values()))
            .values_list("pk", flat=True)
        }
        missing = [v for v, pk in ids.items() if str(pk) not in known]

        def message(v):
            return f"Unknown {kind.label} id {v}."
    else:
        queryset = _visible(kind, user=user)
        if kind.key_ci:
            wanted = {v.lower() for v in values}
            stored = set(
                queryset.annotate(k=Lower(kind.key))
                .filter(k__in=wanted)
                .values_list("k", flat=True)
            )
            missing = [v for v in values if v.lower() not in stored]
        else:
            stored = set(
                queryset.filter(**{f"{kind.key}__in": list(values)}).values_list(
                    kind.key, flat=True
                )
            )
            missing = [v for v in values if v not in stored]
        if kind.name == "work_order":
            missing = [v for v in missing if v not in own_references]

        def message(v):
            return f"Unknown {kind.label} {kind.key} {v!r}."

    return [
        UnknownReference(
            column,
            value,
            message(value),
            values[value][:LINES_NAMED],
            len(values[value]),
            values[value],
        )
        for value in missing
    ]
