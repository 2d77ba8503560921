"""Report 001's summary page: forecasts of two real series against naive, seasonal, autoregressive, SARIMA and
exponential-smoothing baselines, and the CO2 networks' learning rate and width chosen on the validation period.

Tables (Markdown) over the run records of report 001's part
(lstm_xor.reports.r001.runs); every record holds the test period's forecasts
of its network and of the record baselines in the series' unit; the stronger
baselines are lstm_xor.reports.r001.baselines'; the plots are
lstm_xor.reports.r001.plots'. Every comparative sentence is generated here.
"""

import functools

import numpy as np

from lstm_xor.aggregate import counts_text, done_text, select_on_validation, spread_text, validation_view
from lstm_xor.data.series import fit_scale, load_series, split_in_time
from lstm_xor.nn.cells import CELLS
from lstm_xor.render import link, mean_sd_text
from lstm_xor.reports.r001 import runs as r001

BASELINES = ("naive", "seasonal naive", "autoregression")  # the baselines every record holds


def _label(cell, group, transform, name):
    mode = "whole series, truncated BPTT" if group == "forecast-whole" else "windows"
    what = {"difference": ", changes", "level": ", levels"}[transform] if name == "co2" else ""
    return f"{cell.upper()}, {mode}{what}"


def by_forecaster(records, name):
    """[(label, [(run id, record)])] for the networks on one series (those done): the windows and whole-series
    rows, then each cell's tuned point where the validation period chose one other than the windows runs'."""
    rows = []
    for group in r001.GROUPS:
        if group.name == "forecast-tuning":
            continue
        for cell in CELLS:
            for transform in ("difference", "level"):
                runs = [(run.id, records[run.id]) for run in group.runs if run.id in records and all(
                    run.config()[k] == v for k, v in (("series", name), ("cell", cell), ("transform", transform)))]
                if runs:
                    rows.append((_label(cell, group.name, transform, name), runs))
    if name == "co2":
        for cell in CELLS:
            choice = tuning_choice(records, cell)
            if choice and choice[0] != (r001.BASE["lr"], r001.BASE["hidden"]):
                (lr, hidden), _ = choice
                runs = [(i, records[i]) for i in _point_ids(cell, lr, hidden) if i in records]
                rows.append((f"{cell.upper()}, windows, changes, lr {lr:g}, hidden {hidden} (chosen on validation)",
                             runs))
    return rows


def errors_table(records, runs_dir, name):
    """One series: each network (mean ± sd over seeds) and each record baseline, one step ahead and at the
    horizon (the test period)."""
    rows = by_forecaster(records, name)
    if not rows:
        return f"No run on {name} has a record yet."
    horizon = len(rows[0][1][0][1]["forecast"]["methods"]["naive"]["rmse_by_horizon"])
    lines = [f"| forecaster | runs | RMSE | MAE | MASE | RMSE {horizon} steps ahead | MASE {horizon} steps ahead |",
             "|---|---|---|---|---|---|---|"]

    def cells(methods):
        return [mean_sd_text([m[key] for m in methods]) for key in ("rmse", "mae", "mase")] + [
            mean_sd_text([m[key][-1] for m in methods]) for key in ("rmse_by_horizon", "mase_by_horizon")]

    for label, runs in rows:
        methods = [r["forecast"]["methods"]["network"] for _, r in runs]
        links = " ".join(link(run_id, records, runs_dir) for run_id, _ in runs)
        lines.append(f"| {label} | {links} | " + " | ".join(cells(methods)) + " |")
    first = rows[0][1][0][1]["forecast"]
    for method in BASELINES:
        detail = {"seasonal naive": f" (period {first['period']})",
                  "autoregression": f" ({first['ar_order']} lags, least squares)"}.get(method, "")
        lines.append(f"| {method}{detail} | – | " + " | ".join(cells([first["methods"][method]])) + " |")
    return "\n".join(lines)


