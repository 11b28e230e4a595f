"""The planner admin: tenancy, the work order list (search, filters, paging), the actions, the
change form, the planning board, API jobs and the import upload."""

import json
from datetime import datetime, time, timedelta
from itertools import pairwise

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from apijobs.models import ApiJob, ApiJobError, ApiJobStatus
from jobs.models import StatusNumber
from jobsite.errors import ServiceError
from jobsite.models import Skill, User
from workorders import planning_board, selectors, services
from workorders.admin.actions import WorkOrderActions
from workorders.models import JobPlanning, Project, WorkOrder

from ..admin_forms import change_form_data

LIST = "/admin/workorders/workorder/"


def _messages(response):
    return [str(m) for m in response.context["messages"]] if response.context else []


# --- Tenancy ---------------------------------------------------------------------------------


def test_planner_sees_only_own_sales_organization(planner_client, project, other_project, make_wo):
    mine = make_wo(project, name="Boiler check mine")
    theirs = make_wo(other_project, name="Boiler check theirs")

    response = planner_client.get(LIST)
    assert response.status_code == 200
    assert mine.name in response.text
    assert theirs.name not in response.text

    response = planner_client.get(f"/admin/workorders/workorder/{theirs.pk}/change/")
    assert response.status_code in (302, 404)
    assert theirs.name not in response.content.decode()
    followed = planner_client.get(f"/admin/workorders/workorder/{theirs.pk}/change/", follow=True)
    assert theirs.name not in followed.content.decode()

    for url in (
        f"/admin/workorders/project/{other_project.pk}/change/",
        f"/admin/jobsite/company/{other_project.company_id}/change/",
    ):
        response = planner_client.get(url, follow=True)
        assert other_project.name not in response.content.decode()


def test_autocomplete_results_are_tenant_scoped(planner_client, project, other_project):
    response = planner_client.get(
        "/admin/autocomplete/",
        {"app_label": "workorders", "model_name": "workorder", "field_name": "project", "term": ""},
    )
    assert response.status_code == 200
    ids = {r["id"] for r in response.json()["results"]}
    assert str(project.pk) in ids
    assert str(other_project.pk) not in ids


def test_a_forged_project_of_another_organization_is_refused(
    planner_client, project, other_project, make_wo, statuses, job_type
):
    wo = make_wo(project)
    data = change_form_data(planner_client, wo)
    data["project"] = str(other_project.pk)
    response = planner_client.post(f"/admin/workorders/workorder/{wo.pk}/change/", data)
    assert response.status_code == 200  # the form again, with an error
    wo.refresh_from_db()
    assert wo.project_id == project.pk


def test_superuser_sees_every_sales_organization(superuser, project, other_project, make_wo):
    client = Client()
    client.force_login(superuser)
    make_wo(project, name="Mine one")
    make_wo(other_project, name="Their one")
    text = client.get(LIST).text
    assert "Mine one" in text and "Their one" in text


def test_a_superuser_cannot_mix_organizations_in_a_work_order(
    superuser, project, make_wo, other_sales_org
):
    client = Client()
    client.force_login(superuser)
    wo = make_wo(project)
    theirs = Skill.objects.create(code="GAS", name="Gas", sales_organization=other_sales_org)
    data = change_form_data(client, wo)
    data["skill"] = str(theirs.pk)
    response = client.post(f"/admin/workorders/workorder/{wo.pk}/change/", data)
    assert response.status_code == 200
    assert "This skill belongs to another sales organization." in response.text
    wo.refresh_from_db()
    assert wo.skill_id is None
    data.pop("skill")
    response = client.post(f"/admin/workorders/workorder/{wo.pk}/change/", data)
    assert response.status_code == 302  # the same form without it is saved


def test_a_superuser_cannot_put_a_project_at_another_organizations_address(
    superuser, project, other_sales_org
):
    from jobsite.models import Address

    client = Client()
    client.force_login(superuser)
    url = f"/admin/workorders/project/{project.pk}/change/"
    form = client.get(url).context["adminform"].form
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    theirs = Address.objects.create(street="Theirs", sales_organization=other_sales_org)
    response = client.post(url, {**data, "db_address": str(theirs.pk)})
    assert response.status_code == 200
    assert "This address belongs to another sales organization." in response.text
    project.refresh_from_db()
    assert project.db_address_id != theirs.pk
    assert client.post(url, data).status_code == 302


# --- The list --------------------------------------------------------------------------------


