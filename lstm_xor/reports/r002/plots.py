"""Report 002's summary plots: the data, losses and confusions of single runs, a sweep against the report's.

Over the run records of report 002's part (lstm_xor.reports.r002.runs); the
tables are lstm_xor.reports.r002.tables'. Matplotlib is imported lazily.
"""

import numpy as np

from lstm_xor.data.sequences import feature_stats, standardise
from lstm_xor.render import CELL_COLORS, iterations_per_epoch
from lstm_xor.reports.r002 import lengths
from lstm_xor.reports.r002 import runs as r002
from lstm_xor.tasks.classify import load


def plot_data():
    """One synthetic pen stroke per class, one spoken digit's 39 features, one JapaneseVowels utterance."""
    import matplotlib.pyplot as plt
    pen, _ = load("pen")
    fig = plt.figure(figsize=(14, 3.6))
    grid = fig.add_gridspec(1, 3, width_ratios=[1.4, 1, 1])
    strokes = grid[0].subgridspec(1, len(pen.classes))
    for k, name in enumerate(pen.classes):
        ax = fig.add_subplot(strokes[k])
        i = int(np.flatnonzero(pen.y == k)[0])
        xy = pen.x[i, :pen.lengths[i]]
        ax.plot(xy[:, 0], xy[:, 1], "-", lw=1)
        ax.plot(xy[0, 0], xy[0, 1], "o", ms=4)  # where the pen goes down
        ax.set(title=f"'{name}'", aspect="equal", xticks=[], yticks=[])
    fig.text(0.02, 0.02, "SYNTHETIC pen strokes (drawn by lstm_xor.data.pen, not recorded handwriting); "
             "a dot marks the first point", fontsize=8)
    for slot, dataset, title in ((1, "digits", "spoken digit '{}' (FSDD)\n13 MFCCs, their deltas, deltas of deltas"),
                                 (2, "vowels", "JapaneseVowels, speaker {}\n12 LPC cepstra")):
        data, _ = load(dataset)
        data = standardise(data, *feature_stats(data))  # as the networks see them: each feature on its own scale
        ax = fig.add_subplot(grid[slot])
        x = data.x[0, :data.lengths[0]]
        image = ax.imshow(x.T, aspect="auto", origin="lower", cmap="RdBu_r", vmin=-3, vmax=3)
        ax.set(xlabel="frame", ylabel="feature", title=title.format(data.classes[data.y[0]]))
        fig.colorbar(image, ax=ax, fraction=0.05, label="standardised value")
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    return fig


def _panels(records, run_ids, width, height):
    """A figure with one panel per run that has a record, and [(panel, run id, record)]; None without any."""
    import matplotlib.pyplot as plt
    have = [i for i in run_ids if i in records]
    if not have:
        return None, []
    fig, axes = plt.subplots(1, len(have), figsize=(width * len(have), height), squeeze=False)
    return fig, [(ax, run_id, records[run_id]) for ax, run_id in zip(axes[0], have, strict=True)]


def plot_losses(records, run_ids):
    """Training (mean per batch), validation and test loss per epoch of each run, the kept epoch marked."""
    fig, panels = _panels(records, run_ids, 4.6, 3.4)
    for ax, run_id, r in panels:
        h = r["history"]
        epochs = np.arange(1, len(h["epoch_loss"]) + 1)
        ax.plot(epochs, np.asarray(h["epoch_loss"]) / iterations_per_epoch(r), label="training")
        ax.plot(epochs, h["valid_loss"], label="validation")
        ax.plot(epochs, h["test_loss"], label="test", alpha=0.7)
        if r.get("best_epoch"):
            ax.axvline(r["best_epoch"], color="grey", ls=":", label=f"kept: epoch {r['best_epoch']}")
        ax.set(xlabel="epoch", ylabel="cross entropy", yscale="log", title=run_id)
        ax.legend(fontsize=8)
    if fig:
        fig.tight_layout()
    return fig


