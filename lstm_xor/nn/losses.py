"""Softmax cross-entropy over masked positions."""

import numpy as np

REDUCTIONS = ("sum", "mean")


def softmax_cross_entropy(logits, y, mask, reduction, count=None):
    """logits (C, ...), y (...) int, mask (...) bool or None (all) -> loss, dlogits (C, ...).

    ``sum`` adds over every labelled position (the report); ``mean`` divides by
    their number, which makes the step size independent of batch and length.
    ``count`` replaces that number when this batch is one shard of a larger one.
    Masked-out positions add nothing to the loss and get a zero gradient; their
    labels must still be valid class indices.
    """
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction must be one of {REDUCTIONS}, got {reduction!r}")
    C = logits.shape[0]
    onehot = y[None] == np.arange(C).reshape((C,) + (1,) * y.ndim)  # (C, ...) bool
    shifted = logits - logits.max(axis=0)
    p = np.exp(shifted)
    total = p.sum(axis=0)
    p /= total
    nll = np.log(total)
    nll -= np.sum(shifted, axis=0, where=onehot)  # the true class's shifted logit
    if count is None:
        count = y.size if mask is None else int(np.count_nonzero(mask))
    scale = 1.0 if reduction == "sum" else 1.0 / max(count, 1)
    loss = float(np.sum(nll, dtype=np.float64, where=True if mask is None else mask)) * scale
    p -= onehot
    if mask is not None:
        p *= mask
    if scale != 1.0:
        p *= logits.dtype.type(scale)
    return loss, p
