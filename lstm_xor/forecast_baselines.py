"""Forecasts without recurrence, to put the RNN/LSTM/GRU forecasters' figures in context.

A forecaster, ``forecaster(history, horizon) -> (horizon,)``, forecasts the values
after a forecast origin from those before it: ``naive`` repeats the last value,
``seasonal_naive`` the last period, ``AR`` (fitted on the training period) feeds
its own predictions back. ``one_step_ahead`` and ``multi_step`` run one over a
test period, each forecast seeing only the values before its origin.
"""

from dataclasses import dataclass

import numpy as np


def _check(history, horizon, needed):
    """history as a float64 array, once it has ``needed`` values and horizon is an integer >= 1."""
    if int(horizon) != horizon or horizon < 1:
        raise ValueError(f"bad parameter horizon={horizon!r}: expected an integer >= 1")
    history = np.asarray(history, dtype=np.float64)
    if len(history) < needed:
        raise ValueError(f"a history of {len(history)} values: this forecaster needs at least {needed}")
    return history


def naive(history, horizon=1):
    """(horizon,): the last value of history (t,), repeated."""
    return np.full(horizon, _check(history, horizon, 1)[-1])


def seasonal_naive(history, horizon=1, m=1):
    """(horizon,): the last m values of history (t,) (one period), repeated period after period."""
    last = _check(history, horizon, m)[len(history) - m:]
    return np.resize(last, horizon)


@dataclass
class AR:
    """A linear autoregression y_t = coef[0] + coef[1] y_{t-1} + ... + coef[p] y_{t-p}; coef (p + 1,)."""

    coef: np.ndarray

    @property
    def p(self):
        return len(self.coef) - 1

    @classmethod
    def fit(cls, train, p):
        """AR(p) fitted to the training values (T,) by least squares, intercept included (T - p equations)."""
        train = np.asarray(train, dtype=np.float64)
        if int(p) != p or p < 1:
            raise ValueError(f"bad parameter p={p!r}: expected an integer >= 1")
        if len(train) - p < p + 1:
            raise ValueError(f"bad parameter p={p!r}: {len(train)} training values give {len(train) - p} equations "
                             f"for {p + 1} coefficients")
        lags = np.lib.stride_tricks.sliding_window_view(train[:-1], p)[:, ::-1]  # row t: y_{t-1}, ..., y_{t-p}
        design = np.concatenate([np.ones((len(lags), 1)), lags], axis=1)
        return cls(np.linalg.lstsq(design, train[p:], rcond=None)[0])

    def __call__(self, history, horizon=1):
        """(horizon,): iterated forecasts after history (t,), each prediction fed back as the next lag."""
        lags = _check(history, horizon, self.p)[len(history) - self.p:][::-1].copy()  # y_{t-1}, ..., y_{t-p}
        out = np.empty(horizon)
        for h in range(horizon):
            out[h] = self.coef[0] + self.coef[1:] @ lags
            lags = np.concatenate([out[h:h + 1], lags[:-1]])
        return out


def multi_step(forecaster, values, test, horizon, **kwargs):
    """(forecasts (N, horizon), targets (N, horizon)) from every origin in the test period of values (T,).

    Row i forecasts values[start + i:start + i + horizon] from values[:start + i]
    alone, where test is a slice (or range) start:stop; N = stop - start - horizon + 1,
    so every target lies in the test period. kwargs go to the forecaster (e.g. m).
    """
    values = np.asarray(values, dtype=np.float64)
    start, stop, step = test.indices(len(values)) if isinstance(test, slice) else (test.start, test.stop, test.step)
    if step != 1 or not 0 < start < stop <= len(values):
        raise ValueError(f"bad parameter test={test!r}: expected a contiguous period after at least one value")
    if int(horizon) != horizon or not 1 <= horizon <= stop - start:
        raise ValueError(f"bad parameter horizon={horizon!r}: expected an integer from 1 to the test period's "
                         f"length ({stop - start})")
    origins = range(start, stop - horizon + 1)
    forecasts = np.stack([forecaster(values[:t], horizon, **kwargs) for t in origins])
    return forecasts, np.stack([values[t:t + horizon] for t in origins])


def one_step_ahead(forecaster, values, test, **kwargs):
    """(forecasts (n,), targets (n,)) for the n test points of values (T,), each from the values before it."""
    forecasts, targets = multi_step(forecaster, values, test, 1, **kwargs)
    return forecasts[:, 0], targets[:, 0]


def _errors(y, yhat):
    """y - yhat, once both have one shape (no broadcasting)."""
    y, yhat = np.asarray(y, dtype=np.float64), np.asarray(yhat, dtype=np.float64)
    if y.shape != yhat.shape:
        raise ValueError(f"targets of shape {y.shape}, forecasts of shape {yhat.shape}: expected one shape")
    return y - yhat


def rmse(y, yhat):
    """Root mean squared error over all entries of y and yhat (same shape)."""
    return float(np.sqrt(np.mean(_errors(y, yhat) ** 2)))


def mae(y, yhat):
    """Mean absolute error over all entries of y and yhat (same shape)."""
    return float(np.mean(np.abs(_errors(y, yhat))))


def mase(y, yhat, train, m=1):
    """mae(y, yhat) over the in-sample mean absolute error of the m-step seasonal naive forecast on train (T,).

    m=1 scales by the one-step naive forecast's error, m=period by the seasonal
    naive's; below 1 the forecasts beat that in-sample benchmark.
    """
    train = np.asarray(train, dtype=np.float64)
    if int(m) != m or not 1 <= m < len(train):
        raise ValueError(f"bad parameter m={m!r}: expected an integer from 1 to len(train) - 1 ({len(train) - 1})")
    scale = np.mean(np.abs(train[m:] - train[:-m]))
    if scale == 0:
        raise ValueError(f"the training series repeats itself every {m} steps: its naive error, MASE's scale, is 0")
    return mae(y, yhat) / float(scale)
