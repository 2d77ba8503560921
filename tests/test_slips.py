"""The slips of a hand-written LSTM as run parameters: each changes the gradient or the step exactly as its name
says, off is bit-identical to today, and a bad value is refused by name."""

import json
from pathlib import Path

import numpy as np
import pytest

from lstm_xor.config import RunConfig
from lstm_xor.nn import cells, slips
from lstm_xor.optim import Adam, clip_values
from lstm_xor.train.loop import Trainer, train

SUMMARY = Path(__file__).resolve().parents[1] / "book" / "summary" / "slip_gradients.json"
CLOSE = {"rtol": 1e-10, "atol": 1e-12}
TINY = dict(task="parity", n_samples=200, hidden=6, min_length=1, max_length=8, epochs=2, batch_size=16,
            metrics_path="", clip_norm=0.0, lr=0.01)


def _config(**params):
    return RunConfig(**dict({k: v for k, v in TINY.items() if k != "metrics_path"}, **params))


def _sig(z):
    return 1.0 / (1.0 + np.exp(-z))


def _lstm(T, H=3, D=2, N=4, seed=0, lengths=None):
    """Weights, inputs, initial state and a forward's cache for a small float64 LSTM."""
    rng = np.random.default_rng(seed)
    W = rng.standard_normal((4 * H, D + 1 + H)) * 0.7
    x = rng.standard_normal((T, D, N))
    state = (rng.standard_normal((H, N)), rng.standard_normal((H, N)))
    lengths = np.full(N, T) if lengths is None else np.asarray(lengths)
    batch_sizes = cells.batch_sizes_from_lengths(lengths, T)
    h, final, cache = cells.lstm_forward(W, x, batch_sizes, state)
    return W, x, state, cache, rng.standard_normal(h.shape)


def _one_step_by_hand(W, x, state, dh):
    """One LSTM step (rows g, f, i, o) written out: dz (4H, N), dc before the forget gate (H, N)."""
    H = W.shape[1] - 1 - x.shape[1]
    h0, c0 = state
    a = W @ np.concatenate([x[0], np.ones((1, x.shape[2])), h0])
    g, f, i, o = np.tanh(a[:H]), _sig(a[H:2 * H]), _sig(a[2 * H:3 * H]), _sig(a[3 * H:])
    c = f * c0 + i * g
    dc = dh * o * (1 - np.tanh(c) ** 2)
    dz = np.concatenate([dc * i * (1 - g * g), dc * c0 * f * (1 - f), dc * g * i * (1 - i),
                         dh * np.tanh(c) * o * (1 - o)])
    return dz, dc, f


# -- the slipped backward passes --------------------------------------------------

@pytest.mark.parametrize("cell", ["lstm", "rnn"])
def test_the_readable_backward_without_a_slip_equals_the_fast_one(cell):
    rng = np.random.default_rng(3)
    H, D, N, T = 4, 2, 5, 7
    W = rng.standard_normal((cells.GATES[cell] * H, D + 1 + H)) * 0.6
    x = rng.standard_normal((T, D, N))
    batch_sizes = cells.batch_sizes_from_lengths(np.array([7, 7, 5, 3, 1]), T)
    forward = cells.lstm_forward if cell == "lstm" else cells.rnn_forward
    h, final, cache = forward(W, x, batch_sizes)
    dh = rng.standard_normal(h.shape)
    dfinal = tuple(rng.standard_normal(s.shape) for s in final)
    slow = slips.BACKWARDS[cell](dh, dfinal, cache, frozenset(), carry=0.8)
    fast = (cells.lstm_backward if cell == "lstm" else cells.rnn_backward)(dh, dfinal, cache, carry=0.8)
    for a, b in zip(slow[:2], fast[:2], strict=True):
        np.testing.assert_allclose(a, b, **CLOSE)
    for a, b in zip(slow[2], fast[2], strict=True):
        np.testing.assert_allclose(a, b, **CLOSE)


def test_recurrent_not_transposed_is_each_gate_block_untransposed():
    W, x, state, cache, dh = _lstm(T=1)
    H = 3
    dz, dc, f = _one_step_by_hand(W, x, state, dh[0])
    Wh = W[:, -H:]
    _, _, (dh0, _) = slips.lstm_backward(dh, None, cache, {"recurrent_not_transposed"})
    np.testing.assert_allclose(dh0, sum(Wh[k * H:(k + 1) * H] @ dz[k * H:(k + 1) * H] for k in range(4)), **CLOSE)
    _, _, (true_dh0, _) = cells.lstm_backward(dh, None, cache)
    np.testing.assert_allclose(true_dh0, Wh.T @ dz, **CLOSE)
    assert not np.allclose(dh0, true_dh0)


