"""Parity of bit strings (report 000, after OpenAI's Requests for Research 2.0).

Type 1: every string has length max_length. Type 2: lengths uniform in
[min_length, max_length]. Inputs are one-hot ('0' -> [1, 0], '1' -> [0, 1]).
The report's text says the label at i is the parity of bits 0..i-1; we use the
inclusive prefix parity (bits 0..i), which is what makes the last label the
parity of the whole string.
"""

from dataclasses import dataclass

import numpy as np


@dataclass
class ParitySet:
    bits: np.ndarray  # (n, max_length) uint8, zero past each length
    lengths: np.ndarray  # (n,) int64

    def __len__(self):
        return len(self.lengths)

    def subset(self, index):
        return ParitySet(self.bits[index], self.lengths[index])


def make_parity(n, min_length, max_length, seed):
    """n random strings with lengths uniform in [min_length, max_length]."""
    rng = np.random.default_rng([seed, 1])
    lengths = rng.integers(min_length, max_length + 1, size=n)
    bits = rng.integers(0, 2, size=(n, max_length), dtype=np.uint8)
    bits[np.arange(max_length)[None, :] >= lengths[:, None]] = 0
    return ParitySet(bits, lengths)


def split(data, test_fraction):
    """First part train, last part test (the strings are already random)."""
    n_test = int(np.ceil(len(data) * test_fraction))
    cut = len(data) - n_test
    return data.subset(slice(0, cut)), data.subset(slice(cut, None))


def batch_arrays(data, index, labels, dtype, cut=None):
    """One batch: x (N, T, 2) one-hot, lengths (N,), y (N, T) or (N,) for final.

    ``cut`` shortens strings (a curriculum); labels follow the shortened string.
    """
    lengths = data.lengths[index] if cut is None else np.minimum(data.lengths[index], cut)
    T = int(lengths.max())
    bits = data.bits[index, :T].copy()
    bits[np.arange(T)[None, :] >= lengths[:, None]] = 0
    x = np.zeros(bits.shape + (2,), dtype=dtype)
    np.put_along_axis(x, bits[..., None].astype(np.int64), 1.0, axis=2)
    prefix = np.cumsum(bits, axis=1, dtype=np.int64) % 2
    if labels == "prefix":
        return x, lengths, prefix
    return x, lengths, prefix[np.arange(len(lengths)), lengths - 1]


def epoch_batches(data, batch_size, batching, seed, epoch):
    """Index arrays of one epoch; every string is used once.

    grouped: each batch holds strings of one length (the report's type-2 batches;
    a length's last batch may be short). packed: shuffled, mixed lengths.
    """
    rng = np.random.default_rng([seed, 2, epoch])
    order = rng.permutation(len(data))
    if batching == "packed":
        return [order[i:i + batch_size] for i in range(0, len(order), batch_size)]
    batches = []
    by_length = order[np.argsort(data.lengths[order], kind="stable")]
    bounds = np.flatnonzero(np.diff(data.lengths[by_length])) + 1
    for group in np.split(by_length, bounds):
        batches += [group[i:i + batch_size] for i in range(0, len(group), batch_size)]
    return [batches[i] for i in rng.permutation(len(batches))]
