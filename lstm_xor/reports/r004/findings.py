"""Report 004's findings that compare or count, as sentences generated from the run records.

The summary page prints these; the tables they rest on are lstm_xor.reports.r004.tables'.
A run not yet trained is left out, and the sentence says on how many of the runs
planned it rests.
"""

import numpy as np

from lstm_xor.aggregate import best_and_final, done_text
from lstm_xor.nn.cells import CELLS
from lstm_xor.reports.r004 import runs as r004
from lstm_xor.reports.r004.tables import LAST, LEARNED, decay, gradient_runs, lag_cases, learned, norm_at, runs_of


def _span(values, digits=1):
    have = sorted(values)
    if not have:
        return "–"
    lo, hi = f"{have[0]:.{digits}f}", f"{have[-1]:.{digits}f}"
    return lo if lo == hi else f"{lo} to {hi}" if have[0] < 0 else f"{lo}-{hi}"


def _epochs(epochs):
    """[3, 4, 5] -> 'epochs 3-5'; [2] -> 'epoch 2'; [1, 3] -> 'epochs 1 and 3'."""
    if len(epochs) == 1:
        return f"epoch {epochs[0]}"
    if epochs == list(range(epochs[0], epochs[-1] + 1)):
        return f"epochs {epochs[0]}-{epochs[-1]}"
    return f"epochs {', '.join(map(str, epochs[:-1]))} and {epochs[-1]}"


def collapse_text(run_id, record, key=LAST, drop=0.1):
    """'<id> learned it (last label right 100% at epochs 3-5), then collapsed at epoch 6 and ended at 54%', or ''
    when the history did not collapse."""
    h = record["history"][key]
    bf = best_and_final(h, drop=drop)
    if not bf or not bf["collapsed"]:
        return ""
    at_best = [k + 1 for k, v in enumerate(h) if v == bf["best"]]
    fell = next(k + 1 for k in range(at_best[-1], len(h)) if bf["best"] - h[k] > drop)
    what = "last label" if key == LAST else "every label"
    return (f"{run_id} reached {bf['best']:.0%} ({what} right) at {_epochs(at_best)}, collapsed at epoch {fell} "
            f"and ended at {bf['final']:.0%} (epoch {bf['final_epoch']})")


def learned_text(runs, records):
    """'2 of 3' runs whose last label is right in >= 99% of test strings at the end (with n planned if fewer ran)."""
    rec = [records[run.id] for run in runs if run.id in records]
    if not rec:
        return f"not run yet ({done_text(0, len(runs))})"
    text = f"{sum(learned(r) for r in rec)} of {len(rec)}"
    return text if len(rec) == len(runs) else f"{text} ({done_text(len(rec), len(runs))})"


def gradients(records):
    """The decay at the start and after training, per cell, and the two-layer RNN's, float32 beside float64."""
    out = []
    for dtype, runs in (("float32", r004.GRADIENTS), ("float64", r004.GRADIENTS64)):
        parts = []
        for cell in CELLS:
            recs = gradient_runs(records, cell, 1, runs)
            if recs:
                parts.append(f"the {cell.upper()} {_span([-decay(r, 'initial') for r in recs])} at the start and "
                             f"{_span([-decay(r, 'trained') for r in recs])} after training ({len(recs)} seeds)")
        two = gradient_runs(records, "rnn", 2, runs)
        if parts:
            deep = (f"; the trained two-layer RNN {_span([-decay(r, 'trained') for r in two])} ({len(two)} "
                    f"seed{'s' * (len(two) > 1)}), its norm 100 steps back {norm_at(two, 'trained', 100):.2g}"
                    if two else "")
            out.append(f"With a {dtype} backward pass, decades lost per 100 steps: {', '.join(parts)}{deep}.")
    tiny = np.finfo(np.float32).tiny
    low = [(float(np.min(records[run.id]["state_gradients"][w])), run.id, w) for run in r004.GRADIENTS
           if run.id in records for w in ("initial", "trained")]
    below = sorted(x for x in low if x[0] < tiny)
    if below:
        out.append(f"In float32, {len(below)} of the {len(low)} gradient profiles reach norms below float32's "
                   f"smallest normal number ({tiny:.2g}), where precision is lost: the lowest {below[0][0]:.2g} "
                   f"({below[0][1]}, {below[0][2]}); the float64 runs repeat them without underflow.")
    return " ".join(out) or "No gradient run has been executed yet."


def randomized(records):
    """Per cut probability: how many runs of each cell learned the lag, and every collapse, named."""
    sentences = []
    for mode, extra in r004.MODES:
        if mode == "full":
            continue
        counts = ", ".join(f"{cell.upper()} {learned_text(runs_of(r004.TRUNCATION, cell, bptt=mode, **extra), records)}"
                           for cell in CELLS)
        sentences.append(f"{r004.mode_text(mode, extra).capitalize()}: the last label right in at least "
                         f"{LEARNED:.0%} of test strings at the end in {counts} runs.")
    collapsed = [text for run in r004.TRUNCATION if run.id in records
                 for key in (LAST, "test_sequence_accuracy") for text in [collapse_text(run.id, records[run.id], key)]
                 if text]
    if collapsed:
        sentences.append("Collapses, where the final epoch is far below the best: " + "; ".join(collapsed) + ".")
    return " ".join(sentences)