def test_recurrent_not_transposed_in_the_rnn():
    rng = np.random.default_rng(2)
    W, x = rng.standard_normal((3, 6)), rng.standard_normal((1, 2, 4))
    h, _, cache = cells.rnn_forward(W, x, [4, 4, 4, 4][:1])
    dh = rng.standard_normal(h.shape)
    _, _, (dh0,) = slips.rnn_backward(dh, None, cache, {"recurrent_not_transposed"})
    np.testing.assert_allclose(dh0, W[:, 3:] @ (dh[0] * (1 - h[0] ** 2)), **CLOSE)


@pytest.mark.parametrize("slip", ["no_carried_dc", "dc_without_forget", "no_carried_dh"])
def test_a_carry_slip_leaves_one_step_alone_and_changes_longer_sequences(slip):
    for T, same in ((1, True), (4, False)):
        W, x, state, cache, dh = _lstm(T)
        _, dW, _ = slips.lstm_backward(dh, None, cache, {slip})
        _, true_dW, _ = cells.lstm_backward(dh, None, cache)
        assert np.allclose(dW, true_dW, **CLOSE) == same, (slip, T)


def test_what_each_carry_slip_hands_to_the_step_before():
    W, x, state, cache, dh = _lstm(T=1)
    dz, dc, f = _one_step_by_hand(W, x, state, dh[0])
    carried = {slip: slips.lstm_backward(dh, None, cache, {slip})[2]
               for slip in ("no_carried_dc", "dc_without_forget", "no_carried_dh")}
    np.testing.assert_allclose(cells.lstm_backward(dh, None, cache)[2][1], dc * f, **CLOSE)
    assert not carried["no_carried_dc"][1].any()
    np.testing.assert_allclose(carried["dc_without_forget"][1], dc, **CLOSE)
    assert not carried["no_carried_dh"][0].any()
    np.testing.assert_allclose(carried["no_carried_dh"][1], dc * f, **CLOSE)


def test_without_any_carry_only_the_last_step_of_a_loss_at_the_end_has_a_gradient():
    W, x, state, cache, dh = _lstm(T=3)
    dh[:2] = 0.0  # a loss at the last step only
    _, dW, _ = slips.lstm_backward(dh, None, cache, {"no_carried_dh", "no_carried_dc"})
    h, _, _ = cells.lstm_forward(W, x[:2], [4, 4], state)  # the state the last step starts from
    G8 = cache[-1].reshape(4, 6, 3, 4)
    last = (h[-1], G8[2, 0])
    _, _, cache1 = cells.lstm_forward(W, x[2:], [4], last)
    np.testing.assert_allclose(dW, cells.lstm_backward(dh[2:], None, cache1)[1], **CLOSE)


def test_the_model_makes_its_cell_slips_and_the_loop_keeps_the_buffer_slip():
    config = _config(backprop_slip="no_carried_dc+grads_not_zeroed")
    trainer = Trainer(config)
    assert trainer.model.backprop_slips == {"no_carried_dc"}
    batch = trainer.task.batch(config, trainer.splits.train, np.arange(16), trainer.model.dtype)
    grads = []
    for slipped in ({"no_carried_dc"}, frozenset()):
        trainer.model.backprop_slips = slipped
        trainer.model.loss(batch.x, batch.lengths, batch.y, reduction="sum")
        grads.append(trainer.model.grad_flat.copy())
    assert not np.allclose(*grads)


# -- grads_not_zeroed, in the loop ------------------------------------------------

def test_grads_not_zeroed_steps_with_the_sum_of_every_true_gradient_so_far():
    config = _config(backprop_slip="grads_not_zeroed")
    trainer = Trainer(config)
    used, true = [], []
    inner = trainer.optimizer.optimizer
    step = inner.step
    inner.step = lambda params, grad, lr: (used.append(grad.copy()), step(params, grad, lr))
    batches = trainer.task.batches(config, trainer.splits.train, 0)
    for index in batches[:4]:
        trainer.step(index, 0.01)
        true.append(trainer.model.grad_flat.copy())
    for k in range(4):
        np.testing.assert_allclose(used[k], np.sum(true[:k + 1], axis=0), rtol=1e-5, atol=1e-6)
    assert not np.allclose(used[3], true[3])
    assert "grad_sum" in trainer.optimizer.state()


