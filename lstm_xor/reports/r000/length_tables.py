"""Tables and findings of the critical-length runs (lstm_xor.reports.r000.length_runs) and of the signal at
initialisation (lstm_xor.study.length_signal's JSON); the plots are lstm_xor.reports.r000.length_plots'.

A run *solves* in the first epoch after which every test string is right; its steps to solve are that epoch's
steps (250 an epoch: the resolution), its strings those steps' training strings. A run that did not solve
within a cap of strings counts as unsolved at that cap, read from the same histories, so a smaller cap
(SECOND_CAP) needs no other runs. A finer reading of a solved run's steps (``loss_steps``): the first step
at which its training loss, averaged over LOSS_WINDOW steps, is a tenth of chance (never later than the
epoch's count). Everything copes with runs not executed yet: they are counted as missing, never as
unsolved.
"""

import math

import numpy as np

from lstm_xor import aggregate, render
from lstm_xor.reports.r000.length_runs import CAP, LENGTHS, LONGER, SEEDS, SERIES, run_id

SECOND_CAP = 100_000  # the verdict checked at a cap of half the runs' strings
K = 2  # a length is learnable within a cap when at least K of the 3 seeds solve it; critical where fewer do
NEVER = math.inf  # the strings of a run that did not solve (within its own strings or the cap)
LOSS_FRACTION, LOSS_WINDOW = 0.1, 10  # the finer reading: the training loss's mean over 10 steps at a tenth of chance
MEASURES = {"test": "the test set, each epoch", "loss": "the training loss, each step"}


def series_label(kind, lr):
    return f"{'fixed length n' if kind == 'fixed' else 'lengths 1..n'}, lr {lr:g}"


def solved_strings(record):
    """Training strings when the run first had every test string right (epochs x its training strings), or
    NEVER."""
    epoch = render.first_epoch_at(record, "test_sequence_accuracy")
    if epoch is None:
        return NEVER
    c = record["config"]
    return epoch * round(c["n_samples"] * (1 - c["test_fraction"]))


def steps_of(strings, batch=32):
    return strings / batch


def loss_steps(record):
    """The first step (from 1) at which the mean training loss over the last LOSS_WINDOW steps is at most
    LOSS_FRACTION of chance (ln 2 a string), or None: a reading of steps to solve finer than an epoch."""
    x, mean = render.moving_mean(record["history"]["iteration_loss"], LOSS_WINDOW)
    below = np.nonzero(mean <= LOSS_FRACTION * math.log(2))[0]
    return int(x[below[0]]) + 1 if below.size else None


def _value(record, cap, measure):
    """A run's strings to solve by ``measure`` (MEASURES), NEVER when its test set was not solved within cap."""
    strings = solved_strings(record)
    if strings > cap:
        return NEVER
    steps = loss_steps(record) if measure == "loss" else None
    return strings if steps is None else min(strings, steps * record["config"].get("batch_size", 32))


def outcomes(records, kind, lr, cap=CAP, measure="test"):
    """{n: [strings to solve, NEVER (not within cap), or None (not run yet) per seed]} of one series, the
    lengths of LONGER's runs (other groups' longer records) included. ``measure``: MEASURES' keys."""
    out = {}
    for n in LENGTHS:
        if n in SERIES[kind, lr]:
            ids = [run_id(kind, lr, n, seed) for seed in range(SEEDS)]
        elif (kind, lr, n) in LONGER:
            ids = [f"{LONGER[kind, lr, n]}-s{seed}" for seed in range(SEEDS)]
        else:
            continue
        out[n] = [_value(records[i], cap, measure) if i in records else None for i in ids]
    return out


def critical_length(by_length, k=K):
    """The shortest length at which fewer than k seeds solved: {"length": n} when known; {"pending": n} when
    the missing runs at n could still decide either way; {"above": n} when every length up to n had k solved."""
    for n in sorted(by_length):
        values = by_length[n]
        solved = sum(v is not None and v != NEVER for v in values)
        missing = sum(v is None for v in values)
        if solved >= k:
            continue
        return {"length": n} if solved + missing < k else {"pending": n}
    return {"above": max(by_length)} if by_length else {"pending": None}


def critical_text(verdict):
    if "length" in verdict:
        return f"**{verdict['length']}**"
    if "above" in verdict:
        return f"above {verdict['above']}"
    return "not known yet" + (f" (length {verdict['pending']} waits for runs)" if verdict["pending"] else "")


def fit(points):
    """Least squares of log10 steps on log10 length (a power law) and on length (exponential), over (length,
    steps) points: {"power": {slope, intercept, rms, residuals}, "exponential": {...}, "better": name,
    "points": n, "lengths": distinct lengths}; None with fewer than 2 distinct lengths."""
    lengths = sorted({n for n, _ in points})
    if len(lengths) < 2:
        return None
    n = np.array([p[0] for p in points], dtype=float)
    y = np.log10([p[1] for p in points])
    out = {"points": len(points), "lengths": lengths}
    for name, x in (("power", np.log10(n)), ("exponential", n)):
        slope, intercept = np.polyfit(x, y, 1)
        residuals = y - (slope * x + intercept)
        out[name] = dict(slope=float(slope), intercept=float(intercept), rms=float(np.sqrt(np.mean(residuals ** 2))),
                         residuals=[float(r) for r in residuals])
    out["better"] = "power" if out["power"]["rms"] <= out["exponential"]["rms"] else "exponential"
    return out


