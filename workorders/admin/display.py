"""How the planner admin writes dates, lists of work orders and a project's counters in its
pages and messages."""

from django.utils import formats, timezone
from django.utils.html import format_html, format_html_join

from workorders import selectors
from workorders.bulk_edit import LABELS


def format_when(value):
    return formats.date_format(timezone.localtime(value), "D j M Y H:i")


def describe(changes: dict) -> str:
    """'priority → High, due date → none' for a bulk edit's changes."""

    def shown(name, value):
        if value is None:
            return "none"
        if name == "due_date":
            return formats.date_format(timezone.localtime(value), "j M Y")
        return str(value)

    return ", ".join(f"{LABELS[name]} → {shown(name, value)}" for name, value in changes.items())


def numbers_of(work_orders, limit=12):
    shown = ", ".join(f"#{wo.id2}" for wo in work_orders[:limit])
    return shown + (f" and {len(work_orders) - limit} more" if len(work_orders) > limit else "")


def project_counters_html(project_id):
    counters = selectors.project_counters(project_id=project_id)

    def when(value):
        return format_when(value) if value else "–"

    items = [
        ("Open work orders", counters["nb_open_jobs"]),
        ("Planned", counters["nb_jobs_planned"]),
        ("To be planned", counters["nb_jobs_tobeplanned"]),
        ("Waiting for further action", counters["nb_jobs_waitingfurtheraction"]),
        ("Next appointment", when(counters["date_next_job"])),
        ("Last appointment", when(counters["date_last_job"])),
    ]
    return format_html(
        '<dl class="wo-counters">{}</dl>',
        format_html_join("", "<div><dt>{}</dt><dd>{}</dd></div>", items),
    )


def planning_warnings_html(planning):
    """A planning's warnings (JobPlanning.warnings, kept by the planning check), one a line."""
    if planning is None or not planning.warnings:
        return format_html('<span class="wo-muted">{}</span>', "none")
    return format_html_join(
        "",
        '<div class="planner-finding planner-finding-{}">⚠ {}</div>',
        ((w.get("code", ""), w.get("message", "")) for w in planning.warnings),
    )
