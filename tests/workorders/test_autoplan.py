"""The auto-plan through the API (DESIGN "Scheduling"): a job that proposes a plan for the
unplanned work of an organization within every technician's calendar, written only when
accepted (all, part, or what is still valid), through the planning service. Tiny instances,
a one-second search."""

import signal
import subprocess
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from importlib import import_module

import pytest
from django.apps import apps as django_apps
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from apijobs.models import ApiJob
from jobsite.calendars import zone_of
from jobsite.errors import ServiceError
from jobsite.models import Address, User
from tests.apijobs.test_worker import ROOT, worker_command, worker_env
from tests.factories import (
    SITES_AROUND_GENT,
    make_absence,
    make_planning,
    make_services_around_gent,
    make_work_order,
)
from workorders.board_moves import plan_work_order
from workorders.models import JobPlanning, Project, WorkOrder
from workorders.scheduling.autoplan import services, solver
from workorders.scheduling.autoplan.accepting import accept_plan
from workorders.scheduling.checks import Appointment, findings_for
from workorders.suggestions import suggest_technician

pytestmark = pytest.mark.django_db

MONDAY = datetime(2031, 3, 3, tzinfo=UTC)  # the organization plans in UTC (TIME_ZONE)
SATURDAY = MONDAY + timedelta(days=5)


def at(day: int, clock: str) -> datetime:
    hours, minutes = map(int, clock.split(":"))
    return MONDAY + timedelta(days=day, hours=hours, minutes=minutes)


@pytest.fixture(autouse=True)
def quick(settings):
    settings.AUTOPLAN_TIME_LIMIT_SECONDS = 1.0


@pytest.fixture
def bases(technician, technician2, sales_org):
    for user, (lat, lon) in ((technician, (51.05, 3.72)), (technician2, (51.21, 4.40))):
        user.base_address = Address.objects.create(
            street="Base", city="Gent", latitude=lat, longitude=lon, sales_organization=sales_org
        )
        user.save()
    return technician, technician2


@pytest.fixture
def unplanned(project, skill, bases):
    """Ten ToBePlanned work orders with a site and an estimated time; half need the skill that
    only `technician` has; one is due on Tuesday, one may start on Thursday only."""
    made = []
    for n in range(10):
        lat, lon = SITES_AROUND_GENT[n % len(SITES_AROUND_GENT)]
        made.append(
            make_work_order(
                project=project,
                name=f"Service {n}",
                estimated_time=[60, 90, 120][n % 3],
                skill=skill if n % 2 == 0 else None,
                db_address_latitude=Decimal(str(lat)),
                db_address_longitude=Decimal(str(lon)),
                due_date=at(2, "00:00") if n == 1 else None,
                earliest_date_plannable=at(3, "00:00") if n == 3 else None,
            )
        )
    return made


def start(api, django_capture_on_commit_callbacks, **body):
    body = {"from": MONDAY.isoformat(), "to": SATURDAY.isoformat(), **body}
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post("/api/v1/autoplan", body, format="json")
    assert response.status_code == 202, response.content
    assert response["Location"].endswith(f"/autoplan/{response.json()['id']}")
    return response.json()


def plan_of(api, job_id):
    response = api.get(f"/api/v1/autoplan/{job_id}")
    assert response.status_code == 200, response.content
    return response.json()


def test_the_job_proposes_a_plan_within_every_calendar_and_writes_nothing(
    api, unplanned, technician, technician2, skill, django_capture_on_commit_callbacks
):
    make_absence(technician=technician, start=at(0, "00:00"), end=at(1, "00:00"))
    booked = make_planning(
        project=unplanned[0].project, technician=technician2, start=at(0, "08:00"), minutes=240
    )
    job = start(api, django_capture_on_commit_callbacks)
    assert job["type"] == "autoplan" and job["total_records"] == 10
    plan = plan_of(api, job["id"])
    assert plan["status"] == "completed", plan["message"]
    assert plan["kpis"]["planned"] == len(plan["plannings"]) == 10
    assert plan["kpis"]["unplanned"] == 0 and plan["kpis"]["travel_km"] > 0
    assert JobPlanning.objects.count() == 1  # the plan is only proposed
    by_id = {str(wo.pk): wo for wo in unplanned}
    appointments = []
    for p in plan["plannings"]:
        wo = by_id[p["work_order_id"]]
        if wo.skill_id:
            assert p["technician_id"] == str(technician.pk)
        appointments.append(
            Appointment(
                user_id=technician.pk
                if p["technician_id"] == str(technician.pk)
                else technician2.pk,
                work_order=WorkOrder.objects.select_related("job_status").get(pk=wo.pk),
                date_start=datetime.fromisoformat(p["start"]),
                date_end=datetime.fromisoformat(p["end"]),
            )
        )
    # Not Monday for the absent technician, not over the booked morning, not past Tuesday
    # for the one due then, not before Thursday for the other: no finding at all.
    assert findings_for(appointments) == [[] for _ in appointments]
    assert booked.pk in JobPlanning.objects.values_list("pk", flat=True)
    done = ApiJob.objects.get(pk=job["id"])
    assert done.effected_records == 10 and done.processed_records == 10
    assert "Proposed plan: 10 planned" in done.message