def plot_confusions(records, run_ids):
    """Each run's test confusion matrix as a heat map, rows normalised to the true class."""
    fig, panels = _panels(records, run_ids, 4, 3.8)
    for ax, run_id, r in panels:
        confusion = np.asarray(r["test"]["confusion"], dtype=float)
        share = confusion / np.maximum(confusion.sum(axis=1, keepdims=True), 1)
        classes = load(r["config"]["dataset"])[0].classes
        ax.imshow(share, cmap="Blues", vmin=0, vmax=1)
        ticks = np.arange(len(classes))
        ax.set(xticks=ticks, yticks=ticks, xticklabels=classes, yticklabels=classes, xlabel="predicted",
               ylabel="true", title=f"{run_id}\ntest accuracy {r['test']['accuracy']:.3f}")
        for (i, j), n in np.ndenumerate(confusion):
            if n:
                ax.text(j, i, int(n), ha="center", va="center", fontsize=7,
                        color="white" if share[i, j] > 0.6 else "black")
    if fig:
        fig.tight_layout()
    return fig


def plot_sweep(records, runs, key, label):
    """Test accuracy against a swept value (log scale), per cell, in two panels: the report's on its handwriting, and
    ours on the SYNTHETIC pen set (each seed a dot, the line through the means): different data, kept apart."""
    import matplotlib.pyplot as plt
    fig, (theirs_ax, ours_ax) = plt.subplots(1, 2, figsize=(11, 3.6), sharey=True)
    values = sorted({run.config()[key] for run in runs})
    for cell in r002.REPORT_CELLS:
        mine = [run for run in runs if run.config()["cell"] == cell]
        theirs = sorted((run.config()[key], run.report["test"]) for run in mine if run.report)
        if theirs:
            theirs_ax.plot(*zip(*theirs, strict=True), "x--", color=CELL_COLORS[cell], label=cell.upper())
        seeds = [(run.config()[key], records[run.id]["test"]["accuracy"]) for run in mine if run.id in records]
        if seeds:
            ours_ax.plot(*zip(*seeds, strict=True), "o", color=CELL_COLORS[cell], alpha=0.4, ms=4)
            means = [(v, np.mean([a for w, a in seeds if w == v])) for v in sorted({w for w, _ in seeds})]
            ours_ax.plot(*zip(*means, strict=True), "-", color=CELL_COLORS[cell], label=f"{cell.upper()} (dots: seeds)")
    theirs_ax.set(title="the report, on its handwriting (HW, private)", ylabel="test accuracy", ylim=(0, 1.02))
    ours_ax.set(title="ours, on the SYNTHETIC pen set (a stand-in, not handwriting)")
    for ax in (theirs_ax, ours_ax):
        ax.set(xscale="log", xlabel=label)
        ax.set_xticks(values, labels=values)
        ax.minorticks_off()
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_lengths(found):
    """Test accuracy per length third, RNN and LSTM (the report's two-layer networks), one panel per data set: each
    seed a dot, the line through the means (found: lstm_xor.reports.r002.lengths.read())."""
    import matplotlib.pyplot as plt
    have = [d for d in lengths.PAIRS if any(r["dataset"] == d for r in found.values())]
    if not have:
        return None
    fig, axes = plt.subplots(1, len(have), figsize=(5.5 * len(have), 3.4), squeeze=False, sharey=True)
    for ax, dataset in zip(axes[0], have, strict=True):
        acc, edges = lengths.accuracies(found, dataset)
        ticks = [f"{lengths.third_text(edges, k)} steps" for k in range(3)]
        for cell, seeds in acc.items():
            for seed in seeds:
                ax.plot(range(3), seed, "o", color=CELL_COLORS[cell], alpha=0.4, ms=4)
            ax.plot(range(3), np.nanmean(np.asarray(seeds, dtype=float), axis=0), "-", color=CELL_COLORS[cell],
                    label=f"{cell.upper()} ({len(seeds)} seed{'s' * (len(seeds) > 1)})")
        ax.set_xticks(range(3), labels=ticks)
        ax.set(title=lengths.DATA[dataset], xlabel="test sequences by length (thirds)", ylim=(0, 1.02))
        ax.legend(fontsize=8)
    axes[0][0].set_ylabel("test accuracy")
    fig.tight_layout()
    return fig
