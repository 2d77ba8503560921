"""Report 002's findings in words, every figure from the records: the comparative sentences over seeds with the rule
that decides them, the choices made on validation figures alone, the report's N_h rule of thumb, accuracy against
sequence length, and the book's headline line.

The rule for a comparison over seeds (stated once, used everywhere): two configurations differ when their mean test
accuracies differ by more than the larger of their two sample standard deviations; the verdict is checked at a
second rule, that every seed of one is above every seed of the other (the ranges do not overlap).
"""

import numpy as np

from lstm_xor.aggregate import done_text, select_on_validation, spread_text, validation_view
from lstm_xor.reports.r002 import lengths, tables
from lstm_xor.reports.r002 import runs as r002
from lstm_xor.tasks.classify import load

RULE = ("two configurations differ when their mean test accuracies differ by more than the larger of their two "
        "standard deviations over the seeds (checked at a second rule: every seed of one above every seed of the "
        "other)")
SELECTION_METRIC = "loss"  # the validation figure a choice minimises: the one early stopping already uses
CHECK_METRIC = "accuracy"  # the validation figure the choice is checked at
# Report 002, sections 1.3.2 and 2.5.2 "Number of nodes in each layer" (../shared/seeds/002_*.txt, lines 185-199
# and 439-453): "N_h = N_s / (alpha * (N_i + N_o)) ... alpha = an arbitrary scaling factor usually 2-10".
RULE_OF_THUMB_ALPHAS = (2, 10)


def compare(a, b):
    """Two configurations' test accuracies over seeds (None: not run) -> dict(difference of means, larger sd,
    differ: by RULE, apart: every value of the higher above every value of the lower); None with fewer than 2
    values on either side."""
    a, b = ([v for v in x if v is not None] for x in (a, b))
    if len(a) < 2 or len(b) < 2:
        return None
    high, low = (a, b) if np.mean(a) >= np.mean(b) else (b, a)
    difference = float(np.mean(a) - np.mean(b))
    spread = float(max(np.std(a, ddof=1), np.std(b, ddof=1)))
    return dict(difference=difference, spread=spread, differ=abs(difference) > spread, apart=min(high) > max(low))


def verdict_text(found):
    """'the difference 0.031 is more than the spread 0.020 (every seed apart)', '... within ...', or not decidable."""
    if found is None:
        return "not decidable yet (fewer than 2 seeds on a side)"
    words = "more than" if found["differ"] else "within"
    check = "every seed apart" if found["apart"] else "the seeds overlap"
    agree = "" if found["differ"] == found["apart"] else "; the second rule disagrees"
    return (f"the difference {abs(found['difference']):.3f} is {words} the spread {found['spread']:.3f} "
            f"({check}{agree})")


def direction(a, b):
    """'higher, ', 'lower, ' or 'level, ': the mean of a against the mean of b ('' where either has no value)."""
    ma, mb = _mean(a), _mean(b)
    if ma is None or mb is None:
        return ""
    return ("higher" if ma > mb else "lower" if ma < mb else "level") + ", "


def _by(records, runs, key, cell):
    """{value of key: test accuracies over the seeds (None: not run)} of one cell's configurations."""
    return {value: tables.values(records, group) for (value, c), group in tables.configurations(runs, key).items()
            if c == cell}


def _mean(values):
    have = [v for v in values if v is not None]
    return float(np.mean(have)) if have else None