def test_accepting_part_of_the_plan_writes_exactly_that_part_through_the_planning_service(
    api, unplanned, django_capture_on_commit_callbacks
):
    job = start(api, django_capture_on_commit_callbacks)
    plan = plan_of(api, job["id"])
    chosen = [p["work_order_id"] for p in plan["plannings"][:3]]
    response = api.post(
        f"/api/v1/autoplan/{job['id']}/accept", {"work_order_ids": chosen}, format="json"
    )
    assert response.status_code == 200, response.content
    assert sorted(response.json()["accepted"]) == sorted(chosen)
    assert response.json()["refused"] == []
    written = JobPlanning.objects.all()
    assert sorted(str(p.work_order_id) for p in written) == sorted(chosen)
    proposed = {p["work_order_id"]: p for p in plan["plannings"]}
    for planning in written:
        p = proposed[str(planning.work_order_id)]
        assert str(planning.user_id) == p["technician_id"]
        assert planning.date_start == datetime.fromisoformat(p["start"])
        assert planning.made_by_rule and planning.warnings == []
        assert planning.work_order.job_status.code == "Suggested"
    assert sorted(plan_of(api, job["id"])["accepted_work_order_ids"]) == sorted(chosen)


def test_a_slot_taken_since_is_refused_and_the_rest_written(
    api, unplanned, technician, technician2, django_capture_on_commit_callbacks
):
    job = start(api, django_capture_on_commit_callbacks)
    plan = plan_of(api, job["id"])
    taken = plan["plannings"][0]
    someone = technician if taken["technician_id"] == str(technician.pk) else technician2
    make_planning(
        project=unplanned[0].project,
        technician=someone,
        start=datetime.fromisoformat(taken["start"]),
        minutes=30,
    )
    response = api.post(f"/api/v1/autoplan/{job['id']}/accept", {}, format="json")
    answer = response.json()
    assert [r["work_order_id"] for r in answer["refused"]] == [taken["work_order_id"]]
    assert "already planned" in answer["refused"][0]["reason"]
    assert len(answer["accepted"]) == len(plan["plannings"]) - 1
    assert JobPlanning.objects.count() == len(plan["plannings"])  # the rest + the one taken
    assert not JobPlanning.objects.filter(work_order_id=taken["work_order_id"]).exists()
    assert not JobPlanning.objects.exclude(warning_codes="").exists()
    # Accepting the whole plan again writes nothing twice; naming one accepted says so.
    again = api.post(f"/api/v1/autoplan/{job['id']}/accept", {}, format="json").json()
    assert again == {
        "accepted": [],
        "refused": [
            {"work_order_id": taken["work_order_id"], "reason": again["refused"][0]["reason"]}
        ],
    }
    one = answer["accepted"][0]
    named = api.post(
        f"/api/v1/autoplan/{job['id']}/accept", {"work_order_ids": [one]}, format="json"
    ).json()
    assert named["accepted"] == [] and "was planned since" in named["refused"][0]["reason"]


def test_a_failed_solve_ends_the_job_failed_with_the_reason(
    api, unplanned, monkeypatch, django_capture_on_commit_callbacks
):
    def broken(*args, **kwargs):
        raise RuntimeError("out of memory")

    monkeypatch.setattr(solver, "solve", broken)
    job = start(api, django_capture_on_commit_callbacks)
    plan = plan_of(api, job["id"])
    assert plan["status"] == "failed"
    assert "The solve failed: RuntimeError: out of memory" in plan["message"]
    assert "plannings" not in plan
    response = api.post(f"/api/v1/autoplan/{job['id']}/accept", {}, format="json")
    assert response.status_code == 400 and "api_job_id" in response.json()


