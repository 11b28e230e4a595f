"""Mixed load: many API clients reading and writing at once against gunicorn on PostgreSQL.

    .venv/bin/python bench/load.py                            # 60 s, 16 clients, 100k work orders
    .venv/bin/python bench/load.py --seconds 20 --clients 8   # quicker
    .venv/bin/python bench/load.py --weights list=1,put-suggested=1

Serves the app as in production (gunicorn, 2 sync workers, DEBUG off, a secret key, a `db_worker`
beside it) on 127.0.0.1:8140 and its own database (`jobsite_load_bench`, filled with
`load_demo_data` up to --size work orders the first time). Then, from this process, --clients
threads (one keep-alive http.client connection each, no pause between requests) send a weighted
mix for --seconds as the BE01 planner's token:

- list:            GET /api/v1/workorders, a page with a filter (status, technician, due dates,
                   ordering, a search word, or none),
- detail:          GET /api/v1/workorders/{id},
- put:             PUT /api/v1/workorders/{id}, the work order with another description,
- put-suggested:   PUT as Suggested with a technician and a start (the rule plans or moves it),
- fulfillment-put: PUT /api/v1/Fulfillment/Job, a new job (or a change of one of the client's),
- start:           POST /api/v1/jobs/all_scopes/start_progress on a job the client created,
- complete:        POST /api/v1/jobs/all_scopes/complete on a job the client started,
- plannings:       GET /api/v1/plannings, a technician's week,
- api-jobs:        GET /api/v1/api-jobs and one API job.

Every client writes its own work orders and jobs, so every request is valid: any answer but 2xx
is an error. It prints the total, requests/s, p50/p90/p99 overall and per kind, the errors by
status, and exits 1 on any error.

Two baselines from the same run and the same clients come first (--baseline-seconds each):
the generator's ceiling (a minimal HTTP responder in another process: what this load generator
can send at most on this machine) and the floor (a bare Django view doing one raw UPDATE, behind
the same gunicorn). The machine is shared: compare the mix with them, not with other runs."""

import argparse
import collections
import datetime
import http.client
import json
import random
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import (
    PYTHON,
    gunicorn,
    percentile,
    planner_token,
    prepare_database,
    wait_for,
    work_order_bodies,
)

WEIGHTS = {
    "list": 25,
    "detail": 25,
    "put": 15,
    "put-suggested": 10,
    "fulfillment-put": 8,
    "start": 5,
    "complete": 5,
    "plannings": 4,
    "api-jobs": 3,
}
ROWS_PER_CLIENT = 40
P50_GOAL_MS = 100

