"""`python -m lstm_xor runs`: execute the run registry through papermill into the book.

Every registry entry (the package lstm_xor.reports: one module per report, plus
our own runs) becomes ``<book>/runs/<id>.ipynb``, an executed copy of
``notebooks/train.ipynb``, with its run record ``<id>.json`` beside it; the first
cell of each says what the run is, in the words of its report's module. Then the
summary notebooks of the book (the root page, ``intro.ipynb``, and each registry
part's) are re-executed against the records, and ``<book>/_toc.yml`` is written
from ``reports.PARTS`` to list the pages that exist: the root, one part per report
(its pages, then its run groups, each under its caption), and the scaling chapter.
The book build itself never executes anything.

Skipping. A run is done when its record carries the fingerprint of its parameters
and of the numerics version (``lstm_xor.NUMERICS_VERSION``, ``driver.fingerprint``: a change that
cannot move a number, a docstring say, re-runs nothing) and its notebook exists; done
runs are skipped unless ``--force``. The notebook and the record are written
atomically: papermill writes to a temporary path that is renamed when it succeeds,
and the record gets its fingerprint last, so an interrupted run never looks done.

Prefix sharing. Training is deterministic and ``train`` resumes from a checkpoint
whose done epochs agree with the new learning rates, so runs that share their first
epochs (all parameters equal except epochs, lr/lr_schedule and bookkeeping, and the
same rate in every shared epoch) compute them once. The plan orders the runs by
their number of epochs, starts each from the longest prefix an earlier run has
computed, and asks that earlier run to keep a checkpoint at that epoch
(``keep_epochs``). Checkpoints live in ``<book>/runs/.cache/checkpoints/<id>/``
(git-ignored). A run interrupted mid-way continues from its own last checkpoint.

Profiles. ``full`` is the report of record (the registry as written, 2 engines).
``quick`` runs every entry at toy scale (400 parity strings, 16 hidden units, at most 2
epochs, 1 engine; everything else as registered) into a separate book folder, so the
whole pipeline can be tested in minutes.
"""

import argparse
import hashlib
import json
import os
import shutil
import sys
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path

from lstm_xor import NUMERICS_VERSION, __version__, reports
from lstm_xor.optim import lr_at
from lstm_xor.publish import pages
from lstm_xor.publish.bookdir import BOOK, REPO, SUMMARIES, TEMPLATE, Book, seed_book, sources_hash, write_notebook
from lstm_xor.publish.plan import PROFILES, SHAREABLE, format_plan, plan, schedule
from lstm_xor.publish.toc import write_toc
from lstm_xor.records import atomic_write, read_json_or_none, read_record, write_record
from lstm_xor.tasks import get_task
from lstm_xor.train.loop import saved_config

# -- one run --------------------------------------------------------------------------------------

def is_done(book, step):
    path = book.record(step.id)
    if not (path.exists() and book.notebook(step.id).exists()):
        return False
    try:
        return read_record(path).get("driver", {}).get("fingerprint") == step.fingerprint
    except (OSError, ValueError):
        return False


def _checkpoint_meta(path):
    import numpy as np
    try:
        with np.load(path, allow_pickle=False) as z:
            return json.loads(str(z["meta"]))
    except Exception:  # a half-written or foreign file is simply not a candidate
        return None


def _compatible(meta, config, k):
    """Does the checkpoint (its meta) hold exactly the first k epochs of this configuration?"""
    if not meta or meta.get("epoch") != k or k >= config["epochs"]:
        return False
    saved = saved_config(meta)
    if any(saved.get(key) != value for key, value in config.items() if key not in SHAREABLE):
        return False
    rates = schedule(config)
    return meta["history"]["lr"][:k] == [lr_at(rates, e) for e in range(k)]


