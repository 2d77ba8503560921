"""A run page: what a reader sees on it is decided here, and built before the run executes.

The driver hands papermill the notebook ``run_page`` makes of ``notebooks/train.ipynb``:
its first cell says what the run is (``intro_cell``, whose heading is the page's title in
the book's sidebar, the same form for every part); its parameters cell, folded, holds the
common parameters and the run's own task's at the run's values (no other task's
defaults); its Result cell calls ``result_markdown`` with the run's id. What papermill
writes is the page: nothing rewrites it afterwards.

``result_markdown`` names the epoch whose parameters are the result (the best one under
early stopping, else the last) and why, then the task's test figures, a forecaster's
errors in the series' unit beside the baselines', and the run's report beside it where
its part has one (``Part.compare``).
"""

import nbformat

from lstm_xor import render, reports
from lstm_xor.config import parameters_source
from lstm_xor.tasks import get_task

PARAMETERS = "parameters"  # papermill's tag of the parameters cell
FOLDED = "hide-cell"  # jupyter-book's tag: the cell is folded until opened
RESULT_CALL = "result_markdown(record)"  # the template's Result cell calls this; a run page passes its id too


def heading(run):
    """The page's title (the sidebar's name of the run): its registry title, for every part."""
    return run.title


def _start_lines(start, epochs):
    """Where the run began: another run's kept checkpoint ('copy', k, path, run id), or its own ('own', k)."""
    if start and start[0] == "copy":
        k = start[1]
        shared = "its first epoch is" if k == 1 else f"its first {k} epochs are"
        rest = f"epoch {epochs}" if k + 1 == epochs else f"epochs {k + 1}-{epochs}"
        return [f"**Shared epochs.** This run starts from the checkpoint that run `{start[3]}` kept after epoch "
                f"{k}: {shared} the same computation as that run's (same data, seed, initial weights and "
                f"learning rate in every epoch), done once. The training below computes {rest}; the plots and "
                f"the record hold the whole history.", ""]
    if start and start[0] == "own":
        return [f"**Resumed.** An earlier attempt of this run was interrupted after epoch {start[1]}; this one "
                f"continues from its checkpoint. The plots and the record hold the whole history.", ""]
    return []


def intro_cell(run, config, start=None):
    """The first cell: the heading, the run's id and settings in words, its note, what we expect, where it began."""
    c = config
    part = reports.part_of(run)
    rate = f"lr schedule `{c['lr_schedule']}`" if c["lr_schedule"] else f"lr {c['lr']:g}"
    at_most = " at most" if c.get("stop_when") or c.get("stop_patience") or c.get("patience") else ""
    lines = [f"# {heading(run)}", "",
             f"Run `{run.id}`: {part.describe(c)}, {c['cell']} {c['hidden']}, {c['init']} init, "
             f"{c['optimizer']} with {rate}, {c['loss_reduction']} loss, clip {c['clip_norm']:g}, "
             f"{render.count(c['epochs'], 'epoch')}{at_most}, seed {c['seed']}.", ""]
    if run.note:
        lines += [run.note, ""]
    if run.expect:
        lines += [f"Expected: {run.expect}.", ""]
    lines += part.figures(run)
    lines += _start_lines(start, c["epochs"])
    return "\n".join(lines).rstrip() + "\n"


def run_page(template, run, values, start=None):
    """The notebook papermill executes for a run: ``template`` with the run's first cell, its parameters
    (``values``: the flat run dict) in the parameters cell, and its id in the Result cell."""
    nb = nbformat.read(str(template), as_version=4)
    next(c for c in nb.cells if c.cell_type == "markdown").source = intro_cell(run, values, start)
    cell = next(c for c in nb.cells if PARAMETERS in c.metadata.get("tags", []))
    cell.source = parameters_source(values["task"], values)
    cell.metadata["tags"] = [PARAMETERS, FOLDED]
    result = next(c for c in nb.cells if c.cell_type == "code" and RESULT_CALL in c.source)
    result.source = result.source.replace(RESULT_CALL, f"result_markdown(record, {run.id!r})")
    return nb


