"""The planner admin at scale: server time and queries of the work order pages, beside the same
pages served by a default ModelAdmin, in the same run (figures vary between runs and machines;
compare the ratios).

Needs a PostgreSQL database with the benchmark data (takes minutes, once):

    createdb jobsite_h7_bench   # any name
    export DATABASE_URL=postgres://root@127.0.0.1:5432/jobsite_h7_bench
    .venv/bin/python manage.py migrate
    .venv/bin/python manage.py load_demo_data --work-orders 1000000 \
        --projects 20000 --companies 2000
    psql "$DATABASE_URL" -c "VACUUM ANALYZE"
    .venv/bin/python bench/admin.py            # --runs 5 (median of), --skip-default

Server time is measured in-process with Django's test Client (request to response, templates
rendered), so it leaves out the network and the browser; queries are counted on the same request.
"""

import argparse
import os
import statistics
import sys
import time
import types
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jobsite.settings")
os.environ.setdefault("SECRET_KEY", "bench-only-" + "k" * 50)
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib import admin  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, override_settings  # noqa: E402
from django.urls import path  # noqa: E402

from jobs.models import JobStatus, StatusNumber  # noqa: E402
from jobsite import urls as project_urls  # noqa: E402
from jobsite.models import User  # noqa: E402
from workorders.models import WorkOrder  # noqa: E402

GOAL_MS = 150
# The change form a planner opens all day: its own, stricter goal.
CHANGE_FORM_GOAL_MS = 60
GOAL_QUERIES = 8
# A search by words reads the small tables it also searches first (projects, companies,
# technicians, sites: workorders.search.related_ids), four more queries, so that PostgreSQL
# plans the work order query knowing their ids. The home counts six figures.
GOAL_QUERIES_OF = {"home": 16, "project search": 8}
WORD_SEARCH_QUERIES = GOAL_QUERIES + 4

# What a developer registers without thinking about a million rows.
default_site = admin.AdminSite(name="default_admin")


class DefaultWorkOrderAdmin(admin.ModelAdmin):
    list_display = [
        "id2",
        "name",
        "project",
        "company",
        "job_status",
        "job_priority",
        "job_type",
        "suggested_user",
        "suggested_date_start",
        "due_date",
        "modified_dateutc",
    ]
    list_filter = ["job_status", "job_priority"]
    search_fields = ["=id2", "name", "reference_back_office", "customer_reference", "project__name"]
    date_hierarchy = "due_date"
    list_per_page = 100
    # The one concession: a <select> of 1,000,000 parent work orders never renders at all.
    raw_id_fields = ["parent"]


default_site.register(WorkOrder, DefaultWorkOrderAdmin)

urls = types.ModuleType("bench_admin_urls")
# The project's URLs (the admin's header links to the API docs and the time zone page) and the
# default admin beside them.
urls.urlpatterns = [path("default-admin/", default_site.urls), *project_urls.urlpatterns]
sys.modules["bench_admin_urls"] = urls