def test_list_columns_badge_and_overdue(planner_client, project, make_wo, technician):
    make_wo(
        project,
        status="Suggested",
        name="Late job",
        due_date=timezone.now() - timedelta(days=2),
        suggested_user=technician,
        suggested_date_start=timezone.now() + timedelta(days=1),
    )
    text = planner_client.get(LIST).text
    assert "wo-badge wo-state-pending wo-status-3" in text
    assert "overdue" in text
    assert "Tess Tech" in text
    assert project.name in text and project.company.name in text
    assert "Planning board" in text


def test_search_by_number_name_reference_and_project(planner_client, project, make_wo):
    a = make_wo(project, name="Descaling the boiler", reference_back_office="ERP-77")
    b = make_wo(project, name="Filter replacement", customer_reference="PO12345")
    other_project = Project.objects.create(
        name="Heat pump Brugge",
        company=project.company,
        sales_organization=project.sales_organization,
    )
    c = make_wo(other_project, name="Yearly visit")

    def found(term):
        response = planner_client.get(LIST, {"q": term})
        assert response.status_code == 200
        return {wo.pk for wo in response.context["cl"].result_list}

    assert found(str(a.id2)) == {a.pk}
    assert found(f"#{b.id2}") == {b.pk}
    assert found("descaling") == {a.pk}
    assert found("ERP-77") == {a.pk}
    assert found("PO12345") == {b.pk}
    assert found("brugge") == {c.pk}
    assert found("heat brugge") == {c.pk}


def test_filters(planner_client, project, make_wo, statuses, technician, skill):
    todo = make_wo(project, name="Todo", due_date=timezone.now() - timedelta(days=1))
    done = make_wo(
        project, status="Completed", name="Done", due_date=timezone.now() - timedelta(days=1)
    )
    planned = make_wo(
        project,
        status="Suggested",
        name="Planned",
        suggested_user=technician,
        suggested_date_start=timezone.now(),
        skill=skill,
    )

    def found(params):
        response = planner_client.get(LIST, params)
        assert response.status_code == 200
        return {wo.pk for wo in response.context["cl"].result_list}

    assert found({"status": statuses["Completed"].pk}) == {done.pk}
    assert found({"state": "COMPLETED"}) == {done.pk}
    assert found({"due": "overdue"}) == {todo.pk}
    assert found({"due": "unplanned"}) == {todo.pk}
    assert found({"technician": technician.pk}) == {planned.pk}
    assert found({"skill": skill.pk}) == {planned.pk}
    # A bad id is a message, not a 500.
    assert planner_client.get(LIST, {"status": "nope"}).status_code == 302


def test_filter_sidebar_lists_only_visible_technicians(
    planner_client, technician, other_sales_org, project, make_wo
):
    stranger = User.objects.create_user(
        username="far", first_name="Far", last_name="Away", sales_organization=other_sales_org
    )
    stranger.is_technician = True
    stranger.save()
    make_wo(project)
    text = planner_client.get(LIST).text
    assert "Tess Tech" in text
    assert "Far Away" not in text


def test_list_queries_do_not_grow_with_rows(planner_client, project, make_wo, technician):
    def count():
        with CaptureQueriesContext(connection) as captured:
            assert planner_client.get(LIST).status_code == 200
        return len(captured)

    make_wo(project)
    few = count()
    for i in range(25):
        make_wo(
            project,
            status="Suggested",
            name=f"wo {i}",
            suggested_user=technician,
            suggested_date_start=timezone.now() + timedelta(hours=i),
        )
    assert count() == few
    assert few <= 9


def test_paging_past_the_first_page(superuser, project, make_wo):
    client = Client()
    client.force_login(superuser)
    for i in range(7):
        make_wo(project, name=f"paged {i}")
    from workorders.admin import WorkOrderAdmin

    old = WorkOrderAdmin.list_per_page
    WorkOrderAdmin.list_per_page = 3
    try:
        first = client.get(LIST).context["cl"].result_list
        second = client.get(LIST, {"p": 2}).context["cl"].result_list
    finally:
        WorkOrderAdmin.list_per_page = old
    ids = [wo.id2 for wo in first] + [wo.id2 for wo in second]
    assert len(ids) == 6 and ids == sorted(ids, reverse=True)


def test_due_date_hierarchy(planner_client, project, make_wo):
    due = timezone.now().replace(month=3, day=10)
    make_wo(project, due_date=due)
    response = planner_client.get(LIST, {"due_date__year": due.year})
    assert response.status_code == 200
    assert "Filter by due date" in response.text


