"""The directory over the API: companies, contacts and skills (read and write), users (read).

Each resource: one filterset, an input/output serializer pair, one viewset. A user sees the rows
of their sales organization (superusers see all); another tenant's row is a 404."""

import django_filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, viewsets

from jobsite.api.crud import (
    CrudViewSet,
    ScopedPrimaryKeyRelatedField,
    TenantScopedViewSet,
    crud_schema,
    tenant_scope,
)
from jobsite.api.filters import IsoDateTimeFilter
from jobsite.models import Address, Company, Contact, SalesOrganization, Skill, User
from jobsite.services import save_record
from jobsite.tenancy import organization_for_new_record, restrict_to_tenant

# --- shared -----------------------------------------------------------------------------------


def sales_organization_field(**kwargs):
    return ScopedPrimaryKeyRelatedField(
        source="sales_organization",
        queryset=SalesOrganization.objects.all(),
        scope=tenant_scope("pk"),
        help_text="Default: your own sales organization (superusers must give one).",
        **kwargs,
    )


def own_sales_organization(*, data: dict, instance, user: User) -> dict:
    """A new row without a sales organization gets the writer's own."""
    if instance is None and data.get("sales_organization") is None:
        organization_for_new_record(by=user, required="sales_organization_id")
        data = {**data, "sales_organization": user.sales_organization}
    return data


class TenantFilterSet(django_filters.FilterSet):
    sales_organization = django_filters.UUIDFilter(field_name="sales_organization_id")
    sales_organization_code = django_filters.CharFilter(
        field_name="sales_organization__code", lookup_expr="iexact"
    )
    modified_after = IsoDateTimeFilter(field_name="modified_dateutc", lookup_expr="gte")
    modified_before = IsoDateTimeFilter(field_name="modified_dateutc", lookup_expr="lt")


class BlankReferenceIsNone:
    """An empty reference_back_office is no reference: stored as NULL, so it never collides.

    The reference is unique per sales organization (per company for a contact): save_record
    checks the model's constraint and names the field. Serializers using this declare no
    validators of their own: DRF's for a two-field constraint would make both fields
    required."""

    def validate_reference_back_office(self, value):
        return value or None


# --- companies ----------------------------------------------------------------------------------


class CompanyFilter(TenantFilterSet):
    code = django_filters.CharFilter(lookup_expr="iexact")
    name = django_filters.CharFilter(lookup_expr="icontains")

    class Meta:
        model = Company
        fields = ["id2", "code", "name", "reference_back_office", "sales_organization"]


class CompanyOutput(serializers.ModelSerializer):
    sales_organization_id = serializers.UUIDField()
    sales_organization_code = serializers.CharField(source="sales_organization.code")
    address_id = serializers.UUIDField(allow_null=True)

    class Meta:
        model = Company
        fields = [
            "id",
            "id2",
            "code",
            "name",
            "sales_organization_id",
            "sales_organization_code",
            "address_id",
            "reference_back_office",
            "modified_dateutc",
        ]
        read_only_fields = fields


class CompanyInput(BlankReferenceIsNone, serializers.ModelSerializer):
    id2 = serializers.IntegerField(
        required=False, min_value=1, help_text="Given on create only; else the next number."
    )
    sales_organization_id = sales_organization_field(required=False)
    address_id = ScopedPrimaryKeyRelatedField(
        source="address",
        queryset=Address.objects.all(),
        scope=tenant_scope("sales_organization"),
        required=False,
        allow_null=True,
    )

    class Meta:
        model = Company
        fields = [
            "id2",
            "code",
            "name",
            "sales_organization_id",
            "address_id",
            "reference_back_office",
        ]
        validators = []

    def validate_id2(self, value):
        if self.instance is not None and value != self.instance.id2:
            raise serializers.ValidationError("id2 cannot change.")
        if self.instance is None and Company.objects.filter(id2=value).exists():
            raise serializers.ValidationError(f"id2 {value} is taken.")
        return value


@crud_schema(input_serializer=CompanyInput, output_serializer=CompanyOutput, tag="Directory")
class CompanyViewSet(CrudViewSet):
    serializer_class = CompanyOutput
    input_serializer_class = CompanyInput
    filterset_class = CompanyFilter
    ordering_fields = ["name", "code", "id2", "modified_dateutc"]
    ordering = ["name"]
    search_fields = ["code", "name", "reference_back_office"]

    queryset = Company.objects.none()

    def scoped_queryset(self, *, user):
        return restrict_to_tenant(Company.objects.select_related("sales_organization"), user=user)

    def write(self, *, instance, data):
        data = own_sales_organization(data=data, instance=instance, user=self.request.user)
        return save_record(instance=instance or Company(), values=data)


# --- contacts -----------------------------------------------------------------------------------


class ContactFilter(django_filters.FilterSet):
    company = django_filters.UUIDFilter(field_name="company_id")
    company_code = django_filters.CharFilter(field_name="company__code", lookup_expr="iexact")
    last_name = django_filters.CharFilter(lookup_expr="icontains")
    email = django_filters.CharFilter(lookup_expr="iexact")

    class Meta:
        model = Contact
        fields = ["company", "last_name", "email", "reference_back_office"]


