"""Tenancy matrix: every API route and every admin page, tried by a planner of sales organization B
against the records of sales organization A. Never 200 with A's data; writes on A's records are
404 (API) or "doesn't exist" (admin) and change nothing.

The routes come from the URL resolver, not from a list kept by hand: a route that is neither in
API_ROUTES / ADMIN_CUSTOM nor in an allow-list with its reason fails `test_every_*_is_covered`,
naming it. A new endpoint or admin page is added to a table here, with the way to try it."""

import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from rest_framework.test import APIClient

from apijobs.models import ApiJob, ApiJobError
from apijobs.services import create_api_job
from jobs import services as job_services
from jobs.models import Job, JobDetail, JobPriority, JobStatus, JobType
from jobsite.models import (
    Absence,
    Address,
    ApiToken,
    Company,
    Contact,
    Country,
    Holiday,
    SalesOrganization,
    Skill,
    User,
    WorkingHours,
)
from jobsite.services import issue_api_token
from tests.factories import make_absence, make_holiday, make_work_order, make_working_hours
from tests.reliability.conftest import rolled_back_module_data
from workorders import services as wo_services
from workorders.models import (
    EquipmentBrand,
    EquipmentFamily,
    EquipmentModel,
    JobPlanning,
    Project,
    ProjectStatus,
    WorkOrder,
)

MARK = "ZqxA"  # in every name of A's records: it must never reach B
START = datetime(2031, 3, 4, 9, 0, tzinfo=UTC)  # a Tuesday


# --- the world: sales organization A with one of everything, and planner B --------------------


@dataclass
class World:
    a: dict  # key -> A's object
    planner_a: User
    planner_b: User
    token_a: str
    token_b: str
    secrets: list[str] = field(default_factory=list)
    b_job: Job | None = None

    def api(self, who: str) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {getattr(self, f'token_{who}')}")
        return client

    def admin(self, who: str) -> Client:
        client = Client()
        client.force_login(getattr(self, f"planner_{who}"))
        return client


def _planners_group():
    group, _ = Group.objects.get_or_create(name="Planners (matrix)")
    # Every permission of the business apps, plumbing included: tenancy, not permissions, must
    # keep B out of A's records.
    group.permissions.set(
        Permission.objects.filter(
            content_type__app_label__in=["jobsite", "jobs", "workorders", "apijobs"]
        )
    )
    return group


def _build_world() -> World:
    country = Country.objects.get_or_create(code="BE", defaults={"name": "Belgium"})[0]
    org_a = SalesOrganization.objects.create(code=f"{MARK}01", name=f"{MARK} Org", country=country)
    org_b = SalesOrganization.objects.create(code="MTXB01", name="Matrix B", country=country)
    group = _planners_group()

    def planner(name, org):
        user = User.objects.create_user(
            username=name, password="pw-matrix-1", sales_organization=org, is_staff=True
        )
        user.groups.add(group)
        return user

    planner_a = planner(f"{MARK.lower()}.planner", org_a)
    planner_b = planner("matrix.planner.b", org_b)
    a = {"org": org_a, "planner": planner_a}
    a["address"] = Address.objects.create(
        sales_organization=org_a, name=f"{MARK} site", street=f"{MARK}straat", city="Gent"
    )
    org_a.address = a["address"]
    org_a.save()
    a["skill"] = Skill.objects.create(
        code=f"{MARK}SK", name=f"{MARK} skill", sales_organization=org_a
    )
    a["technician"] = User.objects.create_user(
        username=f"{MARK.lower()}.tech",
        first_name=MARK,
        last_name="Tech",
        code=f"{MARK}T1",
        sales_organization=org_a,
        is_technician=True,
    )
    a["technician"].skills.add(a["skill"])
    a["company"] = Company.objects.create(
        code=f"{MARK}C",
        name=f"{MARK} Company",
        sales_organization=org_a,
        address=a["address"],
        reference_back_office=f"{MARK}-C",
    )
    a["contact"] = Contact.objects.create(
        company=a["company"], last_name=f"{MARK} Contact", reference_back_office=f"{MARK}-CT"
    )
    a["equipment_brand"] = EquipmentBrand.objects.create(
        code=f"{MARK}B", name=f"{MARK} brand", sales_organization=org_a
    )
    a["equipment_family"] = EquipmentFamily.objects.create(
        code=f"{MARK}F", name=f"{MARK} family", sales_organization=org_a
    )
    a["equipment_model"] = EquipmentModel.objects.create(
        code=f"{MARK}M",
        name=f"{MARK} model",
        sales_organization=org_a,
        equipment_brand=a["equipment_brand"],
        equipment_family=a["equipment_family"],
    )
    a["project_status"] = ProjectStatus.objects.create(
        code=f"{MARK}PS", name=f"{MARK} status", sales_organization=org_a
    )
    a["job_type"] = JobType.objects.create(
        code=f"{MARK}JT", name=f"{MARK} job type", sales_organization=org_a
    )
    a["job_priority"] = JobPriority.objects.create(
        code=f"{MARK}JP", name=f"{MARK} priority", sales_organization=org_a, sequence=7
    )
    a["project"] = wo_services.save_project(
        project=Project(
            name=f"{MARK} Project",
            company=a["company"],
            db_address=a["address"],
            contact=a["contact"],
            equipment_model=a["equipment_model"],
            project_status=a["project_status"],
            reference_back_office=f"{MARK}-P",
        )
    )
    a["work_order"] = make_work_order(
        project=a["project"],
        job_type=a["job_type"],
        priority=a["job_priority"],
        status="Suggested",
        name=f"{MARK} Work order",
        reference_back_office=f"{MARK}-WO",
        suggested_user=a["technician"],
        suggested_date_start=START,
        skill=a["skill"],
        db_address=a["address"],
    )
    a["planning"] = JobPlanning.objects.get(work_order=a["work_order"])
    a["job"] = job_services.save_fulfillment_job(
        job=None,
        values={
            "job_status": JobStatus.objects.get(code="ToBePlanned"),
            "job_type": a["job_type"],
            "client": a["company"],
            "requesting_user": a["technician"],
            "description": f"{MARK} fulfillment",
        },
        by=planner_a,
        operation="matrix",
    )
    a["job_detail"] = JobDetail.objects.create(
        job=a["job"], object_name=f"{MARK} detail", object_id=1, modified_datetime=START
    )
    a["api_job"] = create_api_job(
        type="workorder_import", by=planner_a, source_name=f"{MARK}.csv", total_records=1
    )
    ApiJobError.objects.create(
        api_job=a["api_job"], line=2, field="name", message=f"{MARK} error", record_id=f"{MARK}-R"
    )
    a["working_hours"] = make_working_hours(
        technician=a["technician"], weekly=[{"weekday": 2, "start": "09:00", "end": "13:00"}]
    )
    a["default_working_hours"] = make_working_hours(sales_organization=org_a)
    a["absence"] = make_absence(
        technician=a["technician"],
        start=START + timedelta(days=7),
        end=START + timedelta(days=8),
        note=f"{MARK} absence",
    )
    a["holiday"] = make_holiday(
        sales_organization=org_a, date=START.date() + timedelta(days=14), name=f"{MARK} day"
    )
    token_a, a["api_token"] = issue_api_token(user=planner_a)
    # B's own job in progress: completing it "performed by" A's technician must be refused.
    b_job = job_services.save_fulfillment_job(
        job=None,
        values={"job_status": JobStatus.objects.get(code="InProgress"), "description": "B's"},
        by=planner_b,
        operation="matrix",
    )
    token_b, _ = issue_api_token(user=planner_b)
    secrets = [MARK, MARK.upper(), MARK.lower()]
    for obj in a.values():
        if isinstance(obj.pk, uuid.UUID):  # small integer ids would match any digit
            secrets.append(str(obj.pk))
    return World(a, planner_a, planner_b, token_a, token_b, secrets, b_job=b_job)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with rolled_back_module_data(django_db_blocker, _build_world) as built:
        yield built


