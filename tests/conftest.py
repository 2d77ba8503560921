"""Shared helpers: central differences, relative error, small random problems."""

import numpy as np

from lstm_xor.nn import cells


def numerical_grad(f, a, eps=1e-6):
    """Central differences of the scalar f() with respect to every entry of a (changed in place, restored)."""
    g = np.zeros(a.shape, dtype=np.float64)
    flat, gflat = a.reshape(-1), g.reshape(-1)
    assert np.shares_memory(flat, a)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + eps
        up = f()
        flat[i] = old - eps
        down = f()
        flat[i] = old
        gflat[i] = (up - down) / (2 * eps)
    return g


def rel_error(a, b):
    """|a - b| / (|a| + |b|) over the whole array, with norms; 0 when both are 0."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    denom = np.linalg.norm(a) + np.linalg.norm(b)
    return 0.0 if denom == 0 else float(np.linalg.norm(a - b) / denom)


def cell_weights(cell, D, H, rng, scale=0.5):
    """Random float64 weights for a cell function: (W,) or (Wx, Wh)."""
    G = cells.GATES[cell]
    if cell == "gru":
        return (rng.standard_normal((G * H, D + 1)) * scale, rng.standard_normal((G * H, 1 + H)) * scale)
    return (rng.standard_normal((G * H, D + 1 + H)) * scale,)


def cell_forward(cell, weights, x, batch_sizes, state=None, ws=None):
    forward = {"rnn": cells.rnn_forward, "lstm": cells.lstm_forward, "gru": cells.gru_forward}[cell]
    return forward(*weights, x, batch_sizes, state, ws)


def cell_backward(cell, dh, dfinal, cache):
    """-> dx, weight gradients (tuple), dstate0."""
    backward = {"rnn": cells.rnn_backward, "lstm": cells.lstm_backward, "gru": cells.gru_backward}[cell]
    out = backward(dh, dfinal, cache)
    return out[0], tuple(out[1:-1]), out[-1]


def n_states(cell):
    return 2 if cell == "lstm" else 1
