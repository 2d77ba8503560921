"""Report 000's summary tables and plots: the report's figures as printed, epochs from 1, errors and underflow drawn."""

import json
import re
from pathlib import Path

import matplotlib
import numpy as np
import pytest

from lstm_xor import render, reports
from lstm_xor.reports.r000 import plots as p000
from lstm_xor.reports.r000 import runs as report000
from lstm_xor.reports.r000 import tables as r000

matplotlib.use("Agg")

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO.parent / "shared" / "seeds"  # the reports' texts, beside the repository (here and in CI)


def record(run_id, sequence, last_bit=None, losses=None, n_samples=None):
    """A synthetic record of a registry run: per-epoch test accuracies (whole string, last bit), iteration losses."""
    config = reports.get(run_id).config()
    if n_samples:
        config["n_samples"] = n_samples
    last_bit = sequence if last_bit is None else last_bit
    losses = [1.0] * len(sequence) if losses is None else losses
    n = 20_000
    return dict(config=config, status="completed", epochs_completed=len(sequence), wall_seconds=1.0,
                history=dict(test_sequence_accuracy=list(sequence), test_last_bit_accuracy=list(last_bit),
                             epoch_seconds=[1.0] * len(sequence), iteration_loss=list(losses), epoch_loss=list(losses)),
                test=dict(n=n, correct_sequences=round(sequence[-1] * n), sequence_accuracy=sequence[-1],
                          correct_last_bit=round(last_bit[-1] * n), last_bit_accuracy=last_bit[-1]))


def row(table, run_id):
    return next(line for line in table.splitlines() if line.startswith(f"| {run_id} ") or f"[{run_id}]" in line)


def test_the_reports_figures_appear_as_it_printed_them():
    fixed = r000.accuracy_table({}, "report-fixed", "runs")
    assert "| 10195 (50.975000%) | not run yet | 0 (0.000000%) |" in row(fixed, "fixed-05")  # :g would print 0
    assert "7910 (39.550000%)" in row(fixed, "fixed-03")
    assert "| 1087.689 |" in row(r000.loss_table({}, "report-fixed", "runs"), "fixed-04")
    variable = r000.loss_table({}, "report-variable", "runs")
    assert "| 3.930 |" in row(variable, "variable-17")  # not 3.93
    assert "17863 (89.31500%)" in row(r000.accuracy_table({}, "report-variable", "runs"), "variable-24")
    assert "not reached (94.660000% at the end)" in r000.reach_table({}, [("fixed-06", [])], "runs")


def _report_blocks(text, start, end):
    """{run number: its text} of one section of the report (the first block of each "Run N")."""
    begin = text.index(start)
    parts = re.split(r"\bRun ?(\d+)\b", text[begin:text.index(end, begin)])
    blocks = {}
    for number, block in zip(parts[1::2], parts[2::2], strict=True):
        blocks.setdefault(int(number), block)
    return blocks


def test_every_printed_figure_is_in_its_runs_part_of_the_reports_text():
    texts = sorted(SEEDS.glob("000_*.txt"))
    # The only check of the 80-odd figures transcribed from the report: missing text is a failure, not a skip.
    assert texts, f"report 000's text (000_*.txt) is not in {SEEDS}: clone the shared folder beside the repository"
    text = texts[0].read_text()
    sections = {"fixed": _report_blocks(text, "for Fix length", "for Variable length"),
                "variable": _report_blocks(text, "for Variable length", "Improvements and Conclusion")}
    checked = 0
    for run in report000.REPORT_RUNS:
        kind, _, number = run.id.partition("-")
        if not number.isdigit():
            continue  # the uniform run: its two losses are quoted in a sentence
        block = sections[kind][int(number)]
        for key, printed in run.report["printed"].items():
            assert re.search(rf"(?<![\d.]){re.escape(printed)}(?![\d.])", block), (run.id, key, printed)
            checked += 1
    assert checked >= 80


