"""The kinds of record a seed-004 body refers to, and how it names them (DESIGN "Rules").

A record names a related record with `x_id`, `x_code` / `x_reference_back_office` or an
embedded object `x` (a Group); each kind says its model, its key, how it is scoped to a sales
organization and which of its fields an embedded object may write. The resolver
(workorders/references.py) and the set-based import read these definitions."""

import uuid
from dataclasses import dataclass, field
from functools import cached_property

from django.db import models

from jobs.models import JobPriority, JobStatus, JobType
from jobsite.models import Address, Company, Contact, Country, SalesOrganization, Skill, User
from jobsite.tenancy import may_refer
from workorders.models import (
    EquipmentBrand,
    EquipmentFamily,
    EquipmentModel,
    Project,
    ProjectStatus,
    WorkOrder,
)
from workorders.records import Scalar


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
    # The group whose row's sales organization a record of this kind takes (a project: its
    # company's), where its own reference is matched.
    organization_from: str | None = None


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
            organization_from="company",
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


def other_organization_message(kind: Kind) -> str:
    return f"This {kind.label} belongs to another sales organization."


def ambiguous_message(kind: Kind, value: str) -> str:
    """A code or reference several records share, none of them the record's organization's."""
    return f"{value!r} names several {kind.label} records; give the id."


def references_of_other_organizations(
    *, instance: models.Model, groups: tuple[Group, ...], sales_organization_id
) -> dict[str, str]:
    """{field: message} for each row `instance` (a form's) refers to that `may_refer` refuses.
    The resolver checks the same for the API, bulk and imports (foreign_references)."""
    errors = {}
    for g in groups:
        kind = KINDS[g.kind]
        pk = getattr(instance, f"{g.field}_id", None)
        if pk is None or kind.tenant in (None, "pk"):
            continue
        manager = kind.model._default_manager
        owner = manager.filter(pk=pk).values_list(kind.tenant, flat=True).first()
        if not may_refer(
            record_organization=sales_organization_id,
            organization=owner,
            shared_when_empty=kind.shared_when_null,
        ):
            errors[g.field] = other_organization_message(kind)
    return errors


def key_of(kind: Kind, obj) -> str | None:
    return obj.key if isinstance(obj, Ref) else getattr(obj, kind.key)


def assign(instance: models.Model, field_name: str, value) -> None:
    """Point `instance.<field_name>` at a resolved reference (a model instance, a Ref or None)."""
    if isinstance(value, Ref):
        setattr(instance, f"{field_name}_id", value.pk)
    else:
        setattr(instance, field_name, value)


def as_uuid(value):
    if value is None or isinstance(value, uuid.UUID):
        return value
    return uuid.UUID(str(value))


def normalized_key(kind: Kind, value: str) -> str:
    return value.lower() if kind.key_ci else value
