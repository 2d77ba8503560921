"""Softmax cross-entropy over masked positions."""

import numpy as np

REDUCTIONS = ("sum", "mean")


def softmax_cross_entropy(logits, y, mask, reduction, count=None):
    """logits (C, ...), y (...) int, mask (...) bool -> loss, dlogits (C, ...).

    ``sum`` adds over every labelled position (the report); ``mean`` divides by
    their number, which makes the step size independent of batch and length.
    ``count`` replaces that number when this batch is one shard of a larger one.
    """
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction must be one of {REDUCTIONS}, got {reduction!r}")
    shifted = logits - logits.max(axis=0)
    p = np.exp(shifted)
    total = p.sum(axis=0)
    p /= total
    picked = np.take_along_axis(shifted, y[None], axis=0)[0]
    nll = (np.log(total) - picked) * mask
    if count is None:
        count = int(mask.sum())
    scale = 1.0 if reduction == "sum" else 1.0 / max(count, 1)
    np.put_along_axis(p, y[None], np.take_along_axis(p, y[None], axis=0) - 1.0, axis=0)
    p *= (mask * scale).astype(logits.dtype)
    return float(nll.sum(dtype=np.float64)) * scale, p
