"""Report 002's summary page: its sweeps beside ours, cross-validation, our runs beyond it, baselines.

Tables (Markdown) over the run records of report 002's part
(lstm_xor.reports.r002.runs) and the baselines' record (``python -m lstm_xor
baselines``). Accuracies are shares of sequences right; a run with early stopping
reports the epoch it kept. The plots are lstm_xor.reports.r002.plots'.
"""

import json
import os

import numpy as np

from lstm_xor.render import link, mean_sd_text, number_text, seconds_text
from lstm_xor.reports.r002 import runs as r002
from lstm_xor.tasks.classify import load

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
                               f"(kept of run) | run " for c in r002.REPORT_CELLS]
    lines = ["".join(head) + "|", "|---" * (1 + 4 * len(r002.REPORT_CELLS)) + "|"]
    for value in sorted(by):
        cells = []
        for cell in r002.REPORT_CELLS:
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
    for cell in r002.REPORT_CELLS:
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