# A minimal HTTP/1.1 keep-alive responder: the generator's ceiling is measured against it.
RESPONDER = """
import asyncio, sys
async def serve(reader, writer):
    try:
        while True:
            head = await reader.readuntil(b"\\r\\n\\r\\n")
            for line in head.split(b"\\r\\n"):
                if line.lower().startswith(b"content-length:"):
                    await reader.readexactly(int(line.split(b":")[1]))
            writer.write(b"HTTP/1.1 200 OK\\r\\nContent-Length: 2\\r\\n\\r\\n{}")
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        writer.close()
async def main():
    server = await asyncio.start_server(serve, "127.0.0.1", int(sys.argv[1]))
    await server.serve_forever()
asyncio.run(main())
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="length of the mixed load")
    parser.add_argument("--clients", type=int, default=16, help="concurrent connections")
    parser.add_argument(
        "--weights",
        default="",
        help="kind=weight,... over the defaults (0 leaves a kind out): "
        + ",".join(f"{k}={v}" for k, v in WEIGHTS.items()),
    )
    parser.add_argument("--size", type=int, default=100_000, help="work orders in the database")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument("--port", type=int, default=8140)
    parser.add_argument("--responder-port", type=int, default=8142)
    parser.add_argument(
        "--baseline-seconds", type=float, default=5.0, help="ceiling and floor, each (0: skip)"
    )
    parser.add_argument("--database", default="jobsite_load_bench")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    weights = _weights(args.weights)

    env = prepare_database(database=args.database, size=args.size)
    fixture = _fixture(clients=args.clients)

    ceiling = floor = None
    if args.baseline_seconds:
        ceiling = _ceiling(args)
    with gunicorn(port=args.port, workers=args.workers, env=env, worker_process=True):
        fixture["api_job"] = _queue_api_job(args.port, fixture)
        if args.baseline_seconds:
            floor = _drive(
                args.port,
                args.clients,
                args.baseline_seconds,
                lambda t: _FloorClient(fixture["bodies"][t]),
                fixture["headers"],
            )
        clients = [
            _MixClient(t, fixture, weights, random.Random(args.seed * 1000 + t))
            for t in range(args.clients)
        ]
        result = _drive(
            args.port, args.clients, args.seconds, lambda t: clients[t], fixture["headers"]
        )
    errors = _report(args, weights, result, ceiling, floor)
    sys.exit(1 if errors else 0)


def _weights(spec: str) -> dict[str, int]:
    weights = dict(WEIGHTS)
    for part in filter(None, spec.split(",")):
        kind, _, value = part.partition("=")
        if kind not in WEIGHTS or not value.isdigit():
            raise SystemExit(
                f"--weights: '{part}' is not kind=integer, kinds: {', '.join(WEIGHTS)}"
            )
        weights[kind] = int(value)
    weights = {kind: w for kind, w in weights.items() if w > 0}
    if not weights:
        raise SystemExit("--weights: every weight is 0")
    return weights


def _fixture(*, clients: int) -> dict:
    """The planner's token and what each client writes: its own work orders (ToBePlanned ones,
    so that Suggested is a valid move for them), the technicians and companies of BE01."""
    from jobs.models import StatusNumber
    from jobsite.models import Company, User

    token, planner = planner_token()
    org = planner.sales_organization
    rows = work_order_bodies(
        user=planner,
        count=clients * ROWS_PER_CLIENT,
        job_status__number=StatusNumber.TO_BE_PLANNED,
    )
    if len(rows) < clients * ROWS_PER_CLIENT:
        raise SystemExit(f"only {len(rows)} ToBePlanned work orders: raise --size")
    return {
        "headers": {"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        "bodies": [rows[t::clients] for t in range(clients)],
        "technicians": list(
            User.objects.filter(sales_organization=org, is_technician=True).values_list(
                "code", flat=True
            )
        ),
        "company_id2s": list(
            Company.objects.filter(sales_organization=org).values_list("id2", flat=True)[:50]
        ),
        "planner_id2": planner.id2,
    }


def _queue_api_job(port: int, fixture: dict) -> str:
    """One small bulk upsert (its work orders unchanged), so that api-jobs has a job to read."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    records = [row for rows in fixture["bodies"] for row in rows[:1]][:5]
    conn.request(
        "POST", "/api/v1/workorders/bulk", json.dumps(records).encode(), fixture["headers"]
    )
    response = conn.getresponse()
    payload = response.read()
    conn.close()
    if response.status != 202:
        raise SystemExit(f"bulk upsert: {response.status} {payload[:300]!r}")
    return json.loads(payload)["id"]


class _FloorClient:
    """The floor: a bare view doing one raw UPDATE of the client's rows in turn."""

    def __init__(self, rows):
        self.rows, self.n = rows, 0

    def next_request(self):
        self.n += 1
        return "floor", "PUT", f"/bench/floor/{self.rows[self.n % len(self.rows)]['id']}", b""

    def answered(self, kind, status, payload):
        pass


class _CeilingClient(_FloorClient):
    def next_request(self):
        return "ceiling", "GET", "/", None