def find_start(book, step):
    """Where to start: ('own', k, meta) for an interrupted attempt with the same fingerprint,
    ('copy', k, path, run id, meta) for another run's kept checkpoint, or None for epoch 0.

    Any kept checkpoint of the current numerics version whose first k epochs are this
    run's first k epochs will do (the longest wins; the planned source among equals).
    """
    own_dir = book.checkpoints / step.id
    candidates = []
    if book.checkpoints.exists():
        for directory in sorted(book.checkpoints.iterdir()):
            stamp = read_json_or_none(directory / "fingerprint.json") or {}
            if directory == own_dir or stamp.get("numerics") != NUMERICS_VERSION:
                continue
            for path in directory.glob("checkpoint-*.npz"):
                k = path.stem.split("-", 1)[1]
                if k.isdigit() and 0 < int(k) < step.epochs:
                    planned = bool(step.source) and step.source == (directory.name, int(k))
                    candidates.append((int(k), planned, path, directory.name))
    best = None
    for k, _, path, run_id in sorted(candidates, key=lambda c: (c[0], c[1]), reverse=True):
        meta = _checkpoint_meta(path)
        if _compatible(meta, step.config, k):
            best = ("copy", k, path, run_id, meta)
            break
    if (read_json_or_none(own_dir / "fingerprint.json") or {}).get("fingerprint") == step.fingerprint:
        meta = _checkpoint_meta(own_dir / "checkpoint.npz")
        k = meta.get("epoch", 0) if meta else 0
        if k and _compatible(meta, step.config, k) and (best is None or k >= best[1]):
            return ("own", k, meta)
    return best


def _notebook_with_intro(template, text):
    import nbformat
    nb = nbformat.read(str(template), as_version=4)
    first = next(c for c in nb.cells if c.cell_type == "markdown")
    first.source = text
    return nb


def _fix_papermill_paths(path, input_path, output_path):
    """Papermill records the temporary paths it was given; record the real ones instead."""
    nb = json.loads(Path(path).read_text())
    meta = nb.get("metadata", {}).get("papermill")
    if meta is not None:
        meta["input_path"], meta["output_path"] = input_path, output_path
    return nb


def _kernel_manager(log_path):
    """A kernel manager whose kernel writes its own stdout/stderr (start-up notices, crashes) to log_path."""
    from jupyter_client import AsyncKernelManager

    class LoggedKernelManager(AsyncKernelManager):
        async def start_kernel(self, **kw):
            Path(log_path).parent.mkdir(parents=True, exist_ok=True)
            with open(log_path, "ab") as log:  # the kernel process keeps its own copy of the handle
                kw.setdefault("stdout", log)
                kw.setdefault("stderr", log)
                return await AsyncKernelManager.start_kernel(self, **kw)

    return LoggedKernelManager


def _execute(notebook, output, parameters, cwd, log_path, timeout=None):
    import papermill
    papermill.execute_notebook(notebook, str(output), parameters=parameters, kernel_name="python3",
                               progress_bar=False, log_output=False, cwd=str(cwd), execution_timeout=timeout,
                               kernel_manager_class=_kernel_manager(log_path))


def _relative(path):
    try:
        return Path(path).resolve().relative_to(REPO).as_posix()
    except ValueError:
        return Path(path).name


def _error_text(e):
    name = getattr(e, "ename", None)
    if name:
        return f"{name}: {getattr(e, 'evalue', '')}".strip()
    return f"{type(e).__name__}: {e}"


