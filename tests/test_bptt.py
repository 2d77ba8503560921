"""Truncated BPTT: the cuts, the truncated gradient against central differences, randomized truncation's
expected gradient against the full one, and training with each mode."""

import numpy as np
import pytest
from conftest import numerical_grad, rel_error

from lstm_xor.bptt import carry_scale, cuts, run_chunks
from lstm_xor.nn import cells
from lstm_xor.nn.model import Model
from lstm_xor.tasks.base import Batch
from lstm_xor.train.loop import train


def _problem(cell, layers, rng, lengths, D=2, H=3, C=2):
    model = Model(cell, D, H, C, layers, head="every", dtype=np.float64, seed=5)
    model.flat[...] = rng.standard_normal(model.flat.size) * 0.6
    T = int(max(lengths))
    batch = Batch(rng.standard_normal((len(lengths), T, D)), np.array(lengths), rng.integers(0, C, (len(lengths), T)))
    return model, batch


def _chunk_grads(model, batch, chunks, carry=1.0):
    """The sum of the chunks' gradients at fixed parameters (no optimiser step between them), and the loss."""
    counts = [batch.steps(a, b)[0].loss_positions(True) for a, b in chunks]
    total, loss = np.zeros_like(model.flat), 0.0
    for chunk_loss in run_chunks(model, batch, chunks, counts, "sum", carry):
        total += model.grad_flat
        loss += chunk_loss
    return total, loss


def test_cuts_cover_the_steps_in_order():
    assert cuts(7, "full") == [(0, 7)]
    assert cuts(7, "regular", k=3) == [(0, 3), (3, 6), (6, 7)]
    assert cuts(7, "regular", k=7) == [(0, 7)]
    pieces = cuts(1000, "randomized", p=0.1, rng=np.random.default_rng(0))
    assert pieces[0][0] == 0 and pieces[-1][1] == 1000
    assert all(b == c for (_, b), (c, _) in zip(pieces, pieces[1:], strict=False)) and all(a < b for a, b in pieces)
    assert 60 < len(pieces) < 140  # about 1 + 999 * 0.1 cuts
    assert carry_scale("randomized", 0.2) == pytest.approx(1.25) and carry_scale("regular") == 1.0
    with pytest.raises(ValueError, match="bad parameter bptt='sometimes'"):
        cuts(7, "sometimes")