class _MixClient:
    """One API client: picks a kind by weight and keeps what its writes answered (the work
    orders' current bodies, the jobs to start and to complete)."""

    def __init__(self, t: int, fixture: dict, weights: dict, rng: random.Random):
        self.t, self.rng, self.fixture = t, rng, fixture
        self.kinds, self.weights = list(weights), list(weights.values())
        self.rows = {row["id"]: row for row in fixture["bodies"][t]}
        self.jobs: list[str] = []  # identifiers of the jobs this client created
        self.to_start: list[str] = []
        self.to_complete: list[str] = []
        self.pending: dict = {}

    def next_request(self):
        kind = self.rng.choices(self.kinds, self.weights)[0]
        if kind == "complete" and not self.to_complete:
            kind = "start"
        if kind == "start" and not self.to_start:
            kind = "fulfillment-put"
        return (kind, *getattr(self, "_" + kind.replace("-", "_"))())

    def answered(self, kind, status, payload):
        if status >= 300:
            return
        if kind in ("put", "put-suggested"):
            row = json.loads(payload)
            self.rows[row["id"]] = row
        elif kind == "fulfillment-put" and self.pending.get("new"):
            self.jobs.append(self.pending["new"])
            self.to_start.append(self.pending["new"])
        elif kind == "start":
            self.to_complete.append(self.pending["job"])

    def _row(self) -> dict:
        return self.rows[self.rng.choice(list(self.rows))]

    def _list(self):
        rng = self.rng
        today = datetime.date.today()
        query = rng.choice(
            [
                "",
                f"job_status_code={rng.choice(['ToBePlanned', 'Suggested', 'Completed'])}",
                f"suggested_user_code={rng.choice(self.fixture['technicians'])}",
                f"due_date_from={today}&due_date_to={today + datetime.timedelta(days=30)}",
                "ordering=-modified_dateutc",
                "ordering=due_date&job_status_code=ToBePlanned",
                f"search={rng.choice(['boiler', 'pump', 'lift', 'Gent', 'ERP'])}",
            ]
        )
        # A search, or the completed work of freshly loaded demo data (only what lies behind the
        # day it was loaded), may fill less than a page: its first page then; the others have
        # pages to spare.
        narrow = query.startswith(("search", "job_status_code=Completed"))
        page = 1 if narrow else rng.randint(1, 5)
        return "GET", f"/api/v1/workorders?page={page}&{query}", None

    def _detail(self):
        return "GET", f"/api/v1/workorders/{self._row()['id']}", None

    def _put(self):
        row = {**self._row(), "description": f"load {self.rng.random():.6f}"}
        return "PUT", f"/api/v1/workorders/{row['id']}", json.dumps(row).encode()

    def _put_suggested(self):
        start = datetime.datetime(2026, 12, 1, 8, tzinfo=datetime.UTC) + datetime.timedelta(
            days=self.rng.randrange(60), minutes=30 * self.rng.randrange(16)
        )
        row = {
            **self._row(),
            # Codes rather than ids: an id beside a code must name the same record.
            "job_status_id": None,
            "suggested_user_id": None,
            "job_status_code": "Suggested",
            "suggested_user_code": self.rng.choice(self.fixture["technicians"]),
            "suggested_date_start": start.isoformat(),
        }
        return "PUT", f"/api/v1/workorders/{row['id']}", json.dumps(row).encode()

    def _fulfillment_put(self):
        body = {
            "jobTypeId": "Unknown",
            "clientId": self.rng.choice(self.fixture["company_id2s"]),
            "requestingUserId": self.fixture["planner_id2"],
            "percentComplete": self.rng.randrange(100),
            "notes": f"load {self.rng.random():.6f}",
        }
        if self.jobs and self.rng.random() < 0.3:  # change one of ours, keeping its status
            self.pending = {"new": None}
            body["jobIdentifier"] = self.rng.choice(self.jobs)
        else:
            self.pending = {"new": str(uuid.uuid4())}
            body.update(jobIdentifier=self.pending["new"], jobStatusId=0)
        return "PUT", "/api/v1/Fulfillment/Job", json.dumps(body).encode()

    def _start(self):
        job = self.to_start.pop(self.rng.randrange(len(self.to_start)))
        self.pending = {"job": job}
        body = {"job_identifier": {"id": job}, "fields_set": "id,number,life_cycle_state"}
        return "POST", "/api/v1/jobs/all_scopes/start_progress", json.dumps(body).encode()

    def _complete(self):
        job = self.to_complete.pop(self.rng.randrange(len(self.to_complete)))
        body = {
            "job_identifier": {"id": job},
            "performed_on": datetime.datetime.now(datetime.UTC).isoformat(),
        }
        return "POST", "/api/v1/jobs/all_scopes/complete", json.dumps(body).encode()

    def _plannings(self):
        day = datetime.date(2026, 12, 1) + datetime.timedelta(days=7 * self.rng.randrange(8))
        user = self.rng.choice(self.fixture["technicians"])
        query = f"user_code={user}&date_from={day}&date_to={day + datetime.timedelta(days=7)}"
        return "GET", f"/api/v1/plannings?{query}", None

    def _api_jobs(self):
        if self.rng.random() < 0.5:
            return "GET", "/api/v1/api-jobs?page=1", None
        return "GET", f"/api/v1/api-jobs/{self.fixture['api_job']}", None


