"""The OpenAPI document as the contract the server keeps, for every operation without anyone
decorating it: each error status an operation can answer, by what the operation is, in its API
family's error shape, with the rate-limit headers every answer carries.

| status | documented on | why |
| --- | --- | --- |
| 400 | a request body, a query parameter besides `page`/`page_size` | bad input names its field |
| 401 | operations that need a token | no, a wrong or an expired token |
| 403 | writes taking a browser session (CSRF), views with permissions beyond a login | refused |
| 404 | a path parameter (unknown, or another organization's), a paginated list (past the end) | |
| 409 | writes | a stored row conflicts (a unique or protected row) |
| 413, 415 | a request body | over `DATA_UPLOAD_MAX_MEMORY_SIZE`; not JSON |
| 429 | every operation | `API_RATE_LIMIT`, failed logins; with `Retry-After` |
| 503 | every operation | the database cannot be reached; with `Retry-After` |

A view adds a status only this cannot see with `extend_schema(responses={404: ...})` (a body that
names a record, as the seeds' job identifiers do); a response documented without a body gets its
family's. A view whose errors have another shape names it in `openapi_error_serializer`."""

import re

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.plumbing import ResolvedComponent, build_media_type_object
from rest_framework import serializers
from rest_framework.authentication import SessionAuthentication
from rest_framework.fields import ISO_8601
from rest_framework.permissions import AllowAny, IsAuthenticated

WRITES = ("POST", "PUT", "PATCH", "DELETE")
BODY_METHODS = ("POST", "PUT", "PATCH")
PAGE_PARAMETERS = {"page", "page_size"}
JSON_MEDIA_TYPES = ("application/json", "text/json")

DESCRIPTIONS = {
    "400": "Bad input: each key names the field (a path such as `project.equipment_model.code` "
    "for embedded objects, a query parameter by its name), each value lists the problems; a "
    "body that cannot be read at all says `detail`. Nothing is written.",
    "401": "No token, or a wrong, expired or revoked one (`WWW-Authenticate: Bearer`).",
    "403": "Not allowed: a write a browser session sends without its CSRF token, or a record "
    "only a superuser may change.",
    "404": "No such record in your sales organization (another organization's looks the same), "
    "or a page past the end of a list.",
    "409": "The request conflicts with stored data (a record others still refer to, or one "
    "written meanwhile by another request).",
    "413": "The request body is over the size limit.",
    "415": "The body's Content-Type is not one this operation reads.",
    "429": "Too many requests (`API_RATE_LIMIT` a token, or failed logins); retry after "
    "`Retry-After` seconds.",
    "503": "The database cannot be reached; retry after `Retry-After` seconds.",
}

# The resources family's bodies (README "One error shape per API family").
FIELD_ERRORS_SCHEMA = {
    "type": "object",
    "description": "Keys name the fields (`non_field_errors`: the body as a whole; `detail`: a "
    "body that cannot be read); values list the problems, nested like the body for nested input.",
    "minProperties": 1,
    "additionalProperties": {
        "anyOf": [
            {"type": "array", "items": {}},
            {"type": "string"},
            {"type": "object"},
        ]
    },
    "example": {"job_type_code": ["Unknown job type code 'NOPE'."]},
}
ERROR_SCHEMA = {
    "type": "object",
    "description": "`detail` says what went wrong, `code` its kind where given; a refusal tied "
    "to an input field names that field instead, as a 400 does.",
    "properties": {"detail": {"type": "string"}, "code": {"type": "string"}},
    "minProperties": 1,
    "additionalProperties": {"type": "array", "items": {"type": "string"}},
    "example": {"detail": "Not found."},
}

_INTEGER = {"type": "integer", "minimum": 0}
HEADERS = {
    "X-RateLimit-Limit": {
        "description": "Requests allowed in the current window (`API_RATE_LIMIT`). Sent on every "
        "answer under /api/, unless the rate-limit cache cannot be reached.",
        "schema": _INTEGER,
    },
    "X-RateLimit-Remaining": {
        "description": "Requests left in the current window.",
        "schema": _INTEGER,
    },
    "X-RateLimit-Reset": {
        "description": "When the current window ends, Unix time in seconds.",
        "schema": _INTEGER,
    },
    "Retry-After": {
        "description": "Seconds to wait before trying again.",
        "required": True,
        "schema": {"type": "integer", "minimum": 1},
    },
    "X-Tx-ID": {
        "description": "The request's transaction id: the `X-Tx-ID` it sent when sane, else a "
        "new UUID. Quote it when reporting a problem.",
        "required": True,
        "schema": {"type": "string", "minLength": 1, "maxLength": 100},
    },
}
RATE_HEADERS = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset")
RETRY_STATUSES = ("429", "503")
# Statuses a middleware may answer, whatever the view's own error shape (jobsite.api.middleware).
OUTSIDE_THE_VIEW = ("413", "503")

_STRFTIME = {
    "%Y": r"\d{4}",
    "%m": r"\d{2}",
    "%d": r"\d{2}",
    "%H": r"\d{2}",
    "%M": r"\d{2}",
    "%S": r"\d{2}",
    "%f": r"\d{6}",
    "%z": r"[+-]\d{4}",
    "%%": "%",
}


def strftime_pattern(format_: str) -> str:
    """The regular expression every text `format_` writes matches (the codes DRF uses)."""
    parts = re.split(r"(%.)", format_)
    return "^" + "".join(_STRFTIME[p] if p in _STRFTIME else re.escape(p) for p in parts if p) + "$"


