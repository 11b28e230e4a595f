"""The set-based import checks again only the plannings whose inputs it changed (and their
neighbours), on both databases: moving a planning onto another warns both, a skill or due
date change refreshes its warning, a file that changes none of what the check reads re-checks
nothing, and the methods agree."""

import pytest

from jobsite.models import Skill
from workorders import imports
from workorders.models import JobPlanning, WorkOrder
from workorders.scheduling.pending_checks import settle

from .conftest import IMPORT_COLUMNS, write_csv

pytestmark = pytest.mark.django_db

# Monday 2030-01-07 (a winter week; the organization works 08:00-17:00 UTC by default).
NINE = "2030-01-07T09:00:00+00:00"
NINE_THIRTY = "2030-01-07T09:30:00+00:00"
FOURTEEN = "2030-01-07T14:00:00+00:00"


def run(tmp_path, rows, method="set"):
    path = write_csv(tmp_path / f"wo-{method}.csv", rows, columns=IMPORT_COLUMNS)
    job = imports.run_import(path=path, method=method)
    assert job.status == "completed" and job.error_records == 0, list(job.errors.values())
    return job


def planning(reference) -> JobPlanning:
    settle()  # as every read of warnings does first
    return JobPlanning.objects.get(work_order__reference_back_office=reference)


def codes(reference) -> set[str]:
    return {w["code"] for w in planning(reference).warnings}


@pytest.mark.parametrize("method", ["set", "batched"])
def test_moving_a_planning_onto_another_warns_both_and_moving_away_clears(tmp_path, line, method):
    first, second = line("A", NINE), line("B", FOURTEEN)
    run(tmp_path, [first, second], method)
    assert codes("A") == codes("B") == set()
    run(tmp_path, [first, {**second, "suggested_date_start": NINE_THIRTY}], method)
    assert codes("A") == codes("B") == {"overlap"}
    assert planning("A").warnings[0]["planning_ids"] == [str(planning("B").pk)]
    assert planning("B").warnings[0]["planning_ids"] == [str(planning("A").pk)]
    run(tmp_path, [first, second], method)
    assert codes("A") == codes("B") == set()


def test_a_neighbour_left_behind_is_cleared(tmp_path, line, technician2):
    """The planning moved to another technician: the one it overlapped where it was (not in
    the file) loses its overlap."""
    run(tmp_path, [line("A", NINE), line("B", NINE_THIRTY)])
    assert codes("A") == {"overlap"}
    run(tmp_path, [line("B", NINE_THIRTY, suggested_user_code=technician2.code)])
    assert codes("A") == set()
    assert codes("B") == {"missing_skill"}  # technician2 has no skill


def test_a_file_changing_nothing_the_check_reads_rechecks_nothing(tmp_path, line):
    rows = [line("A", NINE), line("B", NINE_THIRTY)]
    run(tmp_path, rows)
    assert codes("A") == codes("B") == {"overlap"}
    stored = {p.pk: (p.warnings, p.warning_codes) for p in JobPlanning.objects.all()}
    run(tmp_path, rows)  # the same file: nothing written
    assert {p.pk: (p.warnings, p.warning_codes) for p in JobPlanning.objects.all()} == stored
    # A marker in place of the warnings stays: a name or a description change does not
    # send the plannings through the check again.
    JobPlanning.objects.update(warnings=[{"code": "marker", "message": "", "planning_ids": []}])
    job = run(tmp_path, [{**row, "name": "Renamed", "description": "New text"} for row in rows])
    assert job.effected_records == 2
    assert codes("A") == codes("B") == {"marker"}


@pytest.mark.parametrize("method", ["set", "batched"])
def test_a_skill_change_refreshes_missing_skill(tmp_path, line, sales_org, method):
    Skill.objects.create(code="GAS", name="Gas", sales_organization=sales_org)
    run(tmp_path, [line("A", NINE)], method)
    assert codes("A") == set()
    run(tmp_path, [line("A", NINE, skill_code="GAS")], method)
    assert codes("A") == {"missing_skill"}
    run(tmp_path, [line("A", NINE, skill_code="")], method)
    assert codes("A") == set()


def test_dates_and_status_changes_refresh_their_warnings(tmp_path, line, statuses):
    run(tmp_path, [line("A", NINE)])
    run(tmp_path, [line("A", NINE, due_date="2030-01-07T09:30:00+00:00")])
    assert codes("A") == {"after_due_date"}
    run(tmp_path, [line("A", NINE, due_date="")])
    assert codes("A") == set()


def test_a_hand_made_planning_follows_its_work_orders_skill(tmp_path, line, technician):
    """Plannings the import never moves (made by hand) are checked again too when their work
    order's inputs change."""
    run(tmp_path, [line("A", NINE, job_status_code="ToBePlanned")])
    wo = WorkOrder.objects.get(reference_back_office="A")
    JobPlanning.objects.create(
        work_order=wo,
        user=technician,
        date_start="2030-01-07T10:00:00Z",
        date_end="2030-01-07T11:00:00Z",
    )
    run(tmp_path, [line("A", NINE, job_status_code="ToBePlanned", skill_code="")])
    assert codes("A") == set()
    Skill.objects.create(code="GAS", name="Gas", sales_organization=wo.sales_organization)
    run(tmp_path, [line("A", NINE, job_status_code="ToBePlanned", skill_code="GAS")])
    assert codes("A") == {"missing_skill"}


def test_a_planning_the_rule_removes_clears_its_neighbours_overlap(tmp_path, line, statuses):
    run(tmp_path, [line("A", NINE), line("B", NINE_THIRTY)])
    assert codes("A") == {"overlap"}
    run(tmp_path, [line("B", NINE_THIRTY, job_status_code="Canceled")])
    assert not JobPlanning.objects.filter(work_order__reference_back_office="B").exists()
    assert codes("A") == set()
