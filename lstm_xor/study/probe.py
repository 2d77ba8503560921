"""Looking inside a trained parity network: its state at every step, the units that carry the running
parity, and what the output loses without them (notebooks/explore.ipynb drives and plots these)."""

from contextlib import contextmanager

import numpy as np

from lstm_xor.config import Launch, RunConfig
from lstm_xor.tasks.parity import TASK, batch_arrays
from lstm_xor.train.loop import train

CORRELATION_STRINGS = 200  # test strings whose every step the correlations with the parity are taken over
STEP_STRINGS = 500  # test strings whose steps the accuracies are taken over
BITS_HELP = ("a non-empty string of 0s and 1s (papermill: `-r bits 0110`; `-p bits 0110` passes the number 110, "
             "which is read as its digits, so its leading zeros are lost)")


def read_bits(bits):
    """The notebook's ``bits`` as text: a string of 0s and 1s, or the number ``-p`` makes of one, read as its digits."""
    text = str(bits) if isinstance(bits, int) and not isinstance(bits, bool) else bits
    if not isinstance(text, str) or not text or set(text) - {"0", "1"}:
        raise ValueError(f"bad parameter bits={bits!r}: expected {BITS_HELP}")
    return text


def explore_config(cell, hidden, max_length, n_samples, epochs, seed):
    """The exploration's run: parity with a label at every step, lengths 1..max_length; RunConfig validates
    every value (a bad one raises ValueError naming it and what is accepted) before any work."""
    return RunConfig(task="parity", cell=cell, hidden=hidden, min_length=1, max_length=max_length,
                     n_samples=n_samples, epochs=epochs, lr=0.01, seed=seed)


def train_network(config):
    """Train ``config`` in this process, keeping no record on disk: (model, record, the test strings)."""
    record = train(config, launch=Launch(metrics_path=""), progress=False)
    return record["model"], record, TASK.splits(config).test


def running_parity(bits):
    """The parity of each prefix of a string of bits: its labels at every step."""
    return np.cumsum([int(b) for b in bits]) % 2


def one_hot(bits):
    """'0110' or [0, 1, 1, 0] -> x (1, T, 2) float64: the parity task's inputs for one string."""
    values = [int(b) if str(b) in ("0", "1") else -1 for b in bits]
    if not values or set(values) - {0, 1}:
        raise ValueError(f"bad parameter bits={bits!r}: expected {BITS_HELP}")
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


def parity_correlation(model, data, n=CORRELATION_STRINGS):
    """Each top-layer unit's correlation with the running parity, over every step of n strings: (H,)."""
    states, labels = [], []
    for bits, length in zip(data.bits[:n], data.lengths[:n], strict=True):
        string = bits[:length]
        _, hidden, _ = trace(model, string)
        states.append(hidden[:, -1])
        labels.append(running_parity(string))
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


def step_accuracy(model, data, n=STEP_STRINGS):
    """The share of steps whose running parity the model predicts, over the first n strings of ``data``."""
    x, lengths, y = batch_arrays(data, np.arange(min(n, len(data))), "prefix", model.dtype)
    out, _ = model.forward(x, lengths)
    valid = np.arange(y.shape[1])[None, :] < lengths[:, None]
    return float((np.asarray(out).argmax(axis=-1) == y)[valid].mean())


def ablations(model, data, counts=(1, 2, 4, 8)):
    """Units by |correlation with the parity| (strongest first), their correlations, the step accuracy with
    every unit read, and rows (k, accuracy without the k most correlated, without the k least)."""
    corr = parity_correlation(model, data)
    order = np.argsort(-np.abs(corr))
    rows = []
    for k in (k for k in counts if k <= len(order)):
        with without_units(model, order[:k]):
            strongest = step_accuracy(model, data)
        with without_units(model, order[-k:]):
            weakest = step_accuracy(model, data)
        rows.append((k, strongest, weakest))
    return order, corr[order], step_accuracy(model, data), rows
