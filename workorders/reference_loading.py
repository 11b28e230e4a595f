"""The rows a batch of records refers to, read once: every id and code of each kind the batch
names, in one query per embedded kind (full rows: they may be written) and one UNION ALL for
every kind only referred to (the columns the rules read). Lookups by id and by code, with the
one ambiguity policy for codes (jobsite/codes.py), then read from memory."""

import uuid
from collections import defaultdict
from functools import lru_cache
from typing import Any

from django.db import connection, models
from django.db.models.functions import Lower

from jobs.models import JobStatus
from jobsite.codes import choose_by_code, choose_stored_record
from jobsite.compiled_queries import PREPARED_VALUES, in_field_order
from jobsite.database import prepared_cursor
from jobsite.models import Company, User
from jobsite.tenancy import (
    organization_sql,
    restrict_to_tenant,
    sees_sql,
    visible_sales_organization_ids,
)
from workorders.models import (
    Project,
)
from workorders.reference_kinds import (
    KINDS,
    WORK_ORDER_GROUPS,
    Group,
    Kind,
    Ref,
    ambiguous_message,
    as_uuid,
    key_of,
    normalized_key,
)


def _valid_uuids(ids) -> list[uuid.UUID]:
    """The ids that can name a row, each once (as text and as a UUID, an id is one); a
    malformed one is reported by the resolver, not read."""
    valid = {}
    for raw in ids:
        try:
            if raw is not None:
                pk = raw if isinstance(raw, uuid.UUID) else uuid.UUID(str(raw))
                valid[pk] = None
        except ValueError:
            continue
    return list(valid)


def _true(text) -> bool:
    """A boolean cast to text: 'true' on PostgreSQL, '1' on SQLite."""
    return str(text).lower() in ("true", "1")


# What the work order rules read of a status and of a project (_from_union).
_STATUS_COLUMNS = in_field_order(JobStatus, {"id", "code", "number", "life_cycle_state"})
_PROJECT_COLUMNS = in_field_order(
    Project,
    {
        "id",
        "reference_back_office",
        "sales_organization_id",
        "company_id",
        "is_mobile_installation",
        "db_address_id",
    },
)


def _loaded(model, columns: tuple[str, ...], values: dict):
    """`model` as a row loaded with only `columns` (the others deferred, not filled with
    defaults one by one)."""
    return model.from_db("default", columns, [values[name] for name in columns])


def _rule_columns(kind: Kind) -> list[str]:
    """Four more TEXT columns for the kinds whose fields the work order rules read: a status's
    number and state; a project's company, mobile flag, address and company code."""
    qn = connection.ops.quote_name
    if kind.name == "job_status":
        none = "CAST(NULL AS TEXT)"
        return ["CAST(t.number AS TEXT)", "CAST(t.life_cycle_state AS TEXT)", none, none]
    if kind.name == "project":
        company = Company._meta
        return [
            "CAST(t.company_id AS TEXT)",
            "CAST(t.is_mobile_installation AS TEXT)",
            "CAST(t.db_address_id AS TEXT)",
            f"(SELECT CAST(c.code AS TEXT) FROM {qn(company.db_table)} c "
            f"WHERE c.{qn(company.pk.column)} = t.company_id)",
        ]
    if kind.name == "user":  # who may be planned (plannings.Technicians)
        none = "CAST(NULL AS TEXT)"
        return [
            "CAST(t.is_technician AS TEXT)",
            "CAST(t.is_active AS TEXT)",
            f"CAST(t.{qn(User._meta.get_field('username').column)} AS TEXT)",
            none,
        ]
    return ["CAST(NULL AS TEXT)"] * 4


