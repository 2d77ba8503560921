"""Report 001's summary page: forecasts of two real series against naive, seasonal and autoregressive baselines.

Tables (Markdown) and plots over the run records of report 001's part
(lstm_xor.reports.r001.runs); every record holds the test period's forecasts
of its network and of the baselines in the series' unit. Matplotlib is imported
lazily.
"""

import numpy as np

from lstm_xor.data.series import load_series, split_in_time
from lstm_xor.render import link, mean_sd_text
from lstm_xor.reports.r001 import runs as r001

BASELINES = ("naive", "seasonal naive", "autoregression")


def _by(records, name):
    """[(label, [(run id, record)])] for the networks on one series, then the baselines (from the first record)."""
    rows = []
    for group in r001.GROUPS:
        for cell in r001.CELLS:
            for transform in ("difference", "level"):
                runs = [(run.id, records[run.id]) for run in group.runs if run.id in records and all(
                    run.config()[k] == v for k, v in (("series", name), ("cell", cell), ("transform", transform)))]
                if runs:
                    mode = "windows" if group.name == "forecast-windows" else "whole series, truncated BPTT"
                    what = {"difference": ", changes", "level": ""}[transform] if name == "co2" else ""
                    rows.append((f"{cell.upper()}, {mode}{what}", runs))
    return rows


def errors_table(records, runs_dir, name):
    """One series: each network (mean ± sd over seeds) and each baseline, one step ahead and at the horizon."""
    rows = _by(records, name)
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


def plot_series():
    """Both series with their training, validation and test periods shaded."""
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 2, figsize=(14, 3.4))
    for ax, name in zip(axes, r001.SERIES, strict=True):
        series = load_series(name)
        ax.plot(series.times, series.values, lw=0.8, color="k")
        for part, color, label in zip(split_in_time(series, 0.2, 0.2), ("tab:blue", "tab:orange", "tab:green"),
                                      ("training", "validation", "test"), strict=True):
            ax.axvspan(series.times[part][0], series.times[part][-1], color=color, alpha=0.15, label=label)
        filled = f", {series.missing} missing weeks filled by interpolation" if series.missing else ""
        ax.set(xlabel="year", ylabel=series.unit, title=f"{name}{filled}")
        ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_forecasts(records, run_ids):
    """The test period: the truth, the networks' and the autoregression's one-step forecasts."""
    import matplotlib.pyplot as plt
    have = [i for i in run_ids if i in records]
    if not have:
        return None
    fig, axes = plt.subplots(1, len(have), figsize=(7 * len(have), 3.4), squeeze=False)
    for ax, run_id in zip(axes[0], have, strict=True):
        f = records[run_id]["forecast"]
        ax.plot(f["times"], f["truth"], "k-", lw=1, label="truth")
        for method, style in (("network", "-"), ("autoregression", "--")):
            m = f["methods"][method]
            ax.plot(f["times"], m["one_step"], style, lw=1, label=f"{method} (RMSE {m['rmse']:.3g})")
        ax.set(xlabel="year", title=f"{run_id}: one step ahead")
        ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_horizons(records, name):
    """RMSE against the horizon, each network (mean over seeds) and each baseline, one series."""
    import matplotlib.pyplot as plt
    rows = _by(records, name)
    if not rows:
        return None
    fig, ax = plt.subplots(figsize=(7, 3.6))
    for label, runs in rows:
        curve = np.mean([r["forecast"]["methods"]["network"]["rmse_by_horizon"] for _, r in runs], axis=0)
        ax.plot(np.arange(1, len(curve) + 1), curve, "o-", ms=3, label=label)
    first = rows[0][1][0][1]["forecast"]["methods"]
    for method in BASELINES:
        curve = first[method]["rmse_by_horizon"]
        ax.plot(np.arange(1, len(curve) + 1), curve, "k--" if method == "autoregression" else ":", label=method)
    ax.set(xlabel="steps ahead (iterated forecasts)", ylabel="test RMSE", title=name)
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig
