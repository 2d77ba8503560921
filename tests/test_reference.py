"""The plain reference LSTM (lstm_xor.study.reference) computes what the tuned Model and Adam compute, float64."""

import numpy as np
import pytest

from lstm_xor.nn.model import Model
from lstm_xor.study.reference import NaiveLSTM
from lstm_xor.study.scaling.config import study_config
from lstm_xor.tasks.parity import batch_arrays, make_parity
from lstm_xor.train.loop import Trainer, build_model


def _model_and_strings(hidden=6, n=5):
    model = Model("lstm", 2, hidden, 2, 1, head="every", dtype=np.float64, seed=4)
    data = make_parity(n, 1, 9, seed=2)
    return model, data, [data.bits[j, :data.lengths[j]] for j in range(n)]


def test_weights_go_over_and_back_unchanged():
    model, _, _ = _model_and_strings()
    assert np.array_equal(NaiveLSTM.from_model(model).to_flat(model), model.flat)


def test_forward_gives_the_models_probabilities_at_every_step():
    model, data, strings = _model_and_strings()
    naive = NaiveLSTM.from_model(model)
    x, lengths, y = batch_arrays(data, np.arange(len(strings)), "prefix", np.float64)
    logits, _ = model.forward(x, lengths)
    for k, bits in enumerate(strings):
        caches = naive.forward(bits)
        z = logits[k, :len(bits)]
        want = np.exp(z - z.max(axis=1, keepdims=True))
        np.testing.assert_allclose([s["prob"] for s in caches], want / want.sum(axis=1, keepdims=True), rtol=1e-12)
        assert [s["y"] for s in caches] == list(y[k, :len(bits)])


def test_gradients_are_the_models_on_the_same_batch():
    model, data, strings = _model_and_strings()
    naive = NaiveLSTM.from_model(model)
    x, lengths, y = batch_arrays(data, np.arange(len(strings)), "prefix", np.float64)
    loss, _, _ = model.loss(x, lengths, y, reduction="mean", train=True)
    naive_loss, grads = naive.gradients(strings)
    assert naive_loss == pytest.approx(loss, rel=1e-12)
    np.testing.assert_allclose(naive.to_flat(model, grads), model.grad_flat, rtol=1e-9, atol=1e-14)
    assert np.abs(model.grad_flat).max() > 1e-3, "a gradient that is not zero"


@pytest.mark.parametrize("clip_norm", [0.0, 0.5])
def test_training_steps_are_the_tuned_codes(clip_norm):
    """Same network, loss, clipping and Adam as the Trainer's step: only the way of computing differs."""
    config = study_config(n_samples=400, hidden=12, batch_size=16, dtype="float64", lr=0.05, clip_norm=clip_norm)
    trainer = Trainer(config)
    model, train_set = trainer.model, trainer.splits.train
    naive = NaiveLSTM.from_model(model, lr=config.lr, clip_norm=config.clip_norm)
    start = model.flat.copy()
    for index in trainer.task.batches(config, train_set, 0)[:3]:
        tuned_loss, _ = trainer.step(index, config.lr)
        naive_loss = naive.train_batch([train_set.bits[j, :train_set.lengths[j]] for j in index])
        assert naive_loss == pytest.approx(tuned_loss, rel=1e-12)
    assert np.max(np.abs(naive.to_flat(model) - model.flat)) < 1e-12
    assert np.max(np.abs(model.flat - start)) > 1e-3, "the steps moved the weights"


def test_other_networks_are_refused():
    with pytest.raises(ValueError, match="one-layer LSTM"):
        NaiveLSTM.from_model(build_model(study_config(cell="gru", hidden=4)))