# -- the stronger baselines ---------------------------------------------------------------------------

def baselines_table(evaluated, name):
    """Each baseline family (``baselines.evaluated(name)``): the candidates tried, the one the validation period chose,
    its RMSE there, and its test errors one step and ``horizon`` steps ahead."""
    horizon = len(next(iter(evaluated.values()))["test"]["rmse_by_horizon"])
    lines = [f"| baseline | candidates (validation RMSE, {load_series(name).unit}) | chosen | validation RMSE "
             f"| test RMSE | test MAE | test MASE | test RMSE {horizon} steps ahead |",
             "|---|---|---|---|---|---|---|---|"]
    for family, e in evaluated.items():
        grid = "; ".join(f"{label} {v:.4g}" for label, v in e["grid"].items()) if len(e["grid"]) > 1 else "–"
        t = e["test"]
        lines.append(f"| {family} | {grid} | {e['choice']} | {e['valid']['rmse']:.4g} | {t['rmse']:.4g} "
                     f"| {t['mae']:.4g} | {t['mase']:.3f} | {t['rmse_by_horizon'][-1]:.4g} |")
    return "\n".join(lines)


def best_baseline(evaluated, period="test", step=None):
    """(family, its chosen label, RMSE) of the baseline with the lowest RMSE on ``period``, one step ahead
    (step None) or ``step`` steps ahead (1-based)."""
    def rmse(e):
        return e[period]["rmse"] if step is None else e[period]["rmse_by_horizon"][step - 1]
    family = min(evaluated, key=lambda f: rmse(evaluated[f]))
    return family, evaluated[family]["choice"], rmse(evaluated[family])


