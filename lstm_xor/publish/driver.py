"""`python -m lstm_xor runs`: execute the run registry through papermill into the book.

Every registry entry (the package lstm_xor.reports: one module per report, plus
our own runs) becomes ``<book>/runs/<id>.ipynb``, an executed copy of
``notebooks/train.ipynb`` made into the run's page (``publish.pages``), with its run
record ``<id>.json`` beside it (``publish.execute``). Then ``<book>/_toc.yml`` is written
and the summary notebooks of the book (the root page, ``intro.ipynb``, and each registry
part's) whose inputs changed are re-executed (``publish.summaries``). The toc is made
from ``reports.PARTS`` to list the pages that exist: the root, one part per report
(its pages, then its run groups, each under its caption), and the scaling chapter.
The book build itself never executes anything.

Skipping. A run is done when its record carries the fingerprint of its parameters
and of the numerics version (``lstm_xor.NUMERICS_VERSION``, ``plan.fingerprint``: a change that
cannot move a number, a docstring say, re-runs nothing) and its notebook exists; done
runs are skipped unless ``--force``. A stale run (``publish.status``: a corrupt record, named,
another fingerprint, a missing notebook) is re-run with a line saying why; ``--plan`` shows
each run's state and what `make book` would run.

Prefix sharing. Training is deterministic and ``train`` resumes from a checkpoint
whose done epochs agree with the new learning rates, so runs that share their first
epochs compute them once (``publish.plan``): each starts from the longest prefix an
earlier run has computed, which keeps a checkpoint at that epoch (``keep_epochs``).
Checkpoints live in ``<book>/runs/.cache/checkpoints/<id>/`` (git-ignored). A run
interrupted mid-way continues from its own last checkpoint.

Runs at once. ``--jobs N`` (default: as many as the cores hold, cores // engines) executes up
to N runs at once, each its own papermill kernel (``publish.pool``): a run that starts from
another's kept checkpoint waits until that run has finished, the others take free slots longest
first; each record is the one a sequential run writes. ``--plan`` adds what the plan costs at
those jobs (``publish.costs``).

Profiles. ``full`` is the report of record (the registry as written, 2 engines).
``quick`` runs every entry at toy scale (400 parity strings, 16 hidden units, at most 2
epochs, 1 engine; everything else as registered) into a separate book folder, so the
whole pipeline can be tested in minutes.
"""

import argparse
import signal
import sys
import time
from fnmatch import fnmatchcase

from lstm_xor import reports
from lstm_xor.launch import cores
from lstm_xor.publish.bookdir import TEMPLATE, Book, seed_book
from lstm_xor.publish.cluster import CLUSTERS, SlurmRuns
from lstm_xor.publish.costs import cost_lines, seconds_per_run
from lstm_xor.publish.execute import epochs_done, execute_run, local
from lstm_xor.publish.plan import PROFILES, format_plan, plan
from lstm_xor.publish.pool import Pool, locked
from lstm_xor.publish.status import run_state
from lstm_xor.publish.summaries import execute_summaries
from lstm_xor.publish.toc import write_toc
from lstm_xor.render import seconds_text
from lstm_xor.reports import underway as studies


def select(steps, only):
    """The steps whose ids match any of ``only`` (ids or shell patterns); ValueError naming one that matches none."""
    if not only:
        return steps
    unmatched = [p for p in only if not any(fnmatchcase(s.id, p) for s in steps)]
    if unmatched:
        raise ValueError(f"no run matches {', '.join(unmatched)}; see --plan for the ids")
    return [s for s in steps if any(fnmatchcase(s.id, p) for p in only)]


def _to_run(book, steps, force, write):
    """The steps to execute, saying which are skipped (done) and why a stale one is re-run; the skipped results."""
    todo, skipped = [], {}
    for step in steps:
        state, why = run_state(book, step)
        if not force and state == "done":
            skipped[step.id] = ("skipped", "done with these parameters")
            write(f"[skipped] {step.id}")
            continue
        if state == "stale":
            write(f"[re-run ] {step.id}: {why}")
        todo.append(step)
    return todo, skipped


