"""Report 000's funnel (issue 21, items 2 and 5): the signatures scored from synthetic records at both
thresholds, the stage-1 registry (every listed slip's run, full epochs, no stop rule), the tables with runs
missing, the figures its prose quotes against the gradient table, and the opt-in gradient-norm log."""

import json
import math
from pathlib import Path

import numpy as np
import pytest

from lstm_xor.config import numeric_values
from lstm_xor.publish.plan import fingerprint, profile_config
from lstm_xor.reports.r000 import funnel_runs as funnel
from lstm_xor.reports.r000 import funnel_tables, signatures
from lstm_xor.reports.r000 import runs as report000
from lstm_xor.reports.r000.causes_runs import CAUSES, MECHANICS
from lstm_xor.train.loop import train

BOOK = Path(__file__).resolve().parents[1] / "book"
GRADIENTS, RUNS = BOOK / "summary" / "slip_gradients.json", BOOK / "runs"
ITERATIONS = 500  # a synthetic record's steps per epoch


def _record(epoch_loss=(5000.0,), seq=(1.0,), lr=None, test=None, status="completed", **config):
    """A parity record with the report's fixed-length settings: epoch losses are sums over ITERATIONS steps."""
    epochs = len(epoch_loss)
    return {"status": status, "config": {**report000.REPORT, **report000.FIXED, **config},
            "epochs_completed": epochs,
            "test": test or {"n": 20000, "correct_sequences": 20000, "correct_last_bit": 20000,
                             "last_bit_accuracy": 1.0, "sequence_accuracy": 1.0},
            "history": {"epoch_loss": list(epoch_loss), "iteration_loss": [1.0] * (ITERATIONS * epochs),
                        "lr": list(lr or [0.0008] * epochs), "test_sequence_accuracy": list(seq)}}


def _chance_epoch(times):
    """An epoch loss (summed over ITERATIONS steps of 160 strings x 50) at ``times`` x chance on the report's scale."""
    return times * 160 * 50 * math.log(2) * ITERATIONS


# -- the signatures --------------------------------------------------------------------------------------------

def test_the_report_scale_is_the_per_position_loss_times_32_x_50():
    rec = _record([_chance_epoch(1.0)])
    assert signatures.report_scale_loss(rec) == pytest.approx(32 * 50 * math.log(2))
    # under the report's settings at fixed length that is our loss / 5, the ranks
    assert signatures.report_scale_loss(rec) == pytest.approx(_chance_epoch(1.0) / ITERATIONS / 5)
    variable = _record([ITERATIONS * 160 * 25.5 * math.log(2)], min_length=1, max_length=50)
    assert signatures.report_scale_loss(variable) == pytest.approx(1600 * math.log(2))
    mean = _record([ITERATIONS * 0.5], loss_reduction="mean")
    assert signatures.report_scale_loss(mean) == pytest.approx(800)


@pytest.mark.parametrize("times, main, strict", [(0.5, False, False), (1.2, True, False), (1.6, True, True)])
def test_above_chance_at_both_thresholds(times, main, strict):
    v = signatures.above_chance(_record([_chance_epoch(0.3), _chance_epoch(times)]))
    assert (v.matched, v.strict) == (main, strict)
    assert v.value == pytest.approx(times)


def test_a_diverged_run_is_above_chance():
    v = signatures.above_chance(_record([_chance_epoch(0.3)], status="diverged"))
    assert v.matched and v.strict and v.value == math.inf


@pytest.mark.parametrize("seq, width, main, strict", [
    ((1.0, 1.0), 0, False, False),  # our replays: 100% after the first epoch
    ((0.05, 0.2, 0.5, 0.8, 0.95), 3, True, False),
    ((0.0, 0.02, 0.1, 0.3, 0.5, 0.6, 0.7, 0.9), 5, True, True),  # the peak 0.9: 10% is 0.09, 90% 0.81
])
def test_climbs_counts_the_epochs_from_10_to_90_percent_of_the_rise(seq, width, main, strict):
    v = signatures.climbs(_record([1.0] * len(seq), seq=seq))
    assert v.value == width and (v.matched, v.strict) == (main, strict)


