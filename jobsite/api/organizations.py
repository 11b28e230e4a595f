"""Sales organizations (read, change; their time zone and default working hours) and
technicians (read; their working hours) over the API. A planner sees their own organization and
its technicians; superusers see all."""

import django_filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, viewsets

from jobsite import calendar_selectors, calendar_services
from jobsite.api.calendars import (
    OrganizationWorkingHoursSerializer,
    TechnicianWorkingHoursSerializer,
    working_hours_action,
)
from jobsite.api.crud import CrudViewSet, TenantScopedViewSet, crud_schema
from jobsite.api.directory import TenantFilterSet
from jobsite.models import SalesOrganization, Skill, User

# --- sales organizations ------------------------------------------------------------------------


class SalesOrganizationFilter(django_filters.FilterSet):
    code = django_filters.CharFilter(lookup_expr="iexact")
    name = django_filters.CharFilter(lookup_expr="icontains")
    country_code = django_filters.CharFilter(field_name="country__code", lookup_expr="iexact")

    class Meta:
        model = SalesOrganization
        fields = ["code", "name", "archived"]


class SalesOrganizationOutput(serializers.ModelSerializer):
    country_code = serializers.CharField(source="country.code", allow_null=True)
    address_id = serializers.UUIDField(allow_null=True)

    class Meta:
        model = SalesOrganization
        fields = [
            "id",
            "code",
            "name",
            "description",
            "country_code",
            "currency",
            "language",
            "time_zone",
            "archived",
            "address_id",
            "email",
            "phone",
            "fax",
            "url",
            "vat_reg_code",
            "modified_dateutc",
        ]
        read_only_fields = fields


class SalesOrganizationInput(serializers.ModelSerializer):
    time_zone = serializers.CharField(
        required=False,
        max_length=64,
        help_text="IANA name, e.g. Europe/Brussels. Superusers only change it.",
    )

    class Meta:
        model = SalesOrganization
        fields = [
            "name",
            "description",
            "currency",
            "language",
            "time_zone",
            "email",
            "phone",
            "fax",
            "url",
            "vat_reg_code",
        ]


@crud_schema(
    input_serializer=SalesOrganizationInput,
    output_serializer=SalesOrganizationOutput,
    tag="Directory",
)
class SalesOrganizationViewSet(CrudViewSet):
    """Your sales organization (every one, for superusers). Created and archived in the admin."""

    http_method_names = ["get", "put", "patch", "head", "options"]
    serializer_class = SalesOrganizationOutput
    input_serializer_class = SalesOrganizationInput
    filterset_class = SalesOrganizationFilter
    ordering_fields = ["code", "name", "modified_dateutc"]
    ordering = ["code"]
    search_fields = ["code", "name"]

    queryset = SalesOrganization.objects.none()

    def scoped_queryset(self, *, user):
        return calendar_selectors.sales_organizations(user=user)

    def write(self, *, instance, data):
        return calendar_services.save_sales_organization(
            organization=instance, values=data, by=self.request.user
        )

    working_hours = working_hours_action(
        OrganizationWorkingHoursSerializer,
        whose="a sales organization (its default)",
        owner="sales_organization",
        read=calendar_selectors.organization_working_hours,
        write=calendar_services.save_working_hours,
    )


# --- technicians (read only) --------------------------------------------------------------------


class TechnicianFilter(TenantFilterSet):
    username = django_filters.CharFilter(lookup_expr="iexact")
    code = django_filters.CharFilter(lookup_expr="iexact")
    skill = django_filters.CharFilter(field_name="skills__code", lookup_expr="iexact")

    class Meta:
        model = User
        fields = ["id2", "username", "code", "sales_organization"]


class SkillReference(serializers.ModelSerializer):
    class Meta:
        model = Skill
        fields = ["id", "code"]
        read_only_fields = fields


class TechnicianOutput(serializers.ModelSerializer):
    skills = SkillReference(many=True, read_only=True)
    email = serializers.CharField(help_text="May be empty.")
    base_address_id = serializers.UUIDField(allow_null=True)
    sales_organization_id = serializers.UUIDField(allow_null=True)
    time_zone = serializers.SerializerMethodField(help_text="IANA name of the working hours.")

    class Meta:
        model = User
        fields = [
            "id",
            "id2",
            "code",
            "username",
            "first_name",
            "last_name",
            "email",
            "skills",
            "base_address_id",
            "sales_organization_id",
            "time_zone",
        ]
        read_only_fields = fields

    def get_time_zone(self, technician) -> str:
        return calendar_selectors.time_zone_of(technician=technician)


@extend_schema_view(
    list=extend_schema(tags=["Calendars"]), retrieve=extend_schema(tags=["Calendars"])
)
class TechnicianViewSet(TenantScopedViewSet, viewsets.ReadOnlyModelViewSet):
    """Active technicians of your sales organization (all, for superusers)."""

    serializer_class = TechnicianOutput
    filterset_class = TechnicianFilter
    ordering_fields = ["username", "last_name", "code", "id2"]
    ordering = ["username"]
    search_fields = ["username", "first_name", "last_name", "code", "email"]

    queryset = User.objects.none()

    def scoped_queryset(self, *, user):
        return (
            calendar_selectors.technicians(user=user)
            .select_related("sales_organization")
            .prefetch_related("skills")
            .distinct()
        )

    working_hours = working_hours_action(
        TechnicianWorkingHoursSerializer,
        whose="a technician (their own, else inherited)",
        owner="technician",
        read=calendar_selectors.technician_working_hours,
        write=calendar_services.save_working_hours,
    )
