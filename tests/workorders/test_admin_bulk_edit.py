"""Bulk edit from the work order list: priority, due date, skill and job type of the selected
work orders, through the service, with one message saying what changed and what was refused."""

from datetime import datetime, time, timedelta

from django.test import Client
from django.utils import timezone

from jobs.models import JobPriority, JobType
from jobsite.models import Skill
from workorders import services
from workorders.models import JobPlanning, WorkOrder
from workorders.scheduling.checks import AFTER_DUE_DATE, MISSING_SKILL

from ..factories import make_planning

LIST = "/admin/workorders/workorder/"


def _edit(client, work_orders, **fields):
    return client.post(
        LIST,
        {
            "action": "bulk_edit",
            "_selected_action": [str(wo.pk) for wo in work_orders],
            "apply": "1",
            **fields,
        },
        follow=True,
    )


def _messages(response):
    return [str(m) for m in response.context["messages"]]


def test_bulk_edit_of_100_work_orders_gives_one_message_and_the_planning_follows(
    planner_client, project, make_wo, technician2, sales_org
):
    gas = Skill.objects.create(code="GAS", name="Gas appliances", sales_organization=sales_org)
    urgent = JobPriority.objects.order_by("-sequence").first()
    work_orders = [make_wo(project, name=f"Visit {i}") for i in range(99)]
    # A Suggested work order planned in ten days for a technician without the gas skill.
    start = timezone.make_aware(
        datetime.combine(timezone.localdate() + timedelta(days=10), time(9, 0))
    )
    planning = make_planning(project=project, technician=technician2, start=start)
    suggested = planning.work_order
    assert planning.warning_codes.count(MISSING_SKILL) == 0
    work_orders.append(suggested)
    due = (timezone.localdate() + timedelta(days=3)).isoformat()

    form = planner_client.post(
        LIST,
        {"action": "bulk_edit", "_selected_action": [str(wo.pk) for wo in work_orders]},
    )
    assert form.status_code == 200 and "Edit work orders" in form.content.decode()

    done = _edit(
        planner_client,
        work_orders,
        job_priority=str(urgent.pk),
        due_date=due,
        skill=str(gas.pk),
    )
    messages = _messages(done)
    assert len(messages) == 1
    text = messages[0]
    assert "Set priority → " in text and "due date → " in text and "skill → Gas appliances" in text
    assert "on 100 work order(s)" in text
    assert "now warn" in text
    assert set(WorkOrder.objects.values_list("skill_id", flat=True)) == {gas.pk}
    assert set(WorkOrder.objects.values_list("job_priority_id", flat=True)) == {urgent.pk}
    # The Suggested work order's planning follows: the planning check ran again.
    planning.refresh_from_db()
    assert MISSING_SKILL in planning.warning_codes
    assert AFTER_DUE_DATE in planning.warning_codes
    assert JobPlanning.objects.filter(work_order=suggested, made_by_rule=True).count() == 1


def test_bulk_edit_refuses_a_skill_of_another_organization_and_names_it(
    superuser, project, other_project, make_wo, sales_org
):
    client = Client()
    client.force_login(superuser)
    ours = make_wo(project, name="Ours")
    theirs = make_wo(other_project, name="Theirs")
    gas = Skill.objects.create(code="GAS", name="Gas appliances", sales_organization=sales_org)
    done = _edit(client, [ours, theirs], skill=str(gas.pk))
    (text,) = _messages(done)
    assert f"on 1 work order(s): #{ours.id2}" in text
    assert f"Refused 1: #{theirs.id2}: skill:" in text
    theirs.refresh_from_db()
    assert theirs.skill_id is None


def test_bulk_edit_clears_and_leaves_alone(planner_client, project, make_wo, skill):
    a = make_wo(project, name="A", skill=skill, due_date=timezone.now())
    b = make_wo(project, name="B")
    done = _edit(planner_client, [a, b], skill="clear", clear_due_date="on")
    (text,) = _messages(done)
    assert "skill → none, due date → none on 1 work order(s)" in text
    assert f"1 already had it: #{b.id2}" in text
    a.refresh_from_db()
    assert a.skill_id is None and a.due_date is None


def test_bulk_edit_asks_for_something_to_change(planner_client, project, make_wo):
    a = make_wo(project, name="A")
    response = _edit(planner_client, [a])
    assert "Choose at least one thing to change." in response.content.decode()


def test_the_service_refuses_no_job_type(project, make_wo):
    a = make_wo(project, name="A")
    result = services.edit_work_orders(work_orders=[a], changes={"job_type": None})
    assert result.refused and not result.changed
    other = JobType.objects.create(code="X", name="Extra")
    result = services.edit_work_orders(work_orders=[a], changes={"job_type": other})
    assert result.changed
