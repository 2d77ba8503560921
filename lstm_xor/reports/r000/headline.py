"""Report 000's line for the book's abstract, generated from the records: the replays, the funnel's slips that
matched the report's signatures, and the critical length of parity with a label only at the end."""

from lstm_xor.reports.r000 import funnel2_tables, signatures
from lstm_xor.reports.r000 import runs as report000
from lstm_xor.reports.r000.length_runs import SERIES
from lstm_xor.reports.r000.length_tables import CAP, K, critical_length, outcomes, series_label


def headline(records):
    replays = [records[run.id] for run in report000.REPORT_RUNS if run.id in records]
    if not replays:
        return "Report 000 (parity): no replay has a record yet."
    right = sum(r["test"]["sequence_accuracy"] == 1.0 for r in replays)
    failing = [rid for what, rid, _ in funnel2_tables.rows() if what == "swapped"
               and (funnel2_tables.REPORT[rid].report["last_epoch_loss"] or 0) > signatures.chance_loss()]
    swapped = funnel2_tables.records_of(records, "swapped", failing)
    above = sum(bool(signatures.score(r)["above_chance"].matched) for r in swapped)
    learned = funnel2_tables.records_of(records, "swapped", [funnel2_tables.KNIFE[0]])
    also = sum(bool(signatures.score(r)["above_chance"].matched) for r in learned)
    funnel = (f"with Adam's two betas swapped, {above} of {len(swapped)} runs at the report's runs that ended above "
              f"chance ({', '.join(failing)}) end above chance too, but so do {also} of {len(learned)} at its run 3, "
              "which learned: the slip fails where the report did not" if swapped else
              "the funnel's second stage is under way")
    verdicts = []
    for s in (s for s in SERIES if s[0] == "fixed"):
        v = critical_length(outcomes(records, *s, CAP), K)
        rate = series_label(*s).split(", ")[1]
        verdicts.append(f"at length {v['length']} ({rate})" if "length" in v else
                        f"above length {v['above']} ({rate}: every length tried is learned)" if "above" in v else
                        f"at a length not known yet ({rate})")
    return (f"Report 000 (parity): replayed with its settings, {right} of its {len(replays)} runs get every test "
            f"string right; {funnel}; with a label only at the end, fixed-length parity stops being learnable "
            f"within {CAP:,} strings {' and '.join(verdicts)}.")
