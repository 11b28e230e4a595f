"""The equipment vocabularies of a sales organization: brands, families and models."""

from django.contrib import admin

from jobsite.admin import TenantAdmin
from workorders.models import EquipmentBrand, EquipmentFamily, EquipmentModel


@admin.register(EquipmentBrand)
class EquipmentBrandAdmin(TenantAdmin):
    list_display = ["code", "name", "sales_organization"]
    search_fields = ["code", "name"]
    list_select_related = ["sales_organization"]


@admin.register(EquipmentFamily)
class EquipmentFamilyAdmin(TenantAdmin):
    list_display = ["code", "name", "parent", "sales_organization"]
    search_fields = ["code", "name"]
    list_select_related = ["parent", "sales_organization"]
    autocomplete_fields = ["parent"]


@admin.register(EquipmentModel)
class EquipmentModelAdmin(TenantAdmin):
    list_display = ["code", "name", "equipment_brand", "equipment_family", "sales_organization"]
    search_fields = ["code", "name"]
    list_select_related = ["equipment_brand", "equipment_family", "sales_organization"]
    autocomplete_fields = ["equipment_brand", "equipment_family"]
