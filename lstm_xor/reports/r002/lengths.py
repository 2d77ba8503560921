"""Accuracy against sequence length, RNN and LSTM: the test of report 002's "RNNs fail because the sequences are
long" (its sections 1.3.1 and 2.5.5).

A run record keeps neither its network nor its per-sequence predictions, so each run named here is trained again
from its record's configuration in this process (as lstm_xor.study.units does; training is deterministic, and the
test counts come out as committed, which the JSON says per run: ``reproduced``), and its kept network classifies
its own test part. The JSON holds, per run, each test sequence's length and whether it was right; length_table bins
them (the verdict in words is findings.length_text). A run without a record yet is left out and named; the command
keeps what an earlier call computed, so it is rerun once the seeds' records are in:

    python -m lstm_xor.reports.r002.lengths --out book/runs/classify_lengths.json
"""

import argparse
import json
import os

import numpy as np

from lstm_xor.aggregate import spread_text
from lstm_xor.config import Launch
from lstm_xor.study.units import committed_config
from lstm_xor.tasks.classify import TASK
from lstm_xor.train.loop import train

RUNS_DIR = os.path.join("book", "runs")
OUT = os.path.join(RUNS_DIR, "classify_lengths.json")  # beside the records: the summary's stamp hashes it
# The report's two-layer RNN (width 16) and LSTM (width 4) where the RNN falls behind: the synthetic pen set
# (strokes of 20-50 points) and spoken digits (6-92 frames); 3 seeds each.
PAIRS = {"pen": ("cls-units16-rnn", "cls-units4-lstm"), "digits": ("cls-two-digits-rnn", "cls-two-digits-lstm")}
SEED_SUFFIXES = ("", "-s1", "-s2")  # seed 0 kept its id (reports.base.seeded's bare_first)
DATA = {"pen": "the synthetic pen set", "digits": "spoken digits"}
RUN_IDS = tuple(f"{run}{suffix}" for pair in PAIRS.values() for run in pair for suffix in SEED_SUFFIXES)


def predictions(model, config, data, batch_size=200):
    """(lengths, right): each sequence's length and whether the model classifies it right (N,) each."""
    right = np.zeros(len(data.y), dtype=bool)
    for i in range(0, len(data.y), batch_size):
        index = np.arange(i, min(i + batch_size, len(data.y)))
        batch = TASK.batch(config, data, index, model.dtype)
        _, out, _ = model.loss(batch.x, batch.lengths, batch.y, batch.mask, "sum", train=False, backward=False)
        right[index] = out.argmax(axis=-1) == batch.y
    return np.asarray(data.lengths), right


def evaluate(run_id, runs_dir=RUNS_DIR):
    """One committed run trained again: its test sequences' lengths and rightness, and whether its test count
    equals the record's."""
    committed, config = committed_config(run_id, runs_dir)
    record = train(config, launch=Launch(metrics_path=""), progress=False)  # the record is not kept: no file
    lengths, right = predictions(record["model"], config, TASK.splits(config).test)
    return dict(dataset=config.dataset, cell=config.cell, hidden=config.hidden, seed=config.seed,
                fingerprint=committed["driver"].get("fingerprint"), lengths=[int(n) for n in lengths],
                right=[int(r) for r in right], correct=int(right.sum()),
                reproduced=int(right.sum()) == committed["test"]["correct"])


def make(run_ids=RUN_IDS, runs_dir=RUNS_DIR, known=None):
    """{run id: evaluate(...)} for the runs with a record; ``known`` (an earlier JSON's runs) is kept for a run
    whose record has the same fingerprint."""
    known, out = known or {}, {}
    for run_id in run_ids:
        path = os.path.join(runs_dir, f"{run_id}.json")
        if not os.path.exists(path):
            continue
        with open(path) as f:
            fingerprint = json.load(f)["driver"].get("fingerprint")
        same = known.get(run_id, {}).get("fingerprint") == fingerprint
        out[run_id] = known[run_id] if same else evaluate(run_id, runs_dir)
    return out


