"""Projects (the customer's installations) and their statuses."""

from django.contrib import admin

from jobsite.admin import TenantAdmin
from workorders import search, services
from workorders.admin.display import project_counters_html
from workorders.admin.forms import ProjectForm
from workorders.models import Project, ProjectStatus


@admin.register(ProjectStatus)
class ProjectStatusAdmin(TenantAdmin):
    list_display = ["code", "name", "is_default", "is_closed", "sales_organization"]
    search_fields = ["code", "name"]


@admin.register(Project)
class ProjectAdmin(TenantAdmin):
    form = ProjectForm
    list_display = ["id2", "name", "company", "reference_back_office", "serial_number"]
    search_fields = ["name", "reference_back_office", "serial_number", "barcode"]
    search_help_text = search.PROJECT_SEARCH_HELP
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
    readonly_fields = ["id2", "sales_organization", "counters"]
    show_full_result_count = False

    class Media:
        css = {"all": ["jobsite/planner.css"]}

    @admin.display(description="counters")
    def counters(self, project):
        if project is None or project.pk is None:
            return "–"
        return project_counters_html(project.pk)

    def get_search_results(self, request, queryset, search_term):
        return search.search_projects(queryset, search_term, user=request.user), False

    def save_model(self, request, obj, form, change):
        services.save_project(project=obj, by=request.user)
