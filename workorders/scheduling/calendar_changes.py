"""When a technician's calendar changes (jobsite.signals.calendar_changed), or what the check
reads of the technician (jobsite.signals.technician_changed: skills, organization, being a
technician), the warnings of their plannings it touches are checked again."""

from datetime import timedelta

from django.utils import timezone

from jobsite.models import User
from workorders.scheduling.warnings import refresh_warnings

# An open-ended change (new working hours, another time zone, a skill) reaches this far either
# side of now: older plannings are history, later ones are not planned yet.
PAST = timedelta(days=31)
FUTURE = timedelta(days=3 * 365)


def refresh_after_calendar_change(
    *, sales_organization_id, technician_ids=None, start=None, end=None, **_signal
) -> int:
    if technician_ids is None:
        technician_ids = list(
            User.objects.filter(
                sales_organization_id=sales_organization_id, is_technician=True
            ).values_list("pk", flat=True)
        )
    now = timezone.now()
    start = start or now - PAST
    end = end or now + FUTURE
    return refresh_warnings(windows=[(pk, start, end) for pk in technician_ids])


def refresh_after_technician_change(*, technician_ids, **_signal) -> int:
    return refresh_after_calendar_change(sales_organization_id=None, technician_ids=technician_ids)
