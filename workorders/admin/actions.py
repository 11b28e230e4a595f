"""The work order list's actions: suggest a technician, and the life-cycle transitions.

Each goes through the services one work order at a time, so a refusal (a rule of the services)
names that work order and the others are still done."""

from datetime import timedelta

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from jobs.models import JobPriority, JobType, StatusNumber
from jobsite.errors import ServiceError
from jobsite.models import Skill, User
from jobsite.tenancy import restrict_to_tenant
from workorders import planning_board, plannings, services
from workorders.admin.display import describe, format_when, numbers_of
from workorders.admin.forms import BulkEditForm, SuggestTechnicianForm
from workorders.admin.paging import MAX_ACTION_ROWS
from workorders.scheduling.slots import FreeTime
from workorders.system_fields import organization_of


def _visible_technicians(request, sales_organization_ids=None):
    qs = restrict_to_tenant(
        User.objects.filter(is_technician=True, is_active=True), user=request.user
    )
    if sales_organization_ids:
        qs = qs.filter(sales_organization_id__in=sales_organization_ids)
    return qs.order_by("first_name", "last_name", "username")


def transition_action(transition, description, *, verb, unchanged_in=None):
    """An action that moves each selected work order through one life-cycle transition of the
    services. A work order whose status is already `unchanged_in` is reported as left alone
    rather than refused."""

    @admin.action(description=description, permissions=["change"])
    def action(model_admin, request, queryset):
        model_admin._apply_transition(
            request,
            queryset,
            verb=verb,
            call=lambda wo: transition(work_order=wo, by=request.user),
            skip_state=unchanged_in,
        )

    return action