def execute_run(book, step, profile, template=TEMPLATE, timeout=None):
    """Execute one step; returns (status, message). Never raises for a run's own failure."""
    start = None if step.valid else find_start(book, step)
    own_dir = book.checkpoints / step.id
    if not (start and start[0] == "own"):
        shutil.rmtree(own_dir, ignore_errors=True)
    own_dir.mkdir(parents=True, exist_ok=True)
    stamp = {"run": step.id, "fingerprint": step.fingerprint, "numerics": NUMERICS_VERSION}
    atomic_write(own_dir / "fingerprint.json", lambda f: f.write(json.dumps(stamp).encode()))
    if start and start[0] == "copy":
        shutil.copyfile(start[2], own_dir / "checkpoint.npz")
    params = dict(step.config, metrics_path=f"{step.id}.json", checkpoint_dir=f".cache/checkpoints/{step.id}",
                  resume=bool(start), keep_epochs=",".join(map(str, sorted(step.keep))))
    tmp_dir = book.cache / "tmp"
    tmp_dir.mkdir(parents=True, exist_ok=True)
    tmp = tmp_dir / f"{step.id}.ipynb"
    record_path = book.record(step.id)
    t0 = time.perf_counter()
    try:
        log = book.cache / "logs" / f"{step.id}.log"
        log.unlink(missing_ok=True)
        _execute(_notebook_with_intro(template, pages.intro_cell(step.run, step.config, start)), tmp, params, book.runs,
                 log, timeout)
        record = read_record(record_path)
        if record.get("config", {}).get("metrics_path") != params["metrics_path"] or "driver" in record:
            raise RuntimeError(f"the notebook ran but wrote no new record at {record_path}")
    except Exception as e:  # a failed run is reported; the others go on
        failed = book.cache / "failed"
        failed.mkdir(parents=True, exist_ok=True)
        if tmp.exists():
            os.replace(tmp, failed / f"{step.id}.ipynb")
        if record_path.exists() and "driver" not in (read_json_or_none(record_path) or {"driver": 1}):
            os.replace(record_path, failed / f"{step.id}.json")  # a record without a finished notebook
        detail = _error_text(e)
        if not hasattr(e, "ename"):
            detail += "\n" + "".join(traceback.format_exception_only(type(e), e)).strip()
        return "failed", f"{detail.splitlines()[0]} (notebook: {_relative(failed / (step.id + '.ipynb'))})"
    seconds = time.perf_counter() - t0
    nb = _fix_papermill_paths(tmp, _relative(template), _relative(book.notebook(step.id)))
    resumed = None
    if start:
        resumed = {"run": step.id if start[0] == "own" else start[3], "epoch": start[1],
                   "wall_seconds": float(start[-1].get("wall", 0.0))}
    record["driver"] = {"run": step.id, "group": step.run.group, "profile": profile,
                        "fingerprint": step.fingerprint, "lstm_xor": __version__, "numerics": NUMERICS_VERSION,
                        "resumed_from": resumed,
                        "notebook_seconds": seconds, "finished": datetime.now(UTC).isoformat(timespec="seconds")}
    write_notebook(book.notebook(step.id), pages.finish(nb, step.run, record))
    tmp.unlink()
    write_record(record_path, record)
    os.chmod(record_path, 0o644)
    status = record["status"]
    test = record.get("test") or {}
    how = f"from {resumed['run']} @ {resumed['epoch']}, " if resumed else ""
    message = (f"{record['epochs_completed']} epochs ({how}{_duration(seconds)}), {status}"
               + (f", {get_task(step.config['task']).summary(test)}" if test else ""))
    return "ok", message


def _duration(seconds):
    if seconds < 120:
        return f"{seconds:.1f} s"
    if seconds < 7200:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.2f} h"


# -- summaries ------------------------------------------------------------------------------------

def _summary_stamp(book, profile, runs):
    h = hashlib.sha256(f"{__version__} {profile}".encode())
    here = Path(__file__).parents[1]
    # The code the summary pages call: the generic tables, the driver, every report's registry and tables.
    for path in [here / "render.py", Path(__file__), *sorted((here / "reports").rglob("*.py"))]:
        h.update(path.relative_to(here).as_posix().encode() + path.read_bytes())
    for name in SUMMARIES:
        path = book.root / name
        h.update(sources_hash(path).encode() if path.exists() else b"-")
    for run in runs:
        path = book.record(run.id)
        h.update(run.id.encode() + (hashlib.sha256(path.read_bytes()).digest() if path.exists() else b"-"))
    return h.hexdigest()


def execute_summaries(book, profile, runs, force=False, out=print):
    """Re-execute the summary notebooks when a record (or a summary) changed; returns the failures."""
    # Committed beside the summaries (not in the ignored cache), so a fresh clone of
    # an up-to-date book re-executes nothing.
    stamp_path = book.root / "summary" / "stamp.json"
    stamp = _summary_stamp(book, profile, runs)
    if not force and (read_json_or_none(stamp_path) or {}).get("stamp") == stamp:
        return []
    failures = []
    for name in SUMMARIES:
        path = book.root / name
        if not path.exists():
            continue
        tmp = book.cache / "tmp" / Path(name).name
        tmp.parent.mkdir(parents=True, exist_ok=True)
        runs_dir = os.path.relpath(book.runs, path.parent)
        t0 = time.perf_counter()
        try:
            _execute(str(path), tmp, dict(runs_dir=runs_dir, profile=profile), path.parent,
                     book.cache / "logs" / f"summary-{Path(name).stem}.log")
        except Exception as e:
            failures.append(name)
            out(f"[FAILED ] summary {name}: {_error_text(e).splitlines()[0]}")
            continue
        rel = (Path("book") / name).as_posix() if book.root == BOOK.resolve() else name
        nb = _fix_papermill_paths(tmp, rel, rel)
        write_notebook(path, nb)
        tmp.unlink()
        out(f"[summary] {name} ({_duration(time.perf_counter() - t0)})")
    if not failures:
        atomic_write(stamp_path, lambda f: f.write(json.dumps({"stamp": stamp}).encode()))
    return failures


