"""Bad input on every write endpoint: a 400 naming the field (or 413 for a body over the limit),
never a 500, and nothing written. Valid but unusual text (RTL marks, emoji, combining and
zero-width characters, NFD) is stored exactly as sent.

ENDPOINTS says, per endpoint, a valid body and which of its fields is a string (with its maximum
length), an integer, a date, a UUID, an object and a list; MUTATIONS turn the valid body into
bad ones. A mutation that does not apply to an endpoint (no such kind of field) is skipped."""

import itertools
import json
import uuid
from dataclasses import dataclass

import pytest
from django.apps import apps
from rest_framework.test import APIClient

from tests.factories import make_job, make_work_order
from tests.reliability.conftest import rolled_back_module_data
from workorders.models import WorkOrder

START = "2031-03-04T09:00:00+00:00"
BUSINESS_APPS = ("jobsite", "jobs", "workorders", "apijobs")


def row_counts() -> dict:
    return {
        m._meta.label: m.objects.count()
        for app in BUSINESS_APPS
        for m in apps.get_app_config(app).get_models()
        if m._meta.model_name != "apitoken"
    }


@dataclass
class Endpoint:
    method: str
    url: str  # may name {wo}, {job}: filled from the context
    body: dict | list
    text: tuple[str, int | None] | None = None  # a string field (dotted path) and its max length
    integer: str | None = None
    date: str | None = None
    uuid: str | None = None
    obj: str | None = None  # a field that takes an object
    lst: str | None = None  # a field that takes a list
    envelope: bool = False  # answers in the life-cycle envelope (`status.message`)

    @property
    def max_length(self):
        return self.text and self.text[1]

    read_back: str | None = None  # where the stored text is read: {pk} from the answer
    stored: str | None = None  # the text field read back (default: `text`'s)


WO_BODY = {
    "name": "Service",
    "project_id": "{project}",
    "job_type_code": "Unknown",
    "job_status_code": "ToBePlanned",
}

