"""Reports 001 and 004: their registry entries and the tables over records (made here by short runs)."""

import re
from pathlib import Path

import numpy as np
import pytest

from lstm_xor.reports.r001 import runs as r001
from lstm_xor.reports.r001 import tables as t001
from lstm_xor.reports.r004 import runs as r004
from lstm_xor.reports.r004 import tables as t004
from lstm_xor.train.loop import train


def test_report004_runs_cover_every_mode_and_cell_on_a_long_memory_task():
    configs = [run.config() for run in r004.TRUNCATION]
    assert {(c["cell"], c["bptt"], c["bptt_k"], c["bptt_p"]) for c in configs} == {
        (cell, mode, extra.get("bptt_k", 0), extra.get("bptt_p", 0.0)) for cell in r004.CELLS for mode, extra in
        r004.MODES}
    assert all(c["labels"] == "delay" and c["lag"] == 10 for c in configs)
    gradients = [run.config() for run in r004.GRADIENTS]
    assert {c["layers"] for c in gradients} == {1, 2} and all(c["max_length"] == 200 for c in gradients)


def _short(run, tmp_path, **scale):
    config = dict(run.config(), metrics_path=str(tmp_path / f"{run.id}.json"), **scale)
    return train(config, progress=False)


def test_report004_tables_read_the_records(tmp_path):
    grad = next(run for run in r004.GRADIENTS if run.id == "bptt-grad-rnn-l1-s0")
    record = _short(grad, tmp_path, n_samples=100, epochs=1, hidden=8)
    g = record["state_gradients"]
    slope = t004.decay(record, "initial")
    norms = np.asarray(g["initial"])[:, -1]
    assert slope == pytest.approx(100 * np.polyfit(g["distances"], np.log10(norms), 1)[0])
    assert slope < 0  # an RNN at the start: the gradient shrinks with the distance
    table = t004.gradient_table({grad.id: record})
    assert f"| float32 | RNN | 1 | n = 1 of 3 | {-slope:.1f} (n = 1 of 3) |" in table
    mode = next(run for run in r004.TRUNCATION if run.id == "bptt-k5-gru-s0")
    found = _short(mode, tmp_path, n_samples=100, epochs=1, hidden=8)
    row = next(line for line in t004.modes_table({mode.id: found}, "runs").splitlines()
               if "GRU | regular truncation, chunks of 5 |" in line)
    assert f"| GRU | regular truncation, chunks of 5 | 5 | {found['test']['last_bit_accuracy']:.3f} (n = 1 of 3) |" \
        in row
    assert "[bptt-k5-gru-s0](runs/bptt-k5-gru-s0.ipynb)" in row


def test_report001_table_puts_every_network_beside_the_baselines(tmp_path):
    runs = [run for run in r001.PART.runs if run.id in ("fc-sunspots-gru-s0", "fc-sunspots-gru-s1")]
    records = {run.id: _short(run, tmp_path, epochs=1, hidden=8) for run in runs}
    text = t001.errors_table(records, "runs", "sunspots")
    networks = [r["forecast"]["methods"]["network"]["rmse"] for r in records.values()]
    assert "| GRU, windows | [fc-sunspots-gru-s0](runs/fc-sunspots-gru-s0.ipynb) [fc-sunspots-gru-s1]" in text
    assert f"{np.mean(networks):.3f} ± {np.std(networks, ddof=1):.3f}" in text
    naive = records["fc-sunspots-gru-s0"]["forecast"]["methods"]["naive"]
    assert f"| naive | – | {naive['rmse']:.3f} | {naive['mae']:.3f} | {naive['mase']:.3f} |" in text
    assert "| autoregression (9 lags, least squares) |" in text and "seasonal naive (period 11)" in text
    assert t001.errors_table({}, "runs", "co2") == "No run on co2 has a record yet."


def _columns(line):
    """The cells of a Markdown table row: split at pipes that are not escaped."""
    return re.split(r"(?<!\\)\|", line.strip().strip("|"))


