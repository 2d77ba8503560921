"""Looking inside a network: stepping one step at a time equals the batched sequence; a trained parity
network's parity units found; the exploration notebook's parameters checked before training, and the
notebook run top to bottom."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from lstm_xor.nn import cells
from lstm_xor.nn.model import Model
from lstm_xor.study import probe

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "explore.ipynb"


@pytest.mark.parametrize("cell", cells.CELLS)
def test_a_trace_step_by_step_equals_the_batched_sequence(cell):
    model = Model(cell, 2, 5, 2, 2, head="every", dtype=np.float64, seed=3)
    bits = "1101001"
    p1, hidden, cell_state = probe.trace(model, bits)
    out, final = model.forward(probe.one_hot(bits), np.array([7]))
    z = out[0]
    np.testing.assert_allclose(p1, np.exp(z[:, 1]) / np.exp(z).sum(axis=1), rtol=1e-12)
    for k in range(2):
        np.testing.assert_allclose(hidden[-1, k], final[k][0][:, 0], rtol=1e-12)
    assert hidden.shape == (7, 2, 5) and (cell_state is not None) == (cell == "lstm")
    with pytest.raises(ValueError, match="bad parameter bits='10a'"):
        probe.one_hot("10a")


def test_units_read_by_the_head_are_put_back_after_an_ablation():
    model = Model("lstm", 2, 4, 2, 1, head="every", dtype=np.float64, seed=1)
    before = model.params["head.W"].copy()
    with probe.without_units(model, [0, 2]):
        assert not model.params["head.W"][:, [0, 2]].any()
    np.testing.assert_array_equal(model.params["head.W"], before)
    with probe.without_units(model, range(4)):  # reading nothing, it predicts one class everywhere
        x = probe.one_hot("0101")
        assert len({int(v) for v in model.forward(x, np.array([4]))[0][0].argmax(axis=-1)}) == 1


def test_a_trained_parity_network_carries_the_parity_in_a_few_units():
    """The probe finds what a network that learned parity must have: units that follow the running parity,
    which the output needs, and units it can do without."""
    model, record, test = probe.train_network(probe.explore_config("lstm", 8, 10, 3000, 4, 0))
    order, corr, full, rows = probe.ablations(model, test)
    assert record["test"]["last_bit_accuracy"] == 1.0 and full >= 0.99
    assert sorted(order) == list(range(8)) and np.all(np.diff(np.abs(corr)) <= 0)
    assert abs(corr[0]) >= 0.7, "a unit whose state follows the running parity"
    without = {k: (strongest, weakest) for k, strongest, weakest in rows}
    assert without[4][1] >= 0.98, "the 4 least correlated units carry nothing the output needs"
    assert abs(without[8][0] - 0.5) < 0.1 and without[8][0] == without[8][1], "no unit read: chance"
    untrained = Model("lstm", 2, 8, 2, 1, head="every", seed=0)
    assert probe.step_accuracy(untrained, test) < 0.6


def test_the_notebooks_parameters_are_read_or_refused_by_name():
    assert probe.read_bits("0110") == "0110" and probe.running_parity("0110").tolist() == [0, 1, 0, 0]
    assert probe.read_bits(110100111) == "110100111", "-p bits 0110100111 makes a number: read as its digits"
    for bad in (120, "", "01a", -1, True, 1.5):
        with pytest.raises(ValueError, match=f"bad parameter bits={bad!r}: expected a non-empty string of 0s"):
            probe.read_bits(bad)
    with pytest.raises(ValueError, match="bad parameter cell='transformer': expected one of rnn, lstm, gru"):
        probe.explore_config("transformer", 8, 10, 400, 1, 0)
    with pytest.raises(ValueError, match="bad parameter hidden='8': expected an integer"):
        probe.explore_config("lstm", "8", 10, 400, 1, 0)


def _papermill(tmp_path, *args):
    """explore.ipynb under papermill with quick settings and ``args``, a private temporary folder; its run."""
    out, scratch = tmp_path / "explore.ipynb", tmp_path / "tmp"
    scratch.mkdir()
    papermill = Path(sys.executable).with_name("papermill")
    done = subprocess.run([str(papermill), str(NOTEBOOK), str(out), *args, "-p", "n_samples", "400",
                           "-p", "epochs", "1", "-p", "hidden", "8", "-k", "python3", "--cwd", str(tmp_path)],
                          capture_output=True, text=True, timeout=300, env=dict(os.environ, TMPDIR=str(scratch)))
    return done, json.loads(out.read_text()), scratch


def _outputs(nb):
    return [o for c in nb["cells"] for o in c.get("outputs", [])]


@pytest.mark.slow
@pytest.mark.parametrize(("flag", "bits", "shown"), [("-r", "0110", "0110"), ("-p", "0110100111", "110100111")])
def test_the_exploration_notebook_runs_under_papermill(tmp_path, flag, bits, shown):
    done, nb, scratch = _papermill(tmp_path, flag, "bits", bits)
    assert done.returncode == 0, done.stderr[-2000:]
    outputs = _outputs(nb)
    assert not [o for o in outputs if o.get("output_type") == "error"]
    assert sum("image/png" in o.get("data", {}) for o in outputs) == 2, "the widgets draw into their own outputs"
    assert any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in outputs), "the explorer"
    text = "".join("".join(o.get("text", "")) for o in outputs)
    assert "without the 4 most correlated" in text and f"looking at bits {shown}\n" in text
    assert sorted(p.name for p in tmp_path.iterdir()) == ["explore.ipynb", "tmp"] and not list(scratch.iterdir())


@pytest.mark.slow
def test_a_bad_parameter_stops_the_notebook_before_training(tmp_path):
    done, nb, _ = _papermill(tmp_path, "-p", "bits", "0120", "-p", "cell", "gru")
    assert done.returncode != 0 and "bad parameter bits=120: expected a non-empty string of 0s and 1s" in done.stderr
    trained = [c for c in nb["cells"] if "train_network" in "".join(c["source"])][0]
    assert "bad parameter bits=120" in json.dumps(trained["outputs"]) and not [
        o for o in trained["outputs"] if o.get("output_type") == "stream"], "nothing trained, nothing printed"
