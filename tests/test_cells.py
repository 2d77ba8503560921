"""Cells and model: state carried across chunks, one step at a time, mixed
lengths against each sequence alone, padding, dropout, and bad input."""

import numpy as np
import pytest
from conftest import cell_backward, cell_forward, cell_weights, n_states

from lstm_xor.nn import cells
from lstm_xor.nn.losses import softmax_cross_entropy, squared_error
from lstm_xor.nn.model import Model

EXACT = {"rtol": 1e-12, "atol": 1e-13}


def _model(cell, layers=2, head="every", dtype=np.float64, **kw):
    model = Model(cell, 2, 5, 2, layers, head=head, dtype=dtype, seed=4, **kw)
    rng = np.random.default_rng(8)
    model.flat[...] += rng.standard_normal(model.flat.size) * 0.2  # nonzero biases as well
    return model


def _assert_states_close(a, b, **tol):
    assert len(a) == len(b)
    for la, lb in zip(a, b, strict=True):
        assert len(la) == len(lb)
        for sa, sb in zip(la, lb, strict=True):
            np.testing.assert_allclose(sa, sb, **(tol or EXACT))


# -- state carried over -------------------------------------------------------

@pytest.mark.parametrize("layers", [1, 2])
@pytest.mark.parametrize("cell", cells.CELLS)
def test_two_chunks_equal_the_whole_sequence(cell, layers):
    rng = np.random.default_rng(0)
    model = _model(cell, layers)
    x = rng.standard_normal((4, 9, 2))
    whole, states = model.forward(x, np.full(4, 9))
    first, s1 = model.forward(x[:, :4], np.full(4, 4))
    second, s2 = model.forward(x[:, 4:], np.full(4, 5), state=s1)
    np.testing.assert_allclose(np.concatenate([first, second], axis=1), whole, **EXACT)
    _assert_states_close(s2, states)


@pytest.mark.parametrize("cell", cells.CELLS)
def test_two_chunks_with_mixed_lengths(cell):
    rng = np.random.default_rng(1)
    model = _model(cell)
    lengths = np.array([6, 9, 5, 7])
    x = rng.standard_normal((4, 9, 2))
    whole, states = model.forward(x, lengths)
    first, s1 = model.forward(x[:, :4], np.full(4, 4))
    second, s2 = model.forward(x[:, 4:], lengths - 4, state=s1)
    for j, n in enumerate(lengths):
        np.testing.assert_allclose(np.concatenate([first[j], second[j, :n - 4]]), whole[j, :n], **EXACT)
    _assert_states_close(s2, states)


@pytest.mark.parametrize("cell", cells.CELLS)
def test_one_step_at_a_time_equals_the_batched_sequence(cell):
    rng = np.random.default_rng(2)
    model = _model(cell)
    x = rng.standard_normal((3, 7, 2))
    whole, states = model.forward(x, np.full(3, 7))
    state = None
    for t in range(7):
        out, state = model.forward(x[:, t:t + 1], np.ones(3, int), state=state)
        np.testing.assert_allclose(out[:, 0], whole[:, t], **EXACT)
    _assert_states_close(state, states)


