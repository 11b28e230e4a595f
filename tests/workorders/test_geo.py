from decimal import Decimal

from workorders.scheduling.geo import Point, distance_km, work_order_point


def test_brussels_to_antwerp_is_about_41_km():
    brussels = Point(50.8467, 4.3525)
    antwerp = Point(51.2194, 4.4025)
    assert 41 < distance_km(brussels, antwerp) < 42


def test_unknown_point_has_no_distance():
    assert distance_km(None, Point(0, 0)) is None


def test_work_order_site_falls_back_to_its_address_then_its_project():
    row = {
        "db_address_latitude": None,
        "db_address_longitude": None,
        "db_address__latitude": None,
        "db_address__longitude": None,
        "project__db_address__latitude": Decimal("50.1"),
        "project__db_address__longitude": Decimal("4.2"),
    }
    assert work_order_point(row) == Point(50.1, 4.2)
    row["db_address_latitude"], row["db_address_longitude"] = 51, 5
    assert work_order_point(row) == Point(51.0, 5.0)