@pytest.fixture
def w(world, db):
    return world


def leaked(world: World, text: str, sent: str = "") -> list[str]:
    """A's identifiers in `text`, except those B itself `sent` (an echo of B's own input)."""
    return [s for s in world.secrets if s in text and s not in sent]


def snapshot(world: World) -> dict:
    """A's rows as stored, and every table's count: a write that leaks shows up in one."""
    rows = {
        key: type(obj).objects.filter(pk=obj.pk).values().first() for key, obj in world.a.items()
    }
    counts = {model.__name__: model.objects.count() for model in admin.site._registry}
    counts["JobDetail"] = JobDetail.objects.count()
    counts["WorkingHours"] = WorkingHours.objects.count()  # inlines, no admin of their own
    counts["ApiJobError"] = ApiJobError.objects.count()
    return {"rows": rows, "counts": counts}


def assert_unchanged(world: World, before: dict, what: str):
    after = snapshot(world)
    changed = [k for k in before["rows"] if before["rows"][k] != after["rows"][k]]
    assert not changed, f"{what}: A's {changed} changed"
    counts = {k: (v, after["counts"][k]) for k, v in before["counts"].items()}
    grew = {k: v for k, v in counts.items() if v[0] != v[1]}
    # B may create its own API job (bulk) with its errors, nothing else.
    grew.pop("ApiJob", None)
    grew.pop("ApiJobError", None)
    assert not grew, f"{what}: row counts changed {grew}"


# --- route discovery ---------------------------------------------------------------------------


def walk(patterns, prefix="", namespace=None):
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from walk(p.url_patterns, prefix + str(p.pattern), p.namespace or namespace)
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern), p.name, namespace


def api_route_names() -> set[str]:
    return {
        name
        for route, name, ns in walk(get_resolver().url_patterns)
        if ns is None and route.lstrip("^").startswith("api/")
    }


def admin_route_names() -> set[str | None]:
    return {name for _, name, ns in walk(get_resolver().url_patterns) if ns == "admin"}


# --- the API table -----------------------------------------------------------------------------


@dataclass
class Listing:
    """GET as B shows none of A's rows (plain, searched, filtered by A's organization); each
    create in `creates` refers to one of A's records and is a 400 naming the field (the first
    key whose value names A's record, unless given) and writes nothing."""

    shows: str | None  # A's object that A's own planner sees in this list (a positive control)
    creates: list = field(default_factory=list)  # bodies: field -> key of A's object or literal