def run_all(profile="full", only=None, engines=None, force=False, book=None, runs=None, summaries=True,
            template=TEMPLATE, out=None, timeout=None, summaries_only=False, jobs=1, cluster=None):
    """Execute the plan (or the runs named in ``only``), up to ``jobs`` at once; returns {run id: (status, message)}.

    status: 'ok', 'skipped' (already done with these parameters) or 'failed'. The summaries whose inputs
    changed are re-executed after the runs (every one with ``force`` and ``summaries_only``). ``cluster``:
    a function of the book and ``out`` giving the executor of ``publish.cluster`` (None: here).
    """
    runs = reports.RUNS if runs is None else runs
    registry = runs  # a summary reads every record of its part, a study under way included: its stamp hashes them all
    if not only:  # `make book`: the studies still being executed are left out (reports.underway)
        runs = [run for run in runs if not studies.underway(run.id)]
    steps = [] if summaries_only else select(plan(runs, profile, engines), only)
    book = Book(book or PROFILES[profile]["book"])
    with book.locked():
        seed_book(book)
        book.runs.mkdir(parents=True, exist_ok=True)
        write = locked(out or (lambda line: print(line, flush=True)))
        todo, results = _to_run(book, steps, force, write)

        def run_one(step, executor):
            return execute_run(book, step, profile, template, timeout, force, write, executor)

        results.update(_execute(book, steps, todo, run_one, jobs, cluster, write))
        write_toc(book, runs)
        if summaries:
            for name in execute_summaries(book, profile, registry, force and summaries_only, out=write):
                results[f"summary:{name}"] = ("failed", "summary notebook failed")
    return results


def _execute(book, steps, todo, run_one, jobs, cluster, write):
    """Execute ``todo`` here or on the cluster, up to ``jobs`` at once; their results."""
    executor = cluster(book, write) if cluster and todo else None
    if executor:
        executor.cancel_leftovers()
        jobs = jobs or len(todo)  # by default every ready run is submitted: the cluster queues them
    seconds, estimated = seconds_per_run(book, steps)
    try:
        return Pool(todo, seconds, max(jobs or 1, 1), lambda step: run_one(step, executor or local), write, estimated,
                    progress=lambda step: epochs_done(book, step)).run()
    finally:
        if executor:
            executor.close()


def add_arguments(parser):
    """The flags of `python -m lstm_xor runs`."""
    parser.description = __doc__.split("\n\n")[0]
    parser.add_argument("--profile", choices=sorted(PROFILES), default="full",
                        help="full: the report of record into book/; quick: every run at toy scale into "
                             "build/quick/book (default: full)")
    parser.add_argument("--only", nargs="+", metavar="ID",
                        help="run only these registry ids or shell patterns ('bptt-*'; see --plan)")
    parser.add_argument("--underway", action="store_true",
                        help="run the studies still being executed, which `make book` leaves out (the patterns in "
                             "lstm_xor/reports/underway.py); resumes what an ended session left")
    parser.add_argument("--jobs", type=int, default=None,
                        help=f"runs executed at once (default: as many as the cores hold, {cores()} cores // the "
                             "engines per run; with --cluster every run that is ready; 1: one after another in "
                             "plan order)")
    parser.add_argument("--cluster", choices=CLUSTERS, default=None,
                        help="submit each run as a job of this batch system instead of running it here "
                             "(the book's folder must be on a filesystem the nodes share)")
    parser.add_argument("--partition", default=None, help="with --cluster slurm: the partition (default: Slurm's)")
    parser.add_argument("--time", dest="time_limit", default=None,
                        help="with --cluster slurm: each job's time limit, as sbatch --time takes it (e.g. 2:00:00)")
    parser.add_argument("--engines", type=int, default=None,
                        help="MPI engines per run (default: 2 for full, 1 for quick)")
    parser.add_argument("--force", action="store_true", help="re-execute runs that are already done")
    parser.add_argument("--plan", action="store_true",
                        help="print the execution plan (order, shared prefixes, epochs) and exit")
    parser.add_argument("--book", default=None, help="the book folder to write into (default: per profile)")
    parser.add_argument("--no-summaries", dest="summaries", action="store_false",
                        help="do not re-execute the summary notebooks")
    parser.add_argument("--summaries-only", action="store_true",
                        help="run nothing: only rewrite _toc.yml and re-execute the summary notebooks whose "
                             "inputs changed (with --force: every one)")


