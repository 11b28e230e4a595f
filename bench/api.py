"""Work order API throughput against a large data set on PostgreSQL, with the floor beside it.

    .venv/bin/python bench/api.py                      # short run: 3 rounds of 2 s per case
    .venv/bin/python bench/api.py --rounds 5 --duration 10 --size 100000 --threads 6

Serves the app with gunicorn (2 sync workers, 127.0.0.1:8141, DEBUG off) on its own database
(`jobsite_h4_bench`, filled with `load_demo_data` up to --size work orders the first time), then
drives it from this process (threads, http.client) and prints requests/s, p50 and p99 for:

- floor:  a bare Django view doing one raw UPDATE of the same row (bench-only urlconf),
- put:    PUT /api/v1/workorders/{id} with a seed-004 body that changes the description,
- put-unchanged: the same PUT sent again (nothing to write),
- detail: GET /api/v1/workorders/{id},
- list:   GET /api/v1/workorders?page=N (50 a page, N in 1..20).

The machine is shared: compare each case's ratio to the floor measured in the same run."""

import argparse
import http.client
import json
import random
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import (
    gunicorn,
    percentile,
    planner_token,
    prepare_database,
    work_order_bodies,
)

# What plain DRF reached per request of the floor (PERFORMANCE.md), and the goals (issue 16, at
# 1,000,000 work orders), as ratios.
PLAIN_DRF = {"put": 130 / 950, "detail": 250 / 950, "list": 58 / 950}
GOALS = {"put": 0.32, "detail": 0.55, "list": 0.25}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=100_000, help="work orders in the database")
    parser.add_argument(
        "--duration", type=float, default=2.0, help="seconds measured per case and round"
    )
    parser.add_argument("--rounds", type=int, default=3, help="turns each case takes")
    parser.add_argument("--warmup", type=float, default=0.5, help="seconds before measuring")
    parser.add_argument("--threads", type=int, default=4, help="concurrent connections")
    parser.add_argument("--port", type=int, default=8141)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--database", default="jobsite_h4_bench")
    parser.add_argument("--cases", default="floor,put,put-unchanged,detail,list")
    args = parser.parse_args()

    env = prepare_database(database=args.database, size=args.size)
    token, bodies = _prepare(threads=args.threads)

    with gunicorn(port=args.port, workers=args.workers, env=env):
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        cases = args.cases.split(",")
        rounds = {case: [] for case in cases}
        # Cases take turns in short rounds, so a burst of load from elsewhere on the shared
        # machine hits them alike and the ratios to the floor stay fair.
        for _ in range(args.rounds):
            for case in cases:
                rounds[case].append(_run_case(case, args, headers, bodies))
        results = {case: _merge(parts) for case, parts in rounds.items()}
    _report(results, args)


def _prepare(*, threads: int):
    """A token for the BE01 planner and, per thread, seed-004 bodies of its own work orders."""
    token, planner = planner_token()
    rows = work_order_bodies(user=planner, count=threads * 16)
    return token, [rows[t::threads] for t in range(threads)]


def _request_for(case: str, rows: list[dict], n: int, rng: random.Random):
    row = rows[n % len(rows)]
    if case == "floor":
        return "PUT", f"/bench/floor/{row['id']}", b""
    if case == "put":
        body = {**row, "description": f"bench {rng.random()}"}
        return "PUT", f"/api/v1/workorders/{row['id']}", json.dumps(body).encode()
    if case == "put-unchanged":
        return "PUT", f"/api/v1/workorders/{row['id']}", json.dumps(row).encode()
    if case == "detail":
        return "GET", f"/api/v1/workorders/{row['id']}", None
    if case == "list":
        return "GET", f"/api/v1/workorders?page={rng.randint(1, 20)}", None
    raise SystemExit(f"unknown case {case}")


def _run_case(case: str, args, headers, bodies) -> dict:
    stop_at = [0.0]
    measure_from = [0.0]
    latencies: list[list[float]] = [[] for _ in range(args.threads)]
    failures = [0] * args.threads
    first_failure: list[str] = []

    def worker(t: int) -> None:
        rng = random.Random(t)
        conn = http.client.HTTPConnection("127.0.0.1", args.port, timeout=30)
        rows = bodies[t]
        n = 0
        while True:
            now = time.perf_counter()
            if now >= stop_at[0]:
                break
            method, path, body = _request_for(case, rows, n, rng)
            n += 1
            started = time.perf_counter()
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            payload = response.read()
            elapsed = time.perf_counter() - started
            if response.status >= 300:
                failures[t] += 1
                if not first_failure:
                    first_failure.append(f"{response.status} {payload[:300]!r}")
            if started >= measure_from[0]:
                latencies[t].append(elapsed)
        conn.close()

    if case == "put-unchanged":  # make each row's stored state equal to its body first
        conn = http.client.HTTPConnection("127.0.0.1", args.port, timeout=30)
        for row in (row for rows in bodies for row in rows):
            conn.request("PUT", f"/api/v1/workorders/{row['id']}", json.dumps(row), headers)
            conn.getresponse().read()
        conn.close()
    start = time.perf_counter()
    measure_from[0] = start + args.warmup
    stop_at[0] = measure_from[0] + args.duration
    threads = [threading.Thread(target=worker, args=(t,)) for t in range(args.threads)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {
        "samples": [x for per in latencies for x in per],
        "seconds": args.duration,
        "failures": sum(failures),
        "first_failure": first_failure[0] if first_failure else "",
    }


def _merge(parts: list[dict]) -> dict:
    samples = sorted(x for part in parts for x in part["samples"])
    if not samples:
        raise SystemExit("no samples")
    return {
        "rps": len(samples) / sum(part["seconds"] for part in parts),
        "p50": percentile(samples, 50) * 1000,
        "p99": percentile(samples, 99) * 1000,
        "failures": sum(part["failures"] for part in parts),
        "first_failure": next((p["first_failure"] for p in parts if p["first_failure"]), ""),
    }


def _report(results: dict, args) -> None:
    floor = results.get("floor", {}).get("rps")
    print(
        f"\nWork order API, {args.size} work orders, gunicorn {args.workers} workers, "
        f"{args.threads} client threads, {args.rounds} rounds of {args.duration:g}s per case"
    )
    print(
        f"{'case':<14}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'x floor':>9}"
        f"{'goal x':>8}{'DRF x':>8}  failures"
    )
    for case, r in results.items():
        ratio = r["rps"] / floor if floor else float("nan")
        key = case.split("-")[0]
        goal = GOALS.get(key)
        drf = PLAIN_DRF.get(key)
        print(
            f"{case:<14}{r['rps']:>9.0f}{r['p50']:>9.1f}{r['p99']:>9.1f}{ratio:>9.2f}"
            f"{(f'{goal:.2f}' if goal and case != 'put-unchanged' else ''):>8}"
            f"{(f'{drf:.2f}' if drf and case != 'put-unchanged' else ''):>8}  {r['failures']}"
            + (f"  first: {r['first_failure']}" if r["failures"] else "")
        )
    print(
        "goal x: issue 16's goal; DRF x: plain DRF as a fraction of a ~950 req/s floor "
        "(PERFORMANCE.md); compare them with x floor."
    )


if __name__ == "__main__":
    main()
