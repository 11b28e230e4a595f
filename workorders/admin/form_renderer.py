"""The planner admin forms' renderer: the HTML of Django's small form templates (inputs, text
areas, selects, labels, error lists, the admin's date and time pair and its related-object
icons) written in Python.

The work order change form renders some 60 widgets, 40 labels and over a hundred (mostly empty)
error lists; through the template engine, each is a template lookup, a context and an include
or two: 16–21 ms more CPU a request, a third of the page. Each writer below gives the same text
as the Django template named beside it (tests/workorders/test_admin_form_renderer.py compares
them on the whole change form); any other template, or one of these with an option or a
subwidget of another template, is rendered by Django as before."""

from django.forms.renderers import DjangoTemplates
from django.templatetags.static import static
from django.utils.html import conditional_escape
from django.utils.translation import gettext

# The input widgets whose template is only {% include "django/forms/widgets/input.html" %}
# (their own line end follows the include's when they are included).
INPUT = "django/forms/widgets/input.html"
INPUT_FAMILY = {
    f"django/forms/widgets/{kind}.html"
    for kind in (
        "text",
        "number",
        "email",
        "url",
        "password",
        "hidden",
        "date",
        "time",
        "datetime",
        "checkbox",
        "search",
        "tel",
        "color",
    )
}
OPTION = "django/forms/widgets/select_option.html"


def _text(value) -> str:
    # What {{ value }} or {{ value|stringformat:'s' }} writes in an attribute or an element.
    return conditional_escape(value)


def attrs_html(attrs) -> str:
    """django/forms/attrs.html: True writes the bare name, False leaves the attribute out."""
    return "".join(
        f" {_text(name)}" if value is True else f' {_text(name)}="{_text(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


def input_html(widget) -> str:
    """django/forms/widgets/input.html."""
    value = "" if widget["value"] is None else f' value="{_text(widget["value"])}"'
    return (
        f'<input type="{_text(widget["type"])}" name="{_text(widget["name"])}"{value}'
        f"{attrs_html(widget['attrs'])}>"
    )


def _included(widget) -> str | None:
    """A widget as {% include widget.template_name %} writes it, file line ends kept."""
    if widget["template_name"] == INPUT:
        return input_html(widget) + "\n"
    if widget["template_name"] in INPUT_FAMILY:
        return input_html(widget) + "\n\n"
    return None


def textarea_html(widget) -> str:
    """django/forms/widgets/textarea.html."""
    value = _text(widget["value"]) if widget["value"] else ""
    attrs = attrs_html(widget["attrs"])
    return f'<textarea name="{_text(widget["name"])}"{attrs}>\n{value}</textarea>'


def select_html(widget) -> str | None:
    """django/forms/widgets/select.html, its options from select_option.html."""
    parts = [f'<select name="{_text(widget["name"])}"{attrs_html(widget["attrs"])}>']
    for group_name, options, _ in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{_text(group_name)}">')
        for option in options:
            if option["template_name"] != OPTION:
                return None
            parts.append(
                f'\n  <option value="{_text(option["value"])}"{attrs_html(option["attrs"])}>'
                f"{_text(option['label'])}</option>\n"
            )
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts)


def split_datetime_html(context) -> str | None:
    """admin/widgets/split_datetime.html: a date and a time input, each with its label."""
    widget = context["widget"]
    date, time = widget["subwidgets"]
    date_input, time_input = _included(date), _included(time)
    if date_input is None or time_input is None:
        return None
    labelled = bool(widget["attrs"].get("id"))
    date_for = f'for="{_text(date["attrs"]["id"])}"' if labelled else ""
    time_for = f'for="{_text(time["attrs"]["id"])}"' if labelled else ""
    return (
        f'<p class="datetime">\n'
        f"  <label {date_for}>{_text(context['date_label'])}</label> {date_input}<br>\n"
        f"  <label {time_for}>{_text(context['time_label'])}</label> {time_input}\n"
        f"</p>"
    )


