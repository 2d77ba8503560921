"""Losses over masked positions: softmax cross-entropy (classes) and squared error (regression).

Both take the outputs feature-major, (C, ...) or (K, ...), and return the loss
as a Python float (summed in float64) and the gradient with respect to the
outputs in the outputs' dtype.
"""

import numpy as np

REDUCTIONS = ("sum", "mean")


def _scale(reduction, count):
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction must be one of {REDUCTIONS}, got {reduction!r}")
    return 1.0 if reduction == "sum" else 1.0 / max(count, 1)


def softmax_cross_entropy(logits, y, mask, reduction, count=None):
    """logits (C, ...), y (...) int, mask (...) bool or None (all) -> loss, dlogits (C, ...).

    ``sum`` adds over every labelled position (the report); ``mean`` divides by
    their number, which makes the step size independent of batch and length.
    ``count`` replaces that number when this batch is one shard of a larger one.
    Masked-out positions add nothing to the loss and get a zero gradient; their
    labels must still be valid class indices.

    The per-position loss is log(1 + sum of the other classes' exp(z - max)) +
    (max - z_true), with the log1p in float64: a confident right answer costs
    about exp(-margin), and log(total) in float32 rounds every value below
    ~6e-8 to exactly 0, which hid most of a well-trained run's losses.
    """
    scale = _scale(reduction, count)
    C = logits.shape[0]
    onehot = y[None] == np.arange(C).reshape((C,) + (1,) * y.ndim)  # (C, ...) bool
    top = logits.argmax(axis=0)[None]
    high = np.take_along_axis(logits, top, axis=0)
    p = logits - high
    true_shifted = np.sum(p, axis=0, where=onehot)  # z_true - max, <= 0
    np.exp(p, out=p)
    np.put_along_axis(p, top, 0.0, axis=0)  # the other classes only (a tie still counts once)
    others = p.sum(axis=0)
    nll = np.log1p(others, dtype=np.float64)
    nll -= true_shifted
    if count is None:
        count = y.size if mask is None else int(np.count_nonzero(mask))
    loss = float(np.sum(nll, where=True if mask is None else mask)) * scale
    np.put_along_axis(p, top, 1.0, axis=0)
    p /= 1.0 + others
    p -= onehot
    if mask is not None:
        p *= mask
    if scale != 1.0:
        p *= logits.dtype.type(scale)
    return loss, p


def squared_error(outputs, y, mask, reduction, count=None):
    """outputs (K, ...), y (K, ...) floats, mask (...) bool or None -> loss, doutputs (K, ...).

    The loss is the sum of (output - y)^2 over every output of every masked-in
    position (torch's MSELoss with reduction='sum'); ``mean`` divides by the
    number of positions times K (torch's 'mean'), ``count`` being the positions.
    """
    K = outputs.shape[0]
    if count is None:
        count = int(np.prod(outputs.shape[1:])) if mask is None else int(np.count_nonzero(mask))
    scale = _scale(reduction, count * K)
    diff = outputs - y
    if mask is not None:
        diff = np.where(mask, diff, 0.0).astype(outputs.dtype, copy=False)  # NaN targets may sit outside it
    loss = float(np.sum(np.square(diff, dtype=np.float64))) * scale
    diff *= diff.dtype.type(2.0 * scale)
    return loss, diff
