"""Report 002's summary page: its sweeps beside ours, cross-validation, our runs beyond it, baselines.

Tables (Markdown) and plots over the run records of report 002's part
(lstm_xor.reports.r002.runs) and the baselines' record (``python -m lstm_xor
baselines``). Accuracies are shares of sequences right; a run with early stopping
reports the epoch it kept. Matplotlib is imported lazily.
"""

import json
import os

import numpy as np

from lstm_xor.data.sequences import feature_stats, standardise
from lstm_xor.render import link, mean_sd_text, number_text, seconds_text
from lstm_xor.reports.r002 import runs as r002
from lstm_xor.tasks.classify import load

CELL_COLORS = {"rnn": "tab:blue", "lstm": "tab:orange", "gru": "tab:green"}
DATA_ROWS = (("pen", "HW"), ("vowels", "CV"), ("digits", "CV"))  # our data set, the report's column it stands for
# Published figures on JapaneseVowels' standard split (quoted, not measured here).
ANCHORS = (("1-NN DTW, the UEA archive's benchmark (Bagnall et al. 2018)", "about 0.95"),
           ("the best published classifiers on this split", "about 0.98-0.99"))


def _part(record, part):
    """A part's accuracy in a record (train, valid or test), None when absent."""
    return record[part]["accuracy"] if record and record.get(part) else None


def _epochs(record):
    kept = record.get("best_epoch")
    return f"{kept} of {record['epochs_completed']}" if kept else str(record["epochs_completed"])


def _ours(records, run, runs_dir):
    """'train / test (epochs) link' cells of one run, or 'not run yet'."""
    record = records.get(run.id)
    if record is None:
        return ["not run yet", "", ""]
    return [f"{number_text(_part(record, 'train'), 3)} / {number_text(_part(record, 'test'), 3)}", _epochs(record),
            link(run.id, records, runs_dir)]


def _report(run):
    r = run.report
    return f"{r['train']:g} / {r['test']:g}" if r else "–"


def sweep_table(records, runs_dir, runs, key, label):
    """One row per value of ``key`` (a RunConfig field), per cell: the report's and our train / test accuracy."""
    by = {}
    for run in runs:
        config = run.config()
        by.setdefault(config[key], {})[config["cell"]] = run
    head = [f"| {label} "] + [f"| {c.upper()}: report train / test | {c.upper()}: ours train / test | epochs "
                               f"(kept of run) | run " for c in r002.CELLS]
    lines = ["".join(head) + "|", "|---" * (1 + 4 * len(r002.CELLS)) + "|"]
    for value in sorted(by):
        cells = []
        for cell in r002.CELLS:
            run = by[value].get(cell)
            cells += [_report(run), *_ours(records, run, runs_dir)] if run else ["–"] * 4
        lines.append(f"| {value} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def units_table(records, runs_dir):
    return sweep_table(records, runs_dir, r002.UNIT_RUNS, "hidden", "units per layer (2 layers)")


def layers_table(records, runs_dir):
    """The layers sweep, with the width-16 runs of the units sweep as its 2-layer row."""
    two = [run for run in r002.UNIT_RUNS if run.config()["hidden"] == 16]
    return sweep_table(records, runs_dir, [*r002.LAYER_RUNS, *two], "layers", "layers of 16")


def dropout_table(records, runs_dir):
    two = [run for run in r002.UNIT_RUNS if run.config()["hidden"] == 16]
    return sweep_table(records, runs_dir, [*two, *r002.DROPOUT_RUNS], "dropout", "dropout (2 layers of 16)")


def two_layer_table(records, runs_dir):
    """The report's two-layer RNN and LSTM on each of its data sets and on each of ours."""
    lines = ["| model | report's data | report train / test | our data | ours train / test | epochs (kept of run) "
             "| run |", "|---|---|---|---|---|---|---|"]
    for cell in r002.CELLS:
        setting = r002.TWO_LAYER[cell]
        runs = [run for run in r002.UNIT_RUNS if run.config()["cell"] == cell and run.config()["hidden"] ==
                setting["hidden"]] + [run for run in r002.SPEECH_RUNS if run.config()["cell"] == cell]
        for run in runs:
            dataset = run.config()["dataset"]
            column = dict(DATA_ROWS)[dataset]
            train, test = setting[column]
            lines.append(f"| {cell.upper()}, 2 layers of {setting['hidden']} | {column} | {train:g} / {test:g} | "
                         f"{r002.DATA_TEXT[dataset]} | " + " | ".join(_ours(records, run, runs_dir)) + " |")
    return "\n".join(lines)


def cross_validation(records):
    """{(dataset, cell): {width: (valid accuracies, test accuracies)}} over the folds that ran."""
    out = {}
    for run in r002.CV_RUNS:
        if run.id in records:
            c, record = run.config(), records[run.id]
            valid, test = out.setdefault((c["dataset"], c["cell"]), {}).setdefault(c["hidden"], ([], []))
            valid.append(_part(record, "valid"))
            test.append(_part(record, "test"))
    return out


def chosen_width(widths):
    """The width with the best mean validation accuracy over its folds (the smaller one on a tie)."""
    return max(sorted(widths), key=lambda h: np.mean(widths[h][0]))


def cv_table(records):
    """Per data set and cell: each width's mean validation and test accuracy over the folds; the chosen in bold."""
    lines = ["| data | cell | width | folds | validation accuracy, mean ± sd | test accuracy of the fold models |",
             "|---|---|---|---|---|---|"]
    for (dataset, cell), widths in cross_validation(records).items():
        best = chosen_width(widths)
        for h, (valid, test) in sorted(widths.items()):
            mark = "**" if h == best else ""
            lines.append(f"| {r002.DATA_TEXT[dataset]} | {cell.upper()} | {mark}{h}{mark} | {len(valid)} | "
                         f"{mark}{mean_sd_text(valid)}{mark} | {mean_sd_text(test)} |")
    return "\n".join(lines)


def _ours_by(records):
    """{(dataset, cell, pool): [records over seeds]} of our runs beyond the report."""
    out = {}
    for run in r002.BEST_RUNS + r002.LAST_RUNS:
        if run.id in records:
            c = run.config()
            out.setdefault((c["dataset"], c["cell"], c["pool"]), []).append(records[run.id])
    return out


def read_baselines(path):
    """The baselines' record, or None before ``python -m lstm_xor baselines`` has written it."""
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)