# -- the whole set --------------------------------------------------------------------------------

def run_all(profile="full", only=None, engines=None, force=False, book=None, runs=None, summaries=True,
            template=TEMPLATE, out=None, timeout=None, summaries_only=False):
    """Execute the plan (or the runs named in ``only``); returns {run id: (status, message)}.

    status: 'ok', 'skipped' (already done with these parameters) or 'failed'.
    """
    from tqdm.auto import tqdm

    runs = reports.RUNS if runs is None else runs
    steps = plan(runs, profile, engines)
    known = {s.id for s in steps}
    if only:
        unknown = [i for i in only if i not in known]
        if unknown:
            raise ValueError(f"unknown run id(s) {', '.join(unknown)}; see --plan for the ids")
        steps = [s for s in steps if s.id in set(only)]
    book = Book(book or PROFILES[profile]["book"])
    seed_book(book)
    book.runs.mkdir(parents=True, exist_ok=True)
    if summaries_only:
        steps = []
    results = {}
    bar = tqdm(steps, desc=f"{profile} runs", unit="run", file=sys.stderr, dynamic_ncols=True)
    write = out or bar.write
    for step in bar:
        bar.set_postfix_str(step.id)
        if not force and is_done(book, step):
            results[step.id] = ("skipped", "done with these parameters")
            write(f"[skipped] {step.id}")
            continue
        t0 = time.perf_counter()
        status, message = execute_run(book, step, profile, template, timeout)
        results[step.id] = (status, message)
        label = "ok" if status == "ok" else "FAILED"
        write(f"[{label:<7}] {step.id}: {message}" + ("" if status == "ok" else
                                                     f" after {_duration(time.perf_counter() - t0)}"))
    bar.close()
    pages.refresh(book, runs, write_notebook)
    write_toc(book, runs)
    if summaries:
        for name in execute_summaries(book, profile, runs, force, out=write):
            results[f"summary:{name}"] = ("failed", "summary notebook failed")
    return results


def add_arguments(parser):
    parser.description = __doc__.split("\n\n")[0]
    parser.add_argument("--profile", choices=sorted(PROFILES), default="full",
                        help="full: the report of record into book/; quick: every run at toy scale into "
                             "build/quick/book (default: full)")
    parser.add_argument("--only", nargs="+", metavar="ID", help="run only these registry ids (see --plan)")
    parser.add_argument("--engines", type=int, default=None,
                        help="MPI engines per run (default: 2 for full, 1 for quick)")
    parser.add_argument("--force", action="store_true", help="re-execute runs that are already done")
    parser.add_argument("--plan", action="store_true",
                        help="print the execution plan (order, shared prefixes, epochs) and exit")
    parser.add_argument("--book", default=None, help="the book folder to write into (default: per profile)")
    parser.add_argument("--no-summaries", dest="summaries", action="store_false",
                        help="do not re-execute the summary notebooks")
    parser.add_argument("--summaries-only", action="store_true",
                        help="run nothing: only rewrite _toc.yml and re-execute the summary notebooks")


def main(args):
    if isinstance(args, list | tuple):
        parser = argparse.ArgumentParser(prog="python -m lstm_xor runs")
        add_arguments(parser)
        args = parser.parse_args(args)
    if args.plan:
        steps = plan(profile=args.profile, engines=args.engines)
        if args.only:
            steps = [s for s in steps if s.id in set(args.only)]
        print(format_plan(steps, args.profile))
        return 0
    t0 = time.perf_counter()
    results = run_all(args.profile, args.only, args.engines, args.force, args.book, summaries=args.summaries,
                      summaries_only=args.summaries_only)
    counts = {k: sum(1 for s, _ in results.values() if s == k) for k in ("ok", "skipped", "failed")}
    print(f"{counts['ok']} run, {counts['skipped']} skipped, {counts['failed']} failed "
          f"in {_duration(time.perf_counter() - t0)}")
    failed = [k for k, (s, _) in results.items() if s == "failed"]
    if failed:
        print("failed: " + ", ".join(failed), file=sys.stderr)
        return 1
    return 0

