import re

from rest_framework import parsers
from rest_framework.exceptions import ParseError

# What no database column can hold: NUL (PostgreSQL refuses it) and UTF-16 surrogates that are
# not part of a pair (JSON's "\ud800" escape decodes to one; no UTF-8 encoder writes it).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _problem(text: str) -> str | None:
    found = _UNSTORABLE.search(text)
    if found is None:
        return None
    if found.group() == "\x00":
        return "NUL characters are not allowed."
    return "Invalid text: a lone UTF-16 surrogate (e.g. \\ud800) is not a character."


def find_unstorable(value, path="") -> tuple[str, str] | None:
    """The path of the first string (or key) no database can store, and why."""
    if isinstance(value, str):
        problem = _problem(value)
        return (path, problem) if problem else None
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}".lstrip(".")
            problem = _problem(str(key))
            if problem:
                return where, problem
            found = find_unstorable(item, where)
            if found is not None:
                return found
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found = find_unstorable(item, f"{path}[{i}]")
            if found is not None:
                return found
    return None


def _find_nul(value, path=""):
    """The path of the first string holding a NUL character (PostgreSQL cannot store one)."""
    found = find_unstorable(value, path)
    return found[0] if found and found[1].startswith("NUL") else None


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, refusing text no database can store with a 400 naming the field."""

    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        found = find_unstorable(data)
        if found is not None:
            where, problem = found
            raise ParseError(f"{where or 'body'}: {problem}")
        return data