def test_grads_not_zeroed_resumes_as_if_it_never_stopped(tmp_path):
    run = dict(TINY, backprop_slip="grads_not_zeroed", epochs=2, checkpoint_dir=str(tmp_path / "c"))
    whole = train(dict(run, epochs=2, checkpoint_dir=""), progress="none")["model"].flat.copy()
    train(dict(run, epochs=1), progress="none")
    resumed = train(dict(run, resume=True), progress="none")["model"].flat
    np.testing.assert_array_equal(resumed, whole)


# -- Adam's slips --------------------------------------------------------------------

GRADS = [np.array([0.3, -0.1, 2.0]), np.array([-0.2, 0.4, 1.0]), np.array([0.5, 0.5, -3.0])]


def _run(adam, epochs_of_steps=((0, False),) * 3):
    params = np.array([1.0, -2.0, 0.5])
    for g, (epoch, changed) in zip(GRADS, epochs_of_steps, strict=True):
        if epoch is not None:
            adam.new_epoch(epoch, changed)
        adam.step(params, g, 0.1)
    return params


def _by_hand(b1=0.9, b2=0.999, counts=(1, 2, 3), root=True, restart_at=None):
    m = v = np.zeros(3)
    params = np.array([1.0, -2.0, 0.5])
    for k, (g, t) in enumerate(zip(GRADS, counts, strict=True)):
        if k == restart_at:
            m = v = np.zeros(3)
        m, v = b1 * m + (1 - b1) * g, b2 * v + (1 - b2) * g * g
        mh, vh = m / (1 - b1 ** t), v / (1 - b2 ** t)
        params = params - 0.1 * mh / ((np.sqrt(vh) if root else vh) + 1e-8)
    return params


def test_betas_swapped_is_standard_adam_with_the_betas_exchanged():
    np.testing.assert_allclose(_run(Adam(3, np.float64, variant="betas_swapped")),
                               _run(Adam(3, np.float64, beta1=0.999, beta2=0.9)), rtol=1e-14)
    np.testing.assert_allclose(_run(Adam(3, np.float64, variant="betas_swapped")), _by_hand(0.999, 0.9), rtol=1e-12)


def test_no_sqrt_divides_by_the_second_moment_itself():
    np.testing.assert_allclose(_run(Adam(3, np.float64, variant="no_sqrt")), _by_hand(root=False), rtol=1e-12)


def test_schedule_restart_loses_the_state_exactly_at_a_change_of_rate():
    adam = Adam(3, np.float64, variant="schedule_restart")
    params = _run(adam, ((0, False), (1, False), (2, True)))
    np.testing.assert_allclose(params, _by_hand(counts=(1, 2, 1), restart_at=2), rtol=1e-12)
    kept = _run(Adam(3, np.float64, variant="schedule_restart"), ((0, False), (1, False), (2, False)))
    np.testing.assert_allclose(kept, _by_hand(), rtol=1e-12)


def test_the_loop_tells_the_optimiser_where_the_schedule_changes(monkeypatch):
    calls = []
    monkeypatch.setattr(Adam, "new_epoch", lambda self, epoch=0, lr_changed=False: calls.append((epoch, lr_changed)))
    train(dict(TINY, epochs=4, lr_schedule="0:0.01,2:0.001,3:0.001"), progress="none")
    assert calls == [(0, False), (1, False), (2, True), (3, False)]


def test_reference_step_counts_epoch_times_epochs_plus_batch_plus_one():
    adam = Adam(3, np.float64, variant="reference_step", reference_epochs=20)
    params = _run(adam, ((0, False), (None, None), (1, False)))  # batches 0, 1 of epoch 0, then batch 0 of epoch 1
    np.testing.assert_allclose(params, _by_hand(counts=(1, 2, 21)), rtol=1e-12)
    with pytest.raises(ValueError, match="reference_epochs"):
        Adam(3, np.float64, variant="reference_step")


