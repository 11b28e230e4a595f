"""A section (fieldset) of the work order change form as HTML: the markup of the admin's
admin/includes/fieldset.html, written in Python.

Through that template the form's 40 rows cost 7–10 ms more CPU a request (a fifth of the
page): every row makes its fields' helpers anew for each loop over them, and evaluates each
field's errors and the row's up to three times. Here each is made and asked once. The markup
is the template's, whitespace aside (a line end wherever the template has white space between
two tags); tests/workorders/test_admin_form_renderer.py compares the two on the whole change
form."""

from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe


def fieldset_html(fieldset, index) -> str:
    """What {% include "admin/includes/fieldset.html" with heading_level=2 prefix="fieldset"
    id_prefix=0 id_suffix=index %} writes."""
    parts = []
    heading_id = f"fieldset-0-{index}-heading"
    labelled = f' aria-labelledby="{heading_id}"' if fieldset.name else ""
    parts.append(
        f'<fieldset class="module aligned {conditional_escape(fieldset.classes)}"{labelled}>'
    )
    collapsible = fieldset.name and fieldset.is_collapsible
    if fieldset.name:
        if collapsible:
            parts.append("<details><summary>")
        name = conditional_escape(fieldset.name)
        parts.append(f'<h2 id="{heading_id}" class="fieldset-heading">{name}</h2>')
        if collapsible:
            parts.append("</summary>")
    if fieldset.description:
        parts.append(f'<div class="description">{_safe(fieldset.description)}</div>')
    for line in fieldset:
        parts.extend(_line(line))
    if collapsible:
        parts.append("</details>")
    # The template file's last line end too: the white space between two sections.
    parts.append("</fieldset>\n")
    return mark_safe("\n".join(parts))


def _safe(text) -> str:
    # {{ text|safe }}: the admin's own descriptions and help texts, HTML allowed.
    return mark_safe(str(text))


def _facts(field):
    """(name, help text, id for the label, hidden) of an AdminField (a bound field) or an
    AdminReadonlyField (a dict, which has no id for a label)."""
    if field.is_readonly:
        facts = field.field
        return facts["name"], facts["help_text"], "", facts["is_hidden"]
    bound = field.field
    return bound.name, bound.help_text, conditional_escape(bound.id_for_label), bound.is_hidden


def _line(line):
    fields = [(field, *_facts(field)) for field in line]
    single = len(line.fields) == 1
    line_errors = line.errors() if single else ""
    classes = "form-row"
    if not single:
        classes += " flex-container form-multiline"
    if not line.has_visible_field:
        classes += " hidden"
    classes += "".join(f" field-{conditional_escape(name)}" for _, name, *_ in fields if name)
    parts = [f'<div class="{classes}">']
    for field, name, help_text, id_for_label, is_hidden in fields:
        # One field's line errors are its own: asked once.
        errors = line_errors if single else ("" if field.is_readonly else field.errors())
        # A widget of several inputs (a date and a time) is its own <fieldset>; a read-only field
        # has no such attribute (the template reads it as empty).
        grouped = getattr(field, "is_fieldset", False)
        label = field.label_tag()
        box = "flex-container"
        if errors or (single and line_errors):
            box += " errors"
        if not single:
            box += " fieldBox"
            if name:
                box += f" field-{conditional_escape(name)}"
            if is_hidden:
                box += " hidden"
        if field.is_checkbox:
            box += " checkbox-row"
        if grouped:
            described = f' aria-describedby="{id_for_label}_helptext"' if help_text else ""
            parts.append(f"<fieldset{described}>{label}")
        parts.append(f'<div class="{box}">')
        if field.is_checkbox:
            parts += ['<div class="checkbox">', str(field.field)]
            if not grouped:
                parts.append(label)
            parts.append("</div>")
        elif not grouped:
            parts.append(label)
        if help_text:
            hidden = " hidden" if is_hidden else ""
            help_id = f' id="{id_for_label}_helptext"' if id_for_label else ""
            parts += [
                f'<div class="help{hidden}"{help_id}>',
                f"<div>{_safe(help_text)}</div>",
                "</div>",
            ]
        parts.append(line_errors if single else errors)
        if not field.is_checkbox:
            if field.is_readonly:
                parts.append(f'<div class="readonly">{field.contents()}</div>')
            else:
                parts.append(str(field.field))
        parts.append("</div>")
        if grouped:
            parts.append("</fieldset>")
    parts.append("</div>")
    return parts
