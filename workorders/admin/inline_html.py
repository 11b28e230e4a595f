"""The plannings under a work order as HTML: the markup of the admin's
admin/edit_inline/tabular.html, written in Python.

Through that template the plannings table (a row per planning and the empty row "Add another"
copies) was a fifth of the change form's server time: a dozen template lookups for each cell.
The markup is the template's, whitespace aside (a line end wherever the template has white
space between two tags); tests/workorders/test_admin_form_renderer.py compares the two on the
change form. The planning inline shows no change link and no "View on site" link (its
show_change_link is off and a planning has no page of its own), so those are not written."""

from django.contrib.admin.templatetags.admin_modify import cell_count
from django.templatetags.static import static
from django.utils.html import conditional_escape, strip_tags
from django.utils.safestring import mark_safe
from django.utils.text import capfirst
from django.utils.translation import gettext


def tabular_html(inline_admin_formset, *, last) -> str:
    """What {% include "admin/edit_inline/tabular.html" %} writes for this formset, `last`
    being whether it is the page's last inline."""
    formset = inline_admin_formset.formset
    opts = inline_admin_formset.opts
    prefix = conditional_escape(formset.prefix)
    collapsible = inline_admin_formset.is_collapsible
    data = conditional_escape(inline_admin_formset.inline_formset_data())
    title = opts.verbose_name if formset.max_num == 1 else opts.verbose_name_plural
    parts = [
        f'<div class="js-inline-admin-formset inline-group" id="{prefix}-group"',
        'data-inline-type="tabular"',
        f'data-inline-formset="{data}">',
        f'<div class="tabular inline-related {"last-related" if last else ""}">',
        str(formset.management_form),
        f'<fieldset class="module {conditional_escape(inline_admin_formset.classes)}"'
        f' aria-labelledby="{prefix}-heading">',
        "<details><summary>" if collapsible else "",
        f'<h2 id="{prefix}-heading" class="inline-heading">',
        conditional_escape(capfirst(title)),
        "</h2>",
        "</summary>" if collapsible else "",
        str(formset.non_form_errors()),
        '<div class="wrapper">',
        "<table>",
        "<thead><tr>",
        '<th class="original"></th>',
    ]
    for field in inline_admin_formset.fields():
        parts += _heading(field)
    deletable = formset.can_delete and inline_admin_formset.has_delete_permission
    parts += [
        f"<th>{conditional_escape(gettext('Delete?')) if deletable else ''}</th>",
        "</tr></thead>",
        "<tbody>",
    ]
    forms = list(inline_admin_formset)
    for number, inline_admin_form in enumerate(forms):
        is_empty_form = number == len(forms) - 1 and inline_admin_formset.has_add_permission
        parts += _row(inline_admin_form, number, is_empty_form, prefix, deletable)
    parts += [
        "</tbody>",
        "</table>",
        "</div>",
        "</details>" if collapsible else "",
        "</fieldset>",
        "</div>",
        "</div>",
    ]
    return mark_safe("\n".join(parts))


def _heading(field):
    classes = f"column-{conditional_escape(field['name'])}"
    if field["required"]:
        classes += " required"
    # A read-only column's widget is a dict, an editable one's the form field's widget.
    widget = field["widget"]
    if widget["is_hidden"] if isinstance(widget, dict) else widget.is_hidden:
        classes += " hidden"
    parts = [f'<th class="{classes}">{conditional_escape(capfirst(field["label"]))}']
    if field["help_text"]:
        text = conditional_escape(strip_tags(field["help_text"]))
        parts.append(
            f'<img src="{conditional_escape(static("admin/img/icon-unknown.svg"))}"'
            f' class="help help-tooltip" width="10" height="10" alt="({text})" title="{text}">'
        )
    parts.append("</th>")
    return parts


def _row(inline_admin_form, number, is_empty_form, prefix, deletable):
    form = inline_admin_form.form
    original = inline_admin_form.original
    parts = []
    if form.non_field_errors():
        parts.append(
            f'<tr class="row-form-errors"><td colspan="{cell_count(inline_admin_form)}">'
            f"{form.non_field_errors()}</td></tr>"
        )
    classes = "form-row " + ("has_original" if original else "")
    if is_empty_form:
        classes += " empty-form"
    row_id = f"{prefix}-{'empty' if is_empty_form else number}"
    parts += [f'<tr class="{classes}"', f'id="{row_id}">', '<td class="original">']
    if original:
        parts += ["<p>", conditional_escape(original), "</p>"]
    if inline_admin_form.needs_explicit_pk_field():
        parts.append(str(inline_admin_form.pk_field().field))
    fk_field = inline_admin_form.fk_field()
    if fk_field:
        parts.append(str(fk_field.field))
    parts.append("</td>")
    for fieldset in inline_admin_form:
        for line in fieldset:
            for field in line:
                parts += _cell(field)
    delete = str(inline_admin_form.deletion_field().field) if deletable and original else ""
    parts += [f'<td class="delete">{delete}</td>', "</tr>"]
    return parts


def _cell(field):
    if field.is_readonly:
        name, hidden = field.field["name"], field.field["is_hidden"]
    else:
        name, hidden = field.field.name, field.field.is_hidden
    classes = f"field-{conditional_escape(name)}" if name else ""
    if hidden:
        classes += " hidden"
    if field.is_readonly:
        content = f"<p>{field.contents()}</p>"
    else:
        content = f"{field.field.errors.as_ul()}\n{field.field}"
    return [f'<td class="{classes}">', content, "</td>"]