def best_layers_text(records, cell="rnn"):
    """Where the cell's mean test accuracy is highest over the layer counts with seeds, against the next best."""
    runs = [run for run in [*r002.LAYER_RUNS, *tables.two_of_16()] if run.config()["layers"] not in
            r002.SHORT_LAYERS]
    by = {k: v for k, v in _by(records, runs, "layers", cell).items() if _mean(v) is not None}
    if len(by) < 2:
        return f"The {cell.upper()}'s layers sweep has too few records yet."
    best, second = sorted(by, key=lambda k: _mean(by[k]), reverse=True)[:2]
    found = compare(by[best], by[second])
    holds = found is not None and found["differ"]
    return (f"The {cell.upper()}'s mean test accuracy on the pen set is highest at {best} layer"
            f"{'s' * (best > 1)} ({spread_text(by[best])}); the next best, {second} layer{'s' * (second > 1)} "
            f"({spread_text(by[second])}): {verdict_text(found)}; "
            + (f"best at {best} layers holds by the rule." if holds else
               "no layer count is shown best (the report's \"2 layers are enough\" is neither confirmed nor "
               "refuted)."))


def dropout_text(records, cell):
    """Dropout 0.2 and 0.5 against none, for one cell, each with its verdict."""
    by = _by(records, [*tables.two_of_16(), *r002.DROPOUT_RUNS], "dropout", cell)
    parts = []
    for p in sorted(by):
        if p == 0.0:
            continue
        parts.append(f"dropout {p:g}: {spread_text(by[p])}, {direction(by[p], by[0.0])}"
                     f"{verdict_text(compare(by[0.0], by[p]))}")
    hurts = [p for p in sorted(by) if p and (f := compare(by[0.0], by[p])) and f["differ"] and f["difference"] > 0]
    verdict = (f"dropout {' and '.join(f'{p:g}' for p in hurts)} hurt{'s' * (len(hurts) == 1)} the {cell.upper()}"
               if hurts else f"dropout is not shown to change the {cell.upper()}'s accuracy")
    return (f"{cell.upper()} without dropout {spread_text(by[0.0])}; " + "; ".join(parts) + f": {verdict}.")


# -- choices made on validation figures only ---------------------------------------------------------------------

def pooling_candidates(records, dataset="vowels", post_hoc=True):
    """{(cell, pool): [validation views of its seeds]} of our runs beyond the report on one data set (``post_hoc``:
    with the last-step runs, added after the test results were seen)."""
    out = {}
    for run in r002.BEST_RUNS + (r002.LAST_RUNS if post_hoc else []):
        c = run.config()
        if c["dataset"] == dataset and run.id in records:
            out.setdefault((c["cell"], c["pool"]), []).append(validation_view(records[run.id]))
    return out


def pooling_choice(records, dataset="vowels", metric=SELECTION_METRIC, post_hoc=True):
    """The pooling per cell and the model (cell, pool) overall, chosen on the validation ``metric`` alone:
    -> ({cell: pool}, (cell, pool), {(cell, pool): mean validation metric}); None before any record."""
    candidates = pooling_candidates(records, dataset, post_hoc)
    if not candidates:
        return None
    higher = metric == "accuracy"
    per_cell = {}
    for cell in sorted({cell for cell, _ in candidates}):
        mine = {pool: views for (c, pool), views in candidates.items() if c == cell}
        per_cell[cell] = select_on_validation(mine, metric, higher)[0]
    model, means = select_on_validation(candidates, metric, higher)
    return per_cell, model, means


def _tests(records, dataset, cell, pool):
    return [records[run.id]["test"]["accuracy"] for run in r002.BEST_RUNS + r002.LAST_RUNS
            if run.id in records and (run.config()["dataset"], run.config()["cell"], run.config()["pool"]) ==
            (dataset, cell, pool)]


