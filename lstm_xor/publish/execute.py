"""Executing one run: where it starts (an interrupted attempt, another run's kept checkpoint, or epoch 0),
its page through papermill, its record stamped by the driver, and a failure put aside.

Nothing committed is touched until the run is whole: the notebook trains with its record
going to ``<book>/runs/.cache/tmp/<id>.json`` and papermill writes the page there too;
then the page is written into place, and last the record with the driver's stamp (its
fingerprint), each by an atomic rename. A driver killed at any moment leaves the
committed record and page as they were (or whole new ones), and an interrupted run never
looks done. A run resumes from its own checkpoint only when its last attempt was
interrupted in training: never with ``--force``, never from a finished attempt.
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
from lstm_xor.publish.bookdir import TEMPLATE, shown, write_notebook
from lstm_xor.publish.plan import SHAREABLE, schedule
from lstm_xor.records import atomic_write, read_json_or_none, read_record, write_record
from lstm_xor.render import count, seconds_text
from lstm_xor.tasks import get_task
from lstm_xor.train.history import rising
from lstm_xor.train.resume import saved_config

# -- where a run starts ---------------------------------------------------------------------------

def checkpoint_meta(path):
    """A checkpoint's meta (its epoch, history, config), or None for a half-written or foreign file."""
    import numpy as np
    try:
        with np.load(path, allow_pickle=False) as z:
            return json.loads(str(z["meta"]))
    except Exception:  # a half-written or foreign file is simply not a candidate
        return None


def epochs_done(book, step):
    """The epochs a running run has finished so far, from its own last checkpoint (0 before the first)."""
    meta = checkpoint_meta(book.checkpoints / step.id / "checkpoint.npz")
    return meta.get("epoch", 0) if meta else 0


def _compatible(meta, config, k):
    """Does the checkpoint (its meta) hold exactly the first k epochs of this configuration?"""
    if not meta or meta.get("epoch") != k or k >= config["epochs"]:
        return False
    saved = saved_config(meta)
    if any(saved.get(key) != value for key, value in config.items() if key not in SHAREABLE):
        return False
    rates = schedule(config)
    losses = meta["history"]["epoch_loss"][:k]
    if any(rising(losses[:e], config["stop_patience"]) for e in range(1, k + 1)):
        return False  # this run's own stop rule would have ended it within those epochs: it cannot continue them
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


def _interrupted(book, step, force):
    """Was this run's last attempt, with its fingerprint, interrupted in training (and not forced anew)?"""
    stamp = read_json_or_none(book.checkpoints / step.id / "fingerprint.json") or {}
    # a record in tmp: the last attempt's training ended (its checkpoint is a finished state, not a prefix)
    return (not force and stamp.get("fingerprint") == step.fingerprint and stamp.get("finished") is False
            and not book.tmp_record(step.id).exists())


def find_start(book, step, force=False):
    """(where to start, a note or ''): ('own', k, meta) for an interrupted attempt with the same fingerprint,
    ('copy', k, path, run id, meta) for another run's kept checkpoint, or None for epoch 0.

    Any kept checkpoint of the current numerics version whose first k epochs are this
    run's first k epochs will do (the longest wins; the planned source among equals).
    The note names an own checkpoint that cannot be read, and where the run starts instead.
    """
    best = None
    for k, _, path, run_id in sorted(_kept_checkpoints(book, step), key=lambda c: (c[0], c[1]), reverse=True):
        meta = checkpoint_meta(path)
        if _compatible(meta, step.config, k):
            best = ("copy", k, path, run_id, meta)
            break
    own = book.checkpoints / step.id / "checkpoint.npz"
    if not (_interrupted(book, step, force) and own.exists()):
        return best, ""
    meta = checkpoint_meta(own)
    if meta is None:
        instead = f"{best[3]}'s kept checkpoint after epoch {best[1]}" if best else "epoch 0"
        return best, f"checkpoint {shown(own)} is truncated or corrupt: starting from {instead}"
    k = meta.get("epoch", 0)
    if k and _compatible(meta, step.config, k) and (best is None or k >= best[1]):
        return ("own", k, meta), ""
    return best, ""


def _stamp_checkpoints(book, step, finished):
    """Stamp the run's own checkpoint folder with its fingerprint, and whether the attempt finished."""
    stamp = {"run": step.id, "fingerprint": step.fingerprint, "numerics": NUMERICS_VERSION, "finished": finished}
    atomic_write(book.checkpoints / step.id / "fingerprint.json", lambda f: f.write(json.dumps(stamp).encode()))


def _prepare_checkpoints(book, step, start):
    """The run's own checkpoint folder, stamped as an attempt in progress, holding the checkpoint it starts from;
    no record of an earlier attempt in tmp."""
    own_dir = book.checkpoints / step.id
    if not (start and start[0] == "own"):
        shutil.rmtree(own_dir, ignore_errors=True)
    own_dir.mkdir(parents=True, exist_ok=True)
    _stamp_checkpoints(book, step, False)
    if start and start[0] == "copy":
        shutil.copyfile(start[2], own_dir / "checkpoint.npz")
    book.tmp.mkdir(parents=True, exist_ok=True)
    book.tmp_record(step.id).unlink(missing_ok=True)


# -- papermill ------------------------------------------------------------------------------------

