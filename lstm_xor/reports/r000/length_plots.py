"""Plots of the critical-length runs (lstm_xor.reports.r000.length_runs) and of the signal at initialisation
(lstm_xor.study.length_signal's JSON); matplotlib is imported lazily."""

import numpy as np

from lstm_xor.reports.r000.length_runs import CAP, SEEDS, SERIES
from lstm_xor.reports.r000.length_tables import (
    MEASURES,
    NEVER,
    SECOND_CAP,
    outcomes,
    series_fit,
    series_label,
    signal_means,
    steps_of,
)

STYLES = {("fixed", 0.01): ("tab:red", "o"), ("fixed", 0.001): ("tab:orange", "s"), ("random", 0.01): ("tab:blue", "^")}
JITTER, SPREAD = 0.025, 0.08  # seeds, and series, side by side: factors on the length (equal steps stay apart)


def _series(ax, records, series, offset, measure):
    """One series' seeds (solved filled, unsolved open at the cap) and its power-law fit; offset: its place."""
    colour, marker = STYLES[series]
    label = series_label(*series)
    for n, values in outcomes(records, *series, measure=measure).items():
        for seed, v in enumerate(values):
            if v is None:
                continue
            x = n * (1 + JITTER * (seed - (SEEDS - 1) / 2) + SPREAD * offset)
            solved = v != NEVER
            ax.plot(x, steps_of(v if solved else CAP), marker, ms=7, color=colour, mfc=colour if solved else "none",
                    label=label)
            label = None
    f = series_fit(records, *series, measure=measure)
    if f:
        p = f["power"]
        x = np.array([min(f["lengths"]), max(f["lengths"])], dtype=float)
        ax.plot(x, 10 ** p["intercept"] * x ** p["slope"], "--", color=colour, lw=1.2,
                label=f"fit: steps ∝ n^{p['slope']:.2f}")


def plot_steps(records):
    """Steps (and strings) to solve against the length, log-log, read from the test set each epoch (left) and
    from the training loss each step (right): every seed, unsolved open at the cap."""
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 2, figsize=(13, 5), sharey=True)
    ticks = sorted({n for s in SERIES for n in outcomes(records, *s)})
    for ax, (measure, words) in zip(axes, MEASURES.items(), strict=True):
        for offset, series in enumerate(SERIES):
            _series(ax, records, series, offset - 1, measure)
        for cap, style in ((CAP, "-"), (SECOND_CAP, ":")):
            ax.axhline(steps_of(cap), color="grey", ls=style, lw=1, label=f"cap of {cap:,} strings")
        ax.set(xscale="log", yscale="log", xlabel="string length n", title=f"steps to solve, read from {words}")
        ax.set_xticks(ticks, [str(n) for n in ticks])
        ax.minorticks_off()
        ax.grid(alpha=0.3, which="both")
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=8, loc="lower right")
    axes[0].set_ylabel("steps of 32 strings (open: not solved within the cap)")
    strings = axes[1].secondary_yaxis("right", functions=(lambda s: s * 32, lambda s: s / 32))
    strings.set_ylabel("training strings")
    fig.tight_layout()
    return fig


def plot_signal(found):
    """The signal at initialisation against the length: the gradients' sizes, and their cosine with the rest."""
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 2, figsize=(12, 4))
    for key, label in (("grad_norm", "‖dL/dW‖ (whole gradient)"), ("label_norm", "‖dL/dW‖, label part"),
                       ("true_label_norm", "‖true label direction‖"), ("label_share", "its share of a batch's"),
                       ("dh1", "‖dL/dh₁‖ (the first bit's state)"), ("dc1", "‖dL/dc₁‖")):
        n, v = zip(*signal_means(found, key), strict=True)
        axes[0].plot(n, v, "o-", label=label)
    axes[0].set(xscale="log", yscale="log", xlabel="string length n", ylabel="norm (ratio), mean over seeds",
                title="gradient sizes at initialisation (W: the LSTM layer's weights)")
    for key, label in (("cosine", "whole gradient"), ("label_cosine", "label part")):
        n, v = zip(*signal_means(found, key), strict=True)
        line, = axes[1].plot(n, v, "o-", label=label)
        seeds = [(length, v) for length in n for v in found["rows"][str(length)][key]]
        axes[1].plot(*zip(*seeds, strict=True), ".", color=line.get_color(), alpha=0.5,
                     label="each seed" if key == "label_cosine" else None)
    axes[1].axhline(0, color="grey", lw=1)
    axes[1].set(xscale="log", xlabel="string length n", ylabel="cosine with the true direction",
                title="a batch's gradient against the mean over every string (0: noise)")
    for ax in axes:
        ax.set_xticks(found["lengths"], [str(n) for n in found["lengths"]])
        ax.minorticks_off()
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    return fig
