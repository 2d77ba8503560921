"""Report 000's printed figures as evidence (lstm_xor.reports.r000.evidence): each derived figure against the
numbers the report prints, every figure the registry adds found in the report's text, and the page's prose."""

import math
import re
from pathlib import Path

import matplotlib
import nbformat
import pytest

from lstm_xor.reports.r000 import evidence
from lstm_xor.reports.r000 import plots as p000
from lstm_xor.reports.r000 import runs as report000

matplotlib.use("Agg")

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO.parent / "shared" / "seeds"  # the reports' texts, beside the repository (here and in CI)
PAGE = REPO / "book" / "summary" / "evidence.ipynb"


def _words(text):
    return " ".join(text.split())


def test_every_figure_the_registry_adds_is_quoted_from_the_reports_text():
    texts = sorted(SEEDS.glob("000_*.txt"))
    assert texts, f"report 000's text (000_*.txt) is not in {SEEDS}: clone the shared folder beside the repository"
    text = _words(texts[0].read_text())
    for name, (value, where) in report000.TEXT_FIGURES.items():
        quoted = re.findall(r"'([^']+)'", where)
        assert quoted, f"{name}: no words of the report quoted"
        for piece in (p.strip(" .,") for q in quoted for p in q.split("...")):
            assert _words(piece) in text, (name, piece)
        assert any(re.search(rf"(?<![\d.]){re.escape(f'{value:g}')}(?![\d])", q) for q in quoted), (name, value)


def test_chance_is_derived_from_the_batch_and_the_length_and_sits_between_the_reports_figures():
    f = evidence.chance()
    assert f["chance"] == pytest.approx(32 * 50 * math.log(2)) and round(f["chance"]) == 1109
    assert evidence.chance_loss(length=25) == pytest.approx(f["chance"] / 2), "shorter strings score less"
    assert (f["first_epoch"], f["run4_min"], f["run5_min"]) == (1176, 1087.689, 110.529)
    assert f["run4_min"] < f["chance"] < f["first_epoch"] and 0.98 < f["run4_min_ratio"] < 0.99
    assert f["epoch_sum"] > 500 * 1109, "a sum over an epoch's 500 iterations at chance"
    text = evidence.chance_text()
    assert "= **1109**" in text and "1.9% below" in text


def test_the_endings_above_chance_are_the_reports_unstable_runs():
    rows = {r["run"]: r for r in evidence.endings()}
    printed = {"fixed-uniform": 8843, "fixed-04": 1780, "fixed-05": 1960, "variable-01": 1909, "variable-02": 2359,
               "variable-03": 2280, "variable-08": 2119, "variable-09": 2000, "variable-10": 1138}
    assert {k: r["loss"] for k, r in rows.items()} == printed
    assert all(r["ratio"] > 1 for r in rows.values()) and rows["fixed-05"]["min_batch_loss"] == 110.529
    worse = [r["run"] for r in evidence.continuations() if r["worse"]]
    assert worse == ["variable-05", "variable-08", "variable-20"]  # 44 -> 464, 464 -> 2119, 4 -> 50
    assert "a plateau at chance as what runs 4 and 5 ended in" in evidence.endings_text()


def test_with_records_the_endings_give_our_replays_highest_loss_after_the_first_steps():
    record = dict(config=dict(batch_size=160, loss_reduction="sum"),
                  history=dict(iteration_loss=[9000.0] * evidence.EARLY_STEPS + [5500.0, 5000.0]))
    row = next(r for r in evidence.endings({"fixed-04": record}) if r["run"] == "fixed-04")
    assert row["ours"] == 1100.0, "the first steps left out, divided by 5"
    assert "never go above 1100 after their first 50 steps" in evidence.endings_text({"fixed-04": record})


def test_run_6s_last_epoch_loss_below_its_smallest_batch_loss_rules_out_sums():
    (row,) = evidence.epoch_sums()
    assert (row["run"], row["last"], row["min"], row["iterations"]) == ("fixed-06", 1, 1.075, 500)
    assert row["sum_floor"] == pytest.approx(537.5)
    assert "Rules out:** that the quoted epoch losses are sums" in evidence.epoch_sums_text()


def test_batches_per_rank_504_from_the_counts_and_the_plot_against_the_texts_501():
    f = evidence.iterations()
    assert (f["fixed_text"], f["fixed_counts"], f["fixed_plot"]) == (500, 500, 500)
    assert (f["variable_text"], f["variable_counts"], f["variable_plot"]) == (501, 504, 504)
    assert len(f["ours_batches"]) == 10 and 2521 in f["ours_batches"], "our seed 1 makes the report's count"
    assert all(2500 < n < 2550 for n in f["ours_batches"])