def test_work_orders_left_out_say_why(api, project, unplanned, django_capture_on_commit_callbacks):
    no_estimate = make_work_order(project=project, name="No estimate")
    ids = [str(wo.pk) for wo in unplanned[:2]] + [str(no_estimate.pk)]
    job = start(api, django_capture_on_commit_callbacks, work_order_ids=ids)
    plan = plan_of(api, job["id"])
    assert plan["unplanned"] == [
        {
            "work_order_id": str(no_estimate.pk),
            "work_order_number": f"#{no_estimate.id2}",
            "reason": "No estimated time.",
        }
    ]


def test_requests_are_checked_field_by_field(api, other_api, unplanned, other_sales_org):
    def post(body):
        return api.post("/api/v1/autoplan", body, format="json")

    week = {"from": MONDAY.isoformat(), "to": SATURDAY.isoformat()}
    assert "from" in post({"to": SATURDAY.isoformat()}).json()
    assert "to" in post({**week, "to": "soon"}).json()
    assert "to" in post({**week, "to": (MONDAY + timedelta(days=40)).isoformat()}).json()
    wrong = post({**week, "sales_organization_id": str(other_sales_org.pk)})
    assert wrong.status_code == 400 and "sales_organization_id" in wrong.json()
    assert "work_order_ids" in post({**week, "work_order_ids": ["nope"]}).json()
    assert "technician_ids" in post({**week, "technician_ids": [str(unplanned[0].pk)]}).json()
    assert not ApiJob.objects.exists()


def test_another_organization_sees_no_plan(
    api, other_api, unplanned, django_capture_on_commit_callbacks
):
    job = start(api, django_capture_on_commit_callbacks)
    assert other_api.get(f"/api/v1/autoplan/{job['id']}").status_code == 404
    assert other_api.post(f"/api/v1/autoplan/{job['id']}/accept", {}).status_code == 404
    listed = api.post(f"/api/v1/autoplan/{job['id']}/accept", [], format="json")
    assert listed.status_code == 400 and "non_field_errors" in listed.json()
    assert not JobPlanning.objects.exists()
    assert api.get("/api/v1/autoplan/not-a-uuid").status_code == 404


def test_the_default_selection_is_the_unplanned_work_whose_window_meets_the_range(
    api, project, unplanned, planner
):
    make_work_order(project=project, name="Due before", estimated_time=60, due_date=at(-2, "00:00"))
    make_work_order(project=project, name="Done", status="Completed", estimated_time=60)
    options = services.clean_request(
        data={"from": MONDAY.isoformat(), "to": SATURDAY.isoformat()}, by=planner
    )
    assert sorted(options["work_order_ids"]) == sorted(str(wo.pk) for wo in unplanned)


def test_the_planner_page_starts_a_week_shows_the_plan_and_accepts_the_ticked(
    planner, planners_group, unplanned, django_capture_on_commit_callbacks
):
    planner.groups.add(planners_group)
    client = Client()
    client.force_login(planner)
    url = "/admin/workorders/workorder/autoplan/"
    assert client.get(url).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        started = client.post(url, {"from": "2031-03-03", "to": "2031-03-07"})
    assert started.status_code == 302 and "job=" in started["Location"]
    page = client.get(started["Location"])
    assert page.status_code == 200
    html = page.content.decode()
    assert "Accept all" in html and 'id="autoplan-kpis"' in html
    job = ApiJob.objects.get(type="autoplan")
    plan = services.proposed_plan(api_job=job)
    ticked = [p["work_order_id"] for p in plan["plannings"][:2]]
    client.post(
        url, {"job": str(job.pk), "action": "accept", "which": "ticked", "work_order_ids": ticked}
    )
    assert sorted(
        str(pk) for pk in JobPlanning.objects.values_list("work_order_id", flat=True)
    ) == sorted(ticked)


def test_the_demo_has_coordinates_so_the_auto_plan_shows_something_real(settings):
    call_command("load_demo_data", "--work-orders", "400", "--projects", "20", "--companies", "4")
    technicians = User.objects.filter(is_technician=True).select_related("base_address")
    assert all(t.base_address and t.base_address.latitude for t in technicians)
    assert not Project.objects.filter(db_address__latitude__isnull=True).exists()
    planner = User.objects.get(username="planner")
    zone = zone_of(planner.sales_organization)
    today = timezone.now().astimezone(zone).date()
    monday = today - timedelta(days=today.weekday()) + timedelta(days=7)
    start = datetime.combine(monday, datetime.min.time(), tzinfo=zone)
    job = services.start_autoplan(
        data={"from": start.isoformat(), "to": (start + timedelta(days=5)).isoformat()},
        by=planner,
    )
    services.run_autoplan(api_job_id=job.pk)
    plan = services.proposed_plan(api_job=ApiJob.objects.get(pk=job.pk))
    assert plan["status"] == "completed", plan["message"]
    assert plan["kpis"]["planned"] > 5 and plan["kpis"]["travel_km"] > 10


