"""List query parameters, read from /api/schema/ so a new list or filter is covered: dates with
offsets PostgreSQL refuses or without a UTC value, and pages past any data, are a 200, a 400
naming the parameter, or a 404, never a 500."""

import re

import pytest
import yaml

pytestmark = pytest.mark.django_db

DATE_PARAMETER = re.compile(r"(_after|_before|_since|date_from|date_to)$")
ODD_DATES = {
    "3431-07-16T19:50:49.884831-21:01": 200,  # a valid ISO 8601 offset, beyond PostgreSQL's
    "0722-11-20T04:59:51.276632-16:16": 200,
    "0001-01-01T00:00:00+05:00": 400,  # no UTC value: before year 1
    "9999-12-31T23:59:59-05:00": 400,  # after year 9999 in UTC
}


def _list_parameters(client) -> list[tuple[str, list[str], set[str]]]:
    schema = yaml.safe_load(client.get("/api/schema/").content)
    lists = []
    for path, operations in schema["paths"].items():
        get = operations.get("get")
        if "{" in path or not get:
            continue
        query = [p for p in get.get("parameters", []) if p["in"] == "query"]
        names = [p["name"] for p in query]
        # A date-time filter is one by its format too (the absences' `from` and `to`).
        dated = {p["name"] for p in query if p.get("schema", {}).get("format") == "date-time"}
        if "page" in names:
            lists.append((path, names, dated))
    return lists


def test_odd_dates_and_far_pages_on_every_list(api, client):
    lists = _list_parameters(client)
    dated = [
        (path, name)
        for path, names, formatted in lists
        for name in names
        if DATE_PARAMETER.search(name) or name in formatted
    ]
    assert len(lists) >= 10 and len(dated) >= 10, "the schema lost its lists or date filters"
    for path, name in dated:
        for value, status in ODD_DATES.items():
            response = api.get(path, {name: value})
            assert response.status_code == status, (path, name, value, response.content)
            if status == 400:
                assert name in response.json(), (path, name, response.json())
    for path, _, _ in lists:
        for page in ("459727431002572147654656", str(2**62), "-8204297154"):
            response = api.get(path, {"page": page, "page_size": 500})
            assert response.status_code == 404, (path, page, response.status_code)


def test_nul_in_any_parameter_is_a_400_naming_it(api, client):
    """PostgreSQL cannot compare with a NUL: refused, by the parameter's name (`search` too)."""
    refused = set()
    for path, names, _ in _list_parameters(client):
        for name in names:
            if name == "page":
                continue
            response = api.get(path, {name: "a\x00b"})
            assert response.status_code in (200, 400), (path, name, response.status_code)
            if response.status_code == 400:
                assert name in response.json(), (path, name, response.json())
                refused.add(name)
    assert "search" in refused
