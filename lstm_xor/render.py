"""Generic figures and tables of the notebooks and the book (matplotlib imported lazily).

What holds for any task and any report: one run's history plot and summary, reading
the run records, links to run pages, number formatting, moving means, the totals of
what the records cost. A report's own tables and plots are beside its registry
entries (lstm_xor.reports.r000.tables, ...); this module imports no registry
module: the pages pass in the runs whose records they read.
"""

import numpy as np

from lstm_xor import NUMERICS_VERSION
from lstm_xor.nn.cells import CELLS

CELL_COLORS = dict(zip(CELLS, ("tab:blue", "tab:orange", "tab:green"), strict=True))  # a cell's colour in every plot


def _label(metric):
    return metric.replace("_", " ")


def test_metrics(record):
    """The task's per-epoch test metrics in a record's history (the loss apart)."""
    return [k[5:] for k in record["history"] if k.startswith("test_") and k != "test_loss"]


FEW = 3  # a history of at most this many epochs is drawn as points: a line between two points is no curve
ERROR_FLOOR = 0.3  # where 0 errors sit on a log axis of errors, a shaded row labelled "0"


def _log_plot(ax, x, y, style, **kw):
    """Positive values on a log axis; zeros (a loss that underflowed) as triangles on the axis' floor."""
    x, y = np.asarray(x), np.asarray(y, dtype=float)
    zero = y <= 0
    line, = ax.plot(x[~zero], y[~zero], style, **kw)
    if zero.any():
        floor = y[~zero].min() / 10 if (~zero).any() else 1e-12
        ax.plot(x[zero], np.full(zero.sum(), floor), "v", color=line.get_color(), ms=7,
                label="0 (underflow), drawn at the floor")
    return line


def errors_drawn(accuracies, n):
    """Test sequences wrong of n after each epoch, as drawn on error_axis: 0 at ERROR_FLOOR."""
    wrong = n - np.rint(np.asarray(accuracies, dtype=float) * n)
    return np.where(wrong > 0, wrong, ERROR_FLOOR)


def error_axis(ax, n):
    """A log axis of errors out of n, 0 at ERROR_FLOOR on a shaded row labelled "0" (a log axis has no 0)."""
    from matplotlib.ticker import FixedLocator, NullFormatter
    ax.set_yscale("log")
    ax.set_ylim(ERROR_FLOOR / 1.6, n * 1.6)
    decades = range(int(np.log10(n)) + 1)
    ticks = [ERROR_FLOOR] + [10.0 ** k for k in decades]
    ax.yaxis.set_major_locator(FixedLocator(ticks))
    ax.set_yticklabels(["0"] + [f"{t:,.0f}" for t in ticks[1:]])
    ax.yaxis.set_minor_locator(FixedLocator([m * 10.0 ** k for k in decades for m in range(2, 10)
                                             if m * 10.0 ** k < n]))
    ax.yaxis.set_minor_formatter(NullFormatter())
    ax.axhspan(ERROR_FLOOR / 1.6, np.sqrt(ERROR_FLOOR), color="0.93", zorder=0)  # the "0" row


def plot_history(record, smooth=50):
    """Loss per iteration (raw and smoothed), loss per epoch, the task's test metrics per epoch.

    Metrics that count test sequences (the task's ``counted``) are drawn as errors out of
    the test set's n on a log axis, 0 errors on the floor: accuracy flat at 1.0 says less.
    """
    import matplotlib.pyplot as plt

    from lstm_xor.tasks import get_task
    h = record["history"]
    counted = get_task(record["config"]["task"]).counted
    fig, axes = plt.subplots(1, 3, figsize=(14, 3.8))
    it = np.asarray(h["iteration_loss"], dtype=float)
    _log_plot(axes[0], np.arange(len(it)), it, "-", lw=0.5, alpha=0.4, label="per iteration")
    if len(it) >= smooth:
        _log_plot(axes[0], np.arange(smooth - 1, len(it)), np.convolve(it, np.ones(smooth) / smooth, "valid"), "-",
                  lw=1.5, label=f"mean of {smooth}")
    axes[0].set(xlabel="iteration", ylabel=f"loss ({record['config']['loss_reduction']})", yscale="log",
                title="training loss per iteration")
    axes[0].legend(fontsize=9)
    epochs = np.arange(1, len(h["epoch_loss"]) + 1)
    joined = "" if len(epochs) <= FEW else "-"
    _log_plot(axes[1], epochs, h["epoch_loss"], "o" + joined)
    axes[1].set(xlabel="epoch (from 1)", ylabel="sum of iteration losses", yscale="log",
                title="training loss per epoch")
    n = (record.get("test") or {}).get("n")
    for metric, marker in zip(test_metrics(record), "os^vD", strict=False):
        if metric in counted and n:
            axes[2].plot(epochs, errors_drawn(h[f"test_{metric}"], n), marker + joined,
                         label=f"{_label(metric.removesuffix('_accuracy'))} wrong")
            continue
        line, = axes[2].plot(epochs, h[f"test_{metric}"], marker + joined, label=_label(metric))
        if f"valid_{metric}" in h:  # the part early stopping watches, dashed in the same colour
            axes[2].plot(epochs, h[f"valid_{metric}"], "--", color=line.get_color(), label=f"{_label(metric)} (valid)")
    if counted and n:
        error_axis(axes[2], n)
        axes[2].set(ylabel=f"test sequences wrong, of {n:,}", title="test errors (0 on the shaded row)")
    else:
        axes[2].set(ylabel="test metric", title="test metrics")
    axes[2].set(xlabel="epoch (from 1)")
    axes[2].legend(fontsize=9)
    fig.tight_layout()
    return fig