def ours_table(records, baselines):
    """Our runs beyond the report per data set and cell over the seeds, then the baselines on the same split."""
    lines = ["| data | model | seeds | test accuracy, mean ± sd | min – max | epochs kept | training time per run |",
             "|---|---|---|---|---|---|---|"]
    for (dataset, cell, pool), recs in _ours_by(records).items():
        test = [_part(r, "test") for r in recs]
        kept = sorted(r.get("best_epoch") or r["epochs_completed"] for r in recs)
        seconds = seconds_text(float(np.median([r["wall_seconds"] for r in recs])))
        lines.append(f"| {r002.DATA_TEXT[dataset]} | {cell.upper()}, 1 layer of 64, {r002.POOL_TEXT[pool]}, Adam | "
                     f"{len(recs)} | {mean_sd_text(test)} | {min(test):.3f} – {max(test):.3f} | "
                     f"{', '.join(map(str, kept))} | {seconds} |")
    for dataset, figures in ((baselines or {}).get("datasets") or {}).items():
        for name, label in (("logistic", "logistic regression on per-sequence mean and sd"),
                            ("dtw", "1-NN DTW (squared frame distances, no window)")):
            f = figures[name]
            lines.append(f"| {r002.DATA_TEXT[dataset]} | {label} | – | {f['accuracy']:.3f} ({f['correct']}/{f['n']}) "
                         f"| | | {seconds_text(f['seconds'])} |")
    return "\n".join(lines)


def anchors_table(records, baselines):
    """JapaneseVowels: our best recurrent model and our baselines beside the published figures."""
    lines = ["| JapaneseVowels, standard split (370 test utterances) | test accuracy |", "|---|---|"]
    lines += [f"| {name} (published) | {figure} |" for name, figure in ANCHORS]
    for (dataset, cell, pool), recs in _ours_by(records).items():
        if dataset == "vowels":
            lines.append(f"| ours: {cell.upper()}, {r002.POOL_TEXT[pool]}, {len(recs)} seeds (mean ± sd) | "
                         f"{mean_sd_text([_part(r, 'test') for r in recs])} |")
    figures = ((baselines or {}).get("datasets") or {}).get("vowels")
    if figures:
        lines += [f"| ours: 1-NN DTW | {figures['dtw']['accuracy']:.4f} |",
                  f"| ours: logistic regression | {figures['logistic']['accuracy']:.4f} |"]
    return "\n".join(lines)


def data_table():
    """Each data set: what it is, its sizes and lengths."""
    lines = ["| data (our name) | stands for | classes | train / test sequences | frames | features |",
             "|---|---|---|---|---|---|"]
    for dataset, column in DATA_ROWS:
        train, test = load(dataset)
        lengths = np.concatenate([train.lengths, test.lengths])
        name = r002.DATA_TEXT[dataset]
        name += " (SYNTHETIC)" if train.synthetic and "SYNTHETIC" not in name else ""
        lines.append(f"| {name} (`{dataset}`) | the report's {column} data | {len(train.classes)} | "
                     f"{len(train)} / {len(test)} | {lengths.min()}–{lengths.max()} | {train.x.shape[2]} |")
    return "\n".join(lines)


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


def _batches(record):
    return len(record["history"]["iteration_loss"]) // max(record["epochs_completed"], 1)


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
        ax.plot(epochs, np.asarray(h["epoch_loss"]) / _batches(r), label="training")
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
    """Test accuracy against a swept value (log scale), per cell: ours as points, the report's as crosses."""
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(6.5, 3.6))
    for cell in r002.CELLS:
        mine = sorted((run.config()[key], records[run.id]["test"]["accuracy"]) for run in runs
                      if run.config()["cell"] == cell and run.id in records)
        theirs = sorted((run.config()[key], run.report["test"]) for run in runs
                        if run.config()["cell"] == cell and run.report)
        for points, style, who in ((mine, "o-", "ours (synthetic pen)"), (theirs, "x--", "report (HW)")):
            if points:
                x, y = zip(*points, strict=True)
                ax.plot(x, y, style, color=CELL_COLORS[cell], label=f"{cell.upper()}, {who}")
    ax.set(xscale="log", xlabel=label, ylabel="test accuracy", ylim=(0, 1.02))
    values = sorted({run.config()[key] for run in runs})
    ax.set_xticks(values, labels=values)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig
