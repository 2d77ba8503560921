"""`python -m lstm_xor verify`: re-execute a sample of the book's runs from scratch and compare with their records.

Each selected run is re-executed the way the driver executes it (``publish.execute``: its
page through papermill, with the engines its record names) into a scratch book folder,
from epoch 0 for all its epochs, also when the driver made it from another run's
checkpoint (training is deterministic, which prefix sharing relies on). It runs under the
kernels its record names where this CPU has them, and must then give the same numbers;
elsewhere within a drift tolerance (``publish.compare``). A record whose fingerprint is not
what the code computes now for its registry entry fails without a re-run.
"""

import argparse
import contextlib
import os
import random
import shutil
import sys
import time

from lstm_xor import reports
from lstm_xor.publish.bookdir import BOOK, REPO, Book, shown
from lstm_xor.publish.compare import compare, kernel_plan, table
from lstm_xor.publish.execute import execute_run
from lstm_xor.publish.plan import Step, fingerprint, profile_config
from lstm_xor.publish.status import read_checked, run_state
from lstm_xor.records import read_record
from lstm_xor.render import seconds_text
from lstm_xor.reports.underway import underway

SCRATCH = REPO / "build" / "verify"  # the re-executed book, cleared when verify starts
BUDGET = 15 * 60  # seconds the default selection is estimated to take: a reader's coffee


# -- which runs --------------------------------------------------------------------------------------

def estimate(record):
    """Seconds a re-run from scratch takes, by its record: its notebook's time and that of the epochs it resumed."""
    driver = record["driver"]
    return driver["notebook_seconds"] + (driver.get("resumed_from") or {}).get("wall_seconds", 0.0)


def load_records(book):
    """{run id: record} of the registry runs whose record the book holds and can read (with a driver stamp)."""
    records = {}
    for run in reports.RUNS:
        record, _ = read_checked(book.record(run.id))
        if record and record.get("driver"):
            records[run.id] = record
    return records


def default_selection(records, budget=BUDGET):
    """The cheapest recorded run of each group of each part, cheapest first, as many as the budget holds."""
    cheapest = []
    for part in reports.PARTS:
        for group in part.groups:
            held = [run.id for run in group.runs if run.id in records]
            if held:
                cheapest.append(min(held, key=lambda i: estimate(records[i])))
    chosen, total = [], 0.0
    for run_id in sorted(cheapest, key=lambda i: estimate(records[i])):
        if total + estimate(records[run_id]) <= budget:
            chosen.append(run_id)
            total += estimate(records[run_id])
    return chosen


def sample(ids, k, seed):
    """k of the ids drawn with this seed (the same k ids for the same seed), in the order given."""
    drawn = set(random.Random(seed).sample(list(ids), min(k, len(ids))))
    return [i for i in ids if i in drawn]


def select(records, only=None, k=None, seed=0):
    """The run ids to verify: those named in ``only`` (registry ids), or every run without a readable record
    and then k drawn from the recorded ones or the default selection."""
    if only:
        unknown = [i for i in only if i not in reports.BY_ID]
        if unknown:
            raise ValueError(f"unknown run id(s) {', '.join(unknown)}; see `runs --plan` for the ids")
        return list(only)
    # a registry run without a readable record is named and fails, whatever the sample: the book is not whole
    # (a study still being executed is not yet in it: reports.underway)
    broken = [run.id for run in reports.RUNS if run.id not in records and not underway(run.id)]
    if k:
        return broken + sample([run.id for run in reports.RUNS if run.id in records], k, seed)
    return broken + default_selection(records)


# -- one run -----------------------------------------------------------------------------------------

def unreadable(path):
    """Why a registry run's record is not among those verified: missing, corrupt, or without the driver's stamp."""
    if not path.exists():
        return f"no record at {shown(path)}"
    return read_checked(path)[1] or f"record {shown(path)} has no driver stamp (an interrupted run)"


def step_for(run, record):
    """The plan's step of the run as its record was made (profile, engines), alone: no source, nothing kept."""
    config = profile_config(run, record["driver"]["profile"], record["environment"]["engines"])
    return Step(run, config, fingerprint(config))


def stale(book, step, record):
    """Why the book's record is not what the code computes now for its registry entry; '' when it is."""
    state, why = run_state(book, step)
    if state != "done":
        return why
    if fingerprint(record["config"]) != step.fingerprint:
        return f"its config does not give its fingerprint {step.fingerprint} (edited by hand?)"
    return ""


