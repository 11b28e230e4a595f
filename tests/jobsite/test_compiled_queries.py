"""A queryset compiled once per shape (jobsite.compiled_queries) gives the rows the ORM gives, for
any values and list sizes, and refuses a queryset it could not follow."""

from datetime import UTC, date, datetime, timedelta

import pytest

from jobsite import calendars
from jobsite.compiled_queries import CompiledQuery
from jobsite.models import Absence, User
from workorders.scheduling import check_reads

from ..factories import make_absence, make_holiday, make_planning, make_working_hours

pytestmark = pytest.mark.django_db

MONDAY = datetime(2030, 1, 7, 8, tzinfo=UTC)


def _away(*, technicians, low, high):
    return (
        Absence.objects.filter(technician__in=technicians, start__lt=high, end__gt=low)
        .order_by("start")
        .values_list("id", "technician_id", "start", "end", "kind")
    )


AWAY = CompiledQuery(
    _away,
    technicians=Absence._meta.get_field("technician"),
    low=Absence._meta.get_field("end"),
    high=Absence._meta.get_field("start"),
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


def test_the_checks_own_queries_give_the_orms_rows(world, sales_org, project, skill):
    """The planning check's compiled reads (a UNION of plannings, absences, holidays and
    skills; the technicians; the working-hour patterns), each beside its queryset run by the
    ORM, for every part present or empty."""
    technician, other = world
    technician.skills.add(skill)
    planning = make_planning(project=project, technician=technician, start=MONDAY)
    make_working_hours(sales_organization=sales_org)
    make_working_hours(technician=other)
    stretch = ([technician.pk], [MONDAY - timedelta(hours=1)], [MONDAY + timedelta(hours=3)])
    for (users, lows, highs), organizations, skills in [
        (stretch, [sales_org.pk], [skill.pk]),
        (([], [], []), [sales_org.pk], []),
        (stretch, [], [skill.pk]),
    ]:
        values = {
            "users": users,
            "lows": lows,
            "highs": highs,
            "technicians": [technician.pk, other.pk],
            "low": MONDAY,
            "high": MONDAY + timedelta(days=3),
            "organizations": organizations,
            "first": date(2030, 1, 8),
            "last": date(2030, 1, 10),
            "skills": skills,
        }
        found = check_reads.BUSY.rows(**values)
        assert sorted(found, key=str) == sorted(check_reads._busy(**values), key=str)
        pks = {row[0] for row in found}
        assert (planning.pk in pks) == bool(users)
        assert (skill.pk in pks) == bool(skills)
    ids = [technician.pk, other.pk]
    assert sorted(check_reads.TECHNICIANS.rows(ids=ids), key=str) == sorted(
        check_reads._technicians_query(ids=ids), key=str
    )
    patterns = {"technicians": ids, "organizations": [sales_org.pk]}
    found = calendars.PATTERNS.rows(**patterns)
    assert len(found) == 2
    assert sorted(found, key=str) == sorted(calendars._patterns(**patterns), key=str)


def test_a_value_the_queryset_transforms_is_refused(world):
    later = CompiledQuery(
        lambda *, low: Absence.objects.filter(end__gt=low + timedelta(hours=1)).values_list("id"),
        low=Absence._meta.get_field("end"),
    )
    with pytest.raises(ValueError, match="transformed"):
        later.rows(low=MONDAY)