def read(path=OUT):
    """The JSON's runs, {} before the command has written it."""
    if not os.path.exists(path):
        return {}
    with open(path) as f:
        return json.load(f)["runs"]


def thirds(found, dataset):
    """The edges of a data set's length thirds over every evaluated run's test sequences: (shortest, e1, e2, longest),
    a third being e_k < length <= e_k+1 (the first from the shortest included)."""
    lengths = np.concatenate([r["lengths"] for r in found.values() if r["dataset"] == dataset])
    e1, e2 = np.quantile(lengths, [1 / 3, 2 / 3])
    return int(lengths.min()), int(e1), int(e2), int(lengths.max())


def by_third(run, edges):
    """A run's test accuracy in each length third (None for an empty third)."""
    lengths, right = np.asarray(run["lengths"]), np.asarray(run["right"], dtype=bool)
    out = []
    for k in range(3):
        inside = (lengths <= edges[k + 1]) & ((lengths > edges[k]) if k else True)
        out.append(float(right[inside].mean()) if inside.any() else None)
    return out


def accuracies(found, dataset):
    """{cell: [[accuracy per third] per seed]} of the evaluated runs on one data set, and the thirds' edges."""
    edges = thirds(found, dataset)
    out = {}
    for run_id in RUN_IDS:
        run = found.get(run_id)
        if run and run["dataset"] == dataset:
            out.setdefault(run["cell"], []).append(by_third(run, edges))
    return out, edges


def third_text(edges, k):
    return f"{edges[0] if k == 0 else edges[k] + 1}-{edges[k + 1]}"


def length_table(found):
    """Per data set and cell: test accuracy per length third over the seeds (spread_text, n of the seeds planned)."""
    lines = ["| data | network | shortest third | middle third | longest third | reproduced |",
             "|---|---|---|---|---|---|"]
    for dataset, pair in PAIRS.items():
        if not any(r["dataset"] == dataset for r in found.values()):
            lines.append(f"| {DATA[dataset]} | not evaluated yet | | | | |")
            continue
        acc, edges = accuracies(found, dataset)
        for run_id in pair:
            seeds = [found[f"{run_id}{s}"] for s in SEED_SUFFIXES if f"{run_id}{s}" in found]
            if not seeds:
                continue
            cell = seeds[0]["cell"]
            cells = [f"{spread_text([a[k] for a in acc[cell]], len(SEED_SUFFIXES))}" for k in range(3)]
            reproduced = sum(r["reproduced"] for r in seeds)
            lines.append(f"| {DATA[dataset]} | {cell.upper()}, 2 layers of {seeds[0]['hidden']} | " + " | ".join(
                f"{third_text(edges, k)} steps: {c}" for k, c in enumerate(cells)) + f" | {reproduced} of "
                f"{len(seeds)} |")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m lstm_xor.reports.r002.lengths", description=__doc__.split(
        "\n\n")[0])
    parser.add_argument("--out", default=OUT, help="the JSON to write (an existing one's runs are reused)")
    parser.add_argument("--runs-dir", default=RUNS_DIR)
    parser.add_argument("--runs", nargs="+", default=list(RUN_IDS), help="run ids (default: the PAIRS' seeds)")
    args = parser.parse_args(argv)
    known = {}
    if os.path.exists(args.out):
        with open(args.out) as f:
            known = json.load(f)["runs"]
    runs = make(args.runs, args.runs_dir, known)
    missing = [r for r in args.runs if r not in runs]
    with open(args.out, "w") as f:
        json.dump(dict(command=f"python -m lstm_xor.reports.r002.lengths --out {args.out}", runs=runs), f)
        f.write("\n")
    print(f"{len(runs)} runs evaluated by length into {args.out}" +
          (f"; without a record yet: {', '.join(missing)}" if missing else ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