@contextlib.contextmanager
def environ(env):
    """os.environ replaced by ``env`` for the processes started inside (a notebook's kernel, its MPI ranks)."""
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def rerun(scratch, step, profile):
    """Re-execute the step from epoch 0 into the scratch book through the driver; its new record."""
    shutil.rmtree(scratch.checkpoints, ignore_errors=True)  # no other run's checkpoint to start from either
    status, message = execute_run(scratch, step, profile, force=True, out=lambda line: None)
    if status != "ok":
        raise RuntimeError(f"the re-run failed: {message}")
    return read_record(scratch.record(step.id))


# -- comparing -----------------------------------------------------------------------------------------

# -- the command -----------------------------------------------------------------------------------------

def verify_run(book, scratch, run, record, out):
    """Check one run and print how; '' when it passes, else why it fails, in a few words."""
    step = step_for(run, record)
    why = stale(book, step, record)
    if why:
        out(f"    STALE, not re-run: {why}")
        return why
    env, exact, how = kernel_plan(record)
    out(f"    {how}")
    try:
        with environ(env):
            new = rerun(scratch, step, record["driver"]["profile"])
    except RuntimeError as e:
        out(f"    FAILED: {e}")
        return str(e)
    rows = compare(record, new, exact)
    out("\n".join(table(rows)))
    beyond = [name for name, *_, ok in rows if not ok]
    return f"{', '.join(beyond)} beyond tolerance" if beyond else ""


def verify(ids, records, book, scratch=SCRATCH, out=print):
    """Verify the runs named; {run id: why it failed} for those that fail."""
    shutil.rmtree(scratch, ignore_errors=True)
    scratch = Book(scratch)
    scratch.runs.mkdir(parents=True)
    left = sum(estimate(records[i]) for i in ids if i in records)
    spent = estimated = 0.0
    failed = {}
    for n, run_id in enumerate(ids, 1):
        run = reports.get(run_id)
        if run_id not in records:
            failed[run_id] = unreadable(book.record(run_id))
            out(f"[{n}/{len(ids)}] {run_id}: FAILED, {failed[run_id]}")
            continue
        guess = estimate(records[run_id])
        out(f"[{n}/{len(ids)}] {run_id} (report {reports.part_of(run).report}, {seconds_text(guess, 1)} by its record)")
        t0 = time.perf_counter()
        why = verify_run(book, scratch, run, records[run_id], out)
        took = time.perf_counter() - t0
        spent, estimated, left = spent + took, estimated + guess, left - guess
        if why:
            failed[run_id] = why
        pace = spent / estimated if estimated else 1.0  # this machine today against the records' machine then
        verdict = f"FAILED: {why}" if why else "ok"
        out(f"    {verdict} ({seconds_text(took, 1)}; about {seconds_text(left * pace, 1)} left)")
    return failed


def add_arguments(parser):
    """The flags of `python -m lstm_xor verify`."""
    parser.description = __doc__.split("\n\n")[0]
    parser.epilog = (f"Without --only or --sample: the cheapest run of each group of the book, as many as "
                     f"{BUDGET // 60} minutes hold by their records' times.")
    parser.add_argument("--only", nargs="+", metavar="ID", help="verify these runs (registry ids)")
    parser.add_argument("--sample", type=int, metavar="K", help="verify K runs drawn at random (see --seed)")
    parser.add_argument("--seed", type=int, default=0, help="the seed of --sample's draw (default: 0)")
    parser.add_argument("--book", default=str(BOOK), help="the book folder whose records are verified "
                                                          "(default: the repository's book/)")
    parser.add_argument("--dry-run", action="store_true",
                        help="list the selected runs and the time their records estimate, re-run nothing")


def main(args, scratch=SCRATCH, out=print):
    """`python -m lstm_xor verify` with parsed arguments (or a list of them); the exit status."""
    if isinstance(args, list | tuple):
        parser = argparse.ArgumentParser(prog="python -m lstm_xor verify")
        add_arguments(parser)
        args = parser.parse_args(args)
    book = Book(args.book)
    records = load_records(book)
    ids = select(records, args.only, args.sample, args.seed)
    total = sum(estimate(records[i]) for i in ids if i in records)
    out(f"verify: {len(ids)} run(s) of {book.root}, about {seconds_text(total, 1)} by their records "
        f"(re-executed into {scratch})")
    if args.dry_run:
        out("\n".join(f"  {i:<32}{seconds_text(estimate(records[i]), 1) if i in records else 'no record':>10}"
                      for i in ids))
        return 0
    t0 = time.perf_counter()
    failed = verify(ids, records, book, scratch, out)
    out(f"verified {len(ids)} run(s) in {seconds_text(time.perf_counter() - t0, 1)}: {len(ids) - len(failed)} agree"
        + (f", {len(failed)} failed: {', '.join(failed)}" if failed else ""))
    for run_id, why in failed.items():
        print(f"verify: {run_id}: {why}", file=sys.stderr)
    return 1 if failed else 0
