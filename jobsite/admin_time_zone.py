"""The admin page where someone without a sales organization (a superuser) picks the zone the
admin shows and reads times in. A planner's zone is their organization's: the page only says
which (jobsite.local_time holds the rule)."""

from functools import cache
from zoneinfo import available_timezones

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme

from jobsite.local_time import pick_zone, picked_zone
from jobsite.models import SalesOrganization
from jobsite.tenancy import restrict_to_tenant


@cache
def _every_zone() -> list[str]:
    # Read from the tz database's files: once per process is enough.
    return sorted(available_timezones())


def _organization_zones(user) -> list[tuple[str, str]]:
    """The zones the visible organizations plan in, each labelled with their codes."""
    codes: dict[str, list[str]] = {}
    rows = restrict_to_tenant(SalesOrganization.objects.all(), user=user, field="pk")
    for zone, code in rows.order_by("time_zone", "code").values_list("time_zone", "code"):
        codes.setdefault(zone, []).append(code)
    return [(zone, f"{zone} — {', '.join(found)}") for zone, found in codes.items()]


class TimeZoneForm(forms.Form):
    time_zone = forms.ChoiceField(label="Time zone", required=False)
    next = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        organizations = _organization_zones(user)
        self.fields["time_zone"].choices = [
            ("", f"The default ({settings.TIME_ZONE})"),
            *([("Where the sales organizations plan", organizations)] if organizations else []),
            ("Every zone", [(zone, zone) for zone in _every_zone()]),
        ]


def _back(request, target: str) -> str:
    safe = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if target and safe else reverse("admin:index")


def time_zone_view(request):
    """GET shows the zone in force; POST (users without an organization) picks one."""
    if request.user.sales_organization_id is not None:
        if request.method == "POST":
            raise PermissionDenied
        return _page(request, form=None)
    if request.method == "POST":
        form = TimeZoneForm(request.POST, user=request.user)
        if form.is_valid():
            chosen = form.cleaned_data["time_zone"]
            pick_zone(request.session, chosen)
            messages.success(request, f"Times are shown in {chosen or settings.TIME_ZONE}.")
            return HttpResponseRedirect(_back(request, form.cleaned_data["next"]))
    else:
        picked = picked_zone(request.session)
        form = TimeZoneForm(
            user=request.user,
            initial={"time_zone": str(picked) if picked else "", "next": request.GET.get("next")},
        )
    return _page(request, form=form)


def _page(request, *, form):
    context = {
        **admin.site.each_context(request),
        "title": "Time zone",
        "form": form,
        "zone": timezone.get_current_timezone_name(),
        "organization": request.user.sales_organization,
    }
    return TemplateResponse(request, "admin/time_zone.html", context)
