"""Report 003's summary page: every documented experiment beside ours, and what we measured beyond it.

Tables (Markdown) over the run records of report 003's part
(lstm_xor.reports.r003.runs). Steps are optimiser steps, the report's "epochs".
The plots are lstm_xor.reports.r003.plots'.
"""

import re

import numpy as np

from lstm_xor.nn.cells import CELLS
from lstm_xor.render import link, number_text, seconds_text
from lstm_xor.reports.r003 import runs as report003
from lstm_xor.tasks.adder import solved_step
from lstm_xor.tasks.base import positive_ints

LOSS_MARK = 0.005  # the report: the RNN's loss "less than 0.005 in less than 300 steps"


def _configuration(run):
    """A run's id without its seed: the runs of one configuration share it."""
    return re.sub(r"-s\d+$", "", run.id)


def _configurations(runs):
    """[(configuration, [runs])] in registry order."""
    out = {}
    for run in runs:
        out.setdefault(_configuration(run), []).append(run)
    return list(out.items())


def steps(record):
    """The step after which each test evaluation was made: (epochs,) ints."""
    n = len(record["history"]["test_sum_accuracy"])
    return np.arange(1, n + 1) * record["config"]["steps_per_epoch"]


def first_step_below(record, level=LOSS_MARK):
    """The first step (1-based) whose training loss fell below ``level``, or None."""
    below = np.flatnonzero(np.asarray(record["history"]["iteration_loss"], dtype=float) < level)
    return int(below[0]) + 1 if below.size else None


def _final(record):
    """The last evaluation's whole-sum accuracy, None when the run diverged before any."""
    return record["test"]["sum_accuracy"] if record["test"] else None


def _outcome(record):
    text = number_text(_final(record), 4)
    if record["status"] == "diverged":
        step = record["diverged_epoch"] * record["config"]["steps_per_epoch"] + record["diverged_iteration"] + 1
        text += f" (diverged at step {step})"
    return text


def _join(values):
    return ", ".join(values)


def documented_table(records, runs_dir):
    """Every configuration of the part: what the report says, its figure, and ours per seed."""
    lines = ["| experiment | the report says | report | ours: whole sums right at the end | ours: first step with "
             "every test sum right | ours: first step with loss < 0.005 | runs |", "|---|---|---|---|---|---|---|"]
    for group in report003.GROUPS:
        for _, runs in _configurations(group.runs):
            have = [run for run in runs if run.id in records]
            title = re.sub(r", seed \d+$", "", runs[0].title)
            says = runs[0].report["says"] if runs[0].report else "(not in the report: the handout's setting)"
            figure = number_text(runs[0].report["accuracy"]) if runs[0].report and runs[0].report["accuracy"] \
                is not None else "–"
            if not have:
                lines.append(f"| {title} | {says} | {figure} | not run yet | | | |")
                continue
            rec = [records[run.id] for run in have]
            lines.append(f"| {title} | {says} | {figure} | {_join(_outcome(r) for r in rec)} | "
                         f"{_join(number_text(solved_step(r)) for r in rec)} | "
                         f"{_join(number_text(first_step_below(r)) for r in rec)} | "
                         f"{' '.join(link(run.id, records, runs_dir) for run in have)} |")
    return "\n".join(lines)


SEEDED = (("ours", report003.BASIC), ("PyTorch's", report003.INIT))  # the basic setting's two initialisations


def _of_cell(records, runs, cell):
    return [records[run.id] for run in runs if run.config()["cell"] == cell and run.id in records]


def _spread(values):
    """'median (min-max)' over the values that exist, with how many are missing."""
    have = [v for v in values if v is not None]
    if not have:
        return "never"
    text = f"{number_text(float(np.median(have)))} ({number_text(min(have))}–{number_text(max(have))})"
    return text + (f", {len(values) - len(have)} never" if len(have) < len(values) else "")


def _seeded(records):
    """(cell, initialisation, the records of its seeds) of the basic setting, where any ran."""
    for cell in CELLS:
        for init, runs in SEEDED:
            rec = _of_cell(records, runs, cell)
            if rec:
                yield cell, init, rec


def seeds_table(records):
    """The basic setting per cell over its seeds: steps until every test sum is right, and until the loss is low."""
    lines = ["| cell | initialisation | seeds | step with every test sum right: median (min–max) | "
             "step with loss < 0.005 | training time per run |", "|---|---|---|---|---|---|"]
    for cell, init, rec in _seeded(records):
        lines.append(f"| {cell.upper()} | {init} | {len(rec)} | {_spread([solved_step(r) for r in rec])} | "
                     f"{_spread([first_step_below(r) for r in rec])} | "
                     f"{seconds_text(float(np.median([r['wall_seconds'] for r in rec])))} |")
    return "\n".join(lines)


