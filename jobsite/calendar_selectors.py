"""Reads of the calendars: the technicians a user sees, the working hours in force, absences
and public holidays, each limited to what the user's tenancy lets them see."""

from django.db.models import QuerySet
from django.utils import timezone

from jobsite.calendars import pattern_in_force, zone_of
from jobsite.errors import ServiceError
from jobsite.models import Absence, Holiday, SalesOrganization, User, WorkingHours
from jobsite.tenancy import restrict_to_tenant


def sales_organizations(*, user: User) -> QuerySet[SalesOrganization]:
    return restrict_to_tenant(
        SalesOrganization.objects.select_related("country"), user=user, field="pk"
    )


def technicians(*, user: User) -> QuerySet[User]:
    """The active technicians `user` sees: their organization's (everyone's, for superusers)."""
    return restrict_to_tenant(User.objects.filter(is_technician=True, is_active=True), user=user)


def technician_by_code(*, user: User, code: str, field: str) -> User:
    """One technician `user` sees by code (any case); unknown or ambiguous names `field`."""
    found = list(technicians(user=user).filter(code__iexact=code.strip())[:2])
    if len(found) == 1:
        return found[0]
    if found:
        raise ServiceError(
            f"More than one technician has code {code}: give technician_id.", field=field
        )
    raise ServiceError(f"No technician with code {code}.", field=field)


def time_zone_of(*, technician: User) -> str:
    """The IANA name of the zone a technician's working hours are written in."""
    return zone_of(technician.sales_organization).key


def this_year(*, sales_organization: SalesOrganization) -> int:
    """The year it is now where the organization plans."""
    return timezone.now().astimezone(zone_of(sales_organization)).year


def technician_working_hours(*, technician: User) -> dict:
    """The pattern in force for `technician`, with `inherited` telling whose it is."""
    own = WorkingHours.objects.filter(technician=technician).first()
    default = None
    if own is None:
        default = WorkingHours.objects.filter(
            technician__isnull=True, sales_organization_id=technician.sales_organization_id
        ).first()
    weekly, exceptions, inherited = pattern_in_force(own=own, default=default)
    return {
        "time_zone": time_zone_of(technician=technician),
        "inherited": inherited,
        "weekly": weekly,
        "exceptions": exceptions,
    }


def organization_working_hours(*, sales_organization: SalesOrganization) -> dict:
    """The default pattern every technician of the organization inherits."""
    default = WorkingHours.objects.filter(
        technician__isnull=True, sales_organization=sales_organization
    ).first()
    weekly, exceptions, _ = pattern_in_force(own=None, default=default)
    return {"time_zone": sales_organization.time_zone, "weekly": weekly, "exceptions": exceptions}


def absences(*, user: User) -> QuerySet[Absence]:
    return restrict_to_tenant(
        Absence.objects.select_related("technician"),
        user=user,
        field="technician__sales_organization",
    )


def holidays(*, user: User) -> QuerySet[Holiday]:
    return restrict_to_tenant(Holiday.objects.select_related("sales_organization"), user=user)
