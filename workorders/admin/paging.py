"""Counting and paging a planner's list without scanning a million rows.

A page's rows are fetched by their unique ordering key first (an index-only scan, even on page
5,000) in the same statement that loads them; there is no full count, but an estimate where exact
numbers cost a scan (see PERFORMANCE.md)."""

import json

from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.db import connections
from django.utils.functional import cached_property

# An action on "all 1,000,000 selected" is a mistake, not a plan.
MAX_ACTION_ROWS = 500


class PlannerPaginator(Paginator):
    """Pages through the rows' unique ordering key first, and counts no more than it must.

    count: on PostgreSQL an unfiltered list uses the table's statistics (pg_class.reltuples);
    a filtered one asks the planner's estimate (EXPLAIN) and counts exactly only when that is
    small (or when searching), and then no further than CAP (SEARCH_CAP) rows. `estimated` tells the
    template to say "about"; `capped` to say "more than"."""

    CAP = 10_000
    SEARCH_CAP = 1_000
    ESTIMATE_ABOVE = 50_000

    def __init__(self, object_list, per_page, orphans=0, allow_empty_first_page=True, **kw):
        self.page_key = kw.pop("page_key", "pk")
        self.searching = kw.pop("searching", False)
        super().__init__(object_list, per_page, orphans, allow_empty_first_page, **kw)
        self.estimated = False
        self.capped = False
        self.cap = self.CAP

    @cached_property
    def count(self):
        qs = self.object_list
        connection = connections[qs.db]
        if not self.searching:
            if connection.vendor != "postgresql":
                return qs.count()
            if not qs.query.where:
                estimate = self._reltuples(connection, qs.model._meta.db_table)
                if estimate > self.ESTIMATE_ABOVE:
                    self.estimated = True
                    return estimate
                return qs.count()
            estimate = self._explain_rows(connection, qs)
            if estimate > self.ESTIMATE_ABOVE:
                self.estimated = True
                return estimate
        # A search is read, not paged through: past SEARCH_CAP hits the list says "more than"
        # (counting further costs a scan of every hit, on SQLite as on PostgreSQL).
        cap = self.SEARCH_CAP if self.searching else self.CAP
        counted = qs.order_by().values("pk")[: cap + 1].count()
        if counted > cap:
            self.capped = True
            self.cap = cap
        return counted

    @staticmethod
    def _reltuples(connection, table):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass", [table]
            )
            row = cursor.fetchone()
        return row[0] if row and row[0] and row[0] > 0 else 0

    @staticmethod
    def _explain_rows(connection, qs):
        sql, params = qs.order_by().values("pk").query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
            plan = cursor.fetchone()[0]
        if isinstance(plan, str):  # pragma: no cover - depends on the driver's JSON handling
            plan = json.loads(plan)
        return int(plan[0]["Plan"]["Plan Rows"])

    def validate_number(self, number):
        if not (self.estimated or self.capped):
            return super().validate_number(number)
        # An estimate may be short of the real count: a page past it is asked for, not refused
        # (it is empty if there is really nothing there).
        try:
            number = int(number)
        except (TypeError, ValueError) as exc:
            raise PageNotAnInteger("That page number is not an integer") from exc
        if number < 1:
            raise EmptyPage("That page number is less than 1")
        return number

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count and not (self.estimated or self.capped):
            top = self.count
        # One statement: the page's keys by the list's ordering (an index-only scan), then the
        # rows and their joins for those keys only.
        keys = self.object_list.values(self.page_key)[bottom:top]
        rows = self.object_list.filter(**{f"{self.page_key}__in": keys})
        return self._get_page(rows, number, self)


class PlannerPaging:
    """A model admin whose changelist pages with PlannerPaginator. Its history page is handed
    the same hook with log entries, which have no page key: they page as Django pages them."""

    page_key = "pk"

    def get_paginator(self, request, queryset, per_page, orphans=0, allow_empty_first_page=True):
        if queryset.model is not self.model:
            return super().get_paginator(
                request, queryset, per_page, orphans, allow_empty_first_page
            )
        return PlannerPaginator(
            queryset,
            per_page,
            orphans,
            allow_empty_first_page,
            page_key=self.page_key,
            searching=bool(request.GET.get("q", "").strip()),
        )
