"""The auto-plan (DESIGN "Scheduling"): a proposed plan for a selection of unplanned work orders,
from Google OR-Tools' routing solver warm-started by a greedy planner.

- `instance`: the problem in minutes and node numbers, with no database in it;
- `timing`: when a technician can start a visit (travel, lunch), shared by every planner;
- `greedy`: the simple and the best-insertion greedy planners (baselines and warm start);
- `solver`: the OR-Tools model;
- `checker`: an independent re-check of the hard constraints of any plan;
- `kpis`: what a plan achieves;
- `building`: an instance read from the database;
- `services`: the API job that solves, its result, and accepting all or part of it."""
