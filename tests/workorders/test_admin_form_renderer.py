"""The work order change form writes its widgets and its sections in Python
(workorders.admin.form_renderer, fieldset_html): the page must be what Django's own templates
write, and show what they show (errors next to their fields, the plannings' warnings)."""

import re
from datetime import datetime, time, timedelta

import pytest
from django.forms.renderers import DjangoTemplates
from django.template.loader import render_to_string
from django.utils import timezone

from workorders import planning_board, services
from workorders.admin import form_renderer
from workorders.templatetags import work_order_form

from ..admin_forms import change_form_data


def _with_djangos_templates(monkeypatch):
    """The form as Django writes it: its form renderer (wherever QuickFormRenderer is handed,
    the plannings' formset included) and the admin's fieldset template."""
    monkeypatch.setattr(form_renderer.QuickFormRenderer, "render", DjangoTemplates.render)
    monkeypatch.setattr(
        work_order_form,
        "fieldset_html",
        lambda fieldset, index: render_to_string(
            "admin/includes/fieldset.html",
            {
                "fieldset": fieldset,
                "heading_level": 2,
                "prefix": "fieldset",
                "id_prefix": 0,
                "id_suffix": index,
            },
        ),
    )


def _page(response):
    # White space between tags aside (the templates' indentation), and the CSRF token, which
    # is new on every page.
    assert response.status_code == 200
    text = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", response.text)
    return re.sub(r"\s+", " ", text)


@pytest.fixture
def warned_work_order(project, make_wo, technician):
    """Suggested late on a Sunday: its planning warns (outside working hours)."""
    wo = make_wo(project, name="Late boiler check")
    sunday = planning_board.week_start_of(timezone.localdate()) + timedelta(days=13)
    late = timezone.make_aware(datetime.combine(sunday, time(22, 0)))
    services.suggest_technician(work_orders=[wo], user=technician, date_start=late)
    return wo


def _invalid(client, wo):
    data = change_form_data(client, wo)
    data["name"] = ""
    data["db_address_latitude"] = "north"  # a row of two fields: its error is the field's own
    data["plannings-0-date_end_1"] = "25:99"
    return data


def test_the_change_form_is_what_djangos_templates_write(
    planner_client, warned_work_order, monkeypatch
):
    url = f"/admin/workorders/workorder/{warned_work_order.pk}/change/"
    data = _invalid(planner_client, warned_work_order)
    quick = [
        _page(planner_client.get(url)),
        _page(planner_client.post(url, data)),
        _page(planner_client.get("/admin/workorders/workorder/add/")),
    ]
    _with_djangos_templates(monkeypatch)
    django = [
        _page(planner_client.get(url)),
        _page(planner_client.post(url, data)),
        _page(planner_client.get("/admin/workorders/workorder/add/")),
    ]
    assert quick == django


def test_each_widget_label_and_error_list_is_written_as_djangos_template_writes_it(
    planner_client, warned_work_order, monkeypatch
):
    # To the character: inside a <textarea> or an <option>, white space is what the user sees.
    django, written = DjangoTemplates(), []
    quick_render = form_renderer.QuickFormRenderer.render

    def render(self, template_name, context, request=None):
        html = quick_render(self, template_name, context, request)
        if template_name in form_renderer.WRITERS:
            written.append((template_name, html, django.render(template_name, context)))
        return html

    monkeypatch.setattr(form_renderer.QuickFormRenderer, "render", render)
    url = f"/admin/workorders/workorder/{warned_work_order.pk}/change/"
    planner_client.post(url, _invalid(planner_client, warned_work_order))
    kinds = {name for name, _, _ in written}
    assert {
        "django/forms/widgets/select.html",
        "django/forms/widgets/textarea.html",
        "admin/widgets/split_datetime.html",
        "admin/widgets/related_widget_wrapper.html",
        "django/forms/widgets/hidden.html",
        "django/forms/label.html",
        "django/forms/errors/list/ul.html",
    } <= kinds
    assert [(name, quick) for name, quick, _ in written] == [
        (name, slow) for name, _, slow in written
    ]


def test_an_invalid_change_shows_each_error_next_to_its_field(planner_client, warned_work_order):
    url = f"/admin/workorders/workorder/{warned_work_order.pk}/change/"
    response = planner_client.post(url, _invalid(planner_client, warned_work_order))
    assert response.status_code == 200  # the form again, nothing saved
    text = response.text
    name_row = re.search(r'<div class="form-row field-name">.*?</div>\s*</div>', text, re.S)
    assert name_row is not None
    assert 'class="flex-container errors"' in name_row.group(0)
    assert '<ul class="errorlist" id="id_name_error"><li>This field is required.</li>' in (
        name_row.group(0)
    )
    latitude = re.search(
        r'<div class="flex-container errors fieldBox field-db_address_latitude">', text
    )
    assert latitude is not None
    end_cell = re.search(r'<td class="field-date_end">.*?</td>', text, re.S)
    assert end_cell is not None and 'class="errorlist' in end_cell.group(0)
    warned_work_order.refresh_from_db()
    assert warned_work_order.name == "Late boiler check"


def test_the_plannings_table_shows_each_plannings_warnings(planner_client, warned_work_order):
    text = planner_client.get(f"/admin/workorders/workorder/{warned_work_order.pk}/change/").text
    cell = re.search(r'<td class="field-warnings_shown">.*?</td>', text, re.S)
    assert cell is not None
    assert "planner-finding-outside_working_hours" in cell.group(0)
    assert 'id="plannings-empty"' in text  # the row "Add another" copies
