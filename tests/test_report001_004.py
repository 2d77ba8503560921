"""Reports 001 and 004: their registry entries and the tables over records (made here by short runs)."""

import re

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
    assert f"| RNN | 1 | 1 | {-slope:.1f} |" in table
    mode = next(run for run in r004.TRUNCATION if run.id == "bptt-k5-gru-s0")
    found = _short(mode, tmp_path, n_samples=100, epochs=1, hidden=8)
    row = next(line for line in t004.modes_table({mode.id: found}, "runs").splitlines() if "GRU" in line)
    assert f"| GRU | regular truncation, chunks of 5 | 5 | {found['test']['loss']:.3f} |" in row
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
    assert len(_columns(header)) == len(_columns(rule)) == 7
    assert any("dL/dh" in cell for cell in _columns(header))  # the norm's bars escaped, inside one cell