# -- the Result section ---------------------------------------------------------------------------

def _why_ended(record):
    """Why the run ended after the epoch it did, as the end of a sentence."""
    c, n = record["config"], record["epochs_completed"]
    if record["status"] == "solved":
        metric, _, value = c["stop_when"].partition(":")
        return f"the test {metric.replace('_', ' ')} reached {value} (`stop_when`)"
    if record["status"] == "stopped" and c.get("patience"):
        return (f"{render.count(c['patience'], 'epoch')} passed without a validation loss lower by more than "
                f"{c['min_delta']:g} (`patience`)")
    if record["status"] == "stopped":
        return f"the epoch loss rose {render.count(c['stop_patience'], 'time')} in a row (`stop_patience`)"
    if n == c["epochs"]:
        return f"the {render.count(c['epochs'], 'planned epoch')} ran"
    return f"it ran {render.count(n, 'epoch')}"


def result_epoch(record):
    """Which epoch's parameters are the result, and why, in a sentence or two."""
    if record["status"] == "diverged":
        return (f"The loss became non-finite in epoch {record['diverged_epoch'] + 1}: the run diverged, and no "
                f"epoch's parameters are a result.")
    n, why = record["epochs_completed"], _why_ended(record)
    if record.get("best_epoch"):
        return (f"The result is the parameters of epoch {record['best_epoch']}, the epoch with the lowest "
                f"validation loss: early stopping keeps the best epoch's parameters. The run ended after epoch "
                f"{n}: {why}.")
    return f"The result is the parameters after the last epoch, epoch {n}: {why}."


def baselines_markdown(record):
    """A forecaster's one-step-ahead errors over the test period, in the series' unit, beside the baselines'."""
    forecast = record.get("forecast")
    if not forecast:
        return ""
    methods = forecast["methods"]
    rows = [f"| {name} | {render.number_text(m['rmse'])} | {render.number_text(m['mae'])} | "
            f"{render.number_text(m['mase'])} |" for name, m in methods.items()]
    return "\n".join([
        f"One step ahead over the test period ({len(forecast['truth'])} points), in the series' unit: the network "
        f"beside the naive, seasonal naive (period {forecast['period']}) and autoregressive (order "
        f"{forecast['ar_order']}) forecasts. MASE divides the MAE by the naive one-step forecast's in-sample "
        f"MAE: below 1 beats it.", "",
        "| forecast | RMSE | MAE | MASE |", "|---|---|---|---|", *rows])


def result_markdown(record, run_id=None):
    """The Result section: which epoch is the result and why, the task's figures, the baselines and the
    report beside them (for a registry run, by its id)."""
    parts = [result_epoch(record), summary_markdown(record), baselines_markdown(record)]
    if run_id is not None:
        run = reports.get(run_id)
        parts.append("\n".join(reports.part_of(run).compare(run, record)))
    return "\n\n".join(p for p in parts if p).rstrip() + "\n"


def summary_markdown(record):
    """The task's test figures, plus status and time, as a Markdown table."""
    task = get_task(record["config"]["task"])
    rows = [("status", record["status"]), ("epochs", record["epochs_completed"]),
            ("wall time", f"{record['wall_seconds']:.1f} s")]
    if record["test"]:
        rows += task.summary_rows(record["test"])
        rows.append(("test loss", f"{record['test']['loss']:.6g}"))
    for part in ("valid", "train"):  # with a validation part: the figures of the other parts
        if record.get(part):
            rows.append((f"{part} part", f"{task.summary(record[part])}, loss {record[part]['loss']:.6g}"))
    if record.get("best_epoch"):
        rows.append(("best epoch (kept)", record["best_epoch"]))
    if record.get("min_iteration_loss") is not None:
        rows.append(("min iteration loss", f"{record['min_iteration_loss']:.6g}"))
    for label, metrics in (record.get("extra_tests") or {}).items():
        rows.append((f"{task.extra_name} {label}", task.summary(metrics)))
    return "| | |\n|---|---|\n" + "\n".join(f"| {k} | {v} |" for k, v in rows)
