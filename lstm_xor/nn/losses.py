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

    The per-position loss is log(1 + (sum of the other classes' e^z) / e^z_true),
    with log1p: a confident right answer costs about e^-margin, and the textbook
    log(sum e^z) - z_true rounds every value below ~6e-8 to exactly 0 in float32,
    which hid most of a well-trained run's losses. The gradient is the usual
    softmax minus one-hot, computed exactly as before.
    """
    if count is None:
        count = y.size if mask is None else int(np.count_nonzero(mask))
    scale = _scale(reduction, count)
    C = logits.shape[0]
    onehot = y[None] == np.arange(C).reshape((C,) + (1,) * y.ndim)  # (C, ...) bool
    shifted = logits - logits.max(axis=0)
    p = np.exp(shifted)
    total = p.sum(axis=0)
    true = np.sum(p, axis=0, where=onehot)  # e^(z_true - max), in (0, 1]
    others = np.sum(p, axis=0, where=~onehot)
    with np.errstate(divide="ignore", over="ignore"):
        nll = np.log1p(others / true)
    lost = ~np.isfinite(nll)  # z_true far below the max overflows the ratio; the textbook form does not
    if lost.any():
        nll[lost] = (np.log(total) - np.sum(shifted, axis=0, where=onehot))[lost]
    loss = float(np.sum(nll, dtype=np.float64, where=True if mask is None else mask)) * scale
    p /= total
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
    diff = np.subtract(outputs, y, dtype=outputs.dtype)  # float64 targets must not promote the gradient
    if mask is not None:
        diff = np.where(mask, diff, 0.0).astype(outputs.dtype, copy=False)  # NaN targets may sit outside it
    loss = float(np.sum(np.square(diff, dtype=np.float64))) * scale
    diff *= diff.dtype.type(2.0 * scale)
    return loss, diff