class WorkOrderActions:
    """The actions of a work order admin (a ModelAdmin mixin)."""

    def _bounded(self, request, queryset):
        rows = list(queryset.select_related("job_status", "project")[: MAX_ACTION_ROWS + 1])
        if len(rows) > MAX_ACTION_ROWS:
            self.message_user(
                request,
                f"Select at most {MAX_ACTION_ROWS} work orders for an action (filter the list "
                "first).",
                messages.ERROR,
            )
            return None
        return rows

    def _report(self, request, verb, done, refused, unchanged=()):
        if done:
            self.message_user(
                request, f"{verb} {len(done)} work order(s): {numbers_of(done)}.", messages.SUCCESS
            )
        if unchanged:
            self.message_user(
                request,
                f"Left {len(unchanged)} unchanged (already there): {numbers_of(unchanged)}.",
                messages.INFO,
            )
        for wo, reason in refused[:10]:
            self.message_user(request, f"Refused #{wo.id2}: {reason}", messages.WARNING)
        if len(refused) > 10:
            self.message_user(request, f"… and {len(refused) - 10} more refused.", messages.WARNING)

    def _apply_transition(self, request, queryset, *, verb, call, skip_state=None):
        rows = self._bounded(request, queryset)
        if rows is None:
            return
        done, refused, unchanged = [], [], []
        for wo in rows:
            if skip_state and wo.job_status.number == skip_state:
                unchanged.append(wo)
                continue
            try:
                changed = call(wo)
            except ServiceError as exc:
                refused.append((wo, exc.message))
                continue
            self.log_change(request, changed, f"{verb} from the work order list.")
            done.append(changed)
        self._report(request, verb, done, refused, unchanged)

    @admin.action(description="Suggest a technician…", permissions=["change"])
    def suggest_technician(self, request, queryset):
        rows = self._bounded(request, queryset)
        if rows is None:
            return None
        orgs = {organization_of(wo) for wo in rows}
        technicians = _visible_technicians(request, orgs)
        placements = None
        if "apply" in request.POST:
            form = SuggestTechnicianForm(request.POST, technicians=technicians)
            if form.is_valid():
                data = form.cleaned_data
                placements = self._placements(
                    rows, data["technician"], data["date_start"], data["one_after_another"]
                )
                warned = any(findings for _, _, findings in placements)
                if data["plan_anyway"] or not warned:
                    self._suggest(request, placements, technician=data["technician"])
                    return None
        else:
            start = timezone.localtime() + timedelta(days=1)
            form = SuggestTechnicianForm(
                technicians=technicians,
                initial={"date_start": start.replace(hour=8, minute=0, second=0, microsecond=0)},
            )
        context = {
            **self.admin_site.each_context(request),
            "title": "Suggest a technician",
            "opts": self.model._meta,
            "form": form,
            "work_orders": rows,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "select_across": request.POST.get("select_across", "0"),
            "action": "suggest_technician",
            "media": self.media + form.media,
            # What the planning check says of each placement, before anything is saved.
            "placements": placements,
        }
        return TemplateResponse(
            request, "admin/workorders/workorder/suggest_technician.html", context
        )

    @staticmethod
    def _placements(rows, technician, date_start, one_after_another):
        """(work order, start or None, findings) for each selected work order: all at the start,
        or one after another in the technician's free working time."""
        ordered = sorted(rows, key=lambda w: w.id2)
        free = FreeTime(technician=technician, after=date_start) if one_after_another else None
        rule = plannings.Technicians([technician.pk])
        # Work the technician rule refuses is not placed: applying it reports the reason.
        refused = {
            wo.pk
            for wo in ordered
            if rule.problem(user_id=technician.pk, sales_organization_id=organization_of(wo))
        }
        starts = {}
        for wo in ordered:
            minutes = wo.estimated_time or services.DEFAULT_PLANNING_MINUTES
            if wo.pk in refused or free is None:
                starts[wo.pk] = date_start
            else:
                starts[wo.pk] = free.take(minutes)
        checked = [
            (wo, technician.pk, starts[wo.pk])
            for wo in ordered
            if starts[wo.pk] and wo.pk not in refused
        ]
        # One check for all of them (they may overlap each other), not one per work order.
        found = {}
        if checked:
            findings = plannings.preview_suggestions(placements=checked)
            found = {wo.pk: f for (wo, _, _), f in zip(checked, findings, strict=True)}
        return [(wo, starts[wo.pk], found.get(wo.pk, [])) for wo in ordered]

    def _suggest(self, request, placements, *, technician):
        done, refused = [], []
        for wo, start, findings in placements:
            if start is None:
                refused.append((wo, "no free working time long enough in the next two months."))
                continue
            try:
                changed = services.suggest_technician(
                    work_orders=[wo], user=technician, date_start=start, by=request.user
                )
            except ServiceError as exc:
                refused.append((wo, exc.message))
                continue
            for c in changed:
                note = f"Suggested {technician} at {format_when(start)}."
                if findings:
                    note += " With warnings: " + " ".join(f.message for f in findings)
                self.log_change(request, c, note)
                done.append((c, start))
        if done:
            date_start = min(start for _, start in done)
            week = planning_board.week_start_of(timezone.localtime(date_start).date())
            board = reverse("admin:workorders_workorder_board") + f"?week={week.isoformat()}"
            self.message_user(
                request,
                format_html(
                    'Suggested {} for {} work order(s): {}. <a href="{}">See them on the '
                    "planning board</a>.",
                    technician,
                    len(done),
                    ", ".join(f"#{wo.id2} at {format_when(start)}" for wo, start in done[:12])
                    + (f" and {len(done) - 12} more" if len(done) > 12 else ""),
                    board,
                ),
                messages.SUCCESS,
            )
        self._report(request, "Suggested", [], refused)

    @admin.action(description="Edit priority, due date, skill, job type…", permissions=["change"])
    def bulk_edit(self, request, queryset):
        rows = self._bounded(request, queryset)
        if rows is None:
            return None
        user = request.user
        choices = {
            "priorities": restrict_to_tenant(
                JobPriority.objects.order_by("-sequence", "name"), user=user, shared_when_empty=True
            ),
            "skills": restrict_to_tenant(Skill.objects.order_by("name"), user=user),
            "job_types": restrict_to_tenant(
                JobType.objects.order_by("name"), user=user, shared_when_empty=True
            ),
        }
        if "apply" in request.POST:
            form = BulkEditForm(request.POST, **choices)
            if form.is_valid():
                changes = form.changes()
                result = services.edit_work_orders(work_orders=rows, changes=changes, by=user)
                for wo in result.changed:
                    self.log_change(request, wo, f"Edited from the list: {describe(changes)}.")
                self._report_edit(request, changes, result)
                return None
        else:
            form = BulkEditForm(**choices)
        context = {
            **self.admin_site.each_context(request),
            "title": "Edit work orders",
            "opts": self.model._meta,
            "form": form,
            "work_orders": rows,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "select_across": request.POST.get("select_across", "0"),
            "action": "bulk_edit",
            "media": self.media + form.media,
        }
        return TemplateResponse(request, "admin/workorders/workorder/bulk_edit.html", context)

    def _report_edit(self, request, changes, result):
        """One message: what changed on which work orders, what was left and what refused."""
        parts = []
        if result.changed:
            parts.append(
                f"Set {describe(changes)} on {len(result.changed)} work order(s): "
                f"{numbers_of(result.changed)}."
            )
        if result.unchanged:
            parts.append(f"{len(result.unchanged)} already had it: {numbers_of(result.unchanged)}.")
        if result.refused:
            reasons = "; ".join(f"#{wo.id2}: {reason}" for wo, reason in result.refused[:10])
            more = f" and {len(result.refused) - 10} more" if len(result.refused) > 10 else ""
            parts.append(f"Refused {len(result.refused)}: {reasons}{more}.")
        if result.warned:
            warned = "; ".join(
                f"#{wo.id2}: {' '.join(dict.fromkeys(found))}" for wo, found in result.warned[:5]
            )
            more = f" and {len(result.warned) - 5} more" if len(result.warned) > 5 else ""
            parts.append(f"Their plannings now warn — {warned}{more}.")
        level = messages.WARNING if result.refused or result.warned else messages.SUCCESS
        self.message_user(request, " ".join(parts) or "Nothing to change.", level)

    activate = transition_action(
        services.activate, "Activate", verb="Activated", unchanged_in=StatusNumber.ACTIVATED
    )
    start_progress = transition_action(
        services.start_progress, "Start (in progress)", verb="Started"
    )
    complete = transition_action(services.complete, "Complete", verb="Completed")
    cancel = transition_action(
        services.cancel, "Cancel", verb="Cancelled", unchanged_in=StatusNumber.CANCELED
    )
