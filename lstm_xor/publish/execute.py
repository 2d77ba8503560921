"""Executing one run: where it starts (an interrupted attempt, another run's kept checkpoint, or epoch 0),
its page through papermill, its record stamped by the driver, and a failure put aside.

The notebook and the record are written atomically: papermill writes to a temporary
path that is renamed when it succeeds, and the record gets the driver's stamp (with the
run's fingerprint) last, so an interrupted run never looks done.
"""

import json
import os
import shutil
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path

from lstm_xor import NUMERICS_VERSION, __version__
from lstm_xor.optim import lr_at
from lstm_xor.publish import pages
from lstm_xor.publish.bookdir import REPO, TEMPLATE, write_notebook
from lstm_xor.publish.plan import SHAREABLE, schedule
from lstm_xor.records import atomic_write, read_json_or_none, read_record, write_record
from lstm_xor.tasks import get_task
from lstm_xor.train.resume import saved_config


def is_done(book, step):
    """Does the book hold this step's notebook and a record with its fingerprint?"""
    path = book.record(step.id)
    if not (path.exists() and book.notebook(step.id).exists()):
        return False
    try:
        return read_record(path).get("driver", {}).get("fingerprint") == step.fingerprint
    except (OSError, ValueError):
        return False


# -- where a run starts ---------------------------------------------------------------------------

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


def _kept_checkpoints(book, step):
    """(epoch, planned?, path, run id) of every other run's kept checkpoint of the current numerics."""
    own_dir = book.checkpoints / step.id
    candidates = []
    for directory in sorted(book.checkpoints.iterdir()) if book.checkpoints.exists() else []:
        stamp = read_json_or_none(directory / "fingerprint.json") or {}
        if directory == own_dir or stamp.get("numerics") != NUMERICS_VERSION:
            continue
        for path in directory.glob("checkpoint-*.npz"):
            k = path.stem.split("-", 1)[1]
            if k.isdigit() and 0 < int(k) < step.epochs:
                planned = bool(step.source) and step.source == (directory.name, int(k))
                candidates.append((int(k), planned, path, directory.name))
    return candidates


def find_start(book, step):
    """Where to start: ('own', k, meta) for an interrupted attempt with the same fingerprint,
    ('copy', k, path, run id, meta) for another run's kept checkpoint, or None for epoch 0.

    Any kept checkpoint of the current numerics version whose first k epochs are this
    run's first k epochs will do (the longest wins; the planned source among equals).
    """
    best = None
    for k, _, path, run_id in sorted(_kept_checkpoints(book, step), key=lambda c: (c[0], c[1]), reverse=True):
        meta = _checkpoint_meta(path)
        if _compatible(meta, step.config, k):
            best = ("copy", k, path, run_id, meta)
            break
    own_dir = book.checkpoints / step.id
    if (read_json_or_none(own_dir / "fingerprint.json") or {}).get("fingerprint") == step.fingerprint:
        meta = _checkpoint_meta(own_dir / "checkpoint.npz")
        k = meta.get("epoch", 0) if meta else 0
        if k and _compatible(meta, step.config, k) and (best is None or k >= best[1]):
            return ("own", k, meta)
    return best


def _prepare_checkpoints(book, step, start):
    """The run's own checkpoint folder, stamped with its fingerprint, holding the checkpoint it starts from."""
    own_dir = book.checkpoints / step.id
    if not (start and start[0] == "own"):
        shutil.rmtree(own_dir, ignore_errors=True)
    own_dir.mkdir(parents=True, exist_ok=True)
    stamp = {"run": step.id, "fingerprint": step.fingerprint, "numerics": NUMERICS_VERSION}
    atomic_write(own_dir / "fingerprint.json", lambda f: f.write(json.dumps(stamp).encode()))
    if start and start[0] == "copy":
        shutil.copyfile(start[2], own_dir / "checkpoint.npz")


# -- papermill ------------------------------------------------------------------------------------

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


def papermill_execute(notebook, output, cwd, log_path, parameters=None, timeout=None):
    """Execute a notebook (a path or a NotebookNode) into ``output``; progress bars keep no widget state."""
    import papermill
    papermill.execute_notebook(notebook, str(output), parameters=parameters, kernel_name="python3",
                               progress_bar=False, log_output=False, cwd=str(cwd), execution_timeout=timeout,
                               kernel_manager_class=_kernel_manager(log_path), store_widget_state=False)