@dataclass
class Detail:
    """A's `key` object by id: GET, PUT, PATCH, DELETE as B are 404 (or 405), nothing changes."""

    key: str
    read_only: bool = False


@dataclass
class Custom:
    check: str  # the name of a function below


API_ROUTES = {
    "company-list": Listing("company", [{"code": "MB1", "name": "B", "address_id": "address"}]),
    "company-detail": Detail("company"),
    "contact-list": Listing("contact", [{"last_name": "B", "company_id": "company"}]),
    "contact-detail": Detail("contact"),
    "skill-list": Listing("skill", [{"code": "MB1", "name": "B", "sales_organization_id": "org"}]),
    "skill-detail": Detail("skill"),
    "user-list": Listing("technician"),
    "user-detail": Detail("technician", read_only=True),
    "fulfillment-job-list": Listing("job", [{"description": "B", "client_id": "company"}]),
    "fulfillment-job-detail": Detail("job"),
    "job-type-list": Listing(
        "job_type", [{"code": "MB1", "name": "B", "sales_organization_id": "org"}]
    ),
    "job-type-detail": Detail("job_type"),
    "job-priority-list": Listing(
        "job_priority", [{"code": "MB1", "name": "B", "sales_organization_id": "org"}]
    ),
    "job-priority-detail": Detail("job_priority"),
    "job-status-list": Listing(None),
    "workorder-list": Listing(
        "work_order",
        [
            {"name": "B", "project_id": "project", "job_type_code": "Unknown"},
            {"name": "B", "project_reference_back_office": f"{MARK}-P"},
            {"name": "B", "db_address_id": "address", "suggested_user_id": "technician"},
            {"name": "B", "skill_id": "skill", "contact_id": "contact"},
            {"name": "B", "job_type_id": "job_type", "job_priority_id": "job_priority"},
        ],
    ),
    "workorder-detail": Detail("work_order"),
    "project-list": Listing(
        "project",
        [
            {"name": "B", "company_id": "company"},
            {"name": "B", "db_address_id": "address"},
            {"name": "B", "contact_id": "contact", "equipment_model_id": "equipment_model"},
            {"name": "B", "project_status_id": "project_status", "owner_user_id": "technician"},
        ],
    ),
    "project-detail": Detail("project"),
    "planning-list": Listing(
        "planning",
        [{"work_order_id": "work_order", "user_id": "technician", "date_start": START.isoformat()}],
    ),
    "planning-detail": Detail("planning"),
    "api-job-list": Listing("api_job"),
    "api-job-detail": Detail("api_job", read_only=True),
    "api-job-errors": Custom("api_job_errors"),
    "fulfillment-job-put": Custom("fulfillment_job_put"),
    "jobs-all-scopes-start-progress": Custom("life_cycle"),
    "jobs-all-scopes-complete": Custom("life_cycle"),
    "workorder-bulk": Custom("bulk"),
    "sales-organization-list": Listing("org"),
    "sales-organization-detail": Custom("sales_organization_detail"),
    "sales-organization-working-hours": Custom("working_hours"),
    "technician-list": Listing("technician"),
    "technician-detail": Detail("technician", read_only=True),
    "technician-working-hours": Custom("working_hours"),
    "absence-list": Listing(
        "absence",
        [
            {"technician_id": "technician", "start": START.isoformat(), "end": "2031-03-05"},
            {"technician_code": f"{MARK}T1", "start": START.isoformat(), "end": "2031-03-05"},
        ],
    ),
    "absence-detail": Detail("absence"),
    "holiday-list": Listing(
        "holiday", [{"date": "2031-05-05", "name": "B", "sales_organization_id": "org"}]
    ),
    "holiday-detail": Detail("holiday"),
    "holiday-load": Custom("holiday_load"),
    "technician-availability": Custom("availability"),
    "availability": Custom("availability"),
    "workorder-proposals": Custom("proposals"),
    "autoplan": Custom("autoplan"),
    "autoplan-detail": Custom("autoplan"),
    "autoplan-accept": Custom("autoplan"),
}

API_NOT_TENANT_DATA = {
    "auth-login": "takes a username and password, answers a token for that user only",
    "auth-logout": "revokes the caller's own token",
    "api-root": "links to the resources, no records",
    "schema": "the OpenAPI document, no records",
    "api-docs": "the Swagger page, no records",
    # Job statuses are global (0-9, shared by every organization): no tenant's row to hide.
    "job-status-detail": "job statuses are global, shared by every sales organization",
}


def test_every_api_route_is_covered():
    missing = sorted(
        n for n in api_route_names() if n not in API_ROUTES and n not in API_NOT_TENANT_DATA
    )
    assert not missing, (
        f"API routes without a tenancy check: {missing}. Add each to API_ROUTES (how B tries A's "
        "data) or to API_NOT_TENANT_DATA with the reason."
    )
    stale = sorted(set(API_ROUTES) - api_route_names())
    assert not stale, f"API_ROUTES names routes that no longer exist: {stale}"


def _path(name: str, pk=None) -> str:
    return reverse(name, kwargs={"pk": pk} if pk is not None else None).replace("/?", "/")


def _ref(world: World, value):
    return str(world.a[value].pk) if isinstance(value, str) and value in world.a else value