def _print_plan(args, jobs, engines):
    steps = select(plan(profile=args.profile, engines=args.engines), args.only)
    book = Book(args.book or PROFILES[args.profile]["book"])
    states = {s.id: run_state(book, s) for s in steps}
    if not args.only:  # what `make book` runs: not the studies still being executed
        states.update({i: ("underway", "a study still being executed: not in make book")
                       for i, (state, _) in states.items() if state != "done" and studies.underway(i)})
    slots = jobs if not args.cluster or args.jobs else None  # a cluster: every run that is ready
    cores_here = None if args.cluster else cores()
    print(format_plan(steps, args.profile, states,
                      cost_lines(book, steps, states, slots, args.force, engines, cores_here)))


def oversubscribed(jobs, engines):
    """The warning when jobs x engines processes exceed the cores, else None."""
    if jobs * engines <= cores():
        return None
    return (f"warning: {jobs} jobs x {engines} engines = {jobs * engines} processes on {cores()} cores: "
            "the runs will share cores and each go slower")


def _interrupted(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def main(args):
    """`python -m lstm_xor runs` with parsed arguments (or a list of them); the exit status."""
    if isinstance(args, list | tuple):
        parser = argparse.ArgumentParser(prog="python -m lstm_xor runs")
        add_arguments(parser)
        args = parser.parse_args(args)
    engines = args.engines or PROFILES[args.profile]["engines"]
    jobs = max(args.jobs or cores() // engines, 1)  # by default no core runs two processes
    if args.underway:
        if args.only:
            raise ValueError("--underway and --only: choose one")
        if not studies.UNDERWAY:
            raise ValueError("--underway: no study is under way (lstm_xor/reports/underway.py lists none)")
        args.only = list(studies.UNDERWAY)
    if args.cluster is None and (args.partition or args.time_limit):
        raise ValueError("--partition and --time go with --cluster slurm")
    if args.plan:
        _print_plan(args, jobs, engines)
        return 0
    warning = None if args.cluster else oversubscribed(jobs, engines)
    if warning:
        print(warning, file=sys.stderr)
    cluster = None
    if args.cluster:
        def cluster(book, out):
            return SlurmRuns(book, args.partition, args.time_limit, out)
        # a driver stopped by SIGTERM cancels its jobs, as after Ctrl-C, rather than leave them running
        previous = signal.signal(signal.SIGTERM, _interrupted)
    t0 = time.perf_counter()
    try:
        results = run_all(args.profile, args.only, args.engines, args.force, args.book, summaries=args.summaries,
                          summaries_only=args.summaries_only, jobs=args.jobs if args.cluster else jobs,
                          cluster=cluster)
    finally:
        if args.cluster:
            signal.signal(signal.SIGTERM, previous)
    counts = {k: sum(1 for s, _ in results.values() if s == k) for k in ("ok", "skipped", "failed")}
    print(f"{counts['ok']} run, {counts['skipped']} skipped, {counts['failed']} failed "
          f"in {seconds_text(time.perf_counter() - t0, 1)}")
    failed = [k for k, (s, _) in results.items() if s == "failed"]
    if failed:
        print("failed: " + ", ".join(failed), file=sys.stderr)
        return 1
    return 0
