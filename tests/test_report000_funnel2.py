"""Report 000's funnel, stage 2: its rows cover every registered run once, its tables read the records (or say
what is not run yet), the jump and the wrong-position profile are computed as stated."""

from lstm_xor.reports.r000 import funnel2_tables as t
from lstm_xor.reports.r000 import funnel_runs as funnel
from lstm_xor.reports.r000 import runs as report000


def test_the_rows_hold_every_stage2_run_once():
    ids = [i for _, _, ids in t.rows() for i in ids]
    assert len(ids) == len(set(ids))
    registered = {run.id for run in report000.PART.runs if run.group in funnel.STAGE2_GROUPS}
    assert set(ids) == registered
    assert [(s, a.split("-")[2], b.split("-")[2]) for s, a, b in t.knife_pairs()] == [(s, "03", "05") for s in range(3)]


def test_before_any_run_every_row_says_so():
    table = t.stage2_table({}, "../runs")
    assert table.count("not run yet") == len(t.rows())
    assert t.findings_text({}) == "No stage-2 run has been executed yet."
    assert t.why_text({}) == "Stage 1 has no records yet."


def _record(epoch_loss, lr, wrong_at=None, wrong_count=None, n=100, last_right=100):
    history = {"epoch_loss": epoch_loss, "lr": lr, "test_sequence_accuracy": [1.0] * len(lr),
               "iteration_loss": [1.0] * (10 * len(lr))}
    record = {"history": history, "status": "completed", "config": {"lr": lr[0]},
              "test": {"n": n, "correct_last_bit": last_right, "correct_sequences": n - sum(wrong_count or [])}}
    if wrong_at is not None:
        record["position_errors"] = {"wrong_at": wrong_at, "wrong_count": wrong_count, "n": n}
    return record


def test_the_jump_reads_the_first_epoch_at_the_new_rate():
    restart = funnel.stage2_id(funnel.RESTART[0], "restart", 0)
    records = {restart: _record([10.0, 8.0, 40.0], [0.1, 0.1, 0.01])}
    assert "with Adam's state lost at the change × 5.00-5.00 (n = 1)" in t.jump_text(records)
    assert "the report's runs 11-17 × 2.8-3.9" in t.jump_text(records)


def test_the_profile_counts_positions_and_thirds():
    rid = funnel.stage2_id("fixed-04", "swapped", 0)
    # 3 wrong strings: two with 1 wrong position, one with 4; wrong positions 2+1+1+2 over 6 positions
    records = {rid: _record([1.0], [0.1], wrong_at=[2, 0, 1, 1, 0, 2], wrong_count=[2, 0, 0, 1, 0, 0],
                            last_right=98)}
    row = next(line for line in t.profile_table(records, [rid]).splitlines() if line.startswith(f"| {rid}"))
    assert row == f"| {rid} | 3 of 100 | 2.0 | 66.7% | 33% / 33% / 33% |"
