"""A set-based write (import, bulk) leaves its planning check pending and commits; the check
runs in a task queued on the commit, or first in any read of warnings — so no view shows a
planning the check has not seen, and every view agrees."""

from datetime import date

import pytest
from django.db import DatabaseError
from django.test import RequestFactory, override_settings

from workorders import bulk_edit, imports, planning_board
from workorders.admin import home
from workorders.models import JobPlanning, PendingPlanningCheck
from workorders.scheduling import pending_checks

from .conftest import IMPORT_COLUMNS, write_csv

pytestmark = pytest.mark.django_db

NINE = "2030-01-07T09:00:00+00:00"  # a Monday
NINE_THIRTY = "2030-01-07T09:30:00+00:00"


@pytest.fixture
def overlapping(tmp_path, line):
    """A file of two Suggested work orders whose plannings overlap."""
    rows = [line("A", NINE, skill_code=""), line("B", NINE_THIRTY, skill_code="")]
    return write_csv(tmp_path / "overlapping.csv", rows, columns=IMPORT_COLUMNS)


def _import(path):
    job = imports.run_import(path=path, method="set")
    assert job.status == "completed" and job.error_records == 0, list(job.errors.values())


def _stored_codes() -> list[str]:
    return sorted(JobPlanning.objects.values_list("warning_codes", flat=True))


def test_the_import_leaves_its_places_pending_and_settle_checks_them(overlapping):
    _import(overlapping)
    assert PendingPlanningCheck.objects.count() == 2  # the two places the rule planned
    assert _stored_codes() == ["", ""]  # not checked yet: no reader has looked
    assert pending_checks.settle() == 2
    assert _stored_codes() == [",overlap,", ",overlap,"]
    assert not PendingPlanningCheck.objects.exists()
    assert pending_checks.settle() == 0  # nothing left: one EXISTS


def test_the_settling_task_runs_once_the_import_commits(
    overlapping, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as queued:
        _import(overlapping)
    assert queued  # the task, queued on the commit (the tests' backend runs it at once)
    assert _stored_codes() == [",overlap,", ",overlap,"]
    assert not PendingPlanningCheck.objects.exists()


def test_the_plannings_api_answers_with_the_warnings_checked(overlapping, api):
    _import(overlapping)
    answered = api.get("/api/v1/plannings", {"has_warnings": "true"}).json()["results"]
    assert [sorted(w["code"] for w in p["warnings"]) for p in answered] == [["overlap"]] * 2
    assert not PendingPlanningCheck.objects.exists()


def _board(planner, technician):
    period = planning_board.Period.of(view=planning_board.WEEK, day=date(2030, 1, 7))
    found = planning_board.board(user=planner, period=period)
    return [b for row in found.rows for cell in row.cells for b in cell.blocks if b.warnings]


def _home(planner):
    """The home page's "plannings with warnings" figure, as the page gets it."""
    request = RequestFactory().get("/admin/")
    request.user = planner
    figures = home.planner_home(request)["figures"]
    (warned,) = [f for f in figures if f["key"] == "warned_plannings"]
    return ["warned"] * warned["count"]


def _admin_list(planner_client, technician):
    page = planner_client.get("/admin/workorders/jobplanning/", {"warning": "overlap"})
    assert page.status_code == 200
    return ["warned"] * page.content.decode().count("already planned then")


@pytest.mark.parametrize(
    "read",
    [
        lambda planner, **_: _home(planner),
        lambda planner, technician, **_: _board(planner, technician),
        lambda planner_client, technician, **_: _admin_list(planner_client, technician),
        lambda **_: bulk_edit._warned(
            [p.work_order for p in JobPlanning.objects.select_related("work_order")]
        ),
    ],
    ids=["home page", "board", "admin list", "bulk edit"],
)
def test_every_read_of_warnings_settles_first(
    read, overlapping, planner, planner_client, technician
):
    _import(overlapping)
    found = read(planner=planner, planner_client=planner_client, technician=technician)
    assert found and len(found) == 2
    assert not PendingPlanningCheck.objects.exists()


def test_a_read_is_not_failed_by_a_settle_that_fails(overlapping, planner, monkeypatch, caplog):
    _import(overlapping)

    def broken():
        raise DatabaseError("deadlock detected")

    monkeypatch.setattr(pending_checks, "_settle_pending", broken)
    pending_checks.settle_quietly()  # as a reader calls it
    assert "not settled" in caplog.text
    assert PendingPlanningCheck.objects.count() == 2  # left for the task


@override_settings(IMPORT_REFRESHES_WARNINGS=False)
def test_with_the_refresh_off_nothing_is_left(overlapping):
    _import(overlapping)
    assert not PendingPlanningCheck.objects.exists()


def test_a_file_that_changes_nothing_the_check_reads_leaves_nothing(tmp_path, overlapping):
    _import(overlapping)
    pending_checks.settle()
    _import(overlapping)  # the same file again
    assert not PendingPlanningCheck.objects.exists()