class ContactOutput(serializers.ModelSerializer):
    company_id = serializers.UUIDField()
    company_code = serializers.CharField(source="company.code")

    class Meta:
        model = Contact
        fields = [
            "id",
            "company_id",
            "company_code",
            "first_name",
            "last_name",
            "email",
            "phone",
            "reference_back_office",
            "modified_dateutc",
        ]
        read_only_fields = fields


class ContactInput(BlankReferenceIsNone, serializers.ModelSerializer):
    company_id = ScopedPrimaryKeyRelatedField(
        source="company",
        queryset=Company.objects.all(),
        scope=tenant_scope("sales_organization"),
    )

    class Meta:
        model = Contact
        fields = [
            "company_id",
            "first_name",
            "last_name",
            "email",
            "phone",
            "reference_back_office",
        ]
        validators = []


@crud_schema(input_serializer=ContactInput, output_serializer=ContactOutput, tag="Directory")
class ContactViewSet(CrudViewSet):
    serializer_class = ContactOutput
    input_serializer_class = ContactInput
    filterset_class = ContactFilter
    ordering_fields = ["last_name", "first_name", "email", "modified_dateutc"]
    ordering = ["last_name", "first_name"]
    search_fields = ["first_name", "last_name", "email", "reference_back_office"]

    queryset = Contact.objects.none()

    def scoped_queryset(self, *, user):
        return restrict_to_tenant(
            Contact.objects.select_related("company"),
            user=user,
            field="company__sales_organization",
        )

    def write(self, *, instance, data):
        return save_record(instance=instance or Contact(), values=data)


# --- skills ---------------------------------------------------------------------------------------


class SkillFilter(TenantFilterSet):
    code = django_filters.CharFilter(lookup_expr="iexact")
    name = django_filters.CharFilter(lookup_expr="icontains")

    class Meta:
        model = Skill
        fields = ["code", "name", "sales_organization"]


class SkillOutput(serializers.ModelSerializer):
    sales_organization_id = serializers.UUIDField()
    sales_organization_code = serializers.CharField(source="sales_organization.code")

    class Meta:
        model = Skill
        fields = [
            "id",
            "code",
            "name",
            "description",
            "sales_organization_id",
            "sales_organization_code",
            "modified_dateutc",
        ]
        read_only_fields = fields


class SkillInput(serializers.ModelSerializer):
    sales_organization_id = sales_organization_field(required=False)

    class Meta:
        model = Skill
        fields = ["code", "name", "description", "sales_organization_id"]


@crud_schema(input_serializer=SkillInput, output_serializer=SkillOutput, tag="Directory")
class SkillViewSet(CrudViewSet):
    serializer_class = SkillOutput
    input_serializer_class = SkillInput
    filterset_class = SkillFilter
    ordering_fields = ["code", "name", "modified_dateutc"]
    ordering = ["code"]
    search_fields = ["code", "name"]

    queryset = Skill.objects.none()

    def scoped_queryset(self, *, user):
        return restrict_to_tenant(Skill.objects.select_related("sales_organization"), user=user)

    def write(self, *, instance, data):
        data = own_sales_organization(data=data, instance=instance, user=self.request.user)
        return save_record(instance=instance or Skill(), values=data)


# --- users (read only) -------------------------------------------------------------------------


class UserFilter(TenantFilterSet):
    username = django_filters.CharFilter(lookup_expr="iexact")
    code = django_filters.CharFilter(lookup_expr="iexact")
    skill = django_filters.CharFilter(field_name="skills__code", lookup_expr="iexact")

    class Meta:
        model = User
        fields = [
            "id2",
            "username",
            "code",
            "is_technician",
            "is_team_leader",
            "archived",
            "disabled",
            "sales_organization",
        ]


class UserOutput(serializers.ModelSerializer):
    sales_organization_id = serializers.UUIDField(allow_null=True)
    sales_organization_code = serializers.CharField(
        source="sales_organization.code", allow_null=True
    )
    team_leader_id = serializers.UUIDField(allow_null=True)
    skills = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    email = serializers.CharField(help_text="May be empty.")

    class Meta:
        model = User
        fields = [
            "id",
            "id2",
            "username",
            "first_name",
            "last_name",
            "email",
            "code",
            "sales_organization_id",
            "sales_organization_code",
            "phone",
            "mobile",
            "is_technician",
            "is_team_leader",
            "team_leader_id",
            "skills",
            "archived",
            "disabled",
            "modified_dateutc",
        ]
        read_only_fields = fields


@extend_schema_view(
    list=extend_schema(tags=["Directory"]), retrieve=extend_schema(tags=["Directory"])
)
class UserViewSet(TenantScopedViewSet, viewsets.ReadOnlyModelViewSet):
    """Users of your sales organization (all, for superusers); written in the admin only."""

    serializer_class = UserOutput
    filterset_class = UserFilter
    ordering_fields = ["username", "last_name", "code", "id2", "modified_dateutc"]
    ordering = ["username"]
    search_fields = ["username", "first_name", "last_name", "code", "email"]

    queryset = User.objects.none()

    def scoped_queryset(self, *, user):
        return restrict_to_tenant(
            User.objects.select_related("sales_organization").prefetch_related("skills"),
            user=user,
        ).distinct()