LISTINGS = [n for n, c in API_ROUTES.items() if isinstance(c, Listing)]
DETAILS = [n for n, c in API_ROUTES.items() if isinstance(c, Detail)]
CUSTOMS = [n for n, c in API_ROUTES.items() if isinstance(c, Custom)]


@pytest.mark.parametrize("name", LISTINGS)
def test_api_list_shows_none_of_a(w, name):
    case = API_ROUTES[name]
    url = _path(name)
    if case.shows:
        own = w.api("a").get(url, {"page_size": 500})
        assert own.status_code == 200
        assert str(w.a[case.shows].pk) in own.content.decode(), f"control: A's list of {name}"
    b = w.api("b")
    for params in (
        {"page_size": 500},
        {"search": MARK},
        {"sales_organization": str(w.a["org"].pk), "sales_organization_code": f"{MARK}01"},
    ):
        response = b.get(url, params)
        assert response.status_code in (200, 400), (name, params, response.status_code)
        found = leaked(w, response.content.decode(), json.dumps(params))
        assert not found, (name, params, found)
    for create in case.creates:
        body = {k: _ref(w, v) for k, v in create.items()}
        before = snapshot(w)
        response = b.post(url, body, format="json")
        assert response.status_code == 400, (name, response.status_code, response.content[:300])
        answer = response.content.decode()
        for named in (k for k, v in create.items() if v in w.a):
            assert named in answer, (name, named, response.json())
        assert not leaked(w, answer, json.dumps(body)), name
        assert_unchanged(w, before, f"POST {name}")


def _hijack(body: dict) -> dict:
    """A's record as A reads it, with its names changed: what B would send to take it over."""
    return {
        k: ("Hijacked" if k in ("name", "last_name", "description", "notes") else v)
        for k, v in body.items()
    }


@pytest.mark.parametrize("name", DETAILS)
def test_api_detail_of_a_is_404_for_every_method(w, name):
    case = API_ROUTES[name]
    url = _path(name, w.a[case.key].pk)
    own = w.api("a").get(url)
    assert own.status_code == 200, f"control: A reads its own {name}"
    b = w.api("b")
    before = snapshot(w)
    response = b.get(url)
    assert response.status_code == 404, (name, response.status_code)
    assert not leaked(w, response.content.decode())
    body = _hijack(own.json())
    allowed = {404, 405} if case.read_only else {404}
    for method in ("put", "patch", "delete"):
        response = getattr(b, method)(url, body, format="json")
        assert response.status_code in allowed, (name, method, response.status_code)
        assert not leaked(w, response.content.decode()), (name, method)
    assert_unchanged(w, before, f"writes on {name}")


@pytest.mark.parametrize("name", CUSTOMS)
def test_api_custom_route_refuses_a(w, name):
    globals()[f"check_{API_ROUTES[name].check}"](w, name)


def check_api_job_errors(w: World, name):
    url = reverse(name, kwargs={"pk": w.a["api_job"].pk}).replace("/?", "/")
    assert w.api("a").get(url).status_code == 200
    response = w.api("b").get(url)
    assert response.status_code == 404
    assert not leaked(w, response.content.decode())


def check_fulfillment_job_put(w: World, name):
    url = reverse(name).replace("/?", "")
    job = w.a["job"]
    before = snapshot(w)
    for body in (
        {"jobIdentifier": str(job.job_identifier), "notes": "Hijacked"},
        {"id": job.pk, "notes": "Hijacked"},
    ):
        response = w.api("b").put(url, body, format="json")
        assert response.status_code == 404, (body, response.status_code)
        assert not leaked(w, response.content.decode())
    # Referring to A's client or requesting user from B's own new job: a 400 naming it.
    for key, value in (
        ("clientId", w.a["company"].id2),
        ("requestingUserId", w.a["technician"].id2),
    ):
        response = w.api("b").put(url, {"jobIdentifier": str(uuid.uuid4()), key: value}, "json")
        assert response.status_code == 400, (key, response.status_code)
        assert key in response.content.decode()
    assert_unchanged(w, before, name)


def check_life_cycle(w: World, name):
    url = reverse(name).replace("/?", "")
    job = w.a["job"]
    before = snapshot(w)
    for ident in ({"id": str(job.pk)}, {"id": str(job.job_identifier)}, {"number": job.number}):
        response = w.api("b").post(url, {"job_identifier": ident}, format="json")
        assert response.status_code == 404, (ident, response.status_code)
        assert not leaked(w, response.content.decode())
    if name.endswith("complete"):
        technician = w.a["technician"]
        for who in ({"id": str(technician.pk)}, {"username": technician.username}):
            response = w.api("b").post(
                url,
                {"job_identifier": {"number": w.b_job.number}, "performed_by_user_identifier": who},
                format="json",
            )
            assert response.status_code == 400, (who, response.status_code)
            assert "performed_by_user_identifier" in response.content.decode()
            assert not leaked(w, response.content.decode(), json.dumps(who))
        w.b_job.refresh_from_db()
        assert w.b_job.job_status.code == "InProgress"
    assert_unchanged(w, before, name)