def solved_points(by_length):
    """(length, steps) of every solved seed."""
    return [(n, steps_of(v)) for n, values in by_length.items() for v in values if v is not None and v != NEVER]


def series_fit(records, kind, lr, cap=CAP, measure="test"):
    return fit(solved_points(outcomes(records, kind, lr, cap, measure)))


def _steps_cell(values):
    have = [v for v in values if v is not None]
    if not have:
        return f"not run yet ({aggregate.done_text(0, len(values))})"
    shown = [None if v == NEVER else steps_of(v) for v in have]
    solved = sum(v is not None for v in shown)
    return f"{solved} of {len(have)}: " + aggregate.counts_text(shown, len(values))


def steps_table(records):
    """Per length, per series: seeds solved and each seed's steps to solve (never: not within the cap)."""
    series = list(SERIES)
    by = {s: outcomes(records, *s) for s in series}
    lines = ["| n | " + " | ".join(series_label(*s) for s in series) + " |", "|---|" + "---|" * len(series)]
    for n in LENGTHS:
        cells = [_steps_cell(by[s][n]) if n in by[s] else "–" for s in series]
        lines.append(f"| {n} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


THRESHOLDS = ((K, CAP), (K, SECOND_CAP), (SEEDS, CAP), (1, CAP))


def critical_table(records):
    """The critical length of each series at each threshold (k seeds of 3 within a cap of strings)."""
    heads = [f"fewer than {k} of {SEEDS} solve within {cap:,} strings" for k, cap in THRESHOLDS]
    lines = ["| series | " + " | ".join(heads) + " |", "|---|" + "---|" * len(heads)]
    for s in SERIES:
        cells = [critical_text(critical_length(outcomes(records, *s, cap), k)) for k, cap in THRESHOLDS]
        lines.append(f"| {series_label(*s)} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _fit_cells(f):
    if f is None:
        return ["fewer than 2 lengths solved"] + ["–"] * 4
    p, e = f["power"], f["exponential"]
    return [f"{f['points']} ({', '.join(map(str, f['lengths']))})", f"{p['slope']:.2f} (rms {p['rms']:.3f})",
            f"×{10 ** e['slope']:.2f} a bit (rms {e['rms']:.3f})", f["better"],
            ", ".join(f"{r:+.2f}" for r in f[f["better"]]["residuals"])]


def fit_table(records):
    """Per series and measure: the fits of steps to solve against length (log10 residuals), which fits better."""
    lines = ["| series | steps read from | points (lengths solved) | power law: exponent | exponential: steps grow | "
             "fits better | its residuals (log10) |", "|---|---|---|---|---|---|---|"]
    for s in SERIES:
        for measure, words in MEASURES.items():
            cells = _fit_cells(series_fit(records, *s, measure=measure))
            lines.append(f"| {series_label(*s)} | {words} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def done_count(records):
    """(executed, registered) of the critical-length runs."""
    ids = [run_id(kind, lr, n, seed) for (kind, lr), lengths in SERIES.items() for n in lengths
           for seed in range(SEEDS)]
    return sum(i in records for i in ids), len(ids)


def findings(records):
    """The answer in words: each series' critical length at both caps, from the records."""
    done, planned = done_count(records)
    if not done:
        return f"No critical-length run has been executed yet (0 of {planned} registered)."
    parts = []
    for s in SERIES:
        first = critical_text(critical_length(outcomes(records, *s, CAP), K))
        second = critical_text(critical_length(outcomes(records, *s, SECOND_CAP), K))
        same = "the same" if first == second else second
        parts.append(f"{series_label(*s)}: {first} ({same} within {SECOND_CAP:,} strings)")
    return (f"{done} of {planned} runs executed. The critical length, the shortest at which fewer than {K} of "
            f"{SEEDS} seeds solve within {CAP:,} training strings: " + "; ".join(parts) + ".")


# -- the signal at initialisation (lstm_xor.study.length_signal's JSON) -----------------------------------------

SIGNAL_COLUMNS = (("grad_norm", "‖dL/dW‖"), ("cosine", "cos(g, true)"), ("label_norm", "‖label part‖"),
                  ("label_cosine", "label part: cos(g, true)"), ("true_label_norm", "‖true label direction‖"),
                  ("label_share", "its share of a batch's"), ("dh1", "‖dL/dh₁‖"), ("dc1", "‖dL/dc₁‖"))
SMALL = ("true_label_norm", "label_share")  # fall by decades: shown in scientific notation


def _mean(values):
    return None if any(v is None for v in values) else float(np.mean(values))


def signal_table(found):
    """Per length: each measure's mean over the seeds; – where no true direction was computed."""
    lines = ["| n | " + " | ".join(head for _, head in SIGNAL_COLUMNS) + " |", "|---|" + "---|" * len(SIGNAL_COLUMNS)]
    for n in found["lengths"]:
        row = found["rows"][str(n)]
        means = [(key, _mean(row[key])) for key, _ in SIGNAL_COLUMNS]
        cells = ["–" if v is None else f"{v:.2e}" if key in SMALL else f"{v:.3f}" for key, v in means]
        lines.append(f"| {n} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def signal_means(found, key):
    """[(length, the mean over seeds)] of one measure, the lengths without it left out."""
    pairs = [(n, _mean(found["rows"][str(n)][key])) for n in found["lengths"]]
    return [(n, v) for n, v in pairs if v is not None]


def _change(found, key, digits=3, style="f"):
    """'falls from 0.242 at n = 2 to 0.012 at n = 50' (or rises) for one measure's seed means."""
    (a, first), *_, (b, last) = signal_means(found, key)
    if abs(last - first) < 0.2 * max(abs(first), abs(last)):
        return f"is {first:.{digits}{style}} at n = {a} and {last:.{digits}{style}} at n = {b}"
    verb = "falls" if last < first else "rises"
    return f"{verb} from {first:.{digits}{style}} at n = {a} to {last:.{digits}{style}} at n = {b}"


def signal_factor(found, key="label_share", upto=None):
    """The mean factor per extra bit by which a measure falls: 10 ** -slope of log10 seed means on n."""
    pairs = [(n, v) for n, v in signal_means(found, key) if v > 0 and (upto is None or n <= upto)]
    n, v = np.array(pairs, dtype=float).T
    return float(10 ** -np.polyfit(n, np.log10(v), 1)[0])


def signal_text(found):
    """The signal's measures in words, from the JSON."""
    (a, h_first), *_, (b, h_last) = signal_means(found, "dh1")
    return (f"The label's true direction {_change(found, 'true_label_norm', 1, 'e')}; against a batch's label part "
            f"its share {_change(found, 'label_share', 1, 'e')}, a factor of {signal_factor(found):.1f} a bit "
            f"(least squares of log10 share on n), and a batch's label part's cosine with it "
            f"{_change(found, 'label_cosine')}. The whole gradient, whose size {_change(found, 'grad_norm')}, "
            f"keeps a direction the batches share (its cosine with the true one {_change(found, 'cosine')}): a "
            f"pull that no label sets. The first bit's state moves the loss less as n grows (‖dL/dh₁‖ "
            f"{_change(found, 'dh1')}), by a factor of {h_first / h_last:.0f} over {b - a} bits: a factor of "
            f"{(h_first / h_last) ** (1 / (b - a)):.2f} a bit, where the label's share falls by "
            f"{signal_factor(found):.1f} a bit. The gradient reaches the first bit; what it carries there is noise.")


def setup_text():
    """The runs' setup in words, from the registry: the data per epoch, the cap, the series, what was cut."""
    from lstm_xor import reports
    from lstm_xor.reports.r000 import length_runs as lr_runs
    (kind, lr, n), prefix = next(iter(LONGER.items()))
    longer = reports.BY_ID[f"{prefix}-s0"].config()
    longer_strings = longer["epochs"] * round(longer["n_samples"] * (1 - longer["test_fraction"]))
    small = [m for m in LENGTHS if m not in SERIES["fixed", lr_runs.SMALL_LR]]
    series = "; ".join(f"{series_label(kind, lr)}: n = {', '.join(map(str, lengths))}"
                       for (kind, lr), lengths in SERIES.items())
    all_runs = [run for group in lr_runs.groups() for run in group.runs]
    return (f"Each run has a data set of {lr_runs.N_SAMPLES:,} strings: {lr_runs.TRAIN_STRINGS:,} to train on "
            f"({lr_runs.TRAIN_STRINGS // lr_runs.BATCH} steps of {lr_runs.BATCH} an epoch) and "
            f"{lr_runs.N_SAMPLES - lr_runs.TRAIN_STRINGS:,} to test on after each epoch, for at most "
            f"{lr_runs.EPOCHS} epochs, {CAP:,} training strings ({CAP // lr_runs.BATCH:,} steps), and stops "
            f"once every test string is right. A small data set per epoch is what gives steps to solve to within "
            f"{lr_runs.TRAIN_STRINGS // lr_runs.BATCH} steps without touching the training loop; its price is that "
            f"every epoch trains on the same {lr_runs.TRAIN_STRINGS:,} strings (reshuffled), so a long string's "
            f"parity could be memorised: only the held-out test strings say solved. The series, {SEEDS} seeds "
            f"each ({len(all_runs)} runs): {series}. Fixed length {n} at lr {lr:g} is read from the `{prefix}-s*` "
            f"runs ({longer['epochs']} epochs of {longer['n_samples']:,} strings, {longer_strings:,} training "
            f"strings, more than the cap). Cut to fit 1.3 process-hours (every run to the cap would cost "
            f"{lr_runs.cost(all_runs):.2f} by the estimate in `length_runs.py`): fixed length {n} here, lengths "
            f"{', '.join(map(str, small))} at lr {lr_runs.SMALL_LR:g}, and lr {lr_runs.SMALL_LR:g} for random "
            f"lengths.")
