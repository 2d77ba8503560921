"""probe_every: the held-out sample's metrics between epochs and the wrong positions after training, with
training itself unchanged."""

import numpy as np
import pytest

from lstm_xor.tasks.base import Batch
from lstm_xor.tasks.parity import TASK as PARITY
from lstm_xor.train.loop import train
from lstm_xor.train.probe import PROBE_SEQUENCES

TINY = dict(task="parity", n_samples=400, min_length=2, max_length=6, hidden=8, batch_size=16, epochs=2,
            lr=0.01, metrics_path="")


def test_a_probed_run_trains_exactly_as_an_unprobed_one_and_probes_on_schedule():
    plain = train(dict(TINY), progress="none")
    probed = train(dict(TINY, probe_every=7), progress="none")
    np.testing.assert_array_equal(plain["model"].flat, probed["model"].flat)
    h = probed["history"]
    steps = len(h["iteration_loss"])
    assert h["iteration_loss"] == plain["history"]["iteration_loss"]
    assert h["probe_iteration"] == list(range(7, steps + 1, 7))
    assert len(h["probe_sequence_accuracy"]) == len(h["probe_iteration"]) == len(h["probe_last_bit_accuracy"])
    assert "probe_iteration" not in plain["history"] and "position_errors" not in plain


def test_the_last_probe_on_an_epoch_boundary_is_the_test_metric_of_the_sample():
    record = train(dict(TINY, probe_every=1), progress="none")
    n_test = record["test"]["n"]
    assert n_test < PROBE_SEQUENCES  # the sample is then the whole test split
    assert record["history"]["probe_sequence_accuracy"][-1] == record["test"]["sequence_accuracy"]


def test_position_errors_count_every_wrong_position_of_every_wrong_string():
    record = train(dict(TINY, probe_every=50), progress="none")
    errors, test = record["position_errors"], record["test"]
    assert len(errors["wrong_at"]) == len(errors["wrong_count"]) == TINY["max_length"]
    assert sum(errors["wrong_count"]) == test["n"] - test["correct_sequences"]  # every wrong string, once
    assert sum(errors["wrong_at"]) == sum(k * c for k, c in enumerate(errors["wrong_count"], 1))
    assert errors["wrong_at"][-1] <= test["n"] - test["correct_last_bit"]  # the last position of 6-bit strings


def test_the_profile_of_a_hand_made_batch():
    batch = Batch(np.zeros((3, 3, 2)), np.array([3, 2, 3]), np.array([[0, 1, 1], [1, 1, 0], [0, 0, 0]]))
    pred = np.array([[0, 0, 0], [0, 1, 1], [0, 0, 0]])  # wrong: the first string at 2 and 3, the second at 1
    outputs = np.eye(2)[pred]
    counts = PARITY.position_errors(outputs, batch, 4)
    np.testing.assert_array_equal(counts, [1, 1, 1, 0, 1, 1, 0, 0])


@pytest.mark.parametrize("params", [dict(probe_every=-1)])
def test_a_negative_probe_interval_is_refused_by_name(params):
    with pytest.raises(ValueError, match="bad parameter probe_every=-1: expected a number >= 0"):
        train(dict(TINY, **params), progress="none")
