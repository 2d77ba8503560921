"""Tables and plots of the experiments on report 000's failures (lstm_xor.reports.r000.causes).

Epochs count from 1. A run is *solved* in the first epoch after which every test string
is right (whole string, every position); it stops there (``stop_when``).
"""

from collections import Counter

import numpy as np

from lstm_xor import render
from lstm_xor.reports.r000 import runs as report000
from lstm_xor.reports.r000.causes import (
    CAUSES,
    FINAL,
    FINAL_LENGTHS,
    FINAL_SEEDS,
    MAP_SETTINGS,
    MECHANICS,
    SEEDS,
    lr_tag,
)

COLOURS = {"report": "tab:red", "ours": "tab:blue"}


def _ids(group, prefix):
    """The ids of a group's runs that start with prefix (one mechanic's seeds), in registry order."""
    return [run.id for g in report000.PART.groups if g.name == group for run in g.runs if run.id.startswith(prefix)]


def _legend(ax, **kw):
    """A legend when something is labelled (a page may show a study before its runs exist)."""
    if ax.get_legend_handles_labels()[0]:
        ax.legend(**kw)


def solved_epoch(record):
    """The epoch in which the run first had every test string right, or None."""
    return render.first_epoch_at(record, "test_sequence_accuracy")


def _ending(record):
    """How an unsolved run ended, in a word."""
    if record["status"] == "diverged":
        return "diverged"
    return "loss rising" if record["status"] == "stopped" else "not solved"


def _others(recs):
    """How the unsolved runs ended: '1 loss rising, 2 not solved', or '' when every run solved."""
    endings = Counter(_ending(r) for r in recs if not solved_epoch(r))
    return ", ".join(f"{n} {why}" for why, n in sorted(endings.items()))


def _solved_cell(recs, total):
    solved = [e for e in map(solved_epoch, recs) if e]
    median = f"{np.median(solved):g}" if solved else "–"
    done = f"{len(solved)} / {len(recs)}" + ("" if len(recs) == total else f" (of {total} planned)")
    return done, median, _others(recs) or "–"


def mechanics_list():
    """The mechanics in words, as a Markdown list (the tables name them only)."""
    return "\n".join(f"* **{name}**: {text}" + (f" (`{_params_text(params)}`)" if params else "")
                     for name, (params, text) in MECHANICS.items())


def _params_text(params):
    return ", ".join(f"{k}={v!r}" for k, v in params.items())


def mechanics_table(records, data, runs_dir):
    """Per mechanic (and all together): runs solved out of 5 within the report's epochs, median epochs to 100%."""
    report_run, lr, epochs = CAUSES[data]
    lines = [f"| mechanic(s) on | solved within {epochs} epochs | median epoch solved | the others | runs |",
             "|---|---|---|---|---|"]
    for name in MECHANICS:
        ids = _ids(f"causes-{data}", f"cause-{data}-{name}-s")
        if not ids:
            continue
        recs = [records[i] for i in ids if i in records]
        if not recs:
            lines.append(f"| {name} | not run yet | | | |")
            continue
        done, median, rest = _solved_cell(recs, len(ids))
        links = " ".join(f"[{i[-2:]}]({runs_dir}/{i}.ipynb)" for i in ids if i in records)
        lines.append(f"| {name} | {done} | {median} | {rest} | {links} |")
    return "\n".join(lines)


def mechanics_summary(records):
    """Rows (data, mechanic, lr, solved, runs, median epoch) over both configurations: the closing note's table."""
    rows = []
    for data, (_, lr, _) in CAUSES.items():
        for name in MECHANICS:
            recs = [records[i] for i in _ids(f"causes-{data}", f"cause-{data}-{name}-s") if i in records]
            if recs:
                solved = [e for e in map(solved_epoch, recs) if e]
                rows.append((data, name, lr, len(solved), len(recs), float(np.median(solved)) if solved else None))
    return rows