def executed(path, input_path, output_path):
    """The executed notebook at ``path``, naming the real paths where papermill recorded temporary ones."""
    nb = json.loads(Path(path).read_text())
    meta = nb.get("metadata", {}).get("papermill")
    if meta is not None:
        meta["input_path"], meta["output_path"] = input_path, output_path
    return nb


def relative(path):
    """The path from the repository's root (its name, outside the repository)."""
    try:
        return Path(path).resolve().relative_to(REPO).as_posix()
    except ValueError:
        return Path(path).name


def error_text(e):
    """A failed cell's 'Name: value', or the exception's."""
    name = getattr(e, "ename", None)
    if name:
        return f"{name}: {getattr(e, 'evalue', '')}".strip()
    return f"{type(e).__name__}: {e}"


def duration(seconds):
    """'12.3 s', '4.5 min' or '1.25 h'."""
    if seconds < 120:
        return f"{seconds:.1f} s"
    if seconds < 7200:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.2f} h"


# -- one run --------------------------------------------------------------------------------------

def _put_aside(book, step, tmp, e):
    """Move a failed run's notebook (and a record without a finished notebook) to the cache; its message."""
    failed = book.cache / "failed"
    failed.mkdir(parents=True, exist_ok=True)
    if tmp.exists():
        os.replace(tmp, failed / f"{step.id}.ipynb")
    record_path = book.record(step.id)
    if record_path.exists() and "driver" not in (read_json_or_none(record_path) or {"driver": 1}):
        os.replace(record_path, failed / f"{step.id}.json")
    detail = error_text(e)
    if not hasattr(e, "ename"):
        detail += "\n" + "".join(traceback.format_exception_only(type(e), e)).strip()
    return f"{detail.splitlines()[0]} (notebook: {relative(failed / (step.id + '.ipynb'))})"


def _stamp(record, step, profile, start, seconds):
    """The driver's stamp on a finished record: its fingerprint, where it started, when it finished."""
    resumed = None
    if start:
        resumed = {"run": step.id if start[0] == "own" else start[3], "epoch": start[1],
                   "wall_seconds": float(start[-1].get("wall", 0.0))}
    record["driver"] = {"run": step.id, "group": step.run.group, "profile": profile,
                        "fingerprint": step.fingerprint, "lstm_xor": __version__, "numerics": NUMERICS_VERSION,
                        "resumed_from": resumed,
                        "notebook_seconds": seconds, "finished": datetime.now(UTC).isoformat(timespec="seconds")}
    return record


def _message(record, step, seconds):
    resumed = record["driver"]["resumed_from"]
    how = f"from {resumed['run']} @ {resumed['epoch']}, " if resumed else ""
    test = record.get("test") or {}
    return (f"{record['epochs_completed']} epochs ({how}{duration(seconds)}), {record['status']}"
            + (f", {get_task(step.config['task']).summary(test)}" if test else ""))


def execute_run(book, step, profile, template=TEMPLATE, timeout=None):
    """Execute one step; returns (status, message). Never raises for a run's own failure."""
    start = None if step.valid else find_start(book, step)
    _prepare_checkpoints(book, step, start)
    values = dict(step.config, metrics_path=f"{step.id}.json", checkpoint_dir=f".cache/checkpoints/{step.id}",
                  resume=bool(start), keep_epochs=",".join(map(str, sorted(step.keep))))
    tmp = book.cache / "tmp" / f"{step.id}.ipynb"
    tmp.parent.mkdir(parents=True, exist_ok=True)
    record_path = book.record(step.id)
    t0 = time.perf_counter()
    try:
        log = book.cache / "logs" / f"{step.id}.log"
        log.unlink(missing_ok=True)
        papermill_execute(pages.run_page(template, step.run, values, start), tmp, book.runs, log, timeout=timeout)
        record = read_record(record_path)
        if record.get("config", {}).get("metrics_path") != values["metrics_path"] or "driver" in record:
            raise RuntimeError(f"the notebook ran but wrote no new record at {record_path}")
    except Exception as e:  # a failed run is reported; the others go on
        return "failed", _put_aside(book, step, tmp, e)
    seconds = time.perf_counter() - t0
    write_notebook(book.notebook(step.id), executed(tmp, relative(template), relative(book.notebook(step.id))))
    tmp.unlink()
    write_record(record_path, _stamp(record, step, profile, start, seconds))
    os.chmod(record_path, 0o644)
    return "ok", _message(record, step, seconds)
