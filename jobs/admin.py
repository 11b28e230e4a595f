from django.contrib import admin

from jobs.models import Job, JobDetail, JobPriority, JobStatus, JobType
from jobsite.admin import TenantAdmin


@admin.register(JobStatus)
class JobStatusAdmin(admin.ModelAdmin):
    list_display = ["number", "code", "name", "life_cycle_state", "is_default"]
    list_filter = ["life_cycle_state"]
    search_fields = ["code", "name"]


@admin.register(JobType)
class JobTypeAdmin(TenantAdmin):
    tenant_shared_when_null = True
    list_display = [
        "code",
        "name",
        "sales_organization",
        "is_default",
        "default_start_status",
        "default_complete_status",
    ]
    list_filter = ["sales_organization", "is_default"]
    search_fields = ["code", "name"]
    list_select_related = [
        "sales_organization",
        "default_start_status",
        "default_complete_status",
    ]


@admin.register(JobPriority)
class JobPriorityAdmin(TenantAdmin):
    tenant_shared_when_null = True
    list_display = ["code", "name", "sequence", "is_default", "sales_organization"]
    search_fields = ["code", "name"]
    list_select_related = ["sales_organization"]


class JobDetailInline(admin.TabularInline):
    model = JobDetail
    extra = 0
    fields = ["object_name", "object_id", "modified_datetime", "execution_time", "tx_id"]
    readonly_fields = fields
    can_delete = False


@admin.register(Job)
class JobAdmin(TenantAdmin):
    list_display = [
        "number",
        "description",
        "job_type",
        "job_status",
        "client",
        "assigned_to",
        "percent_complete",
        "updated_at",
    ]
    list_filter = ["job_status", "job_type", "rating_state"]
    search_fields = ["number", "description", "job_identifier"]
    list_select_related = ["job_type", "job_status", "client", "assigned_to"]
    autocomplete_fields = [
        "client",
        "requesting_user",
        "assigned_to",
        "performed_by",
        "job_type",
        "job_status",
    ]
    readonly_fields = ["job_identifier", "created_at", "updated_at", "created_by", "updated_by"]
    inlines = [JobDetailInline]
    show_full_result_count = False