ENDPOINTS = {
    "workorder PUT": Endpoint(
        "put",
        "/api/v1/workorders/{new}",
        WO_BODY,
        text=("name", 255),
        integer="estimated_time",
        date="due_date",
        uuid="project_id",
        obj="project",
        read_back="/api/v1/workorders/{pk}",
    ),
    "workorder POST": Endpoint(
        "post",
        "/api/v1/workorders",
        WO_BODY,
        text=("description", 4000),
        integer="estimated_time",
        date="suggested_date_start",
        uuid="skill_id",
        obj="job_type",
        read_back="/api/v1/workorders/{pk}",
    ),
    "workorder PATCH": Endpoint(
        "patch",
        "/api/v1/workorders/{wo}",
        {"name": "Renamed"},
        text=("customer_reference", 50),
        integer="estimated_time",
        date="due_date",
        uuid="suggested_user_id",
        obj="suggested_user",
        read_back="/api/v1/workorders/{pk}",
    ),
    "workorder bulk": Endpoint("post", "/api/v1/workorders/bulk", [WO_BODY], lst="$"),
    "Fulfillment/Job PUT": Endpoint(
        "put",
        "/api/v1/Fulfillment/Job",
        {"jobIdentifier": "{new}", "jobTypeId": "Unknown", "jobStatusId": 0, "notes": "n"},
        text=("jobDetails.0.objectName", 100),
        integer="percentComplete",
        date="startDate",
        uuid="jobIdentifier",
        lst="jobDetails",
        read_back="/api/v1/fulfillment-jobs/{id}",
        stored="notes",
    ),
    "start_progress": Endpoint(
        "post",
        "/api/v1/jobs/all_scopes/start_progress",
        {"job_identifier": {"number": "{pending_number}"}},
        text=("fields_set", None),
        obj="job_identifier",
        envelope=True,
    ),
    "complete": Endpoint(
        "post",
        "/api/v1/jobs/all_scopes/complete",
        {"job_identifier": {"number": "{running_number}"}},
        date="performed_on",
        obj="status_identifier",
        envelope=True,
    ),
    "fulfillment-jobs POST": Endpoint(
        "post",
        "/api/v1/fulfillment-jobs",
        {"description": "d"},
        text=("job_type_code", 50),
        integer="percent_complete",
        date="start_date",
        uuid="job_identifier",
        read_back="/api/v1/fulfillment-jobs/{id}",
        stored="description",
    ),
    "fulfillment-jobs PATCH": Endpoint(
        "patch",
        "/api/v1/fulfillment-jobs/{job}",
        {"description": "e"},
        integer="total_records",
        date="expiration_date",
        uuid="client_id",
        read_back="/api/v1/fulfillment-jobs/{id}",
    ),
    "projects POST": Endpoint(
        "post",
        "/api/v1/projects",
        {"name": "Boiler", "company_id": "{company}"},
        text=("serial_number", 100),
        date="warranty_date_until",
        uuid="company_id",
        obj="equipment_model",
        read_back="/api/v1/projects/{pk}",
    ),
    "projects PUT": Endpoint(
        "put",
        "/api/v1/projects/{new}",
        {"name": "Boiler", "company_id": "{company}"},
        text=("last_standard_result_score_1", 50),
        date="date_built",
        uuid="company_id",
        obj="project_status",
        read_back="/api/v1/projects/{pk}",
    ),
    "plannings POST": Endpoint(
        "post",
        "/api/v1/plannings",
        {"work_order_id": "{wo}", "user_id": "{technician}", "date_start": START},
        text=("user_code", None),
        date="date_start",
        uuid="work_order_id",
    ),
    "companies POST": Endpoint(
        "post",
        "/api/v1/companies",
        {"code": "NEW1", "name": "New"},
        text=("name", 255),
        integer="id2",
        uuid="address_id",
        read_back="/api/v1/companies/{pk}",
    ),
    "contacts POST": Endpoint(
        "post",
        "/api/v1/contacts",
        {"company_id": "{company}", "last_name": "Peeters"},
        text=("last_name", 100),
        uuid="company_id",
        read_back="/api/v1/contacts/{pk}",
    ),
    "skills POST": Endpoint(
        "post",
        "/api/v1/skills",
        {"code": "WELD", "name": "Welding"},
        text=("code", 50),
        uuid="sales_organization_id",
        read_back="/api/v1/skills/{pk}",
    ),
    "job-types POST": Endpoint(
        "post",
        "/api/v1/job-types",
        {"code": "INST", "name": "Installation"},
        text=("name", 255),
        uuid="default_start_status_id",
        read_back="/api/v1/job-types/{pk}",
    ),
    "job-priorities POST": Endpoint(
        "post",
        "/api/v1/job-priorities",
        {"code": "LOW2", "name": "Lowish", "sequence": 3},
        text=("code", 50),
        integer="sequence",
        read_back="/api/v1/job-priorities/{pk}",
    ),
    "login": Endpoint("post", "/api/v1/auth/login", {"username": "x", "password": "y"}),
    "sales-organizations PATCH": Endpoint(
        "patch",
        "/api/v1/sales-organizations/{org}",
        {"name": "Renamed"},
        text=("name", 255),
        read_back="/api/v1/sales-organizations/{pk}",
    ),
    "organization working-hours PUT": Endpoint(
        "put",
        "/api/v1/sales-organizations/{org}/working-hours",
        {"weekly": [{"weekday": 1, "start": "08:00", "end": "12:00"}]},
        text=("weekly.0.start", None),
        date="exceptions.0.date",
        lst="weekly",
    ),
    "technician working-hours PUT": Endpoint(
        "put",
        "/api/v1/technicians/{technician}/working-hours",
        {"weekly": [{"weekday": 2, "start": "08:00", "end": "12:00"}], "exceptions": []},
        text=("weekly.0.end", None),
        date="exceptions.0.date",
        lst="exceptions",
    ),
    "absences POST": Endpoint(
        "post",
        "/api/v1/absences",
        {"technician_id": "{technician}", "start": START, "end": "2031-03-05T09:00:00+00:00"},
        text=("note", 255),
        date="end",
        uuid="technician_id",
        read_back="/api/v1/absences/{pk}",
    ),
    "holidays POST": Endpoint(
        "post",
        "/api/v1/holidays",
        {"date": "2031-05-05", "name": "Feast"},
        text=("name", 255),
        date="date",
        uuid="sales_organization_id",
        read_back="/api/v1/holidays/{pk}",
    ),
    "holidays load": Endpoint(
        "post",
        "/api/v1/holidays/load",
        {"year": 2031},
        integer="year",
        uuid="sales_organization_id",
    ),
}


