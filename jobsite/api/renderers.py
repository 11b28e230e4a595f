"""Response formats besides DRF's defaults: every JSON answer is written by orjson.

DRF's renderer goes through the standard library's encoder (a Python call per value): on a list
page of 50 work orders that is a fifth of the request. orjson writes the same document (UTF-8,
compact, keys in order, UUIDs as text) in C; what it does not know natively, or formats its own
way (dates and times, decimals, lazy strings, querysets), goes through DRF's encoder, so those
read exactly as before. An indented answer (`Accept: application/json; indent=4`) and anything
orjson refuses (an integer over 64 bits, a key that is not a string) are left to DRF."""

import orjson
from rest_framework import renderers
from rest_framework.utils.encoders import JSONEncoder

_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
_default = JSONEncoder().default
# DRF escapes these two (valid JSON, but line breaks to JavaScript); orjson writes them raw.
_LINE_SEPARATORS = ("\u2028".encode(), "\u2029".encode())


class JSONRenderer(renderers.JSONRenderer):
    """DRF's JSONRenderer, with orjson doing the work."""

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        if self.get_indent(accepted_media_type, renderer_context or {}) is None:
            try:
                out = orjson.dumps(data, default=_default, option=_OPTIONS)
            except (orjson.JSONEncodeError, TypeError, ValueError):
                pass  # DRF's encoder answers or raises as it always did
            else:
                if _LINE_SEPARATORS[0] in out or _LINE_SEPARATORS[1] in out:
                    out = out.replace(_LINE_SEPARATORS[0], b"\\u2028").replace(
                        _LINE_SEPARATORS[1], b"\\u2029"
                    )
                return out
        return super().render(data, accepted_media_type, renderer_context)


class TextJSONRenderer(JSONRenderer):
    """The seeds list `text/json` beside `application/json` for every response; a client whose
    `Accept` names only `text/json` would otherwise get a 406."""

    media_type = "text/json"
    # A text/* type without a charset is Latin-1 to older HTTP clients; JSON is UTF-8.
    charset = "utf-8"