@pytest.mark.worker
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_job_runs_in_a_real_db_worker_and_shows_its_progress(settings, planner, project):
    import_module("jobs.migrations.0003_vocabulary").install(django_apps, None)
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    technician = User.objects.create_user(
        username="tech.worker", sales_organization=planner.sales_organization, is_technician=True
    )
    make_services_around_gent(
        project=project,
        technicians=[technician],
        sales_org=planner.sales_organization,
        count=30,
    )
    job = services.start_autoplan(
        data={"from": MONDAY.isoformat(), "to": SATURDAY.isoformat()}, by=planner
    )
    assert ApiJob.objects.get(pk=job.pk).status == "pending"  # queued, not run in-process
    env = {**worker_env(chunk_size=500), "AUTOPLAN_TIME_LIMIT_SECONDS": "5"}
    worker = subprocess.Popen(
        worker_command(), cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    seen = []
    try:
        deadline = time.monotonic() + 180
        while True:
            state = ApiJob.objects.values_list("status", "processed_records", "message").get(
                pk=job.pk
            )
            seen.append(state)
            if state[0] in ("completed", "failed"):
                break
            assert time.monotonic() < deadline, f"no end: {seen[-1]}"
            time.sleep(0.2)
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=30)
    assert seen[-1][0] == "completed", seen[-1]
    assert any(s[0] == "processing" and s[2].startswith("Solving") for s in seen)
    assert any(s[0] == "processing" and 0 < s[1] < 30 for s in seen)  # progress as it goes
    plan = services.proposed_plan(api_job=ApiJob.objects.get(pk=job.pk))
    assert plan["kpis"]["planned"] > 10 and plan["kpis"]["travel_km"] > 0
    assert {p["technician_id"] for p in plan["plannings"]} == {str(technician.pk)}


def test_accepting_refuses_what_the_action_and_the_board_refuse_in_the_same_words(
    planner, project, technician, other_sales_org
):
    """One check (suggestions.refusal, made by mark_suggested): work under way, done or
    cancelled, and a technician the rule refuses, whichever path suggests it."""
    started = make_work_order(project=project, status="InProgress", estimated_time=60)
    activated = make_work_order(project=project, status="Activated", estimated_time=60)
    stranger = User.objects.create_user(
        username="tech-nl", sales_organization=other_sales_org, is_technician=True
    )
    start = at(0, "09:00")
    proposed = [(started, technician), (activated, stranger)]
    said = {}
    for wo, who in proposed:
        with pytest.raises(ServiceError) as refused:
            suggest_technician(work_orders=[wo], user=who, date_start=start)
        said[wo.pk, who.pk] = refused.value.message
        if wo is started:  # the board's own pre-check speaks of the technician first
            board = plan_work_order(
                user=planner, work_order_id=wo.pk, technician_id=who.pk, start=start
            )
            assert board.message == f"Not planned — {refused.value.message}"
    assert said[started.pk, technician.pk] == (
        f"Only work that has not started can get a technician suggested; #{started.id2} is "
        "IN PROGRESS (InProgress)."
    )
    for wo, who in proposed:
        job = ApiJob.objects.create(
            type="autoplan",
            status="completed",
            payload={
                "plannings": [
                    {
                        "work_order_id": str(wo.pk),
                        "technician_id": str(who.pk),
                        "start": start.isoformat(),
                    }
                ]
            },
        )
        answer = accept_plan(api_job=job, work_order_ids=None, by=planner)
        assert answer == {
            "accepted": [],
            "refused": [{"work_order_id": str(wo.pk), "reason": said[wo.pk, who.pk]}],
        }
    assert not JobPlanning.objects.exists()
    # Work not started (Activated, say) with a technician the rule lets plan is planned by
    # every path alike.
    job.payload["plannings"][0]["technician_id"] = str(technician.pk)
    job.save()
    answer = accept_plan(api_job=job, work_order_ids=None, by=planner)
    assert answer == {"accepted": [str(activated.pk)], "refused": []}