def test_epochs_are_counted_from_one_and_the_quoted_ones_say_so():
    table = r000.quoted_epochs_table({}, "runs")
    assert "epoch (1-based; the report's log says e − 1)" in table.splitlines()[0]
    uniform = [line for line in table.splitlines() if line.startswith("| fixed-uniform ")]
    assert uniform == ["| fixed-uniform | 1 | 1176 | not run yet | not run yet |",  # the report's "Epoch:0"
                       "| fixed-uniform | 21 | 8843 | not run yet | not run yet |"]
    assert "0.00004 from epoch 21, 0.00001 from epoch 47" in row(r000.status_table({}, "report-variable", "runs"),
                                                                 "variable-27")


def test_first_epoch_at_100_percent():
    records = {"fixed-03": record("fixed-03", [0.2, 0.99995, 1.0, 1.0], last_bit=[0.5, 1.0, 1.0, 1.0]),
               "fixed-04": record("fixed-04", [0.2, 0.5, 0.99995])}
    table = r000.accuracy_table(records, "report-fixed", "runs")
    assert row(table, "fixed-03").endswith("| 20000 (100.000%) | 3 |")  # whole string, not the last bit's 2
    assert row(table, "fixed-04").endswith("| 19999 (99.995%) | – |")
    assert row(table, "fixed-05").endswith("| not run yet |")
    assert row(r000.status_table(records, "report-fixed", "runs"), "fixed-03").endswith("| completed | 3 |")
    ours = {"final-fixed": record("final-fixed", [0.0, 1.0])}
    assert "| 20000 (100.000%) | 2 | 1 s | completed, 2 epochs |" in r000.outcome_table(ours, ["final-fixed"], "runs")


def test_no_table_is_wider_than_six_columns():
    pairs = [("fixed-06", ["default-fixed-s0"])]
    tables = [f({}, group, "runs") for group in ("report-fixed", "report-variable")
              for f in (r000.status_table, r000.loss_table, r000.accuracy_table)]
    tables += [r000.quoted_epochs_table({}, "runs"), r000.reach_table({}, pairs, "runs"),
               r000.runs_table({}, ["final-fixed"], "runs"), r000.outcome_table({}, ["final-fixed"], "runs")]
    for table in tables:
        lines = table.splitlines()
        assert set(lines[1]) == {"|", "-"} and lines[1].count("---") <= 6, lines[0]
        assert all(line.count(" | ") == lines[0].count(" | ") for line in lines[2:]), lines[0]


def _lines(ax, label=None):
    return [line for line in ax.get_lines() if label is None or line.get_label() == label]


def _legend_texts(ax):
    return [t.get_text() for t in ax.get_legend().get_texts()]


def test_plot_errors_puts_zero_errors_on_the_floor_and_marks_the_reports_final_errors():
    import matplotlib.pyplot as plt
    records = {"fixed-03": record("fixed-03", [0.0, 0.5, 1.0], last_bit=[0.5, 1.0, 1.0])}
    fig = p000.plot_errors(records, [("fixed", ["fixed-03", "fixed-04"])])
    bit, seq = fig.axes[:2]
    np.testing.assert_allclose(_lines(bit, "fixed-03")[0].get_ydata(), [10_000, render.ERROR_FLOOR, render.ERROR_FLOOR])
    np.testing.assert_allclose(_lines(seq, "fixed-03")[0].get_ydata(), [20_000, 10_000, render.ERROR_FLOOR])
    assert bit.get_ylim()[0] < render.ERROR_FLOOR < 1 and "0" == bit.get_yticklabels()[0].get_text()
    stars = [(tuple(line.get_xdata()), tuple(line.get_ydata())) for ax in (bit, seq) for line in _lines(ax)
             if line.get_marker() == "*"]
    assert stars == [((12,), (384,)), ((12,), (12_090,))]  # 20,000 - 19616 and - 7910, at its 12th epoch
    assert "report's final errors" in _legend_texts(seq) and _legend_texts(seq)[0] == "fixed-03"
    assert seq.get_legend().get_texts()[0].get_fontsize() >= 9
    plt.close(fig)


