"""Report 004's summary plots: state gradients against the distance, test loss and accuracy by truncation.

Over the run records of report 004's part (lstm_xor.reports.r004.runs); the
tables are lstm_xor.reports.r004.tables'. Matplotlib is imported lazily.
"""

import numpy as np

from lstm_xor.nn.cells import CELLS
from lstm_xor.render import CELL_COLORS
from lstm_xor.reports.r004 import runs as r004
from lstm_xor.reports.r004.tables import gradient_runs, mean_chunk


def plot_gradients(records):
    """||dL_T/dh_t|| against T - t on a log scale, a panel per cell: initial dashed, trained solid, every seed."""
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 3, figsize=(14, 3.8), sharey=True)
    for ax, cell in zip(axes, CELLS, strict=True):
        for layers, alpha in ((1, 1.0), (2, 0.45)):
            for i, r in enumerate(gradient_runs(records, cell, layers)):
                g = r["state_gradients"]
                for which, style in (("initial", "--"), ("trained", "-")):
                    label = f"{which}, {layers} layer{'s' * (layers > 1)}" if i == 0 else None
                    ax.plot(g["distances"], np.asarray(g[which])[:, -1], style, color=CELL_COLORS[cell],
                            alpha=alpha, marker="o" if layers == 1 else "s", ms=3, label=label)
        ax.set(yscale="log", xlabel="distance T - t (steps)", title=cell.upper())
        ax.legend(fontsize=7)
    axes[0].set_ylabel("||dL_T / dh_t|| (top layer)")
    fig.tight_layout()
    return fig


def plot_modes(records):
    """Per cell: the test loss against training time, epoch by epoch, a line per truncation (seed 0)."""
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 3, figsize=(14, 3.8), sharey=True)
    styles = {"full": "k-", "regular": "-", "randomized": "--"}
    for ax, cell in zip(axes, CELLS, strict=True):
        for run in r004.TRUNCATION:
            c = run.config()
            if c["cell"] != cell or c["seed"] != 0 or run.id not in records:
                continue
            h = records[run.id]["history"]
            label = r004.mode_text(c["bptt"], dict(bptt_k=c["bptt_k"], bptt_p=c["bptt_p"]))
            ax.plot(np.cumsum(h["epoch_seconds"]), h["test_loss"], styles[c["bptt"]], marker="o", ms=3,
                    label=label.replace("truncation, ", ""))
        ax.set(xlabel="training time (s)", title=cell.upper(), yscale="log")
        ax.legend(fontsize=6)
    axes[0].set_ylabel("test loss (cross entropy per label)")
    fig.tight_layout()
    return fig


def plot_chunks(records):
    """Per cell: the share of test strings whose last label is right against the mean chunk length, regular
    truncation and randomized, every seed; full BPTT as a line."""
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 3, figsize=(14, 3.4), sharey=True)
    for ax, cell in zip(axes, CELLS, strict=True):
        runs = [(run.config(), records[run.id]) for run in r004.TRUNCATION
                if run.id in records and run.config()["cell"] == cell]
        for mode, style in (("regular", "o-"), ("randomized", "s--")):
            points = sorted((mean_chunk(c), r["test"]["last_bit_accuracy"]) for c, r in runs if c["bptt"] == mode)
            if points:
                ax.plot(*zip(*points, strict=True), style, label=mode)
        full = [r["test"]["last_bit_accuracy"] for c, r in runs if c["bptt"] == "full"]
        if full:
            ax.axhline(np.mean(full), color="k", lw=1, label="full BPTT")
        ax.axvline(r004.BASE["lag"], color="grey", ls=":", label="the lag")
        ax.set(xscale="log", xlabel="mean chunk length (steps)", title=cell.upper(), ylim=(0.4, 1.02))
        ax.set_xticks([2, 5, 10, 20], labels=["2", "5", "10", "20"])
        ax.minorticks_off()
        ax.legend(fontsize=7)
    axes[0].set_ylabel("last label right (test)")
    fig.tight_layout()
    return fig