def test_report004_gradient_table_header_has_as_many_columns_as_its_rows():
    header, rule = t004.gradient_table({}).splitlines()[:2]
    assert len(_columns(header)) == len(_columns(rule)) == 8
    assert any("dL/dh" in cell for cell in _columns(header))  # the norm's bars escaped, inside one cell


# -- report 004, second round: the controls, float64 norms, the exploding start, the lag sweep, unbiasedness ----

def test_report004_registers_the_controls_the_lags_and_the_exploding_start_on_three_seeds():
    from lstm_xor.reports.base import configuration_id
    for runs in (r004.TRUNCATION, r004.CONTROLS, r004.GRADIENTS64, r004.LAG_RUNS, r004.EXPLODING):
        per = {}
        for run in runs:
            per.setdefault(configuration_id(run.id), []).append(run.config()["seed"])
        assert all(sorted(seeds) == [0, 1, 2] for seeds in per.values())
    nocomp = [run.config() for run in r004.CONTROLS if not run.config()["bptt_compensate"]]
    assert {(c["bptt"], c["bptt_p"]) for c in nocomp} == {("randomized", p) for p in r004.CONTROL_P}
    assert all(c["clip_norm"] == 0 for c in (run.config() for run in r004.CONTROLS) if c["bptt_compensate"])
    lags = [run.config() for run in r004.LAG_RUNS]
    assert {c["lag"] for c in lags} == {10, 30, 60, 100} and all(c["bptt"] == "full" for c in lags)
    assert all(c["gradient_float64"] and str(c["lag"]) in c["gradient_distances"].split(",") for c in lags)
    assert all(run.config()["init_radius"] > 1 and run.config()["cell"] == "rnn" for run in r004.EXPLODING)


def test_without_compensation_randomized_cuts_keep_the_carried_gradient_as_it_is(tmp_path):
    from lstm_xor.bptt import carry_scale
    assert carry_scale("randomized", 0.2) == 1.25 and carry_scale("randomized", 0.2, compensate=False) == 1.0
    base = dict(task="parity", labels="delay", lag=3, min_length=12, max_length=12, n_samples=64, hidden=6,
                epochs=1, batch_size=16, bptt="randomized", bptt_p=0.3, dtype="float64")
    on = train(dict(base, metrics_path=str(tmp_path / "a.json")), progress=False)
    off = train(dict(base, bptt_compensate=False, metrics_path=str(tmp_path / "b.json")), progress=False)
    assert on["test"]["loss"] != off["test"]["loss"]
    with pytest.raises(ValueError, match="bad parameter bptt_compensate=False: .*randomized"):
        train(dict(base, bptt="full", bptt_p=0.0, bptt_compensate=False, metrics_path=str(tmp_path / "c.json")))


def test_the_float64_probe_is_the_same_gradient_without_float32s_underflow(tmp_path):
    from lstm_xor.config import DEFAULTS, numeric_values
    base = dict(task="parity", labels="delay", lag=2, cell="rnn", min_length=40, max_length=40, n_samples=64,
                hidden=8, epochs=1, batch_size=16, gradient_distances="1,5,30")
    f32 = train(dict(base, metrics_path=str(tmp_path / "a.json")), progress=False)["state_gradients"]
    g64 = train(dict(base, gradient_float64=True, metrics_path=str(tmp_path / "b.json")), progress=False)[
        "state_gradients"]
    np.testing.assert_allclose(g64["initial"], f32["initial"], rtol=1e-4)
    np.testing.assert_allclose(g64["trained"], f32["trained"], rtol=1e-4)
    assert "gradient_float64" not in numeric_values(dict(DEFAULTS, **base))  # off: every fingerprint as it was
    with pytest.raises(ValueError, match="bad parameter gradient_float64=True"):
        train(dict(base, gradient_distances="", gradient_float64=True, metrics_path=str(tmp_path / "c.json")))


