"""One epoch's batches, for any task whose data sets have per-sequence lengths."""

import numpy as np

BATCHINGS = ("grouped", "packed", "report")


def epoch_batches(lengths, batch_size, batching, seed, epoch, shards=1):
    """Index arrays of one epoch, one per optimiser step.

    grouped: each batch holds sequences of one length (report 000's type-2
    batches; a length's last batch may be short). packed: shuffled, mixed lengths.
    report: report 000's order, the same every epoch: one-length batches in
    increasing length, each of ``shards`` ranks owning a contiguous share of them,
    the batches that do not divide among the ranks dropped.

    ``shards`` > 1 makes a step of that many batches of batch_size // shards,
    each drawn on its own (one length each unless packed), as report 000's five
    MPI ranks did with a batch of 32 each; the step is their union, so with the
    summed loss its gradient is the sum of theirs.
    """
    lengths = np.asarray(lengths)
    size = batch_size // shards
    rng = np.random.default_rng([seed, 2, epoch])
    if batching == "packed":
        order = rng.permutation(len(lengths))
        batches = [order[i:i + size] for i in range(0, len(order), size)]
        return _steps(batches, shards)
    order = np.arange(len(lengths)) if batching == "report" else rng.permutation(len(lengths))
    by_length = order[np.argsort(lengths[order], kind="stable")]
    bounds = np.flatnonzero(np.diff(lengths[by_length])) + 1
    batches = [group[i:i + size] for group in np.split(by_length, bounds) for i in range(0, len(group), size)]
    if batching == "report":
        per_rank = len(batches) // shards
        # step i takes the i-th batch of every rank's share, so one step spans `shards` length bands
        return [np.concatenate([batches[r * per_rank + i] for r in range(shards)]) for i in range(per_rank)]
    return _steps([batches[i] for i in rng.permutation(len(batches))], shards)


def _steps(batches, shards):
    """Consecutive ``shards`` batches joined into one step; a last incomplete step keeps what is left."""
    return [np.concatenate(batches[i:i + shards]) for i in range(0, len(batches), shards)]