@pytest.mark.parametrize("head", ["every", "last"])
@pytest.mark.parametrize("cell", cells.CELLS)
def test_loss_returns_the_final_states_of_forward(cell, head):
    """loss() hands back forward()'s final states (unsorted batch, with and without a state in),
    as copies that a later call leaves alone, and two chunks trained through them equal the whole."""
    rng = np.random.default_rng(13)
    model = _model(cell, head=head)
    lengths = np.array([4, 6, 2, 6])
    x = rng.standard_normal((4, 6, 2))
    y = rng.integers(0, 2, size=(4, 6) if head == "every" else 4)
    state = [tuple(rng.standard_normal((5, 4)) for _ in range(n_states(cell))) for _ in range(2)]
    for s in (None, state):
        _, _, from_loss = model.loss(x, lengths, y, state=s)
        _, from_forward = model.forward(x, lengths, state=s)
        _assert_states_close(from_loss, from_forward, rtol=0, atol=0)
        kept = [tuple(a.copy() for a in layer) for layer in from_loss]
        model.loss(x[::-1].copy(), lengths[::-1].copy(), y[::-1].copy())
        model.forward(rng.standard_normal((4, 6, 2)), np.full(4, 6))
        _assert_states_close(from_loss, kept, rtol=0, atol=0)
    if head == "every":  # fixed length: the first chunk's states carry into the second
        whole, _, whole_states = model.loss(x, np.full(4, 6), y, state=state)
        first, _, mid = model.loss(x[:, :2], np.full(4, 2), y[:, :2], state=state)
        second, _, end = model.loss(x[:, 2:], np.full(4, 4), y[:, 2:], state=mid)
        assert first + second == pytest.approx(whole, rel=1e-12)
        _assert_states_close(end, whole_states)


@pytest.mark.parametrize("cell", cells.CELLS)
def test_chunked_backward_composes_through_dstate(cell):
    """Backward of two chunks, the second's dstate0 fed to the first as dfinal, equals the whole."""
    rng = np.random.default_rng(3)
    T, D, H, N, k = 7, 3, 4, 3, 3
    x = rng.standard_normal((T, D, N))
    weights = cell_weights(cell, D, H, rng)
    state = tuple(rng.standard_normal((H, N)) for _ in range(n_states(cell)))
    R = rng.standard_normal((T, H, N))
    R_final = tuple(rng.standard_normal((H, N)) for _ in range(n_states(cell)))
    full = np.full(T, N)
    h, final, cache = cell_forward(cell, weights, x, full, state)
    h, final = h.copy(), tuple(a.copy() for a in final)
    dx, dw, ds = cell_backward(cell, R, R_final, cache)
    h1, mid, cache1 = cell_forward(cell, weights, x[:k], full[:k], state)
    h2, final2, cache2 = cell_forward(cell, weights, x[k:], full[k:], mid)
    np.testing.assert_allclose(np.concatenate([h1, h2]), h, **EXACT)
    for a, b in zip(final2, final, strict=True):
        np.testing.assert_allclose(a, b, **EXACT)
    dx2, dw2, dmid = cell_backward(cell, R[k:], R_final, cache2)
    dx1, dw1, ds1 = cell_backward(cell, R[:k], dmid, cache1)
    np.testing.assert_allclose(np.concatenate([dx1, dx2]), dx, **EXACT)
    for a, b, c in zip(dw1, dw2, dw, strict=True):
        np.testing.assert_allclose(a + b, c, **EXACT)
    for a, b in zip(ds1, ds, strict=True):
        np.testing.assert_allclose(a, b, **EXACT)


@pytest.mark.parametrize("cell", cells.CELLS)
def test_workspace_reuse_gives_the_same_results(cell):
    """Buffers kept in ws between calls (other shapes in between) change nothing."""
    rng = np.random.default_rng(4)
    D, H = 2, 3
    weights = cell_weights(cell, D, H, rng)
    ws = {}
    for T, lengths in ((5, [5, 5, 5]), (5, [5, 2, 1]), (3, [3, 3]), (5, [5, 2, 1]), (6, [6, 6, 6, 6])):
        x = rng.standard_normal((T, D, len(lengths)))
        bs = cells.batch_sizes_from_lengths(lengths, T)
        R = rng.standard_normal((T, H, len(lengths)))
        h0, f0, c0 = cell_forward(cell, weights, x, bs)
        h1, f1, c1 = cell_forward(cell, weights, x, bs, ws=ws)
        np.testing.assert_array_equal(h0, h1)
        for a, b in zip(f0, f1, strict=True):
            np.testing.assert_array_equal(a, b)
        for a, b in zip(cell_backward(cell, R, None, c0), cell_backward(cell, R, None, c1), strict=True):
            for u, v in zip(a if isinstance(a, tuple) else (a,), b if isinstance(b, tuple) else (b,), strict=True):
                np.testing.assert_array_equal(u, v)


