"""Report 003's summary page: every documented experiment beside ours, and what we measured beyond it.

Tables (Markdown) over the run records of report 003's part
(lstm_xor.reports.r003.runs). Steps are optimiser steps, the report's "epochs".
The plots are lstm_xor.reports.r003.plots'.
"""

import re

import numpy as np

from lstm_xor.aggregate import best_and_final, best_final_text, counts_text, done_text, solved_text, spread_text
from lstm_xor.nn.cells import CELLS
from lstm_xor.render import first_epoch_at, link, number_text, seconds_text
from lstm_xor.reports.base import configuration_id
from lstm_xor.reports.r003 import runs as report003
from lstm_xor.tasks.adder import solved_step
from lstm_xor.tasks.base import positive_ints

LOSS_MARK = 0.005  # the report: the RNN's loss "less than 0.005 in less than 300 steps"


def _configurations(runs):
    """[(configuration, [runs])] in registry order."""
    out = {}
    for run in runs:
        out.setdefault(configuration_id(run.id), []).append(run)
    return list(out.items())


LEVELS = (0.9, 0.99, 1.0)  # shares of the test sums right: the step each is first reached at


def step_at(record, level):
    """The first step after whose evaluation at least ``level`` of the test sums were right, or None."""
    epoch = first_epoch_at(record, "test_sum_accuracy", level)
    return None if epoch is None else epoch * record["config"]["steps_per_epoch"]


def steps(record):
    """The step after which each test evaluation was made: (epochs,) ints."""
    n = len(record["history"]["test_sum_accuracy"])
    return np.arange(1, n + 1) * record["config"]["steps_per_epoch"]


def first_step_below(record, level=LOSS_MARK):
    """The first step (1-based) whose training loss fell below ``level``, or None."""
    below = np.flatnonzero(np.asarray(record["history"]["iteration_loss"], dtype=float) < level)
    return int(below[0]) + 1 if below.size else None


def final_sums(record):
    """The last evaluation's whole-sum accuracy, None when the run diverged before any."""
    return record["test"]["sum_accuracy"] if record["test"] else None


def _outcome(record):
    text = number_text(final_sums(record), 4)
    if record["status"] == "diverged":
        step = record["diverged_epoch"] * record["config"]["steps_per_epoch"] + record["diverged_iteration"] + 1
        text += f" (diverged at step {step})"
    return text


def _join(values):
    return ", ".join(values)


def _collapses(have, records):
    """The runs whose whole-sum accuracy ended far below its best (both, with their steps' epochs), or '–'."""
    named = [f"{run.id}: {best_final_text(records[run.id]['history']['test_sum_accuracy'])}" for run in have
             if (best_and_final(records[run.id]["history"]["test_sum_accuracy"]) or {}).get("collapsed")]
    return "; ".join(named) or "–"