def test_the_jump_at_the_rate_change_does_not_follow_the_rate():
    rows = evidence.schedule_jump()
    assert [r["run"] for r in rows] == [f"variable-{n}" for n in range(11, 28)]
    assert {r["before"] for r in rows} == {44} and (min(r["after"] for r in rows), max(r["after"] for r in rows)) \
        == (123, 170)
    slowest = min(rows, key=lambda r: r["rate"])
    assert (slowest["run"], slowest["rate"], slowest["after"]) == ("variable-17", 1e-6, 127)
    assert slowest["move"] == pytest.approx(504 * 1e-6 * 0.1 / math.sqrt(0.001))
    assert evidence.adam_step_bound(1.0, 0.9, 0.99) == 1.0, "where (1 - b1) / sqrt(1 - b2) < 1 the bound is lr"
    text = evidence.schedule_jump_text()
    assert "from 44 to 123-170 in all 17 runs, over 8 rates" in text and "The 10 runs at 4e-05 all print 132" in text
    fig = p000.plot_schedule_jump(rows, evidence.chance_loss())
    assert len(fig.axes[0].texts) == 8, "one label per rate"


def test_whole_strings_wrong_far_above_last_bits_wrong():
    rows = {r["run"]: r for r in evidence.errors()}
    assert (rows["fixed-06"]["strings"], rows["fixed-06"]["last_bits"], rows["fixed-06"]["back"]) == (1068, 22, 1046)
    assert rows["variable-27"]["strings"] == 20_000 - 18838 and rows["fixed-04"]["back"] == 9922
    assert "at least 1046 strings (97.9% of the wrong ones)" in evidence.errors_text()
    assert "| fixed-06 | 1068 | 22 | 1046 | 97.9% |" in evidence.errors_table()


def test_the_printed_percentages_are_their_counts_and_run_27_against_26():
    assert evidence.percentages() == []
    f = evidence.run26_27()
    assert (f["loss_difference"], f["said_difference"], f["said_accuracy"]) == (2, 1, 2.6)
    assert f["accuracy_difference"] == pytest.approx(94.19 - 91.585)


def test_the_page_is_in_the_part_and_its_prose_numbers_are_the_registrys():
    assert "summary/evidence.ipynb" in report000.PART.summaries
    prose = " ".join(c.source for c in nbformat.read(PAGE, as_version=4).cells if c.cell_type == "markdown")
    assert "Runs 11-27 share their first 20 epochs at lr 0.00035" in prose
    rows = evidence.schedule_jump()
    assert all(r.params["lr_schedule"].startswith(f"0:0.00035,{evidence.SCHEDULE_EPOCH}:")
               for r in report000.REPORT_RUNS if r.id in {row["run"] for row in rows})
    assert "one batch of 32 strings" in prose and evidence.REPORT_BATCH == 32


def _prose(path):
    return " ".join(" ".join(c.source.split()) for c in nbformat.read(path, as_version=4).cells
                    if c.cell_type == "markdown")


def test_the_chapter_no_longer_calls_runs_4_and_5_a_plateau_and_marks_its_readings():
    book = REPO / "book"
    causes, report = _prose(book / "summary" / "causes.ipynb"), _prose(book / "summary" / "report.ipynb")
    intro, parity = _prose(book / "intro.ipynb"), " ".join((book / "parity.md").read_text().split())
    for text in (causes, report, intro, parity):
        assert "sat at chance" not in text and "eight failing" not in text
    assert "a plateau like the one the report's fixed-length runs 4 and 5" not in causes
    runs = {run.id: run.report for run in report000.REPORT_RUNS}
    ends = f"ended *above* chance ({runs['fixed-04']['last_epoch_loss']} and {runs['fixed-05']['last_epoch_loss']} " \
           f"against {evidence.chance_loss():.0f})"
    assert ends in causes and f"ended at {runs['fixed-04']['last_epoch_loss']}, above chance" in causes
    assert "never got more than 2% below chance" in causes and evidence.chance()["run4_min_ratio"] > 0.98
    assert "no reshuffle is **a reading**" in parity and "none is **a reading**" in parity
    assert "no reshuffle: a reading" in report and "no clipping, our reading" in causes
    lr = {run.id: run.params.get("lr") for run in report000.REPORT_RUNS}
    assert (lr["fixed-04"], lr["variable-03"]) == (0.0008, 0.0004), "the two configurations the intro names"
    assert "(fixed length at lr 0.0008, variable length at lr 0.0004)" in intro
