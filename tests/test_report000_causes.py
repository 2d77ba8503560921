"""The experiments on report 000's failures: their registry entries and the tables and plots that read them."""

import itertools

import matplotlib
import numpy as np
import pytest
from matplotlib.text import Text

from lstm_xor import render, reports
from lstm_xor.reports.r000 import causes_plots as plots
from lstm_xor.reports.r000 import causes_runs as causes
from lstm_xor.reports.r000 import causes_tables as tables
from lstm_xor.reports.r000 import runs as report000

matplotlib.use("Agg")


def _drawn_texts(fig):
    """Every text a drawn figure shows: titles, axis and tick labels (ticks inside the view), legends, annotations."""
    texts = list(fig.texts) + [t for legend in fig.legends for t in legend.get_texts()]
    for ax in (ax for ax in fig.axes if ax.get_visible()):
        texts += [ax.title, ax.xaxis.label, ax.yaxis.label, *ax.texts]
        texts += [t for legend in filter(None, [ax.get_legend()]) for t in legend.get_texts()]
        for axis in (ax.xaxis, ax.yaxis):
            lo, hi = sorted(axis.get_view_interval())
            texts += [tick.label1 for tick in axis.get_major_ticks() if lo <= tick.get_loc() <= hi]
    return [t for t in texts if isinstance(t, Text) and t.get_visible() and t.get_text().strip()]