def pooling_text(records, dataset="vowels"):
    """The validation choice of pooling and of the model in words, its test figure after, and the check metric."""
    chosen = pooling_choice(records, dataset)
    if chosen is None:
        return "No run beyond the report has a record yet."
    per_cell, (cell, pool), means = chosen
    check = pooling_choice(records, dataset, CHECK_METRIC)[1]
    n = next(iter(pooling_candidates(records, dataset).values()))[0]["valid"]["n"]
    pools = ", ".join(f"the {c.upper()} {r002.POOL_TEXT[p]}" for c, p in per_cell.items())
    agree = ("the validation accuracy picks the same" if check == (cell, pool) else
             f"the validation accuracy would pick the {check[0].upper()} with {r002.POOL_TEXT[check[1]]}: on {n} "
             f"validation sequences the two criteria disagree")
    return (f"Chosen on the validation part of {r002.DATA_TEXT[dataset]} alone (the mean validation loss over the "
            f"seeds, the figure early stopping uses), the head reads: {pools}; the model chosen is the "
            f"{cell.upper()} with {r002.POOL_TEXT[pool]} (validation loss {means[(cell, pool)]:.3f}); {agree}. Its "
            f"test accuracy, seen after the choice: {spread_text(_tests(records, dataset, cell, pool))}."
            + _before_text(records, dataset))


def _before_text(records, dataset):
    """The same choice among the runs registered before the test results were seen (the head reading the mean)."""
    chosen = pooling_choice(records, dataset, post_hoc=False)
    if chosen is None:
        return ""
    cell, pool = chosen[1]
    return (f" Among the runs registered before the test results were seen (the mean over the steps only), it is "
            f"the {cell.upper()} (test {spread_text(_tests(records, dataset, cell, pool))}).")


# -- the report's rule of thumb for the width ---------------------------------------------------------------------

def rule_of_thumb(n_samples, n_inputs, n_outputs, alphas=RULE_OF_THUMB_ALPHAS):
    """The report's N_h = N_s / (alpha (N_i + N_o)) at each alpha."""
    return [n_samples / (alpha * (n_inputs + n_outputs)) for alpha in alphas]


def rule_of_thumb_rows(records):
    """Per data set of the cross-validation with records: N_s (the training sequences a fold model fits), N_i, N_o,
    the rule's N_h from alpha 10 to 2, and {cell: the width cross-validation chose}."""
    cv = tables.cross_validation(records)
    rows = []
    for dataset in ("pen", "vowels"):
        train, _ = load(dataset)
        fitted = [r["train"]["n"] for run in r002.CV_RUNS if run.config()["dataset"] == dataset and
                  (r := records.get(run.id))]
        if fitted:
            n_s, n_i, n_o = int(np.median(fitted)), train.x.shape[2], len(train.classes)
            high, low = rule_of_thumb(n_s, n_i, n_o)
            rows.append(dict(dataset=dataset, n_s=n_s, n_i=n_i, n_o=n_o, low=low, high=high,
                             chosen={cell: tables.chosen_width(cv[(d, cell)]) for d, cell in cv if d == dataset}))
    return rows


def rule_of_thumb_table(records):
    """The rule of thumb's N_h beside the width cross-validation chose, per data set."""
    lines = ["| data | N_s (training sequences fitted) | N_i (features) | N_o (classes) | N_h, alpha 2 to 10 | "
             "width chosen by cross-validation |", "|---|---|---|---|---|---|"]
    for row in rule_of_thumb_rows(records):
        chosen = ", ".join(f"{cell.upper()} {h}" for cell, h in row["chosen"].items())
        lines.append(f"| {r002.DATA_TEXT[row['dataset']]} | {row['n_s']} | {row['n_i']} | {row['n_o']} | "
                     f"{row['low']:.1f} to {row['high']:.1f} | {chosen} |")
    return "\n".join(lines)


def cv_text(records):
    """The widths cross-validation chose (on validation accuracy), beside the report's rule of thumb."""
    rows = rule_of_thumb_rows(records)
    if not rows:
        return "The cross-validation runs have no records yet."
    said = []
    for row in rows:
        chosen = ", ".join(f"{h} for the {cell.upper()}" for cell, h in row["chosen"].items())
        inside = [cell.upper() for cell, h in row["chosen"].items() if row["low"] <= h <= row["high"]]
        said.append(f"on {r002.DATA_TEXT[row['dataset']]} {chosen}, where the report's rule of thumb gives "
                    f"N_h = {row['low']:.1f} to {row['high']:.1f} (within it: {', '.join(inside) or 'neither'})")
    return ("Cross-validation (3 folds, the mean validation accuracy) chooses " + "; ".join(said) +
            f". The report fixed {r002.TWO_LAYER['rnn']['hidden']} for the RNN and {r002.TWO_LAYER['lstm']['hidden']} "
            "for the LSTM.")


