"""Counts in fixed windows, kept in the default cache so that every gunicorn worker (and every
machine on the same cache) shares them. A rate reads like DRF's: "6000/min", "10/minute",
"100/hour", "5/s", "1000/day".

With the database cache (the default) the counts live in their own table instead
(`jobsite.models.RateCount`), each hit one atomic statement: the database cache's incr is a
transaction of six statements, which was the largest cost of a small API request.

When the cache cannot be reached (Redis restarting, a cache table not made yet) nothing is
counted and nothing refused: the limits protect the API, they must not take it down."""

import hashlib
import logging
import math
import time
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.core import checks
from django.core.cache import cache
from django.db import connection, transaction

logger = logging.getLogger(__name__)

RATE_SETTINGS = ("API_RATE_LIMIT", "LOGIN_ACCOUNT_LIMIT", "LOGIN_ADDRESS_LIMIT")
_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@lru_cache
def parse_rate(rate: str) -> tuple[int, int]:
    """(how many, in how many seconds) of "N/period"; the period's first letter counts."""
    count, _, period = rate.partition("/")
    seconds = _PERIODS.get(period.strip()[:1].lower())
    if not count.strip().isdigit() or seconds is None:
        raise ValueError(f"{rate!r} is no rate: write e.g. 6000/min, 100/hour, 5/s or 1000/day.")
    return int(count), seconds


def check_rates(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """A mistyped rate is reported by `manage.py check`, not by the first request."""
    errors = []
    for name in RATE_SETTINGS:
        try:
            parse_rate(getattr(settings, name))
        except ValueError as exc:
            errors.append(checks.Error(f"{name}: {exc}", id="jobsite.E001"))
    return errors


def now() -> float:
    """The clock the windows are cut from; tests stop it."""
    return time.time()


@dataclass(frozen=True)
class Window:
    limit: int
    used: int
    reset: int  # when the window ends, Unix time
    retry_after: int  # seconds until then, at least 1

    @property
    def remaining(self) -> int:
        return max(self.limit - self.used, 0)

    @property
    def over(self) -> bool:
        return self.used > self.limit


def _key(scope: str, ident: str, start: int | str) -> str:
    # Hashed: usernames and addresses may hold what cache keys may not (spaces, 250+ chars).
    digest = hashlib.sha256(ident.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    return f"ratelimit:{scope}:{digest}:{start}"


def _window(rate: str) -> tuple[int, int, int, int]:
    """(limit, window start, window end, seconds left) of `rate` now."""
    limit, period = parse_rate(rate)
    moment = now()
    start = int(moment // period) * period
    return limit, start, start + period, max(math.ceil(start + period - moment), 1)


def _cached(operation, *args):
    try:
        return operation(*args)
    except Exception:
        logger.warning("rate limits: the cache cannot be reached; nothing counted", exc_info=True)
        return None


def _count(key: str, timeout: int, hits: int) -> int:
    try:
        return cache.incr(key, hits)
    except ValueError:  # the window's first: another worker may be adding it at the same time
        return hits if cache.add(key, hits, timeout) else cache.incr(key, hits)


# The table of jobsite.models.RateCount (named here: this module loads before the models).
TABLE = "jobsite_ratecount"
# One statement whatever the window: the first hits make the row, the others add to it.
_UPSERT = (
    f"INSERT INTO {TABLE} (window_key, hits, expires) VALUES (%s, %s, %s) "
    f"ON CONFLICT (window_key) DO UPDATE SET hits = {TABLE}.hits + EXCLUDED.hits RETURNING hits"
)


def _in_database() -> bool:
    return settings.CACHES["default"]["BACKEND"].endswith(".db.DatabaseCache")


def _guarded(statements):
    """A failing count must not break the request's own transaction: inside one it runs in a
    savepoint; outside one (autocommit) it is a statement of its own, with no BEGIN/COMMIT."""
    if connection.in_atomic_block:
        with transaction.atomic():
            return statements()
    return statements()


def _count_in_database(key: str, expires: int, hits: int) -> int:
    def statements():
        with connection.cursor() as cursor:
            cursor.execute(_UPSERT, [key, hits, expires])
            total = cursor.fetchone()[0]
            if total == hits:  # a window's first hits: the windows that have ended go
                cursor.execute(f"DELETE FROM {TABLE} WHERE expires < %s", [int(now())])
        return total

    return _guarded(statements)


def _read_in_database(key: str) -> int:
    def statements():
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT hits FROM {TABLE} WHERE window_key = %s", [key])
            row = cursor.fetchone()
        return row[0] if row else 0

    return _guarded(statements)


# Hits this process counted but has not yet added to the shared count, by window key:
# [hits not sent, the shared count when last sent]. Sending every hit was one statement of
# every API request (a third of a detail's); a process now sends its hits in bunches of
# limit / 1000 (at most MAX_UNSENT), and each hit at once when the limit is near. So the
# shared count may lag the truth by a bunch per process (0.1 % of the limit each), hits not
# sent when a window ends are not counted, and a limit of under 2,000 is counted hit by hit.
_unsent: dict[str, list[int]] = {}
MAX_UNSENT = 25
_MAX_KEYS = 10_000


def _bunch(limit: int) -> int:
    return max(1, min(MAX_UNSENT, limit // 1000))


def hit(scope: str, ident: str, rate: str) -> Window | None:
    """Count one for `ident` in its current window of `rate`; None when the cache is down."""
    limit, start, reset, left = _window(rate)
    key = _key(scope, ident, start)
    bunch = _bunch(limit)
    pending = _unsent.get(key)
    hits = 1
    if pending is not None:
        pending[0] += 1
        used = pending[1] + pending[0]
        if pending[0] < bunch and limit - used > 2 * bunch:
            return Window(limit, used, reset, left)
        hits = pending[0]
    if _in_database():
        used = _cached(_count_in_database, key, reset, hits)
    else:
        used = _cached(_count, key, left + 1, hits)
    if used is None:
        return None
    if bunch > 1:
        if len(_unsent) >= _MAX_KEYS:
            _unsent.clear()  # mostly ended windows'; their unsent hits go uncounted
        _unsent[key] = [0, used]
    return Window(limit, used, reset, left)


def forget_unsent() -> None:
    """Drop this process's unsent hits (tests start from zero)."""
    _unsent.clear()


def peek(scope: str, ident: str, rate: str) -> Window | None:
    """`ident`'s current window of `rate`, without counting; None when the cache is down."""
    limit, start, reset, left = _window(rate)
    key = _key(scope, ident, start)
    used = _cached(_read_in_database, key) if _in_database() else _cached(cache.get, key, 0)
    return None if used is None else Window(limit, used, reset, left)


def remember(scope: str, ident: str, seconds: int) -> None:
    _cached(cache.set, _key(scope, ident, "seen"), True, seconds)


def remembered(scope: str, ident: str) -> bool:
    return bool(_cached(cache.get, _key(scope, ident, "seen"), False))
