"""Report 000's line for the book's abstract, generated from the records: the replays, the funnel's slips that
matched the report's signatures, and the critical length of parity with a label only at the end."""

from lstm_xor.reports.r000 import funnel2_tables, signatures
from lstm_xor.reports.r000 import runs as report000
from lstm_xor.reports.r000.length_runs import SERIES
from lstm_xor.reports.r000.length_tables import CAP, K, critical_length, critical_text, outcomes, series_label


def headline(records):
    replays = [records[run.id] for run in report000.REPORT_RUNS if run.id in records]
    if not replays:
        return "Report 000 (parity): no replay has a record yet."
    right = sum(r["test"]["sequence_accuracy"] == 1.0 for r in replays)
    swapped = [records[i] for what, _, ids in funnel2_tables.rows() if what == "swapped" for i in ids
               if i in records]
    above = sum(bool(signatures.score(r)["above_chance"].matched) for r in swapped)
    fixed = [s for s in SERIES if s[0] == "fixed"]
    lengths = " and ".join(f"{critical_text(critical_length(outcomes(records, *s, CAP), K)).strip('*')} at "
                           f"{series_label(*s).split(', ')[1]}" for s in fixed)
    funnel = (f"of the slips a hand-written LSTM makes, only Adam's two betas swapped ends above chance as the "
              f"report's runs did, in {above} of {len(swapped)} runs at its failing configurations" if swapped else
              "the funnel's second stage is under way")
    return (f"Report 000 (parity): replayed with its settings, {right} of its {len(replays)} runs get every test "
            f"string right; {funnel}; with a label only at the end, fixed-length parity stops being learnable "
            f"within {CAP:,} strings at length {lengths}.")