def _build_ctx() -> dict:
    from jobsite.models import Company, Country, SalesOrganization, Skill, User
    from jobsite.services import issue_api_token
    from workorders.models import Project

    country = Country.objects.get_or_create(code="BE", defaults={"name": "Belgium"})[0]
    org = SalesOrganization.objects.create(code="BE01", name="Belgium", country=country)
    planner = User.objects.create_user(
        username="planner", password="pw-planner-1", sales_organization=org, is_staff=True
    )
    skill = Skill.objects.create(code="ELEC", name="Electrical", sales_organization=org)
    technician = User.objects.create_user(
        username="tech1", code="T01", sales_organization=org, is_technician=True
    )
    technician.skills.add(skill)
    company = Company.objects.create(code="ACME", name="Acme", sales_organization=org)
    project = Project.objects.create(
        name="Boiler Gent",
        company=company,
        sales_organization=org,
        reference_back_office="PRJ-1",
    )
    wo = make_work_order(project=project, name="Existing")
    pending = make_job(status_code="ToBePlanned", by=planner, client=company)
    running = make_job(status_code="InProgress", by=planner, client=company)
    token, _ = issue_api_token(user=planner)
    return {
        "token": token,
        "org": str(org.pk),
        "project": str(project.pk),
        "project_pk": project.pk,
        "company": str(company.pk),
        "technician": str(technician.pk),
        "wo": str(wo.pk),
        "job": str(pending.pk),
        "pending_number": pending.number,
        "running_number": running.number,
    }


@pytest.fixture(scope="module")
def module_ctx(django_db_setup, django_db_blocker):
    with rolled_back_module_data(django_db_blocker, _build_ctx) as built:
        yield built


@pytest.fixture
def ctx(module_ctx, db):
    return module_ctx


@pytest.fixture
def api(ctx):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {ctx['token']}")
    return client


def fill(value, ctx):
    """The body with {placeholders} of the context filled; {new} is a fresh UUID."""
    if isinstance(value, dict):
        return {k: fill(v, ctx) for k, v in value.items()}
    if isinstance(value, list):
        return [fill(v, ctx) for v in value]
    if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
        key = value[1:-1]
        return str(uuid.uuid4()) if key == "new" else ctx[key]
    return value


def url_of(endpoint, ctx):
    return endpoint.url.format(new=uuid.uuid4(), **ctx)


def set_path(body, path: str, value):
    """Put `value` at a dotted path (`jobDetails.0.objectName`), creating what is missing."""
    keys = path.split(".")
    node = body
    for key, nxt in itertools.pairwise(keys):
        if key.isdigit():
            while len(node) <= int(key):
                node.append({})
            node = node[int(key)]
        else:
            node = node.setdefault(key, [] if nxt.isdigit() else {})
    node[keys[-1]] = value
    return body


def send(api, endpoint, ctx, body=None, raw: bytes | None = None):
    url = url_of(endpoint, ctx)
    data = raw if raw is not None else json.dumps(body)
    return getattr(api, endpoint.method)(url, data, content_type="application/json")


def named(response, field: str) -> bool:
    text = response.content.decode()
    return field.split(".")[-1] in text or field in text


# --- the mutations -----------------------------------------------------------------------------


def m_malformed(e, body):
    return None, b'{"name": "unterminated', None


def m_invalid_utf8(e, body):
    return None, b'{"name": "caf\xe9"}', None


def m_not_an_object(e, body):
    return ({"records": body} if isinstance(body, list) else [body]), None, None


def m_string_for_integer(e, body):
    return set_path(body, e.integer, "ninety"), None, e.integer


def m_huge_integer(e, body):
    return set_path(body, e.integer, 10**20), None, e.integer


def m_nan(e, body):
    raw = json.dumps(set_path(body, e.integer, 1)).replace(
        f'"{e.integer}": 1', f'"{e.integer}": NaN'
    )
    return None, raw.encode(), None  # not JSON: a parse error, before any field is read


def m_list_for_object(e, body):
    return set_path(body, e.obj, [1, 2]), None, e.obj


def m_object_for_list(e, body):
    if e.lst == "$":
        return {"0": body[0]}, None, None
    return set_path(body, e.lst, {"id": 1}), None, e.lst


def m_overlong(e, body):
    path, limit = e.text
    return set_path(body, path, "x" * (limit + 1)), None, path


