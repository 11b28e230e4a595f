"""Embedded directory records (DESIGN "Rules"): an embedded user, skill, company, contact or
address writes only for a caller with Django's change permission; for anyone else it is a
reference (matched by id, else code) whose other fields are ignored."""

import uuid

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from rest_framework.test import APIClient

from jobsite.models import Skill, User
from jobsite.services import issue_api_token
from tests.factories import seed_body
from tests.factories import work_order_url as url
from workorders import services
from workorders.models import WorkOrder
from workorders.reference_kinds import DIRECTORY_KINDS, KINDS, may_write_embedded

pytestmark = pytest.mark.django_db

DIRECTORY_MODELS = ["user", "skill", "company", "contact", "address"]


def client_for(user) -> APIClient:
    client = APIClient()
    raw, _ = issue_api_token(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def grant(user, *codenames):
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="jobsite", codename__in=codenames)
    )
    return User.objects.get(pk=user.pk)  # a fresh instance: no cached permissions


@pytest.fixture
def renamed(project, job_type, statuses, technician, skill, priority):
    """A Suggested seed-004 body whose embedded user and skill carry other names."""

    def build(**over):
        body = seed_body(
            project=project,
            job_type=job_type,
            status=statuses["Suggested"],
            technician=technician,
            skill=skill,
            priority=priority,
            overrides={"id": str(uuid.uuid4()), **over},
        )
        body["suggested_user"].update(
            firstname="Mallory",
            lastname="Rewritten",
            email="mallory@example.invalid",
            phone="+32 000 00 00",
        )
        body["skill"].update(name="Renamed skill", description="Not ours to change")
        return body

    return build


def assert_unchanged(technician, skill):
    tech = User.objects.get(pk=technician.pk)
    assert (tech.first_name, tech.last_name, tech.email, tech.phone) == (
        technician.first_name,
        technician.last_name,
        technician.email,
        technician.phone,
    )
    stored = Skill.objects.get(pk=skill.pk)
    assert (stored.name, stored.description) == (skill.name, skill.description)


def assert_changed(technician, skill):
    tech = User.objects.get(pk=technician.pk)
    assert (tech.first_name, tech.last_name, tech.email, tech.phone) == (
        "Mallory",
        "Rewritten",
        "mallory@example.invalid",
        "+32 000 00 00",
    )
    stored = Skill.objects.get(pk=skill.pk)
    assert (stored.name, stored.description) == ("Renamed skill", "Not ours to change")


def put(client, body):
    return client.put(url(body["id"]), body, format="json")


def test_planner_put_refers_to_user_and_skill_without_rewriting_them(
    api, renamed, technician, skill
):
    body = renamed()
    # Nested fields of the embedded user are ignored as well, even ones that would not resolve.
    body["suggested_user"]["sales_organization_id"] = str(uuid.uuid4())
    response = put(api, body)
    assert response.status_code == 201, response.json()
    assert_unchanged(technician, skill)
    wo = WorkOrder.objects.get(pk=body["id"])
    assert wo.suggested_user_id == technician.pk
    assert wo.skill_id == skill.pk
    assert response.json()["suggested_user_code"] == technician.code
    assert response.json()["skill_code"] == skill.code


def test_planner_embedded_objects_match_by_code_without_id(api, renamed, technician, skill):
    body = renamed()
    for key in ("suggested_user_id", "suggested_user_code", "skill_id", "skill_code"):
        body.pop(key)
    body["suggested_user"].pop("id")
    body["skill"].pop("id")
    body["skill"]["code"] = skill.code.lower()  # codes match case-insensitively
    response = put(api, body)
    assert response.status_code == 201, response.json()
    assert_unchanged(technician, skill)
    wo = WorkOrder.objects.get(pk=body["id"])
    assert (wo.suggested_user_id, wo.skill_id) == (technician.pk, skill.pk)