# -- mixed lengths and padding ------------------------------------------------

@pytest.mark.parametrize("head", ["every", "last"])
@pytest.mark.parametrize("cell", cells.CELLS)
def test_mixed_lengths_equal_each_sequence_alone(cell, head):
    rng = np.random.default_rng(5)
    model = _model(cell, head=head)
    lengths = np.array([3, 6, 1, 4, 6])
    x = rng.standard_normal((5, 6, 2))
    y = rng.integers(0, 2, size=(5, 6) if head == "every" else 5)
    loss, out, loss_states = model.loss(x, lengths, y, reduction="sum")
    grads = model.grad_flat.copy()
    _, states = model.forward(x, lengths)
    _assert_states_close(loss_states, states, rtol=0, atol=0)
    total_loss, total_grad = 0.0, np.zeros_like(grads)
    for j, n in enumerate(lengths):
        yj = y[j:j + 1, :n] if head == "every" else y[j:j + 1]
        loss_j, out_j, _ = model.loss(x[j:j + 1, :n], [n], yj, reduction="sum")
        total_loss += loss_j
        total_grad += model.grad_flat
        if head == "every":
            np.testing.assert_allclose(out[j, :n], out_j[0], **EXACT)
        else:
            np.testing.assert_allclose(out[j], out_j[0], **EXACT)
        _, states_j = model.forward(x[j:j + 1, :n], [n])
        _assert_states_close([tuple(s[:, j:j + 1] for s in layer) for layer in states], states_j)
    assert loss == pytest.approx(total_loss, rel=1e-12)
    np.testing.assert_allclose(grads, total_grad, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("head", ["every", "last"])
@pytest.mark.parametrize("cell", cells.CELLS)
def test_padding_never_changes_results(cell, head, dtype):
    rng = np.random.default_rng(6)
    model = _model(cell, head=head, dtype=dtype)
    lengths = np.array([2, 6, 4])
    x = rng.standard_normal((3, 6, 2))
    y = rng.integers(0, 2, size=(3, 6) if head == "every" else 3)
    pad = np.arange(6)[None, :] >= lengths[:, None]
    results = []
    for fill_x, fill_y in ((0.0, 0), (1e30, 1), (-3e38, 1), (np.nan, 0), (np.inf, 1)):
        xp, yp = x.copy(), y.copy()
        xp[pad] = fill_x
        if head == "every":
            yp[pad] = fill_y
        loss, out, _ = model.loss(xp, lengths, yp, reduction="sum")
        logits, states = model.forward(xp, lengths)
        results.append((loss, out, model.grad_flat.copy(), logits, states))
    for loss, out, grad, logits, states in results[1:]:
        assert loss == results[0][0]
        np.testing.assert_array_equal(grad, results[0][2])
        assert np.all(np.isfinite(grad))
        for a, b in ((out, results[0][1]), (logits, results[0][3])):
            if head == "every":
                np.testing.assert_array_equal(a[~pad], b[~pad])
            else:
                np.testing.assert_array_equal(a, b)
        _assert_states_close(states, results[0][4], rtol=0, atol=0)


@pytest.mark.parametrize("slots", [1, 2])
@pytest.mark.parametrize("head", ["every", "last"])
@pytest.mark.parametrize("cell", cells.CELLS)
def test_padding_tokens_never_change_results(cell, head, slots):
    """Tokens past a length may hold anything, out of the vocabulary too; (N, T) and (N, T, 1) are one slot."""
    rng = np.random.default_rng(14)
    V = 6
    model = Model(cell, V, 4, 3, 2, head=head, dtype=np.float32, seed=4, embed=3, slots=slots)
    lengths = np.array([2, 5, 4])
    pad = np.arange(5)[None, :] >= lengths[:, None]
    x = rng.integers(0, V, size=(3, 5, slots))
    y = rng.integers(0, 3, size=(3, 5) if head == "every" else 3)
    results = []
    for fill in (0, V - 1, V, -1, np.iinfo(np.int64).max, np.iinfo(np.int64).min):
        xp = x.copy()
        xp[pad] = fill
        loss, out, states = model.loss(xp, lengths, y)
        logits, _ = model.forward(xp, lengths)
        results.append((loss, out, model.grad_flat.copy(), logits, states))
        if slots == 1:  # the same single slot without its axis
            loss1, out1, _ = model.loss(xp[..., 0], lengths, y)
            assert loss1 == loss
            np.testing.assert_array_equal(out1, out)
            np.testing.assert_array_equal(model.grad_flat, results[-1][2])
    assert np.all(np.isfinite(results[0][2])) and np.any(model.grads["embed.W"] != 0)
    for loss, out, grad, logits, states in results[1:]:
        assert loss == results[0][0]
        np.testing.assert_array_equal(grad, results[0][2])
        for a, b in ((out, results[0][1]), (logits, results[0][3])):
            np.testing.assert_array_equal(a[~pad] if head == "every" else a, b[~pad] if head == "every" else b)
        _assert_states_close(states, results[0][4], rtol=0, atol=0)


@pytest.mark.parametrize("output", ["classes", "regression"])
def test_tokens_equal_their_embeddings_as_features(output):
    """An embedded model equals the feature model fed the concatenated embedding rows."""
    rng = np.random.default_rng(15)
    V, E, S = 7, 2, 2
    tok = Model("lstm", V, 4, 3, 2, head="every", dtype=np.float64, seed=4, embed=E, slots=S, output=output)
    feat = Model("lstm", E * S, 4, 3, 2, head="every", dtype=np.float64, seed=4, output=output)
    tok.flat[...] = rng.standard_normal(tok.flat.size) * 0.5
    feat.flat[...] = tok.flat[:feat.flat.size]  # embed.W comes last
    table = tok.params["embed.W"]
    x = rng.integers(0, V, size=(3, 5, S))
    lengths = np.array([5, 2, 4])
    y = rng.integers(0, 3, size=(3, 5)) if output == "classes" else rng.standard_normal((3, 5, 3))
    features = table[x].reshape(3, 5, S * E)  # slot 0's embedding, then slot 1's
    loss, out, states = tok.loss(x, lengths, y)
    loss_f, out_f, states_f = feat.loss(features, lengths, y)
    assert loss == pytest.approx(loss_f, rel=1e-13)
    np.testing.assert_allclose(out, out_f, **EXACT)
    _assert_states_close(states, states_f)
    for name, g in feat.grads.items():
        np.testing.assert_allclose(tok.grads[name], g, **EXACT)


def test_padded_outputs_are_zero_in_the_cells():
    rng = np.random.default_rng(7)
    for cell in cells.CELLS:
        weights = cell_weights(cell, 2, 3, rng)
        h, _, _ = cell_forward(cell, weights, rng.standard_normal((4, 2, 3)),
                               cells.batch_sizes_from_lengths([4, 2, 1], 4), ws={})
        assert np.all(h[2:, :, 1] == 0) and np.all(h[1:, :, 2] == 0)


def test_batch_sizes_round_trip():
    lengths = np.array([7, 5, 5, 2, 1])
    bs = cells.batch_sizes_from_lengths(lengths, 7)
    np.testing.assert_array_equal(bs, [5, 4, 3, 3, 3, 1, 1])
    np.testing.assert_array_equal(cells.lengths_from_batch_sizes(bs, 5), lengths)


# -- dropout ------------------------------------------------------------------

@pytest.mark.parametrize("cell", cells.CELLS)
def test_dropout_is_off_at_evaluation(cell):
    rng = np.random.default_rng(9)
    model = _model(cell, layers=3, dropout=0.5)
    plain = Model(cell, 2, 5, 2, 3, dtype=np.float64)
    plain.flat[...] = model.flat
    x, lengths = rng.standard_normal((4, 6, 2)), np.array([6, 3, 5, 6])
    y = rng.integers(0, 2, size=(4, 6))
    out, states = model.forward(x, lengths)
    out_plain, states_plain = plain.forward(x, lengths)
    np.testing.assert_array_equal(out, out_plain)
    _assert_states_close(states, states_plain, rtol=0, atol=0)
    loss, _, _ = model.loss(x, lengths, y, reduction="sum", train=False)
    assert loss == plain.loss(x, lengths, y, reduction="sum")[0]
    # training uses the masks drawn: another seed, another loss; the same seed, the same loss
    a = model.loss(x, lengths, y, train=True, keep=model.dropout_masks(np.random.default_rng(1), 4, 6))[0]
    b = model.loss(x, lengths, y, train=True, keep=model.dropout_masks(np.random.default_rng(2), 4, 6))[0]
    c = model.loss(x, lengths, y, train=True, keep=model.dropout_masks(np.random.default_rng(1), 4, 6))[0]
    assert a != loss and a != b and a == c


def test_dropout_scales_the_kept_units():
    p = 0.3
    model = _model("lstm", layers=2, dropout=p)
    rng = np.random.default_rng(10)
    x = rng.standard_normal((400, 50, 2))
    keep = model.dropout_masks(np.random.default_rng(0), 400, 50)
    assert keep.shape == (1, 400, 50, 5) and keep.dtype == model.dtype
    _, _, (_, _, _, masks, _, _, _, _) = model._forward(x, np.full(400, 50), None, True, keep)
    mask = masks[0]
    np.testing.assert_array_equal(mask, keep[0].transpose(1, 2, 0))
    assert mask.shape == (50, 5, 400)
    values = np.unique(mask)
    np.testing.assert_allclose(values, [0.0, 1.0 / (1.0 - p)])
    assert abs((mask == 0).mean() - p) < 0.01
    assert abs(mask.mean() - 1.0) < 0.01  # inverted dropout keeps the mean


def test_dropout_needs_keep_masks_when_training():
    model = _model("gru", layers=2, dropout=0.2)
    x = np.zeros((2, 3, 2))
    with pytest.raises(ValueError, match="keep"):
        model.loss(x, [3, 3], np.zeros((2, 3), int), train=True)
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="keep"):  # masks for a shorter batch
        model.loss(x, [3, 3], np.zeros((2, 3), int), train=True, keep=model.dropout_masks(rng, 2, 2))
    with pytest.raises(ValueError, match="keep"):  # masks for another batch size
        model.loss(x, [3, 3], np.zeros((2, 3), int), train=True, keep=model.dropout_masks(rng, 3, 3))
    model.loss(x, [3, 3], np.zeros((2, 3), int), train=False)
    _model("gru", layers=2).loss(x, [3, 3], np.zeros((2, 3), int), train=True)  # no dropout, no masks


