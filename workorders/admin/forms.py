"""The planner admin's forms and their widgets.

A change form takes its foreign keys' labels from the row it already loaded (select_related)
instead of one query per field, and refuses what the services would refuse: a reference to
another sales organization's row, or a technician who cannot be planned there."""

import copy
from datetime import datetime, time

from django import forms
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils import timezone

from jobsite.models import REFERENCE_USED, User
from workorders import plannings
from workorders.admin.form_renderer import QUICK_RENDERER
from workorders.models import WorkOrder
from workorders.reference_kinds import KINDS, WORK_ORDER_GROUPS, references_of_other_organizations
from workorders.scheduling.checks import Appointment, findings_for


class KnownLabelAutocomplete(AutocompleteSelect):
    """An autocomplete that renders its selected option from the row the form already loaded
    (select_related), instead of one query per foreign key."""

    known: dict | None = None

    def optgroups(self, name, value, attr=None):
        known = self.known or {}
        selected = [str(v) for v in value if str(v) not in self.choices.field.empty_values]
        if selected and not all(v in known for v in selected):
            return super().optgroups(name, value, attr)
        # Nothing selected: only the empty option, without building the related queryset
        # (Django's would, for every empty autocomplete of the form).
        default = (None, [], 0)
        if not self.is_required and not self.allow_multiple_selected:
            default[1].append(self.create_option(name, "", "", False, 0))
        for v in selected:
            default[1].append(self.create_option(name, v, known[v], True, len(default[1])))
        return [default]

    def render(self, name, value, attrs=None, renderer=None):
        # The admin's related-object wrapper (the add / change icons) renders the widget
        # without the form's renderer.
        return super().render(name, value, attrs, renderer or QUICK_RENDERER)


class KnownLabelsForm(forms.ModelForm):
    # Its widgets, labels and error lists written without the template engine (the same HTML).
    default_renderer = QUICK_RENDERER

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        instance = self.instance
        for name, form_field in self.fields.items():
            widget = getattr(form_field.widget, "widget", form_field.widget)
            if not isinstance(widget, KnownLabelAutocomplete):
                continue
            model_field = instance._meta.get_field(name)
            if model_field.is_cached(instance):
                related = getattr(instance, name)
                if related is not None:
                    widget.known = {str(related.pk): form_field.label_from_instance(related)}


class OneOrganizationForm(forms.ModelForm):
    """Refuses a reference to another sales organization's row. A planner's choices are their
    organization's already; a superuser's lists hold every organization's. And a reference back
    office another record of the organization holds."""

    reference_groups: tuple = ()

    def organization_id(self):
        raise NotImplementedError

    def _post_clean(self):
        super()._post_clean()
        organization = self.organization_id()
        errors = references_of_other_organizations(
            instance=self.instance,
            groups=self.reference_groups,
            sales_organization_id=organization,
        )
        for field, message in errors.items():
            self.add_error(field if field in self.fields else None, message)
        self._check_reference_back_office(organization)

    def _check_reference_back_office(self, organization) -> None:
        """The model's constraint (unique per sales organization), checked in the organization
        the save will give the record: the form has no organization field, so Django's own
        check of the constraint leaves it out."""
        field = "reference_back_office"
        if organization is None or field not in self.fields or self.has_error(field):
            return
        probe = copy.copy(self.instance)
        probe.sales_organization_id = organization
        others = {f.name for f in probe._meta.fields} - {field, "sales_organization"}
        try:
            probe.validate_constraints(exclude=others)
        except ValidationError as exc:
            for error in exc.error_dict.get(NON_FIELD_ERRORS, []):
                if error.code == REFERENCE_USED:
                    self.add_error(field, error)


class WorkOrderForm(OneOrganizationForm, KnownLabelsForm):
    reference_groups = WORK_ORDER_GROUPS

    def organization_id(self):
        project = self.instance.project if self.instance.project_id else None
        return project.sales_organization_id if project else None

    def _post_clean(self):
        super()._post_clean()
        replanned = {"suggested_user", "project"} & set(self.changed_data)
        org = self.organization_id()
        if (
            self.instance.suggested_user_id
            and replanned
            and org
            and not self.has_error("project")
            and not self.has_error("suggested_user")
        ):
            problem = plannings.Technicians().problem(
                user_id=self.instance.suggested_user_id, sales_organization_id=org
            )
            if problem is not None:
                self.add_error("suggested_user", problem[1])