def test_planner_cannot_create_directory_records_through_a_work_order(api, renamed):
    body = renamed()
    for key in ("skill_id", "skill_code"):
        body.pop(key)
    body["skill"] = {"code": "NEWSKILL", "name": "New skill"}
    response = put(api, body)
    assert response.status_code == 400
    assert "skill.code" in str(response.json())
    assert not Skill.objects.filter(code="NEWSKILL").exists()
    assert not WorkOrder.objects.filter(pk=body["id"]).exists()


def test_superuser_put_updates_user_and_skill(admin_api, renamed, technician, skill):
    body = renamed()
    response = put(admin_api, body)
    assert response.status_code == 201, response.json()
    assert_changed(technician, skill)
    wo = WorkOrder.objects.get(pk=body["id"])
    assert (wo.suggested_user_id, wo.skill_id) == (technician.pk, skill.pk)


def test_user_with_change_permission_updates_user_and_skill(planner, renamed, technician, skill):
    manager = grant(planner, "change_user", "change_skill")
    response = put(client_for(manager), renamed())
    assert response.status_code == 201, response.json()
    assert_changed(technician, skill)


def test_change_permission_of_one_kind_only_writes_that_kind(planner, renamed, technician, skill):
    manager = grant(planner, "change_skill")
    response = put(client_for(manager), renamed())
    assert response.status_code == 201, response.json()
    tech = User.objects.get(pk=technician.pk)
    assert tech.first_name == technician.first_name and tech.email == technician.email
    assert Skill.objects.get(pk=skill.pk).name == "Renamed skill"


def test_creating_needs_the_add_permission_too(planner, renamed):
    body = renamed()
    for key in ("skill_id", "skill_code"):
        body.pop(key)
    body["skill"] = {"code": "NEWSKILL", "name": "New skill"}
    only_change = grant(planner, "change_skill")
    response = put(client_for(only_change), body)
    assert response.status_code == 400
    assert "skill.code" in str(response.json())
    assert not Skill.objects.filter(code="NEWSKILL").exists()
    both = grant(planner, "add_skill")
    response = put(client_for(both), body)
    assert response.status_code == 201, response.json()
    created = Skill.objects.get(code="NEWSKILL")
    assert WorkOrder.objects.get(pk=body["id"]).skill_id == created.pk


def test_service_path_follows_the_same_rule(planner, renamed, technician, skill):
    """Bulk and imports run through services.upsert_work_orders and the same resolver."""
    (result,) = services.upsert_work_orders(records=[renamed()], by=planner)
    assert result.outcome == "created", result.errors
    assert result.work_order.suggested_user_id == technician.pk
    assert_unchanged(technician, skill)


def test_the_permission_decision(planner, superuser):
    for name in DIRECTORY_MODELS:
        assert name in DIRECTORY_KINDS
        assert not may_write_embedded(by=planner, kind=KINDS[name])
        assert may_write_embedded(by=superuser, kind=KINDS[name], creating=True)
    # Other kinds follow the upsert rule, whoever asks.
    for name in ("equipment_model", "equipment_brand", "project", "job_priority"):
        assert may_write_embedded(by=planner, kind=KINDS[name], creating=True)


def test_demo_planners_refer_to_the_directory_and_office_managers_keep_it(capsys):
    call_command("load_demo_data", "--work-orders", "5", "--projects", "2", "--companies", "1")
    planner = User.objects.get(username="planner")
    for name in DIRECTORY_MODELS:
        assert not planner.has_perm(f"jobsite.change_{name}")
        assert not may_write_embedded(by=planner, kind=KINDS[name])
    # Otherwise planners keep what they had.
    assert planner.has_perm("workorders.change_workorder")
    assert planner.has_perm("jobsite.view_company")
    assert planner.has_perm("jobsite.add_company")
    managers = Group.objects.get(name="Office managers")
    codenames = set(managers.permissions.values_list("codename", flat=True))
    for name in DIRECTORY_MODELS:
        assert {f"add_{name}", f"change_{name}"} <= codenames
    manager = User.objects.create_user(username="office", password="pw-office-1")
    manager.groups.add(managers)
    manager = User.objects.get(pk=manager.pk)
    for name in DIRECTORY_MODELS:
        assert may_write_embedded(by=manager, kind=KINDS[name], creating=True)
