"""Report 004's unbiasedness figure: the mean of sampled randomized-truncation gradients against the full one,
and their variance against the cut probability p, with and without the 1/(1 - p) factor.

At fixed (initial) parameters, for each cell and p, ``DRAWS`` gradients of one batch
of the truncation study's task (parity strings, each label the bit ``lag`` steps
back) are sampled, each with its own random cuts (lstm_xor.bptt.randomized_spread);
float64 throughout. Each row draws from a generator of its own (cell, p,
compensation), so any row can be recomputed alone (tests/test_report001_004.py
does). Written to ``book/summary/bptt_unbiased.json``, which the summary page reads:

    .venv/bin/python -m lstm_xor.reports.r004.unbiased
"""

import json
import sys
from pathlib import Path

import numpy as np

from lstm_xor.bptt import randomized_spread
from lstm_xor.config import split
from lstm_xor.nn.cells import CELLS
from lstm_xor.tasks import get_task
from lstm_xor.train.loop import build_model

COMMAND = ".venv/bin/python -m lstm_xor.reports.r004.unbiased"
PATH = Path(__file__).resolve().parents[3] / "book" / "summary" / "bptt_unbiased.json"
SETUP = dict(task="parity", labels="delay", lag=10, min_length=50, max_length=50, n_samples=64, hidden=16,
             dtype="float64", seed=0)
BATCH = 16
DRAWS = 1000
PS = (0.5, 0.2, 0.1, 0.05)


def problem(cell):
    """(model at its initial parameters, one batch of BATCH strings) of the study's setup for a cell."""
    config, _ = split(dict(SETUP, cell=cell))
    task = get_task(config.task)
    data = task.splits(config).train
    return build_model(config), task.batch(config, data, np.arange(BATCH), np.float64)


def row(cell, p, compensate, draws=DRAWS):
    """One row of the figure: randomized_spread for a cell, p and compensation, from the row's own generator."""
    model, batch = problem(cell)
    rng = np.random.default_rng([CELLS.index(cell), round(1000 * p), int(compensate)])
    return {"cell": cell, **randomized_spread(model, batch, p, draws, rng, compensate)}


def study(draws=DRAWS):
    return {"command": COMMAND, "setup": dict(SETUP, batch=BATCH), "draws": draws,
            "rows": [row(cell, p, compensate, draws) for cell in CELLS for p in PS for compensate in (True, False)]}


def load(path=PATH):
    """The committed study, or None when it has not been computed."""
    return json.loads(Path(path).read_text()) if Path(path).exists() else None


def plot(result):
    """The relative error of the sampled mean (left) and the relative variance of one sample (right) against p,
    per cell, compensated (solid) and not (dashed)."""
    import matplotlib.pyplot as plt

    from lstm_xor.render import CELL_COLORS
    fig, axes = plt.subplots(1, 2, figsize=(12, 3.6))
    for cell in CELLS:
        for compensate, style in ((True, "o-"), (False, "s--")):
            rows = [r for r in result["rows"] if r["cell"] == cell and r["compensate"] == compensate]
            ps = [r["p"] for r in rows]
            label = f"{cell}, {'× 1/(1 - p)' if compensate else 'no factor'}"
            axes[0].plot(ps, [r["mean_error"] for r in rows], style, color=CELL_COLORS[cell], label=label)
            axes[1].plot(ps, [r["variance"] for r in rows], style, color=CELL_COLORS[cell], label=label)
    axes[0].set(xscale="log", yscale="log", xlabel="cut probability p",
                ylabel=f"||mean of {result['draws']} - full|| / ||full||", title="bias of the sampled mean")
    axes[1].set(xscale="log", yscale="log", xlabel="cut probability p", ylabel="E||sample - full||² / ||full||²",
                title="variance of one sample")
    axes[1].legend(fontsize=7)
    fig.tight_layout()
    return fig


def main(argv=None):
    result = study()
    PATH.write_text(json.dumps(result, indent=1) + "\n")
    print(f"wrote {PATH} ({len(result['rows'])} rows)")


if __name__ == "__main__":
    main(sys.argv[1:])
