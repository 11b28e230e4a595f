"""Writes of the calendars: an organization's time zone, working hours (an organization's default
pattern and a technician's own), absences and public holidays. The API, the admin, the
`load_holidays` command and the demo data all write through here."""

from datetime import UTC, datetime, time, timedelta

import holidays as public_holidays
from django.db import transaction

from jobsite.calendars import clean_exceptions, clean_weekly
from jobsite.errors import ServiceError
from jobsite.models import Absence, Holiday, SalesOrganization, User, WorkingHours
from jobsite.services import save_record
from jobsite.signals import calendar_changed

# What the `holidays` package knows well enough; far outside it answers nothing useful.
HOLIDAY_YEARS = range(1900, 2101)


# --- sales organizations ------------------------------------------------------------------------


def may_change_time_zone(*, user: User) -> bool:
    """Every stored local time of an organization (working hours, the board) reads in its zone:
    moving it shifts them all, so only superusers do."""
    return user.is_superuser


def save_sales_organization(
    *, organization: SalesOrganization, values: dict, by: User
) -> SalesOrganization:
    changes_zone = "time_zone" in values and values["time_zone"] != organization.time_zone
    if changes_zone and not may_change_time_zone(user=by):
        raise ServiceError(
            "Only a superuser changes a sales organization's time zone.",
            field="time_zone",
            code="forbidden",
        )
    saved = save_record(instance=organization, values=values)
    if changes_zone:
        _changed(organization_id=organization.pk)
    return saved


def _changed(*, organization_id, technician_ids=None, start=None, end=None) -> None:
    """Tell whoever keeps plannings' warnings (workorders.scheduling) what moved."""
    calendar_changed.send(
        sender=WorkingHours,
        sales_organization_id=organization_id,
        technician_ids=technician_ids,
        start=start,
        end=end,
    )


def _day_span(day) -> tuple[datetime, datetime]:
    """A local date as UTC instants wide enough for any time zone."""
    start = datetime.combine(day, time.min, tzinfo=UTC) - timedelta(days=1)
    return start, start + timedelta(days=3)


# --- working hours ------------------------------------------------------------------------------


def save_working_hours(
    *,
    sales_organization: SalesOrganization | None = None,
    technician: User | None = None,
    weekly: list | None,
    exceptions: list | None = None,
) -> WorkingHours | None:
    """Store the pattern of a technician (when given) or the default of `sales_organization`.

    `weekly=None` removes it: the technician inherits their organization's pattern again, the
    organization falls back to jobsite.calendars.DEFAULT_WEEKLY. Answers the stored row (None
    when removed)."""
    if technician is not None:
        owner = {"technician": technician}
        organization_id = technician.sales_organization_id
        if organization_id is None:
            raise ServiceError(
                f"{technician.username} belongs to no sales organization: its pattern applies.",
                field="technician",
            )
    elif sales_organization is not None:
        owner = {"technician": None, "sales_organization": sales_organization}
        organization_id = sales_organization.pk
    else:
        raise ServiceError("Give the technician or the sales organization.", field="technician")
    if weekly is None:
        if exceptions:
            raise ServiceError(
                "Exceptions need a weekly pattern beside them; without one the organization's "
                "pattern and its exceptions apply.",
                field="exceptions",
            )
        WorkingHours.objects.filter(**owner).delete()
        _changed(
            organization_id=organization_id,
            technician_ids=[technician.pk] if technician is not None else None,
        )
        return None
    cleaned = {
        "weekly": clean_weekly(weekly),
        "exceptions": clean_exceptions([] if exceptions is None else exceptions),
        # A technician who moved to another organization takes their pattern along.
        "sales_organization_id": organization_id,
    }
    row, _ = WorkingHours.objects.update_or_create(**owner, defaults=cleaned)
    _changed(
        organization_id=organization_id,
        technician_ids=[technician.pk] if technician is not None else None,
    )
    return row


# --- absences -----------------------------------------------------------------------------------


def check_absence_times(*, start, end) -> None:
    if start is not None and end is not None and end <= start:
        raise ServiceError("The end must be after the start.", field="end")