def test_plot_overlay_marks_the_reports_losses_and_underflowed_ones():
    import matplotlib.pyplot as plt
    losses = [5.0 * 36, 5.0, 0.0, 5e-46, 5.0]  # on the report's scale (÷5): 36, 1, 0, 1e-46 (denormal), 1
    records = {"fixed-03": record("fixed-03", [1.0] * 5, losses=losses, n_samples=200)}  # one step per epoch
    assert render.iterations_per_epoch(records["fixed-03"]) == 1
    fig = p000.plot_overlay(records, [("fixed", ["fixed-03"])], per="epoch")
    ax = fig.axes[0]
    curve = _lines(ax, "fixed-03")[0]
    np.testing.assert_allclose(curve.get_xdata(), [1, 2, 3, 4, 5])
    assert np.isnan(curve.get_ydata()[2:4]).all() and curve.get_marker() not in ("None", "", None)  # few points
    low = [line for line in _lines(ax) if line.get_marker() == "v"]
    assert len(low) == 1 and list(low[0].get_xdata()) == [3, 4] and list(low[0].get_ydata()) == [0, 0]
    assert low[0].get_transform() == ax.get_xaxis_transform()  # y in axes units: the bottom edge
    stars = [line for line in _lines(ax) if line.get_marker() == "*"]
    assert [(list(s.get_xdata()), list(s.get_ydata())) for s in stars] == [([12], [36])]  # its log's Epoch:11
    assert {"report's quoted loss", "0 (underflow)"} <= set(_legend_texts(ax))
    assert "1-based" in ax.get_xlabel() and "e − 1" in ax.get_xlabel()
    legend = ax.get_legend()
    fig.canvas.draw()
    assert legend.get_window_extent().x0 >= ax.get_window_extent().x1  # outside the axes, on the right
    plt.close(fig)


def test_run_styles_stay_apart_past_ten_runs():
    styles = [p000.run_style(i) for i in range(20)]
    assert len({(tuple(s["color"]), s["linestyle"]) for s in styles}) == 20


@pytest.mark.parametrize("run_id, steps", [("cause-variable-step-s0", 506), ("cause-variable-order-s0", 505)])
def test_steps_per_epoch_come_from_the_record_with_the_reports_step_and_order(run_id, steps):
    """shards=5 (and batching='report') make a step of 5 one-length batches of 32: not the 525 steps that
    grouped batches of 160 would take; the plots put each epoch's last step at its epoch."""
    rec = json.loads((REPO / "book" / "runs" / f"{run_id}.json").read_text())
    assert rec["config"]["shards"] == 5
    assert render.iterations_per_epoch(rec) == steps
    assert len(rec["history"]["iteration_loss"]) == steps * rec["epochs_completed"]
    fig = p000.plot_overlay({run_id: rec}, [("steps", [run_id])], per="iteration", smooth=1)
    curve = _lines(fig.axes[0], run_id)[0]
    assert curve.get_xdata()[-1] == pytest.approx(rec["epochs_completed"])
    losses = r000.epoch_losses(rec)
    assert losses[0][0] == pytest.approx(rec["history"]["iteration_loss"][steps - 1] / 5)  # epoch 1's last step


def test_a_diverged_runs_cut_epoch_does_not_count():
    rec = {"status": "diverged", "diverged_epoch": 2, "diverged_iteration": 3,
           "history": {"iteration_loss": [1.0] * (2 * 10 + 4), "epoch_loss": [10.0, 10.0]}}
    assert render.iterations_per_epoch(rec) == 10
    rec.update(diverged_epoch=0, history={"iteration_loss": [1.0] * 4, "epoch_loss": []})
    assert render.iterations_per_epoch(rec) is None