def test_the_first_steps_of_a_later_epoch_shrink_under_reference_step():
    # after many steps the moments are near their running values; a count of epoch * epochs + 1 corrects them
    # as if few steps had been taken: the step shrinks by about sqrt(1 - b2^t) / (1 - b1^t) at t = 21
    rng = np.random.default_rng(0)
    grads = [rng.standard_normal(50) + 1.0 for _ in range(500)]
    sizes = {}
    for variant, epochs in (("standard", 0), ("reference_step", 20)):
        adam, params = Adam(50, np.float64, variant=variant, reference_epochs=epochs), np.zeros(50)
        adam.new_epoch(0)
        for g in grads:
            adam.step(params, g, 0.1)
        adam.new_epoch(1)
        before = params.copy()
        adam.step(params, grads[0], 0.1)
        sizes[variant] = np.abs(params - before).mean()
    assert 3.0 < sizes["standard"] / sizes["reference_step"] < 6.0


# -- clip_value ------------------------------------------------------------------------

def test_clip_value_clips_each_element_then_the_norm_and_reports_the_norm_before():
    g = np.array([7.0, -0.5, -9.0, 3.0])
    norm = clip_values(g, 5.0, 0.0)
    np.testing.assert_array_equal(g, [5.0, -0.5, -5.0, 3.0])
    assert norm == pytest.approx(np.sqrt(49 + 0.25 + 81 + 9))
    g = np.array([7.0, -0.5, -9.0, 3.0])
    clip_values(g, 5.0, 1.0)
    np.testing.assert_allclose(g, np.array([5.0, -0.5, -5.0, 3.0]) / np.sqrt(25 + 0.25 + 25 + 9))
    g = np.array([np.nan, 1.0])
    assert np.isnan(clip_values(g, 5.0, 0.0))  # a non-finite gradient still marks the step diverged


def test_clip_value_in_the_loop_clips_the_summed_gradient(monkeypatch):
    config = _config(clip_value=1e-3)
    trainer = Trainer(config)
    used = []
    step = trainer.optimizer.step
    trainer.optimizer.step = lambda params, grad, lr: (used.append(grad.copy()), step(params, grad, lr))
    trainer.step(trainer.task.batches(config, trainer.splits.train, 0)[0], 0.01)
    np.testing.assert_array_equal(used[0], np.clip(trainer.model.grad_flat, -1e-3, 1e-3))
    assert (np.abs(trainer.model.grad_flat) > 1e-3).any()


# -- the reference code's other habits -------------------------------------------------

def test_scratchml_init_draws_as_the_reference_code_does():
    from lstm_xor.nn.model import Model
    model = Model("lstm", 2, 100, 2, seed=0, init="scratchml", dtype=np.float64)
    W, H, D = model.params["l0.W"], 100, 2
    f = cells.LSTM_GATE_ORDER.index("f")
    bias = W[:, D]
    assert (bias[f * H:(f + 1) * H] == 1.0).all() and not np.delete(bias, np.s_[f * H:(f + 1) * H]).any()
    weights = np.delete(W, D, axis=1)
    assert weights.std() == pytest.approx(1 / np.sqrt(D + H), rel=0.02)
    assert weights[:, D:].std() == pytest.approx(weights[:, :D].std(), rel=0.1)  # recurrent like input
    assert model.params["head.W"].std() == pytest.approx(1 / np.sqrt(2), rel=0.15)
    assert not model.params["head.b"].any()


def _spied_trainer(**params):
    config = _config(**params)
    trainer = Trainer(config)
    seen = []
    loss = trainer.model.loss

    def spy(*args, **kw):
        out = loss(*args, **kw)
        seen.append((kw.get("state"), [tuple(a.copy() for a in layer) for layer in out[2]]))
        return out
    trainer.model.loss = spy
    return config, trainer, seen


def test_carry_state_starts_each_batch_where_the_last_ended_and_each_epoch_from_zero():
    from lstm_xor.tasks.base import Step
    config, trainer, seen = _spied_trainer(carry_state=True)
    batches = trainer.task.batches(config, trainer.splits.train, 0)
    rng = np.random.default_rng(0)
    for epoch in range(2):
        for i, index in enumerate(batches[:3]):
            trainer.step(index, 0.01, Step(epoch, i, len(batches), rng))
    assert seen[0][0] is None and seen[3][0] is None  # each epoch's first batch starts from zero
    for k in (1, 2, 4, 5):
        for a, b in zip(seen[k][0][0], seen[k - 1][1][0], strict=True):
            np.testing.assert_array_equal(a, b)
    config, trainer, seen = _spied_trainer()
    trainer.step(batches[0], 0.01, Step(0, 1, len(batches), rng))
    assert seen[0][0] is None  # off: every batch from zero


