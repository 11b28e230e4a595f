"""An auto-plan on the planning board (issue 18, item 2): "Plan the unplanned…" starts the week
shown and comes back to the board, which shows the proposal as ghosts with the KPIs; accepting
all or the ticked ghosts writes exactly those through the accept service, saying what was
written and what was refused; a planner sees and accepts only their organization's plans."""

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.messages import get_messages
from django.test import Client

from apijobs.models import ApiJob, ApiJobStatus
from tests.factories import make_planning, make_services_around_gent
from workorders.models import JobPlanning
from workorders.scheduling.autoplan import services, solver

pytestmark = pytest.mark.django_db

MONDAY = datetime(2031, 3, 3, tzinfo=UTC)  # the organization plans in UTC (TIME_ZONE)
BOARD = "/admin/workorders/workorder/board/"
AUTOPLAN = "/admin/workorders/workorder/autoplan/"


@pytest.fixture(autouse=True)
def quick(settings):
    settings.AUTOPLAN_TIME_LIMIT_SECONDS = 1.0


@pytest.fixture
def unplanned(project, technician, technician2, sales_org):
    return make_services_around_gent(
        project=project, technicians=(technician, technician2), sales_org=sales_org
    )


@pytest.fixture
def client(planner_client):
    return planner_client


def start_from_board(client, capture, **extra):
    with capture(execute=True):
        answer = client.post(
            AUTOPLAN,
            {"back": "board", "view": "week", "from": "2031-03-03", "to": "2031-03-09", **extra},
        )
    assert answer.status_code == 302
    return answer["Location"]


def ghosts_of(html: str) -> list[str]:
    return re.findall(r'class="bd-proposed[^"]*" data-work-order="([^"]+)"', html)


def blocks_of(html: str) -> list[str]:
    return re.findall(r'class="bd-block[^"]*"[^>]*data-work-order="([^"]+)"', html)