def _drive(port: int, clients: int, seconds: float, make_client, headers) -> dict:
    """Runs `clients` threads for `seconds`, each sending its client's next request as soon as
    the previous one is answered. Returns (kind, status, seconds) samples and the first answer
    of each failing status."""
    stop_at = time.perf_counter() + seconds
    samples: list[list[tuple]] = [[] for _ in range(clients)]
    first_errors: dict = {}

    def run(t: int) -> None:
        client = make_client(t)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        out = samples[t]
        while time.perf_counter() < stop_at:
            kind, method, path, body = client.next_request()
            started = time.perf_counter()
            try:
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                payload = response.read()
                status = response.status
            except (OSError, http.client.HTTPException) as exc:
                status, payload = "connection", repr(exc).encode()
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            out.append((kind, status, time.perf_counter() - started))
            if status == "connection" or status >= 300:
                first_errors.setdefault(
                    status, f"{kind} {method} {path}: {payload[:300].decode(errors='replace')}"
                )
            client.answered(kind, status if isinstance(status, int) else 599, payload)
        conn.close()

    began, cpu = time.perf_counter(), time.process_time()
    threads = [threading.Thread(target=run, args=(t,)) for t in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {
        "samples": [s for per in samples for s in per],
        "seconds": time.perf_counter() - began,
        "generator_cpu": (time.process_time() - cpu) / (time.perf_counter() - began),
        "first_errors": first_errors,
    }


def _ceiling(args) -> dict:
    responder = subprocess.Popen([PYTHON, "-c", RESPONDER, str(args.responder_port)])
    try:
        wait_for(args.responder_port, "/")
        return _drive(
            args.responder_port,
            args.clients,
            args.baseline_seconds,
            lambda t: _CeilingClient([]),
            {},
        )
    finally:
        responder.terminate()
        responder.wait(timeout=10)


def _line(label: str, latencies: list[float], seconds: float, errors: int) -> str:
    latencies.sort()
    p50, p90, p99 = (percentile(latencies, q) * 1000 for q in (50, 90, 99))
    return (
        f"{label:<16}{len(latencies):>9}{len(latencies) / seconds:>9.1f}"
        f"{p50:>9.1f}{p90:>9.1f}{p99:>9.1f}{errors:>8}"
    )


def _report(args, weights, result, ceiling, floor) -> int:
    samples, seconds = result["samples"], result["seconds"]
    by_kind = collections.defaultdict(list)
    errors_by_kind = collections.Counter()
    errors_by_status = collections.Counter()
    for kind, status, elapsed in samples:
        by_kind[kind].append(elapsed)
        if status == "connection" or status >= 300:
            errors_by_kind[kind] += 1
            errors_by_status[status] += 1
    total_rps = len(samples) / seconds
    print(
        f"\nMixed load: {args.clients} clients for {seconds:.1f}s, gunicorn {args.workers} sync "
        f"workers + db_worker, PostgreSQL, {args.size} work orders"
    )
    print("weights: " + ", ".join(f"{k}={v}" for k, v in weights.items()))
    header = f"{'kind':<16}{'requests':>9}{'req/s':>9}{'p50 ms':>9}{'p90 ms':>9}{'p99 ms':>9}"
    print(header + f"{'errors':>8}")
    for kind in WEIGHTS:  # a start or complete with nothing to move sends another kind
        if by_kind.get(kind):
            print(_line(kind, by_kind[kind], seconds, errors_by_kind[kind]))
    print(_line("all", [s[2] for s in samples], seconds, sum(errors_by_kind.values())))
    p50 = percentile(sorted(s[2] for s in samples), 50) * 1000
    print(f"goal (issue 16, 16 clients): p50 <= {P50_GOAL_MS} ms; measured {p50:.1f} ms")
    print(f"load generator: {result['generator_cpu']:.0%} of a core during the mix")
    for label, base in (("generator ceiling", ceiling), ("floor", floor)):
        if base:
            rps = len(base["samples"]) / base["seconds"]
            p50 = percentile(sorted(s[2] for s in base["samples"]), 50) * 1000
            failed = sum(1 for s in base["samples"] if s[1] == "connection" or s[1] >= 300)
            print(
                f"{label}: {rps:.0f} req/s (p50 {p50:.1f} ms, {failed} errors); "
                f"the mix is {total_rps / rps:.3f} of it"
            )
    if errors_by_status:
        print("errors by status: " + ", ".join(f"{s}: {n}" for s, n in errors_by_status.items()))
        for status, first in result["first_errors"].items():
            print(f"  first {status}: {first}")
    else:
        print("errors: 0")
    return sum(errors_by_status.values())


if __name__ == "__main__":
    main()
