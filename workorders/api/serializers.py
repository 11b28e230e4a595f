"""OpenAPI descriptions of the seed-004 bodies.

The rules live in `workorders.services` / `workorders.references` / `workorders.records`; these
serializers only tell drf-spectacular (and the readers of /api/docs/) what goes in and out. They
are built from the same tables the service validates with, so the documented lengths and types
cannot drift from the enforced ones."""

from functools import cache

from django.db import models
from rest_framework import serializers

from jobsite.api.fields import UUIDField
from workorders.models import JobPlanning, Project, WorkOrder
from workorders.records import WORK_ORDER_SCALARS, WORK_ORDER_SYSTEM_FIELDS, Scalar
from workorders.reference_kinds import KINDS, WORK_ORDER_GROUPS, Group
from workorders.seed004_rows import PLANNING_FIELDS, PROJECT_FIELDS, WORK_ORDER_FIELDS, Code


def _scalar_field(spec: Scalar, *, help_text: str = "") -> serializers.Field:
    common = {"required": False, "allow_null": True, "help_text": help_text or None}
    if spec.kind in ("str", "text"):
        return serializers.CharField(
            max_length=spec.max_length, allow_blank=True, trim_whitespace=False, **common
        )
    if spec.kind == "int":
        return serializers.IntegerField(**common)
    if spec.kind == "bool":
        return serializers.BooleanField(**common)
    if spec.kind == "datetime":
        return serializers.DateTimeField(**common)
    if spec.kind == "decimal":
        return serializers.FloatField(**common)
    return serializers.JSONField(**common)


def _class_name(kind_name: str) -> str:
    return "".join(part.title() for part in kind_name.split("_"))


def _group_fields(groups: tuple[Group, ...]) -> dict:
    fields = {}
    for group in groups:
        label = KINDS[group.kind].label
        if group.id_key:
            fields[group.id_key] = UUIDField(
                required=False, allow_null=True, help_text=f"Id of the {label}."
            )
        if group.code_key:
            fields[group.code_key] = serializers.CharField(
                required=False,
                allow_null=True,
                help_text=f"The {label} by {KINDS[group.kind].key} (codes: any case).",
            )
        if group.embedded_key:
            fields[group.embedded_key] = embedded_serializer(group.kind)(
                required=False,
                allow_null=True,
                help_text=f"Embedded {label}: upserted first (matched by id, else "
                f"{KINDS[group.kind].key}), then referenced.",
            )
    return fields


@cache
def embedded_serializer(kind_name: str) -> type[serializers.Serializer]:
    """An embedded seed-004 object (`project`, `job_type`, ...), described from its Kind."""
    kind = KINDS[kind_name]
    fields = {"id": UUIDField(required=False, allow_null=True)}
    if not kind.scalars and kind.key:
        fields[kind.key] = serializers.CharField(required=False, allow_null=True)
    for name, spec in kind.scalars.items():
        fields[name] = _scalar_field(spec)
    fields.update(_group_fields(kind.groups))
    suffix = "Reference" if not kind.scalars else "Embedded"
    return type(f"{_class_name(kind_name)}{suffix}", (serializers.Serializer,), fields)


def _input_fields() -> dict:
    fields = {
        "id": UUIDField(
            required=False, help_text="Primary key; must equal the id in the URL when given."
        ),
        "id2": serializers.IntegerField(
            required=False,
            allow_null=True,
            help_text="Internal number; taken on create when given, else allocated.",
        ),
    }
    fields.update(_group_fields(WORK_ORDER_GROUPS))
    for name, spec in WORK_ORDER_SCALARS.items():
        fields[name] = _scalar_field(spec)
    fields["name"] = serializers.CharField(max_length=255, help_text="Required.")
    for name in sorted(WORK_ORDER_SYSTEM_FIELDS):
        fields[name] = serializers.CharField(
            required=False, allow_null=True, help_text="Filled by the system; ignored on input."
        )
    return fields


WorkOrderInputSerializer = type(
    "WorkOrderInputSerializer",
    (serializers.Serializer,),
    {
        **_input_fields(),
        "__doc__": "A seed-004 work order. Required on create: name, a project, a job type "
        "and a job status (each by id, code/reference or embedded object).",
    },
)


def _output_field(model, spec: str | Code) -> serializers.Field:
    if isinstance(spec, Code):
        f, nullable = spec.model._meta.get_field(spec.field), True
    else:
        f = model._meta.get_field(spec.removesuffix("_id") if spec.endswith("_id") else spec)
        nullable = f.null
    if f.is_relation or isinstance(f, models.UUIDField):
        return serializers.UUIDField(allow_null=nullable)
    if isinstance(f, models.BooleanField):
        return serializers.BooleanField()
    if isinstance(f, models.DateTimeField):
        return serializers.DateTimeField(allow_null=nullable)
    if isinstance(f, models.IntegerField):
        return serializers.IntegerField(allow_null=nullable)
    if isinstance(f, models.DecimalField):
        return serializers.FloatField(allow_null=nullable)
    return serializers.CharField(allow_null=nullable)


def _output_serializer(name: str, model, fields: dict[str, str | Code], doc: str):
    attrs = {out: _output_field(model, path) for out, path in fields.items()}
    attrs["__doc__"] = doc
    return type(name, (serializers.Serializer,), attrs)


WorkOrderSerializer = _output_serializer(
    "WorkOrderSerializer",
    WorkOrder,
    WORK_ORDER_FIELDS,
    "A work order as seed 004 names its fields, references as flat x_id / x_code pairs.",
)

ProjectInputSerializer = type(
    "ProjectInputSerializer",
    (embedded_serializer("project"),),
    {"__doc__": "A seed-004 project. Required on create: name and a company."},
)

ProjectSerializer = _output_serializer(
    "ProjectSerializer", Project, PROJECT_FIELDS, "A project (seed 004's embedded `project`)."
)


class PlanningInputSerializer(serializers.Serializer):
    """A hand-made planning (the Suggested rule makes its own; those are read-only here)."""

    id = UUIDField(required=False)
    work_order_id = UUIDField(required=False)
    user_id = UUIDField(required=False, allow_null=True)
    user_code = serializers.CharField(required=False, allow_null=True)
    date_start = serializers.DateTimeField(required=False)
    date_end = serializers.DateTimeField(
        required=False, allow_null=True, help_text="Default: start + the estimated time."
    )


PlanningSerializer = _output_serializer(
    "PlanningSerializer", JobPlanning, PLANNING_FIELDS, "A technician's planning."
)
