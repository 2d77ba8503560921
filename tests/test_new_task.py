"""A new task is one module: the test-only copy task (tests/tasks/copy_task.py) trains through
the CLI and the notebook, joined by LSTM_XOR_TASKS, with nothing of the loop changed."""

import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import papermill as pm
import pytest

TASKS_DIR = Path(__file__).resolve().parent / "tasks"
NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "train.ipynb"
SETTINGS = dict(n_samples=1000, hidden=32, epochs=8, copy_length=3, delay=2, symbols=3)


def _env():
    path = os.pathsep.join(filter(None, [str(TASKS_DIR), os.environ.get("PYTHONPATH", "")]))
    return dict(os.environ, LSTM_XOR_TASKS="copy_task", PYTHONPATH=path)


@pytest.mark.slow
def test_the_copy_task_trains_through_the_cli(tmp_path):
    flags = [f"--{k.replace('_', '-')}={v}" for k, v in SETTINGS.items()]
    result = subprocess.run([sys.executable, "-m", "lstm_xor", "train", "--task", "copy", *flags,
                             "--metrics-path", str(tmp_path / "run.json")],
                            env=_env(), capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    record = json.loads((tmp_path / "run.json").read_text())
    assert record["status"] == "completed" and record["config"]["delay"] == 2
    assert record["test"]["symbol_accuracy"] > 0.95, "the copy was learnt (chance is 1/3)"
    assert len(record["history"]["test_symbol_accuracy"]) == 8


@pytest.mark.slow
def test_a_task_parameter_in_another_task_is_refused_naming_its_owner(tmp_path):
    result = subprocess.run([sys.executable, "-m", "lstm_xor", "train", "--task", "copy", "--labels", "final",
                             "--metrics-path", str(tmp_path / "run.json")],
                            env=_env(), capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert "bad parameter labels='final': it belongs to task parity, and this run's task is copy" in result.stderr
    help_text = subprocess.run([sys.executable, "-m", "lstm_xor", "train", "--help"], env=_env(),
                               capture_output=True, text=True, timeout=120, check=True).stdout
    assert "task copy parameters:" in help_text and "--delay DELAY" in help_text


@pytest.mark.slow
def test_the_copy_task_trains_through_the_notebook(tmp_path, monkeypatch):
    for key, value in _env().items():
        monkeypatch.setenv(key, value)  # the notebook's kernel inherits them
    out = tmp_path / "out.ipynb"
    pm.execute_notebook(str(NOTEBOOK), str(out), parameters=dict(task="copy", **SETTINGS,
                                                                 metrics_path=str(tmp_path / "run.json")),
                        kernel_name="python3", progress_bar=False, cwd=str(tmp_path))
    record = json.loads((tmp_path / "run.json").read_text())
    assert record["config"]["task"] == "copy" and record["test"]["symbol_accuracy"] > 0.95
    outputs = [o for c in nbformat.read(out, as_version=4).cells if c.cell_type == "code"
               for o in c.get("outputs", [])]
    markdown = "".join(o.get("data", {}).get("text/markdown", "") for o in outputs)
    assert "Copy a short string of symbols after a delay" in markdown, "the notebook's prose comes from the task"
    assert "| symbol accuracy | 1 |" in markdown and any("image/png" in o.get("data", {}) for o in outputs)
