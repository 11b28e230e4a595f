"""The planning board's rows as HTML: each technician's calendar shades, blocks placed by start
and length (left and width in % of the day's axis), and per day the booked-versus-available bar.

Compact, because a week is thousands of blocks: a block's hover text is put together by
board.js from its label and data when the pointer is on it. Written with f-strings and
`escape`, not a template: a week of 50 technicians is 2,500 blocks,
which Django's template engine took 4 s to render (this takes a few ms); every value from
the database goes through `escape`. The page (board.html) and a move's answer both use it."""

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from workorders.board_ghosts import Ghost
from workorders.planning_board import Block, DayCell, Row


def _pct(value: float) -> str:
    return f"{value:.3f}".rstrip("0").rstrip(".") + "%"


def _block(b: Block, *, can_plan: bool) -> str:
    classes = f"bd-block wo-state-{b.state.lower()} wo-status-{b.status_number}"
    if b.warnings:
        classes += " bd-warned"
    if not (b.movable and can_plan):
        classes += " bd-fixed"
    elif b.resizable:
        classes += " bd-rs"  # its right edge drags its end
    city = f" · {escape(b.city)}" if b.city else ""
    warned = f' data-warnings="{escape(b.warning_text)}"' if b.warnings else ""
    icon = '<span class="bd-warn-icon" aria-label="warning">⚠</span>' if b.warnings else ""
    return (
        f'<div class="{classes}" tabindex="0" data-planning="{b.pk}" '
        f'data-work-order="{b.work_order_pk}" data-number="{b.number}" '
        f'data-skill="{b.skill_id or ""}" data-minutes="{b.minutes}" '
        f'data-start="{b.start:%Y-%m-%dT%H:%M}" data-status="{escape(b.status_name)}"{warned} '
        f'style="left:{_pct(b.left)};width:{_pct(b.width)};--lane:{b.lane}">'
        f'<span class="bd-block-time">{b.start:%H:%M}</span> '
        f'<span class="bd-block-label">#{b.number} {escape(b.name)}{city}</span>{icon}</div>'
    )


def _ghost(g: Ghost) -> str:
    """A proposed planning: a label holding its tick box, so a click anywhere on it ticks it;
    not a .bd-block, so board.js never drags it as a planning."""
    city = f" · {escape(g.city)}" if g.city else ""
    label = f"{escape(g.number)} {escape(g.name)}{city}"
    title = (
        f"Proposed: {label}, {g.start:%a %d %b %H:%M}–{g.end:%H:%M}, {g.travel_km:g} km from "
        "the previous stop. Click to tick it."
    )
    return (
        f'<label class="bd-proposed" data-work-order="{g.work_order_pk}" '
        f'data-start="{g.start:%Y-%m-%dT%H:%M}" data-minutes="{g.minutes}" title="{title}" '
        f'style="left:{_pct(g.left)};width:{_pct(g.width)};--lane:{g.lane}">'
        f'<input type="checkbox" name="work_order_ids" value="{g.work_order_pk}" '
        f'form="board-proposal-form" aria-label="Tick {escape(g.number)}">'
        f'<span class="bd-block-time">{g.start:%H:%M}</span> '
        f'<span class="bd-block-label">{label}</span></label>'
    )


def _cell(cell: DayCell, *, today, can_plan: bool, ghosts=()) -> str:
    classes = "bd-day"
    if cell.day == today:
        classes += " bd-today"
    if cell.day.weekday() >= 5:
        classes += " bd-weekend"
    if cell.away:
        classes += " bd-away"
    shades = "".join(
        f'<div class="bd-shade bd-shade-{s.kind}" style="left:{_pct(s.left)};'
        f'width:{_pct(s.width)}" title="{escape(s.reason)}"></div>'
        for s in cell.shades
    )
    blocks = "".join(_block(b, can_plan=can_plan) for b in cell.blocks)
    blocks += "".join(_ghost(g) for g in ghosts)
    over = " bd-over" if cell.over else ""
    return (
        f'<div class="{classes}" data-day="{cell.day:%Y-%m-%d}">{shades}{blocks}'
        f'<div class="bd-load{over}" title="{cell.load_title}">'
        f'<span style="width:{cell.load}%"></span></div></div>'
    )


def row_html(row: Row, *, today, can_plan: bool, view: str, ghosts=None) -> SafeString:
    """`ghosts`: an auto-plan's proposed plannings of this row, by day (board_ghosts)."""
    ghosts = ghosts or {}
    name = escape(str(row.technician))
    other = " bd-row-other" if not row.is_technician else ""
    note = " (not a technician)" if not row.is_technician else ""
    cells = "".join(
        _cell(c, today=today, can_plan=can_plan, ghosts=ghosts.get(c.day, ())) for c in row.cells
    )
    lanes = max([row.lanes] + [g.lane + 1 for day in ghosts.values() for g in day])
    return mark_safe(
        f'<div class="bd-row{other}" data-technician="{row.technician.pk}" data-name="{name}" '
        f'data-skills="{" ".join(sorted(row.skills))}" data-booked="{row.booked}" '
        f'data-available="{row.available}" style="--lanes: {lanes}">'
        f'<div class="bd-tech" title="{name}{note} — booked {row.load_label} this {view}">'
        f'<span class="bd-tech-name">{name}</span>'
        f'<span class="bd-tech-load">{row.load_label}</span></div>'
        f'<div class="bd-days">{cells}</div></div>'
    )


def rows_html(rows, *, today, can_plan: bool, view: str, ghosts=None) -> SafeString:
    """`ghosts`: technician pk (str) -> day -> proposed plannings (board_ghosts.Proposal)."""
    ghosts = ghosts or {}
    return mark_safe(
        "".join(
            row_html(
                r,
                today=today,
                can_plan=can_plan,
                view=view,
                ghosts=ghosts.get(str(r.technician.pk)),
            )
            for r in rows
        )
    )