def test_init_radius_scales_every_recurrent_block_and_off_leaves_the_weights_alone():
    from lstm_xor.bptt import recurrent_blocks
    from lstm_xor.config import split
    from lstm_xor.train.loop import build_model
    for cell in ("rnn", "lstm", "gru"):
        plain = build_model(split(dict(cell=cell, hidden=6, layers=2))[0])
        scaled = build_model(split(dict(cell=cell, hidden=6, layers=2, init_radius=1.5))[0])
        for _, _, block in recurrent_blocks(scaled):
            assert np.abs(np.linalg.eigvals(block.astype(float))).max() == pytest.approx(1.5, rel=1e-5)
        changed = plain.flat != scaled.flat
        assert changed.any() and (plain.flat[~changed] == scaled.flat[~changed]).all()
        assert (build_model(split(dict(cell=cell, hidden=6, layers=2, init_radius=0.0))[0]).flat == plain.flat).all()
    with pytest.raises(ValueError, match="bad parameter init_radius=-1"):
        split(dict(init_radius=-1.0))


def test_the_committed_unbiasedness_study_is_recomputed():
    from lstm_xor.reports.r004 import unbiased
    study = unbiased.load()
    assert study is not None, f"run {unbiased.COMMAND}"
    assert study["command"] == unbiased.COMMAND and len(study["rows"]) == 3 * len(unbiased.PS) * 2
    for cell, p, compensate in (("gru", 0.1, True), ("rnn", 0.5, False)):
        committed = next(r for r in study["rows"] if (r["cell"], r["p"], r["compensate"]) == (cell, p, compensate))
        again = unbiased.row(cell, p, compensate, study["draws"])
        for key in ("mean_error", "variance", "cosine"):
            assert again[key] == pytest.approx(committed[key], rel=1e-9)
    compensated = [r for r in study["rows"] if r["compensate"]]
    assert all(r["mean_error"] < 3 * np.sqrt(r["variance"] / r["draws"]) for r in compensated)
    assert all(r["mean_error"] > 5 * np.sqrt(r["variance"] / r["draws"]) for r in study["rows"] if not r["compensate"])


def test_report004_findings_name_the_rnn_that_learned_at_p20_and_collapsed():
    from pathlib import Path

    from lstm_xor import render
    from lstm_xor.reports.r004 import findings
    records = render.load_records(Path(__file__).resolve().parents[1] / "book" / "runs", r004.PART.runs)
    text = findings.randomized(records)
    assert ("bptt-p20-rnn-s0 reached 100% (last label right) at epochs 3-5, collapsed at epoch 6 and ended at "
            f"{records['bptt-p20-rnn-s0']['test']['last_bit_accuracy']:.0%}") in text
    assert "bptt-p10-lstm-s0 reached 100% (every label right)" in text
    table = t004.modes_table(records, "runs")
    assert "bptt-p20-rnn-s0 (last label: best 1.000 (epoch 3), final 0.537 (epoch 8): **collapsed**)" in table
    lags = t004.lag_table(records, "runs")
    assert "not run yet (n = 0 of 3)" in lags or "(n = 3)" in lags


def test_the_latch_is_registered_as_the_bptt_page_describes_it():
    import json
    runs = r004.RECALL_RUNS
    assert len(runs) == len(r004.LAGS) * 3 * 3
    for run in runs:
        c = run.config()
        assert (c["labels"], c["min_length"], c["max_length"], c["epochs"]) == \
            ("recall", c["lag"] + 1, c["lag"] + 1, r004.RECALL_EPOCHS)
        assert str(c["lag"]) in c["gradient_distances"].split(",")
    page = json.loads((Path(__file__).resolve().parents[1] / "book" / "summary" / "bptt.ipynb").read_text())
    prose = " ".join(" ".join("".join(c["source"]).split()) for c in page["cells"] if c["cell_type"] == "markdown")
    assert f"Lags {', '.join(map(str, r004.LAGS[:-1]))} and {r004.LAGS[-1]}, full BPTT, {r004.RECALL_EPOCHS} " \
           "epochs, three seeds per cell" in prose