# -- bad input ----------------------------------------------------------------

@pytest.mark.parametrize(("kwargs", "name"), [
    ({"cell": "lsmt"}, "cell"), ({"head": "first"}, "head"), ({"init": "xavier"}, "init"),
    ({"hidden": 0}, "hidden"), ({"layers": 1.5}, "layers"), ({"dropout": 1.0}, "dropout"),
    ({"input_size": -2}, "input_size"), ({"output_size": 0}, "output_size"),
])
def test_bad_model_parameters(kwargs, name):
    with pytest.raises(ValueError, match=name):
        Model(**kwargs)


@pytest.mark.parametrize(("x_shape", "lengths", "match"), [
    ((3, 5), [5, 5, 5], "x must be"),
    ((3, 5, 2), [5, 5], "lengths"),
    ((3, 5, 2), [[5, 5, 5]], "lengths"),
    ((3, 5, 3), [5, 5, 5], "features"),
    ((3, 5, 2), [5, 0, 5], "lengths"),
    ((3, 5, 2), [5, 6, 5], "lengths"),
    ((3, 5, 2), [5, -1, 5], "lengths"),
    ((0, 5, 2), np.zeros(0, int), "empty"),
    ((3, 0, 2), [1, 1, 1], "lengths"),
])
def test_bad_model_input(x_shape, lengths, match):
    model = Model("lstm", 2, 4, 2)
    with pytest.raises(ValueError, match=match):
        model.forward(np.zeros(x_shape), lengths)
    with pytest.raises(ValueError, match=match):
        model.loss(np.zeros(x_shape), lengths, np.zeros(x_shape[:2], int))


