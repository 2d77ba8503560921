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
from lstm_xor.tasks.adder import solved_step

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


def _by_cell(records, runs):
    return {cell: _records(records, [run for run in runs if run.config()["cell"] == cell]) for cell in CELLS}


def hidden(records):
    """Hidden 16 and 64: how many runs have every test sum right at the end, their first step so, the finals."""
    parts = []
    for h in (64, 16):
        runs = [run for run in report003.HIDDEN if run.config()["hidden"] == h]
        rec = _records(records, runs)
        if not rec:
            parts.append(f"hidden {h} not run yet")
            continue
        solved = solved_text([final_sums(r) == 1.0 for r in rec], len(runs))
        steps = [solved_step(r) for r in rec if solved_step(r) is not None]
        parts.append(f"hidden {h}: {solved} runs over the three cells with every test sum right at the end"
                     + (f", first at step {_range(steps)}" if steps else "") +
                     f", the finals {_range([final_sums(r) for r in rec], 4)}")
    return "; ".join(parts) + " (the basic setting's hidden 32 is above)."


def length1000(records):
    """The GRU at digit length 1000 after 400 steps: whole sums and digits right, and the lowest digits."""
    rec = [r for r in _records(records, report003.LENGTH) if r.get("test")]
    if not rec:
        return "Digit length 1000 has not been run yet."
    pos = [r["test"]["position_accuracy"] for r in rec]
    from_sixth = min(min(p[5:]) for p in pos)
    return (f"after 400 steps ({done_text(len(rec), len(report003.LENGTH))} seeds of the GRU), "
            f"{_range([r['test']['sum_accuracy'] for r in rec], 3, 100)}% of the 1000-digit sums are entirely right "
            f"and {_range([r['test']['digit_accuracy'] for r in rec], 4, 100)}% of the digits; the wrong ones are "
            f"the lowest digits (digit 1 right in {_range([p[0] for p in pos], 3, 100)}% of the sums, digit 2 in "
            f"{_range([p[1] for p in pos], 3, 100)}%, every digit from the 6th on in at least "
            f"{number_text(100 * from_sixth, 3)}%)")


def small_range(records):
    """Trained on (0, 1e2): the test sums right, and on pairs from the training range itself, the sums and each
    digit right (digit 2 takes the one carry those sums have)."""
    runs = [run for run in report003.RANGES if run.id.startswith("add-range-1e2-")]
    rec = [r for r in _records(records, runs) if r.get("extra_tests")]
    if not rec:
        return "The (0, 1e2) runs have not been run yet."
    seen = [r["extra_tests"]["2"] for r in rec]
    tests = [r["test"]["position_accuracy"] for r in rec]
    return (f"Training on (0, 1e2) gives {_range([final_sums(r) for r in rec], 3, 100)}% of the sums right (the "
            f"report: 76%; {done_text(len(rec), len(runs))}). On pairs from the training range itself the networks "
            f"get {_range([s['sum_accuracy'] for s in seen], 3, 100)}% of the sums right, digit 2 (the tens, the one "
            f"digit of those sums that both adds operand digits and takes a carry in) "
            f"{_range([s['position_accuracy'][1] for s in seen], 3, 100)}%, digits 1 and 3 (the carry out) "
            f"{_range([s['position_accuracy'][k] for s in seen for k in (0, 2)], 3, 100)}%. On the "
            f"test set digit 2 is right in {_range([p[1] for p in tests], 3, 100)}% of the sums and digit 3, the "
            f"first with operand digits never seen in training, in {_range([p[2] for p in tests], 3, 100)}%")


def large_range(records):
    """(0, 1e5) at one preset length of 101, and at length 11 tested on operands below 1e100, per cell."""
    preset = _by_cell(records, [run for run in report003.RANGES if run.id.startswith("add-range-1e5-")
                                and "len11" not in run.id])
    short = _by_cell(records, [run for run in report003.RANGES if run.id.startswith("add-range-1e5-len11-")])
    if not any(preset.values()) and not any(short.values()):
        return "The (0, 1e5) runs have not been run yet."
    first = ", ".join(f"{_range([final_sums(r) for r in rec], 3)} ({cell.upper()})" for cell, rec in preset.items()
                      if rec) or "not run yet"
    second = ", ".join(f"{_range([extra_accuracy(r, '100') for r in rec], 3)} ({cell.upper()})"
                       for cell, rec in short.items() if rec) or "not run yet"
    n = sum(map(len, preset.values())), sum(map(len, short.values()))
    return (f"For (0, 1e5) / (0, 1e100), one preset length of 101 for training and test gives {first} of the test "
            f"sums right (n = {n[0]}); training at length 11 and testing the same network on operands below 1e100 "
            f"gives {second} (n = {n[1]})")


def ten_digits(records):
    """Trained and tested on (0, 1e10): the test sums right at the end, and how many runs have every one."""
    runs = [run for run in report003.RANGES if run.id.startswith("add-range-1e10-")]
    rec = _records(records, runs)
    if not rec:
        return "training on (0, 1e10) has not been run yet"
    return (f"training on (0, 1e10) gives {_range([final_sums(r) for r in rec], 4)} of the test sums right, every "
            f"one in {solved_text([final_sums(r) == 1.0 for r in rec], len(runs)).removeprefix('solved ')} runs "
            "(the report: 1 with every cell)")


def long_random(records):
    """Trained on (0, 1e10): random 1000-digit sums right afterwards, per cell."""
    runs = [run for run in report003.RANGES if run.id.startswith("add-range-1e10-")]
    by = _by_cell(records, runs)
    return ", ".join(f"{_range([extra_accuracy(r, '1000') for r in rec], 3)} ({cell.upper()})"
                     for cell, rec in by.items() if rec) or "not run yet"


def headline(records):
    """One line for the book's abstract: the basic setting's steps to 99% of the sums right against the report's,
    and the carry chains without and with long chains in training (100 digits)."""
    basic = _records(records, report003.BASIC)
    if not basic:
        return "Report 003 (an adder): no run has a record yet."
    reached = [step_at(r, 0.99) for r in basic if step_at(r, 0.99) is not None]
    steps = (f"{len(reached)} of {len(basic)} runs at step {_range(reached)}" if reached else
             f"none of {len(basic)} runs")

    def chains_right(runs):
        return _range([extra_accuracy(r, "100 carry") for r in _records(records, runs)], 3)
    before = [run for run in report003.RANGES if run.id.startswith("add-range-1e10-")]
    return (f"Report 003 (an adder): RNN, LSTM and GRU learn to add, 99% of the test sums right in {steps}, against "
            f"the report's {REPORT_STEPS} by eye; trained on "
            f"random 10-digit pairs they get {chains_right(before)} of 100-digit carry chains right, and "
            f"{chains_right(report003.CHAINS)} when {report003.CHAINS_FRACTION:.0%} of the training pairs hold a long "
            "carry chain.")