@pytest.mark.parametrize("layers", [1, 2])
@pytest.mark.parametrize("cell", cells.CELLS)
def test_one_chunk_of_every_step_is_full_bptt(cell, layers):
    rng = np.random.default_rng([layers, len(cell)])
    model, batch = _problem(cell, layers, rng, [5, 3, 5, 1])
    full_loss, _, _ = model.loss(batch.x, batch.lengths, batch.y, reduction="sum")
    full = model.grad_flat.copy()
    grads, loss = _chunk_grads(model, batch, cuts(5, "regular", k=5))
    assert loss == pytest.approx(full_loss, rel=1e-13)
    np.testing.assert_allclose(grads, full, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("mixed", [False, True], ids=["fixed", "mixed"])
@pytest.mark.parametrize("layers", [1, 2])
@pytest.mark.parametrize("cell", cells.CELLS)
def test_regular_truncation_is_the_gradient_of_the_truncated_graph(cell, layers, mixed):
    """Central differences of sum_c loss_c(theta; s_c), where s_c, the state carried into chunk c, is held at
    its value under the unperturbed parameters: the graph with the carried state detached."""
    rng = np.random.default_rng([layers, len(cell), mixed])
    model, batch = _problem(cell, layers, rng, [7, 4, 6] if mixed else [7, 7, 7])
    chunks = cuts(7, "regular", k=3)
    grads, _ = _chunk_grads(model, batch, chunks)
    starts = []  # each chunk's rows and carried state, from a forward over the steps before it
    for a, b in chunks:
        part, active = batch.steps(a, b)
        state = None
        if a:
            before = batch.rows(active)
            _, state = model.forward(before.x[:, :a], np.minimum(before.lengths, a))
        starts.append((part, state))

    def f():
        return sum(model.loss(part.x, part.lengths, part.y, reduction="sum", state=state, backward=False)[0]
                   for part, state in starts)

    numeric = numerical_grad(f, model.flat)
    assert rel_error(grads, numeric) < 1e-7
    model.loss(batch.x, batch.lengths, batch.y, reduction="sum")
    assert rel_error(grads, model.grad_flat) > 1e-3  # truncation did change the gradient


@pytest.mark.parametrize("cell", cells.CELLS)
def test_randomized_truncation_is_unbiased_and_without_its_factor_is_not(cell):
    """The mean of many randomized-truncation gradients is the full gradient, within 4.5 standard errors of
    the sample in every parameter; the same cuts without the 1/(1 - p) factor miss it by far more."""
    rng = np.random.default_rng(len(cell))
    model, batch = _problem(cell, 1, rng, [10, 8], H=2)
    model.loss(batch.x, batch.lengths, batch.y, reduction="sum")
    full = model.grad_flat.copy()
    p, draws = 0.25, np.random.default_rng(7)
    samples = {carry: [] for carry in (carry_scale("randomized", p), 1.0)}
    for _ in range(DRAWS):
        chunks = cuts(10, "randomized", p=p, rng=draws)
        for carry, kept in samples.items():
            kept.append(_chunk_grads(model, batch, chunks, carry)[0])
    z = {}
    for carry, kept in samples.items():
        kept = np.array(kept)
        error = np.abs(kept.mean(axis=0) - full)
        standard = kept.std(axis=0, ddof=1) / np.sqrt(len(kept)) + 1e-12
        z[carry] = (error / standard).max()
    assert z[carry_scale("randomized", p)] < 4.5
    assert z[1.0] > 10


DRAWS = 1000


def _parity(**extra):
    return {**dict(task="parity", n_samples=300, min_length=1, max_length=12, hidden=8, layers=2, epochs=2,
                   batch_size=16, dtype="float64"), **extra}


def test_a_chunk_as_long_as_the_longest_string_trains_as_full_bptt(tmp_path):
    fixed = dict(min_length=12)
    full = train(_parity(metrics_path=str(tmp_path / "a.json"), **fixed), progress=False)
    chunked = train(_parity(bptt="regular", bptt_k=12, metrics_path=str(tmp_path / "b.json"), **fixed),
                    progress=False)
    np.testing.assert_allclose(chunked["history"]["iteration_loss"], full["history"]["iteration_loss"], rtol=1e-10)
    np.testing.assert_allclose(chunked["model"].flat, full["model"].flat, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("extra", [dict(bptt="regular", bptt_k=3), dict(bptt="randomized", bptt_p=0.3)])
def test_truncated_training_takes_a_step_per_chunk_and_learns(extra, tmp_path):
    record = train(_parity(metrics_path=str(tmp_path / "run.json"), **extra), progress=False)
    full = train(_parity(metrics_path=str(tmp_path / "full.json")), progress=False)
    assert record["status"] == "completed" and len(record["history"]["iteration_loss"]) == 2 * 240 // 16
    assert not np.allclose(record["model"].flat, full["model"].flat)  # more steps, other gradients
    assert record["history"]["epoch_loss"][-1] < record["history"]["epoch_loss"][0]


@pytest.mark.parametrize("params, message", [
    (dict(bptt="regular"), "bad parameter bptt_k=0: expected a chunk length >= 1 with bptt regular"),
    (dict(bptt="randomized"), "bad parameter bptt_p=0.0: expected a probability in (0, 1) with bptt randomized"),
    (dict(bptt="randomized", bptt_p=1.0), "bad parameter bptt_p=1.0"),
    (dict(bptt_k=5), "bad parameter bptt_k=5: expected 0 with bptt full"),
    (dict(bptt="regular", bptt_k=13), "bad parameter bptt_k=13: expected at most the longest training sequence (12"),
    (dict(bptt="often"), "bad parameter bptt='often': expected one of full, regular, randomized"),
    (dict(labels="delay"), "bad parameter lag=0: expected an integer >= 1 with labels delay"),
    (dict(lag=3), "bad parameter lag=3: expected an integer >= 1 with labels delay or recall, and 0 otherwise"),
    (dict(bptt="regular", bptt_k=3, labels="final"), "bad parameter bptt='regular': task parity reads one output"),
])
def test_bad_truncation_parameters_are_named_before_training(params, message, tmp_path):
    with pytest.raises(ValueError) as error:
        train(_parity(metrics_path=str(tmp_path / "run.json"), **params), progress=False)
    assert message in str(error.value)
    assert not (tmp_path / "run.json").exists()


def test_delay_labels_are_the_bit_delay_steps_earlier():
    from lstm_xor.tasks.parity import ParitySet, batch_arrays
    data = ParitySet(np.array([[1, 0, 1, 1, 0], [0, 1, 1, 0, 0]], dtype=np.uint8), np.array([5, 3]))
    x, lengths, y = batch_arrays(data, np.arange(2), "delay", np.float64, lag=2)
    np.testing.assert_array_equal(y, [[0, 0, 1, 0, 1], [0, 0, 0, 1, 1]])  # past a length: the zeros of padding
    assert x.shape == (2, 5, 2) and list(lengths) == [5, 3]


def test_recall_labels_only_the_last_step_with_the_bit_lag_steps_before_it():
    from lstm_xor.config import RunConfig
    from lstm_xor.tasks.parity import TASK, ParitySet
    config = RunConfig(task="parity", labels="recall", lag=3, min_length=4, max_length=5)
    data = ParitySet(np.array([[1, 0, 1, 1, 0], [0, 1, 1, 0, 0]], dtype=np.uint8), np.array([5, 4]))
    batch = TASK.batch(config, data, np.arange(2), np.float64)
    np.testing.assert_array_equal(batch.labelled(), [[0, 0, 0, 0, 1], [0, 0, 0, 1, 0]])
    assert [batch.y[0, 4], batch.y[1, 3]] == [0, 0]  # bits 1 and 0: three steps before each last step
    assert batch.loss_positions(True) == 2
    wrong_before_the_end = np.eye(2)[1 - batch.y]  # every prediction wrong: only the labelled steps count
    wrong_before_the_end[0, 4], wrong_before_the_end[1, 3] = np.eye(2)[batch.y[0, 4]], np.eye(2)[batch.y[1, 3]]
    np.testing.assert_array_equal(TASK.tally(wrong_before_the_end, batch), [2, 2, 2])
    with pytest.raises(ValueError, match="bad parameter lag=4: expected less than min_length"):
        RunConfig(task="parity", labels="recall", lag=4, min_length=4, max_length=5)
    with pytest.raises(ValueError, match="bad parameter curriculum_epochs=1.0: expected 0 with labels recall"):
        RunConfig(task="parity", labels="recall", lag=3, min_length=4, max_length=5, curriculum_epochs=1.0)


def test_truncation_shorter_than_the_delay_cannot_learn_it_and_randomized_can(tmp_path):
    """Labels 4 steps back: chunks of 2 never see a label's bit in the same chunk, so the loss stays near
    chance (log 2 = 0.69); randomized cuts with mean chunk 1/p = 4 reach every dependence, in expectation."""
    base = _parity(labels="delay", lag=4, min_length=16, max_length=16, n_samples=1500, layers=1, hidden=16,
                   epochs=4, lr=0.02)
    regular = train(dict(base, bptt="regular", bptt_k=2, metrics_path=str(tmp_path / "a.json")), progress=False)
    randomized = train(dict(base, bptt="randomized", bptt_p=0.25, metrics_path=str(tmp_path / "b.json")),
                       progress=False)
    assert regular["test"]["loss"] > 0.45
    assert randomized["test"]["loss"] < 0.2


@pytest.mark.parametrize("layers", [1, 2])
@pytest.mark.parametrize("cell", cells.CELLS)
def test_state_gradients_and_their_norms_against_central_differences(cell, layers):
    from lstm_xor.bptt import state_gradient_norms
    rng = np.random.default_rng([layers, len(cell), 9])
    model, batch = _problem(cell, layers, rng, [6, 6, 6])
    t = 2
    _, state = model.forward(batch.x[:, :t], np.full(3, t))
    state = [tuple(np.array(s) for s in layer) for layer in state]
    last = np.zeros(batch.y.shape, dtype=bool)
    last[:, -1] = True

    def f():
        return model.loss(batch.x[:, t:], batch.lengths - t, batch.y[:, t:], last[:, t:], reduction="sum",
                          state=state, backward=False)[0]

    model.loss(batch.x[:, t:], batch.lengths - t, batch.y[:, t:], last[:, t:], reduction="sum", state=state)
    analytic = model.state_grads
    norms = state_gradient_norms(model, batch, [t])[0]
    for k in range(layers):
        for j, s in enumerate(state[k]):
            assert rel_error(analytic[k][j], numerical_grad(f, s)) < 1e-7, (k, j)
        assert norms[k] == pytest.approx(np.linalg.norm(analytic[k][0]) / np.sqrt(3), rel=1e-12)
    with pytest.raises(ValueError, match="a start of 6"):
        state_gradient_norms(model, batch, [6])


def test_a_run_records_the_state_gradient_norms_before_and_after_training(tmp_path):
    from lstm_xor.bptt import state_gradient_norms
    from lstm_xor.config import split
    from lstm_xor.tasks.parity import TASK
    from lstm_xor.train.loop import build_model
    values = _parity(min_length=12, gradient_distances="1,5,11", metrics_path=str(tmp_path / "run.json"))
    record = train(values, progress=False)
    found = record["state_gradients"]
    assert found["distances"] == [1, 5, 11] and found["length"] == 12
    config = split(values)[0]
    test = TASK.splits(config).test
    batch = TASK.batch(config, test, np.arange(len(test)), np.float64)  # 60 test strings: fewer than 64
    np.testing.assert_allclose(found["initial"], state_gradient_norms(build_model(config), batch, [11, 7, 1]))
    np.testing.assert_allclose(found["trained"], state_gradient_norms(record["model"], batch, [11, 7, 1]))
    assert np.shape(found["trained"]) == (3, 2)  # distances x layers
    with pytest.raises(ValueError, match="bad parameter gradient_distances='12'"):
        train(dict(values, gradient_distances="12"), progress=False)
    with pytest.raises(ValueError, match="bad parameter gradient_distances='3'"):
        train(dict(values, gradient_distances="3", min_length=1), progress=False)  # mixed lengths
