"""The stored warnings of plannings, kept current: after any write that moves, adds or removes
a planning, or changes what the check reads (a work order's skill or dates, an absence, a
holiday, working hours), the plannings it touches are checked again — the written ones and
every neighbour whose overlap may have come or gone — and those whose warnings changed are
saved. Every view (board, lists, API) then reads the same warnings."""

from collections.abc import Iterable
from datetime import datetime

from workorders.models import JobPlanning
from workorders.scheduling.checks import (
    IN_THE_PAST,
    Appointment,
    findings_for,
    touching,
    warning_codes,
)

# (technician id, start, end): a stretch of a technician's time a write touched.
Window = tuple[object, datetime, datetime]


def windows_of(plannings: Iterable[JobPlanning]) -> list[Window]:
    return [(p.user_id, p.date_start, p.date_end) for p in plannings]


def refresh_warnings(*, windows: Iterable[Window], written: Iterable = ()) -> int:
    """Check again every planning overlapping one of `windows`; save those whose warnings
    changed and return how many. `written`: ids of the plannings just written — the others
    keep whether they were planned in the past (that was true or not when they were made)."""
    windows = list(windows)
    if not windows:
        return 0
    affected = list(JobPlanning.objects.filter(touching(windows)).select_related("work_order"))
    if not affected:
        return 0
    written = {str(pk) for pk in written}
    findings = findings_for([Appointment.of(p) for p in affected])
    changed = []
    for planning, found in zip(affected, findings, strict=True):
        warnings = [f.as_dict() for f in found]
        if str(planning.pk) not in written:
            was_past = any(w["code"] == IN_THE_PAST for w in planning.warnings)
            warnings = [w for w in warnings if w["code"] != IN_THE_PAST or was_past]
        if warnings != planning.warnings:
            planning.warnings = warnings
            planning.warning_codes = warning_codes(warnings)
            changed.append(planning)
    if changed:
        JobPlanning.objects.bulk_update(changed, ["warnings", "warning_codes"], batch_size=1000)
    return len(changed)
