"""Reference resolution (DESIGN "Rules"), once, for every entry path and for whole batches.

A seed-004 record names a related record with `x_id`, `x_code` / `x_reference_back_office` or an
embedded object `x`. An embedded object is upserted first (matched by its id, else its code or
reference; created when neither matches) and becomes the reference; an id or code given beside it
must name the same record. Without one, the id decides, else the code. Unknown or disagreeing
identifiers are errors naming the field path (`job_type_id`, `project.equipment_model.code`).

`ReferenceResolver(records=..., by=...)` walks every record of a batch first and loads each kind
of reference with ONE query (ids and codes together), so resolving 1 or 10,000 records costs the
same number of reads. Codes match case-insensitively; references back office match exactly (they
are the ERP's keys and unique as written).

What an embedded object may do is bounded by tenancy: sales organizations, countries, companies,
contacts, addresses, statuses and parent work orders are only referenced, never created from a
work order body; records shared by every tenant (a global job type) are referenced, not changed,
unless the caller is a superuser. Directory records (users, skills, companies, contacts,
addresses) are written from an embedded object only for a caller with Django's change (and, to
create, add) permission on the model (`may_write_embedded`); for anyone else the object is a
reference matched by id, else key, and its other fields are ignored."""

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from django.db import connection, models
from django.db.models.functions import Lower

from jobs.models import JobPriority, JobStatus, JobType
from jobsite.codes import choose_by_code
from jobsite.errors import ServiceError
from jobsite.models import Address, Company, Contact, Country, SalesOrganization, Skill, User
from jobsite.tenancy import (
    may_refer,
    organization_for_new_record,
    organization_sql,
    restrict_to_tenant,
    sees_sql,
    visible_sales_organization_ids,
)
from workorders.models import (
    EquipmentBrand,
    EquipmentFamily,
    EquipmentModel,
    Project,
    ProjectStatus,
    WorkOrder,
)
from workorders.records import Scalar, clean_scalar, clean_uuid
from workorders.system_fields import apply_project_system_fields, save_project


class UnresolvedReference(Exception):
    def __init__(self, errors: dict[str, str]):
        super().__init__(errors)
        self.errors = errors


@dataclass(frozen=True)
class Group:
    """How a record names one related record: `<id_key>`, `<code_key>` (its code or reference)
    and/or `<embedded_key>`."""

    field: str  # the model's foreign key
    kind: str
    id_key: str | None = None
    code_key: str | None = None
    embedded_key: str | None = None
    required: bool = False  # on create

    @cached_property  # read for every group of every record
    def input_keys(self) -> tuple[str, ...]:
        return tuple(k for k in (self.id_key, self.code_key, self.embedded_key) if k)

    def given_key(self, record: dict) -> str:
        """The key a record named the reference by, for an error message that points at it."""
        return next((k for k in self.input_keys if k in record), self.input_keys[0])


@dataclass
class Kind:
    name: str
    label: str
    model: type[models.Model]
    key: str | None  # "code" or "reference_back_office"
    key_ci: bool = True
    tenant: str | None = "sales_organization"  # lookup to the sales organization id
    shared_when_null: bool = False  # a null sales organization: visible to every tenant
    scalars: dict[str, Scalar] = field(default_factory=dict)  # empty: reference only
    groups: tuple[Group, ...] = ()
    defaults_to_context_org: bool = False


def _scalars(model, names, renames=None) -> dict[str, Scalar]:
    """Scalar specs from the model's own fields: lengths and types stay in one place."""
    renames = renames or {}
    specs = {}
    for name in names:
        f = model._meta.get_field(renames.get(name, name))
        if isinstance(f, models.BooleanField):
            kind = "bool"
        elif isinstance(f, models.DateTimeField):
            kind = "datetime"
        elif isinstance(f, models.IntegerField):
            kind = "int"
        elif isinstance(f, models.JSONField):
            kind = "json"
        elif isinstance(f, models.TextField):
            kind = "text"
        else:
            kind = "str"
        specs[name] = Scalar(
            f.name,
            kind,
            max_length=getattr(f, "max_length", None),
            nullable=f.null and kind in ("str", "text"),
            min_value=-(2**31) if kind == "int" else None,
            max_value=2**31 - 1 if kind == "int" else None,
        )
    return specs