def save_absence(*, absence: Absence, values: dict) -> Absence:
    """Create or change an absence; its technician must be a technician, and it must end after
    it starts. Which technicians the writer may name is the caller's tenancy check."""
    technician = values.get("technician")
    if technician is None and absence.technician_id is not None:
        technician = absence.technician
    if technician is not None and not technician.is_technician:
        raise ServiceError(f"{technician.username} is not a technician.", field="technician")
    check_absence_times(
        start=values.get("start", absence.start), end=values.get("end", absence.end)
    )
    before = (absence.technician_id, absence.start, absence.end)
    saved = save_record(instance=absence, values=values)
    for technician_id, start, end in {before, (saved.technician_id, saved.start, saved.end)}:
        if technician_id is not None and start is not None:
            _absence_changed(technician_id=technician_id, start=start, end=end)
    return saved


def delete_absence(*, absence: Absence) -> None:
    window = (absence.technician_id, absence.start, absence.end)
    absence.delete()
    _absence_changed(technician_id=window[0], start=window[1], end=window[2])


def _absence_changed(*, technician_id, start, end) -> None:
    organization_id = (
        User.objects.filter(pk=technician_id).values_list("sales_organization_id", flat=True)
    ).first()
    _changed(organization_id=organization_id, technician_ids=[technician_id], start=start, end=end)


# --- public holidays ----------------------------------------------------------------------------


def save_holiday(*, holiday: Holiday, values: dict) -> Holiday:
    organization_id = getattr(values.get("sales_organization"), "pk", holiday.sales_organization_id)
    day = values.get("date", holiday.date)
    taken = Holiday.objects.filter(sales_organization_id=organization_id, date=day)
    if day is not None and taken.exclude(pk=holiday.pk).exists():
        raise ServiceError(f"{day:%Y-%m-%d} is a holiday here already.", field="date")
    before = (holiday.sales_organization_id, holiday.date)
    saved = save_record(instance=holiday, values=values)
    for organization_id, day in {before, (saved.sales_organization_id, saved.date)}:
        if organization_id is not None and day is not None:
            _changed(
                organization_id=organization_id, start=_day_span(day)[0], end=_day_span(day)[1]
            )
    return saved


def delete_holiday(*, holiday: Holiday) -> None:
    organization_id, day = holiday.sales_organization_id, holiday.date
    holiday.delete()
    _changed(organization_id=organization_id, start=_day_span(day)[0], end=_day_span(day)[1])


def _language(country: str, wanted: str) -> str | None:
    """The organization's language where the package names that country's holidays in it
    (`en` matches `en_US`), else the country's own."""
    known = public_holidays.list_localized_countries().get(country, [])
    wanted = wanted.strip().replace("-", "_").lower()
    if not wanted:
        return None
    for language in known:
        if language.lower() == wanted:
            return language
    prefix = wanted.split("_")[0]
    return next((lang for lang in known if lang.lower().split("_")[0] == prefix), None)


def load_holidays(*, sales_organization: SalesOrganization, year: int) -> list[Holiday]:
    """Add the public holidays of the organization's country in `year` (from the `holidays`
    package). Dates already there are left as they are, so edits survive a reload. Answers the
    holidays added."""
    if isinstance(year, bool) or not isinstance(year, int) or year not in HOLIDAY_YEARS:
        raise ServiceError(
            f"Give a year from {HOLIDAY_YEARS.start} to {HOLIDAY_YEARS.stop - 1}.", field="year"
        )
    country = sales_organization.country
    if country is None:
        raise ServiceError(
            f"{sales_organization.code} has no country: set it to load its public holidays.",
            field="sales_organization",
        )
    code = country.code.upper()
    try:
        found = public_holidays.country_holidays(
            code, years=year, language=_language(code, sales_organization.language)
        )
    except NotImplementedError:
        raise ServiceError(
            f"No public holidays are known for country {code}: add them by hand.",
            field="sales_organization",
        ) from None
    max_length = Holiday._meta.get_field("name").max_length
    with transaction.atomic():
        known = set(
            Holiday.objects.filter(
                sales_organization=sales_organization, date__year=year
            ).values_list("date", flat=True)
        )
        added = [
            Holiday(sales_organization=sales_organization, date=day, name=name[:max_length])
            for day, name in sorted(found.items())
            if day not in known
        ]
        # A concurrent load of the same year adds the same dates: the first one stays.
        Holiday.objects.bulk_create(added, ignore_conflicts=True)
    if added:
        _changed(
            organization_id=sales_organization.pk,
            start=_day_span(added[0].date)[0],
            end=_day_span(added[-1].date)[1],
        )
    return added