def plot_mechanics(records, data, columns=3):
    """Whole strings wrong (of 20,000) after each epoch, every seed, one panel per mechanic."""
    import matplotlib.pyplot as plt
    _, lr, epochs = CAUSES[data]
    names = [name for name in MECHANICS if _ids(f"causes-{data}", f"cause-{data}-{name}-s")]
    rows = -(-len(names) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(11, 2.6 * rows), sharex=True, sharey=True, squeeze=False)
    for ax, name in zip(axes.flat, names, strict=False):
        for seed in SEEDS:
            rec = records.get(f"cause-{data}-{name}-s{seed}")
            if rec:
                errors = render.errors_drawn(rec["history"]["test_sequence_accuracy"], rec["test"]["n"])
                ax.plot(range(1, len(errors) + 1), errors, "o-", ms=4, lw=1, color=f"C{seed}", label=f"seed {seed}")
        render.error_axis(ax, report000.REPORT_TEST_N)
        ax.set(xlim=(0.5, epochs + 0.5))
        ax.set_title(name, fontsize=10)
        ax.grid(alpha=0.3)
    for ax in axes.flat[len(names):]:
        ax.set_visible(False)
    for ax in axes[:, 0]:
        ax.set_ylabel("strings wrong", fontsize=9)
    for ax in axes[-1]:
        ax.set_xlabel("epoch", fontsize=9)
    _legend(axes[0, -1], fontsize=9, loc="upper right")
    fig.suptitle(f"{data} length, lr {lr:g}: test strings not right at every position, of 20,000, after each epoch "
                 "(a run stops once solved)", fontsize=10)
    fig.tight_layout()
    return fig


def _solved_by(record, epoch):
    solved = solved_epoch(record)
    return solved is not None and solved <= epoch


def _map_records(records, settings, data):
    lrs, epochs, _ = MAP_SETTINGS[settings]
    return {lr: [records[i] for i in _ids(f"map-{settings}-{data}", f"map-{settings}-{data}-{lr_tag(lr)}-s")
                 if i in records] for lr in lrs}, epochs


def map_table(records, runs_dir):
    """Runs solved within N epochs out of those run, per learning rate, for both settings and both data."""
    most = max(epochs for _, epochs, _ in MAP_SETTINGS.values())
    lines = ["| settings | data | lr | solved by epoch 1 | " + " | ".join(f"by {n}" for n in range(2, most + 1)) + " |",
             "|---|---|---|" + "---|" * most]
    for settings in MAP_SETTINGS:
        for data in CAUSES:
            by_lr, epochs = _map_records(records, settings, data)
            for lr, recs in by_lr.items():
                cells = [f"{sum(_solved_by(r, n) for r in recs)} / {len(recs)}" if n <= epochs and recs else "–"
                         for n in range(1, most + 1)]
                lines.append(f"| {settings} | {data} | {lr:g} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def plot_map(records):
    """P(solved within N epochs) against the learning rate: one panel per data; the report's runs marked."""
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, len(CAUSES), figsize=(12, 4.2), sharey=True)
    for ax, data in zip(axes, CAUSES, strict=True):
        for settings in MAP_SETTINGS:
            by_lr, epochs = _map_records(records, settings, data)
            lrs = [lr for lr, recs in by_lr.items() if recs]
            for n, style in zip(range(1, epochs + 1), ("o:", "s--", "^-"), strict=False):
                p = [np.mean([_solved_by(r, n) for r in by_lr[lr]]) for lr in lrs]
                ax.plot(lrs, p, style, color=COLOURS[settings], alpha=0.45 + 0.55 * n / 3, ms=6,
                        label=f"{settings} settings, within {n} epoch{'s' if n > 1 else ''}")
        report_runs = [r for r in report000.REPORT_RUNS if r.group == f"report-{data}" and not
                       r.params.get("lr_schedule") and r.params.get("init", "orthogonal") == "orthogonal"]
        ax.scatter([r.params["lr"] for r in report_runs], [-0.06] * len(report_runs), marker="x", color="black",
                   s=50, label="the report's runs (none had every\ntest string right; epochs: labels)", zorder=3)
        for k, r in enumerate(sorted(report_runs, key=lambda r: r.params["lr"])):
            ax.annotate(str(r.epochs), (r.params["lr"], -0.06), textcoords="offset points",
                        xytext=(0, -12 - 9 * (k % 2)), ha="center", fontsize=8)
        ax.set(xscale="log", xlabel="learning rate", ylim=(-0.2, 1.08),
               title=f"{data} length" + (" 50" if data == "fixed" else " 1-50"))
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("share of the seeds run that solved")
    axes[-1].legend(fontsize=8, loc="center left", bbox_to_anchor=(1.02, 0.5))
    fig.tight_layout()
    return fig