def horizon_table(records, name, evaluated):
    """Per horizon: the best baseline on the test period and every network configuration's mean test RMSE, those
    that beat it in bold."""
    rows = by_forecaster(records, name)
    if not rows:
        return f"No run on {name} has a record yet."
    horizon = len(next(iter(evaluated.values()))["test"]["rmse_by_horizon"])
    lines = ["| steps ahead | best baseline (test RMSE) | " + " | ".join(label for label, _ in rows) + " |",
             "|---|---|" + "---|" * len(rows)]
    for h in range(1, horizon + 1):
        _, label, best = best_baseline(evaluated, step=h)
        cells = []
        for _, runs in rows:
            mean = _network_rmse(runs, h)
            cells.append(f"**{mean:.4g}**" if mean < best else f"{mean:.4g}")
        lines.append(f"| {h} | {label} ({best:.4g}) | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _network_rmse(runs, step):
    """The mean over seeds of the networks' test RMSE ``step`` steps ahead."""
    return float(np.mean([r["forecast"]["methods"]["network"]["rmse_by_horizon"][step - 1] for _, r in runs]))


def beats_text(records, name, evaluated, step):
    """One sentence: at ``step`` steps ahead, which network configurations (mean test RMSE over their seeds) beat
    the best baseline, and which do not."""
    rows = by_forecaster(records, name)
    _, label, best = best_baseline(evaluated, step=step)
    unit = load_series(name).unit
    ahead = "one step ahead" if step == 1 else f"{step} steps ahead"
    if not rows:
        return f"{ahead.capitalize()}: no network run on {name} has a record yet; the best baseline is {label}."
    better = [(lbl, _network_rmse(runs, step)) for lbl, runs in rows if _network_rmse(runs, step) < best]
    worse = [(lbl, _network_rmse(runs, step)) for lbl, runs in rows if _network_rmse(runs, step) >= best]

    def listed(items):
        return "; ".join(f"{lbl} ({v:.4g})" for lbl, v in items)
    theirs = f"{label} ({best:.4g} {unit})"
    if not better:
        verdict = f"no network beats {theirs}"
    elif not worse:
        verdict = f"every network beats {theirs}: {listed(better)}"
    else:
        verdict = f"{len(better)} of {len(rows)} network configurations beat {theirs}: {listed(better)}; " \
                  f"not {listed(worse)}"
    return f"{ahead.capitalize()}, {verdict}."


# -- the CO2 networks' learning rate and width -----------------------------------------------------------

def _point_ids(cell, lr, hidden):
    return [r001.tuning_id(cell, lr, hidden, seed) for seed in r001.SEEDS3]


def tuning_choice(records, cell):
    """((lr, hidden), {(lr, hidden): mean validation RMSE}) for one cell, chosen from the runs' validation views
    alone (``aggregate.select_on_validation``); None while no point has a record."""
    candidates = {(lr, hidden): [validation_view(records[i]) for i in _point_ids(cell, lr, hidden) if i in records]
                  for lr in r001.TUNE_LR for hidden in r001.TUNE_HIDDEN}
    if not any(candidates.values()):
        return None
    return select_on_validation(candidates, "rmse", higher=False)


@functools.lru_cache(maxsize=8)
def _unit_std(name, transform):
    """The standard deviation that scaled a network's targets: to turn scaled RMSEs into the series' unit."""
    series = load_series(name)
    train, _, _ = split_in_time(series, 0.2, 0.2)
    values = series.values[train]
    return fit_scale(np.diff(values) if transform == "difference" else values)[1]


def tuning_table(records, runs_dir):
    """Per cell, learning rate and width: validation RMSE (ppmv), best epochs, test RMSE, runs done of planned;
    the point each cell's validation figures chose marked."""
    std = _unit_std("co2", "difference")
    lines = ["| cell | lr | hidden | validation RMSE (ppmv) | best epoch | test RMSE (ppmv) | runs |",
             "|---|---|---|---|---|---|---|"]
    for cell in CELLS:
        choice = tuning_choice(records, cell)
        for lr in r001.TUNE_LR:
            for hidden in r001.TUNE_HIDDEN:
                ids = _point_ids(cell, lr, hidden)
                got = [records.get(i) for i in ids]
                valid = [r["valid"]["rmse"] * std if r else None for r in got]
                test = [r["forecast"]["methods"]["network"]["rmse"] if r else None for r in got]
                best = [r.get("best_epoch") for r in got if r]
                chosen = " **chosen**" if choice and choice[0] == (lr, hidden) else ""
                links = " ".join(link(i, records, runs_dir) for i in ids if i in records) or "–"
                lines.append(f"| {cell.upper()} | {lr:g} | {hidden}{chosen} | {spread_text(valid, digits=4)} "
                             f"| {counts_text(best, len(ids)) if best else '–'} | {spread_text(test, digits=4)} "
                             f"| {links} ({done_text(len(best), len(ids))}) |")
    return "\n".join(lines)


def tuning_text(records):
    """One sentence per cell: the point chosen on validation and how its best epochs fall, or the runs missing."""
    out = []
    for cell in CELLS:
        choice = tuning_choice(records, cell)
        ids = [i for lr in r001.TUNE_LR for hidden in r001.TUNE_HIDDEN for i in _point_ids(cell, lr, hidden)]
        done = sum(i in records for i in ids)
        if choice is None:
            out.append(f"{cell.upper()}: no tuning run has a record yet ({done_text(0, len(ids))}).")
            continue
        (lr, hidden), _ = choice
        best = [records[i].get("best_epoch") for i in _point_ids(cell, lr, hidden) if i in records]
        out.append(f"{cell.upper()}: the validation period chooses lr {lr:g}, hidden {hidden} "
                   f"({done_text(done, len(ids))} runs of the grid); its best epochs {', '.join(map(str, best))}.")
    return " ".join(out)


def best_network(records, name):
    """(label, runs) of the network configuration with the lowest mean validation RMSE in the series' unit (the
    validation figures alone decide); None without records."""
    rows = by_forecaster(records, name)
    if not rows:
        return None

    def valid(runs):
        return float(np.mean([r["valid"]["rmse"] * _unit_std(name, r["config"]["transform"]) for _, r in runs]))
    return min(rows, key=lambda row: valid(row[1]))


def best_epochs_text(records):
    """Per learning rate of the tuning grid: the best validation epochs and the epochs run, over every cell, width
    and seed done (what a best epoch of 1 says needs the lower rate beside it)."""
    out = []
    for lr in r001.TUNE_LR:
        ids = [i for cell in CELLS for hidden in r001.TUNE_HIDDEN for i in _point_ids(cell, lr, hidden)]
        done = [records[i] for i in ids if i in records]
        if not done:
            out.append(f"lr {lr:g}: not run yet ({done_text(0, len(ids))})")
            continue
        best = [r["best_epoch"] for r in done]
        run = [r["epochs_completed"] for r in done]
        out.append(f"lr {lr:g}: best validation epoch {min(best)}-{max(best)} (median {np.median(best):g}) of "
                   f"{min(run)}-{max(run)} run ({done_text(len(done), len(ids))})")
    return "; ".join(out) + "."


def levels_text(records):
    """The CO2 LSTM that reads and forecasts the levels: its test errors against the naive forecast's."""
    record = records.get(r001.LEVELS.id)
    if record is None:
        return f"The levels run {r001.LEVELS.id} has no record yet."
    m = record["forecast"]["methods"]
    net, naive = m["network"], m["naive"]
    return (f"The LSTM reading and forecasting CO2's levels, scaled by the training period, has a test RMSE of "
            f"{net['rmse']:.3g} ppmv (MASE {net['mase']:.1f}), {net['rmse'] / naive['rmse']:.1f} times the naive "
            f"forecast's ({naive['rmse']:.3g}): the test period lies above every training value.")


def whole_text(records):
    """Each cell trained on the whole series (truncated BPTT, one run) beside its windows runs (mean ± sd), and how
    many lie within two standard deviations of the windows' mean."""
    parts, within, n = [], 0, 0
    for name in r001.SERIES:
        pairs = []
        for cell in CELLS:
            whole = records.get(f"fc-{name}-whole-{cell}")
            windows = [records[i]["forecast"]["methods"]["network"]["rmse"] for i in
                       (f"fc-{name}-{cell}-s{s}" for s in r001.SEEDS3) if i in records]
            if whole is None or len(windows) < 2:
                continue
            value = whole["forecast"]["methods"]["network"]["rmse"]
            n += 1
            within += abs(value - np.mean(windows)) <= 2 * np.std(windows, ddof=1)
            pairs.append(f"{cell.upper()} {value:.3f} against {mean_sd_text(windows)}")
        if pairs:
            parts.append(f"{name}: " + ", ".join(pairs))
    if not n:
        return "No whole-series run has a record beside its windows runs yet."
    return (f"Test RMSE one step ahead, the whole series (one run) against windows (three seeds): "
            f"{'; '.join(parts)}; {within} of {n} within two standard deviations of the windows' mean.")


def headline(records, evaluated):
    """One line for the book's abstract: CO2's best network against the best baseline one step and ``horizon``
    steps ahead (test RMSE, the network configuration chosen by its validation RMSE)."""
    best = best_network(records, "co2")
    if best is None:
        return "Report 001: no CO2 run has a record yet."
    label, runs = best
    horizon = len(next(iter(evaluated.values()))["test"]["rmse_by_horizon"])
    said = []
    for step in (1, horizon):
        _, baseline, theirs = best_baseline(evaluated, step=step)
        ours = _network_rmse(runs, step)
        said.append(f"{step} {'week' if step == 1 else 'weeks'} ahead {ours:.3f} against {baseline}'s {theirs:.3f} "
                    f"ppmv ({'better' if ours < theirs else 'worse'})")
    return f"Report 001: forecasting weekly CO2, the network chosen on validation ({label}): " + "; ".join(said) + "."
