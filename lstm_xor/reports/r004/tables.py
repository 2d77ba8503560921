"""Report 004's summary page: the vanishing gradient measured, and full against truncated BPTT.

Tables (Markdown) over the run records of report 004's part
(lstm_xor.reports.r004.runs); the plots are lstm_xor.reports.r004.plots'.
"""

import numpy as np

from lstm_xor.nn.cells import CELLS
from lstm_xor.render import link, seconds_text
from lstm_xor.reports.r004 import runs as r004


def gradient_runs(records, cell, layers):
    return [records[run.id] for run in r004.GRADIENTS
            if run.id in records and run.config()["cell"] == cell and run.config()["layers"] == layers]


def decay(record, which):
    """The slope of log10 ||dL_T/dh_t|| against the distance T - t, top layer, in decades per 100 steps."""
    g = record["state_gradients"]
    norms = np.asarray(g[which], dtype=float)[:, -1]
    keep = norms > 0
    return 100 * float(np.polyfit(np.asarray(g["distances"])[keep], np.log10(norms[keep]), 1)[0])


def gradient_table(records):
    """Per cell and depth: the decay of the state gradient at the start and after training, and its size at 1, 100."""
    # The norm's bars are escaped: a bare "|" in a Markdown table starts a new column.
    lines = ["| cell | layers | seeds | decades lost per 100 steps: initial | trained | "
             "\\|\\|dL/dh\\|\\| at distance 1: initial / trained | at distance 100: initial / trained |",
             "|---|---|---|---|---|---|---|"]
    for layers in (1, 2):
        for cell in CELLS:
            recs = gradient_runs(records, cell, layers)
            if not recs:
                continue
            g = recs[0]["state_gradients"]
            at = {d: g["distances"].index(d) for d in (1, 100)}

            def norm(which, d, recs=recs, at=at):
                return float(np.median([r["state_gradients"][which][at[d]][-1] for r in recs]))

            spread = {w: [decay(r, w) for r in recs] for w in ("initial", "trained")}
            lines.append(f"| {cell.upper()} | {layers} | {len(recs)} | "
                         f"{', '.join(f'{-v:.1f}' for v in spread['initial'])} | "
                         f"{', '.join(f'{-v:.1f}' for v in spread['trained'])} | "
                         f"{norm('initial', 1):.2g} / {norm('trained', 1):.2g} | "
                         f"{norm('initial', 100):.2g} / {norm('trained', 100):.2g} |")
    return "\n".join(lines)


def mean_chunk(config):
    """The mean chunk length of a run's truncation (the whole string for full BPTT)."""
    return {"full": config["max_length"], "regular": config["bptt_k"]}.get(config["bptt"], 1 / config["bptt_p"]
                                                                           if config["bptt_p"] else 0)


def modes_table(records, runs_dir):
    """Per cell and truncation: the test loss, the share of labels right at the last step, the time, per seed."""
    lines = ["| cell | BPTT | mean chunk (steps) | test loss | last label right | every label right | training time | "
             "runs |", "|---|---|---|---|---|---|---|---|"]
    for cell in CELLS:
        for mode, extra in r004.MODES:
            runs = [run for run in r004.TRUNCATION if run.config()["cell"] == cell and run.config()["bptt"] == mode
                    and all(run.config()[k] == v for k, v in extra.items())]
            recs = [records[run.id] for run in runs if run.id in records]
            if not recs:
                continue
            figures = [", ".join(f"{r['test'][key]:.3f}" for r in recs)
                       for key in ("loss", "last_bit_accuracy", "sequence_accuracy")]
            times = ", ".join(seconds_text(r["wall_seconds"]) for r in recs)
            links = " ".join(link(run.id, records, runs_dir) for run in runs if run.id in records)
            lines.append(f"| {cell.upper()} | {r004.mode_text(mode, extra)} | {mean_chunk(recs[0]['config']):g} | "
                         f"{' | '.join(figures)} | {times} | {links} |")
    return "\n".join(lines)
