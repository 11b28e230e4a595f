"""The auto-plan's speed and quality on reproducible generated instances (no database): for each
case and seed, the OR-Tools solver (warm-started by the best-insertion greedy, guided local
search) beside the two greedy baselines. Each planner runs in a process of its own, so its peak
RSS is its own. Hard violations are re-checked by autoplan.checker, independent of the planners.

    .venv/bin/python bench/autoplan.py                  # make bench-autoplan
    .venv/bin/python bench/autoplan.py --seeds 1 2 --cases small

Goals (issue 18): 1,000 × 40 × 5 days within 30 s wall, ≥ 15% more planned than the simple
greedy, ≥ 20% less travel per planned, ≥ as many planned as best insertion with less total
travel; 200 × 10 × 5 days within 10 s, ≥ 20% less total travel than best insertion."""

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from workorders.scheduling.autoplan import checker, greedy, result, solver  # noqa: E402
from workorders.scheduling.autoplan.generated import generated  # noqa: E402

CASES = {"small": (200, 10, 10.0), "large": (1000, 40, 30.0)}  # visits, technicians, limit s
PLANNERS = ("simple greedy", "best insertion", "OR-Tools")


def run_one(case: str, seed: int, planner: str, limit: float) -> dict:
    visits, technicians, _ = CASES[case]
    instance = generated(seed=seed, visits=visits, technicians=technicians)
    began = time.monotonic()
    if planner == "simple greedy":
        routes = greedy.simple_greedy(instance)
    elif planner == "best insertion":
        routes = greedy.best_insertion(instance)
    else:
        routes = solver.solve(instance, time_limit=limit).routes
    seconds = time.monotonic() - began
    plan = result.plan_of(instance, routes)
    found = checker.violations(
        instance, [(p.visit, p.technician, p.start) for p in plan.placements]
    )
    return {
        **result.kpis(instance, plan),
        "violations": len(found),
        "seconds": round(seconds, 2),
        "rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--cases", nargs="+", choices=sorted(CASES), default=["small", "large"])
    parser.add_argument("--limit", type=float, help="The solver's wall limit (default per case).")
    parser.add_argument(
        "--one", nargs=3, metavar=("CASE", "SEED", "PLANNER"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.one:
        case, seed, planner = args.one
        limit = args.limit or CASES[case][2]
        print(json.dumps(run_one(case, int(seed), planner, limit)))
        return
    print("Machine shared with other work while measured: figures are noisy.")
    header = f"{'case':<18}{'seed':>5} {'planner':<15}{'planned':>8}{'unpl.':>6}{'km':>9}"
    header += f"{'km/pl.':>8}{'viol.':>6}{'s':>7}{'RSS MB':>8}"
    for case in args.cases:
        visits, technicians, default_limit = CASES[case]
        limit = args.limit or default_limit
        print(
            f"\n{visits} work orders × {technicians} technicians × 5 days, solver limit {limit:g} s"
        )
        print(header)
        for seed in args.seeds:
            rows = {}
            for planner in PLANNERS:
                out = subprocess.run(
                    [
                        sys.executable,
                        __file__,
                        "--one",
                        case,
                        str(seed),
                        planner,
                        "--limit",
                        str(limit),
                    ],
                    capture_output=True,
                    text=True,
                    check=True,
                )
                row = rows[planner] = json.loads(out.stdout.strip().splitlines()[-1])
                print(
                    f"{case:<18}{seed:>5} {planner:<15}{row['planned']:>8}{row['unplanned']:>6}"
                    f"{row['travel_km']:>9,.0f}{row['travel_km_per_planned']:>8.1f}"
                    f"{row['violations']:>6}{row['seconds']:>7.1f}{row['rss_mb']:>8}"
                )
            print("   " + verdict(case, rows, limit))


def verdict(case: str, rows: dict, limit: float) -> str:
    simple, best, ours = rows["simple greedy"], rows["best insertion"], rows["OR-Tools"]
    more = ours["planned"] / simple["planned"] - 1
    per = 1 - ours["travel_km_per_planned"] / simple["travel_km_per_planned"]
    total = 1 - ours["travel_km"] / best["travel_km"]
    checks = [f"wall {ours['seconds']:.1f} s {'ok' if ours['seconds'] <= limit else 'OVER'}"]
    if case == "large":
        checks += [
            f"planned +{more:.0%} vs simple {'ok' if more >= 0.15 else 'MISSED'}",
            f"km/planned -{per:.0%} vs simple {'ok' if per >= 0.20 else 'MISSED'}",
            f"planned {ours['planned']} vs best insertion {best['planned']} "
            f"{'ok' if ours['planned'] >= best['planned'] else 'MISSED'}",
            f"total km -{total:.0%} vs best insertion {'ok' if total > 0 else 'MISSED'}",
        ]
    else:
        checks += [
            f"total km -{total:.0%} vs best insertion {'ok' if total >= 0.20 else 'MISSED'}",
            f"planned {ours['planned']} vs best insertion {best['planned']}",
        ]
    checks.append(
        "violations 0 ok" if not any(r["violations"] for r in rows.values()) else "VIOLATIONS"
    )
    return "; ".join(checks)


if __name__ == "__main__":
    main()
