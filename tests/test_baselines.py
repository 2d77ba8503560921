"""Baselines without recurrence: summary features, logistic regression, DTW and 1-nearest-neighbour."""

import numpy as np
import pytest

from lstm_xor.data.sequences import pack
from lstm_xor.study.baselines import dtw, fit_logistic, nearest_neighbour, summary_features


def _naive_dtw(a, b, window=None, squared=False):
    """The textbook O(L^2) table, one cell at a time."""
    w = max(window, abs(len(a) - len(b))) if window is not None else np.inf
    D = np.full((len(a) + 1, len(b) + 1), np.inf)
    D[0, 0] = 0
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            if abs(i - j) <= w:
                c = ((a[i - 1] - b[j - 1]) ** 2).sum()
                D[i, j] = (c if squared else np.sqrt(c)) + min(D[i - 1, j], D[i, j - 1], D[i - 1, j - 1])
    return D[-1, -1]


def _one(*sequences):
    """1-D sequences -> padded (P, T, 1) and lengths."""
    data = pack([np.array(s, dtype=float)[:, None] for s in sequences], [0] * len(sequences), ["a"])
    return data.x, data.lengths


def test_summary_features_are_mean_and_std_over_each_sequence_own_frames():
    data = pack([np.array([[1.0, 0], [3, 0]]), np.array([[2.0, 4]])], [0, 1], ["a", "b"])
    data.x[1, 1] = 99  # padding must not count
    np.testing.assert_allclose(summary_features(data), [[2, 0, 1, 0], [2, 4, 0, 0]])


def test_logistic_regression_separates_an_easy_problem_and_l2_shrinks():
    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(3), 40)
    features = rng.standard_normal((120, 4)) + 4 * np.eye(3, 4)[y] + 10  # offset and scale undone inside
    model = fit_logistic(features, y, 3)
    assert (model.predict(features) == y).all()
    fresh = rng.standard_normal((30, 4)) + 4 * np.eye(3, 4)[np.repeat(np.arange(3), 10)] + 10
    assert (model.predict(fresh) == np.repeat(np.arange(3), 10)).mean() >= 0.9
    strong = fit_logistic(features, y, 3, l2=1.0)
    assert np.linalg.norm(strong.weights[:-1]) < 0.5 * np.linalg.norm(model.weights[:-1])
    np.testing.assert_array_equal(fit_logistic(features, y, 3).weights, model.weights)  # deterministic


def test_logistic_bad_parameters():
    with pytest.raises(ValueError, match=r"bad parameter l2=-1: expected a number >= 0"):
        fit_logistic(np.zeros((2, 1)), np.array([0, 1]), 2, l2=-1)
    with pytest.raises(ValueError, match=r"bad parameter steps=0: expected an integer >= 1"):
        fit_logistic(np.zeros((2, 1)), np.array([0, 1]), 2, steps=0)


def test_dtw_of_hand_examples():
    x, lengths = _one([0, 0, 1, 2], [1], [0, 1, 2, 3])
    # [0 1 2] warps onto [0 0 1 2] at no cost; against [1]: |0-1| + |1-1| + |2-1|; against [0 1 2 3]: only 3 is off
    np.testing.assert_allclose(dtw(np.array([[0.0], [1], [2]]), x, lengths), [0, 2, 1])
    a = np.array([[0.0], [1], [2], [3]])
    b, n = _one([0, 0, 1, 2])
    assert dtw(a, b, n, window=0)[0] == 3  # the band forces the diagonal: 0 + 1 + 1 + 1
    assert dtw(a, b, n, window=1)[0] == 1 == dtw(a, b, n)[0]
    c, m = pack([np.array([[3.0, 4.0]])], [0], ["a"]).x, np.array([1])
    assert dtw(np.zeros((1, 2)), c, m)[0] == 5 and dtw(np.zeros((1, 2)), c, m, squared=True)[0] == 25


def test_dtw_matches_the_textbook_table_on_random_sequences():
    rng = np.random.default_rng(1)
    x = pack([rng.standard_normal((n, 3)) for n in (4, 9, 6, 1)], [0] * 4, ["a"])
    stored = [row[:n].astype(np.float64) for row, n in zip(x.x, x.lengths, strict=True)]  # as dtw sees them
    for La in (1, 5, 8):
        a = rng.standard_normal((La, 3))
        for window in (None, 0, 2):
            for squared in (False, True):
                got = dtw(a, x.x, x.lengths, window, squared)
                want = [_naive_dtw(a, b, window, squared) for b in stored]
                np.testing.assert_allclose(got, want, rtol=1e-12)
    with pytest.raises(ValueError, match=r"bad parameter window=-1"):
        dtw(a, x.x, x.lengths, window=-1)


def test_one_nearest_neighbour_finds_the_class_despite_warping():
    t = np.linspace(0, 1, 40)
    rise, fall = np.sin(np.pi * t), -np.sin(np.pi * t)
    train = pack([rise[::2, None], fall[::2, None]], [0, 1], ["rise", "fall"])
    warped = [np.sin(np.pi * t ** 2)[:, None], -np.sin(np.pi * np.sqrt(t))[:, None], rise[:7, None]]
    test = pack(warped, [0, 1, 0], ["rise", "fall"])
    np.testing.assert_array_equal(nearest_neighbour(train, test), [0, 1, 0])
    np.testing.assert_array_equal(nearest_neighbour(train, test, window=3), [0, 1, 0])