def _org_group(*, code=True, embedded=True) -> Group:
    return Group(
        "sales_organization",
        "sales_organization",
        "sales_organization_id",
        "sales_organization_code" if code else None,
        "sales_organization" if embedded else None,
    )


KINDS: dict[str, Kind] = {
    k.name: k
    for k in [
        Kind("sales_organization", "sales organization", SalesOrganization, "code", tenant="pk"),
        Kind("country", "country", Country, "code", tenant=None),
        Kind("company", "company", Company, "code"),
        Kind(
            "contact",
            "contact",
            Contact,
            "reference_back_office",
            key_ci=False,
            tenant="company__sales_organization",
        ),
        Kind("address", "address", Address, "code"),
        Kind("job_status", "job status", JobStatus, "code", tenant=None),
        Kind("work_order", "work order", WorkOrder, "reference_back_office", key_ci=False),
        Kind(
            "job_type",
            "job type",
            JobType,
            "code",
            shared_when_null=True,
            scalars=_scalars(JobType, ["code", "name", "description"]),
            groups=(_org_group(code=False, embedded=False),),
            defaults_to_context_org=True,
        ),
        Kind(
            "job_priority",
            "job priority",
            JobPriority,
            "code",
            shared_when_null=True,
            scalars=_scalars(JobPriority, ["code", "name", "sequence"]),
            groups=(_org_group(),),
            defaults_to_context_org=True,
        ),
        Kind(
            "skill",
            "skill",
            Skill,
            "code",
            scalars=_scalars(Skill, ["code", "name", "description"]),
            groups=(_org_group(),),
            defaults_to_context_org=True,
        ),
        Kind(
            "project_status",
            "project status",
            ProjectStatus,
            "code",
            scalars=_scalars(ProjectStatus, ["code", "name", "is_closed"]),
            groups=(_org_group(),),
            defaults_to_context_org=True,
        ),
        Kind(
            "equipment_brand",
            "equipment brand",
            EquipmentBrand,
            "code",
            scalars=_scalars(EquipmentBrand, ["code", "name"]),
            groups=(_org_group(),),
            defaults_to_context_org=True,
        ),
        Kind(
            "equipment_family",
            "equipment family",
            EquipmentFamily,
            "code",
            scalars=_scalars(EquipmentFamily, ["code", "name", "description"]),
            groups=(
                Group("parent", "equipment_family", "_parent_id", "_parent_code"),
                _org_group(),
            ),
            defaults_to_context_org=True,
        ),
        Kind(
            "equipment_model",
            "equipment model",
            EquipmentModel,
            "code",
            scalars=_scalars(
                EquipmentModel,
                [
                    "code",
                    "name",
                    "description",
                    "date_in_production_since",
                    "date_out_of_production_since",
                    "date_end_support",
                    "replacement_period_nb_months",
                    "warranty_period_nb_months",
                    "translations",
                ],
            ),
            groups=(
                Group(
                    "equipment_brand",
                    "equipment_brand",
                    "equipment_brand_id",
                    "equipment_brand_code",
                    "equipment_brand",
                ),
                Group(
                    "equipment_family",
                    "equipment_family",
                    "equipment_family_id",
                    "equipment_family_code",
                    "equipment_family",
                ),
                _org_group(),
            ),
            defaults_to_context_org=True,
        ),
        Kind(
            "project",
            "project",
            Project,
            "reference_back_office",
            key_ci=False,
            scalars=_scalars(
                Project,
                [
                    "name",
                    "description",
                    "reference_back_office",
                    "location",
                    "serial_number",
                    "barcode",
                    "date_start_production",
                    "customer_reference",
                    "warranty_date_until",
                    "date_built",
                    "shutdown_consequence",
                    "last_standard_result_score_1",
                    "last_standard_result_score_2",
                    "target_standard_result_score_1",
                    "target_standard_result_score_2",
                    "back_office_timestamp",
                    "is_mobile_installation",
                ],
            ),
            groups=(
                Group("parent", "project", "_parent_id", "_parent_reference_back_office"),
                Group("root_parent", "project", "root_parent_id"),
                Group(
                    "equipment_family",
                    "equipment_family",
                    "equipment_family_id",
                    "equipment_family_code",
                    "equipment_family",
                ),
                Group(
                    "equipment_model",
                    "equipment_model",
                    "equipment_model_id",
                    "equipment_model_code",
                    "equipment_model",
                ),
                Group(
                    "project_status",
                    "project_status",
                    "project_status_id",
                    "project_status_code",
                    "project_status",
                ),
                Group("company", "company", "company_id", "company_code", required=True),
                Group("db_address", "address", "db_address_id", "db_address_code"),
                Group("contact", "contact", "contact_id", "contact_reference_back_office"),
                Group("owner_user", "user", "owner_user_id"),
            ),
        ),
        Kind(
            "user",
            "user",
            User,
            "code",
            scalars=_scalars(
                User,
                [
                    "username",
                    "firstname",
                    "lastname",
                    "code",
                    "email",
                    "phone",
                    "mobile",
                    "archived",
                    "disabled",
                    "is_team_leader",
                ],
                renames={"firstname": "first_name", "lastname": "last_name"},
            ),
            groups=(_org_group(), Group("team_leader", "user", "team_leader_user_id")),
            defaults_to_context_org=True,
        ),
    ]
}