@pytest.mark.parametrize(("head", "y", "match"), [
    ("every", np.zeros((3, 4), int), "y"),
    ("every", np.zeros(3, int), "y"),
    ("every", np.zeros((2, 5), int), "y"),
    ("every", np.full((3, 5), 2), "labels"),
    ("every", np.full((3, 5), -1), "labels"),
    ("last", np.zeros((3, 5), int), "y"),
    ("last", np.zeros(4, int), "y"),
    ("last", np.array([0, 1, 7]), "labels"),
    ("every", np.full((3, 5), 0.5), "integer"),
])
def test_bad_labels(head, y, match):
    model = Model("rnn", 2, 4, 2, head=head)
    with pytest.raises(ValueError, match=match):
        model.loss(np.zeros((3, 5, 2)), [5, 3, 5], y)


@pytest.mark.parametrize(("kwargs", "name"), [
    ({"embed": -1}, "embed"), ({"embed": 2, "slots": 0}, "slots"), ({"output": "probabilities"}, "output"),
])
def test_bad_model_parameters_for_tokens_and_outputs(kwargs, name):
    with pytest.raises(ValueError, match=name):
        Model(**kwargs)


@pytest.mark.parametrize(("x", "match"), [
    (np.full((3, 4, 2), 5), "tokens"),  # out of the vocabulary inside the lengths
    (np.full((3, 4, 2), -1), "tokens"),
    (np.zeros((3, 4, 2)), "integer"),
    (np.zeros((3, 4, 3), int), "token"),  # three slots for two
    (np.zeros((3, 4), int), "token"),  # one slot for two
    (np.zeros((3, 4, 2, 1), int), "x must be"),
])
def test_bad_tokens(x, match):
    model = Model("gru", 5, 3, 2, embed=2, slots=2)
    with pytest.raises(ValueError, match=match):
        model.forward(x, [4, 4, 4])


