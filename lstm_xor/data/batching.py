"""One epoch's batches, for any task whose data sets have per-sequence lengths."""

import numpy as np

BATCHINGS = ("grouped", "packed")


def epoch_batches(lengths, batch_size, batching, seed, epoch):
    """Index arrays of one epoch; every sequence is used once.

    grouped: each batch holds sequences of one length (report 000's type-2
    batches; a length's last batch may be short). packed: shuffled, mixed lengths.
    """
    lengths = np.asarray(lengths)
    rng = np.random.default_rng([seed, 2, epoch])
    order = rng.permutation(len(lengths))
    if batching == "packed":
        return [order[i:i + batch_size] for i in range(0, len(order), batch_size)]
    batches = []
    by_length = order[np.argsort(lengths[order], kind="stable")]
    bounds = np.flatnonzero(np.diff(lengths[by_length])) + 1
    for group in np.split(by_length, bounds):
        batches += [group[i:i + batch_size] for i in range(0, len(group), batch_size)]
    return [batches[i] for i in rng.permutation(len(batches))]
