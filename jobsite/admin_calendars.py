"""The calendars in the admin: working hours (a technician's own, an organization's default) and
absences as inlines, the year filter of public holidays. Forms check through jobsite.calendars
and the calendar services, and the inlines are written through the services."""

from django import forms
from django.contrib import admin, messages

from jobsite import calendar_selectors, calendar_services
from jobsite.calendars import DEFAULT_WEEKLY, clean_exceptions, clean_weekly
from jobsite.errors import ServiceError
from jobsite.models import Absence, User, WorkingHours

WEEKLY_HELP = (
    'JSON, in the organization\'s local time: [{"weekday": 1, "start": "08:00", "end": '
    '"12:00"}, {"weekday": 1, "start": "12:30", "end": "17:00"}, …] — weekday 1 is Monday, 7 '
    "Sunday; times as HH:MM; intervals of one day may not overlap."
)
EXCEPTIONS_HELP = (
    'JSON, dates that differ from the week: [{"date": "2026-12-24", "intervals": [{"start": '
    '"08:00", "end": "12:00"}]}, …] — an empty list of intervals is a day off.'
)


def _checked(check, value, field: str):
    try:
        return check(value, field=field)
    except ServiceError as exc:
        raise forms.ValidationError(f"{exc.field}: {exc.message}") from exc


class WorkingHoursForm(forms.ModelForm):
    weekly = forms.JSONField(initial=DEFAULT_WEEKLY, help_text=WEEKLY_HELP)
    exceptions = forms.JSONField(required=False, initial=list, help_text=EXCEPTIONS_HELP)

    class Meta:
        model = WorkingHours
        fields = ["weekly", "exceptions"]

    def clean_weekly(self):
        return _checked(clean_weekly, self.cleaned_data["weekly"], "weekly")

    def clean_exceptions(self):
        return _checked(clean_exceptions, self.cleaned_data["exceptions"] or [], "exceptions")


class AbsenceForm(forms.ModelForm):
    class Meta:
        model = Absence
        fields = ["start", "end", "kind", "note"]

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        try:
            calendar_services.check_absence_times(start=start, end=end)
        except ServiceError as exc:
            self.add_error(exc.field, exc.message)
        return cleaned


def _pattern_fieldsets(description: str) -> list:
    return [(None, {"fields": ["weekly", "exceptions"], "description": description})]


class AbsenceAdminForm(AbsenceForm):
    class Meta(AbsenceForm.Meta):
        fields = ["technician", *AbsenceForm.Meta.fields]


class TechnicianWorkingHoursInline(admin.StackedInline):
    model = WorkingHours
    form = WorkingHoursForm
    fk_name = "technician"
    extra = 0
    max_num = 1
    verbose_name = verbose_name_plural = "own working hours"
    fieldsets = _pattern_fieldsets(
        "Without them the sales organization's working hours apply; delete them to return to those."
    )


class OrganizationWorkingHoursInline(admin.StackedInline):
    model = WorkingHours
    form = WorkingHoursForm
    fk_name = "sales_organization"
    extra = 0
    max_num = 1
    verbose_name = verbose_name_plural = "default working hours"
    fieldsets = _pattern_fieldsets(
        "Every technician of the organization without hours of their own works these. Without "
        "them: Monday to Friday 08:00–12:00 and 12:30–17:00."
    )

    def get_queryset(self, request):
        # A technician's own pattern also points at its organization; only the default shows.
        return super().get_queryset(request).filter(technician__isnull=True)


class AbsenceInline(admin.TabularInline):
    model = Absence
    form = AbsenceForm
    fk_name = "technician"
    extra = 0
    ordering = ["-start"]


def calendar_inlines(technician: User | None) -> list:
    """The calendar inlines of a user's page: a technician's working hours and absences."""
    if technician is None or not technician.is_technician:
        return []
    return [TechnicianWorkingHoursInline, AbsenceInline]


def save_calendar_formset(formset, *, parent) -> bool:
    """Write an inline of working hours or absences through the calendar services (False: the
    formset is none of those, the caller saves it)."""
    if formset.model not in (WorkingHours, Absence):
        return False
    changed = formset.save(commit=False)
    owner = {"technician": parent} if isinstance(parent, User) else {"sales_organization": parent}
    for obj in formset.deleted_objects:
        if isinstance(obj, WorkingHours):
            calendar_services.save_working_hours(**owner, weekly=None)
        else:
            calendar_services.delete_absence(absence=obj)
    for obj in changed:
        if isinstance(obj, WorkingHours):
            calendar_services.save_working_hours(
                **owner, weekly=obj.weekly, exceptions=obj.exceptions
            )
        else:
            calendar_services.save_absence(absence=obj, values={"technician": parent})
    return True


def load_public_holidays(model_admin, request, queryset):
    """Admin action on sales organizations: this year's and next year's public holidays."""
    for organization in queryset.select_related("country"):
        year = calendar_selectors.this_year(sales_organization=organization)
        try:
            added = sum(
                len(calendar_services.load_holidays(sales_organization=organization, year=y))
                for y in (year, year + 1)
            )
        except ServiceError as exc:
            model_admin.message_user(request, f"{organization.code}: {exc.message}", messages.ERROR)
            continue
        model_admin.message_user(
            request,
            f"{organization.code}: {added} public holidays added for {year} and {year + 1}.",
            messages.SUCCESS,
        )


load_public_holidays.short_description = "Load public holidays (this year and next)"


class HolidayYearFilter(admin.SimpleListFilter):
    title = "year"
    parameter_name = "year"

    def lookups(self, request, model_admin):
        years = model_admin.get_queryset(request).dates("date", "year", order="DESC")
        return [(str(day.year), str(day.year)) for day in years]

    def queryset(self, request, queryset):
        value = self.value()
        if value and value.isdigit() and len(value) <= 4:
            return queryset.filter(date__year=int(value))
        return queryset
