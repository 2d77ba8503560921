"""Report 000's summary plots: training losses and test errors of several runs, the report's figures on them.

panels = [(panel title, [run ids])]: one row of axes per panel, its legend to the right
of the row (outside the axes, so it covers no curve). Within a panel the i-th run keeps
one style: tab10's ten colours, then the same colours with other line styles and
markers. Epochs are counted from 1; the report's logs count from 0, so a figure the
report gives for its "epoch e" is drawn at our epoch e + 1. Matplotlib is imported
lazily.
"""

import numpy as np

from lstm_xor import reports
from lstm_xor.render import ERROR_FLOOR, error_axis, errors_drawn, iterations_per_epoch, moving_mean, thin
from lstm_xor.reports.r000.pages import REPORT_TEST_N, report_scale

UNDERFLOW = float(np.finfo(np.float32).tiny)  # a loss below this (0 included) is marked "0 (underflow)" on the floor
FEW_POINTS = 6  # curves with fewer points get a marker on every point
LEGEND_FONTSIZE = 9
WIDTH, ROW_HEIGHT = 10.0, 3.4  # inches: one row per panel, legible at a laptop's page width
LINESTYLES = ("-", "--", "-.", ":")
MARKERS = ("o", "s", "^", "D", "v", "P")
REPORT_MARKER = dict(linestyle="none", marker="*", markersize=13, markeredgecolor="black", markeredgewidth=0.7,
                     zorder=5)
UNDERFLOW_MARKER = dict(linestyle="none", marker="v", markersize=7, markeredgecolor="black", markeredgewidth=0.5,
                        clip_on=False, zorder=5)
REPORT_EPOCHS = "the report's log says e − 1"
QUOTED_LOSS, QUOTED_ERRORS, UNDERFLOWED = "report's quoted loss", "report's final errors", "0 (underflow)"


def run_style(i):
    """Colour, line style and marker of a panel's i-th run: tab10, then its colours with other line styles."""
    import matplotlib.pyplot as plt
    return dict(color=plt.cm.tab10(i % 10), linestyle=LINESTYLES[i // 10 % len(LINESTYLES)],
                marker=MARKERS[i % len(MARKERS)])


def _marker(style, size):
    """A run's hollow marker: runs on the same point stay told apart by their shapes."""
    return dict(marker=style["marker"], markersize=size, markerfacecolor="none", markeredgewidth=1.2)


def report_figures(run_id):
    """The report 000 figures of a run: {'loss': {1-based epoch: quoted loss}, 'errors': (epoch, last bit, whole
    string) or None}; empty for runs the report does not document."""
    run = reports.BY_ID.get(run_id)
    r = run.report if run else None
    if not r or "epoch_losses" not in r:
        return {"loss": {}, "errors": None}
    errors = None if r["correct_last_bit"] is None else \
        (run.epochs, REPORT_TEST_N - r["correct_last_bit"], REPORT_TEST_N - r["correct_sequences"])
    return {"loss": {e + 1: v for e, v in r["epoch_losses"].items()}, "errors": errors}


def _figure(panels, ncols, title, per_epoch=True):
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator
    fig, axes = plt.subplots(len(panels), ncols, figsize=(WIDTH, ROW_HEIGHT * len(panels)), squeeze=False,
                             layout="constrained")
    if per_epoch:  # whole epochs on the x axis
        for ax in axes.flat:
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    if title:
        fig.suptitle(title)
    return fig, axes


def _curve(ax, x, y, style, label=None, mark=None):
    """A run's curve on a log axis, with the run's marker on every point of a short curve, on the points of
    ``mark`` (a mask), and every so often past the tenth run. Values below UNDERFLOW cannot be drawn on a log
    axis: they are left out of the line and marked on the axis' bottom edge. Returns whether any was."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    low = np.isfinite(y) & (y < UNDERFLOW)
    marked = np.zeros(len(x), dtype=bool) if mark is None else np.array(mark, dtype=bool)
    if np.count_nonzero(np.isfinite(y)) < FEW_POINTS:
        marked[:] = True
    elif style["linestyle"] != "-":  # runs past the tenth are told apart by their markers too
        marked[::max(1, len(x) // 8)] = True
    ax.plot(x, np.where(low | ~np.isfinite(y), np.nan, y), color=style["color"], linestyle=style["linestyle"],
            lw=1.1, label=label, **(dict(_marker(style, 7), markevery=np.flatnonzero(marked).tolist())
                                    if marked.any() else {}))
    if low.any():
        ax.plot(x[low], np.zeros(low.sum()), transform=ax.get_xaxis_transform(), color=style["color"],
                **UNDERFLOW_MARKER)
    return bool(low.any())


def _legend(ax, extra):
    """The row's legend, outside its last axes on the right: the runs, then what the markers mean ({label: style})."""
    from matplotlib.lines import Line2D
    handles, _ = ax.get_legend_handles_labels()
    handles += [Line2D([], [], color="0.6", label=label, **{k: v for k, v in marker.items() if k != "clip_on"})
                for label, marker in sorted(extra.items(), key=lambda item: item[0] == UNDERFLOWED)]
    if handles:
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0,
                  fontsize=LEGEND_FONTSIZE, ncol=1 if len(handles) <= 13 else 2, frameon=False)


