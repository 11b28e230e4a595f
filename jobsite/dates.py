"""Dates as integrations write them, read the same way by bodies, list filters and imports."""

import re
from datetime import UTC, date, datetime, time

# ISO 8601 as the seeds write it: up to seven fractional digits (.NET ticks) and an offset.
_DATETIME = re.compile(
    r"^(?P<date>\d{4}-\d{2}-\d{2})"
    r"(?:[T ](?P<time>\d{2}:\d{2}(?::\d{2})?)(?:[.,](?P<fraction>\d{1,9}))?"
    r"(?P<offset>Z|z|[+-]\d{2}(?::?\d{2})?)?)?$"
)


def parse_datetime(value: str) -> datetime:
    """`2025-10-08T18:26:51.3485589+00:00` and friends -> an aware datetime (UTC when no offset).

    Python keeps microseconds, so a seventh fractional digit is dropped (truncated, not rounded,
    so the same input always gives the same stored value)."""
    text = value.strip()
    match = _DATETIME.match(text)
    if not match:
        raise ValueError("not an ISO 8601 date")
    fraction = match["fraction"]
    if match["time"] is not None and (fraction is None or len(fraction) <= 6):
        # The common case as Python reads it (the same value as spelled out below, at a tenth
        # of the cost: imports parse many).
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            pass  # e.g. a lower-case z: spelled out below
        else:
            if parsed.tzinfo is None:
                parsed = parsed.replace(tzinfo=UTC)
            return _in_utc(parsed)
    return _spelled_out_datetime(match)


def _spelled_out_datetime(match: re.Match) -> datetime:
    day = date.fromisoformat(match["date"])
    if match["time"] is None:
        return datetime.combine(day, time(), tzinfo=UTC)
    clock = match["time"]
    if len(clock) == 5:
        clock += ":00"
    fraction = (match["fraction"] or "")[:6].ljust(6, "0")
    offset = match["offset"] or "+00:00"
    if offset in ("Z", "z"):
        offset = "+00:00"
    elif len(offset) == 3:
        offset += ":00"
    elif ":" not in offset:
        offset = f"{offset[:3]}:{offset[3:]}"
    parsed = datetime.fromisoformat(f"{match['date']}T{clock}.{fraction}{offset}")
    return _in_utc(parsed)


def _in_utc(value: datetime) -> datetime:
    # Stored and compared in UTC: PostgreSQL refuses offsets beyond 15:59 that Python accepts,
    # and 0001-01-01+05:00 has no UTC value at all.
    try:
        return value.astimezone(UTC)
    except OverflowError as exc:
        raise ValueError("out of the range of dates") from exc
