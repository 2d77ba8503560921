"""Report 000's summary pages: its figures beside ours, and our own parity runs (book/summary/).

Markdown tables over the run records of report 000's part (lstm_xor.reports.r000.runs:
the report's runs and our own parity runs); the plots are lstm_xor.reports.r000.plots',
the generic pieces (records, links, number formatting) lstm_xor.render's.

Epochs are counted from 1 ("epoch 1" is the first pass over the data); the report's
logs count from 0, so its "epoch e" is our epoch e + 1. The report's figures are shown
as it printed them (report000._fig's ``printed``); a table has at most six columns, so
that it fits a laptop's page.
"""

import numpy as np

from lstm_xor import reports
from lstm_xor.render import (
    first_epoch_at,
    iterations_per_epoch,
    link,
    moving_mean,
    number_text,
    seconds_text,
    status_text,
)
from lstm_xor.reports.r000 import runs as report000
from lstm_xor.reports.r000.pages import REPORT_TEST_N, count_text, report_scale

THRESHOLDS = (("last bit >= 99%", "last_bit", 0.99), ("whole string >= 90%", "sequence", 0.90),
              ("whole string >= 99%", "sequence", 0.99), ("whole string 100%", "sequence", 1.0))


def epoch_losses(record, tail=50):
    """Per epoch: (loss of its last iteration, mean of its last ``tail`` iterations), on the report's scale."""
    it = np.asarray(record["history"]["iteration_loss"], dtype=float) / report_scale(record)
    n = iterations_per_epoch(record)
    out = []
    for e in range(len(record["history"]["epoch_loss"])):
        chunk = it[e * n:(e + 1) * n]
        out.append((float(chunk[-1]), float(chunk[-tail:].mean())))
    return out


def _count(correct, fraction, n=None):
    if correct is None:
        return "–"
    return f"{correct} ({100 * fraction:.3f}%)" if n is None or n == REPORT_TEST_N else \
        f"{correct}/{n} ({100 * fraction:.2f}%)"


def _report_count(r, key):
    """The report's count of right test strings with its percentage as printed ('19616 (98.080000%)'), or –."""
    count = r["correct_last_bit" if key == "last_bit" else "correct_sequences"]
    return count_text(count, REPORT_TEST_N, r["printed"].get(f"{key}_pct"))


def _first_solved(record):
    """The first epoch (1-based) after which every test string was right (whole string), as text; – if none."""
    return str(first_epoch_at(record, "test_sequence_accuracy") or "–")


def _schedule_text(run):
    """The run's learning rate(s) as the registry gives them, with the epoch (1-based) each starts from."""
    if "lr_schedule" not in run.params:
        return run.schedule_text
    pieces = [piece.split(":") for piece in run.params["lr_schedule"].split(",")]
    return ", ".join(lr if epoch == "0" else f"{lr} from epoch {int(epoch) + 1}" for epoch, lr in pieces)


def report_runs(group):
    """The report's runs of one group (report-fixed, report-variable), in registry order."""
    return [r for r in report000.REPORT_RUNS if r.group == group]


def markdown_table(head, rows):
    """A Markdown table: a header of ``head`` and the already formatted ``rows`` ('| a | b |')."""
    return f"| {' | '.join(head)} |\n|" + "---|" * len(head) + "\n" + "\n".join(rows)


def status_table(records, group, runs_dir):
    """The report's runs: learning rate, epochs, how the report's run ended and ours, our first epoch at 100%."""
    head = ("run", "lr (from epoch, 1-based)", "epochs", "status: report", "ours", "first epoch at 100% (ours)")
    rows = []
    for run in report_runs(group):
        r, rec = run.report, records.get(run.id)
        epochs = f"{run.epochs}" + (f" (planned {r['planned_epochs']})" if r["planned_epochs"] else "")
        rep_status = r["status"] + (f" ({r['stopped']})" if r["stopped"] else "")
        ours = (status_text(rec), _first_solved(rec)) if rec else ("not run yet", "–")
        rows.append(f"| {link(run.id, records, runs_dir)} | {_schedule_text(run)} | {epochs} | {rep_status} "
                    f"| {ours[0]} | {ours[1]} |")
    return markdown_table(head, rows)


def loss_table(records, group, runs_dir):
    """The report's loss figures as printed beside ours (ours divided by 5: per batch of 32 strings)."""
    head = ("run", "last epoch loss: report", "ours: last batch ÷5", "ours: mean of last 50 ÷5",
            "min batch loss: report", "ours ÷5")
    rows = []
    for run in report_runs(group):
        printed, rec = run.report["printed"], records.get(run.id)
        last = mean = ours_min = "not run yet"
        if rec:
            losses = epoch_losses(rec)
            last, mean = (number_text(losses[-1][0]), number_text(losses[-1][1])) if losses else ("–", "–")
            if rec["status"] == "diverged":
                last = mean = status_text(rec)
            m = rec.get("min_iteration_loss")
            ours_min = number_text(None if m is None else m / report_scale(rec))
        rows.append(f"| {link(run.id, records, runs_dir)} | {printed.get('last_epoch_loss', '–')} | {last} | {mean} "
                    f"| {printed.get('min_batch_loss', '–')} | {ours_min} |")
    return markdown_table(head, rows)