def check_bulk(w: World, name):
    from workorders.bulk import run_bulk_upsert

    url = reverse(name).replace("/?", "")
    wo = w.a["work_order"]
    before = snapshot(w)
    records = [
        {"id": str(wo.pk), "name": "Hijacked"},
        {"reference_back_office": wo.reference_back_office, "name": "Hijacked"},
        {
            "reference_back_office": "MTXB-NEW",
            "name": "B new",
            "project_id": str(w.a["project"].pk),
            "job_type_code": "Unknown",
            "job_status_code": "ToBePlanned",
        },
    ]
    response = w.api("b").post(url, json.dumps(records), content_type="application/json")
    assert response.status_code == 202
    job = ApiJob.objects.get(pk=response.json()["id"])
    run_bulk_upsert(api_job_id=job.pk)  # the worker's step (tasks wait for a commit here)
    job.refresh_from_db()
    assert job.effected_records == 0, job.message
    assert job.error_records == 3, job.message
    sent = json.dumps(records)
    assert not leaked(w, job.message, sent), job.message
    api_view = w.api("b").get(_path("api-job-errors", job.pk))
    assert not leaked(w, api_view.content.decode(), sent)
    assert_unchanged(w, before, name)


def check_sales_organization_detail(w: World, name):
    url = _path(name, w.a["org"].pk)
    own = w.api("a").get(url)
    assert own.status_code == 200, "control: A reads its own organization"
    before = snapshot(w)
    b = w.api("b")
    response = b.get(url)
    assert response.status_code == 404
    assert not leaked(w, response.content.decode())
    for method, allowed in (("put", 404), ("patch", 404), ("delete", 405)):
        response = getattr(b, method)(url, _hijack(own.json()), format="json")
        assert response.status_code == allowed, (method, response.status_code)
        assert not leaked(w, response.content.decode()), method
    assert_unchanged(w, before, name)


def check_working_hours(w: World, name):
    key = "org" if name.startswith("sales-organization") else "technician"
    url = _path(name, w.a[key].pk)
    own = w.api("a").get(url)
    assert own.status_code == 200, f"control: A reads its own {name}"
    before = snapshot(w)
    b = w.api("b")
    for method, body in (
        ("get", None),
        ("put", {"weekly": [{"weekday": 1, "start": "06:00", "end": "07:00"}]}),
        ("put", {"weekly": None}),
    ):
        response = getattr(b, method)(url, body, format="json")
        assert response.status_code == 404, (name, method, body, response.status_code)
        assert not leaked(w, response.content.decode()), (name, method)
    assert_unchanged(w, before, name)


def check_holiday_load(w: World, name):
    url = _path(name)
    before = snapshot(w)
    body = {"year": 2031, "sales_organization_id": str(w.a["org"].pk)}
    response = w.api("b").post(url, body, format="json")
    assert response.status_code == 400, response.status_code
    assert "sales_organization_id" in response.json()
    assert not leaked(w, response.content.decode(), json.dumps(body))
    assert_unchanged(w, before, name)


def check_availability(w: World, name):
    week = {"from": START.isoformat(), "to": (START + timedelta(days=7)).isoformat()}
    before = snapshot(w)
    b = w.api("b")
    if name == "technician-availability":
        url = _path(name, w.a["technician"].pk)
        assert w.api("a").get(url, week).status_code == 200, "control: A's technician"
        response = b.get(url, week)
        assert response.status_code == 404, response.status_code
        assert not leaked(w, response.content.decode())
    else:
        url = _path(name)
        own = w.api("a").get(url, week).content.decode()
        assert str(w.a["technician"].pk) in own, "control: A searches its technicians"
        response = b.get(url, week)
        assert response.status_code == 200
        assert not leaked(w, response.content.decode())
        for params in (
            {"sales_organization_id": str(w.a["org"].pk)},
            {"skill_id": str(w.a["skill"].pk)},
            {"skill_code": w.a["skill"].code},
        ):
            response = b.get(url, {**week, **params})
            assert response.status_code == 400, (params, response.status_code)
            assert next(iter(params)) in response.json()
            assert not leaked(w, response.content.decode(), json.dumps(params)), params
    assert_unchanged(w, before, name)


def check_proposals(w: World, name):
    url = _path(name, w.a["work_order"].pk)
    assert w.api("a").get(url).status_code == 200, "control: A's work order"
    before = snapshot(w)
    response = w.api("b").get(url, {"from": START.isoformat(), "limit": 50})
    assert response.status_code == 404, response.status_code
    assert not leaked(w, response.content.decode())
    assert_unchanged(w, before, name)


# --- the admin table ---------------------------------------------------------------------------

# Each registered model: the key of A's object to point at.
ADMIN_OBJECTS = {
    SalesOrganization: "org",
    Address: "address",
    Skill: "skill",
    Company: "company",
    Contact: "contact",
    User: "technician",
    ApiToken: "api_token",
    ApiJob: "api_job",
    JobType: "job_type",
    JobPriority: "job_priority",
    Job: "job",
    WorkOrder: "work_order",
    EquipmentBrand: "equipment_brand",
    EquipmentFamily: "equipment_family",
    EquipmentModel: "equipment_model",
    ProjectStatus: "project_status",
    Project: "project",
    JobPlanning: "planning",
    Holiday: "holiday",
    Absence: "absence",
}