def test_no_rise_is_no_climb():
    v = signatures.climbs(_record([1.0] * 3, seq=(0.0, 0.05, 0.01)))
    assert v.matched is False and v.value is None


def _test(strings_wrong, last_wrong):
    return {"n": 20000, "correct_sequences": 20000 - strings_wrong, "correct_last_bit": 20000 - last_wrong,
            "last_bit_accuracy": 1 - last_wrong / 20000, "sequence_accuracy": 1 - strings_wrong / 20000}


@pytest.mark.parametrize("strings, last, main, strict", [
    (1068, 22, True, True),  # the report's run 6
    (400, 25, True, False),
    (20000, 10078, False, False),  # at chance: the last bit wrong in half the wrong strings
    (5, 0, True, True),
    (0, 0, False, False),
])
def test_whole_string_errors_against_last_bit_errors(strings, last, main, strict):
    v = signatures.whole_string(_record(test=_test(strings, last)))
    assert (v.matched, v.strict) == (main, strict)


@pytest.mark.parametrize("seq, main, strict", [((0.9, 1.0, 1.0), False, False),
                                               ((0.5, 0.877, 0.808), True, False),  # the report's run 19 -> 20
                                               ((0.2, 0.9, 0.3), True, True)])
def test_a_late_collapse_at_both_thresholds(seq, main, strict):
    v = signatures.collapse(_record([1.0] * len(seq), seq=seq))
    assert (v.matched, v.strict) == (main, strict)


@pytest.mark.parametrize("after, main, strict", [(0.84, False, False), (2.3, True, False), (3.0, True, True)])
def test_the_jump_at_a_schedule_change(after, main, strict):
    v = signatures.schedule_jump(_record([3.0, 1.0, after, 1.0], seq=(0.5,) * 4,
                                         lr=[0.00035, 0.00035, 0.00004, 0.00004]))
    assert (v.matched, v.strict) == (main, strict) and v.value == pytest.approx(after)


def test_no_schedule_change_cannot_say():
    assert signatures.schedule_jump(_record([2.0, 1.0], seq=(1, 1))).matched is None


@pytest.mark.parametrize("a, b, main, strict", [(0.9808, 0.50975, True, True),  # the report's runs 3 and 5
                                                (0.8, 0.6, True, False),
                                                (1.0, 1.0, False, False),  # our replays
                                                (0.5, 0.98, False, False)])
def test_the_knife_edge_pair(a, b, main, strict):
    v = signatures.knife_edge(_record(test=_test(1000, round(20000 * (1 - a)))),
                              _record(test=_test(20000, round(20000 * (1 - b)))))
    assert (v.matched, v.strict) == (main, strict)


def test_a_missing_record_cannot_say():
    assert signatures.knife_edge(_record(), None).matched is None


def test_every_signature_has_its_thresholds_stated():
    table = signatures.definitions_table()
    for name, (_, _, threshold, strict) in signatures.SIGNATURES.items():
        assert f"| {name} |" in table and f"| {threshold:g} | {strict:g} |" in table


# -- the registry ----------------------------------------------------------------------------------------------

def _registered():
    return {run.id: run for g in report000.PART.groups if g.name.startswith("funnel-") for run in g.runs}


def test_every_listed_slip_has_its_run_at_full_epochs_without_a_stop_rule():
    runs = _registered()
    listed = [(tag, d) for tag, d, _ in funnel.STAGE1] + [(name, d) for name, d, _ in funnel.MECHANICS_RUN]
    assert sorted(runs) == sorted(funnel.run_id(d, tag) for tag, d in listed)
    for tag, d in listed:
        config = runs[funnel.run_id(d, tag)].config()
        _, lr, epochs = CAUSES[d]
        assert (config["lr"], config["epochs"], config["stop_when"], config["stop_patience"]) == (lr, epochs, "", 0)
        params = funnel.slip_params(tag, d) if tag in funnel.SLIPS else MECHANICS[tag][0]
        assert all(config[k] == v for k, v in params.items())
        assert {k: config[k] for k in ("batch_size", "loss_reduction", "clip_norm")} == \
               {k: report000.REPORT[k] for k in ("batch_size", "loss_reduction", "clip_norm")}


