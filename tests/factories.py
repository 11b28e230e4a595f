"""The one place tests build rows the way the product does (through its services, so the system
fields and the Suggested rule hold): work orders, fulfillment jobs, and the directory rows seed
000's sample refers to. Every test folder imports from here; tests import no other test module."""

import copy
import json
import uuid
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from jobs import services
from jobs.models import Job, JobPriority, JobStatus, JobType
from jobsite import calendar_services
from jobsite.calendars import DEFAULT_WEEKLY
from jobsite.models import (
    Absence,
    Address,
    Company,
    Holiday,
    SalesOrganization,
    User,
    WorkingHours,
)
from workorders.models import JobPlanning, Project, WorkOrder
from workorders.plannings import sync_suggested_plannings
from workorders.system_fields import apply_system_fields, save_project


def work_order_url(pk) -> str:
    return f"/api/v1/workorders/{pk}"


SEED = Path(__file__).parent / "api_conformance" / "seed_004_request_sample.json"  # from seed 004


def seed_sample() -> dict:
    """The request sample of seed 004, exactly as documented."""
    return json.loads(SEED.read_text())


SEED_000 = Path(__file__).parent / "api_conformance" / "seed_000_request_sample.json"


def seed_000_sample() -> dict:
    """The request sample of seed 000 (PUT /api/v1/Fulfillment/Job), exactly as documented:
    both details carry id 1 and jobId 2."""
    return json.loads(SEED_000.read_text())


def seed_body(
    *, project, job_type, status, technician=None, skill=None, priority=None, overrides=None
):
    """The seed-004 sample with every identifier pointing at fixtures: top-level `x_id`/`x_code`
    pairs that exist, embedded objects that match them, and system fields left as samples."""
    body = copy.deepcopy(seed_sample())
    body.pop("id")
    body.pop("id2")  # an explicit number would collide between records; tests give it when needed
    for key in (
        "_parent_id",
        "_parent_jobs_reference_back_office",
        "db_address_id",
        "contact_id",
        "requested_by_company_id",
        "requested_by_contact_id",
        "approval_responsible_user_id",
        "db_address_db_country_id",
        "db_address_db_country_code",
    ):
        body.pop(key)
    body["project"] = {
        "id": str(project.pk),
        "reference_back_office": project.reference_back_office,
    }
    body["project_id"] = str(project.pk)
    body["project_reference_back_office"] = project.reference_back_office
    body["job_type"] = {"id": str(job_type.pk), "code": job_type.code, "name": job_type.name}
    body["job_type_id"] = str(job_type.pk)
    body["job_type_code"] = job_type.code.upper()  # codes match case-insensitively
    body["job_status_id"] = str(status.pk)
    body["job_status_code"] = status.code.lower()
    if priority is not None:
        body["job_priority"] = {
            "id": str(priority.pk),
            "code": priority.code,
            "name": priority.name,
            "sequence": priority.sequence,
        }
        body["job_priority_id"] = str(priority.pk)
        body["job_priority_code"] = priority.code
    else:
        for key in ("job_priority", "job_priority_id", "job_priority_code"):
            body.pop(key)
    if technician is not None:
        body["suggested_user"] = {
            "id": str(technician.pk),
            "code": technician.code,
            "username": technician.username,
        }
        body["suggested_user_id"] = str(technician.pk)
        body["suggested_user_code"] = technician.code
    else:
        for key in ("suggested_user", "suggested_user_id", "suggested_user_code"):
            body.pop(key)
    if skill is not None:
        body["skill"] = {"id": str(skill.pk), "code": skill.code, "name": skill.name}
        body["skill_id"] = str(skill.pk)
        body["skill_code"] = skill.code
    else:
        for key in ("skill", "skill_id", "skill_code"):
            body.pop(key)
    body["reference_back_office"] = f"ERP-{uuid.uuid4().hex[:8]}"
    body.update(overrides or {})
    return body


def make_project(*, company: Company, name: str, **fields) -> Project:
    """A stored project of `company`, in its sales organization (as the project service
    leaves it)."""
    return save_project(project=Project(company=company, name=name, **fields))


def make_work_order(
    *,
    project: Project,
    status: str | JobStatus = "ToBePlanned",
    job_type: JobType | None = None,
    priority: JobPriority | None = None,
    name: str = "Yearly maintenance",
    **fields,
) -> WorkOrder:
    """A stored work order of `project`, as a write through the services leaves it: system
    fields applied and, when Suggested, planned by the rule."""
    wo = WorkOrder(
        project=project,
        job_type=job_type or JobType.objects.get(code="Unknown", sales_organization=None),
        job_priority=priority,
        job_status=status if isinstance(status, JobStatus) else JobStatus.objects.get(code=status),
        name=name,
        **fields,
    )
    apply_system_fields(work_order=wo, previous_state=None)
    wo.save()
    sync_suggested_plannings(work_orders=[wo])
    return wo


