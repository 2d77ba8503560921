"""Central-difference gradient checks in float64: every parameter of every cell
through the whole model, and the cell functions' input and initial-state
gradients through a random projection of all their outputs."""

import numpy as np
import pytest
from conftest import cell_backward, cell_forward, cell_weights, n_states, numerical_grad, rel_error

from lstm_xor.nn import cells
from lstm_xor.nn.model import Model

TOL = 1e-6


def _problem(head, mixed, rng, N=3, T=4, D=2, C=2):
    x = rng.standard_normal((N, T, D))
    lengths = np.array([2, 4, 3]) if mixed else np.full(N, T)
    y = rng.integers(0, C, size=(N, T) if head == "every" else N)
    return x, lengths, y


@pytest.mark.parametrize("reduction", ["sum", "mean"])
@pytest.mark.parametrize("mixed", [False, True], ids=["fixed", "mixed"])
@pytest.mark.parametrize("head", ["every", "last"])
@pytest.mark.parametrize("layers", [1, 2])
@pytest.mark.parametrize("cell", cells.CELLS)
def test_model_parameter_gradients(cell, layers, head, mixed, reduction):
    rng = np.random.default_rng([layers, len(head), mixed, len(reduction), len(cell)])
    model = Model(cell, 2, 3, 2, layers, head=head, dtype=np.float64, seed=5)
    model.flat[...] = rng.standard_normal(model.flat.size) * 0.6  # every weight generic, biases too
    x, lengths, y = _problem(head, mixed, rng)
    loss, _ = model.loss(x, lengths, y, reduction)
    analytic = {name: g.copy() for name, g in model.grads.items()}
    assert set(analytic) == set(model.params)

    def f():
        return model.loss(x, lengths, y, reduction)[0]

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

    def f():  # the same seed draws the same masks
        return model.loss(x, lengths, y, "sum", train=True, rng=np.random.default_rng(99))[0]

    f()
    analytic = {name: g.copy() for name, g in model.grads.items()}
    assert f() != model.loss(x, lengths, y, "sum", train=False)[0]  # the masks do something
    for name, p in model.params.items():
        err = rel_error(analytic[name], numerical_grad(f, p))
        assert err < TOL, f"{name}: relative error {err:.2e}"


def test_mean_reduction_divides_by_count():
    rng = np.random.default_rng(3)
    model = Model("lstm", 2, 3, 2, 1, dtype=np.float64)
    x, lengths, y = _problem("every", True, rng)
    total, _ = model.loss(x, lengths, y, "sum")
    g_sum = model.grad_flat.copy()
    mean, _ = model.loss(x, lengths, y, "mean")
    assert mean == pytest.approx(total / lengths.sum(), rel=1e-14)
    np.testing.assert_allclose(model.grad_flat, g_sum / lengths.sum(), rtol=1e-12, atol=1e-15)
    shard, _ = model.loss(x, lengths, y, "mean", count=20)
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
