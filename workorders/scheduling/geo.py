"""Where work happens and how far apart: great-circle distances from latitude/longitude, with no
map or routing service (nothing leaves the machine). Proposals and the auto-plan both read
their points and distances here, so they agree on where a site is."""

import math
from dataclasses import dataclass

EARTH_RADIUS_KM = 6371.0088

# The columns a work order's site is read from, in the order they are tried: the work order's
# own address fields, the address it links, then its project's address.
WORK_ORDER_POINT_FIELDS = (
    ("db_address_latitude", "db_address_longitude"),
    ("db_address__latitude", "db_address__longitude"),
    ("project__db_address__latitude", "project__db_address__longitude"),
)
TECHNICIAN_POINT_FIELDS = ("base_address__latitude", "base_address__longitude")


@dataclass(frozen=True, slots=True)
class Point:
    latitude: float
    longitude: float


def point(latitude, longitude) -> Point | None:
    """A point from two stored values (Decimal, float or None); None when either is missing."""
    if latitude is None or longitude is None:
        return None
    return Point(float(latitude), float(longitude))


def distance_km(a: Point | None, b: Point | None) -> float | None:
    """Great-circle (haversine) distance; None when either point is unknown."""
    if a is None or b is None:
        return None
    lat1, lat2 = math.radians(a.latitude), math.radians(b.latitude)
    dlat = lat2 - lat1
    dlon = math.radians(b.longitude - a.longitude)
    h = math.sin(dlat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def work_order_point(row: dict) -> Point | None:
    """The site of a work order from a `values(*work_order_point_columns())` row."""
    for latitude, longitude in WORK_ORDER_POINT_FIELDS:
        found = point(row.get(latitude), row.get(longitude))
        if found is not None:
            return found
    return None


def technician_point(row: dict) -> Point | None:
    """A technician's base from a `values(*TECHNICIAN_POINT_FIELDS)` row."""
    return point(row.get(TECHNICIAN_POINT_FIELDS[0]), row.get(TECHNICIAN_POINT_FIELDS[1]))


def work_order_point_columns() -> tuple[str, ...]:
    return tuple(column for pair in WORK_ORDER_POINT_FIELDS for column in pair)
