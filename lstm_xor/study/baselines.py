"""Classifiers without recurrence, to put report 002's RNN and LSTM figures in context.

Logistic regression sees only each sequence's per-feature mean and standard
deviation (no order at all); 1-nearest-neighbour with dynamic time warping
compares whole sequences frame by frame.

``python -m lstm_xor baselines`` fits both on each data set of the classify task
(the split of seed 0, features standardised with the training part's statistics,
the whole training part fitted: neither needs a validation part) and writes their
test figures to one record, which report 002's summary page reads.
"""

import sys
import time
from dataclasses import dataclass

import numpy as np

from lstm_xor import __version__
from lstm_xor.data.sequences import feature_stats, frames, standardise
from lstm_xor.records import write_record


def summary_features(data):
    """(N, 2D): each sequence's per-feature mean, then standard deviation, over its own frames."""
    mask = frames(data.lengths, data.x.shape[1])[..., None]
    n = data.lengths[:, None].astype(np.float64)
    x = np.where(mask, data.x, 0).astype(np.float64)
    mean = x.sum(axis=1) / n
    var = (np.where(mask, x - mean[:, None], 0) ** 2).sum(axis=1) / n
    return np.concatenate([mean, np.sqrt(var)], axis=1)


@dataclass
class Logistic:
    """Multinomial logistic regression on features standardised with the training mean and std."""

    mean: np.ndarray  # (F,)
    std: np.ndarray  # (F,)
    weights: np.ndarray  # (F + 1, K), the last row the biases

    def scores(self, features):
        """(N, K) logits of (N, F) features."""
        z = (features - self.mean) / self.std
        return z @ self.weights[:-1] + self.weights[-1]

    def predict(self, features):
        return self.scores(features).argmax(axis=1)