@pytest.mark.parametrize(("head", "y", "mask", "match"), [
    ("every", np.zeros((3, 5, 2), int), None, "float"),
    ("every", np.zeros((3, 5)), None, "y must"),
    ("every", np.zeros((3, 5, 3)), None, "y must"),
    ("every", np.zeros((3, 4, 2)), None, "y must"),
    ("last", np.zeros((3, 5, 2)), None, "y must"),
    ("last", np.zeros((3, 3)), None, "y must"),
    ("every", np.zeros((3, 5, 2)), np.ones((3, 5), int), "mask"),
    ("every", np.zeros((3, 5, 2)), np.ones((3, 4), bool), "mask"),
    ("every", np.zeros((3, 5, 2)), np.ones(3, bool), "mask"),
    ("last", np.zeros((3, 2)), np.ones((3, 5), bool), "mask"),
    ("last", np.zeros((3, 2)), np.ones(2, bool), "mask"),
])
def test_bad_regression_targets_and_masks(head, y, mask, match):
    model = Model("rnn", 2, 4, 2, head=head, output="regression")
    with pytest.raises(ValueError, match=match):
        model.loss(np.zeros((3, 5, 2)), [5, 3, 5], y, mask=mask)


def test_bad_reduction_and_state():
    model = Model("lstm", 2, 4, 2)
    x, lengths, y = np.zeros((3, 5, 2)), [5, 5, 5], np.zeros((3, 5), int)
    with pytest.raises(ValueError, match="reduction"):
        model.loss(x, lengths, y, reduction="avg")
    with pytest.raises(ValueError, match="state"):
        model.forward(x, lengths, state=[(np.zeros((4, 3)),)])  # LSTM needs h and c
    with pytest.raises(ValueError, match="state"):
        model.forward(x, lengths, state=[(np.zeros((4, 2)), np.zeros((4, 2)))])
    with pytest.raises(ValueError, match="state"):
        model.forward(x, lengths, state=[])