ADMIN_NOT_TENANT_DATA = {
    "jobsite.country": "ISO countries, shared by every organization",
    "jobs.jobstatus": "the global statuses 0-9, shared by every organization",
    "jobsite.numbersequence": "the counters behind id2: numbers, no organization's records",
    "auth.group": "permission groups: planners have no permission on them (403)",
    "django_tasks_database.dbtaskresult": "the task queue: planners have no permission (403)",
}

ADMIN_SITE_PAGES = {
    "index": "the home page: shortcuts and the app list, checked below for A's data",
    "login": "the login form",
    "logout": "ends the caller's session",
    "password_change": "the caller's own password",
    "password_change_done": "a message",
    "jsi18n": "translations for the admin's scripts",
    "autocomplete": "tried below for every autocomplete field",
    "app_list": "the app's model list, no records",
    None: "the catch-all that redirects unknown admin URLs",
}

ADMIN_CUSTOM = {
    "workorders_workorder_board": "board",
    "workorders_workorder_board_plan": "board_plan",
    "workorders_workorder_board_move": "board_move",
    "workorders_workorder_board_unplan": "board_unplan",
    "workorders_workorder_board_unplanned": "board_unplanned",
    "workorders_workorder_board_slots": "board_slots",
    "workorders_workorder_import": "import_upload",
    "workorders_workorder_find_a_slot": "find_a_slot",
    "workorders_workorder_autoplan": "autoplan_page",
    "workorders_workorder_import_template": "import_template",
    "auth_user_password_change": "user_password",
    "view_on_site": "view_on_site",
}

MODEL_VIEWS = ("changelist", "add", "change", "delete", "history")


def _label(model) -> str:
    return model._meta.label_lower


def test_every_admin_page_is_covered():
    registered = {_label(m): m for m in admin.site._registry}
    unknown_models = sorted(
        label
        for label, model in registered.items()
        if model not in ADMIN_OBJECTS and label not in ADMIN_NOT_TENANT_DATA
    )
    assert not unknown_models, (
        f"Admin models without a tenancy check: {unknown_models}. Add each to ADMIN_OBJECTS "
        "(A's object to point at) or to ADMIN_NOT_TENANT_DATA with the reason."
    )
    model_pages = {
        f"{m._meta.app_label}_{m._meta.model_name}_{view}"
        for m in admin.site._registry
        for view in MODEL_VIEWS
    }
    missing = sorted(
        str(name)
        for name in admin_route_names()
        if name not in model_pages and name not in ADMIN_CUSTOM and name not in ADMIN_SITE_PAGES
    )
    assert not missing, (
        f"Admin pages without a tenancy check: {missing}. Add each to ADMIN_CUSTOM with a check "
        "or to ADMIN_SITE_PAGES with the reason."
    )