# --- Actions ---------------------------------------------------------------------------------


def _action(client, action, work_orders, **extra):
    return client.post(
        LIST,
        {"action": action, "_selected_action": [str(wo.pk) for wo in work_orders], **extra},
        follow=True,
    )


def test_suggest_action_asks_then_plans_and_reports_refusals(
    planner_client, project, make_wo, technician
):
    a = make_wo(project, name="A", estimated_time=90)
    b = make_wo(project, name="B")
    busy = make_wo(project, status="InProgress", name="Busy")

    form = _action(planner_client, "suggest_technician", [a, b, busy])
    assert form.status_code == 200
    assert "Suggest a technician" in form.text
    assert "Tess Tech" in form.text

    monday = planning_board.week_start_of(timezone.localdate()) + timedelta(days=7)
    start = timezone.make_aware(datetime.combine(monday, time(9, 0)))
    done = _action(
        planner_client,
        "suggest_technician",
        [a, b, busy],
        apply="1",
        technician=str(technician.pk),
        date_start=start.strftime("%Y-%m-%dT%H:%M"),
        one_after_another="on",
    )
    text = " ".join(_messages(done))
    assert "Suggested Tess Tech for 2 work order(s)" in text
    assert f"Refused #{busy.id2}" in text and "IN PROGRESS" in text
    plannings = {p.work_order_id: p for p in JobPlanning.objects.all()}
    assert plannings[a.pk].date_start == start
    # One after another: B starts when A (90 minutes) ends.
    assert plannings[b.pk].date_start == start + timedelta(minutes=90)
    assert busy.pk not in plannings
    a.refresh_from_db()
    assert a.job_status.number == StatusNumber.SUGGESTED and a.suggested_user == technician


def test_suggest_service_refuses_started_work_and_writes_nothing(project, make_wo, technician):
    ok = make_wo(project)
    done = make_wo(project, status="Completed")
    with pytest.raises(ServiceError) as error:
        services.suggest_technician(
            work_orders=[ok, done], user=technician, date_start=timezone.now()
        )
    assert error.value.field == "life_cycle_state"
    assert f"#{done.id2} is COMPLETED" in error.value.message
    ok.refresh_from_db()
    assert ok.job_status.number == StatusNumber.TO_BE_PLANNED
    assert not JobPlanning.objects.exists()


def test_the_suggest_action_checks_the_technician_against_the_organization_it_writes(
    project, make_wo, technician, other_sales_org
):
    """A work order belongs to its project's organization; its stored copy lags when the project
    moves (its company went to another organization) until the work order's next write. The
    action's preview checks the technician rule against the organization the write uses."""
    wo = make_wo(project, name="Moved")
    Project.objects.filter(pk=project.pk).update(sales_organization=other_sales_org)
    theirs = User.objects.create_user(
        username="tech-nl", sales_organization=other_sales_org, is_technician=True
    )
    (row,) = WorkOrder.objects.select_related("job_status", "project").filter(pk=wo.pk)
    assert row.sales_organization_id != row.project.sales_organization_id
    sunday = planning_board.week_start_of(timezone.localdate()) + timedelta(days=13)
    late = timezone.make_aware(datetime.combine(sunday, time(22, 0)))

    # The project's organization's technician is placed and checked (the write accepts them)…
    ((_, start, findings),) = WorkOrderActions._placements([row], theirs, late, False)
    assert start == late and "outside_working_hours" in {f.code for f in findings}
    services.suggest_technician(work_orders=[row], user=theirs, date_start=late)
    # … the stored column's organization's technician is not (the write refuses them).
    ((_, _, findings),) = WorkOrderActions._placements([row], technician, late, False)
    assert findings == []
    with pytest.raises(ServiceError):
        services.suggest_technician(work_orders=[row], user=technician, date_start=late)


