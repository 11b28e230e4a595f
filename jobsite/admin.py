from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from jobsite.models import (
    Address,
    ApiToken,
    Company,
    Contact,
    Country,
    NumberSequence,
    SalesOrganization,
    Skill,
    User,
)

admin.site.site_header = "Jobsite"
admin.site.site_title = "Jobsite"
admin.site.index_title = "Planning office"


@admin.register(Country)
class CountryAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


@admin.register(Address)
class AddressAdmin(admin.ModelAdmin):
    list_display = ["name", "street", "street_number", "zip", "city", "country"]
    search_fields = ["name", "street", "city", "zip", "code"]
    list_select_related = ["country"]
    autocomplete_fields = ["country"]
    show_full_result_count = False


@admin.register(SalesOrganization)
class SalesOrganizationAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "country", "currency", "language", "archived"]
    list_filter = ["archived"]
    search_fields = ["code", "name"]
    list_select_related = ["country"]
    autocomplete_fields = ["country", "address"]


@admin.register(Skill)
class SkillAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "sales_organization"]
    list_filter = ["sales_organization"]
    search_fields = ["code", "name"]
    list_select_related = ["sales_organization"]


@admin.register(Company)
class CompanyAdmin(admin.ModelAdmin):
    list_display = ["id2", "code", "name", "sales_organization", "reference_back_office"]
    list_filter = ["sales_organization"]
    search_fields = ["code", "name", "reference_back_office"]
    list_select_related = ["sales_organization"]
    autocomplete_fields = ["address"]
    readonly_fields = ["id2"]
    show_full_result_count = False


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ["last_name", "first_name", "company", "email", "phone"]
    search_fields = ["last_name", "first_name", "email", "reference_back_office"]
    list_select_related = ["company"]
    autocomplete_fields = ["company"]
    show_full_result_count = False


@admin.register(User)
class UserAdmin(BaseUserAdmin):
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
    autocomplete_fields = ["team_leader", "sales_organization"]
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


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
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