def accuracy_table(records, group, runs_dir):
    """The report's test counts (its percentages as printed) beside ours, of 20,000; our first epoch at 100%."""
    head = ("run", "last bit right: report", "ours", "whole string right: report", "ours",
            "first epoch at 100% (ours)")
    rows = []
    for run in report_runs(group):
        r, rec = run.report, records.get(run.id)
        ours_bit = ours_seq = first = "–" if rec else "not run yet"
        t = rec.get("test") if rec else None
        if t:
            ours_bit = _count(t["correct_last_bit"], t["last_bit_accuracy"], t["n"])
            ours_seq = _count(t["correct_sequences"], t["sequence_accuracy"], t["n"])
        if rec:
            first = _first_solved(rec)
        rows.append(f"| {link(run.id, records, runs_dir)} | {_report_count(r, 'last_bit')} | {ours_bit} "
                    f"| {_report_count(r, 'sequence')} | {ours_seq} | {first} |")
    return markdown_table(head, rows)


def quoted_epochs_table(records, runs_dir):
    """Every epoch loss the report quotes, beside ours for the same epoch (1-based: the report's log says e − 1)."""
    head = ("run", "epoch (1-based; the report's log says e − 1)", "report", "ours: last batch ÷5",
            "ours: mean of last 50 ÷5")
    rows = []
    for run in report000.REPORT_RUNS:
        rec = records.get(run.id)
        losses = epoch_losses(rec) if rec else []
        for e, v in sorted(run.report["epoch_losses"].items()):
            last, mean = (number_text(losses[e][0]), number_text(losses[e][1])) if e < len(losses) else \
                (("not run yet",) * 2 if not rec else ("–", "–"))
            rows.append(f"| {link(run.id, records, runs_dir)} | {e + 1} | {v} | {last} | {mean} |")
    return markdown_table(head, rows)


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
    head = ("run", *(name for name, _, _ in THRESHOLDS), "training loss < 0.01 per label")
    rows = []
    for report_id, ours in pairs:
        rep, epochs = reports.get(report_id).report, reports.get(report_id).epochs
        minutes = report000.REPORT_MINUTES_PER_EPOCH
        cells = []
        for _, key, level in THRESHOLDS:
            final = rep[f"{key}_accuracy"]
            cells.append(f"by epoch {epochs} (~{epochs * minutes / 60:.1f} h)" if final
                         and final >= level - 1e-12 else f"not reached ({rep['printed'][f'{key}_pct']}% at the end)")
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
            n = iterations_per_epoch(rec)
            cells.append(f"iteration {it} ({it / n:.2f} epoch)" if it else
                         ("–" if _labels_per_iteration(rec["config"]) is None else "not reached"))
            rows.append(f"| {label} | " + " | ".join(cells) + " |")
    return markdown_table(head, rows)


def runs_table(records, ids, runs_dir):
    """Our runs: data, labels, epochs and what we expected (their results: outcome_table)."""
    rows = []
    for run_id in ids:
        run, c = reports.get(run_id), reports.get(run_id).config()
        data = f"length {c['max_length']}" if c["min_length"] == c["max_length"] else \
            f"lengths {c['min_length']}-{c['max_length']}"
        if c["curriculum_epochs"]:
            data += f", curriculum over {c['curriculum_epochs']:g} epoch"
        rows.append(f"| {link(run_id, records, runs_dir)} | {data} | {c['labels']} | {c['epochs']} | {run.expect} |")
    return markdown_table(("run", "data", "labels", "epochs (planned)", "expected"), rows)


def outcome_table(records, ids, runs_dir):
    """Our runs' results: test strings right, the first epoch (1-based) at 100%, wall time, status."""
    head = ("run", "last bit right", "whole string right", "first epoch at 100%", "wall time", "status")
    rows = []
    for run_id in ids:
        rec = records.get(run_id)
        if rec and rec.get("test"):
            t = rec["test"]
            cells = [_count(t["correct_last_bit"], t["last_bit_accuracy"], t["n"]),
                     _count(t["correct_sequences"], t["sequence_accuracy"], t["n"]), _first_solved(rec),
                     seconds_text(rec["wall_seconds"]), f"{status_text(rec)}, {rec['epochs_completed']} epochs"]
        else:
            cells = ["–"] * 4 + [status_text(rec) if rec else "not run yet"]
        rows.append(f"| {link(run_id, records, runs_dir)} | " + " | ".join(cells) + " |")
    return markdown_table(head, rows)


def long_strings_table(records, ids, runs_dir):
    """Test accuracy on strings longer than any trained on (eval_lengths)."""
    lengths = sorted({int(k) for i in ids if i in records for k in (records[i].get("extra_tests") or {})})
    if not lengths:
        return "No record with a longer-strings evaluation yet."
    head = ("run", *(f"length {n}: last bit / whole string" for n in lengths))
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
    return markdown_table(head, rows)
