"""Looking inside a network: stepping one step at a time equals the batched sequence; the parity units;
the exploration notebook runs top to bottom."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from lstm_xor.nn import cells
from lstm_xor.nn.model import Model
from lstm_xor.study import probe
from lstm_xor.tasks.parity import make_parity

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
    data = make_parity(50, 1, 10, 0)
    before = model.params["head.W"].copy()
    with probe.without_units(model, [0, 2]):
        assert not model.params["head.W"][:, [0, 2]].any()
        ablated = probe.step_accuracy(model, data)
    np.testing.assert_array_equal(model.params["head.W"], before)
    with probe.without_units(model, range(4)):  # reading nothing, it predicts one class everywhere
        x = probe.one_hot("0101")
        assert len({int(v) for v in model.forward(x, np.array([4]))[0][0].argmax(axis=-1)}) == 1
    assert 0 <= ablated <= 1
    corr = probe.parity_correlation(model, data, n=20)
    assert corr.shape == (4,) and np.all(np.abs(corr) <= 1 + 1e-12)


def test_the_exploration_notebook_runs_under_papermill(tmp_path):
    out = tmp_path / "explore.ipynb"
    papermill = Path(sys.executable).with_name("papermill")
    subprocess.run([str(papermill), str(NOTEBOOK), str(out), "-r", "bits", "0110", "-p", "n_samples", "400",
                    "-p", "epochs", "1", "-p", "hidden", "8", "-k", "python3", "--cwd", str(tmp_path)],
                   check=True, capture_output=True, timeout=300)
    nb = json.loads(out.read_text())
    outputs = [o for c in nb["cells"] for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    assert sum("image/png" in o.get("data", {}) for o in outputs) == 2
    text = "".join("".join(o.get("text", "")) for o in outputs)
    assert "without the 4 most correlated" in text and list(tmp_path.iterdir()) == [out]