def m_bad_uuid(e, body):
    return set_path(body, e.uuid, "not-a-uuid"), None, e.uuid


def m_uuid_as_number(e, body):
    return set_path(body, e.uuid, 12345), None, e.uuid


def _bad_date(value):
    def mutate(e, body):
        return set_path(body, e.date, value), None, e.date

    return mutate


def m_nul(e, body):
    return set_path(body, e.text[0], "a\x00b"), None, e.text[0]


def m_lone_surrogate(e, body):
    marker = "SURROGATE-HERE"
    raw = json.dumps(set_path(body, e.text[0], marker)).replace(marker, "a\\ud800b")
    return None, raw.encode(), e.text[0]


def m_bulk_element_not_object(e, body):
    return [body[0], "x", 3], None, None


def m_bulk_nul(e, body):
    return [{**body[0], "name": "a\x00b"}], None, "name"


def m_bulk_lone_surrogate(e, body):
    raw = json.dumps(body).replace('"Service"', '"a\\ud800b"')
    return None, raw.encode(), "name"


# (name, the endpoint attribute it needs, mutation)
MUTATIONS = [
    ("malformed JSON", None, m_malformed),
    ("invalid UTF-8", None, m_invalid_utf8),
    ("not an object", None, m_not_an_object),
    ("string for integer", "integer", m_string_for_integer),
    ("huge integer", "integer", m_huge_integer),
    ("NaN", "integer", m_nan),
    ("list for object", "obj", m_list_for_object),
    ("object for list", "lst", m_object_for_list),
    ("overlong string", "max_length", m_overlong),
    ("invalid UUID", "uuid", m_bad_uuid),
    ("number for UUID", "uuid", m_uuid_as_number),
    ("month 13", "date", _bad_date("2024-13-45T10:00:00+00:00")),
    ("February 30", "date", _bad_date("2024-02-30")),
    ("yesterday", "date", _bad_date("yesterday")),
    ("5-digit year", "date", _bad_date("12345-01-01T00:00:00+00:00")),
    ("year 0", "date", _bad_date("0000-01-01T00:00:00+00:00")),
    ("date as number", "date", _bad_date(20240101)),
    ("NUL in text", "text", m_nul),
    ("lone surrogate", "text", m_lone_surrogate),
]
BULK_MUTATIONS = [
    ("malformed JSON", m_malformed),
    ("invalid UTF-8", m_invalid_utf8),
    ("object for list", m_object_for_list),
    ("element not an object", m_bulk_element_not_object),
    ("NUL in a record", m_bulk_nul),
    ("lone surrogate in a record", m_bulk_lone_surrogate),
]


def _cases():
    for ep_name, endpoint in ENDPOINTS.items():
        if ep_name == "workorder bulk":
            for m_name, mutate in BULK_MUTATIONS:
                yield pytest.param(ep_name, mutate, id=f"{ep_name}: {m_name}")
            continue
        for m_name, needs, mutate in MUTATIONS:
            if needs is None or getattr(endpoint, needs):
                yield pytest.param(ep_name, mutate, id=f"{ep_name}: {m_name}")


@pytest.mark.parametrize("ep_name", list(ENDPOINTS))
def test_the_valid_body_is_accepted(api, ctx, ep_name):
    """The control: each endpoint's base body works, so a 400 below is the mutation's."""
    endpoint = ENDPOINTS[ep_name]
    response = send(api, endpoint, ctx, fill(endpoint.body, ctx))
    expected = {401} if ep_name == "login" else {200, 201, 202}
    assert response.status_code in expected, (ep_name, response.content[:500])


@pytest.mark.parametrize("ep_name,mutate", list(_cases()))
def test_bad_input_is_a_400_naming_the_field_and_writes_nothing(api, ctx, ep_name, mutate):
    endpoint = ENDPOINTS[ep_name]
    body, raw, field = mutate(endpoint, fill(endpoint.body, ctx))
    before = row_counts()
    response = send(api, endpoint, ctx, body, raw)
    assert response.status_code == 400, (ep_name, response.status_code, response.content[:500])
    assert response["Content-Type"].startswith("application/json")
    if field is not None:
        assert named(response, field), (ep_name, field, response.content[:500])
    assert row_counts() == before, f"{ep_name}: a refused request wrote rows"