@lru_cache(maxsize=1024)
def _union_part(kind_name: str, n: int, ids: int, keys: int, visible: tuple | None, vendor: str):
    """The SELECT of `_load_refs`'s UNION ALL reading `ids` ids and `keys` keys of a kind, as
    its `n`th part, for a user who sees `visible` (their sales organizations; None: all): made
    once per shape, not on every request (`vendor`: the database it is written for)."""
    kind = KINDS[kind_name]
    qn = connection.ops.quote_name
    meta = kind.model._meta
    rules = ", ".join(_rule_columns(kind))
    table, pk_col = qn(meta.db_table), qn(meta.pk.column)
    conditions = []
    if ids:
        conditions.append(f"t.{pk_col} IN ({', '.join(['%s'] * ids)})")
    key_col = f"t.{qn(meta.get_field(kind.key).column)}"
    if keys:
        lhs = f"LOWER({key_col})" if kind.key_ci else key_col
        conditions.append(f"{lhs} IN ({', '.join(['%s'] * keys)})")
    org = organization_sql(kind.model, kind.tenant, "t")
    where = f"({' OR '.join(conditions)})"
    if kind.tenant:
        visible = None if visible is None else list(visible)
        where += f" AND {sees_sql(org, visible=visible, shared_when_empty=kind.shared_when_null)}"
    return (
        f"SELECT {n}, t.{pk_col}, CAST({key_col} AS TEXT), CAST({org} AS TEXT), {rules} "
        f"FROM {table} t WHERE {where}"
    )