def test_life_cycle_actions(planner_client, project, make_wo):
    todo = make_wo(project)
    started = make_wo(project, status="InProgress")
    finished = make_wo(project, status="Completed")

    text = " ".join(_messages(_action(planner_client, "activate", [todo, finished])))
    assert "Activated 1 work order(s)" in text and f"Refused #{finished.id2}" in text
    todo.refresh_from_db()
    assert todo.job_status.number == StatusNumber.ACTIVATED

    text = " ".join(_messages(_action(planner_client, "start_progress", [todo, started])))
    assert "Started 1 work order(s)" in text and f"Refused #{started.id2}" in text
    todo.refresh_from_db()
    assert todo.job_status.number == StatusNumber.IN_PROGRESS

    text = " ".join(_messages(_action(planner_client, "complete", [todo])))
    assert "Completed 1 work order(s)" in text
    todo.refresh_from_db()
    assert todo.date_closed is not None

    text = " ".join(_messages(_action(planner_client, "cancel", [todo, started])))
    assert "Cancelled 1 work order(s)" in text and f"Refused #{todo.id2}" in text
    started.refresh_from_db()
    assert started.job_status.number == StatusNumber.CANCELED


# --- The change form -------------------------------------------------------------------------


def test_change_form_shows_counters_plannings_and_history(
    planner_client, project, make_wo, technician
):
    wo = make_wo(
        project,
        status="Suggested",
        suggested_user=technician,
        suggested_date_start=timezone.now() + timedelta(days=1),
    )
    make_wo(project, name="Another")
    response = planner_client.get(f"/admin/workorders/workorder/{wo.pk}/change/")
    text = response.text
    assert "Project at a glance" in text
    assert "Open work orders" in text and "Next appointment" in text
    assert "plannings (appointments)" in text.lower()
    assert "Tess Tech" in text
    assert "Change history" in text


