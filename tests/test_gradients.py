"""Central-difference gradient checks in float64: every parameter of every cell
through the whole model, and the cell functions' input and initial-state
gradients through a random projection of all their outputs."""

import numpy as np
import pytest
from conftest import cell_backward, cell_forward, cell_weights, n_states, numerical_grad, rel_error

from lstm_xor.nn import cells
from lstm_xor.nn.model import HEADS, Model

TOL = 1e-6


def _problem(head, mixed, rng, N=3, T=4, D=2, C=2):
    x = rng.standard_normal((N, T, D))
    lengths = np.array([2, 4, 3]) if mixed else np.full(N, T)
    y = rng.integers(0, C, size=(N, T) if head == "every" else N)
    return x, lengths, y


@pytest.mark.parametrize("reduction", ["sum", "mean"])
@pytest.mark.parametrize("mixed", [False, True], ids=["fixed", "mixed"])
@pytest.mark.parametrize("head", HEADS)
@pytest.mark.parametrize("layers", [1, 2])
@pytest.mark.parametrize("cell", cells.CELLS)
def test_model_parameter_gradients(cell, layers, head, mixed, reduction):
    rng = np.random.default_rng([layers, len(head), mixed, len(reduction), len(cell)])
    model = Model(cell, 2, 3, 2, layers, head=head, dtype=np.float64, seed=5)
    model.flat[...] = rng.standard_normal(model.flat.size) * 0.6  # every weight generic, biases too
    x, lengths, y = _problem(head, mixed, rng)
    loss, _, _ = model.loss(x, lengths, y, reduction=reduction)
    analytic = {name: g.copy() for name, g in model.grads.items()}
    assert set(analytic) == set(model.params)

    def f():
        return model.loss(x, lengths, y, reduction=reduction, backward=False)[0]

    assert f() == loss
    for name, p in model.params.items():
        numeric = numerical_grad(f, p)
        assert np.any(numeric != 0), name
        err = rel_error(analytic[name], numeric)
        assert err < TOL, f"{name}: relative error {err:.2e}"


@pytest.mark.parametrize("cell", cells.CELLS)
def test_dropout_gradients_with_a_fixed_mask(cell):
    rng = np.random.default_rng(11)
    model = Model(cell, 2, 4, 2, 3, dropout=0.4, head="every", dtype=np.float64, seed=2)
    model.flat[...] = rng.standard_normal(model.flat.size) * 0.6
    x, lengths, y = _problem("every", True, rng)
    keep = model.dropout_masks(np.random.default_rng(99), *y.shape)

    def f():
        return model.loss(x, lengths, y, reduction="sum", train=True, keep=keep, backward=False)[0]

    loss, _, _ = model.loss(x, lengths, y, reduction="sum", train=True, keep=keep)
    analytic = {name: g.copy() for name, g in model.grads.items()}
    assert f() == loss
    assert f() != model.loss(x, lengths, y, reduction="sum", train=False)[0]  # the masks do something
    for name, p in model.params.items():
        err = rel_error(analytic[name], numerical_grad(f, p))
        assert err < TOL, f"{name}: relative error {err:.2e}"


