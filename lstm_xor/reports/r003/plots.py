"""Report 003's summary plots: training curves of a study's runs, accuracy per digit position, longer operands.

Over the run records of report 003's part (lstm_xor.reports.r003.runs); the
tables are lstm_xor.reports.r003.tables'. Steps are optimiser steps, the report's
"epochs". Matplotlib is imported lazily.
"""

import re

import numpy as np

from lstm_xor.config import DEFAULTS
from lstm_xor.nn.cells import CELLS
from lstm_xor.render import CELL_COLORS, moving_mean
from lstm_xor.reports.r003.tables import LOSS_MARK, eval_digits, extra_accuracy, steps


def plot_generalisation(records):
    """Whole sums right against operand length, for the runs trained on 10-digit operands."""
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(7, 3.8))
    for cell in CELLS:
        r = records.get(f"add-range-1e10-{cell}")
        if r is None:
            continue
        digits = eval_digits(r)
        ax.plot(digits, [extra_accuracy(r, str(d)) for d in digits], "o-", color=CELL_COLORS[cell],
                label=f"{cell}: random")
        ax.plot(digits, [extra_accuracy(r, f"{d} carry") for d in digits], "s--", color=CELL_COLORS[cell],
                label=f"{cell}: carry chains")
    ax.set(xscale="log", xlabel="operand digits (trained on 10)", ylabel="whole sums right", ylim=(-0.03, 1.03),
           title="length generalisation")
    if ax.lines:
        ax.legend(fontsize=8, ncol=2)
    fig.tight_layout()
    return fig


STYLES = ("-", "--", ":", "-.")  # one per setting of what varies besides the cell and the seed
SHOWN_KEYS = {"hidden": "hidden", "layers": "layers", "digits": "length", "lr": "lr", "init": "init",
              "train_range": "train", "carry_chains": "chains"}


def _settings(records, ids):
    """{run id: (linestyle, label)}: the configuration keys that vary among the runs besides cell and seed (width,
    layers, length, ...), a line style per setting, so that runs of one cell are told apart by more than colour."""
    # a record written before a parameter existed lacks it: it ran at the default
    configs = {i: {**DEFAULTS, **records[i]["config"]} for i in ids if i in records}
    varying = [k for k in SHOWN_KEYS if len({repr(c.get(k)) for c in configs.values()}) > 1]
    settings = sorted({tuple(repr(c.get(k)) for k in varying) for c in configs.values()})
    out = {}
    for i, c in configs.items():
        setting = tuple(repr(c.get(k)) for k in varying)
        words = ", ".join(f"{SHOWN_KEYS[k]} {c.get(k)}" for k in varying)
        out[i] = (STYLES[settings.index(setting) % len(STYLES)], f"{c['cell']}{', ' + words if words else ''}")
    return out


def plot_study(records, ids, title, smooth=10):
    """Training loss per step (moving mean) and test whole-sum accuracy per evaluation, one line per run: colour the
    cell, line style what else varies (width, layers, length, ...), paler the seeds after the first."""
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 2, figsize=(13, 3.8))
    settings = _settings(records, ids)
    labelled = set()
    for run_id in ids:
        r = records.get(run_id)
        if r is None:
            continue
        color = CELL_COLORS[r["config"]["cell"]]
        style, label = settings[run_id]
        label = None if label in labelled else label  # one legend entry per cell and setting, not per seed
        labelled.add(settings[run_id][1])
        alpha = 0.9 if not re.search(r"-s[1-9]\d*$", run_id) else 0.45
        x, y = moving_mean(r["history"]["iteration_loss"], smooth)
        axes[0].plot(x + 1, y, style, color=color, alpha=alpha, lw=1, label=label)
        axes[1].plot(steps(r), r["history"]["test_sum_accuracy"], style, color=color, alpha=alpha, lw=1, label=label)
    axes[0].axhline(LOSS_MARK, color="grey", lw=0.6, ls=":")
    axes[0].set(xlabel="step", ylabel=f"training loss (moving mean of {smooth})", yscale="log", title=title)
    axes[1].set(xlabel="step", ylabel="test: whole sums right", ylim=(-0.03, 1.03), title=title)
    if axes[1].lines:
        axes[1].legend(fontsize=7, ncol=2 if len(labelled) > 6 else 1)
    fig.tight_layout()
    return fig


def plot_positions(records, ids, title):
    """Accuracy at each digit position of the test set after training (position 1 = least significant)."""
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(7, 3.8))
    for run_id in ids:
        r = records.get(run_id)
        if r is None or not r["test"]:
            continue
        acc = r["test"]["position_accuracy"]
        ax.plot(np.arange(1, len(acc) + 1), acc, "o-", ms=3, color=CELL_COLORS[r["config"]["cell"]],
                alpha=0.7, label=run_id.removeprefix("add-"))
    ax.set(xlabel="digit position (1 = least significant)", ylabel="test: digits right", ylim=(-0.03, 1.03),
           title=title)
    if ax.lines:
        ax.legend(fontsize=7)
    fig.tight_layout()
    return fig