@pytest.mark.parametrize("ep_name", list(ENDPOINTS))
def test_a_body_over_the_limit_is_413(api, ctx, ep_name, settings):
    endpoint = ENDPOINTS[ep_name]
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = fill(endpoint.body, ctx)
    padding = "x" * 2000
    body = (
        [{**body[0], "description": padding}]
        if isinstance(body, list)
        else {**body, "pad": padding}
    )
    before = row_counts()
    response = send(api, endpoint, ctx, body)
    assert response.status_code == 413, (ep_name, response.status_code)
    assert response.json()["code"] == "request_too_large"
    assert row_counts() == before


# Valid text a user may well send: stored and answered exactly, not normalized or stripped.
ODD_TEXT = {
    "RTL mark and override": "\u200fשלום \u202eabc",
    "emoji with joiners": "🛠️ 👩‍🔧 fix",
    "combining (NFD)": "Cafe\u0301 Ame\u0301lie",
    "precomposed (NFC)": "Café Amélie",
    "zero-width": "zero\u200bwidth\u200djoin\ufeff",
    "astral plane": "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𐍈",
}


def _odd_cases():
    for ep_name, endpoint in ENDPOINTS.items():
        if (endpoint.stored or endpoint.text) and endpoint.read_back:
            for text_name, text in ODD_TEXT.items():
                yield pytest.param(ep_name, text, id=f"{ep_name}: {text_name}")


@pytest.mark.parametrize("ep_name,text", list(_odd_cases()))
def test_unusual_valid_text_is_stored_exactly(api, ctx, ep_name, text):
    endpoint = ENDPOINTS[ep_name]
    path = endpoint.stored or endpoint.text[0]
    body = set_path(fill(endpoint.body, ctx), path, text)
    response = send(api, endpoint, ctx, body)
    assert response.status_code in (200, 201), (ep_name, response.content[:500])
    answer = response.json()
    stored = api.get(endpoint.read_back.format(pk=answer.get("id"), id=answer.get("id"))).json()
    for key in path.split("."):
        stored = stored[int(key)] if key.isdigit() else stored[key]
    assert stored == text
    assert len(stored) == len(text)


def test_no_write_endpoint_is_left_out():
    """Every route that takes a body appears in ENDPOINTS (by its path)."""
    from tests.reliability.test_tenancy_matrix import API_ROUTES

    tried = {e.url.split("{")[0].rstrip("/") for e in ENDPOINTS.values()}
    writable = {
        "company-list": "/api/v1/companies",
        "contact-list": "/api/v1/contacts",
        "skill-list": "/api/v1/skills",
        "fulfillment-job-list": "/api/v1/fulfillment-jobs",
        "job-type-list": "/api/v1/job-types",
        "job-priority-list": "/api/v1/job-priorities",
        "workorder-list": "/api/v1/workorders",
        "project-list": "/api/v1/projects",
        "planning-list": "/api/v1/plannings",
        "fulfillment-job-put": "/api/v1/Fulfillment/Job",
        "jobs-all-scopes-start-progress": "/api/v1/jobs/all_scopes/start_progress",
        "jobs-all-scopes-complete": "/api/v1/jobs/all_scopes/complete",
        "workorder-bulk": "/api/v1/workorders/bulk",
        "sales-organization-detail": "/api/v1/sales-organizations",
        "sales-organization-working-hours": "/api/v1/sales-organizations",
        "technician-working-hours": "/api/v1/technicians",
        "absence-list": "/api/v1/absences",
        "holiday-list": "/api/v1/holidays",
        "holiday-load": "/api/v1/holidays/load",
    }
    assert set(writable) <= set(API_ROUTES)
    assert set(writable.values()) <= tried, set(writable.values()) - tried


# --- bulk: records that are bad one by one ------------------------------------------------------


