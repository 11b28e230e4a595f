"""The orjson renderers write what DRF's JSONRenderer wrote: same bytes for the values the API
answers with, DRF's own encoder for what orjson formats its own way, DRF itself for the rest."""

import datetime
import decimal
import uuid

from django.utils.translation import gettext_lazy
from rest_framework.renderers import JSONRenderer as DRFJSONRenderer

from jobsite.api.renderers import JSONRenderer, TextJSONRenderer

SAMPLE = {
    "id": uuid.UUID("4a2b7c1e-0000-4000-8000-000000000001"),
    "name": "Zürich ✓ \u2028 line \u2029 para",
    "count": 3,
    "big": 2**70,
    "ratio": 0.25,
    "flag": True,
    "none": None,
    "when": datetime.datetime(2026, 12, 1, 8, 30, 15, 123456, tzinfo=datetime.UTC),
    "day": datetime.date(2026, 12, 1),
    "amount": decimal.Decimal("12.50"),
    "label": gettext_lazy("Not found."),
    "rows": [{"a": [1, 2, (3, 4)]}, []],
}


def test_the_same_bytes_as_drf():
    for value in (SAMPLE, {k: v for k, v in SAMPLE.items() if k != "big"}, [1, "x"], {}, []):
        assert JSONRenderer().render(value) == DRFJSONRenderer().render(value)
        assert TextJSONRenderer().render(value) == DRFJSONRenderer().render(value)


def test_nothing_renders_as_an_empty_body():
    assert JSONRenderer().render(None) == b""


def test_an_indented_answer_is_left_to_drf():
    value = {k: v for k, v in SAMPLE.items() if k != "big"}
    out = JSONRenderer().render(value, "application/json; indent=2")
    assert out == DRFJSONRenderer().render(value, "application/json; indent=2")
    assert b'\n  "id"' in out
