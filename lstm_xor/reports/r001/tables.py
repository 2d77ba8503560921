"""Report 001's summary page: forecasts of two real series against naive, seasonal and autoregressive baselines.

Tables (Markdown) over the run records of report 001's part
(lstm_xor.reports.r001.runs); every record holds the test period's forecasts
of its network and of the baselines in the series' unit; the plots are
lstm_xor.reports.r001.plots'.
"""

from lstm_xor.nn.cells import CELLS
from lstm_xor.render import link, mean_sd_text
from lstm_xor.reports.r001 import runs as r001

BASELINES = ("naive", "seasonal naive", "autoregression")


def by_forecaster(records, name):
    """[(label, [(run id, record)])] for the networks on one series, then the baselines (from the first record)."""
    rows = []
    for group in r001.GROUPS:
        for cell in CELLS:
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