def test_every_slip_is_run_or_said_why_not_at_both_configurations():
    ran = {(tag, d) for tag, d, _ in funnel.STAGE1}
    cut = {(tag, d) for tag, d, _ in funnel.not_run() if tag in funnel.SLIPS}
    assert {(tag, d) for tag in funnel.SLIPS for d in CAUSES} == ran | cut and not ran & cut
    mechanics = {name for name, _, _ in funnel.not_run() if name not in funnel.SLIPS}
    assert mechanics | {name for name, _, _ in funnel.MECHANICS_RUN} == set(MECHANICS) - {"none"}
    assert funnel_tables.asked() == 86 and funnel_tables.registered() == 8


def test_the_reference_step_counts_its_configurations_epochs():
    assert funnel.slip_params("refstep", "fixed") == dict(adam_variant="reference_step", reference_epochs=12)


def test_the_uniform_replay_is_the_report_run_with_its_norms_logged():
    uniform = next(r for r in report000.REPORT_RUNS if r.id == funnel.UNIFORM_RUN).config()
    runs = {run.id: run.config() for g in report000.PART.groups if g.name == "uniform-norms" for run in g.runs}
    assert runs["uniform-norms"] == dict(uniform, log_grad_norm=True)
    assert runs["uniform-symmetric"] == dict(uniform, log_grad_norm=True, init="uniform_symmetric")


def test_the_predictions_quote_the_gradient_table():
    table = json.loads(GRADIENTS.read_text())["configurations"]

    def mean(data, row, point, key):
        return float(np.mean(table[data]["rows"][row][point][key]))
    why = {tag: text for tag, _, text in funnel.STAGE1}
    quoted = [("nosqrt", f"{mean('fixed', 'adam_variant=no_sqrt', 'init', 'norm_ratio'):.0f} times"),
              ("nosqrt", f"cosine {mean('fixed', 'adam_variant=no_sqrt', 'init', 'cosine'):.2f}"),
              ("nosqrt", f"{mean('fixed', 'adam_variant=no_sqrt', 'trained', 'norm_ratio'):.1f} times"),
              ("gnz", f"{mean('fixed', 'grads_not_zeroed', 'trained', 'norm_ratio'):.0f} times"),
              ("gnz", f"cosine {mean('fixed', 'grads_not_zeroed', 'trained', 'cosine'):.2f}"),
              ("dcnof", f"cosine {mean('fixed', 'dc_without_forget', 'init', 'cosine'):.2f}"),
              ("dcnof", f"{mean('fixed', 'dc_without_forget', 'trained', 'cosine'):.2f} half-trained"),
              ("swapped", f"step {mean('variable', 'adam_variant=betas_swapped', 'trained', 'norm_ratio'):.3f}"),
              ("swapped", f"{mean('fixed', 'adam_variant=betas_swapped', 'trained', 'norm_ratio'):.3f} at fixed"),
              ("clip5", f"{mean('variable', 'clip_value=5', 'trained', 'norm_ratio'):.2f} of the gradient"),
              ("clip5", f"({mean('fixed', 'clip_value=5', 'trained', 'norm_ratio'):.2f} at fixed"),
              ("clip5", f"cosine {mean('variable', 'clip_value=5', 'trained', 'cosine'):.2f}")]
    for tag, text in quoted:
        assert text in why[tag], (tag, text)
    rnt = [mean(d, "recurrent_not_transposed", p, "cosine") for d in CAUSES for p in ("init", "trained")]
    assert 0.4 <= round(min(rnt), 1) and round(max(rnt), 1) <= 0.7
    assert f"cosine {mean('fixed', 'no_carried_dh', 'init', 'cosine'):.2f}" in funnel.CUT["nodh"]
    assert f"({mean('variable', 'no_carried_dh', 'init', 'cosine'):.2f} at" in funnel.CUT["nodh"]
    assert f"cosine {mean('fixed', 'no_carried_dc', 'trained', 'cosine'):.2f}" in funnel.CUT["nodc"]


