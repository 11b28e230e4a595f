"""The work order list's sidebar filters. Every choice list is filled by one query, shared by
all the filters of a request."""

import uuid
from datetime import timedelta

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.utils import timezone

from jobs.models import LifeCycleState
from workorders import selectors


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
        return [
            ("overdue", "Overdue"),
            ("week", "Due this week"),
            ("next_week", "Due next week"),
            ("unplanned", "Still to plan"),
            ("none", "No due date"),
        ]

    def queryset(self, request, queryset):
        value = self.value()
        now = timezone.now()
        monday = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
        monday -= timedelta(days=monday.weekday())
        if value == "overdue":
            return queryset.filter(
                due_date__lt=now, job_status__life_cycle_state__in=selectors.OPEN_STATES
            )
        if value == "week":
            return queryset.filter(due_date__gte=monday, due_date__lt=monday + timedelta(days=7))
        if value == "next_week":
            return queryset.filter(
                due_date__gte=monday + timedelta(days=7), due_date__lt=monday + timedelta(days=14)
            )
        if value == "unplanned":
            return queryset.filter(job_status__number__in=selectors.AWAITING_PLANNING_STATUSES)
        if value == "none":
            return queryset.filter(due_date__isnull=True)
        return queryset