def controls(records):
    """Randomized truncation against its controls at each p: learned k of n with the factor, without, unclipped."""
    parts = []
    for p in r004.CONTROL_P:
        for cell in CELLS:
            cases = (("with the factor", runs_of(r004.TRUNCATION, cell, bptt="randomized", bptt_p=p)),
                     ("without", runs_of(r004.CONTROLS, cell, bptt_p=p, bptt_compensate=False)),
                     ("unclipped", runs_of(r004.CONTROLS, cell, bptt_p=p, clip_norm=0.0)))
            texts = [f"{what} {learned_text(runs, records)}" for what, runs in cases if runs]
            parts.append(f"p {p:g}, {cell.upper()}: {', '.join(texts)}")
    return "Runs that learned the lag (last label right in at least 99% at the end): " + "; ".join(parts) + "."


SECOND = 0.9  # the separation verdict re-checked with "learned" as the last label right in 90% of test strings
LAG_TASKS = {"delay": "Full BPTT on strings of 200, each label the bit `lag` steps back; runs that learned the lag",
             "recall": "The latch, strings of lag + 1 bits with one label at the end, the first bit; runs that "
                       "learned it"}


def lags(records, kind="delay"):
    """Per lag: how many runs of each cell learned it with full BPTT, and the median gradient norm at the lag; then
    where the cells separate, at both thresholds."""
    parts = []
    cases = {(lag, cell): runs for lag, cell, start, runs in lag_cases(kind) if start == "orthogonal"}
    for lag in r004.LAGS:
        cells = []
        for cell in CELLS:
            recs = [records[run.id] for run in cases[lag, cell] if run.id in records]
            norm = norm_at(recs, "initial", lag)
            cells.append(f"{cell.upper()} {learned_text(cases[lag, cell], records)}" +
                         (f" (||dL/dh|| at the lag at the start {norm:.2g})" if norm is not None else ""))
        parts.append(f"lag {lag}: {', '.join(cells)}")
    return f"{LAG_TASKS[kind]}: " + "; ".join(parts) + ". " + separation_text(records, kind)


def complete_lags(records, kind):
    """The lags at which every planned run of every cell has a record."""
    return [lag for lag in r004.LAGS if all(run.id in records for at, _, start, runs in lag_cases(kind)
                                            if at == lag and start == "orthogonal" for run in runs)]


def separation(records, kind, threshold):
    """[(lag, cell that learned, cell that did not)]: at a lag where every run is in, one cell's last label reached
    the threshold in most of its runs and another's in none."""
    planned = {(lag, cell): runs for lag, cell, start, runs in lag_cases(kind) if start == "orthogonal"}
    cases = {key: [records[r.id] for r in runs if r.id in records] for key, runs in planned.items()}
    found = []
    for lag in complete_lags(records, kind):
        share = {cell: [r["test"]["last_bit_accuracy"] >= threshold for r in cases[lag, cell]] for cell in CELLS}
        found += [(lag, a, b) for a in CELLS for b in CELLS
                  if 2 * sum(share[a]) > len(share[a]) and not any(share[b])]
    return found


def separation_text(records, kind):
    """The verdict in a sentence: the lags where the LSTM learned and the RNN did not (and any other pair of
    cells), at 99% and again at 90%."""
    if not complete_lags(records, kind):
        return "No lag has all its runs yet."
    out = []
    for threshold in (LEARNED, SECOND):
        found = separation(records, kind, threshold)
        pairs = {}
        for lag, a, b in found:
            pairs.setdefault((a, b), []).append(str(lag))
        said = "; ".join(f"the {a.upper()} and not the {b.upper()} at lag {', '.join(v)}" for (a, b), v in
                         pairs.items())
        out.append(f"at {threshold:.0%}: {said or 'no lag separates the cells'}")
    lstm_only = [lag for lag, a, b in separation(records, kind, LEARNED) if (a, b) == ("lstm", "rnn")]
    head = ("**The LSTM learned where the RNN failed** at lag " + ", ".join(map(str, lstm_only)) if lstm_only
            else "**At no lag did the LSTM learn where the RNN failed**")
    return (f"{head} (learned: the last label right in most runs, failed: in none; " + "; ".join(out) + ").")


