"""Report 004's summary page: the vanishing gradient measured, and full against truncated BPTT.

Tables (Markdown) over the run records of report 004's part
(lstm_xor.reports.r004.runs); the plots are lstm_xor.reports.r004.plots'. Every
table aggregates a configuration's seeds (lstm_xor.aggregate) and says how many of
the runs planned are done, so it reads the same before all of them are trained.
"""

import numpy as np

from lstm_xor.aggregate import best_and_final, best_final_text, done_text, solved_text, spread_text
from lstm_xor.nn.cells import CELLS
from lstm_xor.render import link, seconds_text
from lstm_xor.reports.r004 import runs as r004

LEARNED = 0.99  # a run "learned" the lag when the last label is right in this share of test strings at its end
LAST = "test_last_bit_accuracy"


def gradient_runs(records, cell, layers, runs=None):
    runs = r004.GRADIENTS if runs is None else runs
    return [records[run.id] for run in runs
            if run.id in records and run.config()["cell"] == cell and run.config()["layers"] == layers]


def decay(record, which):
    """The slope of log10 ||dL_T/dh_t|| against the distance T - t, top layer, in decades per 100 steps."""
    g = record["state_gradients"]
    norms = np.asarray(g[which], dtype=float)[:, -1]
    keep = norms > 0
    return 100 * float(np.polyfit(np.asarray(g["distances"])[keep], np.log10(norms[keep]), 1)[0])


def norm_at(recs, which, distance):
    """The median over runs of the top layer's ||dL/dh|| at one distance (None where not measured)."""
    values = [r["state_gradients"][which][r["state_gradients"]["distances"].index(distance)][-1]
              for r in recs if distance in r["state_gradients"]["distances"]]
    return float(np.median(values)) if values else None


def _g(x):
    return "–" if x is None else f"{x:.2g}"


def gradient_table(records):
    """Per backward dtype, cell and depth: the decay of the state gradient at the start and after training, and its
    size at distances 1 and 100."""
    # The norm's bars are escaped: a bare "|" in a Markdown table starts a new column.
    lines = ["| backward | cell | layers | runs | decades lost per 100 steps: initial | trained | "
             "\\|\\|dL/dh\\|\\| at distance 1: initial / trained | at distance 100: initial / trained |",
             "|---|---|---|---|---|---|---|---|"]
    for dtype, runs in (("float32", r004.GRADIENTS), ("float64", r004.GRADIENTS64)):
        for layers in (1, 2):
            for cell in CELLS:
                planned = [run for run in runs if run.config()["cell"] == cell and run.config()["layers"] == layers]
                recs = gradient_runs(records, cell, layers, runs)
                if not planned:
                    continue
                spread = {w: spread_text([-decay(r, w) for r in recs], len(planned), 1) if recs else
                          f"not run yet ({done_text(0, len(planned))})" for w in ("initial", "trained")}
                lines.append(f"| {dtype} | {cell.upper()} | {layers} | {done_text(len(recs), len(planned))} | "
                             f"{spread['initial']} | {spread['trained']} | "
                             f"{_g(norm_at(recs, 'initial', 1))} / {_g(norm_at(recs, 'trained', 1))} | "
                             f"{_g(norm_at(recs, 'initial', 100))} / {_g(norm_at(recs, 'trained', 100))} |")
    return "\n".join(lines)


def mean_chunk(config):
    """The mean chunk length of a run's truncation (the whole string for full BPTT)."""
    return {"full": config["max_length"], "regular": config["bptt_k"]}.get(config["bptt"], 1 / config["bptt_p"]
                                                                           if config["bptt_p"] else 0)


def learned(record):
    return record["test"]["last_bit_accuracy"] >= LEARNED


def _collapsed(runs, records):
    """'none', or the runs whose last-label or every-label accuracy ended far below its best, with both."""
    named = []
    for run in runs:
        if run.id not in records:
            continue
        h = records[run.id]["history"]
        for key, what in ((LAST, "last label"), ("test_sequence_accuracy", "every label")):
            bf = best_and_final(h[key])
            if bf and bf["collapsed"]:
                named.append(f"{run.id} ({what}: {best_final_text(h[key])})")
    return "; ".join(named) or "none"


def best_text(recs):
    """Each run's best last-label share and its epoch: '1.000 (epoch 3), 0.980 (epoch 8)'."""
    return ", ".join(f"{bf['best']:.3f} (epoch {bf['best_epoch']})"
                     for bf in (best_and_final(r["history"][LAST]) for r in recs)) or "–"


def _rows(runs, records, runs_dir, label):
    """One table row's cells after its label: final figures over seeds, learned k of n, collapses, time, links."""
    recs = [records[run.id] for run in runs if run.id in records]
    n = len(runs)
    if not recs:
        return f"| {label} | not run yet ({done_text(0, n)}) | | | | | |"
    best = best_text(recs)
    times = seconds_text(float(np.median([r["wall_seconds"] for r in recs])))
    links = " ".join(link(run.id, records, runs_dir) for run in runs if run.id in records)
    return (f"| {label} | {spread_text([r['test']['last_bit_accuracy'] for r in recs], n)} | {best} | "
            f"{spread_text([r['test']['sequence_accuracy'] for r in recs], n)} | "
            f"{solved_text([learned(r) for r in recs], n).replace('solved', 'learned')} | "
            f"{_collapsed(runs, records)} | {times} | {links} |")


