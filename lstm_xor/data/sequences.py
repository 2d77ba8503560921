"""Labelled sequences of varying length as one padded array, and what is done to them before training.

Transforms never look past a sequence's length: padding is zero on the way out
and ignored on the way in. Splits and folds are stratified by class and return
index arrays, for :meth:`SequenceSet.subset`.
"""

import dataclasses
from dataclasses import dataclass

import numpy as np


@dataclass
class SequenceSet:
    """x (N, T, D) float32, zero past each length; lengths (N,); y (N,) indices into classes."""

    x: np.ndarray
    lengths: np.ndarray
    y: np.ndarray
    classes: tuple
    synthetic: bool = False  # made by a generator, not recorded: every table built from it must say so

    def __len__(self):
        return len(self.lengths)

    def subset(self, index):
        """The sequences ``index`` (indices, a mask or a slice), padded to their own longest."""
        lengths = self.lengths[index]
        T = int(lengths.max()) if len(lengths) else 0
        return dataclasses.replace(self, x=self.x[index, :T], lengths=lengths, y=self.y[index])


def pack(sequences, y, classes, synthetic=False):
    """A SequenceSet from a list of (L_i, D) arrays and their labels (indices into classes)."""
    lengths = np.array([len(s) for s in sequences], dtype=np.int64)
    x = np.zeros((len(sequences), int(lengths.max()), sequences[0].shape[1]), dtype=np.float32)
    for row, s in zip(x, sequences, strict=True):
        row[:len(s)] = s
    return SequenceSet(x, lengths, np.asarray(y, dtype=np.int64), tuple(classes), synthetic)


def frames(lengths, T):
    """(N, T) bool: True at each sequence's own frames, False on padding."""
    return np.arange(T)[None, :] < np.asarray(lengths)[:, None]


def deltas(x, lengths, width=2):
    """Time derivatives (N, T, D) of x (N, T, D) by the regression formula over +-width frames.

    d_t = sum_{n=1..width} n (c_{t+n} - c_{t-n}) / (2 sum_{n=1..width} n^2), with
    each sequence's first and last frames repeated past its ends (as HTK does);
    zero past each length.
    """
    N, T, _ = x.shape
    x = np.asarray(x, dtype=np.float64)
    t = np.arange(T)[None, :]
    last = np.asarray(lengths)[:, None] - 1
    rows = np.arange(N)[:, None]
    d = np.zeros_like(x)
    for n in range(1, width + 1):
        d += n * (x[rows, np.minimum(t + n, last)] - x[rows, np.maximum(t - n, 0)])
    d /= 2 * sum(n * n for n in range(1, width + 1))
    d[~frames(lengths, T)] = 0
    return d


def feature_stats(data):
    """Per feature mean and standard deviation (D,) over all frames of ``data`` (padding excluded)."""
    valid = data.x[frames(data.lengths, data.x.shape[1])].astype(np.float64)
    std = valid.std(axis=0)
    # a constant feature carries nothing; dividing by 1 keeps it at zero rather than NaN
    return valid.mean(axis=0), np.where(std > 0, std, 1.0)


def standardise(data, mean, std):
    """``data`` with each feature shifted by mean and scaled by std (from the training part); padding stays zero."""
    x = (data.x - mean) / std
    x[~frames(data.lengths, x.shape[1])] = 0
    return dataclasses.replace(data, x=x.astype(np.float32))


def _by_class(y, seed):
    """Each class's indices, shuffled by ``seed``: a list over the labels present, smallest label first."""
    rng = np.random.default_rng([seed, 3])
    return [rng.permutation(np.flatnonzero(y == label)) for label in np.unique(y)]


def stratified_fold(y, fold, folds, seed=0):
    """(train, test) sorted index arrays of fold ``fold`` out of ``folds``; every class spread over all folds.

    The folds of one seed partition the data; each class's sequences are dealt
    round-robin, so fold sizes differ by at most one and per class by at most one.
    """
    y = np.asarray(y)
    if folds < 2:
        raise ValueError(f"bad parameter folds={folds!r}: expected an integer >= 2")
    if not 0 <= fold < folds:
        raise ValueError(f"bad parameter fold={fold!r}: expected 0 <= fold < folds ({folds})")
    labels, counts = np.unique(y, return_counts=True)
    if counts.min() < folds:
        small = labels[counts.argmin()]
        raise ValueError(f"bad parameter folds={folds!r}: class {small} has only {counts.min()} sequences; "
                         "expected at least one per fold")
    # dealing the concatenated classes in turn keeps both the folds and each class's share balanced
    order = np.concatenate(_by_class(y, seed))
    test = np.arange(len(order)) % folds == fold
    return np.sort(order[~test]), np.sort(order[test])


def stratified_split(y, test_fraction, seed=0):
    """(train, test) sorted index arrays; each class gives round(n_c * test_fraction) of its n_c, at least one."""
    y = np.asarray(y)
    if not 0 < test_fraction < 1:
        raise ValueError(f"bad parameter test_fraction={test_fraction!r}: expected a fraction strictly between "
                         "0 and 1")
    train, test = [], []
    for members in _by_class(y, seed):
        if len(members) < 2:
            raise ValueError(f"class {y[members[0]]} has only one sequence: a stratified split needs two per class")
        n_test = min(max(round(len(members) * test_fraction), 1), len(members) - 1)
        test.append(members[:n_test])
        train.append(members[n_test:])
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(test))
