from django.contrib import admin
from django.contrib.admin.exceptions import NotRegistered
from django.contrib.admin.utils import get_fields_from_path
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Q

from jobsite import calendar_services
from jobsite.admin_calendars import (
    AbsenceAdminForm,
    HolidayYearFilter,
    OrganizationWorkingHoursInline,
    calendar_inlines,
    load_public_holidays,
    save_calendar_formset,
)
from jobsite.models import (
    Absence,
    Address,
    ApiToken,
    Company,
    Contact,
    Country,
    Holiday,
    NumberSequence,
    SalesOrganization,
    Skill,
    User,
)
from jobsite.tenancy import organization_for_new_record, restrict_to_tenant


def _tenant_admin_of(admin_site, model):
    try:
        related_admin = admin_site.get_model_admin(model)
    except NotRegistered:
        return None
    if isinstance(related_admin, TenantScoped) and related_admin.tenant_field:
        return related_admin
    return None


class TenantRelatedFieldListFilter(admin.RelatedFieldListFilter):
    """A sidebar filter on a foreign key that lists only the rows the user may see (Django's
    lists every row of the related table: every organization's name)."""

    def field_choices(self, field, request, model_admin):
        related_admin = _tenant_admin_of(model_admin.admin_site, field.remote_field.model)
        if related_admin is None:
            return super().field_choices(field, request, model_admin)
        visible = related_admin.restrict(field.remote_field.model._default_manager.all(), request)
        return field.get_choices(
            include_blank=False,
            limit_choices_to=Q(pk__in=visible.values("pk")),
            ordering=self.field_admin_ordering(field, request, model_admin),
        )


class TenantScoped:
    """Planners see and change only their sales organization's records; superusers see all.

    `tenant_field` is the lookup path to the sales organization (None: not scoped);
    `tenant_shared_when_null` keeps rows without one (vocabulary shared by every organization).
    Foreign-key choices (selects, autocomplete validation) are limited the same way, through the
    related model's admin, so a forged id of another organization is refused by the form."""

    tenant_field: str | None = "sales_organization"
    tenant_shared_when_null = False

    def get_queryset(self, request):
        return self.restrict(super().get_queryset(request), request)

    def restrict(self, queryset, request):
        if self.tenant_field is None:
            return queryset
        return restrict_to_tenant(
            queryset,
            user=request.user,
            field=self.tenant_field,
            shared_when_empty=self.tenant_shared_when_null,
        )

    def save_model(self, request, obj, form, change):
        # A planner's new row without a sales organization (an address) is their organization's.
        if (
            not change
            and self.tenant_field == "sales_organization"
            and getattr(obj, "sales_organization_id", False) is None
        ):
            obj.sales_organization_id = organization_for_new_record(by=request.user)
        super().save_model(request, obj, form, change)

    def get_list_filter(self, request):
        filters = []
        for item in super().get_list_filter(request):
            if isinstance(item, str):
                try:
                    last = get_fields_from_path(self.model, item)[-1]
                except FieldDoesNotExist:
                    last = None
                if last is not None and last.many_to_one:
                    item = (item, TenantRelatedFieldListFilter)
            filters.append(item)
        return filters

    def get_field_queryset(self, db, db_field, request):
        related_admin = _tenant_admin_of(self.admin_site, db_field.remote_field.model)
        if related_admin is not None:
            queryset = related_admin.restrict(
                db_field.remote_field.model._default_manager.using(db), request
            )
            ordering = related_admin.get_ordering(request)
            return queryset.order_by(*ordering) if ordering else queryset
        return super().get_field_queryset(db, db_field, request)


class TenantAdmin(TenantScoped, admin.ModelAdmin):
    pass


admin.site.site_header = "Jobsite"
admin.site.site_title = "Jobsite"
admin.site.index_title = "Planning office"
# There is no public site: the header links to the board and the API docs instead
# (templates/admin/base_site.html).
admin.site.site_url = None
# Planners live in wide lists and the board: the page's width goes to them, not to a menu
# (the index and the breadcrumbs lead everywhere).
admin.site.enable_nav_sidebar = False


@admin.register(Country)
class CountryAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


@admin.register(Address)
class AddressAdmin(TenantAdmin):
    list_display = [
        "name",
        "street",
        "street_number",
        "zip",
        "city",
        "country",
        "sales_organization",
    ]
    ordering = ["city", "street", "street_number", "pk"]
    search_fields = ["name", "street", "city", "zip", "code"]
    list_select_related = ["country", "sales_organization"]
    autocomplete_fields = ["country"]
    show_full_result_count = False


@admin.register(SalesOrganization)
class SalesOrganizationAdmin(TenantAdmin):
    tenant_field = "id"
    list_display = ["code", "name", "country", "currency", "language", "time_zone", "archived"]
    list_filter = ["archived"]
    search_fields = ["code", "name"]
    list_select_related = ["country"]
    autocomplete_fields = ["country", "address"]
    inlines = [OrganizationWorkingHoursInline]
    actions = [load_public_holidays]

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if not calendar_services.may_change_time_zone(user=request.user):
            readonly.append("time_zone")
        return readonly

    def save_formset(self, request, form, formset, change):
        if not save_calendar_formset(formset, parent=form.instance):
            super().save_formset(request, form, formset, change)


