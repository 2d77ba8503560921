"""Tables of the experiments on report 000's failures (lstm_xor.reports.r000.causes_runs); the plots are
lstm_xor.reports.r000.causes_plots'.

Epochs count from 1. A run is *solved* in the first epoch after which every test string
is right (whole string, every position); it stops there (``stop_when``).
"""

from collections import Counter

import numpy as np

from lstm_xor import render
from lstm_xor.reports.r000 import runs as report000
from lstm_xor.reports.r000.causes_runs import (
    CAUSES,
    FINAL,
    FINAL_LENGTHS,
    FINAL_SEEDS,
    MAP_SETTINGS,
    MECHANICS,
    lr_tag,
)


def study_ids(group, prefix):
    """The ids of a group's runs that start with prefix (one mechanic's seeds), in registry order."""
    return [run.id for g in report000.PART.groups if g.name == group for run in g.runs if run.id.startswith(prefix)]


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
        ids = study_ids(f"causes-{data}", f"cause-{data}-{name}-s")
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


def solved_by(record, epoch):
    solved = solved_epoch(record)
    return solved is not None and solved <= epoch


def map_records(records, settings, data):
    lrs, epochs, _ = MAP_SETTINGS[settings]
    return {lr: [records[i] for i in study_ids(f"map-{settings}-{data}", f"map-{settings}-{data}-{lr_tag(lr)}-s")
                 if i in records] for lr in lrs}, epochs


def map_table(records, runs_dir):
    """Runs solved within N epochs out of those run, per learning rate, for both settings and both data."""
    most = max(epochs for _, epochs, _ in MAP_SETTINGS.values())
    lines = ["| settings | data | lr | solved by epoch 1 | " + " | ".join(f"by {n}" for n in range(2, most + 1)) + " |",
             "|---|---|---|" + "---|" * most]
    for settings in MAP_SETTINGS:
        for data in CAUSES:
            by_lr, epochs = map_records(records, settings, data)
            for lr, recs in by_lr.items():
                cells = [f"{sum(solved_by(r, n) for r in recs)} / {len(recs)}" if n <= epochs and recs else "–"
                         for n in range(1, most + 1)]
                lines.append(f"| {settings} | {data} | {lr:g} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


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