def overlapping_texts(fig):
    """Pairs of texts of a drawn figure whose boxes overlap (labels that would read as one)."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    texts = _drawn_texts(fig)
    boxes = [(t.get_text(), t.get_window_extent(renderer)) for t in texts]
    return [(a, b) for (a, box_a), (b, box_b) in itertools.combinations(boxes, 2) if box_a.overlaps(box_b)]


def test_each_mechanic_is_its_own_run_on_the_reports_settings_and_all_together_is_their_union():
    fixed = {run.id: run.config() for run in reports.RUNS if run.group == "causes-fixed"}
    variable = {run.id: run.config() for run in reports.RUNS if run.group == "causes-variable"}
    per_row = [len(causes.SLOW.get(name, causes.SEEDS)) for name in causes.MECHANICS]
    assert len(variable) == sum(per_row) and len(fixed) == sum(per_row) - 5  # no step row at fixed length
    none = variable["cause-variable-none-s0"]
    assert (none["batch_size"], none["batching"], none["loss_reduction"], none["clip_norm"], none["lr"],
            none["epochs"]) == (160, "grouped", "sum", 0.0, 0.0004, 13)
    for name, (params, _) in causes.MECHANICS.items():
        differs = {k for k, v in variable[f"cause-variable-{name}-s0"].items() if none[k] != v}
        assert differs == set(params), name  # one mechanic on, nothing else changed
    union = {k: v for name, (params, _) in causes.MECHANICS.items() if name not in ("all", "step")
             for k, v in params.items() if k != "adam_variant"}
    everything = variable["cause-variable-all-s0"]
    assert all(everything[k] == v for k, v in union.items())
    assert set(everything["adam_variant"].split("+")) == {"no_bias_correction", "eps_inside_sqrt", "epoch_reset"}
    assert {c["stop_when"] for c in fixed.values()} == {"sequence_accuracy:1"}


def _record(accuracies, status="solved", n=20000):
    return {"status": status, "epochs_completed": len(accuracies), "config": {},
            "test": {"sequence_accuracy": accuracies[-1], "n": n}, "history": {"test_sequence_accuracy": accuracies}}


def test_the_mechanics_table_counts_solved_runs_and_the_median_epoch():
    records = {"cause-fixed-nobias-s0": _record([0.1, 1.0]), "cause-fixed-nobias-s1": _record([0.1, 0.5, 1.0]),
               "cause-fixed-nobias-s2": _record([0.0, 0.0, 0.0], status="stopped"),
               "cause-fixed-nobias-s3": _record([0.2, 0.9, 0.9, 1.0]),
               "cause-fixed-nobias-s4": _record([0.0] * 12, status="completed")}
    table = tables.mechanics_table(records, "fixed", "../runs")
    assert "| nobias | 3 / 5 | 3 | 1 loss rising, 1 not solved |" in table
    assert "| none | not run yet |" in table and "| step |" not in table  # no step row at fixed length
    assert tables.mechanics_findings(records) == ("**3 of the 5 runs solved the test set** within the report's "
                                                  "epochs, in epoch 2 to 4 (median 3); the others: 1 loss rising, "
                                                  "1 not solved.")


def test_the_map_counts_solved_within_each_epoch():
    records = {f"map-report-fixed-1e-3-s{s}": _record([0.5, 1.0] if s < 1 else [0.2, 0.3, 0.4], "completed")
               for s in causes.SEEDS}
    table = tables.map_table(records, "../runs")
    n = len(causes.SEEDS)
    assert f"| report | fixed | 0.001 | 0 / {n} | 1 / {n} | 1 / {n} |" in table
    words = tables.mechanics_list()
    assert "* **none**: the replays' settings" in words and "(`dtype='float64'`)" in words


def test_the_map_draws_the_share_solved_per_epoch_and_the_reports_runs_at_their_epochs():
    records = {f"map-report-fixed-1e-3-s{s}": _record([0.5, 1.0] if s < 1 else [0.2, 0.3, 0.4], "completed")
               for s in causes.SEEDS}
    fig = plots.plot_map(records)
    (fixed, variable), (fixed_strip, variable_strip) = fig.axes[:2], fig.axes[2:4]
    # the report's settings within 1, 2, 3 epochs at the one rate with records; nothing for settings without any
    assert [line.get_label() for line in fixed.lines] == [f"report settings, within {n} epoch{'s' * (n > 1)}"
                                                          for n in (1, 2, 3)]
    assert [list(line.get_ydata()) for line in fixed.lines] == [[0.0], [0.2], [0.2]]
    assert not variable.lines
    for strip, data in ((fixed_strip, "fixed"), (variable_strip, "variable")):
        expected = sorted((r.params["lr"], r.epochs) for r in report000.REPORT_RUNS if r.group == f"report-{data}"
                          and "lr_schedule" not in r.params and "init" not in r.params)
        (crosses,) = strip.lines
        assert sorted(zip(crosses.get_xdata(), crosses.get_ydata(), strict=True)) == expected
        assert strip.get_ylim()[1] > max(epochs for _, epochs in expected)
    assert (0.00075, 12) in expected and (0.00035, 30) in expected  # rates close together, no labels to collide
    (legend,) = fig.legends
    assert min(t.get_fontsize() for t in legend.get_texts()) >= 10  # legible at a page's width
    assert overlapping_texts(fig) == []


def test_the_mechanics_plot_has_a_panel_per_mechanic_and_a_line_per_seed():
    records = {"cause-variable-none-s0": _record([0.1, 0.9, 1.0]), "cause-variable-none-s3": _record([0.5, 1.0]),
               "cause-variable-order-s1": _record([0.0] * 13, status="completed")}
    fig = plots.plot_mechanics(records, "variable")
    shown = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in shown] == list(causes.MECHANICS)  # variable length has the step row
    none, order = shown[0], shown[list(causes.MECHANICS).index("order")]
    assert [line.get_label() for line in none.lines] == ["seed 0", "seed 3"]
    assert list(none.lines[0].get_ydata()) == list(render.errors_drawn([0.1, 0.9, 1.0], 20000))
    assert list(none.lines[1].get_xdata()) == [1, 2]
    assert len(order.lines) == 1 and all(not ax.lines for ax in shown if ax not in (none, order))
    assert none.get_xlim() == (0.5, 13.5)  # the report's 13 epochs
    fixed = plots.plot_mechanics({}, "fixed")
    assert "step" not in [ax.get_title() for ax in fixed.axes if ax.get_visible()]


def test_the_map_has_five_seeds_per_rate_for_both_settings_and_ours_are_our_defaults():
    runs = {run.id: run for run in reports.RUNS if run.group.startswith("map-")}
    for settings, (lrs, epochs, _) in causes.MAP_SETTINGS.items():
        for data in causes.CAUSES:
            ids = [i for i in runs if i.startswith(f"map-{settings}-{data}-")]
            assert len(ids) == len(lrs) * len(causes.SEEDS) >= 15
            assert {runs[i].config()["epochs"] for i in ids} == {epochs}
    ours = runs["map-ours-fixed-1e-2-s4"].config()
    assert (ours["batch_size"], ours["loss_reduction"], ours["clip_norm"], ours["epochs"]) == (32, "mean", 1.0, 1)


def test_the_final_label_table_gives_each_seed_and_the_plot_draws_what_exists():
    records = {"final-len10-s0": _record([0.8, 1.0]), "final-len10-s1": _record([0.5] * 4, "completed"),
               "final-cur-s2": _record([1.0])}
    table = tables.final_table(records, "../runs")
    assert "| fixed length 10 | 1 / 2 (of 3 planned) | [100.0% (2)](../runs/final-len10-s0.ipynb), " in table
    assert "| fixed length 50 | not run yet | |" in table
    assert "| fixed length 50, curriculum in epoch 1 | 1 / 1 (of 3 planned) |" in table
    fig = plots.plot_final(records)
    lengths, epochs = fig.axes[:2]
    seed0 = lengths.lines[0]  # accuracy at the end per fixed length, NaN where a length has no record
    assert list(seed0.get_xdata()) == list(causes.FINAL_LENGTHS) and seed0.get_ydata()[0] == 1.0
    assert np.isnan(seed0.get_ydata()[1:]).all()
    assert [line.get_label() for line in epochs.lines][:1] == ["fixed length 50, curriculum in epoch 1"]
    assert len(epochs.lines) == 2 and list(epochs.lines[0].get_ydata()) == [1.0]  # the curriculum run, and chance
    final = {run.id: run.config() for run in reports.RUNS if run.group == "final-label"}
    assert len(final) == 7 * len(causes.FINAL_SEEDS)
    assert {(c["labels"], c["stop_when"], c["epochs"]) for c in final.values()} == {("final", "sequence_accuracy:1", 4)}


@pytest.mark.parametrize("lr, tag", [(0.0001, "1e-4"), (0.0003, "3e-4"), (0.01, "1e-2")])
def test_run_ids_name_the_rate_with_letters_digits_and_dashes(lr, tag):
    assert causes.lr_tag(lr) == tag


def test_the_machine_time_counts_overlapping_runs_once():
    def stamped(finished, seconds):
        return {"driver": {"finished": f"2026-12-01T06:00:{finished:02d}+00:00", "notebook_seconds": seconds}}

    records = [stamped(10, 10.0), stamped(15, 10.0), stamped(25, 5.0), {"status": "completed"}]
    assert render.busy_seconds(records) == pytest.approx(20.0)  # 0-15 and 20-25
    assert render.busy_seconds([]) == 0.0