# How a seed-004 work order names its related records.
WORK_ORDER_GROUPS: tuple[Group, ...] = (
    Group(
        "project",
        "project",
        "project_id",
        "project_reference_back_office",
        "project",
        required=True,
    ),
    Group(
        "parent", "work_order", "_parent_id", "_parent_jobs_reference_back_office", "_parent_job"
    ),
    Group("job_type", "job_type", "job_type_id", "job_type_code", "job_type", required=True),
    Group("job_priority", "job_priority", "job_priority_id", "job_priority_code", "job_priority"),
    Group("job_status", "job_status", "job_status_id", "job_status_code", required=True),
    Group("db_address", "address", "db_address_id"),
    Group("contact", "contact", "contact_id"),
    Group("requested_by_company", "company", "requested_by_company_id"),
    Group("requested_by_contact", "contact", "requested_by_contact_id"),
    Group("suggested_user", "user", "suggested_user_id", "suggested_user_code", "suggested_user"),
    Group("skill", "skill", "skill_id", "skill_code", "skill"),
    Group("approval_responsible_user", "user", "approval_responsible_user_id"),
    Group(
        "db_address_country", "country", "db_address_db_country_id", "db_address_db_country_code"
    ),
)

ABSENT = object()  # the record does not mention the group: leave the reference as it is

# Directory records (DESIGN "Rules", embedded directory records): an embedded object of these
# kinds writes only for a caller with Django's model permissions; for anyone else it is a reference.
DIRECTORY_KINDS = frozenset({"user", "skill", "company", "contact", "address"})


def may_write_embedded(*, by, kind: Kind, creating: bool = False) -> bool:
    """Whether `by` may update (or, with `creating`, create) a `kind` record from an embedded
    object. The one place this is decided, for every entry path (API, bulk, imports).

    Directory kinds need `<app>.change_<model>` (and `<app>.add_<model>` to create); other
    kinds follow the upsert rule. Superusers hold every permission."""
    if kind.name not in DIRECTORY_KINDS:
        return True
    if by is None:
        return False
    meta = kind.model._meta
    if not by.has_perm(f"{meta.app_label}.change_{meta.model_name}"):
        return False
    return not creating or by.has_perm(f"{meta.app_label}.add_{meta.model_name}")


class Ref:
    """A referenced row read only to be referred to: its id, key and sales organization.
    (Rows an embedded object may change are loaded whole instead.)"""

    __slots__ = ("key", "org", "pk")

    def __init__(self, pk, key, org):
        self.pk, self.key, self.org = pk, key, org

    def __eq__(self, other):
        return isinstance(other, Ref) and other.pk == self.pk

    def __hash__(self):
        return hash(self.pk)


