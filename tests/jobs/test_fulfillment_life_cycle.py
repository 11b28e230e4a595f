"""The life cycle of fulfillment jobs: jobs.services, the same `transition` work orders use."""

import threading
import time

import pytest
from django.db import connection

from jobs import services
from jobs.models import JobDetail, JobStatus
from jobsite.errors import ServiceError
from tests.factories import make_job, make_work_order
from workorders import services as work_order_services


@pytest.mark.django_db
def test_start_then_complete_sets_who_and_when(company, planner, technician):
    job = make_job(client=company)
    job = services.start_fulfillment_job(job=job, by=planner, tx_id="t1")
    assert job.job_status.code == "InProgress" and job.start_date is not None
    job = services.complete_fulfillment_job(
        job=job, by=planner, performed_by=technician, tx_id="t2"
    )
    job.refresh_from_db()
    assert job.job_status.code == "Completed"
    assert (job.performed_by, job.updated_by) == (technician, planner)
    assert job.performed_on is not None and job.end_date is not None
    assert list(job.details.values_list("object_name", "tx_id"))[-2:] == [
        ("jobs/all_scopes/start_progress", "t1"),
        ("jobs/all_scopes/complete", "t2"),
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("status_code", "action", "state"),
    [
        ("ToBePlanned", "complete", "PENDING"),
        ("InProgress", "start_progress", "IN PROGRESS"),
        ("Completed", "start_progress", "COMPLETED"),
        ("Completed", "complete", "COMPLETED"),
        ("Canceled", "start_progress", "CANCELLED"),
        ("Draft", "complete", "DRAFT"),
    ],
)
def test_refusals_name_the_current_state_and_change_nothing(company, status_code, action, state):
    job = make_job(client=company, status_code=status_code)
    move = {
        "start_progress": services.start_fulfillment_job,
        "complete": services.complete_fulfillment_job,
    }[action]
    with pytest.raises(ServiceError) as refused:
        move(job=job)
    assert refused.value.field == "life_cycle_state" and state in refused.value.message
    job.refresh_from_db()
    assert job.job_status.code == status_code
    assert not job.details.filter(object_name__startswith="jobs/all_scopes/").exists()


@pytest.mark.django_db
def test_a_status_of_the_wrong_state_is_refused(company):
    job = make_job(client=company)
    with pytest.raises(ServiceError) as refused:
        services.start_fulfillment_job(job=job, status=JobStatus.objects.get(code="Open"))
    assert refused.value.field == "status_identifier"


@pytest.mark.django_db
def test_every_write_leaves_a_job_detail(company, planner):
    job = make_job(client=company, by=planner)
    services.save_fulfillment_job(
        job=job, values={"notes": "x"}, by=planner, operation="fulfillment-jobs", tx_id="tx"
    )
    trace = job.details.last()
    assert (trace.object_name, trace.object_id, trace.tx_id) == ("fulfillment-jobs", job.pk, "tx")
    assert trace.execution_time >= 0 and trace.modified_datetime is not None


@pytest.mark.django_db
def test_numbers_continue_after_jobs_numbered_outside_the_sequence(company, job_type, statuses):
    from jobs.models import Job
    from jobsite.models import NumberSequence

    # Where the sequence stands: on PostgreSQL numbers taken by earlier tests stay taken.
    base = (
        NumberSequence.objects.filter(name=services.FULFILLMENT_JOB_SEQUENCE)
        .values_list("last_value", flat=True)
        .first()
        or 0
    )
    Job.objects.bulk_create(
        Job(number=f"J-{base + n:06d}", job_type=job_type, job_status=statuses["Open"])
        for n in (1, 2, 7)
    )
    assert make_job(client=company).number == f"J-{base + 8:06d}"


@pytest.mark.django_db
def test_numbers_are_readable_and_increasing(company):
    first, second = make_job(client=company), make_job(client=company)
    assert first.number.startswith("J-") and len(first.number) == 8
    assert int(second.number[2:]) == int(first.number[2:]) + 1


def _race(move, monkeypatch) -> list[str]:
    """Run `move` twice at once; each thread reports "moved" or the refusal's field."""
    record = services.plan_transition

    def slow_plan(**kwargs):
        # Decide while holding the row lock a while, so the other call surely arrives meanwhile.
        time.sleep(0.3)
        return record(**kwargs)

    monkeypatch.setattr(services, "plan_transition", slow_plan)
    barrier = threading.Barrier(2)
    outcomes = []

    def run():
        try:
            barrier.wait()
            move()
            outcomes.append("moved")
        except ServiceError as exc:
            outcomes.append(exc.field)
        except Exception as exc:
            outcomes.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return sorted(outcomes)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_simultaneous_starts_exactly_one_wins(company, monkeypatch):
    job = make_job(client=company)
    outcomes = _race(lambda: services.start_fulfillment_job(job=job), monkeypatch)
    assert outcomes == ["life_cycle_state", "moved"]
    job.refresh_from_db()
    assert job.job_status.code == "InProgress"
    starts = JobDetail.objects.filter(job=job, object_name="jobs/all_scopes/start_progress")
    assert starts.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_work_orders_race_through_the_same_transition(project, job_type, monkeypatch):
    work_order = make_work_order(project=project, job_type=job_type, status="Open")
    outcomes = _race(lambda: work_order_services.start_progress(work_order=work_order), monkeypatch)
    assert outcomes == ["life_cycle_state", "moved"]
    work_order.refresh_from_db()
    assert work_order.job_status.code == "InProgress"