def test_bad_cell_input():
    rng = np.random.default_rng(0)
    (W,) = cell_weights("lstm", 2, 3, rng)
    with pytest.raises(ValueError, match="x must"):
        cells.lstm_forward(W, np.zeros((4, 2)), [2, 2, 2, 2])
    with pytest.raises(ValueError, match="batch_sizes"):
        cells.lstm_forward(W, np.zeros((4, 2, 2)), [2, 2, 2])
    with pytest.raises(ValueError, match="batch_sizes"):
        cells.lstm_forward(W, np.zeros((4, 2, 2)), [2, 1, 2, 2])
    with pytest.raises(ValueError, match="batch_sizes"):
        cells.lstm_forward(W, np.zeros((4, 2, 2)), [2, 2, 2, 0])
    with pytest.raises(ValueError, match="features"):
        cells.lstm_forward(W, np.zeros((4, 3, 2)), [2, 2, 2, 2])
    with pytest.raises(ValueError, match="state"):
        cells.lstm_forward(W, np.zeros((4, 2, 2)), [2, 2, 2, 2], (np.zeros((3, 2)),))


def test_softmax_cross_entropy_matches_a_direct_formula():
    rng = np.random.default_rng(12)
    logits = rng.standard_normal((3, 4, 5)) * 3
    y = rng.integers(0, 3, size=(4, 5))
    mask = rng.random((4, 5)) < 0.7
    loss, d = softmax_cross_entropy(logits, y, mask, "sum")
    p = np.exp(logits) / np.exp(logits).sum(axis=0)
    picked = np.take_along_axis(p, y[None], axis=0)[0]
    assert loss == pytest.approx(-(np.log(picked) * mask).sum(), rel=1e-12)
    onehot = np.eye(3)[y].transpose(2, 0, 1)
    np.testing.assert_allclose(d, (p - onehot) * mask, atol=1e-14)
    mean, d_mean = softmax_cross_entropy(logits, y, mask, "mean")
    assert mean == pytest.approx(loss / mask.sum(), rel=1e-14)
    np.testing.assert_allclose(d_mean, d / mask.sum(), rtol=1e-14, atol=1e-16)
    shard, d_shard = softmax_cross_entropy(logits, y, mask, "mean", count=40)
    assert shard == pytest.approx(loss / 40, rel=1e-14)
    np.testing.assert_allclose(d_shard, d / 40, rtol=1e-14, atol=1e-16)
    everything, _ = softmax_cross_entropy(logits, y, None, "mean")
    assert everything == pytest.approx(-np.log(picked).mean(), rel=1e-12)


