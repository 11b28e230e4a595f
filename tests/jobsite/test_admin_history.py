"""Every registered model's History page answers, for the first stored row of demo data."""

import pytest
from django.contrib import admin
from django.core.management import call_command
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_every_history_page_answers(client, superuser):
    call_command("load_demo_data", "--work-orders", "60", "--projects", "5", "--companies", "3")
    client.force_login(superuser)
    missing = []
    for model in admin.site._registry:
        row = model._default_manager.order_by("pk").first()
        if row is None:
            missing.append(model._meta.label)
            continue
        opts = model._meta
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_history", args=[row.pk])
        response = client.get(url)
        assert response.status_code == 200, (opts.label, response.status_code)
    # Demo data fills every model a planner edits; a few (tokens, API jobs) start empty.
    assert len(missing) < len(admin.site._registry) / 2, missing


def test_header_links_to_the_board_and_the_api_docs(client, planner):
    client.force_login(planner)
    page = client.get(reverse("admin:index")).content.decode()
    assert reverse("admin:workorders_workorder_board") in page
    assert reverse("api-docs") in page
    assert "View site" not in page
