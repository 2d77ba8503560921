"""Report 000's mechanics as run parameters, each off by default: Adam's common slips, the report's labels,
its step (5 ranks' batches summed) and data order, its uniform initialisations, and stopping once the test set
is solved."""

import numpy as np
import pytest

from lstm_xor.config import RunConfig
from lstm_xor.data.batching import epoch_batches
from lstm_xor.optim import Adam
from lstm_xor.tasks.parity import ParitySet, batch_arrays, make_parity
from lstm_xor.train.loop import Trainer, build_model, train


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


def test_slips_combine_with_a_plus():
    params, grads = _two_steps("no_bias_correction+eps_inside_sqrt+epoch_reset", reset=True)
    np.testing.assert_allclose(params, _by_hand(grads, correct=False, eps_inside=True), rtol=1e-12)
    for bad in ("epoch_reset+epoch_reset", "standard+epoch_reset", "", "epoch_reset+"):
        with pytest.raises(ValueError, match="joined by '\\+'"):
            Adam(3, np.float64, variant=bad)


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


def test_the_reports_order_gives_each_rank_a_contiguous_share_of_the_sorted_batches_every_epoch():
    lengths = make_parity(1003, 1, 50, seed=0).lengths
    steps = epoch_batches(lengths, 160, "report", seed=0, epoch=0, shards=5)
    assert all(np.array_equal(a, b) for a, b in zip(steps, epoch_batches(lengths, 160, "report", 3, 7, 5),
                                                     strict=True))  # no reshuffle, whatever the seed or epoch
    batches = [b for length in range(1, 51) for b in np.array_split(
        np.flatnonzero(lengths == length), range(32, (lengths == length).sum(), 32))]
    per_rank = len(batches) // 5
    assert len(steps) == per_rank  # the batches that do not divide among the 5 ranks are dropped
    for i in (0, per_rank // 2, per_rank - 1):
        parts = np.split(steps[i], np.cumsum([len(batches[r * per_rank + i]) for r in range(4)]))
        for r, part in enumerate(parts):  # rank r's i-th batch: one length, from the r-th fifth of the order
            assert np.array_equal(part, batches[r * per_rank + i])
    bands = [{int(lengths[steps[0][j]]) for j in range(len(steps[0]))}]
    assert len(bands[0]) == 5  # the first step spans five length bands


@pytest.mark.parametrize("batching", ["grouped", "packed"])
def test_a_step_of_shards_is_shards_batches_drawn_on_their_own(batching):
    lengths = make_parity(10_000, 1, 50, seed=0).lengths
    steps = epoch_batches(lengths, 160, batching, seed=0, epoch=2, shards=5)
    assert np.array_equal(np.sort(np.concatenate(steps)), np.arange(10_000))
    assert max(len(s) for s in steps) == 160
    if batching == "grouped":  # five one-length batches of at most 32, not one batch of 160 of one length
        assert max(len(set(lengths[s])) for s in steps) > 1
        assert np.array_equal(np.concatenate(steps), np.concatenate(epoch_batches(lengths, 32, batching, 0, 2)))


def test_the_reports_step_is_the_sum_of_its_ranks_summed_gradients():
    config = RunConfig(task="parity", n_samples=1000, min_length=1, max_length=20, hidden=8, batch_size=160,
                       shards=5, batching="report", loss_reduction="sum", dtype="float64", clip_norm=0.0)
    trainer = Trainer(config)
    step = trainer.task.batches(config, trainer.splits.train, 0)[0]
    model = trainer.model
    batch = trainer.task.batch(config, trainer.splits.train, step, model.dtype)
    model.loss(batch.x, batch.lengths, batch.y, batch.mask, "sum", train=True)
    together = model.grad_flat.copy()
    apart = np.zeros_like(together)
    lengths = trainer.splits.train.lengths[step]
    ranks = np.split(step, np.flatnonzero(np.diff(lengths)) + 1)  # the ranks' batches: one length each
    assert len(ranks) == 5
    for rank in ranks:  # each rank's own batch, padded to its own length
        b = trainer.task.batch(config, trainer.splits.train, rank, model.dtype)
        model.loss(b.x, b.lengths, b.y, b.mask, "sum", train=True)
        apart += model.grad_flat
    np.testing.assert_allclose(together, apart, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("init, low, high", [("uniform", 0.0, 1.0), ("uniform_symmetric", -1.0, 1.0)])
def test_the_reports_uniform_initialisations(init, low, high):
    weights = build_model(RunConfig(init=init, hidden=50)).flat
    drawn = weights[weights != 0]  # the head's bias starts at zero
    assert drawn.min() >= low and drawn.max() < high
    assert abs(drawn.mean() - (low + high) / 2) < 0.01 and (drawn < (low + high) / 2).mean() > 0.45


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
    (dict(shards=3), "bad parameter shards=3: expected a divisor of batch_size (32)"),
    (dict(batching="sorted"), "bad parameter batching='sorted': expected one of grouped, packed, report"),
    (dict(adam_variant="eps_inside_sqrt+amsgrad"), "bad parameter adam_variant='eps_inside_sqrt+amsgrad'"),
])
def test_bad_mechanics_are_named_before_training(params, message, tmp_path):
    with pytest.raises(ValueError) as error:
        train(_parity(tmp_path, **params), progress=False)
    assert message in str(error.value)
