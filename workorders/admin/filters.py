"""The work order list's sidebar filters. Every choice list is filled by one query, shared by
all the filters of a request."""

import uuid
from datetime import date, timedelta

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.utils import timezone

from jobs.models import LifeCycleState
from workorders import home_selectors, selectors


def _filter_choices(request):
    if not hasattr(request, "_work_order_filter_choices"):
        request._work_order_filter_choices = selectors.work_order_filter_choices(user=request.user)
    return request._work_order_filter_choices


class ChoiceFilter(admin.SimpleListFilter):
    """A filter by one foreign key, its choices taken from the request's one query."""

    kind = ""
    lookup = ""
    hide_single = False

    def lookups(self, request, model_admin):
        choices = _filter_choices(request).get(self.kind, [])
        if self.hide_single and len(choices) < 2:
            return []
        return choices

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        try:
            uuid.UUID(value)
        except ValueError as exc:
            raise IncorrectLookupParameters(f"{self.title}: not an id") from exc
        return queryset.filter(**{self.lookup: value})


def choice_filter(title, parameter_name, lookup, *, kind=None, hide_single=False):
    """The ChoiceFilter class titled `title` ("job type": JobTypeFilter). `kind` names its choices
    in `selectors.work_order_filter_choices` (the parameter's name unless said); `hide_single`
    hides a filter that has only one choice to offer."""
    name = "".join(word.capitalize() for word in title.split()) + "Filter"
    attributes = {
        "title": title,
        "parameter_name": parameter_name,
        "kind": kind or parameter_name,
        "lookup": lookup,
        "hide_single": hide_single,
    }
    return type(name, (ChoiceFilter,), attributes)


StatusFilter = choice_filter("status", "status", "job_status")
PriorityFilter = choice_filter("priority", "priority", "job_priority")
JobTypeFilter = choice_filter("job type", "job_type", "job_type", hide_single=True)
SalesOrganizationFilter = choice_filter(
    "sales organization", "org", "sales_organization", kind="sales_organization", hide_single=True
)
TechnicianFilter = choice_filter("technician", "technician", "suggested_user")
SkillFilter = choice_filter("skill", "skill", "skill")


class LifeCycleFilter(admin.SimpleListFilter):
    title = "life-cycle state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return LifeCycleState.choices

    def queryset(self, request, queryset):
        if self.value() in LifeCycleState.values:
            return queryset.filter(job_status__life_cycle_state=self.value())
        return queryset


class DueFilter(admin.SimpleListFilter):
    title = "due"
    parameter_name = "due"

    def lookups(self, request, model_admin):
        return home_selectors.DUE_CHOICES

    def queryset(self, request, queryset):
        # The rule the planner's home counts with (workorders.home_selectors.due).
        return home_selectors.due(queryset, self.value())


class PlanningDayFilter(admin.SimpleListFilter):
    """Plannings starting on one local day (?day=2026-12-02): today's and tomorrow's offered;
    the home's "today" figures link here."""

    title = "day"
    parameter_name = "day"

    def lookups(self, request, model_admin):
        today = timezone.localdate()
        return [
            (today.isoformat(), "Today"),
            ((today + timedelta(days=1)).isoformat(), "Tomorrow"),
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        try:
            day = date.fromisoformat(value)
        except ValueError as exc:
            raise IncorrectLookupParameters("day: not a date (YYYY-MM-DD)") from exc
        return home_selectors.plannings_on(queryset, day)


class PlanningTechnicianFilter(admin.SimpleListFilter):
    """One technician's plannings, their choices the technicians the user sees."""

    title = "technician"
    parameter_name = "technician"

    def lookups(self, request, model_admin):
        return _filter_choices(request).get("technician", [])

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        try:
            uuid.UUID(value)
        except ValueError as exc:
            raise IncorrectLookupParameters("technician: not an id") from exc
        return queryset.filter(user_id=value)