def test_bad_records_in_a_bulk_request_fail_one_by_one_and_write_nothing(api, ctx):
    """The envelope is fine (202); each record's own problem is an error naming its field."""
    from apijobs.models import ApiJob
    from workorders.bulk import run_bulk_upsert

    base = fill(WO_BODY, ctx)
    bad = [
        ({**base, "estimated_time": "ninety"}, "estimated_time"),
        ({**base, "name": "x" * 256}, "name"),
        ({**base, "due_date": "2024-13-45"}, "due_date"),
        ({**base, "due_date": "yesterday"}, "due_date"),
        ({**base, "project_id": "not-a-uuid"}, "project_id"),
        ({**base, "project": [1, 2]}, "project"),
        ({**base, "id": 12345}, "id"),
        ({**base, "estimated_time": 10**20}, "estimated_time"),
    ]
    before = row_counts()
    response = api.post(
        "/api/v1/workorders/bulk", json.dumps([r for r, _ in bad]), content_type="application/json"
    )
    assert response.status_code == 202
    run_bulk_upsert(api_job_id=response.json()["id"])
    job = ApiJob.objects.get(pk=response.json()["id"])
    assert job.status == "completed", job.message
    assert job.error_records == len(bad)
    assert job.effected_records == 0
    fields_by_index = {}
    for error in job.errors.all():
        fields_by_index.setdefault(error.index, set()).add(error.field)
    for index, (_, field_name) in enumerate(bad):
        assert any(field_name in f for f in fields_by_index.get(index, ())), (index, job.message)
    after = row_counts()
    assert {k: v for k, v in after.items() if not k.startswith("apijobs.")} == {
        k: v for k, v in before.items() if not k.startswith("apijobs.")
    }


# --- import commands ---------------------------------------------------------------------------

WO_HEAD = "reference_back_office,name,project_reference_back_office,job_type_code,job_status_code"
WO_ROW = "IMP-1,{name},PRJ-1,Unknown,ToBePlanned"
PROJECT_HEAD = "reference_back_office,name,company_code"
PROJECT_ROW = "PRJ-NEW,{name},ACME"


def _wo_json(name_escape: str) -> bytes:
    return (
        '[{"reference_back_office": "IMP-1", "name": "' + name_escape + '", '
        '"project_reference_back_office": "PRJ-1", "job_type_code": "Unknown", '
        '"job_status_code": "ToBePlanned"}]'
    ).encode()


def _csv(head, row, name, encoding="utf-8", extra_head="", extra=""):
    return f"{head}{extra_head}\n{row.format(name=name)}{extra}\n".encode(encoding)


@dataclass
class ImportCase:
    kind: str
    filename: str
    content: bytes
    outcome: str  # "refused": the file; "row": a row fails; "ok": imported
    says: tuple[str, ...] = ()  # in the error (refused) or on stderr (row, ok)
    stored_name: str | None = None  # ok: the name as stored


