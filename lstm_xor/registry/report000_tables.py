"""Report 000's summary pages: its figures beside ours, and our own parity runs (book/summary/).

Tables (Markdown) and plots over the run records of report 000's part
(lstm_xor.registry.report000 and the parity runs of lstm_xor.registry.ours); the
generic pieces (records, links, number formatting) are lstm_xor.report's.
Matplotlib is imported lazily.
"""

import numpy as np

from lstm_xor import registry
from lstm_xor.registry import report000
from lstm_xor.report import link, moving_mean, number_text, seconds_text, status_text, thin

THRESHOLDS = (("last bit >= 99%", "last_bit", 0.99), ("whole string >= 90%", "sequence", 0.90),
              ("whole string >= 99%", "sequence", 0.99), ("whole string 100%", "sequence", 1.0))


_ITERATIONS = {}


def iterations_per_epoch(config):
    """Optimizer steps in one epoch of this configuration (grouped batches: per length, rounded up)."""
    from lstm_xor.tasks.parity import make_parity, split
    key = tuple(config[k] for k in ("n_samples", "min_length", "max_length", "seed", "test_fraction",
                                     "batch_size", "batching"))
    if key not in _ITERATIONS:
        train, _ = split(make_parity(config["n_samples"], config["min_length"], config["max_length"],
                                     config["seed"]), config["test_fraction"])
        B = config["batch_size"]
        if config["batching"] == "grouped":
            counts = np.bincount(train.lengths)
            _ITERATIONS[key] = int(sum(-(-c // B) for c in counts if c))
        else:
            _ITERATIONS[key] = -(-len(train) // B)
    return _ITERATIONS[key]


def report_scale(record):
    """Divide our loss by this to put it on the report's scale (the loss of one rank's batch of 32)."""
    c = record["config"]
    return c["batch_size"] / 32 if c["loss_reduction"] == "sum" else 1.0


def epoch_losses(record, tail=50):
    """Per epoch: (loss of its last iteration, mean of its last ``tail`` iterations), on the report's scale."""
    it = np.asarray(record["history"]["iteration_loss"], dtype=float) / report_scale(record)
    n = iterations_per_epoch(record["config"])
    out = []
    for e in range(len(record["history"]["epoch_loss"])):
        chunk = it[e * n:(e + 1) * n]
        out.append((float(chunk[-1]), float(chunk[-tail:].mean())))
    return out


def _count(correct, fraction, n=None):
    if correct is None:
        return "–"
    return f"{correct} ({100 * fraction:.3f}%)" if n is None or n == report000.REPORT_TEST_N else \
        f"{correct}/{n} ({100 * fraction:.2f}%)"


def report_runs(group):
    """The report's runs of one group (report-fixed, report-variable), in registry order."""
    return [r for r in report000.REPORT_RUNS if r.group == group]


def loss_table(records, group, runs_dir):
    """The report's loss figures beside ours (ours divided by 5: per batch of 32 strings)."""
    head = ("| run | lr | epochs | last epoch loss: report | ours, last batch ÷5 | ours, mean of last 50 ÷5 "
            "| min batch loss: report | ours ÷5 |\n|---|---|---|---|---|---|---|---|")
    rows = []
    for run in report_runs(group):
        r, rec = run.report, records.get(run.id)
        last = mean = ours_min = "not run yet"
        if rec:
            losses = epoch_losses(rec)
            last, mean = (number_text(losses[-1][0]), number_text(losses[-1][1])) if losses else ("–", "–")
            if rec["status"] == "diverged":
                last = mean = status_text(rec)
            m = rec.get("min_iteration_loss")
            ours_min = number_text(None if m is None else m / report_scale(rec))
        rows.append(f"| {link(run.id, records, runs_dir)} | {run.schedule_text} | {run.epochs} "
                    f"| {number_text(r['last_epoch_loss'])} | {last} | {mean} | {number_text(r['min_batch_loss'])} "
                    f"| {ours_min} |")
    return head + "\n" + "\n".join(rows)


def accuracy_table(records, group, runs_dir):
    """The report's test counts beside ours (20,000 test strings each)."""
    head = ("| run | last bit: report | ours | whole string: report | ours | difference (points) "
            "| status: report | ours |\n|---|---|---|---|---|---|---|---|")
    rows = []
    for run in report_runs(group):
        r, rec = run.report, records.get(run.id)
        rep_status = r["status"] + (f" ({r['stopped']})" if r["stopped"] else "")
        ours_bit = ours_seq = diff = "–"
        ours_status = "not run yet"
        if rec:
            ours_status = status_text(rec)
            t = rec.get("test")
            if t:
                ours_bit = _count(t["correct_last_bit"], t["last_bit_accuracy"], t["n"])
                ours_seq = _count(t["correct_sequences"], t["sequence_accuracy"], t["n"])
                if r["correct_last_bit"] is not None:
                    diff = (f"{100 * (t['last_bit_accuracy'] - r['last_bit_accuracy']):+.2f} / "
                            f"{100 * (t['sequence_accuracy'] - r['sequence_accuracy']):+.2f}")
        rep_bit = _count(r["correct_last_bit"], r["last_bit_accuracy"] or 0)
        rep_seq = _count(r["correct_sequences"], r["sequence_accuracy"] or 0)
        rows.append(f"| {link(run.id, records, runs_dir)} | {rep_bit} | {ours_bit} | {rep_seq} | {ours_seq} "
                    f"| {diff} | {rep_status} | {ours_status} |")
    return head + "\n" + "\n".join(rows)


def quoted_epochs_table(records, runs_dir):
    """Every epoch loss the report quotes, beside ours for the same (0-based) epoch."""
    head = ("| run | epoch (0-based) | report | ours, last batch ÷5 | ours, mean of last 50 ÷5 |"
            "\n|---|---|---|---|---|")
    rows = []
    for run in report000.REPORT_RUNS:
        rec = records.get(run.id)
        losses = epoch_losses(rec) if rec else []
        for e, v in sorted(run.report["epoch_losses"].items()):
            last, mean = (number_text(losses[e][0]), number_text(losses[e][1])) if e < len(losses) else \
                (("not run yet",) * 2 if not rec else ("–", "–"))
            rows.append(f"| {link(run.id, records, runs_dir)} | {e} | {number_text(v)} | {last} | {mean} |")
    return head + "\n" + "\n".join(rows)


def plot_overlay(records, panels, per="iteration", scale=True, smooth=None, title=""):
    """Overlaid curves of several runs: panels = [(panel title, [run ids])].

    per='iteration': training loss per iteration (moving mean over ``smooth``
    iterations, default a tenth of an epoch); per='epoch': mean iteration loss per
    epoch, with the test accuracies beside it. ``scale`` divides by report_scale.
    """
    import matplotlib.pyplot as plt
    if not any(records.get(run_id) for _, ids in panels for run_id in ids):
        print("No run record here yet: the plot comes with the runs.")
        return None
    ncols = len(panels) if per == "iteration" else 3
    nrows = 1 if per == "iteration" else len(panels)
    fig, axes = plt.subplots(nrows, ncols, figsize=(5.2 * ncols, 3.6 * nrows), squeeze=False)
    for p, (name, ids) in enumerate(panels):
        colors = plt.cm.viridis(np.linspace(0, 0.92, max(len(ids), 1)))
        for color, run_id in zip(colors, ids, strict=False):
            rec = records.get(run_id)
            if not rec or not rec["history"]["iteration_loss"]:
                continue
            div = report_scale(rec) if scale else 1.0
            n = iterations_per_epoch(rec["config"])
            h = rec["history"]
            if per == "iteration":
                x, y = moving_mean(np.asarray(h["iteration_loss"], dtype=float) / div, smooth or max(1, n // 10))
                x, y = thin(x, y)
                axes[0, p].plot(x / n, y, lw=0.9, color=color, label=run_id)
                continue
            epochs = np.arange(1, len(h["epoch_loss"]) + 1)
            axes[p, 0].plot(epochs, np.asarray(h["epoch_loss"]) / n / div, ".-", color=color, lw=0.9, ms=3,
                            label=run_id)
            axes[p, 1].plot(epochs, h["test_last_bit_accuracy"], ".-", color=color, lw=0.9, ms=3)
            axes[p, 2].plot(epochs, h["test_sequence_accuracy"], ".-", color=color, lw=0.9, ms=3)
        unit = "÷5, per 32 strings" if scale else "run's own reduction"
        if per == "iteration":
            ax = axes[0, p]
            ax.set(xlabel="epochs (iterations / iterations per epoch)", ylabel=f"training loss ({unit})",
                   yscale="log", title=name)
            if ax.lines:
                ax.legend(fontsize=6, ncol=2)
        else:
            axes[p, 0].set(xlabel="epochs completed", ylabel=f"mean iteration loss ({unit})", yscale="log",
                           title=f"{name}: training loss per epoch")
            axes[p, 1].set(xlabel="epochs completed", ylabel="test accuracy", ylim=(-0.02, 1.02),
                           title=f"{name}: last bit right")
            axes[p, 2].set(xlabel="epochs completed", ylabel="test accuracy", ylim=(-0.02, 1.02),
                           title=f"{name}: whole string right")
            if axes[p, 0].lines:
                axes[p, 0].legend(fontsize=6, ncol=2)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def _reach(record, key, threshold):
    """(epochs, seconds) until the test accuracy first reached threshold, or None."""
    h = record["history"]
    seconds = np.cumsum(h["epoch_seconds"])
    for e, acc in enumerate(h[f"test_{key}_accuracy"]):
        if acc >= threshold - 1e-12:
            return e + 1, float(seconds[e])
    return None


def _labels_per_iteration(config):
    if config["loss_reduction"] == "mean":
        return 1
    if config["labels"] == "final":
        return config["batch_size"]
    if config["min_length"] == config["max_length"]:
        return config["batch_size"] * config["max_length"]
    return None


def solved_at(record, level=0.01, window=20):
    """First iteration where the training loss per label (moving mean) falls below ``level``, or None."""
    per = _labels_per_iteration(record["config"])
    if per is None:
        return None
    x, y = moving_mean(np.asarray(record["history"]["iteration_loss"], dtype=float) / per, window)
    below = np.flatnonzero(y < level)
    return int(x[below[0]]) + 1 if len(below) else None


def reach_table(records, pairs, runs_dir):
    """Epochs and time until each accuracy level: the report as published, our reproduction, our default.

    pairs: [(report run id, [our run ids])].
    """
    head = ("| run | " + " | ".join(name for name, _, _ in THRESHOLDS)
            + " | training loss < 0.01 per label |\n|---|" + "---|" * (len(THRESHOLDS) + 1))
    rows = []
    for report_id, ours in pairs:
        rep, epochs = registry.get(report_id).report, registry.get(report_id).epochs
        minutes = report000.REPORT_MINUTES_PER_EPOCH
        cells = []
        for _, key, level in THRESHOLDS:
            final = rep[f"{key}_accuracy"]
            cells.append(f"by epoch {epochs} (~{epochs * minutes / 60:.1f} h)" if final
                         and final >= level - 1e-12 else f"not reached ({100 * final:.2f}% at the end)")
        rows.append(f"| report's {report_id} (as published; {minutes} min per epoch) | " + " | ".join(cells)
                    + " | – |")
        for run_id in [report_id] + list(ours):
            rec = records.get(run_id)
            label = ("ours, the report's settings" if run_id == report_id else "ours, sound default") + \
                f": {link(run_id, records, runs_dir)}"
            if not rec:
                rows.append(f"| {label} | " + " | ".join(["not run yet"] * (len(THRESHOLDS) + 1)) + " |")
                continue
            cells = []
            for _, key, level in THRESHOLDS:
                hit = _reach(rec, key, level)
                cells.append(f"epoch {hit[0]} ({seconds_text(hit[1])})" if hit else "not reached")
            it = solved_at(rec)
            n = iterations_per_epoch(rec["config"])
            cells.append(f"iteration {it} ({it / n:.2f} epoch)" if it else
                         ("–" if _labels_per_iteration(rec["config"]) is None else "not reached"))
            rows.append(f"| {label} | " + " | ".join(cells) + " |")
    return head + "\n" + "\n".join(rows)


def runs_table(records, ids, runs_dir):
    """Our runs: data, labels, result, time, and what we expected."""
    head = ("| run | data | labels | epochs | last bit right | whole string right | wall time | status | expected |"
            "\n|---|---|---|---|---|---|---|---|---|")
    rows = []
    for run_id in ids:
        run, rec = registry.get(run_id), records.get(run_id)
        c = run.config()
        data = f"length {c['max_length']}" if c["min_length"] == c["max_length"] else \
            f"lengths {c['min_length']}-{c['max_length']}"
        if c["curriculum_epochs"]:
            data += f", curriculum over {c['curriculum_epochs']:g} epoch"
        if rec and rec.get("test"):
            t = rec["test"]
            cells = [str(rec["epochs_completed"]), _count(t["correct_last_bit"], t["last_bit_accuracy"], t["n"]),
                     _count(t["correct_sequences"], t["sequence_accuracy"], t["n"]),
                     seconds_text(rec["wall_seconds"]), status_text(rec)]
        else:
            cells = [str(c["epochs"]), "–", "–", "–", status_text(rec) if rec else "not run yet"]
        rows.append(f"| {link(run_id, records, runs_dir)} | {data} | {c['labels']} | " + " | ".join(cells)
                    + f" | {run.expect} |")
    return head + "\n" + "\n".join(rows)


def long_strings_table(records, ids, runs_dir):
    """Test accuracy on strings longer than any trained on (eval_lengths)."""
    lengths = sorted({int(k) for i in ids if i in records for k in (records[i].get("extra_tests") or {})})
    if not lengths:
        return "No record with a longer-strings evaluation yet."
    head = ("| run | " + " | ".join(f"length {n}: last bit / whole string" for n in lengths) + " |\n|---|"
            + "---|" * len(lengths))
    rows = []
    for run_id in ids:
        rec = records.get(run_id)
        if not rec or not rec.get("extra_tests"):
            continue
        cells = []
        for n in lengths:
            r = rec["extra_tests"].get(str(n))
            cells.append(f"{100 * r['last_bit_accuracy']:.2f}% / {100 * r['sequence_accuracy']:.2f}%" if r else "–")
        rows.append(f"| {link(run_id, records, runs_dir)} | " + " | ".join(cells) + " |")
    return head + "\n" + "\n".join(rows)
