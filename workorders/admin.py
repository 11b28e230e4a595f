from django.contrib import admin

from workorders import services
from workorders.models import (
    EquipmentBrand,
    EquipmentFamily,
    EquipmentModel,
    JobPlanning,
    Project,
    ProjectStatus,
    WorkOrder,
)


@admin.register(EquipmentBrand)
class EquipmentBrandAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "sales_organization"]
    search_fields = ["code", "name"]
    list_select_related = ["sales_organization"]


@admin.register(EquipmentFamily)
class EquipmentFamilyAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "parent", "sales_organization"]
    search_fields = ["code", "name"]
    list_select_related = ["parent", "sales_organization"]
    autocomplete_fields = ["parent"]


@admin.register(EquipmentModel)
class EquipmentModelAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "equipment_brand", "equipment_family", "sales_organization"]
    search_fields = ["code", "name"]
    list_select_related = ["equipment_brand", "equipment_family", "sales_organization"]
    autocomplete_fields = ["equipment_brand", "equipment_family"]


@admin.register(ProjectStatus)
class ProjectStatusAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "is_default", "is_closed", "sales_organization"]
    search_fields = ["code", "name"]


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ["id2", "name", "company", "reference_back_office", "serial_number"]
    search_fields = ["name", "reference_back_office", "serial_number", "barcode"]
    list_select_related = ["company"]
    autocomplete_fields = [
        "parent",
        "root_parent",
        "equipment_family",
        "equipment_model",
        "project_status",
        "company",
        "db_address",
        "contact",
        "owner_user",
        "updated_by_user",
    ]
    readonly_fields = ["id2", "sales_organization"]
    show_full_result_count = False

    def save_model(self, request, obj, form, change):
        services.save_project(project=obj, by=request.user)


class JobPlanningInline(admin.TabularInline):
    model = JobPlanning
    extra = 0
    fields = ["user", "date_start", "date_end", "made_by_rule"]
    readonly_fields = ["made_by_rule"]
    autocomplete_fields = ["user"]


@admin.register(WorkOrder)
class WorkOrderAdmin(admin.ModelAdmin):
    list_display = [
        "id2",
        "name",
        "project",
        "job_status",
        "job_priority",
        "suggested_user",
        "suggested_date_start",
        "due_date",
    ]
    list_filter = ["job_status", "job_priority"]
    search_fields = ["name", "reference_back_office", "customer_reference"]
    list_select_related = ["project", "job_status", "job_priority", "suggested_user"]
    autocomplete_fields = [
        "parent",
        "project",
        "job_type",
        "job_priority",
        "job_status",
        "db_address",
        "contact",
        "requested_by_company",
        "requested_by_contact",
        "suggested_user",
        "skill",
        "approval_responsible_user",
        "db_address_country",
    ]
    readonly_fields = ["id2", "company", "sales_organization", "date_create", "date_update"]
    inlines = [JobPlanningInline]
    show_full_result_count = False

    def save_model(self, request, obj, form, change):
        previous = form.initial.get("job_status") if change else None
        previous_state = (
            WorkOrder._meta.get_field("job_status")
            .related_model.objects.get(pk=previous)
            .life_cycle_state
            if previous
            else None
        )
        services.save_work_order(work_order=obj, previous_state=previous_state, by=request.user)


@admin.register(JobPlanning)
class JobPlanningAdmin(admin.ModelAdmin):
    list_display = ["work_order", "user", "date_start", "date_end", "made_by_rule"]
    list_filter = ["made_by_rule"]
    list_select_related = ["work_order", "user"]
    autocomplete_fields = ["work_order", "user"]
    date_hierarchy = "date_start"
    show_full_result_count = False