def test_change_form_saves_through_the_service(planner_client, project, make_wo, statuses):
    wo = make_wo(project, status="InProgress")
    data = change_form_data(planner_client, wo)
    data["job_status"] = str(statuses["Completed"].pk)
    data["name"] = "Renamed by a planner"
    response = planner_client.post(f"/admin/workorders/workorder/{wo.pk}/change/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    wo.refresh_from_db()
    assert wo.name == "Renamed by a planner"
    assert wo.date_closed is not None
    assert "Renamed" in planner_client.get(f"/admin/workorders/workorder/{wo.pk}/change/").text


def test_save_work_order_reads_the_previous_state_from_the_database(project, make_wo, statuses):
    wo = make_wo(project, status="InProgress")
    form_object = WorkOrder.objects.get(pk=wo.pk)  # what a planner's form was built from
    # Meanwhile the API completes it.
    services.complete(work_order=wo)
    wo.refresh_from_db()
    closed_at = wo.date_closed
    assert closed_at is not None
    # The planner saves the form with Completed too: it was already COMPLETED in the database,
    # so it keeps the time it was closed.
    form_object.job_status = statuses["Completed"]
    services.save_work_order(work_order=form_object)
    form_object.refresh_from_db()
    assert form_object.date_closed == closed_at


def test_change_form_queries_stay_few(planner_client, project, make_wo, technician):
    wo = make_wo(
        project,
        status="Suggested",
        suggested_user=technician,
        suggested_date_start=timezone.now() + timedelta(days=1),
    )
    url = f"/admin/workorders/workorder/{wo.pk}/change/"
    planner_client.get(url)
    with CaptureQueriesContext(connection) as captured:
        assert planner_client.get(url).status_code == 200
    # (the ninth: is a planning check an import left pending? — pending_checks)
    assert len(captured) <= 9


# --- The planning board ----------------------------------------------------------------------

BOARD = "/admin/workorders/workorder/board/"


def test_board_shows_plannings_in_their_day_and_the_unplanned_pane(
    planner_client, project, make_wo, technician
):
    monday = planning_board.week_start_of(timezone.localdate())
    start = timezone.make_aware(
        timezone.datetime.combine(monday + timedelta(days=2), timezone.datetime.min.time())
    ) + timedelta(hours=9)
    planned = make_wo(
        project,
        status="Suggested",
        name="Planned one",
        suggested_user=technician,
        suggested_date_start=start,
    )
    todo = make_wo(project, name="Still to plan")
    response = planner_client.get(BOARD, {"date": monday.isoformat()})
    assert response.status_code == 200
    board = response.context["board"]
    row = next(r for r in board.rows if r.technician == technician)
    assert [b.work_order_pk for b in row.cells[2].blocks] == [planned.pk]
    assert f"#{planned.id2} Planned one" in response.text
    pane = planner_client.get(BOARD + "unplanned/", {"filters": "1"})
    assert f'data-number="{todo.id2}"' in pane.text


def test_plan_from_the_board_then_an_overlap_warns(
    planner_client, project, make_wo, technician, technician2
):
    a = make_wo(project, name="First", estimated_time=120)
    b = make_wo(project, name="Second")
    monday = planning_board.week_start_of(timezone.localdate()) + timedelta(days=7)
    plan = reverse("admin:workorders_workorder_board_plan")
    answer = planner_client.post(
        plan,
        {"work_order": str(a.id2), "technician": str(technician.pk), "start": f"{monday}T09:00"},
        HTTP_ACCEPT="application/json",
    )
    assert answer.status_code == 200 and f"Planned #{a.id2}" in answer.json()["message"]
    assert JobPlanning.objects.filter(work_order=a, user=technician).exists()

    answer = planner_client.post(
        plan,
        {"work_order": str(b.id2), "technician": str(technician.pk), "start": ""},
        HTTP_ACCEPT="application/json",
    )
    assert answer.status_code == 400 and "start" in answer.json()["errors"]
    overlapping = {
        "work_order": str(b.id2),
        "technician": str(technician.pk),
        "start": f"{monday.isoformat()}T10:00",
    }
    answer = planner_client.post(plan, overlapping, HTTP_ACCEPT="application/json")
    # Seen before it is saved: a question, and nothing planned yet.
    assert answer.status_code == 409 and answer.json()["confirm"], answer.content
    assert [w["code"] for w in answer.json()["warnings"]] == ["overlap"]
    assert f"#{a.id2}" in answer.json()["message"]
    assert not JobPlanning.objects.filter(work_order=b).exists()
    answer = planner_client.post(
        plan, {**overlapping, "plan_anyway": "1"}, HTTP_ACCEPT="application/json"
    )
    assert answer.status_code == 200 and answer.json()["ok"]
    assert "With warnings" in answer.json()["message"]
    board = planner_client.get(BOARD, {"date": monday.isoformat()})
    assert len(board.context["board"].warned) == 2
    assert "is already planned then: #" in board.text


def test_board_warns_when_the_technician_lacks_the_skill_even_via_the_api(
    project, make_wo, technician2, planner, sales_org
):
    gas = Skill.objects.create(code="GAS", name="Gas", sales_organization=sales_org)
    start = timezone.now() + timedelta(hours=1)
    wo = make_wo(project, skill=gas)
    # Planned elsewhere (the plannings API's service, not the board): the board shows the
    # warning the planning check stored.
    services.save_planning(
        data={"work_order_id": str(wo.pk), "user_id": str(technician2.pk),
              "date_start": start.isoformat()},
        by=planner,
    )  # fmt: skip
    board = planning_board.board(
        user=planner,
        period=planning_board.Period.of(view="week", day=timezone.localdate(start)),
    )
    assert any("lacks the skill Gas" in b.warning_text for b in board.warned)


def test_board_refuses_work_orders_of_another_organization(
    planner_client, other_project, make_wo, technician
):
    theirs = make_wo(other_project)
    answer = planner_client.post(
        reverse("admin:workorders_workorder_board_plan"),
        {"work_order": str(theirs.id2), "technician": str(technician.pk),
         "start": "2030-01-07T09:00", "plan_anyway": "1"},
        HTTP_ACCEPT="application/json",
    )  # fmt: skip
    assert answer.status_code == 400 and "no such work order" in answer.json()["message"]
    assert not JobPlanning.objects.exists()


def test_index_links_to_the_board(planner_client):
    text = planner_client.get("/admin/").text
    assert BOARD in text


# --- API jobs and the import upload ----------------------------------------------------------


def test_api_job_page_refreshes_while_running_and_shows_errors(
    planner_client, planner, other_sales_org
):
    job = ApiJob.objects.create(
        type="workorder_import",
        sales_organization=planner.sales_organization,
        status=ApiJobStatus.PROCESSING,
        total_records=10,
        processed_records=4,
        effected_records=3,
        error_records=1,
    )
    ApiJobError.objects.create(api_job=job, line=3, field="project_id", message="Unknown project.")
    url = f"/admin/apijobs/apijob/{job.pk}/change/"
    text = planner_client.get(url).text
    assert 'http-equiv="refresh"' in text
    assert "aj-progress" in text and 'aria-valuenow="40"' in text
    assert "Unknown project." in text
    job.status = ApiJobStatus.COMPLETED
    job.save()
    assert 'http-equiv="refresh"' not in planner_client.get(url).text

    theirs = ApiJob.objects.create(
        type="secret_bulk", source_name="their-file.csv", sales_organization=other_sales_org
    )
    response = planner_client.get(f"/admin/apijobs/apijob/{theirs.pk}/change/", follow=True)
    assert "doesn’t exist" in response.text
    assert "their-file.csv" not in response.text and "secret_bulk" not in response.text
    assert "their-file.csv" not in planner_client.get("/admin/apijobs/apijob/").text


def test_import_upload_starts_the_import_task(planner_client, planner, monkeypatch, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from workorders.admin import import_page

    calls = {}

    def fake_start_import(**kwargs):
        calls.update(kwargs)
        return ApiJob.objects.create(
            type="workorder_import",
            sales_organization=kwargs["sales_organization"],
            requested_by=kwargs["by"],
            source_name=kwargs["path"].rsplit("/", 1)[-1],
        )

    monkeypatch.setattr(import_page.imports, "start_import", fake_start_import)
    monkeypatch.setattr("django.conf.settings.MEDIA_ROOT", str(tmp_path))
    assert planner_client.get("/admin/workorders/workorder/import/").status_code == 200
    record = {
        "reference_back_office": "WEB-1",
        "name": "From the web",
        "project_reference_back_office": "PRJ-NONE",
        "job_type_code": "Unknown",
        "job_status_code": "ToBePlanned",
    }
    upload = SimpleUploadedFile("orders.json", json.dumps([record]).encode(), "application/json")
    response = planner_client.post(
        "/admin/workorders/workorder/import/",
        {
            "file": upload,
            "kind": "workorders",
            "sales_organization": str(planner.sales_organization_id),
        },
    )
    # Checked first (nothing runs), then imported.
    assert response.status_code == 200 and not calls
    token = response.context["token"]
    response = planner_client.post(
        "/admin/workorders/workorder/import/", {"token": token, "start": "import"}
    )
    assert response.status_code == 302
    job = ApiJob.objects.get()
    assert response["Location"] == f"/admin/apijobs/apijob/{job.pk}/change/"
    assert calls["kind"] == "workorders" and calls["by"] == planner and not calls["dry_run"]
    assert calls["path"].endswith(".json")
    assert job.source_name == "orders.json"

    bad = SimpleUploadedFile("orders.exe", b"MZ", "application/octet-stream")
    response = planner_client.post(
        "/admin/workorders/workorder/import/",
        {
            "file": bad,
            "kind": "workorders",
            "sales_organization": str(planner.sales_organization_id),
        },
    )
    assert response.status_code == 200 and "Upload a .csv" in response.text


def test_api_job_page_names_the_columns_an_import_ignored(planner_client, planner):
    job = ApiJob.objects.create(
        type="workorder_import",
        sales_organization=planner.sales_organization,
        requested_by=planner,
        options={"ignored_columns": ["nmae", "colour"]},
    )
    page = planner_client.get(f"/admin/apijobs/apijob/{job.pk}/change/").text
    assert "Ignored columns" in page and "nmae, colour" in page
    job.options = {}
    job.save()
    assert (
        "ignored columns" not in planner_client.get(f"/admin/apijobs/apijob/{job.pk}/change/").text
    )


def test_import_upload_of_an_unreadable_file_says_why(planner_client, planner, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = str(tmp_path)
    upload = SimpleUploadedFile("orders.csv", b"nothing,useful\n1,2\n", "text/csv")
    response = planner_client.post(
        "/admin/workorders/workorder/import/",
        {
            "file": upload,
            "kind": "workorders",
            "sales_organization": str(planner.sales_organization_id),
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["file"]
    assert not ApiJob.objects.exists()


# --- Project counters ------------------------------------------------------------------------


def test_project_counters(project, make_wo, technician):
    now = timezone.now()
    make_wo(project)  # to be planned
    make_wo(project, status="Waiting")
    make_wo(
        project,
        status="Suggested",
        suggested_user=technician,
        suggested_date_start=now + timedelta(days=2),
    )
    past = make_wo(project, status="Completed")
    JobPlanning.objects.create(
        work_order=past, user=technician, date_start=now - timedelta(days=3), date_end=now
    )
    counters = selectors.project_counters(project_id=project.pk)
    assert counters["nb_open_jobs"] == 3
    assert counters["nb_jobs_planned"] == 1
    assert counters["nb_jobs_tobeplanned"] == 1
    assert counters["nb_jobs_waitingfurtheraction"] == 1
    assert counters["date_next_job"] > now
    assert counters["date_last_job"] < now


def test_api_job_search_by_id_or_file_name(planner_client, planner):
    job = ApiJob.objects.create(
        type="workorder_import",
        source_name="monday-orders.csv",
        sales_organization=planner.sales_organization,
    )
    for term in (str(job.pk), "monday", "no-such-thing"):
        response = planner_client.get("/admin/apijobs/apijob/", {"q": term})
        assert response.status_code == 200
        found = list(response.context["cl"].result_list)
        assert found == ([] if term == "no-such-thing" else [job])


def test_a_planning_added_by_hand_in_the_form_stays_hand_made(
    planner_client, project, make_wo, technician, technician2
):
    wo = make_wo(
        project,
        status="Suggested",
        suggested_user=technician,
        suggested_date_start=timezone.now() + timedelta(days=1),
    )
    data = change_form_data(planner_client, wo)
    prefix = "plannings"
    i = int(data[f"{prefix}-TOTAL_FORMS"])
    start = timezone.localtime() + timedelta(days=2)
    data.update(
        {
            f"{prefix}-TOTAL_FORMS": str(i + 1),
            f"{prefix}-{i}-work_order": str(wo.pk),
            f"{prefix}-{i}-user": str(technician2.pk),
            f"{prefix}-{i}-date_start_0": start.strftime("%Y-%m-%d"),
            f"{prefix}-{i}-date_start_1": "10:00:00",
            f"{prefix}-{i}-date_end_0": start.strftime("%Y-%m-%d"),
            f"{prefix}-{i}-date_end_1": "11:00:00",
        }
    )
    response = planner_client.post(f"/admin/workorders/workorder/{wo.pk}/change/", data)
    assert response.status_code == 302
    plannings = {p.user_id: p.made_by_rule for p in JobPlanning.objects.filter(work_order=wo)}
    assert plannings == {technician.pk: True, technician2.pk: False}


def test_project_page_shows_its_counters(planner_client, project, make_wo):
    make_wo(project)
    text = planner_client.get(f"/admin/workorders/project/{project.pk}/change/").text
    assert "wo-counters" in text and "To be planned" in text


@pytest.mark.postgres
def test_paginator_estimates_on_postgresql_and_pages_past_the_estimate(
    project, make_wo, monkeypatch
):
    from workorders.admin import PlannerPaginator

    for i in range(5):
        make_wo(project, name=f"estimated {i}")
    monkeypatch.setattr(PlannerPaginator, "ESTIMATE_ABOVE", -1)
    filtered = WorkOrder.objects.filter(name__startswith="estimated").order_by("-id2")
    paginator = PlannerPaginator(filtered, 2, page_key="id2")
    assert paginator.count >= 1  # the planner's guess, not a count
    assert paginator.estimated
    # Past an estimate is an (empty) page, not an error.
    assert list(paginator.page(50).object_list) == []
    assert [wo.name for wo in paginator.page(1).object_list] == ["estimated 4", "estimated 3"]

    monkeypatch.setattr(PlannerPaginator, "ESTIMATE_ABOVE", 10**9)
    searching = PlannerPaginator(filtered, 2, page_key="id2", searching=True)
    assert searching.count == 5 and not searching.estimated and not searching.capped


def test_api_job_list_refreshes_while_a_job_runs(planner_client, planner):
    job = ApiJob.objects.create(
        type="workorder_import",
        sales_organization=planner.sales_organization,
        status=ApiJobStatus.PENDING,
    )
    text = planner_client.get("/admin/apijobs/apijob/").text
    assert 'http-equiv="refresh"' in text and "Import work orders" in text
    job.status = ApiJobStatus.FAILED
    job.save()
    assert 'http-equiv="refresh"' not in planner_client.get("/admin/apijobs/apijob/").text


def test_one_after_another_fills_free_working_time_without_overlap(
    planner_client, project, make_wo, technician
):
    """Ten work orders from Monday 11:00: each goes in the technician's next free working time
    (the default week: 08:00–12:00 and 12:30–17:00), around a planning already there."""
    monday = planning_board.week_start_of(timezone.localdate()) + timedelta(days=7)
    at = timezone.make_aware(datetime.combine(monday, time(14, 0)))
    existing = make_wo(project, name="Already there", estimated_time=120)
    services.suggest_technician(work_orders=[existing], user=technician, date_start=at)
    selected = [make_wo(project, name=f"WO {n}", estimated_time=90) for n in range(10)]
    start = timezone.make_aware(datetime.combine(monday, time(11, 0)))
    done = _action(
        planner_client,
        "suggest_technician",
        selected,
        apply="1",
        technician=str(technician.pk),
        date_start=start.strftime("%Y-%m-%dT%H:%M"),
        one_after_another="on",
    )
    assert "Suggested Tess Tech for 10 work order(s)" in " ".join(_messages(done))
    stored = list(JobPlanning.objects.filter(user=technician).order_by("date_start"))
    assert len(stored) == 11
    for before, after in pairwise(stored):
        assert before.date_end <= after.date_start, (before, after)
    assert not [p for p in stored if p.warnings], [p.warnings for p in stored]
    # 90 minutes fit neither between 11:00 and lunch nor after the planning already there
    # (14:00–16:00, the day ends at 17:00): Monday 12:30, then Tuesday 08:00 and 09:30.
    starts = [
        timezone.localtime(JobPlanning.objects.get(work_order=wo).date_start) for wo in selected[:3]
    ]
    assert [((s.date() - monday).days, s.strftime("%H:%M")) for s in starts] == [
        (0, "12:30"),
        (1, "08:00"),
        (1, "09:30"),
    ]


def test_the_suggest_action_shows_warnings_before_it_saves(
    planner_client, project, make_wo, technician
):
    wo = make_wo(project, name="Late")
    sunday = planning_board.week_start_of(timezone.localdate()) + timedelta(days=13)
    late = f"{sunday.isoformat()}T22:00"
    asked = _action(
        planner_client,
        "suggest_technician",
        [wo],
        apply="1",
        technician=str(technician.pk),
        date_start=late,
    )
    assert asked.status_code == 200
    assert "outside Tess Tech" in asked.text and "Plan anyway" in asked.text
    assert not JobPlanning.objects.exists()
    done = _action(
        planner_client,
        "suggest_technician",
        [wo],
        apply="1",
        technician=str(technician.pk),
        date_start=late,
        plan_anyway="on",
    )
    assert "Suggested Tess Tech for 1 work order(s)" in " ".join(_messages(done))
    assert JobPlanning.objects.get().warning_codes == ",outside_working_hours,"


def test_the_planning_form_asks_before_it_saves_a_warned_planning(
    planner_client, project, make_wo, technician
):
    monday = planning_board.week_start_of(timezone.localdate()) + timedelta(days=7)
    first = make_wo(project, name="First")
    second = make_wo(project, name="Second")
    at = timezone.make_aware(datetime.combine(monday, time(9, 0)))
    services.suggest_technician(work_orders=[first], user=technician, date_start=at)
    data = {
        "work_order": str(second.pk),
        "user": str(technician.pk),
        "date_start_0": monday.isoformat(),
        "date_start_1": "09:30",
        "date_end_0": monday.isoformat(),
        "date_end_1": "10:30",
    }
    add = reverse("admin:workorders_jobplanning_add")
    asked = planner_client.post(add, data)
    assert asked.status_code == 200  # the form again, nothing saved
    assert "already planned then" in asked.text and "plan anyway" in asked.text
    assert not JobPlanning.objects.filter(work_order=second).exists()
    saved = planner_client.post(add, {**data, "plan_anyway": "on"})
    assert saved.status_code == 302, saved.text[:500]
    made = JobPlanning.objects.get(work_order=second)
    assert made.warning_codes == ",overlap,"
    assert JobPlanning.objects.get(work_order=first).warning_codes == ",overlap,"


def test_the_boards_warning_note_opens_the_warned_plannings(
    planner_client, project, make_wo, technician
):
    monday = planning_board.week_start_of(timezone.localdate()) + timedelta(days=7)
    late = timezone.make_aware(datetime.combine(monday + timedelta(days=6), time(22, 0)))
    wo = make_wo(project, name="Sunday night")
    services.suggest_technician(work_orders=[wo], user=technician, date_start=late)
    quiet = make_wo(project, name="Monday morning")
    at = timezone.make_aware(datetime.combine(monday, time(9, 0)))
    services.suggest_technician(work_orders=[quiet], user=technician, date_start=at)
    board = planner_client.get(BOARD, {"date": monday.isoformat()})
    link = board.text.split('id="board-warnings-link" href="')[1]
    link = link.split('"')[0].replace("&amp;", "&")
    listed = planner_client.get(link)
    assert listed.status_code == 200
    assert "Sunday night" in listed.text and "Monday morning" not in listed.text
    assert "outside Tess Tech" in listed.text