def references_of_other_organizations(
    *, instance: models.Model, groups: tuple[Group, ...], sales_organization_id
) -> dict[str, str]:
    """{field: message} for each row `instance` refers to that another sales organization owns.

    The API, bulk and imports resolve references within the record's organization, so they
    never find such a row; a form that lists every organization (a superuser's) can pick one."""
    errors = {}
    if sales_organization_id is None:
        return errors
    for g in groups:
        kind = KINDS[g.kind]
        pk = getattr(instance, f"{g.field}_id", None)
        if pk is None or kind.tenant in (None, "pk"):
            continue
        manager = kind.model._default_manager
        owner = manager.filter(pk=pk).values_list(kind.tenant, flat=True).first()
        # A row of no organization (shared, or from before addresses had one) fits any.
        if owner is not None and owner != sales_organization_id:
            errors[g.field] = f"This {kind.label} belongs to another sales organization."
    return errors


def key_of(kind: Kind, obj) -> str | None:
    return obj.key if isinstance(obj, Ref) else getattr(obj, kind.key)


def assign(instance: models.Model, field_name: str, value) -> None:
    """Point `instance.<field_name>` at a resolved reference (a model instance, a Ref or None)."""
    if isinstance(value, Ref):
        setattr(instance, f"{field_name}_id", value.pk)
    else:
        setattr(instance, field_name, value)


def _as_uuid(value):
    if value is None or isinstance(value, uuid.UUID):
        return value
    return uuid.UUID(str(value))


def _norm_key(kind: Kind, value: str) -> str:
    return value.lower() if kind.key_ci else value


