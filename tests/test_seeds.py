"""Seeds as an axis of the registry, the aggregates over them (lstm_xor.aggregate), and choices made on
validation figures only."""

import copy
import json
from pathlib import Path

import pytest

from lstm_xor import reports
from lstm_xor.aggregate import (
    best_and_final,
    best_final_text,
    counts_text,
    select_on_validation,
    solved_text,
    spread_text,
    validation_view,
)
from lstm_xor.reports.base import Run, configuration_id, seeded

RUNS = Path(__file__).resolve().parents[1] / "book" / "runs"
BASE = dict(task="parity", min_length=5, max_length=5, n_samples=100, epochs=1)


def test_an_entry_with_seeds_expands_to_one_run_per_seed():
    entry = Run("p-x", "g", "Parity x", dict(hidden=8), base=BASE)
    runs = seeded(entry, 3)
    assert [run.id for run in runs] == ["p-x-s0", "p-x-s1", "p-x-s2"]
    assert [run.config()["seed"] for run in runs] == [0, 1, 2]
    assert runs[2].title == "Parity x, seed 2" and runs[2].config()["hidden"] == 8
    assert [run.id for run in seeded(entry, (3, 7))] == ["p-x-s3", "p-x-s7"]
    assert {configuration_id(run.id) for run in runs} == {"p-x"}


def test_bare_first_keeps_an_entry_that_ran_as_one_seed():
    entry = Run("p-x", "g", "Parity x", dict(hidden=8), base=BASE)
    runs = seeded(entry, 3, bare_first=True)
    assert runs[0] is entry and [run.id for run in runs[1:]] == ["p-x-s1", "p-x-s2"]
    with pytest.raises(ValueError, match="bare_first"):
        seeded(Run("p-y", "g", "y", dict(seed=4), base=BASE), 3, bare_first=True)
    with pytest.raises(ValueError, match="seeds"):
        seeded(entry, (1, 1))


def test_the_registry_ids_stay_unique_and_the_old_single_runs_keep_their_ids():
    ids = [run.id for run in reports.RUNS]
    assert len(ids) == len(set(ids))
    for old in ("add-layers1-lstm", "add-lr5e-2-gru", "add-range-1e10-rnn", "bptt-p20-rnn-s0", "bptt-k5-gru-s1"):
        assert old in reports.BY_ID
    assert reports.BY_ID["add-layers4-lstm-s2"].config()["seed"] == 2
    assert reports.BY_ID["add-layers4-lstm-s2"].config() == dict(reports.BY_ID["add-layers4-lstm"].config(), seed=2)


def test_spread_lists_few_values_and_gives_mean_and_sd_of_more_with_n():
    assert spread_text([0.5, None, 1.0], 3) == "0.500, 1.000 (n = 2 of 3)"
    assert spread_text([1.0, 2.0, 3.0, 4.0]) == "2.500 ± 1.291 (n = 4)"
    assert spread_text([None, None], 2) == "not run yet (n = 0 of 2)"
    assert counts_text([300, None, 500]) == "300, never, 500 (n = 3)"
    assert counts_text([300, None, 500, 700], 5) == "median 500 (300–700), 1 never (n = 4 of 5)"
    assert solved_text([True, False, None], 3) == "solved 1 of 2 (n = 2 of 3)"
    assert solved_text([True, True]) == "solved 2 of 2"
    assert solved_text([], 3) == "not run yet (n = 0 of 3)"


def test_best_and_final_name_the_collapse_of_a_committed_run():
    record = json.loads((RUNS / "bptt-p20-rnn-s0.json").read_text())
    history = record["history"]["test_last_bit_accuracy"]
    bf = best_and_final(history)
    assert (bf["best"], bf["best_epoch"], bf["final_epoch"]) == (1.0, 3, len(history))
    assert bf["final"] == pytest.approx(record["test"]["last_bit_accuracy"]) and bf["collapsed"]
    assert best_final_text(history).endswith("**collapsed**")
    assert not best_and_final([0.5, 0.9, 0.85])["collapsed"]  # a small dip is no collapse
    assert best_and_final([3.0, 1.0, 2.0], higher=False)["collapsed"]  # a loss that rose by 1
    assert best_final_text([0.5, 1.0]) == "1.000 (final, epoch 2)"
    assert best_and_final([]) is None


def _records(choices):
    """Fake records: per choice two seeds, a validation and a test figure each."""
    out = {}
    for choice, (valid, test) in choices.items():
        out[choice] = [{"valid": {"accuracy": v, "loss": 1 - v}, "test": {"accuracy": t, "loss": 1 - t},
                        "history": {"valid_loss": [1.0, 1 - v], "test_accuracy": [0.1, t], "iteration_loss": [1.0]}}
                       for v, t in zip(valid, test, strict=True)]
    return out


def _choose(records):
    return select_on_validation({k: [validation_view(r) for r in recs] for k, recs in records.items()}, "accuracy")


def test_a_choice_on_validation_never_sees_the_test_figures():
    records = _records({"mean": ([0.90, 0.92], [0.99, 0.98]), "last": ([0.95, 0.94], [0.80, 0.81])})
    choice, means = _choose(records)
    assert choice == "last" and means["last"] == pytest.approx(0.945)
    swapped = copy.deepcopy(records)  # the test figures exchanged between the choices, then removed
    swapped["mean"][0]["test"], swapped["last"][0]["test"] = swapped["last"][0]["test"], swapped["mean"][0]["test"]
    assert _choose(swapped) == (choice, means)
    for recs in swapped.values():
        for r in recs:
            del r["test"], r["history"]["test_accuracy"]
    assert _choose(swapped) == (choice, means)
    view = validation_view(records["mean"][0])
    assert "test" not in view and set(view["history"]) == {"valid_loss"}


def test_a_view_that_is_not_a_validation_view_is_refused():
    records = _records({"a": ([0.9], [0.9])})
    with pytest.raises(ValueError, match="validation views"):
        select_on_validation({"a": records["a"]}, "accuracy")
    with pytest.raises(ValueError, match="nothing to choose"):
        select_on_validation({"a": [{"valid": {}, "history": {}}]}, "accuracy")