class LoadedReferences:
    """The rows one user's batch of records refers to (what that user may see), by id and by
    code. `created` lists what embedded upserts created, so a caller that rolls back one record
    can `forget(...)` them."""

    def __init__(
        self,
        *,
        records: list[dict],
        by: User,
        groups: tuple[Group, ...] = WORK_ORDER_GROUPS,
        root_kind: str | None = None,
        extra_ids: dict[str, set] | None = None,
    ):
        self.by = by
        self.visible = visible_sales_organization_ids(user=by)
        self._by_pk: dict[str, dict] = defaultdict(dict)
        self._by_key: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
        self.created: list[tuple[str, Any]] = []
        self.writes = 0  # rows embedded upserts saved, so a caller knows a record wrote
        self._embedded_kinds: set[str] = set()
        self._company_codes: dict = {}
        self._technician_rows: dict = {}
        wanted_ids: dict[str, set] = defaultdict(set)
        wanted_keys: dict[str, set] = defaultdict(set)
        for kind_name, ids in (extra_ids or {}).items():
            wanted_ids[kind_name].update(i for i in ids if i)
        for record in records:
            if not isinstance(record, dict):
                continue
            if root_kind is not None:
                self._collect_embedded(KINDS[root_kind], record, wanted_ids, wanted_keys)
            else:
                self._collect(record, groups, wanted_ids, wanted_keys)
        light = []
        # In one order whatever the record's: the same references, the same statement.
        for kind_name in sorted(set(wanted_ids) | set(wanted_keys)):
            kind = KINDS[kind_name]
            if kind_name in self._embedded_kinds:
                self._load(kind, wanted_ids[kind_name], wanted_keys[kind_name])
            else:
                light.append((kind, wanted_ids[kind_name], wanted_keys[kind_name]))
        self._load_refs(light)

    # -- reading ---------------------------------------------------------------------------

    def _collect(self, record: dict, groups, wanted_ids, wanted_keys) -> None:
        for group in groups:
            kind = KINDS[group.kind]
            if group.id_key and isinstance(record.get(group.id_key), str):
                wanted_ids[kind.name].add(record[group.id_key])
            if group.code_key and isinstance(record.get(group.code_key), str):
                wanted_keys[kind.name].add(record[group.code_key])
            embedded = record.get(group.embedded_key) if group.embedded_key else None
            if isinstance(embedded, dict):
                self._collect_embedded(kind, embedded, wanted_ids, wanted_keys)

    def _collect_embedded(self, kind: Kind, data: dict, wanted_ids, wanted_keys) -> None:
        self._embedded_kinds.add(kind.name)
        if isinstance(data.get("id"), str):
            wanted_ids[kind.name].add(data["id"])
        if kind.key and isinstance(data.get(kind.key), str):
            wanted_keys[kind.name].add(data[kind.key])
        self._collect(data, kind.groups, wanted_ids, wanted_keys)

    def _load(self, kind: Kind, ids: set, keys: set) -> None:
        """One query for every id and key of this kind the batch mentions."""
        qs = kind.model._base_manager.all()
        if kind.name == "job_status":
            condition = None
        else:
            pks = _valid_uuids(ids)
            keys = {k for k in keys if k}
            condition = models.Q(pk__in=pks) if pks else None
            if keys:
                if kind.key_ci:
                    qs = qs.annotate(_match_key=Lower(kind.key))
                    by_key = models.Q(_match_key__in={k.lower() for k in keys})
                else:
                    by_key = models.Q(**{f"{kind.key}__in": keys})
                condition = by_key if condition is None else condition | by_key
            if condition is None:
                return
            qs = qs.filter(condition)
        if kind.tenant:
            qs = restrict_to_tenant(
                qs, user=self.by, field=kind.tenant, shared_when_empty=kind.shared_when_null
            )
        if kind.tenant and "__" in kind.tenant:
            qs = qs.annotate(_org_id=models.F(kind.tenant))
        if kind.name == "project":
            qs = qs.select_related("company")  # its code is in every work order answer
        for obj in qs:
            self._remember(kind, obj)

    def _from_union(self, kind: Kind, pk, key, org, extras):
        """A status or project as the rules need it (read-only), or a Ref."""
        # As loaded rows, not through their defaults (a request builds a few).
        if kind.name == "job_status":
            values = {"id": pk, "code": key, "number": int(extras[0])}
            return _loaded(JobStatus, _STATUS_COLUMNS, {**values, "life_cycle_state": extras[1]})
        if kind.name == "project":
            company_id = as_uuid(extras[0])
            self._company_codes[company_id] = extras[3]
            values = {"id": pk, "reference_back_office": key, "sales_organization_id": org}
            values |= {"company_id": company_id, "is_mobile_installation": _true(extras[1])}
            return _loaded(
                Project, _PROJECT_COLUMNS, {**values, "db_address_id": as_uuid(extras[2])}
            )
        if kind.name == "user":
            self._technician_rows[pk] = {
                "pk": pk,
                "username": extras[2],
                "is_technician": _true(extras[0]),
                "is_active": _true(extras[1]),
                "sales_organization_id": org,
            }
        return Ref(pk, key, org)

    def _load_refs(self, wanted: list[tuple[Kind, set, set]]) -> None:
        """Every kind only referred to, in ONE query: UNION ALL of (kind, id, key, org, extras).
        Statuses too, only those named (by the records, or by `extra_ids`: the stored work
        orders' own), not all of them on every request."""
        parts, params, kinds = [], [], []
        visible = None if self.visible is None else tuple(self.visible)
        for kind, ids, keys in wanted:
            pks = _valid_uuids(ids)
            keys = {k for k in keys if k}
            if not pks and not keys:
                continue
            parts.append(
                _union_part(kind.name, len(kinds), len(pks), len(keys), visible, connection.vendor)
            )
            pk = kind.model._meta.pk
            params.extend(pk.get_db_prep_value(v, connection) for v in pks)  # in SQL order
            params.extend(sorted(k.lower() for k in keys) if kind.key_ci else sorted(keys))
            kinds.append(kind)
        if not parts:
            return
        # A record's few references come back in the same shape on every request: planned
        # once per connection.
        prepare = len(params) <= PREPARED_VALUES
        with prepared_cursor(connection) if prepare else connection.cursor() as cursor:
            cursor.execute(" UNION ALL ".join(parts), params)
            for n, pk, key, org, *extras in cursor.fetchall():
                kind = kinds[n]
                self._remember(kind, self._from_union(kind, as_uuid(pk), key, as_uuid(org), extras))

    def _remember(self, kind: Kind, obj) -> None:
        self._by_pk[kind.name][obj.pk] = obj
        if kind.key:
            value = key_of(kind, obj)
            if value:
                bucket = self._by_key[kind.name][normalized_key(kind, value)]
                if obj not in bucket:
                    bucket.append(obj)

    def _forget(self, kind: Kind, obj) -> None:
        self._by_pk[kind.name].pop(obj.pk, None)
        if kind.key and key_of(kind, obj):
            bucket = self._by_key[kind.name].get(normalized_key(kind, key_of(kind, obj)), [])
            if obj in bucket:
                bucket.remove(obj)

    def forget(self, created: list[tuple[str, Any]]) -> None:
        """Drop what a rolled-back record created from the cache."""
        for kind_name, obj in created:
            self._forget(KINDS[kind_name], obj)

    def known_codes(self) -> dict:
        """{(model, key field, id): key} of every row read so far, so an answer can show the
        `x_code` of what the record referred to without reading it again."""
        out = {}
        for kind_name, objects in self._by_pk.items():
            kind = KINDS[kind_name]
            if not kind.key:
                continue
            for pk, obj in objects.items():
                out[(kind.model, kind.key, pk)] = key_of(kind, obj)
                if kind_name == "project" and obj.company_id:
                    if obj.company_id in self._company_codes:
                        out[(Company, "code", obj.company_id)] = self._company_codes[obj.company_id]
                    elif "company" in obj._state.fields_cache:
                        out[(Company, "code", obj.company_id)] = obj.company.code
        return out

    def technician_rows(self) -> list[dict]:
        """What plannings.Technicians reads of the users referred to only, read with them."""
        return list(self._technician_rows.values())

    def get(self, kind_name: str, pk) -> Any | None:
        return self._by_pk[kind_name].get(pk)

    def loaded_ids(self, kind_name: str) -> list:
        """The ids of this kind's rows the batch has read so far."""
        return list(self._by_pk[kind_name])

    def statuses(self) -> dict:
        """The statuses read: those the records name and those of `extra_ids`."""
        return self._by_pk["job_status"]

    @staticmethod
    def org_of(kind: Kind, obj) -> Any:
        if kind.tenant is None:
            return None
        if isinstance(obj, Ref):
            return obj.org
        if kind.tenant == "pk":
            return obj.pk
        if "__" in kind.tenant:
            return getattr(obj, "_org_id", None)
        return getattr(obj, f"{kind.tenant}_id")

    def _by_code(self, kind: Kind, value: str, context_org) -> tuple[Any | None, str | None]:
        return self._chosen(kind, value, choose_by_code, context_org=context_org)

    def stored_by_own_key(
        self, kind: Kind, value: str, organization
    ) -> tuple[Any | None, str | None]:
        """The stored record a record of `kind` being written names by its own key, within its
        `organization` (None: not known), as jobsite.codes.choose_stored_record decides."""
        return self._chosen(kind, value, choose_stored_record, organization=organization)

    def _chosen(self, kind: Kind, value: str, choose, **where) -> tuple[Any | None, str | None]:
        """(the record, None), or (None, why) when `choose` finds the key ambiguous."""
        found, ambiguous = choose(
            self._by_key[kind.name].get(normalized_key(kind, value), []),
            organization_of=lambda candidate: self.org_of(kind, candidate),
            **where,
        )
        if ambiguous:
            return None, ambiguous_message(kind, value)
        return found, None

    def named_organization(self, record: dict, group: Group):
        """The sales organization of the row `record` names in `group`, read without writing
        anything: by its id (an embedded object's, else the record's), else its key (only one
        row may hold it: there is no context yet). None when it names none or none resolves."""
        kind = KINDS[group.kind]
        embedded = record.get(group.embedded_key) if group.embedded_key else None
        embedded = embedded if isinstance(embedded, dict) else {}
        raw_id = embedded.get("id") or (record.get(group.id_key) if group.id_key else None)
        if raw_id:
            ids = _valid_uuids([raw_id])
            found = self.get(kind.name, ids[0]) if ids else None
        else:
            key = embedded.get(kind.key) or (record.get(group.code_key) if group.code_key else None)
            found = self._by_code(kind, key, None)[0] if isinstance(key, str) and key else None
        return None if found is None else self.org_of(kind, found)