# -- helpers for the book's summary pages: records of many runs side by side ----------------------

def load_records(runs_dir, runs):
    """{run id: record} for those of the runs (registry entries) whose record (with the driver's stamp) exists."""
    import json
    import os

    out = {}
    for run in runs:
        path = os.path.join(runs_dir, f"{run.id}.json")
        if os.path.exists(path):
            with open(path) as f:
                try:
                    record = json.load(f)
                except ValueError as e:  # name the file: the parser's words alone name none
                    raise ValueError(f"record {path} is corrupt ({e}); `python -m lstm_xor runs` re-runs "
                                     f"{run.id}") from None
            if "driver" in record:
                out[run.id] = record
    return out


def link(run_id, records, runs_dir):
    """A link to the run's page when it exists, else the bare id."""
    return f"[{run_id}]({runs_dir}/{run_id}.ipynb)" if run_id in records else run_id


def iterations_per_epoch(record):
    """Optimiser steps in one epoch of a run, read from its history (shards, batching and curricula included).

    Every epoch of a run takes as many steps; a diverged run's last epoch, cut short
    after ``diverged_iteration + 1`` steps, has no epoch_loss and is left out. None
    when no epoch completed.
    """
    h = record["history"]
    cut = record["diverged_iteration"] + 1 if record["status"] == "diverged" else 0
    return (len(h["iteration_loss"]) - cut) // len(h["epoch_loss"]) if h["epoch_loss"] else None


def first_epoch_at(record, key, level=1.0):
    """The first epoch (counted from 1) after which the history's ``key`` reached ``level``; None if none did."""
    return next((k + 1 for k, v in enumerate(record["history"].get(key, [])) if v >= level), None)


def count(n, word):
    """'1 epoch', '3 epochs': a count with its noun in the singular or the plural."""
    return f"{n} {word}{'' if n == 1 else 's'}"


def number_text(x, digits=4):
    """A number in a table cell: ``digits`` significant digits, whole numbers from 10**digits; – for None."""
    if x is None:
        return "–"
    if not np.isfinite(x):
        return str(x)
    return f"{x:.{digits}g}" if abs(x) < 10 ** digits else f"{x:.0f}"


def mean_sd_text(values, digits=3):
    """'mean ± sd' (sample sd) of the values that exist, the value alone when one does, – when none does."""
    have = [v for v in values if v is not None]
    if not have:
        return "–"
    sd = f" ± {np.std(have, ddof=1):.{digits}f}" if len(have) > 1 else ""
    return f"{np.mean(have):.{digits}f}{sd}"


def seconds_text(s, digits=0):
    """'12 s' (with ``digits`` after the point below two minutes), '4.5 min' or '1.25 h'."""
    return f"{s:.{digits}f} s" if s < 120 else (f"{s / 60:.1f} min" if s < 7200 else f"{s / 3600:.2f} h")


def status_text(record):
    """A record's status, with the epoch where it diverged."""
    s = record["status"]
    if s == "diverged":
        s += f" in epoch {record.get('diverged_epoch')}"
    return s


def moving_mean(y, window):
    """(x, mean of y over window values ending at x); y as it is when it is shorter than the window."""
    y = np.asarray(y, dtype=float)
    if window <= 1 or len(y) < window:
        return np.arange(len(y)), y
    return np.arange(window - 1, len(y)), np.convolve(y, np.ones(window) / window, "valid")