IMPORT_CASES = {
    "cp1252": ImportCase(
        "workorders",
        "wo.csv",
        _csv(WO_HEAD, WO_ROW, "Café €", "cp1252"),
        "refused",
        ("not UTF-8", "line 2", "save it as UTF-8"),
    ),
    "latin-1": ImportCase(
        "workorders",
        "wo.csv",
        _csv(WO_HEAD, WO_ROW, "Straße Ø", "latin-1"),
        "refused",
        ("not UTF-8", "line 2"),
    ),
    "UTF-16 with BOM": ImportCase(
        "workorders", "wo.csv", _csv(WO_HEAD, WO_ROW, "Café €", "utf-16"), "ok", (), "Café €"
    ),
    "UTF-8 with BOM": ImportCase(
        "workorders", "wo.csv", _csv(WO_HEAD, WO_ROW, "Café", "utf-8-sig"), "ok", (), "Café"
    ),
    "UTF-8 NFD and emoji": ImportCase(
        "workorders",
        "wo.csv",
        _csv(WO_HEAD, WO_ROW, "Cafe\u0301 🛠️ \u200f"),
        "ok",
        (),
        "Cafe\u0301 🛠️ \u200f",
    ),
    "missing columns": ImportCase(
        "workorders",
        "wo.csv",
        b"reference_back_office,name\nIMP-1,Service\n",
        "refused",
        ("missing required column", "project_reference_back_office", "job_status_code"),
    ),
    "unknown column": ImportCase(
        "workorders",
        "wo.csv",
        _csv(WO_HEAD, WO_ROW, "Service", extra_head=",colour", extra=",red"),
        "ok",
        ("Ignored column", "colour"),
        "Service",
    ),
    "empty file": ImportCase("workorders", "wo.csv", b"", "refused", ("empty file",)),
    "binary garbage": ImportCase(
        "workorders", "wo.csv", bytes(range(256)) * 8, "refused", ("not UTF-8",)
    ),
    "NUL in a cell": ImportCase(
        "workorders", "wo.csv", _csv(WO_HEAD, WO_ROW, "a\x00b"), "row", ("line 2", "name", "NUL")
    ),
    "cell over the csv limit": ImportCase(
        "workorders",
        "wo.csv",
        _csv(WO_HEAD, WO_ROW, "x" * 200_000),
        "row",
        ("line 2", "name", "At most 255"),
    ),
    "impossible date": ImportCase(
        "workorders",
        "wo.csv",
        _csv(WO_HEAD, WO_ROW, "Service", extra_head=",due_date", extra=",2024-02-30"),
        "row",
        ("line 2", "due_date"),
    ),
    "JSON lone surrogate": ImportCase(
        "workorders", "wo.json", _wo_json("a\\ud800b"), "refused", ("record 1", "name", "surrogate")
    ),
    "JSON NUL": ImportCase(
        "workorders", "wo.json", _wo_json("a\\u0000b"), "row", ("record 1", "name", "NUL")
    ),
    "JSON not an array": ImportCase(
        "workorders", "wo.json", b'{"name": "x"}', "refused", ("array of objects",)
    ),
    "JSON malformed": ImportCase(
        "workorders", "wo.json", b'[{"name": ', "refused", ("not valid JSON",)
    ),
    "XLSX that is not one": ImportCase(
        "workorders", "wo.xlsx", b"name\nx\n", "refused", ("not a readable XLSX",)
    ),
    "unknown format": ImportCase("workorders", "wo.pdf", b"%PDF-1.4", "refused", ("format",)),
    "projects: cp1252": ImportCase(
        "projects",
        "p.csv",
        _csv(PROJECT_HEAD, PROJECT_ROW, "Chaudière", "cp1252"),
        "refused",
        ("not UTF-8", "line 2"),
    ),
    "projects: missing columns": ImportCase(
        "projects",
        "p.csv",
        b"reference_back_office,name\nPRJ-NEW,Boiler\n",
        "refused",
        ("missing required column", "company_code or company_id"),
    ),
    "projects: unknown column": ImportCase(
        "projects",
        "p.csv",
        _csv(PROJECT_HEAD, PROJECT_ROW, "Boiler", extra_head=",colour", extra=",red"),
        "ok",
        ("Ignored column", "colour"),
        "Boiler",
    ),
    "projects: UTF-16 with BOM": ImportCase(
        "projects",
        "p.csv",
        _csv(PROJECT_HEAD, PROJECT_ROW, "Chaudière", "utf-16"),
        "ok",
        (),
        "Chaudière",
    ),
    "projects: empty file": ImportCase("projects", "p.csv", b"", "refused", ("empty file",)),
    "projects: NUL in a cell": ImportCase(
        "projects", "p.csv", _csv(PROJECT_HEAD, PROJECT_ROW, "a\x00b"), "row", ("line 2", "name")
    ),
}


@pytest.mark.parametrize("case_name", list(IMPORT_CASES))
def test_import_commands_refuse_bad_files_clearly(tmp_path, ctx, case_name):
    import io

    from django.core.management import CommandError, call_command

    from apijobs.models import ApiJob
    from workorders.models import Project

    case = IMPORT_CASES[case_name]
    path = tmp_path / case.filename
    path.write_bytes(case.content)
    model = WorkOrder if case.kind == "workorders" else Project
    before, jobs_before = model.objects.count(), ApiJob.objects.count()
    out, err = io.StringIO(), io.StringIO()
    command = "import_workorders" if case.kind == "workorders" else "import_projects"
    args = [str(path), "--no-progress", "--sales-organization", "BE01"]
    error = None
    try:
        call_command(command, *args, stdout=out, stderr=err)
    except CommandError as exc:  # what manage.py turns into exit status 1 and a message
        error = str(exc)
    if case.outcome == "ok":
        assert error is None, error
        assert model.objects.count() == before + 1
        stored = model.objects.exclude(pk=ctx["project_pk"]).exclude(name="Existing").get()
        assert stored.name == case.stored_name
        for text in case.says:
            assert text in err.getvalue(), err.getvalue()
        return
    assert error is not None, f"{case_name}: imported without a word"
    assert model.objects.count() == before, f"{case_name}: wrote rows"
    if case.outcome == "refused":
        for text in case.says:
            assert text in error, (text, error)
        assert ApiJob.objects.count() == jobs_before  # refused before any job was made
    else:
        assert "failed" in error
        for text in case.says:
            assert text in err.getvalue(), (text, err.getvalue())
