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

from django.db.models import BooleanField, F, Func, Q, QuerySet

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


class AnyOf(Func):
    """`column IN (ids)`, written on PostgreSQL as `column = ANY(%s::uuid[])` with the ids as
    one array literal. A city names a few thousand projects and sites: as thousands of
    placeholders (twice each in the list's page query), or as a list the driver dumps id by id,
    preparing the statement cost more than running it."""

    output_field = BooleanField()
    conditional = True

    def __init__(self, column: str, ids: list):
        super().__init__(F(column))
        self.ids = list(ids)
        # Spelled once: a list page compiles its query several times (count, page, filters),
        # and 2,000 ids turned into text at each compile were a tenth of a city search.
        self.array = "{" + ",".join(map(str, self.ids)) + "}"

    def as_sql(self, compiler, connection, **extra_context):
        column = self.source_expressions[0]
        sql, params = compiler.compile(column)
        ids = [column.output_field.get_db_prep_value(i, connection) for i in self.ids]
        return f"{sql} IN ({', '.join(['%s'] * len(ids))})", [*params, *ids]

    def as_postgresql(self, compiler, connection, **extra_context):
        column = self.source_expressions[0]
        sql, params = compiler.compile(column)
        # Ids (uuids, numbers) need no quoting inside an array literal.
        db_type = column.output_field.db_type(connection)
        return f"{sql} = ANY(%s::{db_type}[])", [*params, self.array]


def as_number(term: str) -> int | None:
    digits = term.strip().lstrip("#")
    if digits.isdigit() and len(digits) <= MAX_NUMBER_DIGITS:
        return int(digits)
    return None


def _city_addresses(word: str, *, user) -> QuerySet:
    return restrict_to_tenant(Address.objects.order_by(), user=user).filter(city__istartswith=word)


def _projects_for(word: str, *, user, address_ids: list | None = None) -> QuerySet:
    """`address_ids`: the ids `_city_addresses` found for the word, when already read (whole:
    fewer than MAX_RELATED_IDS). Given as a list, PostgreSQL combines the three conditions from
    their indexes (trigram, prefix, db_address_id); as a subquery it read every project the
    user sees (all of them for a superuser)."""
    projects = restrict_to_tenant(Project.objects.order_by(), user=user)
    condition = Q(name__icontains=word) | Q(reference_back_office__istartswith=word)
    if address_ids is None:
        condition |= Q(db_address_id__in=_city_addresses(word, user=user).values("pk"))
    elif address_ids:
        condition |= Q(AnyOf("db_address_id", address_ids))
    return projects.filter(condition)


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


def _ids(queryset: QuerySet) -> list:
    return list(queryset.values_list("pk", flat=True)[:MAX_RELATED_IDS])


def related_ids(word: str, *, user) -> dict[str, list]:
    """{work order column: ids} of the small tables' rows a word finds, read before the work
    orders are (a few milliseconds each): the database then plans the work order query knowing
    how many ids each column is probed with. (As subqueries, their size unknown when planning,
    they made PostgreSQL walk every work order of the organization.) The sites are read first:
    the projects' lookup is handed their ids."""
    sites = _ids(_city_addresses(word, user=user))
    whole = len(sites) < MAX_RELATED_IDS
    return {
        "project_id": _ids(_projects_for(word, user=user, address_ids=sites if whole else None)),
        "company_id": _ids(_companies_for(word, user=user)),
        "suggested_user_id": _ids(_technicians_for(word, user=user)),
        "db_address_id": sites,
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
                condition |= Q(AnyOf(column, ids))
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