def exploding(records):
    """The RNN started at a spectral radius above 1 beside the orthogonal one, lag 10."""
    out = []
    for radius in r004.RADII:
        runs = runs_of(r004.EXPLODING, "rnn", init_radius=radius)
        recs = [records[run.id] for run in runs if run.id in records]
        base = [records[run.id] for run in runs_of(r004.LAG_RUNS, "rnn", lag=10) if run.id in records]
        if not recs:
            out.append(f"The RNN started at spectral radius {radius:g}: not run yet ({done_text(0, len(runs))}).")
            continue
        def grows(r):
            return float(np.log10(norm_at([r], "initial", 199) / norm_at([r], "initial", 1)))

        out.append(f"The RNN started at spectral radius {radius:g}: its initial gradient changes by "
                   f"{_span([grows(r) for r in recs])} decades from distance 1 to 199 (orthogonal start: "
                   f"{_span([grows(r) for r in base])}), and {learned_text(runs, records)} runs learned the lag "
                   "of 10.")
    return " ".join(out)


def unbiased(study):
    """The unbiasedness study in a sentence: the sampled mean's error against what noise alone explains, with and
    without the factor, and the variance at the largest p against the smallest."""
    if study is None:
        return "The unbiasedness study has not been computed yet."

    def ratios(compensate):
        return [r["mean_error"] / np.sqrt(r["variance"] / r["draws"]) for r in study["rows"]
                if r["compensate"] == compensate]

    rows = [r for r in study["rows"] if r["compensate"]]
    lo, hi = min(r["p"] for r in rows), max(r["p"] for r in rows)
    growth = [next(r["variance"] for r in rows if r["cell"] == c and r["p"] == hi) /
              next(r["variance"] for r in rows if r["cell"] == c and r["p"] == lo) for c in CELLS]
    return (f"Over {study['draws']:,} sampled gradients per cell and p, the mean's distance from the full gradient "
            f"is {_span(ratios(True))} times what the samples' spread alone explains with the 1/(1 - p) factor, and "
            f"{_span(ratios(False), 0)} times without it; with the factor the variance of one sample at p = {hi:g} "
            f"is {_span(growth, 0)} times that at p = {lo:g}.")


def costs(records):
    """Full BPTT's training time against the shortest chunks' (regular, k = 2), per cell, from the records."""
    def seconds(cell, **values):
        recs = [records[r.id] for r in runs_of(r004.TRUNCATION, cell, **values) if r.id in records]
        return [r["wall_seconds"] for r in recs]
    full = [t for cell in CELLS for t in seconds(cell, bptt="full")]
    short = [t for cell in CELLS for t in seconds(cell, bptt="regular", bptt_k=2)]
    if not (full and short):
        return "The truncation runs are not all in yet."
    pairs = {cell: (seconds(cell, bptt="full"), seconds(cell, bptt="regular", bptt_k=2)) for cell in CELLS}
    cheaper = [cell.upper() for cell, (a, b) in pairs.items() if a and b and np.median(a) < np.median(b)]
    verdict = ("full BPTT took less training time than chunks of 2 in every cell" if len(cheaper) == len(CELLS) else
               "full BPTT took less training time than chunks of 2 (median per cell) in "
               f"{', '.join(cheaper) or 'no cell'}")
    return (f"On strings of 100 steps {verdict}: {_span(full, 0)} s of training per run for full BPTT against "
            f"{_span(short, 0)} s for chunks of 2 (n = {len(full)} and {len(short)} runs over the cells; two runs "
            "shared the machine's two cores, so the times are rough).")


def headline(records):
    """One line for the book's abstract: the RNN's gradient decay, regular against randomized truncation at the
    lag of 10, and where the LSTM learned a lag the RNN did not (the latch)."""
    rnn = gradient_runs(records, "rnn", 1)
    if not rnn:
        return "Report 004 (vanishing gradients, truncated BPTT): no run has a record yet."
    decades = _span([-decay(r, "initial") for r in rnn])

    def learned_in(cell, **values):
        return learned_text(runs_of(r004.TRUNCATION, cell, **values), records)
    def lstm_only(kind):
        return ", ".join(str(lag) for lag, a, b in separation(records, kind, LEARNED) if (a, b) == ("lstm", "rnn"))

    def verdict(kind, what):
        runs = r004.RECALL_RUNS if kind == "recall" else r004.LAG_RUNS
        done = sum(run.id in records for run in runs)
        if done < len(runs):
            return f"{what} is under way ({done_text(done, len(runs))})"
        found = lstm_only(kind)
        return f"{what}, the LSTM learned where the RNN failed " + (f"at lag {found}" if found else "at no lag")
    latch, delay = verdict("recall", "holding one bit"), verdict("delay", "on the delay task")
    return (f"Report 004 (vanishing gradients and truncated BPTT; its results section is empty): the RNN's gradient "
            f"falls {decades} decades per 100 steps at the start; chunks of 5 learn a lag of 10 in "
            f"{learned_in('lstm', bptt='regular', bptt_k=5)} LSTM runs, randomized cuts of the same mean length in "
            f"{learned_in('lstm', bptt='randomized', bptt_p=0.2)}; {delay}; {latch}.")
