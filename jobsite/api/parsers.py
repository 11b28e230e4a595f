from rest_framework import parsers
from rest_framework.exceptions import ParseError

from jobsite.text import NUL_MESSAGE, find_unstorable


def _find_nul(value, path=""):
    """The path of the first string holding a NUL character (PostgreSQL cannot store one)."""
    found = find_unstorable(value, path)
    return found[0] if found and found[1] == NUL_MESSAGE else None


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, refusing text no database can store with a 400 naming the field."""

    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        found = find_unstorable(data)
        if found is not None:
            where, problem = found
            # Keyed by the field like every other 400 on it (the body itself: `detail`).
            raise ParseError({where: [problem]} if where else problem)
        return data


class TextJSONParser(JSONParser):
    """The seeds list `text/json` beside `application/json` for every request body."""

    media_type = "text/json"


# For views that take JSON only (no form posts).
JSON_PARSERS = [JSONParser, TextJSONParser]
