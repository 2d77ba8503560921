"""Report 004's summary page: the vanishing gradient measured, and full against truncated BPTT.

Tables (Markdown) and plots over the run records of report 004's part
(lstm_xor.reports.r004.runs). Matplotlib is imported lazily.
"""

import numpy as np

from lstm_xor.render import link, seconds_text
from lstm_xor.reports.r004 import runs as r004

CELL_COLORS = {"rnn": "tab:blue", "lstm": "tab:orange", "gru": "tab:green"}


def _gradient_runs(records, cell, layers):
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
    lines = ["| cell | layers | seeds | decades lost per 100 steps: initial | trained | ||dL/dh|| at distance 1: "
             "initial / trained | at distance 100: initial / trained |", "|---|---|---|---|---|---|---|"]
    for layers in (1, 2):
        for cell in r004.CELLS:
            recs = _gradient_runs(records, cell, layers)
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


def plot_gradients(records):
    """||dL_T/dh_t|| against T - t on a log scale, a panel per cell: initial dashed, trained solid, every seed."""
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 3, figsize=(14, 3.8), sharey=True)
    for ax, cell in zip(axes, r004.CELLS, strict=True):
        for layers, alpha in ((1, 1.0), (2, 0.45)):
            for i, r in enumerate(_gradient_runs(records, cell, layers)):
                g = r["state_gradients"]
                for which, style in (("initial", "--"), ("trained", "-")):
                    label = f"{which}, {layers} layer{'s' * (layers > 1)}" if i == 0 else None
                    ax.plot(g["distances"], np.asarray(g[which])[:, -1], style, color=CELL_COLORS[cell],
                            alpha=alpha, marker="o" if layers == 1 else "s", ms=3, label=label)
        ax.set(yscale="log", xlabel="distance T - t (steps)", title=cell.upper())
        ax.legend(fontsize=7)
    axes[0].set_ylabel("||dL_T / dh_t|| (top layer)")
    fig.tight_layout()
    return fig


def _chunk(config):
    """The mean chunk length of a run's truncation (the whole string for full BPTT)."""
    return {"full": config["max_length"], "regular": config["bptt_k"]}.get(config["bptt"], 1 / config["bptt_p"]
                                                                           if config["bptt_p"] else 0)


def modes_table(records, runs_dir):
    """Per cell and truncation: the test loss, the share of labels right at the last step, the time, per seed."""
    lines = ["| cell | BPTT | mean chunk (steps) | test loss | last label right | every label right | training time | "
             "runs |", "|---|---|---|---|---|---|---|---|"]
    for cell in r004.CELLS:
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
            lines.append(f"| {cell.upper()} | {r004.mode_text(mode, extra)} | {_chunk(recs[0]['config']):g} | "
                         f"{' | '.join(figures)} | {times} | {links} |")
    return "\n".join(lines)


def plot_modes(records):
    """Per cell: the test loss against training time, epoch by epoch, a line per truncation (seed 0)."""
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 3, figsize=(14, 3.8), sharey=True)
    styles = {"full": "k-", "regular": "-", "randomized": "--"}
    for ax, cell in zip(axes, r004.CELLS, strict=True):
        for run in r004.TRUNCATION:
            c = run.config()
            if c["cell"] != cell or c["seed"] != 0 or run.id not in records:
                continue
            h = records[run.id]["history"]
            label = r004.mode_text(c["bptt"], dict(bptt_k=c["bptt_k"], bptt_p=c["bptt_p"]))
            ax.plot(np.cumsum(h["epoch_seconds"]), h["test_loss"], styles[c["bptt"]], marker="o", ms=3,
                    label=label.replace("truncation, ", ""))
        ax.set(xlabel="training time (s)", title=cell.upper(), yscale="log")
        ax.legend(fontsize=6)
    axes[0].set_ylabel("test loss (cross entropy per label)")
    fig.tight_layout()
    return fig


def plot_chunks(records):
    """Per cell: the share of test strings whose last label is right against the mean chunk length, regular
    truncation and randomized, every seed; full BPTT as a line."""
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 3, figsize=(14, 3.4), sharey=True)
    for ax, cell in zip(axes, r004.CELLS, strict=True):
        runs = [(run.config(), records[run.id]) for run in r004.TRUNCATION
                if run.id in records and run.config()["cell"] == cell]
        for mode, style in (("regular", "o-"), ("randomized", "s--")):
            points = sorted((_chunk(c), r["test"]["last_bit_accuracy"]) for c, r in runs if c["bptt"] == mode)
            if points:
                ax.plot(*zip(*points, strict=True), style, label=mode)
        full = [r["test"]["last_bit_accuracy"] for c, r in runs if c["bptt"] == "full"]
        if full:
            ax.axhline(np.mean(full), color="k", lw=1, label="full BPTT")
        ax.axvline(r004.BASE["lag"], color="grey", ls=":", label="the lag")
        ax.set(xscale="log", xlabel="mean chunk length (steps)", title=cell.upper(), ylim=(0.4, 1.02))
        ax.set_xticks([2, 5, 10, 20], labels=["2", "5", "10", "20"])
        ax.minorticks_off()
        ax.legend(fontsize=7)
    axes[0].set_ylabel("last label right (test)")
    fig.tight_layout()
    return fig
