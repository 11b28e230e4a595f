"""A queryset compiled once per shape (jobsite.compiled_queries) gives the rows the ORM gives, for
any values and list sizes, and refuses a queryset it could not follow."""

from datetime import UTC, date, datetime, timedelta

import pytest

from jobsite.compiled_queries import CompiledQuery
from jobsite.models import Absence, Holiday, User

from ..factories import make_absence, make_holiday

pytestmark = pytest.mark.django_db

MONDAY = datetime(2030, 1, 7, 8, tzinfo=UTC)


def _away(*, technicians, low, high):
    return (
        Absence.objects.filter(technician__in=technicians, start__lt=high, end__gt=low)
        .order_by("start")
        .values_list("id", "technician_id", "start", "end", "kind")
    )


def _away_and_holidays(*, technicians, low, high, organizations, first, last):
    """(id, technician or organization, kind or name)."""
    away = Absence.objects.filter(technician__in=technicians, start__lt=high, end__gt=low)
    holidays = Holiday.objects.filter(
        sales_organization__in=organizations, date__gte=first, date__lte=last
    )
    return (
        away.order_by()
        .values_list("id", "technician_id", "kind")
        .union(holidays.order_by().values_list("id", "sales_organization_id", "name"), all=True)
        .order_by()  # (else by the first model's default ordering, no column here)
    )


AWAY = CompiledQuery(
    _away,
    technicians=Absence._meta.get_field("technician"),
    low=Absence._meta.get_field("end"),
    high=Absence._meta.get_field("start"),
)
AWAY_AND_HOLIDAYS = CompiledQuery(
    _away_and_holidays,
    technicians=Absence._meta.get_field("technician"),
    low=Absence._meta.get_field("end"),
    high=Absence._meta.get_field("start"),
    organizations=Holiday._meta.get_field("sales_organization"),
    first=Holiday._meta.get_field("date"),
    last=Holiday._meta.get_field("date"),
)


@pytest.fixture
def world(sales_org, technician):
    other = User.objects.create_user(
        username="tech2", sales_organization=sales_org, is_technician=True
    )
    for day in range(5):
        start = MONDAY + timedelta(days=day)
        make_absence(technician=technician, start=start, end=start + timedelta(hours=4))
        make_absence(
            technician=other, start=start + timedelta(hours=1), end=start + timedelta(hours=2)
        )
    make_holiday(sales_organization=sales_org, date=date(2030, 1, 9), name="Ninth")
    return technician, other


def test_the_rows_are_the_orms_for_any_values_and_list_sizes(world, django_assert_num_queries):
    technician, other = world
    for technicians in ([technician.pk], [technician.pk, other.pk], [str(other.pk)], []):
        for low, high in [(MONDAY, MONDAY + timedelta(days=2)), (MONDAY, MONDAY)]:
            values = {"technicians": technicians, "low": low, "high": high}
            expected = list(_away(**values))
            with django_assert_num_queries(1 if technicians else 0):
                assert AWAY.rows(**values) == expected


def test_a_union_with_dates_and_an_empty_part(world, sales_org):
    technician, other = world
    for organizations in ([sales_org.pk], []):
        values = {
            "technicians": [technician.pk, other.pk],
            "low": MONDAY,
            "high": MONDAY + timedelta(days=3),
            "organizations": organizations,
            "first": date(2030, 1, 8),
            "last": date(2030, 1, 10),
        }
        found = AWAY_AND_HOLIDAYS.rows(**values)
        assert sorted(found, key=str) == sorted(_away_and_holidays(**values), key=str)
        assert ("Ninth" in {row[2] for row in found}) == bool(organizations)


def test_a_value_the_queryset_transforms_is_refused(world):
    later = CompiledQuery(
        lambda *, low: Absence.objects.filter(end__gt=low + timedelta(hours=1)).values_list("id"),
        low=Absence._meta.get_field("end"),
    )
    with pytest.raises(ValueError, match="transformed"):
        later.rows(low=MONDAY)