def test_mean_reduction_divides_by_count():
    rng = np.random.default_rng(3)
    model = Model("lstm", 2, 3, 2, 1, dtype=np.float64)
    x, lengths, y = _problem("every", True, rng)
    total, _, _ = model.loss(x, lengths, y, reduction="sum")
    g_sum = model.grad_flat.copy()
    mean, _, _ = model.loss(x, lengths, y, reduction="mean")
    assert mean == pytest.approx(total / lengths.sum(), rel=1e-14)
    np.testing.assert_allclose(model.grad_flat, g_sum / lengths.sum(), rtol=1e-12, atol=1e-15)
    shard, _, _ = model.loss(x, lengths, y, reduction="mean", count=20)
    assert shard == pytest.approx(total / 20, rel=1e-14)
    np.testing.assert_allclose(model.grad_flat, g_sum / 20, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("with_state", [False, True], ids=["zero_state", "state"])
@pytest.mark.parametrize("ragged", [False, True], ids=["fixed", "mixed"])
@pytest.mark.parametrize("cell", cells.CELLS)
def test_cell_input_weight_and_state_gradients(cell, ragged, with_state):
    """loss = sum(h * R) + sum over final states of (state * R_state), karpathy-style."""
    rng = np.random.default_rng([ragged, with_state, len(cell)])
    T, D, H, N = 5, 3, 4, 3
    x = rng.standard_normal((T, D, N))
    lengths = [5, 3, 1] if ragged else [T] * N
    batch_sizes = cells.batch_sizes_from_lengths(lengths, T)
    weights = cell_weights(cell, D, H, rng)
    state = tuple(rng.standard_normal((H, N)) if with_state else np.zeros((H, N)) for _ in range(n_states(cell)))
    R = rng.standard_normal((T, H, N))
    R_final = tuple(rng.standard_normal((H, N)) for _ in range(n_states(cell)))

    def f():
        h, final, _ = cell_forward(cell, weights, x, batch_sizes, state)
        return float(np.sum(h * R) + sum(np.sum(a * r) for a, r in zip(final, R_final, strict=True)))

    _, _, cache = cell_forward(cell, weights, x, batch_sizes, state if with_state else None)
    dx, dweights, dstate = cell_backward(cell, R, R_final, cache)
    assert dx.shape == x.shape and len(dstate) == n_states(cell)
    checks = [("x", dx, x)] + [(f"W{k}", dw, w) for k, (dw, w) in enumerate(zip(dweights, weights, strict=True))]
    checks += [(f"state{k}", ds, s) for k, (ds, s) in enumerate(zip(dstate, state, strict=True))]
    for name, analytic, wrt in checks:
        assert analytic.shape == wrt.shape, name
        err = rel_error(analytic, numerical_grad(f, wrt))
        assert err < TOL, f"{name}: relative error {err:.2e}"


@pytest.mark.parametrize("cell", cells.CELLS)
def test_cell_gradients_without_final_state_gradient(cell):
    """dfinal=None means the final state is not part of the loss."""
    rng = np.random.default_rng(21)
    T, D, H, N = 4, 2, 3, 2
    x = rng.standard_normal((T, D, N))
    batch_sizes = cells.batch_sizes_from_lengths([4, 2], T)
    weights = cell_weights(cell, D, H, rng)
    R = rng.standard_normal((T, H, N))

    def f():
        return float(np.sum(cell_forward(cell, weights, x, batch_sizes)[0] * R))

    _, _, cache = cell_forward(cell, weights, x, batch_sizes)
    dx, dweights, _ = cell_backward(cell, R, None, cache)
    assert rel_error(dx, numerical_grad(f, x)) < TOL
    for dw, w in zip(dweights, weights, strict=True):
        assert rel_error(dw, numerical_grad(f, w)) < TOL


# -- token inputs, regression head, loss mask, initial state -------------------

def _check_every_parameter(model, f, analytic):
    """Central differences of f() against the analytic gradients, parameter by parameter."""
    assert set(analytic) == set(model.params)
    for name, p in model.params.items():
        numeric = numerical_grad(f, p)
        assert np.any(numeric != 0), name
        err = rel_error(analytic[name], numeric)
        assert err < TOL, f"{name}: relative error {err:.2e}"


def _generic(model, rng):
    model.flat[...] = rng.standard_normal(model.flat.size) * 0.6  # every weight generic, biases too
    return model


def _grads(model):
    return {name: g.copy() for name, g in model.grads.items()}


def _valid(lengths, T):
    return np.arange(T)[None, :] < np.asarray(lengths)[:, None]  # (N, T)


# every pair of (layers, slots, lengths) values appears for each cell and head
TOKEN_CASES = [(1, 1, False), (1, 2, True), (2, 1, True), (2, 2, False)]


@pytest.mark.parametrize(("layers", "slots", "mixed"), TOKEN_CASES,
                         ids=[f"{la}layer-{s}slot-{'mixed' if m else 'fixed'}" for la, s, m in TOKEN_CASES])
@pytest.mark.parametrize("head", HEADS)
@pytest.mark.parametrize("cell", cells.CELLS)
def test_token_model_parameter_gradients(cell, head, layers, slots, mixed):
    """Every parameter, embed.W included, with out-of-vocabulary tokens in the padding."""
    rng = np.random.default_rng([layers, slots, mixed, len(head), len(cell)])
    V, E, H, C, N, T = 5, 2, 3, 3, 3, 5
    model = _generic(Model(cell, V, H, C, layers, head=head, dtype=np.float64, seed=1, embed=E, slots=slots), rng)
    lengths = np.array([2, 4, 3]) if mixed else np.full(N, T - 1)  # fixed: the last column is padding for all
    pad = ~_valid(lengths, T)
    x = rng.integers(0, V - 1, size=(N, T, slots))  # token V - 1 is never read
    x = x[..., 0] if slots == 1 else x  # (N, T) for one slot
    x[pad] = V + 7
    y = rng.integers(0, C, size=(N, T) if head == "every" else N)
    if head == "every":
        y[pad] = C + 3  # labels past a length are never read either
    loss, _, _ = model.loss(x, lengths, y)
    analytic = _grads(model)
    assert np.all(analytic["embed.W"][V - 1] == 0)
    for fill in (0, V - 1, -5):  # whatever the padding holds, nothing changes
        xp = x.copy()
        xp[pad] = fill
        assert model.loss(xp, lengths, y)[0] == loss
        for name, g in model.grads.items():
            np.testing.assert_array_equal(g, analytic[name])

    def f():
        return model.loss(x, lengths, y, backward=False)[0]

    assert f() == loss
    _check_every_parameter(model, f, analytic)


def test_embedding_gradient_of_a_vocabulary_larger_than_one_one_hot_chunk():
    """150 tokens: the table's gradient is built 64 tokens at a time (three chunks); rows never read stay 0."""
    rng = np.random.default_rng(21)
    V, E, N, T = 150, 2, 4, 6
    model = Model("gru", V, 3, 3, 1, dtype=np.float64, seed=3, embed=E, slots=2)
    model.flat[...] = rng.standard_normal(model.flat.size) * 0.6
    x = rng.integers(0, V, size=(N, T, 2))
    x[0, 0] = [63, 64]  # both sides of the first chunk boundary
    x[1, 0] = [127, 149]
    lengths, y = np.array([6, 5, 6, 3]), rng.integers(0, 3, size=(N, T))
    model.loss(x, lengths, y)
    analytic = model.grads["embed.W"].copy()
    read = np.unique(np.concatenate([x[n, :lengths[n]].ravel() for n in range(N)]))
    assert np.all(analytic[np.setdiff1d(np.arange(V), read)] == 0)
    numeric = numerical_grad(lambda: model.loss(x, lengths, y, backward=False)[0], model.params["embed.W"])
    assert rel_error(analytic, numeric) < TOL


@pytest.mark.parametrize("reduction", ["sum", "mean"])
@pytest.mark.parametrize("head", ["every", "last"])
@pytest.mark.parametrize("cell", cells.CELLS)
def test_regression_parameter_gradients(cell, head, reduction):
    """Squared error with a mask and mixed lengths; NaN targets where no loss is taken leak nowhere."""
    rng = np.random.default_rng([len(cell), len(head), len(reduction)])
    N, T, D, H, K = 4, 4, 2, 3, 2
    model = _generic(Model(cell, D, H, K, 1, head=head, dtype=np.float64, seed=3, output="regression"), rng)
    x = rng.standard_normal((N, T, D))
    lengths = np.array([2, 4, 1, 3])
    if head == "every":
        mask = rng.random((N, T)) < 0.6
        mask[1, :2] = True
        keep = mask & _valid(lengths, T)
        y = rng.standard_normal((N, T, K))
    else:
        mask = keep = np.array([True, False, True, True])
        y = rng.standard_normal((N, K))
    y_nan = y.copy()
    y_nan[~keep] = np.nan
    loss, out, _ = model.loss(x, lengths, y_nan, mask=mask, reduction=reduction)
    analytic = _grads(model)
    assert np.isfinite(loss) and np.all(np.isfinite(model.grad_flat))
    direct = np.sum((out[keep] - y[keep]) ** 2) / (1 if reduction == "sum" else keep.sum() * K)
    assert loss == pytest.approx(direct, rel=1e-12)
    y_zero = y.copy()
    y_zero[~keep] = 0.0
    assert model.loss(x, lengths, y_zero, mask=mask, reduction=reduction)[0] == loss
    for name, g in model.grads.items():
        np.testing.assert_array_equal(g, analytic[name])

    def f():
        return model.loss(x, lengths, y_nan, mask=mask, reduction=reduction, backward=False)[0]

    _check_every_parameter(model, f, analytic)


def _mask_problem(head, output, rng, N=4, T=5, D=2, C=3):
    x = rng.standard_normal((N, T, D))
    lengths = np.array([3, 5, 1, 4])  # unsorted
    if head == "every":
        mask = rng.random((N, T)) < 0.6
        mask[1, 1:3] = True
        keep = mask & _valid(lengths, T)
    else:
        mask = keep = np.array([True, False, True, True])
    shape = (N, T) if head == "every" else (N,)
    if output == "classes":
        y = rng.integers(0, C, size=shape)
        y[~keep] = C + 4  # never read: any value goes
    else:
        y = rng.standard_normal(shape + (C,))
        y[~keep] = np.nan
    return x, lengths, y, mask, keep


def _direct_loss(output, out, y, keep):
    """The loss over the kept positions only, by a NumPy formula: z (P, C) against y (P,) or (P, K)."""
    z, t = out[keep], y[keep]
    if output == "regression":
        return float(np.sum((z - t) ** 2))
    high = z.max(axis=1, keepdims=True)
    lse = np.log(np.exp(z - high).sum(axis=1)) + high[:, 0]
    return float(np.sum(lse - z[np.arange(len(t)), t]))


@pytest.mark.parametrize("output", ["classes", "regression"])
@pytest.mark.parametrize("head", ["every", "last"])
def test_loss_mask_against_a_direct_formula(head, output):
    """loss(mask=...) and its gradients equal a NumPy formula restricted to the masked-in positions."""
    rng = np.random.default_rng([len(head), len(output)])
    model = _generic(Model("gru", 2, 3, 3, 1, head=head, dtype=np.float64, seed=6, output=output), rng)
    x, lengths, y, mask, keep = _mask_problem(head, output, rng)
    loss, out, _ = model.loss(x, lengths, y, mask=mask)
    analytic = _grads(model)
    assert loss == pytest.approx(_direct_loss(output, out, y, keep), rel=1e-12)

    def f():
        return _direct_loss(output, model.forward(x, lengths)[0], y, keep)

    _check_every_parameter(model, f, analytic)


@pytest.mark.parametrize("output", ["classes", "regression"])
@pytest.mark.parametrize("head", ["every", "last"])
def test_loss_mask_with_mean_and_count(head, output):
    """mean divides by the masked-in positions (times K for regression) or by count; past a length nothing counts."""
    rng = np.random.default_rng([len(head), len(output), 1])
    model = _generic(Model("lstm", 2, 3, 3, 1, head=head, dtype=np.float64, seed=6, output=output), rng)
    x, lengths, y, mask, keep = _mask_problem(head, output, rng)
    per = 3 if output == "regression" else 1
    total, _, _ = model.loss(x, lengths, y, mask=mask)
    g_sum = model.grad_flat.copy()
    assert np.any(g_sum != 0)
    mean, _, _ = model.loss(x, lengths, y, mask=mask, reduction="mean")
    assert mean == pytest.approx(total / (keep.sum() * per), rel=1e-14)
    np.testing.assert_allclose(model.grad_flat, g_sum / (keep.sum() * per), rtol=1e-12, atol=1e-15)
    shard, _, _ = model.loss(x, lengths, y, mask=mask, reduction="mean", count=20)
    assert shard == pytest.approx(total / (20 * per), rel=1e-14)
    np.testing.assert_allclose(model.grad_flat, g_sum / (20 * per), rtol=1e-12, atol=1e-15)
    # a mask that holds every position, padding too, is no mask
    y_all = np.nan_to_num(y, nan=0.5) if output == "regression" else np.where(keep, y, 1)
    plain, _, _ = model.loss(x, lengths, y_all, reduction="mean")
    g_plain = model.grad_flat.copy()
    assert model.loss(x, lengths, y_all, mask=np.ones(mask.shape, bool), reduction="mean")[0] == plain
    np.testing.assert_array_equal(model.grad_flat, g_plain)
    # and one that holds none gives nothing
    assert model.loss(x, lengths, y, mask=np.zeros(mask.shape, bool), reduction="mean")[0] == 0.0
    assert np.all(model.grad_flat == 0)


@pytest.mark.parametrize("head", ["every", "last"])
@pytest.mark.parametrize("cell", cells.CELLS)
def test_parameter_gradients_with_an_initial_state(cell, head):
    """loss(state=...) on an unsorted batch: the states of forward, and every parameter's gradient."""
    rng = np.random.default_rng([len(cell), len(head), 2])
    N, T, D, H, C, layers = 3, 4, 2, 3, 2, 2
    model = _generic(Model(cell, D, H, C, layers, head=head, dtype=np.float64, seed=8), rng)
    x, lengths, y = _problem(head, True, rng, N=N, T=T, D=D, C=C)
    state = [tuple(rng.standard_normal((H, N)) for _ in range(n_states(cell))) for _ in range(layers)]
    loss, out, finals = model.loss(x, lengths, y, state=state)
    analytic = _grads(model)
    out_f, finals_f = model.forward(x, lengths, state=state)
    np.testing.assert_array_equal(out, out_f)
    for layer, layer_f in zip(finals, finals_f, strict=True):
        for a, b in zip(layer, layer_f, strict=True):
            np.testing.assert_array_equal(a, b)
    assert loss != model.loss(x, lengths, y)[0]  # the state matters

    def f():
        return model.loss(x, lengths, y, state=state, backward=False)[0]

    assert f() == loss
    _check_every_parameter(model, f, analytic)