def _kernel_manager(log_path, cwd):
    """A kernel manager whose kernel runs in ``cwd`` and writes its own stdout/stderr (start-up notices, crashes)
    to log_path."""
    from jupyter_client import AsyncKernelManager

    class LoggedKernelManager(AsyncKernelManager):
        async def start_kernel(self, **kw):
            Path(log_path).parent.mkdir(parents=True, exist_ok=True)
            with open(log_path, "ab") as log:  # the kernel process keeps its own copy of the handle
                kw.setdefault("stdout", log)
                kw.setdefault("stderr", log)
                kw["cwd"] = str(cwd)
                return await AsyncKernelManager.start_kernel(self, **kw)

    return LoggedKernelManager


def papermill_execute(notebook, output, cwd, log_path, parameters=None, timeout=None):
    """Execute a notebook (a path or a NotebookNode) into ``output``; progress bars keep no widget state."""
    import papermill

    # The kernel is started in cwd rather than papermill's cwd=, which changes this whole process's directory:
    # runs executed at once (publish.pool) would then start their kernels wherever the last one left it.
    papermill.execute_notebook(notebook, str(output), parameters=parameters, kernel_name="python3",
                               progress_bar=False, log_output=False, execution_timeout=timeout,
                               kernel_manager_class=_kernel_manager(log_path, cwd), store_widget_state=False)


def executed(path, input_path, output_path):
    """The executed notebook at ``path``, naming the real paths where papermill recorded temporary ones."""
    nb = json.loads(Path(path).read_text())
    meta = nb.get("metadata", {}).get("papermill")
    if meta is not None:
        meta["input_path"], meta["output_path"] = input_path, output_path
    return nb


def relative(path):
    """The path from the repository's root (its name, outside the repository)."""
    text = shown(path)
    return Path(path).name if os.path.isabs(text) else text


def error_text(e):
    """A failed cell's 'Name: value', or the exception's."""
    name = getattr(e, "ename", None)
    if name:
        return f"{name}: {getattr(e, 'evalue', '')}".strip()
    return f"{type(e).__name__}: {e}"


# -- one run --------------------------------------------------------------------------------------

def _put_aside(book, step, tmp, e):
    """Move a failed run's notebook and record (from tmp) to the cache; its message."""
    failed = book.cache / "failed"
    failed.mkdir(parents=True, exist_ok=True)
    for path, suffix in ((tmp, ".ipynb"), (book.tmp_record(step.id), ".json")):
        if path.exists():
            os.replace(path, failed / f"{step.id}{suffix}")
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
    return (f"{count(record['epochs_completed'], 'epoch')} ({how}{seconds_text(seconds, 1)}), {record['status']}"
            + (f", {get_task(step.config['task']).summary(test)}" if test else ""))


def _finish(book, step, record, tmp, template):
    """Move the whole run into place: its page, then its stamped record (the mark of a done run)."""
    write_notebook(book.notebook(step.id), executed(tmp, relative(template), relative(book.notebook(step.id))))
    record["config"]["metrics_path"] = book.record(step.id).name  # the committed record names where it lives
    write_record(book.record(step.id), record)
    tmp.unlink()
    book.tmp_record(step.id).unlink()
    _stamp_checkpoints(book, step, True)


def local(notebook, output, cwd, log, timeout, step):
    """Execute a run's page here, in a kernel of this machine."""
    papermill_execute(notebook, output, cwd, log, timeout=timeout)


def execute_run(book, step, profile, template=TEMPLATE, timeout=None, force=False, out=print, executor=local):
    """Execute one step; returns (status, message). Never raises for a run's own failure. ``force``: never from
    the run's own checkpoint; ``out`` hears of a checkpoint that could not be read; ``executor`` executes the
    page (``local``, or a cluster's: ``publish.cluster``)."""
    start, note = (None, "") if step.valid else find_start(book, step, force)
    if note:
        out(f"[note   ] {step.id}: {note}")
    try:
        _prepare_checkpoints(book, step, start)
    except FileNotFoundError:  # the kept checkpoint went with its run's folder: that run began again (--force)
        out(f"[note   ] {step.id}: {start[3]}'s kept checkpoint after epoch {start[1]} was removed as it was "
            "about to be copied: starting from epoch 0")
        start = None
        _prepare_checkpoints(book, step, start)
    values = dict(step.config, metrics_path=os.path.relpath(book.tmp_record(step.id), book.runs),
                  checkpoint_dir=f".cache/checkpoints/{step.id}", resume=bool(start),
                  keep_epochs=",".join(map(str, sorted(step.keep))))
    tmp = book.tmp / f"{step.id}.ipynb"
    t0 = time.perf_counter()
    try:
        log = book.cache / "logs" / f"{step.id}.log"
        log.unlink(missing_ok=True)
        executor(pages.run_page(template, step.run, values, start), tmp, book.runs, log, timeout, step)
        record = read_record(book.tmp_record(step.id))
        if record.get("config", {}).get("metrics_path") != values["metrics_path"] or "driver" in record:
            raise RuntimeError(f"the notebook ran but wrote no new record at {book.tmp_record(step.id)}")
    except Exception as e:  # a failed run is reported; the others go on
        return "failed", _put_aside(book, step, tmp, e)
    seconds = time.perf_counter() - t0
    _finish(book, step, _stamp(record, step, profile, start, seconds), tmp, template)
    return "ok", _message(record, step, seconds)
