"""Looking inside a trained parity network: its state at every step, the units that carry the running
parity, and what the output loses without them (notebooks/explore.ipynb drives and plots these)."""

from contextlib import contextmanager

import numpy as np

from lstm_xor.tasks.parity import batch_arrays


def one_hot(bits):
    """'0110' or [0, 1, 1, 0] -> x (1, T, 2) float64: the parity task's inputs for one string."""
    values = [int(b) if str(b) in ("0", "1") else -1 for b in bits]
    if not values or set(values) - {0, 1}:
        raise ValueError(f"bad parameter bits={bits!r}: expected a non-empty string of 0s and 1s")
    return np.eye(2)[values][None]


def trace(model, bits):
    """One string, step by step: (P(label 1) (T,), hidden (T, layers, H), cell (T, layers, H) or None)."""
    x = one_hot(bits).astype(model.dtype)
    state, p1, hidden, cell = None, [], [], []
    for t in range(x.shape[1]):
        out, state = model.forward(x[:, t:t + 1], np.array([1]), state)
        logits = np.asarray(out, dtype=np.float64).reshape(-1)
        p1.append(1.0 / (1.0 + np.exp(logits[0] - logits[1])))
        hidden.append([np.asarray(s[0])[:, 0] for s in state])
        if model.cell == "lstm":
            cell.append([np.asarray(s[1])[:, 0] for s in state])
    return np.array(p1), np.array(hidden), (np.array(cell) if cell else None)


def parity_correlation(model, data, n=200):
    """Each top-layer unit's correlation with the running parity, over every step of n strings: (H,)."""
    states, labels = [], []
    for bits, length in zip(data.bits[:n], data.lengths[:n], strict=True):
        string = bits[:length]
        _, hidden, _ = trace(model, string)
        states.append(hidden[:, -1])
        labels.append(np.cumsum(string) % 2)
    h, y = np.concatenate(states), np.concatenate(labels).astype(np.float64)
    h = h - h.mean(axis=0)
    y = y - y.mean()
    return (h * y[:, None]).sum(axis=0) / np.maximum(np.sqrt((h ** 2).sum(axis=0) * (y ** 2).sum()), 1e-300)


@contextmanager
def without_units(model, units):
    """The model with its head no longer reading the top layer's ``units`` (their columns set to 0), restored after."""
    W = model.params["head.W"]
    units = list(units)
    saved = W[:, units].copy()
    W[:, units] = 0.0
    try:
        yield model
    finally:
        W[:, units] = saved


def step_accuracy(model, data, n=500):
    """The share of steps whose running parity the model predicts, over the first n strings of ``data``."""
    x, lengths, y = batch_arrays(data, np.arange(min(n, len(data))), "prefix", model.dtype)
    out, _ = model.forward(x, lengths)
    valid = np.arange(y.shape[1])[None, :] < lengths[:, None]
    return float((np.asarray(out).argmax(axis=-1) == y)[valid].mean())