def make_planning(*, project: Project, technician: User, start, minutes: int = 60) -> JobPlanning:
    """A technician's appointment, as the Suggested rule makes it for a work order of `project`."""
    work_order = make_work_order(
        project=project,
        status="Suggested",
        suggested_user=technician,
        suggested_date_start=start,
        estimated_time=minutes,
    )
    return JobPlanning.objects.get(work_order=work_order)


def make_job(*, status_code: str = "ToBePlanned", by: User | None = None, **values) -> Job:
    values.setdefault("description", "Install the meter")
    return services.save_fulfillment_job(
        job=None,
        values={"job_status": JobStatus.objects.get(code=status_code), **values},
        by=by,
        operation="test",
    )


def company_with_id2(id2: int, *, sales_org: SalesOrganization) -> Company:
    """The company numbered `id2`, in `sales_org` (other fixtures may have taken the number)."""
    found = Company.objects.filter(id2=id2).first()
    if found is None:
        return Company.objects.create(
            id2=id2, code=f"C{id2}", name=f"Client {id2}", sales_organization=sales_org
        )
    assert found.sales_organization_id == sales_org.pk
    return found


def user_with_id2(id2: int, *, sales_org: SalesOrganization) -> User:
    found = User.objects.filter(id2=id2).first()
    if found is None:
        return User.objects.create_user(
            username=f"user{id2}", id2=id2, sales_organization=sales_org
        )
    assert found.sales_organization_id == sales_org.pk
    return found


def make_working_hours(
    *, technician: User | None = None, sales_organization=None, weekly=None, exceptions=()
) -> WorkingHours:
    """A stored pattern: a technician's own, or their organization's default."""
    return calendar_services.save_working_hours(
        technician=technician,
        sales_organization=sales_organization,
        weekly=DEFAULT_WEEKLY if weekly is None else weekly,
        exceptions=list(exceptions),
    )


def make_absence(*, technician: User, start, end, kind: str = "time_off", note: str = ""):
    return calendar_services.save_absence(
        absence=Absence(),
        values={"technician": technician, "start": start, "end": end, "kind": kind, "note": note},
    )


def make_holiday(*, sales_organization: SalesOrganization, date, name: str = "Holiday"):
    return calendar_services.save_holiday(
        holiday=Holiday(),
        values={"sales_organization": sales_organization, "date": date, "name": name},
    )


def make_meter_job_with_two_technicians(
    *, project: Project, skill, technician: User, sales_org: SalesOrganization, start
) -> WorkOrder:
    """Find a slot's world: 90 minutes in Gent, from `start` (a Monday) to ten days later; two
    technicians with the skill (`technician` based in Gent, Frank Far in Brugge), the nearer one
    busy at 08:00 on that Monday."""
    technician.base_address = Address.objects.create(
        city="Gent", latitude=51.06, longitude=3.72, sales_organization=sales_org
    )
    technician.save()
    far = User.objects.create_user(
        username="far",
        first_name="Frank",
        last_name="Far",
        code="T09",
        sales_organization=sales_org,
        is_technician=True,
        base_address=Address.objects.create(
            city="Brugge", latitude=51.21, longitude=3.22, sales_organization=sales_org
        ),
    )
    far.skills.add(skill)
    make_planning(project=project, technician=technician, start=start + timedelta(hours=8))
    return make_work_order(
        project=project,
        name="Replace the meter – Gent",
        skill=skill,
        estimated_time=90,
        earliest_date_plannable=start,
        due_date=start + timedelta(days=10),
        db_address_latitude=51.05,
        db_address_longitude=3.72,
    )


# Sites around Gent for the auto-plan's tests: near, near, near, Antwerpen, Leuven.
SITES_AROUND_GENT = [(51.054, 3.717), (51.10, 3.80), (51.02, 3.65), (51.20, 4.40), (50.88, 4.70)]


def make_services_around_gent(
    *, project: Project, technicians, sales_org: SalesOrganization, count: int = 5
) -> list[WorkOrder]:
    """The technicians based in Gent and `count` one-hour services at SITES_AROUND_GENT (round
    and round, past five), for an auto-plan to plan."""
    for user in technicians:
        user.base_address = Address.objects.create(
            street="Base", city="Gent", latitude=51.05, longitude=3.72, sales_organization=sales_org
        )
        user.save()
    return [
        make_work_order(
            project=project,
            name=f"Service {n}",
            estimated_time=60,
            db_address_latitude=Decimal(str(lat)),
            db_address_longitude=Decimal(str(lon)),
        )
        for n in range(count)
        for lat, lon in [SITES_AROUND_GENT[n % len(SITES_AROUND_GENT)]]
    ]