def deep_text(records):
    """The deep rows (64 and 128 layers, 3 epochs, every seed): test and training accuracy against chance."""
    runs = [run for run in r002.LAYER_RUNS if run.config()["layers"] in r002.SHORT_LAYERS and run.id in records]
    if not runs:
        return ""
    test = [records[run.id]["test"]["accuracy"] for run in runs]
    train = [records[run.id]["train"]["accuracy"] for run in runs]
    classes = len(load("pen")[0].classes)
    reported = [r002.LAYERS[cell][k][0] for cell in r002.REPORT_CELLS for k in r002.SHORT_LAYERS]
    n = len([run for run in r002.LAYER_RUNS if run.config()["layers"] in r002.SHORT_LAYERS])
    return (f" At {' and '.join(map(str, r002.SHORT_LAYERS))} layers ({done_text(len(runs), n)} runs over both "
            "cells, "
            f"{r002.DEEP_EPOCHS[r002.SHORT_LAYERS[0]]} epochs) both cells score {_range(test)} on test and "
            f"{_range(train)} on their training part, chance being {1 / classes:.3f}; the report has "
            f"{_range(reported, 2)} on its training part there.")


def _range(values, digits=3):
    """'0.200' or '0.200-0.204'."""
    low, high = f"{min(values):.{digits}f}", f"{max(values):.{digits}f}"
    return low if low == high else f"{low}-{high}"


def length_text(found):
    """The verdict on "RNNs fail because the sequences are long": per data set, the RNN's accuracy on the longest
    third against the shortest, and the LSTM's lead on each, over the seeds (findings.RULE)."""
    out = []
    for dataset in lengths.PAIRS:
        if not any(r["dataset"] == dataset for r in found.values()):
            continue
        acc, edges = lengths.accuracies(found, dataset)
        if not {"rnn", "lstm"} <= set(acc):
            continue
        rnn, lstm = np.asarray(acc["rnn"], dtype=float), np.asarray(acc["lstm"], dtype=float)
        falls = compare(rnn[:, 0], rnn[:, 2])
        lead = [float(np.mean(lstm[:, k]) - np.mean(rnn[:, k])) for k in (0, 2)]
        n = f"{len(rnn)} and {len(lstm)} seeds" if len(rnn) != len(lstm) else f"{len(rnn)} seed{'s' * (len(rnn) > 1)}"
        short, long = np.mean(rnn[:, 0]), np.mean(rnn[:, 2])
        behind = [compare(lstm[:, k], rnn[:, k]) for k in (0, 2)]
        out.append(f"On {lengths.DATA[dataset]} ({n}), the RNN gets {short:.3f} of the shortest third "
                   f"({lengths.third_text(edges, 0)} steps) and {long:.3f} of the longest "
                   f"({lengths.third_text(edges, 2)}): {'a fall' if long < short else 'no fall'}, "
                   f"{verdict_text(falls)}; the LSTM's lead is {lead[0]:+.3f} on the shortest third and "
                   f"{lead[1]:+.3f} on the longest. " + _length_verdict(*behind))
    return " ".join(out) or "No run has been evaluated by length yet."


def _length_verdict(shortest, longest):
    """What the LSTM's lead on the shortest and the longest third (compare results) says about length."""
    if shortest is None or longest is None:
        return "Whether length explains the RNN's shortfall is not decidable yet."
    ahead = [found["differ"] and found["difference"] > 0 for found in (shortest, longest)]
    if ahead[0]:
        return "The RNN is behind on the shortest sequences already: length alone does not explain its shortfall."
    if ahead[1]:
        return "The RNN keeps up on the shortest sequences and falls behind on the longest, as the report says."
    return "The LSTM's lead is within the spread on both thirds: no shortfall to explain."


