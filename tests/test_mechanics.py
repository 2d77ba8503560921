"""Report 000's mechanics as run parameters, each off by default: Adam's common slips, the report's labels,
and stopping once the test set is solved."""

import numpy as np
import pytest

from lstm_xor.loop import train
from lstm_xor.optim import Adam
from lstm_xor.tasks.parity import ParitySet, batch_arrays


def _two_steps(variant, reset=False):
    adam = Adam(3, np.float64, variant=variant)
    params = np.array([1.0, -2.0, 0.5])
    grads = [np.array([0.3, -0.1, 2.0]), np.array([-0.2, 0.4, 1.0])]
    for k, g in enumerate(grads):
        if reset and k == 1:
            adam.new_epoch()
        adam.step(params, g, 0.1)
    return params, grads


def _by_hand(grads, correct, eps_inside=False, restart=False):
    b1, b2, eps, lr = 0.9, 0.999, 1e-8, 0.1
    m = v = np.zeros(3)
    params = np.array([1.0, -2.0, 0.5])
    for k, g in enumerate(grads):
        t = 1 if restart and k == 1 else k + 1
        m, v = b1 * m + (1 - b1) * g, b2 * v + (1 - b2) * g * g
        mh, vh = (m / (1 - b1 ** t), v / (1 - b2 ** t)) if correct else (m, v)
        params = params - lr * mh / (np.sqrt(vh + eps) if eps_inside else np.sqrt(vh) + eps)
    return params


@pytest.mark.parametrize("variant, hand", [
    ("standard", dict(correct=True)),
    ("no_bias_correction", dict(correct=False)),
    ("eps_inside_sqrt", dict(correct=True, eps_inside=True)),
])
def test_adam_variants_follow_their_formulas(variant, hand):
    params, grads = _two_steps(variant, reset=True)  # a new epoch between the steps changes none of these
    np.testing.assert_allclose(params, _by_hand(grads, **hand), rtol=1e-12)


def test_epoch_reset_restarts_the_bias_correction_and_so_moves_further():
    params, grads = _two_steps("epoch_reset", reset=True)
    np.testing.assert_allclose(params, _by_hand(grads, correct=True, restart=True), rtol=1e-12)
    assert not np.allclose(params, _by_hand(grads, correct=True))
    with pytest.raises(ValueError, match="bad parameter adam_variant='amsgrad'"):
        Adam(3, np.float64, variant="amsgrad")


def test_exclusive_labels_are_the_parity_of_the_bits_before():
    data = ParitySet(np.array([[1, 1, 0, 1]], dtype=np.uint8), np.array([4]))
    _, _, inclusive = batch_arrays(data, np.arange(1), "prefix", np.float64)
    _, _, exclusive = batch_arrays(data, np.arange(1), "exclusive", np.float64)
    assert inclusive.tolist() == [[1, 0, 0, 1]] and exclusive.tolist() == [[0, 1, 0, 0]]


def _parity(tmp_path, **extra):
    return {**dict(task="parity", n_samples=2000, min_length=8, max_length=8, hidden=16, epochs=20, lr=0.02,
                   metrics_path=str(tmp_path / "run.json")), **extra}


def test_a_run_stops_once_the_test_set_is_solved(tmp_path):
    record = train(_parity(tmp_path, stop_when="sequence_accuracy:1"), progress=False)
    assert record["status"] == "solved" and record["test"]["sequence_accuracy"] == 1.0
    assert record["epochs_completed"] == record["solved_epoch"] < 20
    assert len(record["history"]["test_sequence_accuracy"]) == record["solved_epoch"]
    assert record["history"]["test_sequence_accuracy"][-2] < 1.0  # the first epoch at 100%, not a later one


@pytest.mark.parametrize("params, message", [
    (dict(stop_when="accuracy:1"), "bad parameter stop_when='accuracy:1': expected metric:value with a metric of task"),
    (dict(stop_when="sequence_accuracy"), "bad parameter stop_when='sequence_accuracy': expected metric:value"),
    (dict(optimizer="sgd", adam_variant="epoch_reset"), "bad parameter adam_variant='epoch_reset': expected standard"),
    (dict(labels="inclusive"), "bad parameter labels='inclusive'"),
])
def test_bad_mechanics_are_named_before_training(params, message, tmp_path):
    with pytest.raises(ValueError) as error:
        train(_parity(tmp_path, **params), progress=False)
    assert message in str(error.value)
