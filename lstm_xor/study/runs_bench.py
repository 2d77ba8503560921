"""`python -m lstm_xor.study.runs_bench`: what running runs at once gains, measured (a benchmark, not a test).

One command executes the same set of quick-profile runs (independent ones: no run waits for
another's prefix) into scratch books, forced: once at ``--jobs 1``, once at ``--jobs N`` and, with
``--cluster slurm``, once through Slurm (a cluster must be up: ``tests/slurm/cluster.sh``). It
prints each wall time, the speed-up over ``--jobs 1``, Slurm's overhead per job (the wall time
over the last ``--jobs N``'s, per wave of N jobs: a one-node cluster of N CPUs runs N one-task jobs at
once, so give the cores last),
and whether every record equals the one-at-a-time record (numbers, fingerprint; times and
environment aside).
"""

import argparse
import json
import shutil
import tempfile
import time
from fnmatch import fnmatchcase
from pathlib import Path

from lstm_xor.launch import cores
from lstm_xor.publish.plan import plan
from lstm_xor.render import seconds_text


def numbers(record):
    """What two executions of one run must agree on: the record less its times, environment and driver stamp,
    with the fingerprint."""
    record = json.loads(json.dumps(record))
    for key in ("wall_seconds", "environment"):
        record.pop(key, None)
    record["history"].pop("epoch_seconds", None)
    return record, record.pop("driver")["fingerprint"]


def independent(patterns, k):
    """The ids of the first k quick-profile runs matching ``patterns`` that start from no other run's prefix."""
    steps = [s for s in plan(profile="quick") if not s.valid and not s.source
             and any(fnmatchcase(s.id, p) for p in patterns)]
    if len(steps) < k:
        raise ValueError(f"--runs {k}: only {len(steps)} independent quick runs match {' '.join(patterns)}")
    return [s.id for s in steps[:k]]


def execute(ids, book, jobs, cluster=None):
    """(wall seconds, {id: record}) of the runs executed into a fresh book."""
    from lstm_xor.publish.driver import run_all
    shutil.rmtree(book, ignore_errors=True)
    t0 = time.perf_counter()
    results = run_all("quick", only=ids, book=book, summaries=False, jobs=jobs, force=True, out=lambda line: None,
                      cluster=cluster)
    wall = time.perf_counter() - t0
    failed = {i: m for i, (s, m) in results.items() if s != "ok"}
    if failed:
        raise RuntimeError(f"runs failed: {failed}")
    return wall, {i: json.loads((Path(book) / "runs" / f"{i}.json").read_text()) for i in ids}


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m lstm_xor.study.runs_bench", description=__doc__.split("\n")[0])
    parser.add_argument("--jobs", type=int, nargs="+", default=[cores()],
                        help=f"runs at once, one or more values, each measured (default: the cores, {cores()})")
    parser.add_argument("--runs", type=int, default=10, help="how many runs (default 10)")
    parser.add_argument("--only", nargs="+", default=["bptt-*", "fc-*", "add-*"],
                        help="shell patterns the runs are taken from, in plan order")
    parser.add_argument("--cluster", choices=("slurm",), default=None, help="also through this batch system")
    parser.add_argument("--scratch", default=None, help="where the scratch books go (default: a temporary folder)")
    args = parser.parse_args(argv)
    ids = independent(args.only, args.runs)
    scratch = Path(args.scratch or tempfile.mkdtemp(prefix="runs-bench-"))
    print(f"{len(ids)} quick runs on {cores()} cores: {' '.join(ids)}", flush=True)
    walls, records = {}, {}
    for jobs in [1] + [j for j in args.jobs if j != 1]:
        label = f"--jobs {jobs}"
        walls[label], records[label] = execute(ids, scratch / label.replace(" ", ""), jobs)
        print(f"{label}: {seconds_text(walls[label], 1)}"
              + (f", speed-up {walls['--jobs 1'] / walls[label]:.2f}x over --jobs 1" if jobs != 1 else ""), flush=True)
    if args.cluster:
        from lstm_xor.publish.cluster import SlurmRuns

        def slurm(book, out):
            return SlurmRuns(book, out=out)
        walls["slurm"], records["slurm"] = execute(ids, scratch / "slurm", None, slurm)
        # a one-node cluster runs as many one-task jobs at once as --jobs runs here (its CPUs: the cores), so each
        # of the K / N waves of jobs costs its overhead once
        n = args.jobs[-1]
        overhead = (walls["slurm"] - walls[f"--jobs {n}"]) * n / len(ids)
        print(f"slurm: {seconds_text(walls['slurm'], 1)}; overhead per job about {overhead:.2f} s ((slurm - "
              f"--jobs {n}) x {n} / {len(ids)} runs)", flush=True)
    base = {i: numbers(r) for i, r in records["--jobs 1"].items()}
    for label, recs in records.items():
        same = [i for i in ids if numbers(recs[i]) == base[i]]
        print(f"records at {label} equal to --jobs 1's: {len(same)} of {len(ids)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
