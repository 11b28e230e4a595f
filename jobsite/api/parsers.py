from rest_framework import parsers
from rest_framework.exceptions import ParseError


def _find_nul(value, path=""):
    """The path of the first string holding a NUL character (PostgreSQL cannot store one)."""
    if isinstance(value, str):
        return path if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            if "\x00" in str(key):
                return f"{path}.{key}".lstrip(".")
            found = _find_nul(item, f"{path}.{key}".lstrip("."))
            if found is not None:
                return found
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found = _find_nul(item, f"{path}[{i}]")
            if found is not None:
                return found
    return None


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, refusing NUL characters with a 400 that names the field."""

    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        where = _find_nul(data)
        if where is not None:
            raise ParseError(f"{where or 'body'}: NUL characters are not allowed.")
        return data
