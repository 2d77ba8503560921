"""Report 001's summary plots: the two series, the forecasts of the test period, errors against the horizon.

Over the run records of report 001's part (lstm_xor.reports.r001.runs) and the
baselines of lstm_xor.reports.r001.baselines; the tables are
lstm_xor.reports.r001.tables'. Matplotlib is imported lazily.
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


def plot_horizons(records, name, evaluated=None):
    """RMSE against the horizon on a log scale (the levels LSTM's errors are ten times the rest): each network (mean
    over seeds), the record baselines and, given ``baselines.evaluated``, the baselines chosen on validation."""
    import matplotlib.pyplot as plt
    rows = by_forecaster(records, name)
    if not rows:
        return None
    fig, ax = plt.subplots(figsize=(8, 4.2))
    for label, runs in rows:
        curve = np.mean([r["forecast"]["methods"]["network"]["rmse_by_horizon"] for _, r in runs], axis=0)
        ax.plot(np.arange(1, len(curve) + 1), curve, "o-", ms=3, label=label)
    baselines = {method: first for method, first in
                 ((m, rows[0][1][0][1]["forecast"]["methods"][m]["rmse_by_horizon"]) for m in BASELINES)}
    if evaluated:
        baselines = {e["choice"]: e["test"]["rmse_by_horizon"] for e in evaluated.values()}
    for k, (method, curve) in enumerate(baselines.items()):
        ax.plot(np.arange(1, len(curve) + 1), curve, ("--", ":", "-.")[k % 3], color=f"{0.15 * (k % 5):.2f}", lw=1,
                label=method)
    from matplotlib.ticker import FormatStrFormatter
    ax.set(xlabel="steps ahead (iterated forecasts)", ylabel=f"test RMSE ({load_series(name).unit}, log scale)",
           yscale="log", title=name)
    for axis in (ax.yaxis.set_major_formatter, ax.yaxis.set_minor_formatter):
        axis(FormatStrFormatter("%g"))
    ax.legend(fontsize=6.5, loc="center left", bbox_to_anchor=(1.01, 0.5))
    fig.tight_layout()
    return fig


def _acf(x, lags):
    """(lags,): the sample autocorrelation of x at lags 1..lags."""
    x = np.asarray(x) - np.mean(x)
    return np.array([np.sum(x[k:] * x[:-k]) for k in range(1, lags + 1)]) / np.sum(x * x)


def plot_residuals(name, network, baseline, times, truth):
    """One-step test residuals (truth - forecast) of the best network and the best baseline (both chosen on
    validation): in time, their distribution, and their autocorrelation with its 95% band for white noise.

    network and baseline: (label, one-step forecasts (n,)); times and truth (n,) the test period's.
    """
    import matplotlib.pyplot as plt
    unit = load_series(name).unit
    fig, axes = plt.subplots(1, 3, figsize=(14, 3.4))
    lags = min(60, len(truth) // 3)
    for k, (label, forecasts) in enumerate((network, baseline)):
        residual = np.asarray(truth) - np.asarray(forecasts)
        axes[0].plot(times, residual, lw=0.7, color=f"C{k}", label=label)
        axes[1].hist(residual, bins=30, alpha=0.5, color=f"C{k}", label=label)
        axes[2].plot(np.arange(1, lags + 1) + 0.3 * k, _acf(residual, lags), "o", ms=2.5, color=f"C{k}", label=label)
    band = 1.96 / np.sqrt(len(truth))
    axes[2].axhspan(-band, band, color="0.85")
    axes[0].set(xlabel="year", ylabel=f"residual ({unit})", title=f"{name}: one-step residuals in the test period")
    axes[1].set(xlabel=f"residual ({unit})", ylabel="test points", title="distribution")
    axes[2].set(xlabel="lag (steps)", ylabel="autocorrelation", title="autocorrelation (band: white noise, 95%)")
    for ax in axes:
        ax.legend(fontsize=7)
    fig.tight_layout()
    return fig