# -- the tables, with runs missing ------------------------------------------------------------------------------

def test_the_funnel_table_copes_with_runs_not_executed():
    table = funnel_tables.funnel_table({}, "../runs")
    lines = table.splitlines()
    assert len(lines) == 2 + len(funnel_tables.rows())
    assert all(line.count("|") == lines[0].count("|") for line in lines)
    assert table.count("not run yet") == len(funnel_tables.rows())
    assert funnel_tables.verdicts_table({}, "../runs").startswith("No stage-1 run")
    assert "not run yet" in funnel_tables.norms_table({}) and "not run yet" in funnel_tables.norms_text({})


def test_the_funnel_table_counts_each_signature():
    nosqrt = _record([_chance_epoch(0.5), _chance_epoch(2.0)], seq=(0.6, 0.1))
    records = {funnel.run_id("fixed", "nosqrt"): nosqrt, "fixed-04": _record(), "fixed-03": _record(),
               "fixed-05": _record(test=_test(20000, 10000))}
    row = next(line for line in funnel_tables.funnel_table(records, "r").splitlines() if line.startswith("| nosqrt"))
    cells = [c.strip() for c in row.split("|")[1:-1]]
    assert cells[2].startswith("1 of 1") and cells[3:] == ["1 of 1", "0 of 1", "0 of 1", "1 of 1", "–", "stage 2"]
    base = next(line for line in funnel_tables.funnel_table(records, "r").splitlines() if "| fixed, lr" in line)
    assert base.rstrip(" |").endswith("1 of 1")  # the report's knife edge, from fixed-03 against fixed-05


def test_the_not_run_table_gives_the_gradient_rows():
    table = funnel_tables.not_run_table(json.loads(GRADIENTS.read_text()))
    assert len(table.splitlines()) == 2 + len(funnel.not_run())
    assert "| nodc | fixed |" in table and "cosine 0.60 / 0.88" in table


def test_norms_by_epoch_and_the_explosion_verdict():
    rec = _record([_chance_epoch(1.0), _chance_epoch(1.5), _chance_epoch(2.0)], seq=(0, 0, 0))
    rec["history"]["grad_norm"] = [1.0] * ITERATIONS + [5.0] * ITERATIONS + [20.0] * ITERATIONS
    epochs = funnel_tables.norms_by_epoch(rec)
    assert [m for m, _, _ in epochs.values()] == [1.0, 5.0, 20.0]
    assert funnel_tables.explodes(rec) == (True, 20.0, 2)
    assert funnel_tables.explodes(rec, factor=50)[0] is False


# -- the gradient-norm log: opt-in, off unchanged ------------------------------------------------------------------

TINY = dict(task="parity", n_samples=200, hidden=6, min_length=1, max_length=8, epochs=2, batch_size=16,
            metrics_path="", clip_norm=1.0, lr=0.01)


def test_log_grad_norm_records_every_steps_norm_and_changes_nothing_else():
    off = train(dict(TINY), progress="none")
    on = train(dict(TINY, log_grad_norm=True), progress="none")
    assert "grad_norm" not in off["history"]
    assert len(on["history"]["grad_norm"]) == len(on["history"]["iteration_loss"])
    assert all(n > 0 and math.isfinite(n) for n in on["history"]["grad_norm"])
    assert on["history"]["iteration_loss"] == off["history"]["iteration_loss"]
    assert np.array_equal(on["model"].flat, off["model"].flat)


def test_log_grad_norm_off_leaves_every_fingerprint():
    run = next(r for r in report000.REPORT_RUNS if r.id == "fixed-uniform")
    committed = json.loads((RUNS / "fixed-uniform.json").read_text())["driver"]["fingerprint"]
    assert fingerprint(profile_config(run, "full")) == committed
    assert "log_grad_norm" not in numeric_values(run.config())
    assert "log_grad_norm" in numeric_values(dict(run.config(), log_grad_norm=True))