def test_squared_error_matches_a_direct_formula():
    """torch MSELoss semantics; NaN targets outside the mask leak nowhere; the gradient keeps the outputs' dtype."""
    rng = np.random.default_rng(16)
    K = 3
    outputs = rng.standard_normal((K, 4, 5)).astype(np.float32)
    y = rng.standard_normal((K, 4, 5))  # float64 targets for float32 outputs
    mask = rng.random((4, 5)) < 0.7
    y_nan = np.where(mask, y, np.nan)
    diff = outputs.astype(np.float64) - y
    for reduction, divide in (("sum", 1), ("mean", mask.sum() * K)):
        loss, d = squared_error(outputs, y_nan, mask, reduction)
        assert d.dtype == np.float32
        assert loss == pytest.approx(np.sum(diff ** 2 * mask) / divide, rel=1e-6)
        np.testing.assert_allclose(d, 2 * diff * mask / divide, rtol=1e-5, atol=1e-6)
    loss, d = squared_error(outputs, y, None, "mean")
    assert d.dtype == np.float32
    assert loss == pytest.approx(np.mean(diff ** 2), rel=1e-6)
    np.testing.assert_allclose(d, 2 * diff / diff.size, rtol=1e-5, atol=1e-6)
    shard, _ = squared_error(outputs, y, None, "mean", count=50)
    assert shard == pytest.approx(np.sum(diff ** 2) / (50 * K), rel=1e-6)


MARGIN = 30.0  # exp(-30) ~ 9.4e-14: far below float32's epsilon next to 1


@pytest.mark.parametrize("C", [2, 5])
def test_cross_entropy_keeps_tiny_float32_losses(C):
    """A true class ahead by 30 costs log1p(exp(-30)) per position, not 0.

    log(sum(exp(z - max))) - (z_true - max) in float32 rounds the sum to exactly 1
    and the loss to 0; this test fails with that formula.
    """
    rng = np.random.default_rng(17)
    y = rng.integers(0, C, size=(4, 6))
    logits = np.zeros((C, 4, 6), np.float32)
    np.put_along_axis(logits, y[None], np.float32(MARGIN), axis=0)
    per_position = (C - 1) * np.exp(-MARGIN)  # log1p(x) = x to 1e-13 here
    mask = rng.random((4, 6)) < 0.5
    for m, n in ((None, y.size), (mask, mask.sum())):
        loss, d = softmax_cross_entropy(logits, y, m, "sum")
        assert d.dtype == np.float32
        assert loss > 0
        assert loss == pytest.approx(n * np.log1p(per_position), rel=1e-3)
        mean, _ = softmax_cross_entropy(logits, y, m, "mean")
        assert mean == pytest.approx(np.log1p(per_position), rel=1e-3)
    # with noise: against float64 log-sum-exp of the same float32 logits
    noisy = (logits + rng.standard_normal(logits.shape).astype(np.float32)).astype(np.float32)
    z = noisy.astype(np.float64)
    true = np.take_along_axis(z, y[None], axis=0)[0]
    reference = np.sum(np.log1p(np.exp(z - true).sum(axis=0) - 1.0))
    loss, _ = softmax_cross_entropy(noisy, y, None, "sum")
    assert 0 < loss == pytest.approx(reference, rel=1e-3)


@pytest.mark.parametrize("head", ["every", "last"])
def test_model_keeps_tiny_float32_losses(head):
    """Through a float32 Model: head logits (30, 0) with label 0 give log1p(exp(-30)) per position."""
    model = Model("lstm", 2, 4, 2, 1, head=head, dtype=np.float32)
    model.params["head.W"][...] = 0.0
    model.params["head.b"][...] = [MARGIN, 0.0]
    x = np.random.default_rng(18).standard_normal((3, 5, 2))
    lengths = np.array([5, 2, 4])
    y = np.zeros((3, 5) if head == "every" else 3, int)
    positions = lengths.sum() if head == "every" else 3
    loss, _, _ = model.loss(x, lengths, y)
    assert loss > 0
    assert loss == pytest.approx(positions * np.log1p(np.exp(-MARGIN)), rel=1e-3)
    mean, _, _ = model.loss(x, lengths, y, reduction="mean")
    assert mean == pytest.approx(np.log1p(np.exp(-MARGIN)), rel=1e-3)