# -- the summary's findings and the book's headline -------------------------------------------------------------

def lstm_against_rnn(records):
    """{our data set: (LSTM's test accuracies, RNN's, compare)} of the report's two-layer networks."""
    lstm, rnn = tables.two_layer_runs("lstm"), tables.two_layer_runs("rnn")
    out = {}
    for dataset in lstm:
        a, b = tables.values(records, lstm[dataset]), tables.values(records, rnn[dataset])
        out[dataset] = (a, b, compare(a, b))
    return out


def lstm_against_rnn_text(records):
    """The report's "LSTM beats RNN", per data set, by RULE."""
    parts = []
    for dataset, (lstm, rnn, found) in lstm_against_rnn(records).items():
        holds = found is not None and found["differ"] and found["difference"] > 0
        reversed_ = found is not None and found["differ"] and found["difference"] < 0
        said = "holds" if holds else "reversed: the RNN is ahead" if reversed_ else "not shown"
        parts.append(f"{r002.DATA_TEXT[dataset]}: LSTM {spread_text(lstm)}, RNN {spread_text(rnn)}, the LSTM "
                     f"{direction(lstm, rnn)}{verdict_text(found)}: {said}")
    return "; ".join(parts) + "."


def collapse_text(records, widths=(32, 64, 128)):
    """The report's LSTM at widths 32 and more (0.21-0.25 on its test): ours over the seeds."""
    by = _by(records, r002.UNIT_RUNS, "hidden", "lstm")
    have = [v for h in widths for v in by.get(h, []) if v is not None]
    planned = sum(len(by.get(h, [])) for h in widths)
    if not have:
        return "The LSTM's wide runs have no records yet."
    report = [r002.UNITS["lstm"][h][1] for h in widths]
    return (f"The report's LSTM at widths {', '.join(map(str, widths))} scores {min(report):.2f}-{max(report):.2f} "
            f"on its test; ours, {len(have)} of {planned} runs done, {min(have):.3f}-{max(have):.3f}: "
            + ("no collapse." if min(have) > 0.5 else "a collapse in at least one run."))


def headline(records, baselines=None):
    """One line for the book's abstract: the report's LSTM against its RNN on the pen set and spoken digits (its
    two-layer networks, over the seeds), and the model chosen on JapaneseVowels' validation part, on test."""
    pair = lstm_against_rnn(records)
    said = []
    for dataset in ("pen", "vowels", "digits"):
        lstm, rnn, found = pair[dataset]
        if found is not None:
            word = ("above" if found["difference"] > 0 else "below") if found["differ"] else "not shown above"
            said.append(f"on {r002.DATA_TEXT[dataset]} {word} its RNN ({_mean(lstm):.3f} against {_mean(rnn):.3f}, "
                        f"{min(len(lstm), len(rnn))} seeds)")
        elif _mean(lstm) is not None and _mean(rnn) is not None:
            said.append(f"on {r002.DATA_TEXT[dataset]} {_mean(lstm):.3f} against its RNN's {_mean(rnn):.3f} "
                        f"(one seed so far)")
    line = "Report 002 (classifying sequences): " + ("its two-layer LSTM " + "; ".join(said) if said else
                                                     "its two-layer networks have no records yet")
    chosen = pooling_choice(records)
    if chosen:
        cell, pool = chosen[1]
        line += (f"; on JapaneseVowels the network chosen on validation ({cell.upper()}, {r002.POOL_TEXT[pool]}) "
                 f"gets {_mean(_tests(records, 'vowels', cell, pool)):.3f} on test")
        logistic = ((baselines or {}).get("datasets") or {}).get("vowels", {}).get("logistic")
        if logistic:
            line += f", an order-blind logistic regression {logistic['accuracy']:.3f}"
    return line + "."


