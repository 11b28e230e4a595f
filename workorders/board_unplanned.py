"""The planning board's unplanned pane: the work waiting for a planner, searched, filtered and
sorted, a page at a time, so that every work order is reachable however many there are."""

from dataclasses import dataclass
from datetime import timedelta

from django.db import connection
from django.db.models import F, Q, Value
from django.utils import timezone

from jobs.models import JobPriority, JobStatus
from jobsite.models import Address, Skill, User
from jobsite.tenancy import restrict_to_tenant
from workorders.models import Project, WorkOrder
from workorders.planning_board import site_city
from workorders.selectors import AWAITING_PLANNING_STATUSES

PAGE_SIZE = 40
# A word naming more projects than this (a city of every project) finds its work orders by
# their own name and city.
MAX_PROJECTS = 5000
SORTS = {
    "due": (F("due_date").asc(nulls_last=True), "-id2"),
    "priority": (
        F("job_priority__sequence").desc(nulls_last=True),
        F("due_date").asc(nulls_last=True),
        "-id2",
    ),
}
DUE_CHOICES = {
    "overdue": "Overdue",
    "week": "Due within 7 days",
    "month": "Due within 31 days",
    "none": "No due date",
}


@dataclass(frozen=True)
class Search:
    q: str = ""
    priority: str = ""
    skill: str = ""
    due: str = ""
    status: str = ""
    sort: str = "due"
    page: int = 1
    sales_organization_id: object = None

    @classmethod
    def from_query(cls, query, *, sales_organization_id=None) -> "Search":
        try:
            page = max(1, int(query.get("page") or 1))
        except ValueError:
            page = 1
        sort = query.get("sort") or "due"
        due = query.get("due") or ""
        return cls(
            q=(query.get("q") or "").strip()[:100],
            priority=_uuid_text(query.get("priority")),
            skill=_uuid_text(query.get("skill")),
            due=due if due in DUE_CHOICES else "",
            status=query.get("status") if query.get("status", "").isdigit() else "",
            sort=sort if sort in SORTS else "due",
            page=page,
            sales_organization_id=sales_organization_id,
        )


def _uuid_text(value) -> str:
    value = (value or "").strip()
    return value if len(value) == 36 and value.count("-") == 4 else ""


@dataclass
class Page:
    items: list
    has_more: bool
    search: Search


def _matching(*, user: User, search: Search):
    found = restrict_to_tenant(
        WorkOrder.objects.filter(job_status__number__in=AWAITING_PLANNING_STATUSES), user=user
    )
    if search.sales_organization_id:
        found = found.filter(sales_organization_id=search.sales_organization_id)
    if search.status:
        found = found.filter(job_status__number=int(search.status))
    if search.priority:
        found = found.filter(job_priority_id=search.priority)
    if search.skill:
        found = found.filter(skill_id=search.skill)
    now = timezone.now()
    if search.due == "overdue":
        found = found.filter(due_date__lt=now)
    elif search.due == "week":
        found = found.filter(due_date__lt=now + timedelta(days=7))
    elif search.due == "month":
        found = found.filter(due_date__lt=now + timedelta(days=31))
    elif search.due == "none":
        found = found.filter(due_date__isnull=True)
    text = search.q.lstrip("#")
    if text.isdigit() and len(text) < 19:
        # A number is a work order's number: one index lookup.
        found = found.filter(id2=int(text))
    elif text:
        # The projects first (a short list of ids), so that the work orders' part is an OR of
        # indexed conditions (trigram indexes on PostgreSQL, the project's foreign key).
        projects = list(
            restrict_to_tenant(Project.objects.all(), user=user)
            .filter(Q(name__icontains=text) | Q(db_address__city__icontains=text))
            .values_list("pk", flat=True)[:MAX_PROJECTS]
        )
        # The sites from the address book too: a card shows their city (site_city).
        sites = list(
            restrict_to_tenant(Address.objects.all(), user=user)
            .filter(city__icontains=text)
            .values_list("pk", flat=True)[:MAX_PROJECTS]
        )
        condition = Q(name__icontains=text) | Q(db_address_city__icontains=text)
        if projects:
            condition |= Q(project_id__in=projects)
        if sites:
            condition |= Q(db_address_id__in=sites)
        found = found.filter(condition)
    return found


CARD_COLUMNS = (
    "pk",
    "id2",
    "name",
    "city",
    "estimated_time",
    "due_date",
    "skill_id",
    "skill__name",
    "project__name",
    "job_status__name",
    "job_status__number",
    "job_priority__name",
    "job_priority__sequence",
)


def unplanned(*, user: User, search: Search) -> Page:
    """One page of the work waiting for a planner (one query; two by priority on PostgreSQL)."""
    city = site_city()
    first = (search.page - 1) * PAGE_SIZE
    found = _matching(user=user, search=search).annotate(city=city)
    if search.sort == "priority" and connection.features.supports_slicing_ordering_in_compound:
        rows = _by_priority(user=user, found=found, first=first)
    else:
        rows = list(
            found.order_by(*SORTS[search.sort]).values(*CARD_COLUMNS)[first : first + PAGE_SIZE + 1]
        )
    now = timezone.now()
    for row in rows:
        row["overdue"] = row["due_date"] is not None and row["due_date"] < now
        row["minutes"] = row["estimated_time"] or 60
    return Page(items=rows[:PAGE_SIZE], has_more=len(rows) > PAGE_SIZE, search=search)


def _by_priority(*, user: User, found, first: int) -> list[dict]:
    """The page by priority, most urgent first: each priority's first rows by due date (an
    index on organization, priority and due date), put together. Sorting every waiting work
    order by its priority's rank took 1 s at 1,000,000 work orders."""
    priorities = list(
        restrict_to_tenant(JobPriority.objects.all(), user=user, shared_when_empty=True)
        .order_by("-sequence", "name")
        .values_list("pk", flat=True)
    )
    wanted = first + PAGE_SIZE + 1
    parts = [
        found.filter(job_priority_id=pk)
        .annotate(rank=Value(n))
        .order_by(*SORTS["due"])
        .values(*CARD_COLUMNS, "rank")[:wanted]
        for n, pk in enumerate(priorities)
    ]
    parts.append(
        found.filter(job_priority__isnull=True)
        .annotate(rank=Value(len(priorities)))
        .order_by(*SORTS["due"])
        .values(*CARD_COLUMNS, "rank")[:wanted]
    )
    union = parts[0].union(*parts[1:], all=True)
    rows = list(union.order_by("rank", F("due_date").asc(nulls_last=True), "-id2"))
    return rows[first:wanted]


def filter_choices(*, user: User) -> dict:
    """The pane's filters: priorities and skills the user sees, the waiting statuses."""
    return {
        "priorities": list(
            restrict_to_tenant(JobPriority.objects.all(), user=user, shared_when_empty=True)
            .order_by("-sequence", "name")
            .values_list("pk", "name")
        ),
        "skills": list(
            restrict_to_tenant(Skill.objects.all(), user=user)
            .order_by("name")
            .values_list("pk", "name")
        ),
        "statuses": list(
            JobStatus.objects.filter(number__in=AWAITING_PLANNING_STATUSES)
            .order_by("number")
            .values_list("number", "name")
        ),
        "due": list(DUE_CHOICES.items()),
    }