def measure(client, url, runs):
    client.get(url)  # warm: template loading, content types, connection
    times, queries, status = [], 0, None
    for _ in range(runs):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - started) * 1000)
        status = response.status_code
        queries = len(captured.captured_queries)
    return statistics.median(times), queries, status


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="median of this many (default 5)")
    parser.add_argument(
        "--default-runs", type=int, default=3, help="median of this many for the slow default"
    )
    parser.add_argument("--skip-default", action="store_true", help="only the planner admin")
    parser.add_argument("--word", default="Descaling", help="the word searched in names")
    parser.add_argument("--company", default="Janssens", help="a company name searched")
    parser.add_argument("--technician", default="Kobe", help="a technician's name searched")
    parser.add_argument("--city", default="Gent", help="a city searched")
    args = parser.parse_args()

    if connection.vendor != "postgresql":
        sys.exit("Point DATABASE_URL at PostgreSQL with the benchmark data (see the docstring).")
    total = WorkOrder.objects.order_by().values("pk")[:1_000_001].count()
    planner = User.objects.filter(is_superuser=False, is_staff=True).order_by("date_joined").first()
    superuser = User.objects.filter(is_superuser=True).order_by("date_joined").first()
    if planner is None or superuser is None or total < 1000:
        sys.exit("Load the benchmark data first (see the docstring).")
    to_be_planned = JobStatus.objects.get(number=StatusNumber.TO_BE_PLANNED)
    sample = (
        WorkOrder.objects.filter(sales_organization_id=planner.sales_organization_id)
        .order_by("id2")
        .values_list("pk", "id2")[total // 4 : total // 4 + 1]
        .get()
    )
    pk, id2 = sample
    print(
        f"Work orders: {total:,} — PostgreSQL {connection.pg_version // 10000}; median of "
        f"{args.runs} runs, in-process server time; goal ≤ {GOAL_MS} ms and "
        f"≤ {GOAL_QUERIES} queries"
    )

    reference = WorkOrder.objects.filter(pk=pk).values_list("reference_back_office", flat=True)[0]
    prefix = (reference or "ERP-")[:-2]
    tuned = {
        "home": "/admin/",
        "list page 1": "/admin/workorders/workorder/",
        "list page 5,000": "/admin/workorders/workorder/?p=5000",
        "filtered by one status": f"/admin/workorders/workorder/?status={to_be_planned.pk}",
        "search an id2": f"/admin/workorders/workorder/?q={id2}",
        "search a word in the name": f"/admin/workorders/workorder/?q={args.word}",
        "search a company name": f"/admin/workorders/workorder/?q={args.company}",
        "search a technician": f"/admin/workorders/workorder/?q={args.technician}",
        "search a city": f"/admin/workorders/workorder/?q={args.city}",
        "search a reference prefix": f"/admin/workorders/workorder/?q={prefix}",
        "project search": f"/admin/workorders/project/?q={args.company}",
        "change form": f"/admin/workorders/workorder/{pk}/change/",
    }
    default = {
        "home": "/default-admin/",
        "list page 1": "/default-admin/workorders/workorder/",
        "list page 5,000": "/default-admin/workorders/workorder/?p=5000",
        "filtered by one status": (
            f"/default-admin/workorders/workorder/?job_status__id__exact={to_be_planned.pk}"
        ),
        "search an id2": f"/default-admin/workorders/workorder/?q={id2}",
        "search a word in the name": f"/default-admin/workorders/workorder/?q={args.word}",
        # What the default search fields can do with the same words (they do not reach the
        # company, the technician or the city; a reference only by substring).
        "search a company name": f"/default-admin/workorders/workorder/?q={args.company}",
        "search a technician": f"/default-admin/workorders/workorder/?q={args.technician}",
        "search a city": f"/default-admin/workorders/workorder/?q={args.city}",
        "search a reference prefix": f"/default-admin/workorders/workorder/?q={prefix}",
        "project search": None,
        "change form": f"/default-admin/workorders/workorder/{pk}/change/",
    }
    clients = {}
    for who, user in (("superuser", superuser), ("planner", planner)):
        client = Client()
        client.force_login(user)
        clients[who] = client

    rows = []
    with override_settings(ROOT_URLCONF="bench_admin_urls", ALLOWED_HOSTS=["*"], DEBUG=False):
        for name in tuned:
            base = (
                measure(clients["superuser"], default[name], args.default_runs)
                if not args.skip_default and default[name]
                else None
            )
            su = measure(clients["superuser"], tuned[name], args.runs)
            pl = measure(clients["planner"], tuned[name], args.runs)
            rows.append((name, base, su, pl))
            print(f"  measured {name}", file=sys.stderr, flush=True)

    header = (
        f"{'page':<27} {'default ModelAdmin':>20} {'planner admin (superuser)':>27} "
        f"{'planner admin (planner)':>25} {'speed-up':>9}"
    )
    print(header)
    print("-" * len(header))
    ok = True
    for name, base, su, pl in rows:
        goal_ms = CHANGE_FORM_GOAL_MS if name == "change form" else GOAL_MS
        goal_queries = GOAL_QUERIES_OF.get(
            name,
            WORD_SEARCH_QUERIES
            if name.startswith("search a") and "id2" not in name
            else GOAL_QUERIES,
        )
        for figures in (su, pl):
            ok &= figures[0] <= goal_ms and figures[1] <= goal_queries and figures[2] == 200

        def cell(f):
            return f"{f[0]:8.1f} ms ({f[1]} q)" + ("" if f[2] == 200 else f" HTTP {f[2]}")

        ratio = f"{base[0] / su[0]:8.1f}×" if base else "       –"
        print(f"{name:<27} {cell(base) if base else '–':>20} {cell(su):>27} {cell(pl):>25} {ratio}")
    print(
        f"\nEvery planner admin page ≤ {GOAL_MS} ms, the change form ≤ {CHANGE_FORM_GOAL_MS} ms, "
        f"within their queries (≤ {GOAL_QUERIES}, a word search ≤ {WORD_SEARCH_QUERIES}, the home "
        f"≤ {GOAL_QUERIES_OF['home']}): " + ("yes" if ok else "NO")
    )
    # The planner sees one sales organization: 2 more queries than a superuser load its
    # permissions (Django's auth backend), the rest is the same page.
    settings.DEBUG = False


if __name__ == "__main__":
    main()
