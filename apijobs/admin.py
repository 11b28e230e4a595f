from django.contrib import admin

from apijobs.models import ApiJob, ApiJobError


class ApiJobErrorInline(admin.TabularInline):
    model = ApiJobError
    extra = 0
    fields = ["index", "line", "record_id", "field", "message"]
    readonly_fields = fields
    can_delete = False


@admin.register(ApiJob)
class ApiJobAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "type",
        "status",
        "total_records",
        "effected_records",
        "error_records",
        "created_at",
        "end_time",
    ]
    list_filter = ["status", "type"]
    search_fields = ["id", "source_name"]
    readonly_fields = [f.name for f in ApiJob._meta.fields if f.name != "payload"]
    exclude = ["payload"]
    inlines = [ApiJobErrorInline]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False
