"""Page numbers without counting every row: counting 50,000 work orders costs more than reading
a page of them, so the count stops at a cap unless the client asks for the exact one."""

import time

from django.core.paginator import InvalidPage
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from jobsite.api.pagination import PageNumberPagination

# Lists this process lately found to hold more than `count_cap` rows: (user, path, filters) ->
# until when (monotonic clock). An ERP paging through a large list asks the same capped count on
# every page (a fifth of a page's time at a million rows); a list over the cap stays over it,
# and its count is said to be inexact anyway. An exact count is never remembered, so a list
# that shrinks below the cap is counted exactly again at most OVER_CAP_SECONDS later.
_over_cap: dict[tuple, float] = {}
_OVER_CAP_MAX = 10_000
OVER_CAP_SECONDS = 10


class CappedCountPagination(PageNumberPagination):
    """`?page=N&page_size=M` as usual. `count` is exact up to `count_cap` rows; above it, it
    is the cap and `count_is_exact` is false (`?count=exact` forces the exact count). `next` is
    known from one extra row read, not from the count."""

    count_cap = 10_000
    # Past this no page can hold a row, and the database's OFFSET (a signed 64-bit integer)
    # would overflow: 404 like any page beyond the end.
    max_offset = 2**62

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        if request.query_params.get("count", "exact") != "exact":
            raise ValidationError({"count": ["Give exact, or leave count out."]})
        size = self.get_page_size(request)
        raw = request.query_params.get(self.page_query_param, "1")
        try:
            number = int(raw)
            offset = (number - 1) * size
            if number < 1 or offset > self.max_offset:
                raise InvalidPage
        except (ValueError, InvalidPage) as exc:
            raise NotFound(self.invalid_page_message) from exc
        rows = list(queryset[offset : offset + size + 1])
        if number > 1 and not rows:
            raise NotFound(self.invalid_page_message)
        self.number, self.has_next = number, len(rows) > size
        rows = rows[:size]
        counted = queryset.order_by().values_list("pk")
        if request.query_params.get("count") == "exact":
            self.count, self.count_is_exact = counted.count(), True
        elif not self.has_next and (number == 1 or rows):
            self.count, self.count_is_exact = offset + len(rows), True  # the last page: free
        elif self._known_over_cap(request):
            self.count, self.count_is_exact = self.count_cap, False
        else:
            capped = counted[: self.count_cap + 1].count()
            self.count_is_exact = capped <= self.count_cap
            self.count = min(capped, self.count_cap)
            if not self.count_is_exact:
                self._remember_over_cap(request)
        return rows

    def _list_key(self, request) -> tuple:
        filters = sorted(
            (name, tuple(values))
            for name, values in request.query_params.lists()
            if name not in (self.page_query_param, self.page_size_query_param)
        )
        return (request.user.pk, self.count_cap, request.path, tuple(filters))

    def _known_over_cap(self, request) -> bool:
        until = _over_cap.get(self._list_key(request))
        return until is not None and until > time.monotonic()

    def _remember_over_cap(self, request) -> None:
        if len(_over_cap) >= _OVER_CAP_MAX:
            _over_cap.clear()
        _over_cap[self._list_key(request)] = time.monotonic() + OVER_CAP_SECONDS

    def get_paginated_response(self, data):
        return Response(
            {
                "count": self.count,
                "count_is_exact": self.count_is_exact,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "results": data,
            }
        )

    def get_next_link(self):
        if not self.has_next:
            return None
        url = self.request.build_absolute_uri()
        return replace_query_param(url, self.page_query_param, self.number + 1)

    def get_previous_link(self):
        if self.number <= 1:
            return None
        url = self.request.build_absolute_uri()
        if self.number == 2:
            return remove_query_param(url, self.page_query_param)
        return replace_query_param(url, self.page_query_param, self.number - 1)

    def get_paginated_response_schema(self, schema):
        response = super().get_paginated_response_schema(schema)
        response["properties"]["count"]["description"] = (
            "Rows matching, exact up to 10,000 (or with ?count=exact); see count_is_exact."
        )
        response["properties"]["count_is_exact"] = {"type": "boolean"}
        response["required"] = ["count", "count_is_exact", "results"]
        return response

    def get_schema_operation_parameters(self, view):
        return [
            *super().get_schema_operation_parameters(view),
            {
                "name": "count",
                "required": False,
                "in": "query",
                "description": "`exact` to count every matching row (slower on large lists).",
                "schema": {"type": "string", "enum": ["exact"]},
            },
        ]
