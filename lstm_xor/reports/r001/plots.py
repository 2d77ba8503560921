"""Report 001's summary plots: the two series, the forecasts of the test period, errors against the horizon.

Over the run records of report 001's part (lstm_xor.reports.r001.runs); the
tables are lstm_xor.reports.r001.tables'. Matplotlib is imported lazily.
"""

import numpy as np

from lstm_xor.data.series import load_series, split_in_time
from lstm_xor.reports.r001 import runs as r001
from lstm_xor.reports.r001.tables import BASELINES, by_forecaster


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
    rows = by_forecaster(records, name)
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
