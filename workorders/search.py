"""What a planner's search words find in the work order and project lists.

A number is a work order's number. Otherwise every word must match something of the row: its
name (anywhere in it), its back-office or customer reference (from the start: "NC-IMP" finds
NC-IMP-0001), its project (name, reference), its company's name, its technician's name or code,
or its site's city (the work order's own site address, else its project's).

Fast at a million work orders on PostgreSQL: the name by a trigram index, the references and
the city by prefix indexes on UPPER(column) (migration `workorders.0007`); projects, companies,
technicians and addresses are small tables, looked up first (`related_ids`), and their ids
probed in the work order's indexes. On SQLite the same queries run without those indexes; the
list is paged by id2 and its count is capped while searching, so a search stays bounded."""

from django.db.models import Q, QuerySet

from jobsite.models import Address, Company, User
from jobsite.tenancy import restrict_to_tenant
from workorders.models import Project

# Words of one search: more add nothing a planner would type.
MAX_WORDS = 5
# Ids a looked-up table hands over per word. A city names a few thousand projects at most;
# past this a word is too common to narrow anything and the name and references decide.
MAX_RELATED_IDS = 5_000
# Numbers longer than this are not work order numbers (a bigint has 19 digits).
MAX_NUMBER_DIGITS = 18

SEARCH_HELP = (
    "A number finds that work order. Words search the name; the back-office or customer "
    "reference (from its start, e.g. NC-IMP); the project; the company; the technician; and "
    "the site's city."
)
PROJECT_SEARCH_HELP = (
    "Words search the name, the back-office reference (from its start), the serial number, "
    "the company and the site's city."
)


def as_number(term: str) -> int | None:
    digits = term.strip().lstrip("#")
    if digits.isdigit() and len(digits) <= MAX_NUMBER_DIGITS:
        return int(digits)
    return None


def _city_addresses(word: str, *, user) -> QuerySet:
    return restrict_to_tenant(Address.objects.order_by(), user=user).filter(city__istartswith=word)


def _projects_for(word: str, *, user) -> QuerySet:
    projects = restrict_to_tenant(Project.objects.order_by(), user=user)
    return projects.filter(
        Q(name__icontains=word)
        | Q(reference_back_office__istartswith=word)
        | Q(db_address_id__in=_city_addresses(word, user=user).values("pk"))
    )


def _companies_for(word: str, *, user) -> QuerySet:
    return restrict_to_tenant(Company.objects.order_by(), user=user).filter(name__icontains=word)


def _technicians_for(word: str, *, user) -> QuerySet:
    return (
        restrict_to_tenant(User.objects.order_by(), user=user)
        .filter(is_technician=True)
        .filter(
            Q(first_name__icontains=word)
            | Q(last_name__icontains=word)
            | Q(username__icontains=word)
            | Q(code__iexact=word)
        )
    )


RELATED = {
    "project_id": _projects_for,
    "company_id": _companies_for,
    "suggested_user_id": _technicians_for,
    "db_address_id": _city_addresses,
}


def related_ids(word: str, *, user) -> dict[str, list]:
    """{work order column: ids} of the small tables' rows a word finds, read before the work
    orders are (a few milliseconds each): the database then plans the work order query knowing
    how many ids each column is probed with. (As subqueries, their size unknown when planning,
    they made PostgreSQL walk every work order of the organization.)"""
    return {
        column: list(lookup(word, user=user).values_list("pk", flat=True)[:MAX_RELATED_IDS])
        for column, lookup in RELATED.items()
    }


def search_work_orders(queryset: QuerySet, term: str, *, user) -> QuerySet:
    """The work orders of `queryset` the search `term` finds (see the module's docstring)."""
    term = term.strip()
    if not term:
        return queryset
    number = as_number(term)
    if number is not None:
        return queryset.filter(
            Q(id2=number)
            | Q(reference_back_office__istartswith=term)
            | Q(customer_reference__istartswith=term)
        )
    for word in term.split()[:MAX_WORDS]:
        condition = (
            Q(name__icontains=word)
            | Q(reference_back_office__istartswith=word)
            | Q(customer_reference__istartswith=word)
            | Q(db_address_city__istartswith=word)
        )
        for column, ids in related_ids(word, user=user).items():
            if ids:
                condition |= Q(**{f"{column}__in": ids})
        queryset = queryset.filter(condition)
    return queryset


def search_projects(queryset: QuerySet, term: str, *, user) -> QuerySet:
    """The projects of `queryset` the search `term` finds: a number is a project's number."""
    term = term.strip()
    if not term:
        return queryset
    number = as_number(term)
    if number is not None:
        return queryset.filter(
            Q(id2=number) | Q(reference_back_office__istartswith=term) | Q(serial_number=term)
        )
    for word in term.split()[:MAX_WORDS]:
        queryset = queryset.filter(
            Q(name__icontains=word)
            | Q(reference_back_office__istartswith=word)
            | Q(serial_number__istartswith=word)
            | Q(db_address__city__istartswith=word)
            | Q(company_id__in=_companies_for(word, user=user).values("pk")[:MAX_RELATED_IDS])
        )
    return queryset