def said(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_the_board_starts_the_week_shown_and_shows_the_plan_as_ghosts_with_its_kpis(
    client, unplanned, django_capture_on_commit_callbacks
):
    location = start_from_board(client, django_capture_on_commit_callbacks)
    query = parse_qs(urlsplit(location).query)
    assert urlsplit(location).path == BOARD
    assert query["date"] == ["2031-03-03"] and query["view"] == ["week"]
    job = ApiJob.objects.get(type="autoplan")
    assert query["autoplan"] == [str(job.pk)]
    assert job.options["to"] == "2031-03-10T00:00:00+00:00"  # the week shown, Sunday included
    html = client.get(location).content.decode()
    plan = services.proposed_plan(api_job=job)
    assert len(plan["plannings"]) == len(unplanned)
    assert sorted(ghosts_of(html)) == sorted(p["work_order_id"] for p in plan["plannings"])
    assert blocks_of(html) == []  # ghosts are not plannings (board.js drags only .bd-block)
    assert 'id="board-kpis"' in html and 'id="board-accept-all"' in html
    assert f'id="board-kpi-planned">{len(unplanned)}<' in html
    assert JobPlanning.objects.count() == 0
    # The pane can mark the proposed work orders; navigating keeps the ghosts.
    assert str(unplanned[0].pk) in re.search(r'data-work-orders="([^"]*)"', html).group(1)
    next_week = re.search(r'href="([^"]*)" id="board-next"', html).group(1)
    assert f"autoplan={job.pk}" in next_week


def test_accepting_the_ticked_ghosts_writes_exactly_those_and_keeps_the_rest_as_ghosts(
    client, unplanned, django_capture_on_commit_callbacks
):
    location = start_from_board(client, django_capture_on_commit_callbacks)
    assert said(client.get(location))[0].startswith("Planning 5 unplanned work orders from Mon 03")
    job = ApiJob.objects.get(type="autoplan")
    plan = services.proposed_plan(api_job=job)
    ticked = [p["work_order_id"] for p in plan["plannings"][:2]]
    answer = client.post(
        AUTOPLAN,
        {
            "job": str(job.pk),
            "action": "accept",
            "which": "ticked",
            "work_order_ids": ticked,
            "back": "board",
            "view": "week",
            "date": "2031-03-03",
        },
    )
    assert answer.status_code == 302 and answer["Location"] == location
    written = sorted(str(pk) for pk in JobPlanning.objects.values_list("work_order_id", flat=True))
    assert written == sorted(ticked)
    numbers = [p["work_order_number"] for p in plan["plannings"][:2]]
    assert said(answer) == [f"2 plannings written (Suggested status): {', '.join(numbers)}."]
    html = client.get(location).content.decode()
    assert sorted(blocks_of(html)) == sorted(ticked)
    assert sorted(ghosts_of(html)) == sorted(p["work_order_id"] for p in plan["plannings"][2:])
    # Accept all takes the rest; the board then comes back without the proposal.
    rest = client.post(
        AUTOPLAN,
        {"job": str(job.pk), "action": "accept", "which": "all", "back": "board", "view": "week"},
    )
    assert "autoplan" not in rest["Location"]
    assert JobPlanning.objects.count() == len(unplanned)
    assert not JobPlanning.objects.exclude(warning_codes="").exists()


def test_a_slot_taken_since_is_refused_by_name_and_the_rest_written(
    client, unplanned, technician, technician2, django_capture_on_commit_callbacks
):
    client.get(start_from_board(client, django_capture_on_commit_callbacks))
    job = ApiJob.objects.get(type="autoplan")
    plan = services.proposed_plan(api_job=job)
    taken = plan["plannings"][0]
    someone = technician if taken["technician_id"] == str(technician.pk) else technician2
    make_planning(
        project=unplanned[0].project,
        technician=someone,
        start=datetime.fromisoformat(taken["start"]),
        minutes=30,
    )
    answer = client.post(
        AUTOPLAN, {"job": str(job.pk), "action": "accept", "which": "all", "back": "board"}
    )
    messages = said(answer)
    assert messages[0].startswith(f"{len(unplanned) - 1} plannings written")
    assert messages[1].startswith(f"Not planned: {taken['work_order_number']} — ")
    assert "already planned" in messages[1]
    assert not JobPlanning.objects.filter(work_order_id=taken["work_order_id"]).exists()
    # The refused one stays a ghost, so the board keeps the proposal.
    assert f"autoplan={job.pk}" in answer["Location"]


def test_a_planner_of_another_organization_neither_sees_nor_accepts_the_plan(
    client, unplanned, other_planner, planners_group, django_capture_on_commit_callbacks
):
    location = start_from_board(client, django_capture_on_commit_callbacks)
    job = ApiJob.objects.get(type="autoplan")
    other_planner.groups.add(planners_group)
    other = Client()
    other.force_login(other_planner)
    page = other.get(location)
    assert page.status_code == 200
    html = page.content.decode()
    assert ghosts_of(html) == [] and 'id="board-proposal"' not in html
    assert "No such auto-plan for your organization." in said(page)
    assert other.get(f"{location}&progress=1").status_code == 404
    refused = other.post(
        AUTOPLAN, {"job": str(job.pk), "action": "accept", "which": "all", "back": "board"}
    )
    assert refused.status_code == 302 and "autoplan" not in refused["Location"]
    assert said(refused) == ["No such auto-plan for your organization."]
    assert JobPlanning.objects.count() == 0
    assert services.proposed_plan(api_job=job)["accepted_work_order_ids"] == []


def test_while_the_solver_runs_the_board_shows_its_progress_to_poll(
    client, unplanned, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):  # the job stays queued
        location = client.post(
            AUTOPLAN, {"back": "board", "from": "2031-03-03", "to": "2031-03-09"}
        )["Location"]
    job = ApiJob.objects.get(type="autoplan")
    assert job.status == ApiJobStatus.PENDING
    html = client.get(location).content.decode()
    assert "bd-proposal-running" in html and 'id="board-proposal-progress"' in html
    assert ghosts_of(html) == [] and 'id="board-accept-all"' not in html
    state = client.get(f"{location}&progress=1").json()
    assert state["running"] is True and state["status"] == "pending" and state["percent"] == 0


def test_ghosts_sit_at_their_local_time_beside_the_plannings_already_there(
    client, unplanned, technician, django_capture_on_commit_callbacks
):
    location = start_from_board(client, django_capture_on_commit_callbacks)
    job = ApiJob.objects.get(type="autoplan")
    plan = services.proposed_plan(api_job=job)
    ghost = next(p for p in plan["plannings"] if p["technician_id"] == str(technician.pk))
    start = datetime.fromisoformat(ghost["start"])
    # A planning made since, at the same time: the ghost takes a second lane, not its place.
    make_planning(
        project=unplanned[0].project,
        technician=technician,
        start=start + timedelta(minutes=15),
        minutes=30,
    )
    html = client.get(location).content.decode()
    found = re.search(
        rf'data-work-order="{ghost["work_order_id"]}" data-start="([^"]+)"[^>]*--lane:(\d)', html
    )
    assert found.group(1) == f"{start.astimezone(UTC):%Y-%m-%dT%H:%M}"
    assert found.group(2) == "1"


def test_a_failed_solve_says_why_on_the_board_with_no_ghosts(
    client, unplanned, monkeypatch, django_capture_on_commit_callbacks
):
    def broken(*args, **kwargs):
        raise RuntimeError("out of memory")

    monkeypatch.setattr(solver, "solve", broken)
    location = start_from_board(client, django_capture_on_commit_callbacks)
    html = client.get(location).content.decode()
    assert "The auto-plan failed." in html
    assert "The solve failed: RuntimeError: out of memory" in html
    assert ghosts_of(html) == [] and 'id="board-accept-all"' not in html
    assert client.get(f"{location}&progress=1").json()["running"] is False
