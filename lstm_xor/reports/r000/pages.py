"""Report 000's run pages: the report's figures for a run beside ours, in the Result section.

Everything here reads a run's registry entry (its ``report`` figures, as runs.py transcribes them)
and its record; it imports no other report-000 module, so report000 can hand these to its
``Part`` without an import circle.

Epochs are counted from 1 everywhere in the book; the report's logs count from 0, so the
report's "epoch e" is our epoch e + 1.
"""

from lstm_xor import render

REPORT_TEST_N = 20_000  # the report's test strings (20% of 100,000)
REPORT_BATCH = 32  # the report's losses are per batch of 32 strings (one rank's), summed over every position


def report_scale(record):
    """Divide our loss by this to put it on the report's scale (the loss of one rank's batch of 32)."""
    c = record["config"]
    return c["batch_size"] / REPORT_BATCH if c["loss_reduction"] == "sum" else 1.0


def outcome(record):
    """Ours in a few words: the first epoch with every test string right, else where it ended."""
    first = render.first_epoch_at(record, "test_sequence_accuracy")
    if first:
        return f"100% from epoch {first}"
    if record["status"] == "diverged":
        return f"diverged in epoch {record['diverged_epoch'] + 1}"
    why = {"stopped": "loss rising, stopped", "completed": "not solved"}.get(record["status"], record["status"])
    n = record["epochs_completed"]
    return f"{why} after {render.count(n, 'epoch')}, {100 * record['test']['sequence_accuracy']:.1f}%"


def _epoch_ends(record, scale):
    """Each epoch's last iteration loss on the report's scale (the report's reading of "the loss of epoch e"),
    and the smallest iteration loss; every epoch has as many iterations, and a diverged run has no last one."""
    it, epochs = record["history"]["iteration_loss"], len(record["history"]["epoch_loss"])
    low = record.get("min_iteration_loss")
    low = None if low is None else low / scale
    if not epochs or record["status"] == "diverged":
        return [], low
    n = render.iterations_per_epoch(record)
    return [it[(k + 1) * n - 1] / scale for k in range(epochs)], low


def _as_printed(v):
    """A figure of the report as it printed it (1780, 1087.689); – when it gives none."""
    return "–" if v is None else str(v)


def count_text(correct, n, printed=None):
    """'19616 (98.08%)': a count of right test strings with its percentage (as the report printed it, if given);
    – for None."""
    if correct is None:
        return "–"
    return f"{correct} ({printed if printed is not None else f'{100 * correct / n:g}'}%)"


def compare(run, record):
    """Markdown lines: the report's figures for this run beside ours, on the report's scale; none for our own runs."""
    r = run.report
    if not r:
        return []
    printed = r.get("printed", {})
    scale = report_scale(record)
    ends, low = _epoch_ends(record, scale)
    test, n = record["test"] or {}, (record["test"] or {}).get("n", REPORT_TEST_N)
    loss = render.number_text
    rows = [("epochs run", f"{run.epochs}" + (f" (planned {r['planned_epochs']})" if r["planned_epochs"] else ""),
             f"{record['epochs_completed']}"),
            ("outcome", r["status"] + (f": {r['stopped']}" if r["stopped"] else ""), outcome(record)),
            ("loss, end of the last epoch", printed.get("last_epoch_loss", _as_printed(r["last_epoch_loss"])),
             loss(ends[-1] if ends else None)),
            ("smallest iteration loss", printed.get("min_batch_loss", _as_printed(r["min_batch_loss"])), loss(low))]
    for e, v in sorted(r["epoch_losses"].items()):
        if e + 1 != run.epochs:  # the last epoch's is the row above
            rows.append((f"loss, end of epoch {e + 1} (the report's Epoch:{e})", _as_printed(v),
                         loss(ends[e] if e < len(ends) else None)))
    rows += [(f"last bit right, of {n:,}", count_text(r["correct_last_bit"], n),
              count_text(test.get("correct_last_bit"), n)),
             (f"whole string right, of {n:,}", count_text(r["correct_sequences"], n),
              count_text(test.get("correct_sequences"), n)),
             ("first epoch with every test string right", "–" if r["correct_sequences"] is None else "never",
              f"{render.first_epoch_at(record, 'test_sequence_accuracy') or 'never'}")]
    return ["| | report | ours |", "|---|---|---|", *(f"| {a} | {b} | {c} |" for a, b, c in rows), "",
            f"Losses are on the report's scale: the cross entropy summed over every position of one batch of "
            f"{REPORT_BATCH} strings (ours, summed over {record['config']['batch_size']} strings a step, divided "
            f"by {scale:g}). Epochs count from 1; the report's log counts from 0. –: the report gives no figure."]