def related_widget_wrapper_html(context) -> str:
    """admin/widgets/related_widget_wrapper.html: the widget, then its change / add / delete /
    view icons (as {% spaceless %} leaves them: line ends inside a tag, none between)."""
    name, params = _text(context["name"]), _text(context["url_params"])
    icons = []  # (kind, image, the tag's attributes between its id and its title, title)
    if not context["is_hidden"]:
        if context["can_change_related"]:
            url = _text(context["change_related_template_url"])
            href = [f'data-href-template="{url}?{params}"', 'data-popup="yes"']
            icons.append(("change", "changelink", href, gettext("Change selected %(model)s")))
        if context["can_add_related"]:
            href = ['data-popup="yes"', f'href="{_text(context["add_related_url"])}?{params}"']
            icons.append(("add", "addlink", href, gettext("Add another %(model)s")))
        if context["can_delete_related"]:
            url = _text(context["delete_related_template_url"])
            href = [f'data-href-template="{url}?{params}"', 'data-popup="yes"']
            icons.append(("delete", "deletelink", href, gettext("Delete selected %(model)s")))
        if context["can_view_related"]:
            url = _text(context["change_related_template_url"])
            href = [f'data-href-template="{url}?{_text(context["view_related_url_params"])}"']
            icons.append(("view", "viewlink", href, gettext("View selected %(model)s")))
    model = {"model": _text(context["model"])}
    links = []
    for kind, image, href, title in icons:
        indent = "\n             " if kind == "view" else "\n            "
        attrs = indent.join([f'id="{kind}_id_{name}"', *href, f'title="{title % model}"'])
        src = _text(static(f"admin/img/icon-{image}.svg"))
        links.append(
            f'<a class="related-widget-wrapper-link {kind}-related" {attrs}>'
            f'<img src="{src}" alt="" width="24" height="24"></a>'
        )
    ref = (
        ""
        if context["model_has_limit_choices_to"]
        else f'data-model-ref="{_text(context["model_name"])}"'
    )
    return (
        f'<div class="related-widget-wrapper" {ref}>\n    {context["rendered_widget"]}\n    \n'
        f"        {''.join(links)}\n    \n</div>"
    )


def label_html(context) -> str:
    """django/forms/label.html."""
    if not context["use_tag"]:
        return _text(context["label"])
    tag = _text(context["tag"])
    return f"<{tag}{attrs_html(context['attrs'] or {})}>{_text(context['label'])}</{tag}>"


def errors_html(context) -> str:
    """django/forms/errors/list/ul.html (default.html includes it): nothing when no error."""
    errors = context["errors"]
    if not errors:
        return ""
    field_id = getattr(errors, "field_id", None)
    id_attr = f' id="{_text(field_id)}_error"' if field_id else ""
    items = "".join(f"<li>{_text(error)}</li>" for error in errors)
    return f'<ul class="{_text(context["error_class"])}"{id_attr}>{items}</ul>'


WRITERS = {
    INPUT: lambda context: input_html(context["widget"]),
    **{name: lambda context: input_html(context["widget"]) for name in INPUT_FAMILY},
    "django/forms/widgets/textarea.html": lambda context: textarea_html(context["widget"]),
    "django/forms/widgets/select.html": lambda context: select_html(context["widget"]),
    "admin/widgets/split_datetime.html": split_datetime_html,
    "admin/widgets/related_widget_wrapper.html": related_widget_wrapper_html,
    "django/forms/label.html": label_html,
    "django/forms/errors/list/default.html": errors_html,
    "django/forms/errors/list/ul.html": errors_html,
}


class QuickFormRenderer(DjangoTemplates):
    """Django's form renderer, with the templates of WRITERS written in Python."""

    def render(self, template_name, context, request=None):
        write = WRITERS.get(template_name)
        html = write(context) if write is not None else None
        if html is None:
            return super().render(template_name, context, request)
        # BaseRenderer.render strips the template's output: the same here.
        return html.strip()


QUICK_RENDERER = QuickFormRenderer()