class PlanningForm(KnownLabelsForm):
    """The planning service's checks before the admin saves a planning by hand: the technician
    rule refuses; the planning check's warnings are shown and asked about ("plan anyway")."""

    plan_anyway = forms.BooleanField(
        required=False, help_text="Save it although the planning check warns."
    )

    def _post_clean(self):
        super()._post_clean()
        planning = self.instance
        if not planning.user_id or self.errors:
            return
        try:
            org = planning.work_order.project.sales_organization_id
        except WorkOrder.DoesNotExist:
            return  # the form's own check names the missing work order
        if {"user", "work_order"} & set(self.changed_data):
            problem = plannings.Technicians().problem(
                user_id=planning.user_id, sales_organization_id=org
            )
            if problem is not None:
                self.add_error("user", problem[1])
                return
        moved = {"user", "work_order", "date_start", "date_end"} & set(self.changed_data)
        if not moved or self.cleaned_data.get("plan_anyway"):
            return
        if planning.date_start is None or planning.date_end is None:
            return
        (found,) = findings_for(
            [
                Appointment(
                    user_id=planning.user_id,
                    work_order=planning.work_order,
                    date_start=planning.date_start,
                    date_end=planning.date_end,
                    pk=None if planning._state.adding else planning.pk,
                )
            ]
        )
        if found:
            self.add_error(
                "plan_anyway",
                " ".join(f.message for f in found) + " Tick “plan anyway” to save it all the same.",
            )


class ProjectForm(OneOrganizationForm):
    reference_groups = KINDS["project"].groups

    def organization_id(self):
        company = self.instance.company if self.instance.company_id else None
        return company.sales_organization_id if company else None


class KnownLabels:
    form = KnownLabelsForm

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name in self.get_autocomplete_fields(request) and "widget" not in kwargs:
            kwargs["widget"] = KnownLabelAutocomplete(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class SuggestTechnicianForm(forms.Form):
    technician = forms.ModelChoiceField(queryset=User.objects.none())
    date_start = forms.DateTimeField(
        label="Start",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
    )
    one_after_another = forms.BooleanField(
        required=False,
        initial=True,
        label="Plan them one after another",
        help_text="From the start on, each work order goes in the technician's next free working "
        "time long enough for it: never over another planning, an absence, a holiday or outside "
        "working hours.",
    )
    plan_anyway = forms.BooleanField(
        required=False,
        label="Plan anyway",
        help_text="Plan them although the planning check warns (listed above once checked).",
    )

    def __init__(self, *args, technicians, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["technician"].queryset = technicians
        self.fields["technician"].label_from_instance = _technician_label
        # The form reads the start in the zone the request activated (jobsite.local_time).
        self.fields["date_start"].help_text = f"In {timezone.get_current_timezone_name()}."


KEEP, CLEAR = "", "clear"


def _choices(queryset, *, clearable, label=str):
    keep = [(KEEP, "— keep as it is —")]
    clear = [(CLEAR, "— none (clear it) —")] if clearable else []
    return keep + clear + [(str(obj.pk), label(obj)) for obj in queryset]


class BulkEditForm(forms.Form):
    """What to change on every selected work order; a field left at "keep" is not touched."""

    job_priority = forms.ChoiceField(label="Priority", required=False)
    due_date = forms.DateField(
        label="Due date",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d"],
    )
    clear_due_date = forms.BooleanField(label="No due date (clear it)", required=False)
    skill = forms.ChoiceField(required=False)
    job_type = forms.ChoiceField(label="Job type", required=False)

    def __init__(self, *args, priorities, skills, job_types, **kwargs):
        super().__init__(*args, **kwargs)
        self.objects = {
            "job_priority": {str(p.pk): p for p in priorities},
            "skill": {str(s.pk): s for s in skills},
            "job_type": {str(t.pk): t for t in job_types},
        }
        self.fields["job_priority"].choices = _choices(priorities, clearable=True)
        self.fields["skill"].choices = _choices(skills, clearable=True)
        self.fields["job_type"].choices = _choices(job_types, clearable=False)
        self.fields[
            "due_date"
        ].help_text = f"The start of that day in {timezone.get_current_timezone_name()}."

    def clean(self):
        data = super().clean()
        if data.get("due_date") and data.get("clear_due_date"):
            self.add_error("clear_due_date", "Give a due date or clear it, not both.")
        if not self.errors and not self.changes():
            raise ValidationError("Choose at least one thing to change.")
        return data

    def changes(self) -> dict:
        """{field: new value} for the service (workorders.bulk_edit); None clears."""
        data = self.cleaned_data
        changes = {}
        for name, objects in self.objects.items():
            value = data.get(name)
            if value == CLEAR:
                changes[name] = None
            elif value:
                changes[name] = objects[value]
        if data.get("clear_due_date"):
            changes["due_date"] = None
        elif data.get("due_date"):
            day = data["due_date"]
            changes["due_date"] = timezone.make_aware(datetime.combine(day, time.min))
        return changes


def _technician_label(user):
    name = user.get_full_name() or user.username
    return f"{name} ({user.code})" if user.code else name