HEADER = ("last label right: final | best (epoch) | every label right: final | last label >= 99% at the end | "
          "collapsed (best far above final) | training time (median) | runs |")


def runs_of(runs, cell, **values):
    return [run for run in runs if run.config()["cell"] == cell
            and all(run.config()[k] == v for k, v in values.items())]


def modes_table(records, runs_dir):
    """Per cell and truncation, over seeds: the last label's share right at the end and at its best epoch, every
    label right, how many runs learned the lag, which collapsed, the time."""
    lines = [f"| cell | BPTT | mean chunk (steps) | {HEADER}", "|---|---|---|---|---|---|---|---|---|---|"]
    for cell in CELLS:
        for mode, extra in r004.MODES:
            runs = runs_of(r004.TRUNCATION, cell, bptt=mode, **extra)
            label = f"{cell.upper()} | {r004.mode_text(mode, extra)} | {mean_chunk(runs[0].config()):g}"
            lines.append(_rows(runs, records, runs_dir, label))
    return "\n".join(lines)


def controls_table(records, runs_dir):
    """Per cell and cut probability: randomized truncation as trained (compensated, clipped at norm 1), without the
    1/(1 - p) factor, and without clipping; full BPTT clipped and unclipped."""
    lines = [f"| cell | BPTT | variant | {HEADER}", "|---|---|---|---|---|---|---|---|---|---|"]
    for cell in CELLS:
        cases = [("full BPTT", "clipped at norm 1", runs_of(r004.TRUNCATION, cell, bptt="full")),
                 ("full BPTT", "no clipping", runs_of(r004.CONTROLS, cell, bptt="full"))]
        for p in r004.CONTROL_P:
            mode = f"randomized, p {p:g}"
            ours = runs_of(r004.TRUNCATION, cell, bptt="randomized", bptt_p=p)
            cases += [(mode, "1/(1 - p), clipped at norm 1", ours),
                      (mode, "no factor (the control)", runs_of(r004.CONTROLS, cell, bptt_p=p, bptt_compensate=False)),
                      (mode, "1/(1 - p), no clipping", runs_of(r004.CONTROLS, cell, bptt_p=p, clip_norm=0.0))]
        for mode, variant, runs in cases:
            if runs:
                lines.append(_rows(runs, records, runs_dir, f"{cell.upper()} | {mode} | {variant}"))
    return "\n".join(lines)


def lag_cases(kind):
    """(lag, cell, start, runs) of the delay sweep with the exploding case ('delay') or of the latch ('recall')."""
    if kind == "recall":
        return [(lag, cell, "orthogonal", runs_of(r004.RECALL_RUNS, cell, lag=lag)) for lag in r004.LAGS
                for cell in CELLS]
    cases = [(lag, cell, "orthogonal", runs_of(r004.LAG_RUNS, cell, lag=lag)) for lag in r004.LAGS for cell in CELLS]
    return cases + [(10, "rnn", f"spectral radius {radius:g}", runs_of(r004.EXPLODING, "rnn", init_radius=radius))
                    for radius in r004.RADII]


def lag_table(records, runs_dir, kind="delay"):
    """Per lag and cell (full BPTT): the last label at the end and at its best, how many learned, and the state
    gradient's norm at the lag, initial and trained (float64); the delay sweep with the RNN started at a spectral
    radius above 1, or the latch (``kind='recall'``)."""
    lines = ["| lag | cell | start | last label right: final | best (epoch) | last label >= 99% at the end | "
             "collapsed | \\|\\|dL/dh\\|\\| at the lag: initial | trained | runs |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for lag, cell, start, runs in lag_cases(kind):
        recs = [records[run.id] for run in runs if run.id in records]
        links = " ".join(link(run.id, records, runs_dir) for run in runs if run.id in records)
        lines.append(f"| {lag} | {cell.upper()} | {start} | "
                     f"{spread_text([r['test']['last_bit_accuracy'] for r in recs], len(runs))} | "
                     f"{best_text(recs)} | "
                     f"{solved_text([learned(r) for r in recs], len(runs)).replace('solved', 'learned')} | "
                     f"{_collapsed(runs, records)} | {_g(norm_at(recs, 'initial', lag))} | "
                     f"{_g(norm_at(recs, 'trained', lag))} | {links} |")
    return "\n".join(lines)


def unbiased_table(study):
    """The unbiasedness study (lstm_xor.reports.r004.unbiased's JSON): per cell, p and compensation, the sampled
    mean's relative error and cosine against the full gradient, and the samples' relative variance."""
    lines = ["| cell | p | carried gradient | draws | \\|\\|mean - full\\|\\| / \\|\\|full\\|\\| | the same from noise "
             "alone: sqrt(variance / draws) | cosine(mean, full) | E\\|\\|sample - full\\|\\|² / \\|\\|full\\|\\|² |",
             "|---|---|---|---|---|---|---|---|"]
    for row in study["rows"]:
        lines.append(f"| {row['cell'].upper()} | {row['p']:g} | {'× 1/(1 - p)' if row['compensate'] else 'as is'} | "
                     f"{row['draws']:,} | {row['mean_error']:.3f} | {np.sqrt(row['variance'] / row['draws']):.3f} | "
                     f"{row['cosine']:.4f} | {row['variance']:.3g} |")
    return "\n".join(lines)