def thin(x, y, points=4000):
    """At most about ``points`` of a curve's points, evenly spaced (for plots of long histories)."""
    step = max(1, len(x) // points)
    return x[::step], y[::step]


def compute_summary(records):
    """Totals over the records: runs, epochs in the records and computed, wall time spent and implied."""
    epochs_total = epochs_computed = 0
    spent = implied = notebook = 0.0
    for rec in records.values():
        d = rec.get("driver", {})
        resumed = d.get("resumed_from") or {}
        epochs_total += rec["epochs_completed"]
        epochs_computed += rec["epochs_completed"] - resumed.get("epoch", 0)
        implied += rec["wall_seconds"]
        spent += rec["wall_seconds"] - resumed.get("wall_seconds", 0.0)
        notebook += d.get("notebook_seconds", 0.0)
    return dict(runs=len(records), epochs_total=epochs_total, epochs_computed=epochs_computed,
                training_seconds=spent, unshared_seconds=implied, notebook_seconds=notebook)


def cost_table(records, groups):
    """Training and notebook wall time per group of runs (registry Groups), and in all: a part's budget."""
    lines = ["| study | runs | batches | training wall time | notebook wall time |", "|---|---|---|---|---|"]
    total = [0, 0, 0.0, 0.0]
    for group in groups:
        rec = [records[run.id] for run in group.runs if run.id in records]
        if not rec:
            continue
        row = [len(rec), sum(len(r["history"]["iteration_loss"]) for r in rec), sum(r["wall_seconds"] for r in rec),
               sum(r.get("driver", {}).get("notebook_seconds", 0.0) for r in rec)]
        total = [a + b for a, b in zip(total, row, strict=True)]
        lines.append(f"| {group.caption.split(': ', 1)[-1]} | {row[0]} | {row[1]:,} | {seconds_text(row[2])} | "
                     f"{seconds_text(row[3])} |")
    lines.append(f"| **all** | {total[0]} | {total[1]:,} | {seconds_text(total[2])} | {seconds_text(total[3])} |")
    return "\n".join(lines)


def busy_seconds(records):
    """Wall time during which at least one of the records' notebooks ran (overlapping runs counted once).

    From the driver's stamps: each notebook ran for ``notebook_seconds`` up to ``finished``.
    """
    from datetime import datetime
    spans = sorted((end - d["notebook_seconds"], end) for d in (r["driver"] for r in records if "driver" in r)
                   for end in [datetime.fromisoformat(d["finished"]).timestamp()])
    busy, start, stop = 0.0, None, None
    for a, b in spans:
        if stop is None or a > stop:
            busy += 0.0 if stop is None else stop - start
            start, stop = a, b
        else:
            stop = max(stop, b)
    return busy + (0.0 if stop is None else stop - start)


def compute_markdown(records, n_registered):
    s = compute_summary(records)
    if not records:
        return f"No run has been executed yet ({n_registered} registered): `python -m lstm_xor runs`."
    env = next(iter(records.values()))["environment"]
    engines = sorted({r["environment"]["engines"] for r in records.values()})
    rows = [("runs executed", f"{s['runs']} of {n_registered}"),
            ("epochs in the records", f"{s['epochs_total']}"),
            ("epochs computed (shared prefixes once)", f"{s['epochs_computed']}"),
            ("training wall time, as computed", seconds_text(s["training_seconds"])),
            ("training wall time if no run shared its first epochs", seconds_text(s["unshared_seconds"])),
            ("notebook wall time (papermill, incl. kernel start and plots)", seconds_text(s["notebook_seconds"])),
            ("machine", f"{env['cpu']}, {env.get('cores', '?')} cores; {', '.join(map(str, engines))} engine(s) "
                        f"per run, {env['threads']} BLAS thread(s) each"),
            ("software", f"lstm_xor {env['lstm_xor']}, NumPy {env['numpy']}, Python {env['python']}")]
    stale = sorted(run_id for run_id, r in records.items()
                   if r.get("driver", {}).get("numerics") != NUMERICS_VERSION)
    if stale:
        rows.append(("made with an earlier numerics version",
                     f"{len(stale)} run(s): {', '.join(stale)}; their fingerprints no longer match the code, "
                     f"and `make book` re-executes them (numerics version now {NUMERICS_VERSION})"))
    return "| | |\n|---|---|\n" + "\n".join(f"| {k} | {v} |" for k, v in rows)