def _no_records(records, panels):
    if not any(records.get(run_id) for _, ids in panels for run_id in ids):
        print("No run record here yet: the plot comes with the runs.")
        return True
    return False


def plot_overlay(records, panels, per="iteration", scale=True, smooth=None, title=""):
    """Overlaid training losses of several runs, one row per panel: panels = [(panel title, [run ids])].

    per='iteration': the loss per iteration (moving mean over ``smooth`` iterations,
    default a tenth of an epoch) against epochs completed; per='epoch': the mean
    iteration loss of each epoch (1-based). ``scale`` divides by report_scale, and
    then the losses the report quotes for its runs are drawn as stars in the run's
    colour at the end of their epoch. Losses that underflow to 0 are marked on the
    bottom edge. Test errors per epoch: plot_errors.
    """
    if _no_records(records, panels):
        return None
    fig, axes = _figure(panels, 1, title, per_epoch=per == "epoch")
    unit = "÷5, per 32 strings" if scale else "run's own reduction"
    quoted = False
    for p, (name, ids) in enumerate(panels):
        ax, extra = axes[p, 0], {}
        for i, run_id in enumerate(ids):
            rec, style = records.get(run_id), run_style(i)
            if not rec or not rec["history"]["iteration_loss"]:
                continue
            div = report_scale(rec) if scale else 1.0
            n = iterations_per_epoch(rec)
            h = rec["history"]
            if per == "iteration":
                x, y = moving_mean(np.asarray(h["iteration_loss"], dtype=float) / div, smooth or max(1, n // 10))
                x, y = thin(x, y)
                x = (x + 1) / n  # the moving mean ending at iteration x (0-based) is drawn at x + 1 steps done
            else:
                y = np.asarray(h["epoch_loss"], dtype=float) / n / div
                x = np.arange(1, len(y) + 1)
            if _curve(ax, x, y, style, label=run_id):
                extra[UNDERFLOWED] = UNDERFLOW_MARKER
            losses = report_figures(run_id)["loss"] if scale else {}
            if losses:
                ax.plot(list(losses), list(losses.values()), color=style["color"], **REPORT_MARKER)
                extra[QUOTED_LOSS] = REPORT_MARKER
        quoted |= QUOTED_LOSS in extra
        ax.set(yscale="log", title=name,
               ylabel=f"training loss ({unit})" if per == "iteration" else f"mean iteration loss ({unit})")
        _legend(ax, extra)
    if per == "iteration":
        x_label = "epochs completed (iterations / iterations per epoch)" + \
            ("; a loss the report quotes for its log's epoch e − 1 is at e" if quoted else "")
    else:
        x_label = "epoch e (1-based" + (f"; {REPORT_EPOCHS})" if quoted else ")")
    axes[-1, 0].set_xlabel(x_label)
    return fig


def plot_errors(records, panels, title=""):
    """Test errors per epoch (1-based), of n test strings: the last bit and the whole string, one row per panel.

    Errors are n − correct on a log axis; 0 errors sit on a shaded floor row labelled
    "0" (a log axis cannot show 0), so a run that got every string right reads at a
    glance. Where the report printed its final counts, its errors (n − its count) are
    drawn as stars in the run's colour at its last epoch. panels as plot_overlay's.
    """
    if _no_records(records, panels):
        return None
    fig, axes = _figure(panels, 2, title)
    quoted, n_max = False, REPORT_TEST_N
    for p, (name, ids) in enumerate(panels):
        extra = {}
        for i, run_id in enumerate(ids):
            rec, style = records.get(run_id), run_style(i)
            if not rec or not rec["history"].get("test_sequence_accuracy"):
                continue
            h, n = rec["history"], (rec.get("test") or {}).get("n", REPORT_TEST_N)
            n_max = max(n_max, n)
            epochs = np.arange(1, len(h["test_sequence_accuracy"]) + 1)
            for ax, key in zip(axes[p], ("last_bit", "sequence"), strict=True):
                wrong = errors_drawn(h[f"test_{key}_accuracy"], n)
                zero = wrong == ERROR_FLOOR
                # the run's marker where it comes down to 0
                _curve(ax, epochs, wrong, style, label=run_id, mark=zero & np.r_[True, ~zero[:-1]])
            errors = report_figures(run_id)["errors"]
            if errors:
                for ax, wrong in zip(axes[p], errors[1:], strict=True):
                    ax.plot([errors[0]], [max(wrong, ERROR_FLOOR)], color=style["color"], **REPORT_MARKER)
                extra[QUOTED_ERRORS] = REPORT_MARKER
        quoted |= bool(extra)
        for ax, what in zip(axes[p], ("last bit wrong", "whole string wrong"), strict=True):
            error_axis(ax, n_max)
            ax.set(title=f"{name}: {what}", ylabel=f"test strings wrong, of {n_max:,}")
        _legend(axes[p, 1], extra)
    for ax in axes[-1]:
        ax.set_xlabel("epoch e (1-based" + (f"; {REPORT_EPOCHS})" if quoted else ")"))
    return fig


def plot_schedule_jump(rows, chance=None):
    """The report's loss at the end of our epoch 21 (the first at the new rate) against that rate, beside the
    loss at the end of epoch 20 that every run shares: rows as evidence.schedule_jump's; chance drawn if given."""
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(WIDTH, ROW_HEIGHT * 1.2), layout="constrained")
    rates = np.array([r["rate"] for r in rows])
    ax.plot(rates, [r["after"] for r in rows], color="tab:red", **{**REPORT_MARKER, "markersize": 11},
            label="end of epoch 21, the first at the new rate (the report's Epoch:20)")
    for rate in sorted(set(rates)):  # one label per rate: the runs at it, by their number in the report
        at = [r for r in rows if r["rate"] == rate]
        numbers = [int(r["run"].split("-")[1]) for r in at]
        name = f"{numbers[0]}-{numbers[-1]}" if len(numbers) > 1 else f"{numbers[0]}"
        ax.annotate(f"run {name}", (rate, at[0]["after"]), textcoords="offset points", xytext=(0, 9),
                    ha="center", fontsize=8)
    ax.axhline(rows[0]["before"], color="tab:blue", lw=1.2,
               label=f"end of epoch 20, every run ({rows[0]['before']}; the report's Epoch:19)")
    if chance:
        ax.axhline(chance, color="0.5", lw=1, linestyle="--", label=f"chance ({chance:.0f})")
    ax.set(xscale="log", yscale="log", xlabel="learning rate from epoch 21", ylabel="loss (report's scale)",
           xlim=(rates.min() / 3, rates.max() * 3), title="Runs 11-27: the loss at the rate change against the rate")
    ax.legend(loc="upper left", bbox_to_anchor=(0.01, 0.9), fontsize=LEGEND_FONTSIZE, frameon=False)
    return fig