def speech_width_text(records):
    """On the speech sets, at each width of the units sweep: the LSTM against the RNN by RULE."""
    parts = []
    for dataset, widths in r002.SPEECH_WIDTHS.items():
        runs = [run for run in r002.SPEECH_UNIT_RUNS if run.config()["dataset"] == dataset]
        lstm, rnn = _by(records, runs, "hidden", "lstm"), _by(records, runs, "hidden", "rnn")
        said = []
        for h in widths:
            found = compare(lstm[h], rnn[h])
            word = "not decidable yet" if found is None else (
                ("LSTM above" if found["difference"] > 0 else "RNN above") if found["differ"] else "level")
            said.append(f"width {h} {word}")
        parts.append(f"{r002.DATA_TEXT[dataset]}: " + ", ".join(said))
    return "; ".join(parts) + "."


def recurrence_text(records, baselines):
    """The order-blind logistic regression and 1-NN DTW beside the recurrent networks beyond the report."""
    figures = (baselines or {}).get("datasets") or {}
    if not figures:
        return "The baselines have no record yet (`python -m lstm_xor baselines`)."
    chosen = pooling_choice(records)
    parts = []
    if chosen and "vowels" in figures:
        cell, pool = chosen[1]
        parts.append(f"on JapaneseVowels logistic regression on each sequence's mean and standard deviation, which "
                     f"sees no order, gets {figures['vowels']['logistic']['accuracy']:.3f}, the network chosen on "
                     f"validation {_mean(_tests(records, 'vowels', cell, pool)):.3f} (mean over its seeds)")
    digits = [records[run.id]["test"]["accuracy"] for run in r002.BEST_RUNS
              if run.config()["dataset"] == "digits" and run.id in records]
    if digits and "digits" in figures:
        dtw = figures["digits"]["dtw"]
        parts.append(f"on spoken digits 1-NN DTW gets {dtw['accuracy']:.3f}, the best recurrent run {max(digits):.3f}"
                     f" (DTW took {dtw['seconds'] / 60:.1f} minutes to classify the test set)")
    return "; ".join(parts) + "."


def cost_text(records):
    """The part's runs done of those planned, their training and notebook time."""
    runs = r002.PART.runs
    done = [records[run.id] for run in runs if run.id in records]
    train = sum(r["wall_seconds"] for r in done) / 60
    notebook = sum(r["driver"].get("notebook_seconds", 0) for r in done) / 60
    return (f"{len(done)} of {len(runs)} registered runs done, {train:.1f} minutes of training and {notebook:.1f} "
            f"of notebook time (the table at the end).")


def found_markdown(records, baselines, length_found):
    """The summary's "What we found": one bullet per conclusion of the report, every figure from the records."""
    bullets = [
        ("LSTM beats RNN (the report's two-layer networks, 3 seeds)", lstm_against_rnn_text(records)),
        ("On the speech sets, width by width (the report's CV column)", speech_width_text(records)),
        ("\"RNNs fail because the sequences are long\"", length_text(length_found)),
        ("More layers", f"{best_layers_text(records)} {best_layers_text(records, 'lstm')}{deep_text(records)}"),
        ("Dropout \"more or less the same\"", f"{dropout_text(records, 'rnn')} {dropout_text(records, 'lstm')}"),
        ("The report's LSTM collapse at width 32 and more", collapse_text(records)),
        ("The best architecture by cross-validation", cv_text(records)),
        ("Pooling and model chosen on validation", pooling_text(records)),
        ("Recurrence against baselines without it", recurrence_text(records, baselines)),
        ("Cost", cost_text(records)),
    ]
    return f"The rule for every comparison: {RULE}.\n\n" + "\n".join(
        f"- **{head}.** {text[:1].upper()}{text[1:]}" for head, text in bullets)
