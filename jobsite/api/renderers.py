"""Response formats besides DRF's defaults."""

from rest_framework.renderers import JSONRenderer


class TextJSONRenderer(JSONRenderer):
    """The seeds list `text/json` beside `application/json` for every response; a client whose
    `Accept` names only `text/json` would otherwise get a 406."""

    media_type = "text/json"
    # A text/* type without a charset is Latin-1 to older HTTP clients; JSON is UTF-8.
    charset = "utf-8"