def mechanics_findings(records):
    """One sentence over every mechanics run: how many solved, in which epochs, how the others ended."""
    recs = [records[run.id] for g in report000.PART.groups if g.name.startswith("causes-") for run in g.runs
            if run.id in records]
    if not recs:
        return "No mechanics run has been executed yet."
    solved = sorted(e for e in map(solved_epoch, recs) if e)
    text = (f"**{len(solved)} of the {len(recs)} runs solved the test set** within the report's epochs"
            + (f", in epoch {solved[0]} to {solved[-1]} (median {np.median(solved):g})" if solved else ""))
    rest = _others(recs)
    return text + (f"; the others: {rest}." if rest else "; none stopped with a rising loss, none diverged.")


FINAL_ROWS = (*((f"len{n}", f"fixed length {n}") for n in FINAL_LENGTHS), ("var", "lengths 1-50"),
              ("cur", "fixed length 50, curriculum in epoch 1"))


def final_table(records, runs_dir):
    """The final-label runs: per length (and lengths 1-50, and the curriculum), each seed's outcome."""
    lines = [f"| strings | solved within {FINAL['epochs']} epochs | each seed: test accuracy at the end (epochs run) |",
             "|---|---|---|"]
    for kind, label in FINAL_ROWS:
        ids = [f"final-{kind}-s{s}" for s in FINAL_SEEDS]
        recs = [(i, records[i]) for i in ids if i in records]
        if not recs:
            lines.append(f"| {label} | not run yet | |")
            continue
        done, _, _ = _solved_cell([r for _, r in recs], len(ids))
        each = ", ".join(f"[{100 * r['test']['sequence_accuracy']:.1f}% ({r['epochs_completed']})]"
                         f"({runs_dir}/{i}.ipynb)" for i, r in recs)
        lines.append(f"| {label} | {done} | {each} |")
    return "\n".join(lines)


def plot_final(records):
    """Test accuracy at the end against the fixed length (every seed), and after each epoch at length 50."""
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 2, figsize=(12, 3.8))
    for seed in FINAL_SEEDS:
        acc = [records[f"final-len{n}-s{seed}"]["test"]["sequence_accuracy"] if f"final-len{n}-s{seed}" in records
               else np.nan for n in FINAL_LENGTHS]
        axes[0].plot(FINAL_LENGTHS, acc, "o-", color=f"C{seed}", label=f"seed {seed}")
    axes[0].axhline(0.5, color="grey", ls=":", label="chance")
    axes[0].set(xlabel="fixed string length", ylabel="test accuracy at the end", ylim=(0.4, 1.02),
                xticks=FINAL_LENGTHS, title=f"a label only at the end, fixed length (at most {FINAL['epochs']} epochs)")
    _legend(axes[0], fontsize=9)
    # Runs that solve in epoch 1 are single points on top of each other: the markers differ in shape and size.
    for kind, colour, marker, size in (("len50", "tab:red", "o", 5), ("cur", "tab:green", "s", 11),
                                       ("var", "tab:blue", "^", 6)):
        label = dict(FINAL_ROWS)[kind]
        for seed in FINAL_SEEDS:
            rec = records.get(f"final-{kind}-s{seed}")
            if rec:
                acc = rec["history"]["test_sequence_accuracy"]
                axes[1].plot(range(1, len(acc) + 1), acc, f"{marker}-", ms=size, color=colour, alpha=0.8,
                             label=label)
                label = None
    axes[1].axhline(0.5, color="grey", ls=":")
    axes[1].set(xlabel="epoch", ylabel="test accuracy", ylim=(0.4, 1.02), xticks=range(1, FINAL["epochs"] + 1),
                title=f"after each epoch ({len(FINAL_SEEDS)} seeds each; a run stops once solved)")
    _legend(axes[1], fontsize=9)
    fig.tight_layout()
    return fig
