"""Golden trajectories: a change that moves a run's numbers must bump lstm_xor.NUMERICS_VERSION.

A few tiny float64 runs (every built-in task, every cell, dropout, a curriculum, both
batchings and reductions) have their loss trajectories, test figures and final
parameters stored in tests/golden.json with the numerics version that made them.
When the code moves one of them and the version is unchanged, this test fails:
the committed run records could then disagree with the code while their
fingerprints still call them done. Bump the version (the driver then re-runs
exactly the runs whose numbers could have moved) and regenerate the file:

    .venv/bin/python tests/test_golden.py

Regenerating refuses to write numbers that moved under the version the file already
holds, so the file cannot be made to agree with moved numbers without the bump.
"""

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from lstm_xor import NUMERICS_VERSION
from lstm_xor.config import Launch, RunConfig
from lstm_xor.train.loop import train

GOLDEN = Path(__file__).with_name("golden.json")
PARITY = dict(n_samples=240, min_length=2, max_length=9, hidden=8, batch_size=16, epochs=2, dtype="float64")
CASES = {  # parity cases on PARITY's settings; each other task's on its own tiny ones
    "parity-lstm": dict(),
    "parity-gru": dict(cell="gru"),
    "parity-rnn": dict(cell="rnn"),
    "parity-lstm-final-curriculum": dict(labels="final", curriculum_epochs=1.0),
    "parity-lstm-report": dict(batching="grouped", loss_reduction="sum", clip_norm=0.0, lr=0.003),
    "parity-gru-dropout-sgd": dict(cell="gru", layers=2, dropout=0.3, optimizer="sgd", momentum=0.9, lr=0.1),
    "parity-rnn-uniform-float32": dict(cell="rnn", init="uniform", dtype="float32", lr=0.001),
    "adder-lstm": dict(task="adder", hidden=8, embed=4, batch_size=16, digits=3, train_range="0,100",
                       test_range="0,100", n_test=50, epochs=2, steps_per_epoch=5, dtype="float64"),
    "classify-gru-mean": dict(task="classify", dataset="vowels", cell="gru", pool="mean", hidden=8, batch_size=32,
                              epochs=1, dtype="float64"),
    "forecast-rnn": dict(task="forecast", cell="rnn", hidden=8, batch_size=16, epochs=2, dtype="float64"),
}


def case(name):
    """A case's run parameters."""
    c = CASES[name]
    return c if c.get("task", "parity") != "parity" else {**PARITY, **c}


def trajectory(name):
    """A case's loss per iteration, test figures and a sample of its final parameters."""
    record = train(RunConfig(**case(name)), launch=Launch(metrics_path=""), progress=False)
    return {"iteration_loss": record["history"]["iteration_loss"], "test": record["test"],
            "params": [float(v) for v in record["model"].flat[:: max(1, record["model"].flat.size // 40)]]}


def _flat(value):
    """Every number of a nested dict or list, in a fixed order."""
    if isinstance(value, dict):
        return [x for k in sorted(value) for x in _flat(value[k])]
    if isinstance(value, list):
        return [x for v in value for x in _flat(v)]
    return [float(value)]


def same(name, want, got):
    """Whether two trajectories of case ``name`` agree within its precision's tolerance."""
    rtol = 1e-5 if CASES[name].get("dtype") == "float32" else 1e-9
    return len(_flat(want)) == len(_flat(got)) and np.allclose(_flat(got), _flat(want), rtol=rtol, atol=1e-12)


def regenerate(path, runs, version=NUMERICS_VERSION):
    """Write ``runs`` as the golden file of ``version``; refuse (ValueError) where the file already holds that
    version and some of its runs moved: such a change needs a bump of lstm_xor.NUMERICS_VERSION first."""
    old = json.loads(path.read_text()) if path.exists() else {"numerics": None, "runs": {}}
    moved = [name for name, got in runs.items()
             if old["numerics"] == version and name in old["runs"] and not same(name, old["runs"][name], got)]
    if moved:
        raise ValueError(f"the numbers of {', '.join(moved)} moved under numerics version {version}: bump "
                         f"lstm_xor.NUMERICS_VERSION before regenerating {path.name}")
    path.write_text(json.dumps({"numerics": version, "runs": runs}, indent=1) + "\n")


def test_the_golden_file_is_of_this_numerics_version():
    golden = json.loads(GOLDEN.read_text())
    assert golden["numerics"] == NUMERICS_VERSION, (
        f"tests/golden.json was made with numerics version {golden['numerics']}, the code says {NUMERICS_VERSION}: "
        "regenerate it with `.venv/bin/python tests/test_golden.py`")
    assert sorted(golden["runs"]) == sorted(CASES)


def test_regenerating_moved_numbers_needs_a_version_bump(tmp_path):
    path, runs = tmp_path / "golden.json", {"parity-lstm": {"iteration_loss": [0.7, 0.6], "test": {"loss": 0.5}}}
    regenerate(path, runs, version=7)
    regenerate(path, runs, version=7)  # the same numbers again: fine
    moved = {"parity-lstm": {"iteration_loss": [0.7, 0.61], "test": {"loss": 0.5}}}
    with pytest.raises(ValueError, match="parity-lstm moved under numerics version 7: bump"):
        regenerate(path, moved, version=7)
    assert json.loads(path.read_text()) == {"numerics": 7, "runs": runs}
    regenerate(path, moved, version=8)
    assert json.loads(path.read_text()) == {"numerics": 8, "runs": moved}


@pytest.mark.parametrize("name", sorted(CASES))
def test_trajectory_matches_the_numerics_version(name):
    golden = json.loads(GOLDEN.read_text())
    assert golden["numerics"] == NUMERICS_VERSION, "see test_the_golden_file_is_of_this_numerics_version"
    assert same(name, golden["runs"][name], trajectory(name)), (
        f"the numbers of {name} moved but lstm_xor.NUMERICS_VERSION ({NUMERICS_VERSION}) did not: bump "
        "it, so that `python -m lstm_xor runs` re-executes the runs whose numbers may have moved, and "
        "regenerate tests/golden.json with `.venv/bin/python tests/test_golden.py`")


if __name__ == "__main__":
    runs = {name: trajectory(name) for name in sorted(CASES)}
    try:
        regenerate(GOLDEN, runs)
    except ValueError as e:
        sys.exit(f"error: {e}")
    print(f"wrote {GOLDEN} for numerics version {NUMERICS_VERSION}: {', '.join(runs)}", file=sys.stderr)
