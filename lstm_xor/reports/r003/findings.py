"""Report 003's findings that compare or count, as sentences generated from the run records.

The summary page prints these (lstm_xor.reports.r003.tables has the tables they
rest on); a run not yet trained leaves its figure out and the sentence says how
many of the runs planned it rests on.
"""

import numpy as np

from lstm_xor.aggregate import done_text, solved_text
from lstm_xor.nn.cells import CELLS
from lstm_xor.render import number_text
from lstm_xor.reports.base import configuration_id
from lstm_xor.reports.r003 import runs as report003
from lstm_xor.reports.r003.tables import (
    LEVELS,
    SEEDED,
    extra_accuracy,
    final_sums,
    first_step_below,
    median_steps,
    step_at,
)

REPORT_STEPS = "about 200-300"  # the report's figures: accuracy 1 after about 200 (LSTM) to 300 (RNN) steps
REPORT_LAST = 300


def _range(values, digits=4, scale=1.0):
    have = sorted(scale * v for v in values if v is not None)
    if not have:
        return "–"
    lo, hi = number_text(have[0], digits), number_text(have[-1], digits)
    return lo if lo == hi else f"{lo}-{hi}"


def _records(records, runs):
    return [records[run.id] for run in runs if run.id in records]


def speed(records):
    """The steps to 90%, 99% and 100% of the test sums right over the basic setting's seeds, against the report."""
    rec = _records(records, report003.BASIC)
    if not rec:
        return "The basic setting has not been run yet."
    parts = [f"{level:.0%} of the 2,000 test sums right at step {_range([step_at(r, level) for r in rec])}"
             for level in LEVELS]
    never = sum(step_at(r, 1.0) is None for r in rec)
    first = [step_at(r, LEVELS[0]) for r in rec]
    later = ", earlier than any of our runs at any threshold" if all(s and s > REPORT_LAST for s in first) else ""
    return (f"With our initialisation ({done_text(len(rec), len(report003.BASIC))} runs over the three cells) the "
            f"basic setting first has {parts[0]}, {parts[1]}, and {parts[2]}"
            f"{f' ({never} never had every sum right at one evaluation)' if never else ''}. The report's curves, "
            f"read by eye, reach accuracy 1 at {REPORT_STEPS} steps{later}: how much slower ours are depends on "
            "the threshold.")


def ranking(records):
    """Per initialisation and threshold: the cells in order of their median step, and which is the slowest."""
    sentences = []
    for init, _ in SEEDED:
        orders = []
        slowest = {}
        for level in LEVELS:
            medians = {cell: m for (cell, i), m in median_steps(records, level).items() if i == init}
            if len(medians) < len(CELLS):
                continue
            order = sorted(medians, key=lambda c: (medians[c], CELLS.index(c)))
            slowest[level] = order[-1]
            orders.append(f"at {level:.0%} " + " < ".join(
                f"{c.upper()} {'never' if np.isinf(medians[c]) else number_text(medians[c])}" for c in order))
        if not orders:
            continue
        last = {cell for cell in slowest.values()}
        verdict = (f"the {next(iter(last)).upper()} is the slowest at every threshold" if len(last) == 1 else
                   "which cell is the slowest depends on the threshold (" +
                   ", ".join(f"{c.upper()} at {level:.0%}" for level, c in slowest.items()) + ")")
        whose = "our" if init == "ours" else init
        sentences.append(f"With {whose} initialisation, the median first step: {'; '.join(orders)}; {verdict}.")
    return " ".join(sentences) or "The basic setting has not been run yet."


def positions(records):
    """Where the (0, 1e2) runs lose digits on the test set: digit 3 against digit 10 (the top operand digit), per
    cell, and digit 11 (the carry out of the top)."""
    runs = [run for run in report003.RANGES if run.id.startswith("add-range-1e2-")]
    rec = {cell: [r for r in _records(records, runs) if r["config"]["cell"] == cell and r["test"]] for cell in CELLS}
    if not any(rec.values()):
        return "The (0, 1e2) runs have not been run yet."
    def drop(r):
        acc = r["test"]["position_accuracy"]
        return 100 * (acc[2] - acc[9])

    drops = ", ".join(f"the {cell.upper()} {_range([drop(r) for r in rs], 2)}" for cell, rs in rec.items() if rs)
    top = _range([r["test"]["position_accuracy"][10] for rs in rec.values() for r in rs], 3)
    return (f"from digit 3 to digit 10, the top operand digit, the accuracy per digit falls by {drops} points; "
            f"digit 11, the carry out of the top (a 1 or a 0), is right in {top} of the sums (the position tables "
            "below show all 11)")


def carries(records):
    """The basic runs on random 9-digit pairs and on 9-digit carry chains."""
    rec = _records(records, report003.BASIC)
    if not rec:
        return "The basic setting has not been run yet."
    random = [extra_accuracy(r, "9") for r in rec]
    every = sum(v == 1.0 for v in random if v is not None)
    chains = {cell: [extra_accuracy(r, "9 carry") for r in rec if r["config"]["cell"] == cell] for cell in CELLS}
    medians = ", ".join(f"{number_text(100 * float(np.median(v)), 3)}% ({cell.upper()})"
                        for cell, v in chains.items() if v)
    low = min(extra_accuracy(r, "9 carry") for r in rec)
    return (f"The basic runs get {_range(random, 4)} of 1,000 random 9-digit pairs right (every one in {every} of "
            f"{len(rec)} runs), and a median of {medians} of 9-digit carry chains, the lowest run "
            f"{number_text(100 * low, 2)}%.")


def rows(records, runs, label):
    """'label: solved k of n (finals ...)' for the configurations among ``runs``, per configuration."""
    out = []
    configurations = {}
    for run in runs:
        configurations.setdefault(configuration_id(run.id), []).append(run)
    for config, members in configurations.items():
        rec = _records(records, members)
        finals = ", ".join(number_text(final_sums(r), 4) for r in rec)
        solved = solved_text([final_sums(r) == 1.0 for r in rec], len(members))
        out.append(f"{config.removeprefix('add-')}: {solved}"
                   f"{f' ({finals})' if rec else ''}")
    return f"{label}: " + "; ".join(out) + "."


def chains(records, digits=(20, 100)):
    """Carry chains of 20 and 100 digits right after training on (0, 1e10), without and with long carry chains in
    the training batches, per cell (every seed's figure)."""
    before = [run for run in report003.RANGES if run.id.startswith("add-range-1e10-")]
    parts = []
    for cell in CELLS:
        texts = []
        for what, runs in (("without", before), ("with", report003.CHAINS)):
            runs = [run for run in runs if run.config()["cell"] == cell]
            rec = _records(records, runs)
            figures = "; ".join(f"{d} digits {_range([extra_accuracy(r, f'{d} carry') for r in rec], 3)}"
                                for d in digits) if rec else "not run yet"
            texts.append(f"{what} {figures} ({done_text(len(rec), len(runs))})")
        parts.append(f"{cell.upper()} {' against '.join(texts)}")
    return (f"Carry chains right after training on (0, 1e10), without and with {report003.CHAINS_FRACTION:.0%} of "
            f"the training pairs drawn with a long carry chain: {'; '.join(parts)}.")


def low_loss(records):
    """How many basic-setting runs brought the training loss below the report's 0.005 within their steps."""
    rec = _records(records, report003.BASIC + report003.INIT)
    below = sum(first_step_below(r) is not None for r in rec)
    return f"the training loss fell below the report's 0.005 within 1,000 steps in {below} of {len(rec)} runs"