@admin.register(Absence)
class AbsenceAdmin(TenantAdmin):
    """Absences of every technician at once; also inline on each technician's page."""

    tenant_field = "technician__sales_organization"
    form = AbsenceAdminForm
    list_display = ["technician", "kind", "start", "end", "note"]
    list_filter = ["kind"]
    search_fields = ["technician__username", "technician__code", "technician__last_name", "note"]
    list_select_related = ["technician"]
    ordering = ["-start"]
    show_full_result_count = False

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "technician":
            field.queryset = field.queryset.filter(is_technician=True)
        return field

    def save_model(self, request, obj, form, change):
        calendar_services.save_absence(absence=obj, values={})

    def delete_model(self, request, obj):
        calendar_services.delete_absence(absence=obj)


@admin.register(Holiday)
class HolidayAdmin(TenantAdmin):
    list_display = ["date", "weekday", "name", "sales_organization"]
    list_filter = [HolidayYearFilter, "sales_organization"]
    search_fields = ["name"]
    list_select_related = ["sales_organization"]
    ordering = ["sales_organization__code", "date"]
    fields = ["sales_organization", "date", "name"]

    @admin.display(description="day")
    def weekday(self, obj):
        return f"{obj.date:%A}"

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        initial.setdefault("sales_organization", request.user.sales_organization_id)
        return initial

    def save_model(self, request, obj, form, change):
        calendar_services.save_holiday(holiday=obj, values={})

    def delete_model(self, request, obj):
        calendar_services.delete_holiday(holiday=obj)


@admin.register(Skill)
class SkillAdmin(TenantAdmin):
    list_display = ["code", "name", "sales_organization"]
    list_filter = ["sales_organization"]
    search_fields = ["code", "name"]
    list_select_related = ["sales_organization"]


@admin.register(Company)
class CompanyAdmin(TenantAdmin):
    list_display = ["id2", "code", "name", "sales_organization", "reference_back_office"]
    list_filter = ["sales_organization"]
    search_fields = ["code", "name", "reference_back_office"]
    list_select_related = ["sales_organization"]
    autocomplete_fields = ["address"]
    readonly_fields = ["id2"]
    show_full_result_count = False


@admin.register(Contact)
class ContactAdmin(TenantAdmin):
    tenant_field = "company__sales_organization"
    list_display = ["last_name", "first_name", "company", "email", "phone"]
    search_fields = ["last_name", "first_name", "email", "reference_back_office"]
    list_select_related = ["company"]
    autocomplete_fields = ["company"]
    show_full_result_count = False


@admin.register(User)
class UserAdmin(TenantScoped, BaseUserAdmin):
    list_display = [
        "username",
        "first_name",
        "last_name",
        "code",
        "sales_organization",
        "is_technician",
        "is_team_leader",
        "is_staff",
        "disabled",
    ]
    list_filter = ["is_technician", "is_staff", "is_superuser", "sales_organization", "disabled"]
    search_fields = ["username", "first_name", "last_name", "email", "code"]
    list_select_related = ["sales_organization"]
    autocomplete_fields = ["team_leader", "sales_organization", "base_address"]
    filter_horizontal = ["skills", "groups", "user_permissions"]
    readonly_fields = ["id2", "last_login", "date_joined"]
    fieldsets = [
        (None, {"fields": ["username", "password", "id2", "code"]}),
        ("Person", {"fields": ["first_name", "last_name", "email", "phone", "mobile"]}),
        (
            "Field service",
            {
                "fields": [
                    "sales_organization",
                    "is_technician",
                    "skills",
                    "base_address",
                    "is_team_leader",
                    "team_leader",
                    "archived",
                    "disabled",
                ]
            },
        ),
        (
            "Permissions",
            {
                "classes": ["collapse"],
                "fields": [
                    "is_active",
                    "is_staff",
                    "is_superuser",
                    "groups",
                    "user_permissions",
                ],
            },
        ),
        ("Dates", {"classes": ["collapse"], "fields": ["last_login", "date_joined"]}),
    ]

    def get_inlines(self, request, obj):
        return calendar_inlines(obj)

    def save_formset(self, request, form, formset, change):
        if not save_calendar_formset(formset, parent=form.instance):
            super().save_formset(request, form, formset, change)

    def get_readonly_fields(self, request, obj=None):
        # A planner manages technicians, not who administers the site.
        readonly = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            readonly += ["is_superuser", "is_staff", "groups", "user_permissions"]
        return readonly


@admin.register(ApiToken)
class ApiTokenAdmin(TenantAdmin):
    tenant_field = "user__sales_organization"
    list_display = ["prefix", "user", "created_at", "expires_at", "revoked_at"]
    list_select_related = ["user"]
    search_fields = ["prefix", "user__username"]
    readonly_fields = ["prefix", "key_hash", "user", "created_at", "expires_at"]

    def has_add_permission(self, request):
        return False


@admin.register(NumberSequence)
class NumberSequenceAdmin(admin.ModelAdmin):
    list_display = ["name", "last_value"]
    readonly_fields = ["name"]
