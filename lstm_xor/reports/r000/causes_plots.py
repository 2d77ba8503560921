"""Plots of the experiments on report 000's failures (lstm_xor.reports.r000.causes_runs): every seed of each
mechanic, the failure-rate map, the final label. Epochs count from 1; matplotlib is imported lazily.
"""

import numpy as np

from lstm_xor import render
from lstm_xor.reports.r000 import runs as report000
from lstm_xor.reports.r000.causes_runs import CAUSES, FINAL, FINAL_LENGTHS, FINAL_SEEDS, MAP_SETTINGS, MECHANICS, SEEDS
from lstm_xor.reports.r000.causes_tables import FINAL_ROWS, map_records, solved_by, study_ids
from lstm_xor.reports.r000.pages import REPORT_TEST_N

COLOURS = {"report": "tab:red", "ours": "tab:blue"}
MAP_FONTSIZE = 11  # the map is drawn 12 inches wide and shown at a page's width: smaller text would not read


def _legend(ax, **kw):
    """A legend when something is labelled (a page may show a study before its runs exist)."""
    if ax.get_legend_handles_labels()[0]:
        ax.legend(**kw)


def plot_mechanics(records, data, columns=3):
    """Whole strings wrong (of 20,000) after each epoch, every seed, one panel per mechanic."""
    import matplotlib.pyplot as plt
    _, lr, epochs = CAUSES[data]
    names = [name for name in MECHANICS if study_ids(f"causes-{data}", f"cause-{data}-{name}-s")]
    rows = -(-len(names) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(11, 2.6 * rows), sharex=True, sharey=True, squeeze=False)
    for ax, name in zip(axes.flat, names, strict=False):
        for seed in SEEDS:
            rec = records.get(f"cause-{data}-{name}-s{seed}")
            if rec:
                errors = render.errors_drawn(rec["history"]["test_sequence_accuracy"], rec["test"]["n"])
                ax.plot(range(1, len(errors) + 1), errors, "o-", ms=4, lw=1, color=f"C{seed}", label=f"seed {seed}")
        render.error_axis(ax, REPORT_TEST_N)
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


def _report_runs(data):
    """The report's runs at one fixed rate with its own initialisation, of one data kind: [(lr, epochs run)]."""
    return [(r.params["lr"], r.epochs) for r in report000.REPORT_RUNS if r.group == f"report-{data}"
            and not r.params.get("lr_schedule") and r.params.get("init", "orthogonal") == "orthogonal"]


def _map_panel(ax, records, data):
    """One data kind's share of seeds solved within 1, 2, 3 epochs against the rate, for both settings."""
    for settings in MAP_SETTINGS:
        by_lr, epochs = map_records(records, settings, data)
        lrs = [lr for lr, recs in by_lr.items() if recs]
        if not lrs:  # no empty curve in the legend for settings not run yet
            continue
        for n, style in zip(range(1, epochs + 1), ("o:", "s--", "^-"), strict=False):
            p = [np.mean([solved_by(r, n) for r in by_lr[lr]]) for lr in lrs]
            ax.plot(lrs, p, style, color=COLOURS[settings], alpha=0.45 + 0.55 * n / 3, ms=7,
                    label=f"{settings} settings, within {render.count(n, 'epoch')}")
    ax.set_ylim(-0.05, 1.05)
    ax.set_title(f"{data} length" + (" 50" if data == "fixed" else " 1-50"), fontsize=MAP_FONTSIZE)
    ax.grid(alpha=0.3)


def plot_map(records):
    """P(solved within N epochs) against the learning rate, one column per data; under it, the report's runs.

    The report's runs at one rate are drawn at the epochs they ran (a strip under each
    panel), not labelled with them: rates 0.00034-0.00035 are too close for labels.
    """
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(2, len(CAUSES), figsize=(12, 6.2), sharex=True, sharey="row", height_ratios=(3, 1.3),
                             layout="constrained")
    for (top, strip), data in zip(axes.T, CAUSES, strict=True):
        _map_panel(top, records, data)
        runs = _report_runs(data)
        strip.plot([lr for lr, _ in runs], [epochs for _, epochs in runs], "x", color="black", ms=9, mew=1.6,
                   label="the report's runs, at the epochs they ran\n(none had every test string right)")
        strip.set(xscale="log", ylim=(0, 35), yticks=(0, 10, 20, 30))
        strip.set_xlabel("learning rate", fontsize=MAP_FONTSIZE)
        strip.grid(alpha=0.3)
    for ax in axes.flat:
        ax.tick_params(labelsize=MAP_FONTSIZE - 1)
    axes[0, 0].set_ylabel("share of the seeds\nrun that solved", fontsize=MAP_FONTSIZE)
    axes[1, 0].set_ylabel("epochs the\nreport ran", fontsize=MAP_FONTSIZE)
    handles, labels = (a + b for a, b in zip(axes[0, 0].get_legend_handles_labels(),
                                             axes[1, 0].get_legend_handles_labels(), strict=True))
    if handles:
        fig.legend(handles, labels, loc="outside lower center", ncol=2, fontsize=MAP_FONTSIZE, frameon=False)
    return fig


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
