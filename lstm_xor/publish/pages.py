"""A run page's words: its first cell, and the touches it gets from its record once it has run.

Before the run, the first cell says what the run is (``intro_cell``). After it, the
page gets a headline that carries its learning rate and outcome (the book's sidebar
shows it), the comparison with the report at the top (``Part.compare``), and its
parameter cells folded away (``finish``); where the part asks (``Part.replot``), its
history plot is drawn again from the record with today's ``plot_history``. All of it is
made from the registry and the record, so ``refresh`` redoes it on committed pages when
the words change, without training anything.
"""

import base64
import functools
import hashlib
import io
import json
from pathlib import Path

from lstm_xor import render, reports
from lstm_xor.reports.base import plain_headline

COMPARISON = "comparison"  # the tag of the cell finish() puts after the first
PLOT_CALL = "plot_history(record)"  # the code of the cell whose figure replot() draws again
FOLDED = {"parameters", "injected-parameters"}


def intro_cell(run, config, start=None, record=None):
    """The first cell: headline, what the run is, where it started.

    ``start``: ('copy', epoch, path, run id) when it began from another run's checkpoint,
    ('own', epoch, ...) when it resumed its own; ``record``: once it has run, for the headline.
    """
    c = config
    part = reports.part_of(run)
    rate = f"lr schedule `{c['lr_schedule']}`" if c["lr_schedule"] else f"lr {c['lr']:g}"
    headline = part.headline(run, record) if record else plain_headline(run, record)
    at_most = " at most" if c.get("stop_when") or c.get("stop_patience") else ""
    named = "" if headline.startswith(run.id) else f" Run id `{run.id}`."  # a headline without the id gets it here
    lines = [f"# {headline}", "",
             f"{part.describe(c)}, {c['cell']} "
             f"{c['hidden']}, {c['init']} init, {c['optimizer']} with {rate}, {c['loss_reduction']} loss, "
             f"clip {c['clip_norm']:g}, {c['epochs']} epoch{'s' if c['epochs'] != 1 else ''}{at_most}, "
             f"seed {c['seed']}.{named}", ""]
    if run.note:
        lines += [run.note, ""]
    if run.expect:
        lines += [f"Expected: {run.expect}.", ""]
    lines += part.figures(run)
    if start and start[0] == "copy":
        k, n = start[1], c["epochs"]
        shared = "its first epoch is" if k == 1 else f"its first {k} epochs are"
        rest = f"epoch {n}" if k + 1 == n else f"epochs {k + 1}-{n}"
        lines += [f"**Shared epochs.** This run starts from the checkpoint that run `{start[3]}` kept after epoch "
                  f"{k}: {shared} the same computation as that run's (same data, seed, initial weights and "
                  f"learning rate in every epoch), done once. The training below computes {rest}; the plots and "
                  f"the record hold the whole history.", ""]
    elif start and start[0] == "own":
        lines += [f"**Resumed.** An earlier attempt of this run was interrupted after epoch {start[1]}; this one "
                  f"continues from its checkpoint. The plots and the record hold the whole history.", ""]
    return "\n".join(lines).rstrip() + "\n"


def start_of(run, record):
    """The ``start`` of intro_cell, as the driver recorded it (record['driver']['resumed_from'])."""
    resumed = record.get("driver", {}).get("resumed_from")
    if not resumed:
        return None
    return ("own", resumed["epoch"]) if resumed["run"] == run.id else ("copy", resumed["epoch"], None, resumed["run"])


def _source(cell):
    s = cell["source"]
    return "".join(s) if isinstance(s, list) else s


def finish(nb, run, record):
    """The executed notebook ``nb`` (a dict, as in the .ipynb file) with its record's touches; in place."""
    part = reports.part_of(run)
    cells = nb["cells"]
    for cell in cells:
        tags = cell.setdefault("metadata", {}).setdefault("tags", [])
        if FOLDED & set(tags) and "hide-cell" not in tags:
            tags.append("hide-cell")
    first = next(i for i, c in enumerate(cells) if c["cell_type"] == "markdown")
    cells[first]["source"] = intro_cell(run, record["config"], start_of(run, record), record)
    cells[:] = [c for c in cells if COMPARISON not in c["metadata"].get("tags", [])]
    if part.replot:
        _replot(cells, record)
    lines = part.compare(run, record)
    if lines:
        cells.insert(first + 1, {"cell_type": "markdown", "metadata": {"tags": [COMPARISON]},
                                 "source": "\n".join(lines).rstrip() + "\n"})
        # nbformat 4.5 wants an id on every cell; a fixed one keeps refresh idempotent
        if "id" in cells[first]:
            cells[first + 1]["id"] = f"{COMPARISON}-{run.id}"[:64]
    return nb


@functools.cache
def _drawing_code():
    return Path(render.__file__).read_bytes()


def _drawn_from(record):
    """What a redrawn plot depends on: the record and the code that draws it."""
    h = hashlib.sha256(json.dumps(record, sort_keys=True).encode())
    h.update(_drawing_code())
    return f"<Figure: the run's history, drawn from its record ({h.hexdigest()[:16]})>"


def _replot(cells, record):
    """The history plot's output, drawn from the record as the cell would draw it now (unless it already is)."""
    import matplotlib.pyplot as plt
    cell = next((c for c in cells if c["cell_type"] == "code" and PLOT_CALL in _source(c)), None)
    if cell is None:
        return
    stamp = _drawn_from(record)
    if [o.get("data", {}).get("text/plain") for o in cell.get("outputs", [])] == [[stamp]]:
        return
    fig = render.plot_history(record)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight", dpi=72, metadata={"Software": None})
    plt.close(fig)
    cell["outputs"] = [{"output_type": "display_data", "metadata": {},
                        "data": {"image/png": base64.b64encode(buf.getvalue()).decode(),
                                 "text/plain": [stamp]}}]


def refresh(book, runs, write):
    """finish() every committed page of ``runs`` again; write(path, nb) the ones that change. Returns their ids."""
    changed = []
    for run in runs:
        path, record_path = book.notebook(run.id), book.record(run.id)
        if not (path.exists() and record_path.exists()):
            continue
        text = path.read_text()
        nb = finish(json.loads(text), run, json.loads(record_path.read_text()))
        if json.dumps(nb, indent=1, ensure_ascii=False) + "\n" != text:
            write(path, nb)
            changed.append(run.id)
    return changed
