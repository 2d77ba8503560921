"""notebooks/train.ipynb: its parameters are RunConfig's, and papermill runs it end to end."""

import json
import subprocess
import sys
from pathlib import Path

import nbformat
import papermill as pm
import pytest

from lstm_xor.config import PARAMS, parameters_source

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "train.ipynb"


def test_parameters_cell_is_the_run_configuration():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    cell = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    assert cell.source == parameters_source(), (
        "the parameters cell is generated from RunConfig: rewrite it with lstm_xor.config.parameters_source()")
    namespace = {}
    exec(cell.source, namespace)
    assert {p.name: namespace[p.name] for p in PARAMS} == {p.name: p.default for p in PARAMS}
    assert all("#" in line for line in cell.source.splitlines()), "every parameter has a comment"


def test_help_notebook_groups_the_parameters_by_task():
    result = subprocess.run([str(Path(sys.executable).parent / "papermill"), "--help-notebook", str(NOTEBOOK)],
                            capture_output=True, text=True, timeout=120, check=True)
    lines = result.stdout
    assert "[parity] shortest string" in lines
    assert lines.index("lr:") < lines.index("min_length:")
    # papermill's parser reads every parameter with its type (an '=' in a help text once hid two of them)
    inspected = pm.inspect_notebook(str(NOTEBOOK))
    assert set(inspected) == {p.name for p in PARAMS}
    assert all(inspected[p.name]["inferred_type_name"] == p.type.__name__ for p in PARAMS)


@pytest.mark.slow
def test_papermill_runs_the_notebook_and_writes_the_record(tmp_path):
    out = tmp_path / "out.ipynb"
    pm.execute_notebook(str(NOTEBOOK), str(out), parameters=dict(
        n_samples=300, min_length=2, max_length=10, hidden=8, epochs=2, lr=0.01,
        metrics_path=str(tmp_path / "run.json")), kernel_name="python3", progress_bar=False, cwd=str(tmp_path))
    record = json.loads((tmp_path / "run.json").read_text())
    assert record["status"] == "completed" and record["epochs_completed"] == 2
    assert record["config"]["n_samples"] == 300 and record["test"]["n"] == 60
    executed = nbformat.read(out, as_version=4)
    outputs = [o for c in executed.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert any("image/png" in o.get("data", {}) for o in outputs), "the loss plots are in the notebook"
    assert any("whole string right" in o.get("data", {}).get("text/markdown", "") for o in outputs)


@pytest.mark.slow
def test_bad_parameter_stops_the_notebook_before_any_work(tmp_path):
    with pytest.raises(pm.PapermillExecutionError, match="bad parameter lr=-1"):
        pm.execute_notebook(str(NOTEBOOK), str(tmp_path / "out.ipynb"),
                            parameters=dict(lr=-1, metrics_path=str(tmp_path / "run.json")),
                            kernel_name="python3", progress_bar=False, cwd=str(tmp_path))
    assert not (tmp_path / "run.json").exists()


@pytest.mark.slow
def test_an_unknown_parameter_stops_the_notebook_naming_it(tmp_path):
    with pytest.raises(pm.PapermillExecutionError, match="unknown run parameter.*hiddne"):
        pm.execute_notebook(str(NOTEBOOK), str(tmp_path / "out.ipynb"),
                            parameters=dict(hiddne=8, metrics_path=str(tmp_path / "run.json")),
                            kernel_name="python3", progress_bar=False, cwd=str(tmp_path))
    assert not (tmp_path / "run.json").exists()