def _admin_url(model, view, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def _refused(response) -> bool:
    """The admin's answer for an object the user may not see: 404, or the redirect to the
    index with "doesn't exist"."""
    if response.status_code == 404:
        return True
    return response.status_code == 302 and response["Location"] in (
        "/admin/",
        reverse("admin:index"),
    )


@pytest.mark.parametrize("model", list(ADMIN_OBJECTS), ids=_label)
def test_admin_model_pages_show_none_of_a(w, model):
    obj = w.a[ADMIN_OBJECTS[model]]
    a_client, b = w.admin("a"), w.admin("b")
    change = _admin_url(model, "change", obj.pk)
    assert a_client.get(change).status_code == 200, f"control: A opens its own {model.__name__}"
    changelist = _admin_url(model, "changelist")
    for params in ({}, {"q": MARK}, {"sales_organization__id__exact": str(w.a["org"].pk)}):
        response = b.get(changelist, params)
        assert response.status_code in (200, 302), (model.__name__, params, response.status_code)
        found = leaked(w, response.content.decode(), json.dumps(params))
        assert not found, (model.__name__, params, found)
    model_admin = admin.site._registry[model]
    if model_admin.has_add_permission(_request(w.planner_b)):
        response = b.get(_admin_url(model, "add"))
        assert response.status_code == 200, model.__name__
        assert not leaked(w, response.content.decode()), (model.__name__, "add form")
    before = snapshot(w)
    for view in ("change", "delete", "history"):
        response = b.get(_admin_url(model, view, obj.pk))
        assert _refused(response), (model.__name__, view, response.status_code)
        assert not leaked(w, response.content.decode()), (model.__name__, view)
    for view, data in (("change", {"name": "Hijacked", "_save": "1"}), ("delete", {"post": "yes"})):
        response = b.post(_admin_url(model, view, obj.pk), data)
        assert _refused(response) or response.status_code == 403, (model.__name__, view)
    assert_unchanged(w, before, f"admin {model.__name__}")


def _request(user):
    from django.test import RequestFactory

    request = RequestFactory().get("/admin/")
    request.user = user
    return request


@pytest.mark.parametrize(
    "label", [k for k in ADMIN_NOT_TENANT_DATA if "403" in ADMIN_NOT_TENANT_DATA[k]]
)
def test_admin_pages_planners_may_not_open_are_403(w, label):
    model = next(m for m in admin.site._registry if _label(m) == label)
    response = w.admin("b").get(_admin_url(model, "changelist"))
    assert response.status_code == 403


def _autocomplete_fields():
    """(source model, field) for every autocomplete field of every admin and inline."""
    seen = []
    for model, model_admin in admin.site._registry.items():
        admins = [model_admin] + [i(model, admin.site) for i in model_admin.inlines]
        for each in admins:
            for name in each.autocomplete_fields:
                seen.append((each.model, name))
    return seen


@pytest.mark.parametrize(
    "source,field_name", _autocomplete_fields(), ids=lambda v: getattr(v, "__name__", v)
)
def test_admin_autocomplete_shows_none_of_a(w, source, field_name):
    for term in ("", MARK):
        response = w.admin("b").get(
            reverse("admin:autocomplete"),
            {
                "app_label": source._meta.app_label,
                "model_name": source._meta.model_name,
                "field_name": field_name,
                "term": term,
            },
        )
        assert response.status_code in (200, 403), (source.__name__, field_name)
        found = leaked(w, response.content.decode(), term)
        assert not found, (source.__name__, field_name, term, found)


def test_admin_index_shows_none_of_a(w):
    response = w.admin("b").get(reverse("admin:index"))
    assert response.status_code == 200
    assert not leaked(w, response.content.decode())


@pytest.mark.parametrize("name", list(ADMIN_CUSTOM))
def test_admin_custom_page_refuses_a(w, name):
    globals()[f"admin_{ADMIN_CUSTOM[name]}"](w)


def admin_board(w: World):
    url = reverse("admin:workorders_workorder_board")
    week = START.date().isoformat()
    own = w.admin("a").get(url, {"date": week})
    assert MARK in own.content.decode(), "control: A's board shows A's planning"
    for params in (
        {"date": week},
        {"date": week, "org": str(w.a["org"].pk)},
        {"date": week, "view": "day", "org": str(w.a["org"].pk)},
    ):
        response = w.admin("b").get(url, params)
        assert response.status_code == 200
        assert not leaked(w, response.content.decode(), json.dumps(params)), params


def admin_board_plan(w: World):
    url = reverse("admin:workorders_workorder_board_plan")
    before = snapshot(w)
    for wo_ref in (str(w.a["work_order"].id2), str(w.a["work_order"].pk)):
        response = w.admin("b").post(
            url,
            {
                "work_order": wo_ref,
                "technician": str(w.a["technician"].pk),
                "start": (START + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
                "plan_anyway": "1",
            },
            HTTP_ACCEPT="application/json",
        )
        assert response.status_code in (400, 404), response.status_code
        assert not leaked(w, response.content.decode(), wo_ref)
    assert_unchanged(w, before, "board plan")


def admin_board_move(w: World):
    url = reverse("admin:workorders_workorder_board_move")
    before = snapshot(w)
    response = w.admin("b").post(
        url,
        {
            "planning": str(w.a["planning"].pk),
            "technician": str(w.a["technician"].pk),
            "start": (START + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
            "plan_anyway": "1",
        },
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 400, response.status_code
    assert not leaked(w, response.content.decode(), str(w.a["planning"].pk))
    assert_unchanged(w, before, "board move")


def admin_board_unplan(w: World):
    url = reverse("admin:workorders_workorder_board_unplan")
    before = snapshot(w)
    for status in JobStatus.objects.filter(number__in=(0, 1, 2)):
        response = w.admin("b").post(
            url,
            {"work_order": str(w.a["work_order"].pk), "status": str(status.pk)},
            HTTP_ACCEPT="application/json",
        )
        assert response.status_code == 400, response.status_code
        assert not leaked(w, response.content.decode(), str(w.a["work_order"].pk))
    assert_unchanged(w, before, "board unplan")


def admin_board_unplanned(w: World):
    url = reverse("admin:workorders_workorder_board_unplanned")
    for params in (
        {"filters": "1"},
        {"q": MARK},
        {"q": str(w.a["work_order"].id2)},
        {"org": str(w.a["org"].pk), "filters": "1"},
    ):
        response = w.admin("b").get(url, params)
        assert response.status_code == 200
        assert not leaked(w, response.content.decode(), json.dumps(params)), params


def admin_board_slots(w: World):
    url = reverse("admin:workorders_workorder_board_slots")
    params = {"work_order": str(w.a["work_order"].pk), "date": START.date().isoformat()}
    assert w.admin("a").get(url, params).status_code == 200, "control: A finds slots"
    for extra in ({}, {"org": str(w.a["org"].pk)}, {"view": "day"}):
        response = w.admin("b").get(url, {**params, **extra})
        assert response.status_code == 404, (extra, response.status_code)
        assert not leaked(w, response.content.decode(), json.dumps(extra)), extra


def admin_import_upload(w: World):
    from django.core.files.uploadedfile import SimpleUploadedFile

    url = reverse("admin:workorders_workorder_import")
    response = w.admin("b").get(url)
    assert response.status_code == 200
    assert not leaked(w, response.content.decode())
    before = snapshot(w)
    upload = SimpleUploadedFile("wo.csv", b"reference_back_office,name\nX,Y\n", "text/csv")
    response = w.admin("b").post(
        url, {"file": upload, "kind": "workorders", "sales_organization": str(w.a["org"].pk)}
    )
    assert response.status_code == 200  # the form again, with the organization refused
    assert "sales_organization" in response.content.decode()
    assert not leaked(w, response.content.decode(), str(w.a["org"].pk))
    assert_unchanged(w, before, "import upload")


def admin_find_a_slot(w: World):
    url = reverse("admin:workorders_workorder_find_a_slot", args=[w.a["work_order"].pk])
    assert w.admin("a").get(url).status_code == 200, "control: A finds a slot"
    before = snapshot(w)
    plan = {"technician": str(w.a["technician"].pk), "start": START.isoformat()}
    for method, data in (("get", {}), ("post", plan)):
        response = getattr(w.admin("b"), method)(url, data)
        assert response.status_code == 404, (method, response.status_code)
        assert not leaked(w, response.content.decode())
    assert_unchanged(w, before, "find a slot")


def admin_import_template(w: World):
    """The templates are column names and their help: nothing of any organization; and a
    checked import cannot be started by a forged token (nothing of A's is ever named)."""
    for kind in ("workorders", "projects"):
        for fmt in ("csv", "xlsx"):
            url = reverse("admin:workorders_workorder_import_template", args=[kind, fmt])
            response = w.admin("b").get(url)
            assert response.status_code == 200
            assert not leaked(w, response.content.decode("utf-8", "replace"))
    before = snapshot(w)
    url = reverse("admin:workorders_workorder_import")
    response = w.admin("b").post(url, {"token": "forged", "start": "import"})
    assert response.status_code == 302
    assert_unchanged(w, before, "import start")


def admin_user_password(w: World):
    url = reverse("admin:auth_user_password_change", args=[w.a["technician"].pk])
    assert w.admin("a").get(url).status_code == 200
    for method in ("get", "post"):
        response = getattr(w.admin("b"), method)(url)
        assert response.status_code == 404, method
        assert not leaked(w, response.content.decode())


def admin_view_on_site(w: World):
    """The admin's "view on site" shortcut must not redirect B to (or name) A's records."""
    from django.contrib.contenttypes.models import ContentType

    for key in ("work_order", "company", "project", "job"):
        obj = w.a[key]
        content_type = ContentType.objects.get_for_model(obj)
        response = w.admin("b").get(reverse("admin:view_on_site", args=[content_type.pk, obj.pk]))
        assert response.status_code == 404, (key, response.status_code)
        assert not leaked(w, response.content.decode(), str(obj.pk)), key


def test_tables_use_the_routes_they_name():
    """A typo in a table would silently test nothing."""
    args = {
        "auth_user_password_change": [uuid.uuid4()],
        "view_on_site": [1, uuid.uuid4()],
        "workorders_workorder_find_a_slot": [uuid.uuid4()],
        "workorders_workorder_import_template": ["workorders", "csv"],
    }
    for name in ADMIN_CUSTOM:
        reverse(f"admin:{name}", args=args.get(name))
    assert re.fullmatch(r"[a-z_]+", "".join(ADMIN_CUSTOM.values()))


def _a_autoplan(w: World) -> ApiJob:
    return create_api_job(
        type="autoplan",
        by=w.planner_a,
        total_records=1,
        options={"sales_organization_id": str(w.a["org"].pk), "work_order_ids": []},
    )


def check_autoplan(w: World, name):
    """B starts no auto-plan on A's organization, work orders or technicians, and neither reads
    nor accepts A's."""
    if name == "autoplan":
        url = reverse(name).replace("/?", "")
        week = {"from": START.isoformat(), "to": (START + timedelta(days=5)).isoformat()}
        before = snapshot(w)
        for key, value in (
            ("sales_organization_id", str(w.a["org"].pk)),
            ("work_order_ids", [str(w.a["work_order"].pk)]),
            ("technician_ids", [str(w.a["technician"].pk)]),
        ):
            response = w.api("b").post(url, {**week, key: value}, format="json")
            assert response.status_code == 400 and key in response.json(), (key, response.content)
            assert not leaked(w, response.content.decode(), json.dumps(value)), key
        assert_unchanged(w, before, name)
        return
    job = _a_autoplan(w)
    url = reverse(name, kwargs={"api_job_id": job.pk}).replace("/?", "/")
    if name == "autoplan-detail":
        assert w.api("a").get(url).status_code == 200, "control: A reads its own auto-plan"
    before = snapshot(w)
    b = w.api("b")
    response = b.post(url, {}, format="json") if name.endswith("accept") else b.get(url)
    assert response.status_code == 404, (name, response.status_code)
    assert not leaked(w, response.content.decode())
    assert_unchanged(w, before, name)


def admin_autoplan_page(w: World):
    url = reverse("admin:workorders_workorder_autoplan")
    job = _a_autoplan(w)
    own = w.admin("a").get(url, {"job": str(job.pk)})
    assert str(job.pk) in own.content.decode(), "control: A's page shows A's auto-plan"
    before = snapshot(w)
    b = w.admin("b")
    response = b.get(url, {"job": str(job.pk), "org": str(w.a["org"].pk)})
    assert response.status_code == 200
    assert 'id="autoplan-status"' not in response.content.decode()  # the start form, not A's
    assert not leaked(w, response.content.decode(), str(w.a["org"].pk))
    b.post(url, {"job": str(job.pk), "action": "accept", "which": "all"})
    job.refresh_from_db()
    assert "accepted" not in job.options
    assert_unchanged(w, before, "autoplan page")
