"""What a planner's search words find in the work order and project lists.

A number is a work order's number. Otherwise every word must match something of the row: its
name (anywhere in it), its back-office or customer reference (from the start: "NC-IMP" finds
NC-IMP-0001), its project (name, reference), its company's name, its technician's name or code,
or its site's city (the work order's own site address, else its project's).

Fast at a million work orders on PostgreSQL: the name by a trigram index, the references and
the city by prefix indexes on UPPER(column) (migration `workorders.0007`); projects, companies,
technicians and addresses are small tables, looked up first, and their ids probed in the work
order's indexes with `= ANY(ARRAY(…))`. On SQLite the same queries run without those indexes; the
list is paged by id2 and its count is capped while searching, so a search stays bounded."""

from django.db import connections
from django.db.models import BooleanField, F, Func, Q, QuerySet, Subquery

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


class EqualsAnyOf(Func):
    """`column = ANY(ARRAY(subquery))`: PostgreSQL runs the subquery once and probes an index
    with the array (a plain IN (subquery) inside an OR would be tested row by row)."""

    arg_joiner = " = ANY(ARRAY"
    template = "%(expressions)s)"
    output_field = BooleanField()


def as_number(term: str) -> int | None:
    digits = term.strip().lstrip("#")
    if digits.isdigit() and len(digits) <= MAX_NUMBER_DIGITS:
        return int(digits)
    return None


def _in(column: str, ids: QuerySet, *, postgres: bool) -> Q:
    # PostgreSQL runs `= ANY(ARRAY(subquery))` once and probes the column's index with the
    # array; a plain IN (subquery) inside an OR is tested row by row.
    if postgres:
        return Q(EqualsAnyOf(F(column), Subquery(ids)))
    return Q(**{f"{column}__in": Subquery(ids)})


def _city_addresses(word: str, *, user) -> QuerySet:
    return (
        restrict_to_tenant(Address.objects.order_by(), user=user)
        .filter(city__istartswith=word)
        .values("pk")[:MAX_RELATED_IDS]
    )


def _projects_for(word: str, *, user, with_city: bool) -> QuerySet:
    condition = Q(name__icontains=word) | Q(reference_back_office__istartswith=word)
    if with_city:
        condition |= Q(db_address__city__istartswith=word)
    return (
        restrict_to_tenant(Project.objects.order_by(), user=user)
        .filter(condition)
        .values("pk")[:MAX_RELATED_IDS]
    )


def _companies_for(word: str, *, user) -> QuerySet:
    return (
        restrict_to_tenant(Company.objects.order_by(), user=user)
        .filter(name__icontains=word)
        .values("pk")[:MAX_RELATED_IDS]
    )


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
        .values("pk")[:MAX_RELATED_IDS]
    )


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
    postgres = connections[queryset.db].vendor == "postgresql"
    for word in term.split()[:MAX_WORDS]:
        queryset = queryset.filter(
            Q(name__icontains=word)
            | Q(reference_back_office__istartswith=word)
            | Q(customer_reference__istartswith=word)
            | Q(db_address_city__istartswith=word)
            | _in("project_id", _projects_for(word, user=user, with_city=True), postgres=postgres)
            | _in("company_id", _companies_for(word, user=user), postgres=postgres)
            | _in("suggested_user_id", _technicians_for(word, user=user), postgres=postgres)
            | _in("db_address_id", _city_addresses(word, user=user), postgres=postgres)
        )
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
    postgres = connections[queryset.db].vendor == "postgresql"
    for word in term.split()[:MAX_WORDS]:
        queryset = queryset.filter(
            Q(name__icontains=word)
            | Q(reference_back_office__istartswith=word)
            | Q(serial_number__istartswith=word)
            | Q(db_address__city__istartswith=word)
            | _in("company_id", _companies_for(word, user=user), postgres=postgres)
        )
    return queryset