class AutoSchema(SpectacularAutoSchema):
    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        filters = {p["name"] for p in self._get_filter_parameters()}
        for parameter in operation.get("parameters", []):
            # django-filter reads `?status=` as no filter, as an HTML form sends it.
            if parameter["in"] == "query" and parameter["name"] in filters:
                parameter["allowEmptyValue"] = True
        responses = operation["responses"]
        for code in self.error_statuses(operation):
            responses.setdefault(code, {"description": DESCRIPTIONS[code]})
        for code, response in responses.items():
            if code >= "400" and "content" not in response:
                schema = self._error_schema(code)
                response["content"] = {
                    media_type: build_media_type_object(schema)
                    for media_type in self.map_renderers("media_type")
                }
            headers = response.setdefault("headers", {})
            retry = ("Retry-After",) if code in RETRY_STATUSES else ()
            for name in ("X-Tx-ID", *RATE_HEADERS, *retry):
                headers.setdefault(name, self._header(name))
        return operation

    def error_statuses(self, operation: dict) -> list[str]:
        """The error statuses this operation can answer, by what it is (see the module's table)."""
        parameters = operation.get("parameters", [])
        query = {p["name"] for p in parameters if p["in"] == "query"}
        has_path_id = any(p["in"] == "path" for p in parameters)
        has_body = "requestBody" in operation
        permissions = self.view.get_permissions()
        needs_login = bool(self.view.get_authenticators()) and not any(
            isinstance(p, AllowAny) for p in permissions
        )
        write = self.method in WRITES
        codes = []
        if has_body or query - PAGE_PARAMETERS:
            codes.append("400")
        if needs_login:
            codes.append("401")
            csrf = any(isinstance(a, SessionAuthentication) for a in self.view.get_authenticators())
            more = any(type(p) not in (IsAuthenticated, AllowAny) for p in permissions)
            if (write and csrf) or more:
                codes.append("403")
        if has_path_id or "page" in query:
            codes.append("404")
        if write:
            codes.append("409")
        if has_body:
            codes += ["413", "415"]
        return [*codes, "429", "503"]

    def _error_schema(self, code: str) -> dict:
        resources = (
            self._component("FieldErrors", FIELD_ERRORS_SCHEMA)
            if code == "400"
            else self._component("Error", ERROR_SCHEMA)
        )
        family = getattr(self.view, "openapi_error_serializer", None)
        if family is None:
            return resources
        own = self.resolve_serializer(family, "response").ref
        # Answered by a middleware before or after the view, in the resources' shape.
        return {"anyOf": [own, resources]} if code in OUTSIDE_THE_VIEW else own

    def _component(self, name: str, schema: dict) -> dict:
        component = ResolvedComponent(
            name=name, type=ResolvedComponent.SCHEMA, schema=schema, object=name
        )
        self.registry.register_on_missing(component)
        return component.ref

    def _header(self, name: str) -> dict:
        component = ResolvedComponent(
            name=name, type=ResolvedComponent.HEADER, schema=HEADERS[name], object=name
        )
        self.registry.register_on_missing(component)
        return component.ref

    def map_parsers(self):
        """JSON only (`application/json`, `text/json`), as the seeds say. The server still reads
        form posts (the browsable API sends them) but they are no part of the contract: a form
        cannot carry objects or lists, nor tell an empty value, a null and a missing field apart
        (its `null` is the text "null")."""
        return [m for m in super().map_parsers() if m in JSON_MEDIA_TYPES]

    def _map_basic_serializer(self, serializer, direction):
        """A serializer's rules across its fields that JSON Schema can say, from its
        `openapi_schema_extra` (e.g. exactly one of its fields: min/maxProperties 1)."""
        schema = super()._map_basic_serializer(serializer, direction)
        return {**schema, **getattr(serializer, "openapi_schema_extra", {})}

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        """A time written in a fixed format (the seed-003 `2026-12-02 00:49:52`) is documented
        as that text, not as an RFC 3339 date-time it is not."""
        format_ = getattr(field, "format", None)
        if (
            isinstance(field, serializers.DateTimeField)
            and isinstance(format_, str)
            and format_.lower() != ISO_8601
        ):
            schema = {"type": "string", "pattern": strftime_pattern(format_)}
            if field.allow_null:
                schema["nullable"] = True
            return schema
        return super()._map_serializer_field(field, direction, bypass_extensions)


# --- links: what a client (and schemathesis' stateful phase) does next with an answer --------

_ITEM = re.compile(r"^(?P<base>.*/)\{(?P<name>[^}/]+)\}/")


def _ref(response: dict) -> str | None:
    for media in response.get("content", {}).values():
        return media.get("schema", {}).get("$ref")
    return None


def add_links(result, generator, request, public):
    """Every 2xx answer holding a record whose item path is known links to the operations on
    that item (`$response.body#/id`): a create to its read, change and delete; the bulk
    endpoint's API job to the job and its errors."""
    schemas = result.get("components", {}).get("schemas", {})
    # The record each item path reads: its GET's 200, when that record has an `id`.
    item_of: dict[str, tuple[str, str]] = {}
    for path, operations in result["paths"].items():
        match = _ITEM.match(path)
        get = operations.get("get")
        if match is None or get is None or path != match.group(0):
            continue
        ref = _ref(get["responses"].get("200", {}))
        if ref and "id" in schemas.get(ref.rsplit("/", 1)[-1], {}).get("properties", {}):
            item_of.setdefault(ref, (path, match.group("name")))
    for operations in result["paths"].values():
        for operation in operations.values():
            for code, response in operation["responses"].items():
                target = item_of.get(_ref(response)) if code.startswith("2") else None
                if target is None:
                    continue
                item, name = target
                links = response.setdefault("links", {})
                for path, others in result["paths"].items():
                    if not path.startswith(item):
                        continue
                    for other in others.values():
                        links.setdefault(
                            other["operationId"],
                            {
                                "operationId": other["operationId"],
                                "parameters": {name: "$response.body#/id"},
                            },
                        )
    return result
