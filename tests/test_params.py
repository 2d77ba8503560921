"""The facts each parameter carries: what moves a run's numbers (its fingerprint) and what a resumed run may change."""

import json
from pathlib import Path

import pytest

from lstm_xor.config import DEFAULTS, OWNERS, PARAMS, RESUMABLE, numeric_values

RUNS = Path(__file__).resolve().parents[1] / "book" / "runs"


def test_resumable_parameters_follow_from_the_declarations():
    # the set the loop kept by hand before the facts were declared; a change here re-plans shared prefixes
    assert RESUMABLE == {"epochs", "engines", "threads", "metrics_path", "checkpoint_dir", "resume", "stop_patience",
                         "keep_epochs", "eval_lengths", "lr", "lr_schedule"}


def test_numeric_values_leave_out_bookkeeping_other_tasks_and_what_is_switched_off():
    parity = dict(DEFAULTS, task="parity")
    kept = numeric_values(parity)
    assert "min_length" in kept and "digits" not in kept and "engines" not in kept and "threads" not in kept
    assert {"patience", "min_delta", "bptt", "shards", "lag", "stop_when"}.isdisjoint(kept)  # off: moves nothing
    assert numeric_values(dict(parity, patience=3))["min_delta"] == DEFAULTS["min_delta"]  # what it needs is on
    assert numeric_values(dict(parity, bptt="regular"))["bptt"] == "regular"
    assert "stop_patience" in kept  # fingerprinted since the first runs: declaring it 'off' would move them
    assert numeric_values(dict(DEFAULTS, task="adder"))["digits"] == DEFAULTS["digits"]


def test_every_parameter_is_owned_and_bookkeeping_is_resumable():
    for p in PARAMS:
        assert p.name in OWNERS
        assert p.numeric or p.resumable, f"{p.name} moves no number, so a resumed run may change it"
        assert p.off is None or p.off == p.default, f"{p.name}: off by default, so older runs keep their hash"


def _records():
    records = {}
    for path in sorted(RUNS.glob("*.json")):
        record = json.loads(path.read_text())
        if "driver" in record:
            records[path.stem] = record
    return records


@pytest.mark.slow
def test_every_committed_fingerprint_is_recomputed_from_the_registry_and_the_record():
    from lstm_xor.publish.plan import fingerprint, plan
    records = _records()
    assert len(records) >= 400, f"only {len(records)} committed records with a driver block in {RUNS}"
    steps = {step.id: step for step in plan(profile="full")}
    for run_id, record in records.items():
        want = record["driver"]["fingerprint"]
        assert steps[run_id].fingerprint == want, f"{run_id}: the registry's parameters hash differently"
        assert fingerprint(record["config"]) == want, f"{run_id}: the record's own parameters hash differently"
