"""Report 002's summary page: its sweeps beside ours, cross-validation, our runs beyond it, baselines.

Tables (Markdown) over the run records of report 002's part
(lstm_xor.reports.r002.runs) and the baselines' record (``python -m lstm_xor
baselines``). Accuracies are shares of sequences right; a run with early stopping
reports the epoch it kept. The plots are lstm_xor.reports.r002.plots'.
"""

import json
import os

import numpy as np

from lstm_xor.aggregate import spread_text
from lstm_xor.render import mean_sd_text, seconds_text
from lstm_xor.reports.r002 import runs as r002
from lstm_xor.tasks.classify import load

DATA_ROWS = (("pen", "HW"), ("vowels", "CV"), ("digits", "CV"))  # our data set, the report's column it stands for
# Published figures on JapaneseVowels' standard split (quoted, not measured here): the UEA archive's 1-NN DTW
# benchmarks (Bagnall et al. 2018, arXiv:1811.00075; bagnall2018uea in book/references.bib).
ANCHORS = (("1-NN DTW, the UEA archive's benchmark (Bagnall et al. 2018)", "about 0.95"),)
POST_HOC = "added after seeing test results (post hoc)"  # the last-step runs (runs.LAST_RUNS)


def _part(record, part):
    """A part's accuracy in a record (train, valid or test), None when absent."""
    return record[part]["accuracy"] if record and record.get(part) else None


def _epochs(record):
    kept = record.get("best_epoch")
    return f"{kept} of {record['epochs_completed']}" if kept else str(record["epochs_completed"])


def _report(run):
    r = run.report
    return f"{r['train']:g} / {r['test']:g}" if r else "–"


def configurations(runs, key):
    """{(value of ``key``, cell): [runs of that configuration, seed 0 first]} in registry order."""
    out = {}
    for run in runs:
        config = run.config()
        out.setdefault((config[key], config["cell"]), []).append(run)
    return out


def values(records, runs, part="test"):
    """A part's accuracy per run, None for a run without a record (aggregate.spread_text's input)."""
    return [_part(records.get(run.id), part) for run in runs]


def _seeds_cells(records, runs, runs_dir):
    """Train and test accuracy over the seeds (spread, n of N), the epochs kept, and the runs' links."""
    kept = [_epochs(records[run.id]) for run in runs if run.id in records]
    links = " ".join(f"[s{run.config()['seed']}]({runs_dir}/{run.id}.ipynb)" for run in runs if run.id in records)
    return [spread_text(values(records, runs, "train"), len(runs)), spread_text(values(records, runs), len(runs)),
            ", ".join(kept) or "–", links or "–"]