class ReferenceResolver:
    """Resolves the references of a batch of records for one user.

    Construct it with every record (it reads each kind of reference once), then call
    `resolve(record=..., groups=...)` per record. `created` lists what embedded upserts created,
    so a caller that rolls back one record can `forget(...)` them."""

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
        for kind_name in set(wanted_ids) | set(wanted_keys):
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
            pks = []
            for raw in ids:
                try:
                    if raw is not None:
                        pks.append(uuid.UUID(str(raw)))
                except ValueError:
                    continue
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

    def _extras(self, kind: Kind) -> list[str]:
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
        return ["CAST(NULL AS TEXT)"] * 4

    def _from_union(self, kind: Kind, pk, key, org, extras):
        """A status or project as the rules need it (read-only), or a Ref."""
        if kind.name == "job_status":
            obj = JobStatus(id=pk, code=key, number=int(extras[0]), life_cycle_state=extras[1])
        elif kind.name == "project":
            obj = Project(
                id=pk,
                reference_back_office=key,
                sales_organization_id=org,
                company_id=_as_uuid(extras[0]),
                is_mobile_installation=str(extras[1]).lower() in ("true", "1"),
                db_address_id=_as_uuid(extras[2]),
            )
            self._company_codes[obj.company_id] = extras[3]
        else:
            return Ref(pk, key, org)
        obj._state.adding = False
        obj._state.db = "default"
        return obj

    def _load_refs(self, wanted: list[tuple[Kind, set, set]]) -> None:
        """Every kind only referred to, in ONE query: UNION ALL of (kind, id, key, org, extras).
        All statuses come along (they are few)."""
        qn = connection.ops.quote_name
        parts, params, kinds = [], [], []
        if "job_status" not in {kind.name for kind, _, _ in wanted}:
            wanted = [*wanted, (KINDS["job_status"], set(), set())]
        for kind, ids, keys in wanted:
            meta = kind.model._meta
            if kind.name == "job_status":
                parts.append(
                    f"SELECT {len(kinds)}, t.id, CAST(t.code AS TEXT), CAST(NULL AS TEXT), "
                    f"{', '.join(self._extras(kind))} FROM {qn(meta.db_table)} t"
                )
                kinds.append(kind)
                continue
            pks = []
            for raw in ids:
                try:
                    if raw is not None:
                        pks.append(uuid.UUID(str(raw)))
                except ValueError:
                    continue
            keys = {k for k in keys if k}
            if not pks and not keys:
                continue
            table, pk_col = qn(meta.db_table), qn(meta.pk.column)
            conditions = []
            if pks:
                conditions.append(f"t.{pk_col} IN ({', '.join(['%s'] * len(pks))})")
                params_ids = [meta.pk.get_db_prep_value(v, connection) for v in pks]
            else:
                params_ids = []
            key_col = f"t.{qn(meta.get_field(kind.key).column)}"
            if keys:
                lhs = f"LOWER({key_col})" if kind.key_ci else key_col
                conditions.append(f"{lhs} IN ({', '.join(['%s'] * len(keys))})")
            params_keys = sorted(k.lower() for k in keys) if kind.key_ci else sorted(keys)
            org = organization_sql(kind.model, kind.tenant, "t")
            where = f"({' OR '.join(conditions)})"
            if kind.tenant:
                visible = sees_sql(
                    org, visible=self.visible, shared_when_empty=kind.shared_when_null
                )
                where += f" AND {visible}"
            parts.append(
                f"SELECT {len(kinds)}, t.{pk_col}, CAST({key_col} AS TEXT), CAST({org} AS TEXT), "
                f"{', '.join(self._extras(kind))} FROM {table} t WHERE {where}"
            )
            params.extend(params_ids + params_keys)  # in SQL order
            kinds.append(kind)
        if not parts:
            return
        with connection.cursor() as cursor:
            cursor.execute(" UNION ALL ".join(parts), params)
            for n, pk, key, org, *extras in cursor.fetchall():
                kind = kinds[n]
                self._remember(
                    kind, self._from_union(kind, _as_uuid(pk), key, _as_uuid(org), extras)
                )

    def _remember(self, kind: Kind, obj) -> None:
        self._by_pk[kind.name][obj.pk] = obj
        if kind.key:
            value = key_of(kind, obj)
            if value:
                bucket = self._by_key[kind.name][_norm_key(kind, value)]
                if obj not in bucket:
                    bucket.append(obj)

    def _forget(self, kind: Kind, obj) -> None:
        self._by_pk[kind.name].pop(obj.pk, None)
        if kind.key and key_of(kind, obj):
            bucket = self._by_key[kind.name].get(_norm_key(kind, key_of(kind, obj)), [])
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

    def get(self, kind_name: str, pk) -> Any | None:
        return self._by_pk[kind_name].get(pk)

    def loaded_ids(self, kind_name: str) -> list:
        """The ids of this kind's rows the batch has read so far."""
        return list(self._by_pk[kind_name])

    def statuses(self) -> dict:
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
        found, ambiguous = choose_by_code(
            self._by_key[kind.name].get(_norm_key(kind, value), []),
            organization_of=lambda candidate: self.org_of(kind, candidate),
            context_org=context_org,
        )
        if ambiguous:
            return None, f"{value!r} names several {kind.label} records; give the id."
        return found, None

    def foreign_references(
        self, *, record: dict, refs: dict, groups: tuple[Group, ...], organization
    ) -> dict[str, str]:
        """Errors, by the key the record used, for each reference it gives to a row of another
        sales organization than `organization` (the record's own): superusers see every
        organization, but one record stays within one."""
        errors = {}
        for group in groups:
            obj = refs.get(group.field)
            if obj is None:
                continue
            kind = KINDS[group.kind]
            if kind.tenant is None or may_refer(
                record_organization=organization,
                organization=self.org_of(kind, obj),
                shared_when_empty=kind.shared_when_null,
            ):
                continue
            errors[group.given_key(record)] = (
                f"This {kind.label} belongs to another sales organization than the record."
            )
        return errors

    # -- resolving -------------------------------------------------------------------------

    def resolve(
        self, *, record: dict, groups: tuple[Group, ...], prefix: str = "", context_org=None
    ) -> tuple[dict[str, Any], dict[str, str]]:
        """`{fk field: object or None}` for the groups the record mentions, and errors by path.

        The first group (the project, for work orders) sets the context sales organization the
        others' codes are looked up in."""
        values: dict[str, Any] = {}
        errors: dict[str, str] = {}
        for group in groups:
            try:
                value = self._resolve_group(record, group, prefix, context_org)
            except UnresolvedReference as exc:
                errors.update(exc.errors)
                continue
            if value is ABSENT:
                continue
            values[group.field] = value
            if group.kind == "project" and value is not None and context_org is None:
                context_org = value.sales_organization_id
        return values, errors

    def _resolve_group(self, record: dict, group: Group, prefix: str, context_org) -> Any:
        kind = KINDS[group.kind]
        if record.keys().isdisjoint(group.input_keys):
            return ABSENT
        result = None
        embedded_path = f"{prefix}{group.embedded_key}"
        embedded = record.get(group.embedded_key) if group.embedded_key else None
        if embedded is not None:
            if not isinstance(embedded, dict):
                raise UnresolvedReference({embedded_path: "Must be an object."})
            result = self.upsert(
                kind=kind, data=embedded, path=embedded_path, context_org=context_org
            )
        raw_id = record.get(group.id_key) if group.id_key else None
        if raw_id not in (None, ""):
            path = f"{prefix}{group.id_key}"
            try:
                pk = clean_uuid(raw_id)
            except ValueError as exc:
                raise UnresolvedReference({path: str(exc)}) from exc
            if result is not None:
                if result.pk != pk:
                    raise UnresolvedReference(
                        {path: f"Does not name the same {kind.label} as {embedded_path}."}
                    )
            else:
                result = self.get(kind.name, pk)
                if result is None:
                    raise UnresolvedReference({path: f"Unknown {kind.label} id {raw_id}."})
        raw_key = record.get(group.code_key) if group.code_key else None
        if raw_key not in (None, ""):
            path = f"{prefix}{group.code_key}"
            if not isinstance(raw_key, str):
                raise UnresolvedReference({path: "Must be a string."})
            if result is not None:
                if _norm_key(kind, key_of(kind, result) or "") != _norm_key(kind, raw_key):
                    other = embedded_path if embedded is not None else f"{prefix}{group.id_key}"
                    raise UnresolvedReference(
                        {path: f"Does not name the same {kind.label} as {other}."}
                    )
            else:
                result, problem = self._by_code(kind, raw_key, context_org)
                if problem:
                    raise UnresolvedReference({path: problem})
                if result is None:
                    message = f"Unknown {kind.label} {kind.key} {raw_key!r}."
                    raise UnresolvedReference({path: message})
        return result

    def upsert(self, *, kind: Kind, data: dict, path: str, context_org=None) -> Any:
        """An embedded object: matched by id, else key; updated or created (kinds that allow it).
        Raises UnresolvedReference naming `path.<field>`."""
        p = f"{path}." if path else ""
        try:
            pk = clean_uuid(data.get("id"))
        except ValueError as exc:
            raise UnresolvedReference({f"{p}id": str(exc)}) from exc
        raw_key = data.get(kind.key) if kind.key else None
        if raw_key is not None and not isinstance(raw_key, str):
            raise UnresolvedReference({f"{p}{kind.key}": "Must be a string."})
        obj = self.get(kind.name, pk) if pk else None
        if obj is None and raw_key and pk is None:
            obj, problem = self._by_code(kind, raw_key, context_org)
            if problem:
                raise UnresolvedReference({f"{p}{kind.key}": problem})
        if not kind.scalars or not may_write_embedded(by=self.by, kind=kind, creating=obj is None):
            # Reference only: matched by id, else key; its other fields are ignored.
            if obj is None:
                where = f"{p}id" if pk else f"{p}{kind.key}"
                raise UnresolvedReference({where: f"Unknown {kind.label}."})
            if (
                pk
                and raw_key
                and _norm_key(kind, key_of(kind, obj) or "") != _norm_key(kind, raw_key)
            ):
                raise UnresolvedReference({f"{p}{kind.key}": f"Does not name {kind.label} {pk}."})
            return obj

        errors: dict[str, str] = {}
        own_org = obj and self.org_of(kind, obj)
        refs, ref_errors = self.resolve(
            record=data, groups=kind.groups, prefix=p, context_org=own_org or context_org
        )
        errors.update(ref_errors)
        values = {}
        for name, spec in kind.scalars.items():
            if name in data:
                try:
                    values[spec.field] = clean_scalar(spec, data[name])
                except ValueError as exc:
                    errors[f"{p}{name}"] = str(exc)
        if errors:
            raise UnresolvedReference(errors)
        shared = obj is not None and kind.tenant == "sales_organization" and own_org is None
        if shared and self.visible is not None:
            return obj  # shared by every tenant: referenced, not changed
        return self._write(kind, obj, pk, values, refs, p, context_org)

    def _write(self, kind: Kind, obj, pk, values: dict, refs: dict, p: str, context_org):
        creating = obj is None
        if creating:
            obj = kind.model(**({"id": pk} if pk else {}))
        changed = []
        for name, value in values.items():
            if getattr(obj, name) != value:
                setattr(obj, name, value)
                changed.append(name)
        for name, value in refs.items():
            if getattr(obj, f"{name}_id") != (value.pk if value else None):
                assign(obj, name, value)
                changed.append(name)
        errors = {}
        if kind.name == "project":
            if obj.company_id is None:
                errors[f"{p}company_id"] = "A new project needs company_id or company_code."
            elif (creating or "company" in changed) and (
                obj.sales_organization_id != obj.company.sales_organization_id
            ):
                apply_project_system_fields(project=obj)
                changed.append("sales_organization")
        elif "sales_organization" in {f.name for f in kind.model._meta.fields} and (
            getattr(obj, "sales_organization_id", None) is None
            and kind.defaults_to_context_org
            and creating
        ):
            required = not kind.model._meta.get_field("sales_organization").null
            try:
                obj.sales_organization_id = organization_for_new_record(
                    by=self.by,
                    context=context_org,
                    required=f"{p}sales_organization_id" if required else None,
                )
            except ServiceError as exc:
                errors[exc.field] = exc.message
        if creating:
            for name, spec in kind.scalars.items():
                f = kind.model._meta.get_field(spec.field)
                if spec.kind == "str" and not f.blank and not getattr(obj, spec.field):
                    errors[f"{p}{name}"] = f"Required to create a {kind.label}."
        if kind.tenant == "sales_organization" and self.visible is not None:
            org = getattr(obj, "sales_organization_id", None)
            if org is not None and org not in self.visible:
                errors[f"{p}sales_organization_id"] = "Unknown sales organization."
        if creating and pk is not None and kind.model._base_manager.filter(pk=pk).exists():
            errors[f"{p}id"] = f"Unknown {kind.label}."  # another sales organization's
        if errors:
            raise UnresolvedReference(errors)
        if kind.key and getattr(obj, kind.key, None):
            other, _ = self._by_code(kind, getattr(obj, kind.key), self.org_of(kind, obj))
            if (
                other is not None
                and other.pk != obj.pk
                and (
                    kind.key == "reference_back_office"
                    or self.org_of(kind, other) == self.org_of(kind, obj)
                )
            ):
                raise UnresolvedReference(
                    {f"{p}{kind.key}": f"Already used by another {kind.label} ({other.pk})."}
                )
        if creating or changed:
            self.writes += 1
        if kind.name == "project" and (creating or changed):
            save_project(project=obj, by=self.by)
            if creating:
                self.created.append((kind.name, obj))
        elif creating:
            if kind.name == "user":
                obj.set_unusable_password()
            obj.save(force_insert=True)
            self.created.append((kind.name, obj))
        elif changed:
            auto = [f.name for f in kind.model._meta.fields if getattr(f, "auto_now", False)]
            obj.save(update_fields=sorted(set(changed) | set(auto)))
        self._remember(kind, obj)
        return obj