def extra_accuracy(record, label):
    extra = (record.get("extra_tests") or {}).get(label)
    return None if extra is None else extra["sum_accuracy"]


def carry_table(records):
    """Whole sums right on carry chains, beside random pairs of the same length, per cell."""
    lines = ["| cell | runs | operand digits | random pairs | carry chains (99...9 + 1 and random chains) |",
             "|---|---|---|---|---|"]
    for cell, init, rec in _seeded(records):
        lines.append(f"| {cell.upper()} | basic setting, {init} init, {len(rec)} seeds | 9 | "
                     f"{_spread([extra_accuracy(r, '9') for r in rec])} | "
                     f"{_spread([extra_accuracy(r, '9 carry') for r in rec])} |")
    for cell in CELLS:
        run_id = f"add-range-1e10-{cell}"
        if run_id in records:
            r = records[run_id]
            for d in eval_digits(r):
                lines.append(f"| {cell.upper()} | {run_id} | {d} | {number_text(extra_accuracy(r, str(d)))} | "
                             f"{number_text(extra_accuracy(r, f'{d} carry'))} |")
    return "\n".join(lines)


def eval_digits(record):
    return positive_ints("eval_digits", record["config"]["eval_digits"])


def position_table(records, ids, runs_dir):
    """Per run: the accuracy of each of the first positions, and where it first drops below 99%."""
    have = [i for i in ids if i in records and records[i]["test"]]
    if not have:
        return "No run of this study has been executed yet."
    T = len(records[have[0]]["test"]["position_accuracy"])
    shown = min(T, 6)
    lines = ["| run | whole sums | " + " | ".join(f"digit {p}" for p in range(1, shown + 1)) +
             " | first digit below 99% |", "|---|---|" + "---|" * shown + "---|"]
    for i in have:
        acc = records[i]["test"]["position_accuracy"]
        low = next((p + 1 for p, a in enumerate(acc) if a < 0.99), None)
        lines.append(f"| {link(i, records, runs_dir)} | {number_text(records[i]['test']['sum_accuracy'])} | " +
                     " | ".join(number_text(a) for a in acc[:shown]) + f" | {number_text(low)} |")
    return "\n".join(lines)


def readings_table(records, runs_dir):
    """The (0, 1e5) / (0, 1e100) row under its two readings: one preset length of 101, or training at 11."""
    lines = ["| cell | preset length 101: whole sums right (digits right) | trained at length 11: test (0, 1e10) | "
             "the same model on operands below 1e100 | runs |", "|---|---|---|---|---|"]
    for cell in CELLS:
        a, b = records.get(f"add-range-1e5-{cell}"), records.get(f"add-range-1e5-len11-{cell}")
        if a is None and b is None:
            continue
        first = "–" if a is None else \
            f"{number_text(_final(a))} ({number_text(a['test']['digit_accuracy'])})"
        second = "–" if b is None else number_text(_final(b))
        longer = "–" if b is None else number_text(extra_accuracy(b, "100"))
        ids = [i for i in (f"add-range-1e5-{cell}", f"add-range-1e5-len11-{cell}") if i in records]
        lines.append(f"| {cell.upper()} | {first} | {second} | {longer} | "
                     f"{' '.join(link(i, records, runs_dir) for i in ids)} |")
    return "\n".join(lines)


def seen_unseen_table(records, ids, label, runs_dir):
    """Per run: the first digits' accuracy on the test set beside the same on pairs from the training range
    (the extra test ``label``) and on its carry chains: what was not learnt vs what was never seen."""
    have = [i for i in ids if i in records and (records[i].get("extra_tests") or {}).get(label)]
    if not have:
        return "No run of this study with that extra test has been executed yet."
    lines = ["| run | test: digit 1 | digit 2 | digit 3 | training range: whole sums | digit 1 | digit 2 | digit 3 | "
             "training range, carry chains: whole sums |", "|---|---|---|---|---|---|---|---|---|"]
    for i in have:
        test, seen = records[i]["test"]["position_accuracy"], records[i]["extra_tests"][label]
        chains = extra_accuracy(records[i], f"{label} carry")
        lines.append(f"| {link(i, records, runs_dir)} | " + " | ".join(number_text(a) for a in test[:3]) +
                     f" | {number_text(seen['sum_accuracy'])} | " +
                     " | ".join(number_text(a) for a in seen["position_accuracy"][:3]) + f" | {number_text(chains)} |")
    return "\n".join(lines)