def documented_table(records, runs_dir):
    """Every configuration of the part: what the report says, its figure, and ours over its seeds (every value
    where there are 3 or fewer), how many solved the test set at the end, which collapsed, and the steps."""
    lines = ["| experiment | the report says | report | ours: whole sums right at the end | every test sum right at "
             "the end | collapsed (best far above final) | ours: first step with every test sum right | ours: first "
             "step with loss < 0.005 | runs |", "|---|---|---|---|---|---|---|---|---|"]
    for group in report003.GROUPS:
        for _, runs in _configurations(group.runs):
            have = [run for run in runs if run.id in records]
            title = re.sub(r", seed \d+$", "", runs[0].title)
            says = runs[0].report["says"] if runs[0].report else "(not in the report: ours)"
            figure = number_text(runs[0].report["accuracy"]) if runs[0].report and runs[0].report["accuracy"] \
                is not None else "–"
            if not have:
                lines.append(f"| {title} | {says} | {figure} | not run yet ({done_text(0, len(runs))}) | | | | | |")
                continue
            rec = [records[run.id] for run in have]
            diverged = [_outcome(r) for r in rec if r["status"] == "diverged"]
            lines.append(f"| {title} | {says} | {figure} | {spread_text([final_sums(r) for r in rec], len(runs), 4)}"
                         f"{'; ' + ', '.join(diverged) if diverged else ''} | "
                         f"{solved_text([final_sums(r) == 1.0 for r in rec], len(runs))} | "
                         f"{_collapses(have, records)} | "
                         f"{counts_text([solved_step(r) for r in rec], len(runs))} | "
                         f"{counts_text([first_step_below(r) for r in rec], len(runs))} | "
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


def thresholds_table(records):
    """The basic setting per cell and initialisation: the first step with 90%, 99% and 100% of the 2,000 test sums
    right, side by side (every seed's, or the median and range)."""
    lines = ["| cell | initialisation | " + " | ".join(f"first step with {level:.0%} of the test sums right"
                                                    for level in LEVELS) + " |", "|---|---|---|---|---|"]
    for cell, init, rec in _seeded(records):
        lines.append(f"| {cell.upper()} | {init} | " +
                     " | ".join(counts_text([step_at(r, level) for r in rec]) for level in LEVELS) + " |")
    return "\n".join(lines)


def median_steps(records, level):
    """{(cell, initialisation): median first step at ``level`` over seeds, a run that never reached it counted as
    never (infinite)} of the basic setting."""
    out = {}
    for cell, init, rec in _seeded(records):
        steps = [step_at(r, level) for r in rec]
        out[(cell, init)] = float(np.median([np.inf if v is None else v for v in steps]))
    return out


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


def _range_runs(runs, cell):
    return [run for run in runs if run.config()["cell"] == cell]


def carry_table(records):
    """Whole sums right on carry chains, beside random pairs of the same length, per cell (over seeds)."""
    lines = ["| cell | runs | operand digits | random pairs | carry chains (99...9 + 1 and random chains) |",
             "|---|---|---|---|---|"]
    for cell, init, rec in _seeded(records):
        lines.append(f"| {cell.upper()} | basic setting, {init} init, {len(rec)} seeds | 9 | "
                     f"{_spread([extra_accuracy(r, '9') for r in rec])} | "
                     f"{_spread([extra_accuracy(r, '9 carry') for r in rec])} |")
    for cell in CELLS:
        runs = [run for run in _range_runs(report003.RANGES, cell) if run.id.startswith("add-range-1e10-")]
        rec = [records[run.id] for run in runs if run.id in records]
        for d in eval_digits(rec[0]) if rec else ():
            lines.append(f"| {cell.upper()} | train (0, 1e10) | {d} | "
                         f"{spread_text([extra_accuracy(r, str(d)) for r in rec], len(runs))} | "
                         f"{spread_text([extra_accuracy(r, f'{d} carry') for r in rec], len(runs))} |")
    return "\n".join(lines)


def chains_table(records, runs_dir, digits=(10, 20, 100)):
    """Trained on (0, 1e10) without and with long carry chains in the training batches: whole sums right on carry
    chains of each length after training, per cell, over seeds (runs not yet trained say so)."""
    lines = ["| cell | training pairs | " + " | ".join(f"carry chains of {d} digits" for d in digits) +
             " | random pairs of 100 digits | runs |", "|---|---|" + "---|" * len(digits) + "---|---|"]
    before = [run for run in report003.RANGES if run.id.startswith("add-range-1e10-")]
    for cell in CELLS:
        for what, runs in (("uniform", _range_runs(before, cell)),
                           (f"{report003.CHAINS_FRACTION:.0%} long carry chains", _range_runs(report003.CHAINS, cell))):
            rec = [records[run.id] for run in runs if run.id in records]
            lines.append(f"| {cell.upper()} | {what} | " +
                         " | ".join(spread_text([extra_accuracy(r, f"{d} carry") for r in rec], len(runs))
                                    for d in digits) +
                         f" | {spread_text([extra_accuracy(r, '100') for r in rec], len(runs))} | "
                         f"{' '.join(link(run.id, records, runs_dir) for run in runs)} |")
    return "\n".join(lines)


def eval_digits(record):
    return positive_ints("eval_digits", record["config"]["eval_digits"])


SHOWN = 12  # sums of up to this many digits show every position; longer ones their first six


def position_table(records, ids, runs_dir):
    """Per run: the accuracy at each position (the first six of a long sum), and where it first drops below 99%."""
    have = [i for i in ids if i in records and records[i]["test"]]
    if not have:
        return "No run of this study has been executed yet."
    T = len(records[have[0]]["test"]["position_accuracy"])
    shown = T if T <= SHOWN else 6
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
            f"{number_text(final_sums(a))} ({number_text(a['test']['digit_accuracy'])})"
        second = "–" if b is None else number_text(final_sums(b))
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