def test_drop_last_batch_skips_each_epochs_last_batch():
    full = train(dict(TINY), progress="none")["history"]["iteration_loss"]
    dropped = train(dict(TINY, drop_last_batch=True), progress="none")["history"]["iteration_loss"]
    per_epoch = len(full) // 2
    assert len(dropped) == len(full) - 2
    assert dropped[:per_epoch - 1] == full[:per_epoch - 1]


# -- off is today's run, bad values are refused --------------------------------------

def test_off_values_give_the_same_parameters_as_absent_ones():
    absent = train(dict(TINY), progress="none")["model"].flat
    off = train(dict(TINY, backprop_slip="none", clip_value=0.0, adam_variant="standard", reference_epochs=0,
                     carry_state=False, drop_last_batch=False), progress="none")["model"].flat
    np.testing.assert_array_equal(absent, off)
    slipped = train(dict(TINY, backprop_slip="recurrent_not_transposed"), progress="none")["model"].flat
    assert not np.array_equal(absent, slipped)


@pytest.mark.parametrize("params, match", [
    (dict(backprop_slip="no_carried_dc", cell="gru"), "backprop_slip='no_carried_dc': with cell gru expected none"),
    (dict(backprop_slip="dc_without_forget", cell="rnn"), "with cell rnn expected none, or one or more of "
                                                          "recurrent_not_transposed, no_carried_dh, grads_not_zeroed"),
    (dict(backprop_slip="transposed"), "backprop_slip='transposed': expected none, or one or more of"),
    (dict(backprop_slip="no_carried_dh+no_carried_dh"), "backprop_slip"),
    (dict(backprop_slip=""), "backprop_slip"),
    (dict(adam_variant="no_sqrt+sqrt"), "adam_variant='no_sqrt\\+sqrt': expected standard, or one or more of"),
    (dict(adam_variant="reference_step+epoch_reset", reference_epochs=3), "cannot be combined"),
    (dict(adam_variant="reference_step"), "reference_epochs=0: expected a number of epochs >= 1"),
    (dict(reference_epochs=20), "reference_epochs=20: expected a number of epochs >= 1 with adam_variant"),
    (dict(clip_value=-5.0), "clip_value=-5.0: expected a number >= 0"),
    (dict(carry_state=True, bptt="regular", bptt_k=5), "carry_state=True: expected false with bptt regular"),
    (dict(init="xavier"), "init='xavier'"),
])
def test_bad_slips_are_refused_by_name(params, match):
    with pytest.raises(ValueError, match=match):
        RunConfig(**params)


def test_the_gradient_table_is_recomputed():
    from lstm_xor.study import slips as study
    table = json.loads(SUMMARY.read_text())
    assert table["command"] == study.COMMAND
    entry = table["configurations"]["fixed"]["rows"]["no_carried_dc"]["init"]
    assert len(entry["cosine"]) == len(table["seeds"]) * table["batches_per_seed"]
    again = study.compare_at_init("no_carried_dc", seeds=[table["seeds"][0]], batches=1, configuration="fixed")
    assert again["cosine"][0] == pytest.approx(entry["cosine"][0], rel=1e-6)
    assert again["norm_ratio"][0] == pytest.approx(entry["norm_ratio"][0], rel=1e-6)


@pytest.mark.slow
def test_the_slips_give_the_same_run_on_one_and_two_ranks(tmp_path):
    """carry_state keeps each rank's own rows' states and grads_not_zeroed the summed gradient's sum: as one
    process does (float64, so only the order of sums may differ)."""
    import subprocess
    import sys

    from lstm_xor.launch import mpi_env, mpiexec_command
    from lstm_xor.records import load_checkpoint
    values = dict(TINY, dtype="float64", min_length=1, max_length=10, batch_size=32, n_samples=400,
                  backprop_slip="no_carried_dc+grads_not_zeroed", carry_state=True, clip_value=0.5,
                  adam_variant="reference_step", reference_epochs=5, metrics_path=str(tmp_path / "run.json"),
                  checkpoint_dir=str(tmp_path / "ck"))
    alone = train(dict(values, metrics_path="", checkpoint_dir=""), progress="none")["model"].flat
    flags = [f"--{k}={str(v).lower() if isinstance(v, bool) else v}" for k, v in values.items()]
    done = subprocess.run(mpiexec_command(2, [sys.executable, "-m", "lstm_xor", "train", *flags]), env=mpi_env(1),
                          capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-3000:]
    np.testing.assert_allclose(load_checkpoint(values["checkpoint_dir"])[0], alone, rtol=1e-9, atol=1e-12)