def fit_logistic(features, y, n_classes, l2=1e-3, steps=2000):
    """Full-batch gradient descent on mean cross-entropy + l2/2 |W|^2 (biases not penalised), from zero weights.

    The step is 1/L for L = lambda_max(Z'Z/N) / 2 + l2, a bound on the loss's
    curvature, so every step lowers it; no randomness anywhere.
    """
    if l2 < 0:
        raise ValueError(f"bad parameter l2={l2!r}: expected a number >= 0")
    if steps < 1:
        raise ValueError(f"bad parameter steps={steps!r}: expected an integer >= 1")
    mean, std = features.mean(axis=0), features.std(axis=0)
    std = np.where(std > 0, std, 1.0)
    z = np.concatenate([(features - mean) / std, np.ones((len(features), 1))], axis=1)
    onehot = np.eye(n_classes)[y]
    penalty = np.ones((z.shape[1], 1))
    penalty[-1] = 0
    lr = 1 / (np.linalg.eigvalsh(z.T @ z / len(z)).max() / 2 + l2)
    w = np.zeros((z.shape[1], n_classes))
    for _ in range(steps):
        logits = z @ w
        p = np.exp(logits - logits.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        w -= lr * (z.T @ (p - onehot) / len(z) + l2 * penalty * w)
    return Logistic(mean, std, w)


def dtw(a, x, lengths, window=None, squared=False):
    """DTW distances (P,) from one sequence a (L, D) to each of x (P, T, D) cut at lengths (P,).

    A distance is the least sum of Euclidean frame distances (``squared``: of
    their squares, as the UEA archive's DTW_D benchmarks do) along a warping
    path from the first frames to the last (steps right, down, diagonal).
    ``window``: Sakoe-Chiba band |i - j| <= window, widened to |L - length| for a
    pair whose lengths differ more (else no path would exist). One row of the
    table at a time for all P pairs; within a row the running minimum is a
    prefix minimum: D[i, j] = S[j] + min_{k <= j} (E[k] - S[k]), where E[k] is the
    cost of entering row i at column k from row i - 1 and S the row's cost cumsum.
    """
    if window is not None and window < 0:
        raise ValueError(f"bad parameter window={window!r}: expected an integer >= 0 or None")
    a = np.asarray(a, dtype=np.float64)
    x = np.asarray(x, dtype=np.float64)
    lengths = np.asarray(lengths)
    P, T, _ = x.shape
    j = np.arange(T)[None, :]
    width = np.full(P, np.inf) if window is None else np.maximum(window, np.abs(len(a) - lengths))
    prev = np.full((P, T), np.inf)
    for i in range(len(a)):
        cost = ((x - a[i]) ** 2).sum(axis=2)  # (P, T), one row at a time: the whole (P, L, T, D) can be GBs
        cost = cost if squared else np.sqrt(cost)
        diagonal = np.concatenate([np.full((P, 1), 0.0 if i == 0 else np.inf), prev[:, :-1]], axis=1)
        enter = cost + np.minimum(prev, diagonal)
        outside = np.abs(i - j) > width[:, None]
        enter[outside] = np.inf
        s = np.cumsum(cost, axis=1)
        prev = s + np.minimum.accumulate(enter - s, axis=1)
        prev[outside] = np.inf
    return prev[np.arange(len(x)), lengths - 1]


def nearest_neighbour(train, test, window=None, squared=False, progress=False):
    """(N_test,) labels: each test sequence takes the class of its DTW-nearest training sequence."""
    from tqdm.auto import tqdm
    x = train.x.astype(np.float64)  # once, not once per test sequence
    pairs = tqdm(zip(test.x, test.lengths, strict=True), total=len(test.y), desc="1-NN DTW", unit="sequence",
                 disable=not progress, leave=False)
    return np.array([train.y[dtw(a[:n], x, train.lengths, window, squared).argmin()] for a, n in pairs])


def scores(predicted, y, n_classes):
    """Accuracy, counts and the confusion matrix (true class, predicted class) of predicted labels."""
    confusion = np.bincount(y * n_classes + predicted, minlength=n_classes ** 2).reshape(n_classes, n_classes)
    return dict(accuracy=float(np.trace(confusion) / len(y)), correct=int(np.trace(confusion)), n=len(y),
                confusion=confusion.tolist())


def evaluate(dataset, progress=False):
    """Both baselines' test figures on one data set of the classify task (1-NN DTW on squared distances, as
    the UEA archive's DTW_D benchmarks, without a window)."""
    from lstm_xor.tasks.classify import load
    train, test = load(dataset)
    mean, std = feature_stats(train)
    train, test = standardise(train, mean, std), standardise(test, mean, std)
    C = len(train.classes)
    out = {}
    start = time.perf_counter()
    model = fit_logistic(summary_features(train), train.y, C)
    out["logistic"] = scores(model.predict(summary_features(test)), test.y, C)
    out["logistic"]["seconds"] = time.perf_counter() - start
    start = time.perf_counter()
    out["dtw"] = scores(nearest_neighbour(train, test, squared=True, progress=progress), test.y, C)
    out["dtw"]["seconds"] = time.perf_counter() - start
    return dict(train=len(train.y), test=len(test.y), classes=list(train.classes), synthetic=train.synthetic, **out)


DATASETS = ("vowels", "digits", "pen")
RECORD = "book/runs/baselines.json"


def add_arguments(parser):
    parser.add_argument("--datasets", nargs="+", choices=DATASETS, default=list(DATASETS),
                        help="the classify task's data sets to fit (default: all)")
    parser.add_argument("--out", default=RECORD, help=f"the record to write (default: {RECORD})")


def main(args):
    record = dict(command="python -m lstm_xor baselines " + " ".join(sys.argv[2:]), version=__version__,
                  datasets={})
    for name in args.datasets:
        record["datasets"][name] = figures = evaluate(name, progress=True)
        print(f"{name}: logistic {figures['logistic']['accuracy']:.4f}, 1-NN DTW {figures['dtw']['accuracy']:.4f} "
              f"({figures['dtw']['seconds']:.0f} s)")
    write_record(args.out, record)  # whole or not at all
    print(f"record in {args.out}")
    return 0