def sweep_table(records, runs_dir, runs, key, label):
    """One row per value of ``key`` (a RunConfig field), per cell: the report's train / test accuracy and ours over
    the seeds (every value where n <= 3, else mean ± sd; n of the runs planned)."""
    by = configurations(runs, key)
    head = [f"| {label} "] + [f"| {c.upper()}: report train / test | {c.upper()}: ours train | {c.upper()}: ours "
                               f"test | epochs (kept of run) | runs " for c in r002.REPORT_CELLS]
    lines = ["".join(head) + "|", "|---" * (1 + 5 * len(r002.REPORT_CELLS)) + "|"]
    for value in sorted({v for v, _ in by}):
        cells = []
        for cell in r002.REPORT_CELLS:
            runs_here = by.get((value, cell))
            cells += [_report(runs_here[0]), *_seeds_cells(records, runs_here, runs_dir)] if runs_here else ["–"] * 5
        lines.append(f"| {value} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def units_table(records, runs_dir):
    return sweep_table(records, runs_dir, r002.UNIT_RUNS, "hidden", "units per layer (2 layers)")


def two_of_16():
    """The units sweep's width-16 runs: the layers sweep's 2-layer row and the dropout sweep's 0 row."""
    return [run for run in r002.UNIT_RUNS if run.config()["hidden"] == 16]


def layers_table(records, runs_dir):
    """The layers sweep, with the width-16 runs of the units sweep as its 2-layer row."""
    return sweep_table(records, runs_dir, [*r002.LAYER_RUNS, *two_of_16()], "layers", "layers of 16")


def dropout_table(records, runs_dir):
    return sweep_table(records, runs_dir, [*two_of_16(), *r002.DROPOUT_RUNS], "dropout", "dropout (2 layers of 16)")


def speech_units_table(records, runs_dir):
    """The units sweep on speech (the report's CV column has figures at its two-layer widths only)."""
    lines = ["| data | width (2 layers) | " + " | ".join(f"{c.upper()}: report train / test | {c.upper()}: ours "
                                                          f"train | {c.upper()}: ours test | epochs (kept of run) | "
                                                          f"runs" for c in r002.REPORT_CELLS) + " |",
             "|---|---" + "|---" * 5 * len(r002.REPORT_CELLS) + "|"]
    for dataset, widths in r002.SPEECH_WIDTHS.items():
        by = configurations([run for run in r002.SPEECH_UNIT_RUNS if run.config()["dataset"] == dataset], "hidden")
        for h in widths:
            cells = []
            for cell in r002.REPORT_CELLS:
                runs_here = by[(h, cell)]
                cells += [_report(runs_here[0]), *_seeds_cells(records, runs_here, runs_dir)]
            lines.append(f"| {r002.DATA_TEXT[dataset]} | {h} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def two_layer_runs(cell):
    """{our data set: [the report's two-layer network's runs on it, over the seeds]} of one cell."""
    hidden = r002.TWO_LAYER[cell]["hidden"]
    out = {}
    for run in r002.UNIT_RUNS + r002.SPEECH_UNIT_RUNS:
        c = run.config()
        if (c["cell"], c["hidden"]) == (cell, hidden):
            out.setdefault(c["dataset"], []).append(run)
    return out


def two_layer_table(records, runs_dir):
    """The report's two-layer RNN and LSTM on each of its data sets and on each of ours, over the seeds."""
    lines = ["| model | report's data | report train / test | our data | ours train | ours test | epochs (kept of "
             "run) | runs |", "|---|---|---|---|---|---|---|---|"]
    for cell in r002.REPORT_CELLS:
        setting = r002.TWO_LAYER[cell]
        for dataset, runs in two_layer_runs(cell).items():
            column = dict(DATA_ROWS)[dataset]
            train, test = setting[column]
            lines.append(f"| {cell.upper()}, 2 layers of {setting['hidden']} | {column} | {train:g} / {test:g} | "
                         f"{r002.DATA_TEXT[dataset]} | " + " | ".join(_seeds_cells(records, runs, runs_dir)) + " |")
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


def _ours_by():
    """{(dataset, cell, pool): [runs over seeds]} of our runs beyond the report."""
    out = {}
    for run in r002.BEST_RUNS + r002.LAST_RUNS:
        c = run.config()
        out.setdefault((c["dataset"], c["cell"], c["pool"]), []).append(run)
    return out


def _pool_text(pool):
    """The head's input in words; the last step's runs marked as added after the test results were seen."""
    return r002.POOL_TEXT[pool] + (f", {POST_HOC}" if pool == "last" else "")


def read_baselines(path):
    """The baselines' record, or None before ``python -m lstm_xor baselines`` has written it."""
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)


def ours_table(records, baselines):
    """Our runs beyond the report per data set and cell over the seeds, then the baselines on the same split."""
    lines = ["| data | model | test accuracy over the seeds | epochs kept | training time per run (median) |",
             "|---|---|---|---|---|"]
    for (dataset, cell, pool), runs in _ours_by().items():
        recs = [records[run.id] for run in runs if run.id in records]
        kept = sorted(r.get("best_epoch") or r["epochs_completed"] for r in recs)
        seconds = seconds_text(float(np.median([r["wall_seconds"] for r in recs]))) if recs else "–"
        lines.append(f"| {r002.DATA_TEXT[dataset]} | {cell.upper()}, 1 layer of 64, {_pool_text(pool)}, Adam | "
                     f"{spread_text(values(records, runs), len(runs))} | {', '.join(map(str, kept)) or '–'} | "
                     f"{seconds} |")
    for dataset, figures in ((baselines or {}).get("datasets") or {}).items():
        for name, label in (("logistic", "logistic regression on per-sequence mean and sd"),
                            ("dtw", "1-NN DTW (squared frame distances, no window)")):
            f = figures[name]
            lines.append(f"| {r002.DATA_TEXT[dataset]} | {label} | {f['accuracy']:.3f} ({f['correct']}/{f['n']}, "
                         f"split of seed 0) | | {seconds_text(f['seconds'])} |")
    return "\n".join(lines)


def anchors_table(records, baselines):
    """JapaneseVowels: our best recurrent model and our baselines beside the published figures."""
    lines = ["| JapaneseVowels, standard split (370 test utterances) | test accuracy |", "|---|---|"]
    lines += [f"| {name} (published) | {figure} |" for name, figure in ANCHORS]
    for (dataset, cell, pool), runs in _ours_by().items():
        if dataset == "vowels":
            lines.append(f"| ours: {cell.upper()}, {_pool_text(pool)} | "
                         f"{spread_text(values(records, runs), len(runs))} |")
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
