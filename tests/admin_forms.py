"""What a browser would post back from an admin change form, built from the form it was served."""

from django.utils import timezone


def change_form_data(client, wo, zone=None):
    """`zone`: the one the server showed the form in (the test's own, by default)."""
    response = client.get(f"/admin/workorders/workorder/{wo.pk}/change/")
    assert response.status_code == 200
    form = response.context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        value = form[name].value()
        if value is None:
            continue
        if hasattr(field, "widget") and field.widget.__class__.__name__ == "SplitDateTimeWidget":
            continue
        data[name] = value.isoformat(" ") if hasattr(value, "isoformat") else value
    for name in ("earliest_date_plannable", "due_date", "suggested_date_start"):
        value = getattr(wo, name)
        data.pop(name, None)
        if value:
            local = timezone.localtime(value, zone)
            data[f"{name}_0"] = local.strftime("%Y-%m-%d")
            data[f"{name}_1"] = local.strftime("%H:%M:%S")
    data.pop("date_reported_by_company", None)
    formset = response.context["inline_admin_formsets"][0].formset
    prefix = formset.prefix
    data.update(
        {
            f"{prefix}-TOTAL_FORMS": str(len(formset.forms)),
            f"{prefix}-INITIAL_FORMS": str(formset.initial_form_count()),
            f"{prefix}-MIN_NUM_FORMS": "0",
            f"{prefix}-MAX_NUM_FORMS": "1000",
        }
    )
    for i, f in enumerate(formset.forms):
        data[f"{prefix}-{i}-id"] = str(f.instance.pk)
        data[f"{prefix}-{i}-work_order"] = str(wo.pk)
        data[f"{prefix}-{i}-user"] = str(f.instance.user_id)
        for name in ("date_start", "date_end"):
            local = timezone.localtime(getattr(f.instance, name), zone)
            data[f"{prefix}-{i}-{name}_0"] = local.strftime("%Y-%m-%d")
            data[f"{prefix}-{i}-{name}_1"] = local.strftime("%H:%M:%S")
    return data
