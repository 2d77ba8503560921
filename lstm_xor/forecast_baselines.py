"""Forecasts without recurrence, to put the RNN/LSTM/GRU forecasters' figures in context.

A forecaster, ``forecaster(history, horizon) -> (horizon,)``, forecasts the values
after a forecast origin from those before it: ``naive`` repeats the last value,
``seasonal_naive`` the last period, ``seasonal_naive_drift`` adds the mean change
per period, ``AR`` (fitted on the training period) feeds its own predictions back,
``Integrated`` turns a forecaster of the (seasonal) differences into one of the
levels, and ``StateSpace`` wraps a statsmodels state-space model (SARIMA,
exponential smoothing) fitted on the training period. ``one_step_ahead`` and ``multi_step``
run one over a test period, each forecast seeing only the values before its
origin; ``evaluate`` gives the errors a run record keeps.
"""

from collections.abc import Callable
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


def seasonal_naive_drift(history, horizon=1, m=1):
    """(horizon,): seasonal naive plus the history's mean change over one period (y_t - y_{t-m}), once per period
    ahead: the seasonal random walk with drift, for a seasonal series with a trend."""
    history = _check(history, horizon, m + 1)
    drift = np.mean(history[m:] - history[:-m])
    h = np.arange(horizon)
    return history[len(history) - m + h % m] + (h // m + 1) * drift


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


STEADY = 1e-9  # statsmodels' default, 1e-19, keeps a seasonal model's filter at its full cost for every step


def _matrix(ssm, name):
    """A state-space system matrix without its time axis; ValueError if it changes in time (a time-varying model)."""
    a = np.asarray(ssm[name])
    if a.ndim == 3 or (name.endswith("intercept") and a.ndim == 2):
        if not np.allclose(a, a[..., :1]):
            raise ValueError(f"the model's {name} changes in time: expected a time-invariant state-space model")
        a = a[..., 0]
    return a


@dataclass
class StateSpace:
    """A statsmodels state-space model (SARIMAX, ExponentialSmoothing) with parameters fitted once, on a training
    period, then fixed: forecasts from any origin come from one Kalman filter pass over the series.

    model(endog) -> an unfitted statsmodels MLEModel. For a seasonally differenced
    SARIMA, difference first (``Integrated``): the stationary model's filter reaches its
    steady state within a few periods, where the integrated one's stays diffuse and slow.
    """

    model: Callable
    params: np.ndarray
    label: str = ""

    @staticmethod
    def _built(model, endog):
        """model(endog), its filter switched to the steady state once the state covariance settles (to 1e-9)."""
        built = model(np.asarray(endog, dtype=np.float64))
        built.ssm.tolerance = STEADY
        return built

    @classmethod
    def fit(cls, model, train, label=""):
        """The model's maximum-likelihood parameters on the training values (T,)."""
        import warnings

        with warnings.catch_warnings():  # statsmodels' convergence warnings: the validation errors judge the fit
            warnings.simplefilter("ignore")
            result = cls._built(model, train).fit(disp=False)
        return cls(model, np.asarray(result.params), label)

    def from_origins(self, values, origins, horizon):
        """(N, horizon): row i forecasts values[t:t + horizon] from values[:t] alone, t = origins[i].

        The filter's predicted state a_{t|t-1} at each origin (it has seen values[:t]) is
        propagated h steps by the transition matrix: the model's own h-step forecast.
        """
        filtered = self._built(self.model, values).filter(self.params)
        ssm = filtered.model.ssm
        Z, d = _matrix(ssm, "design"), _matrix(ssm, "obs_intercept")
        T, c = _matrix(ssm, "transition"), _matrix(ssm, "state_intercept")
        state = filtered.filter_results.predicted_state[:, np.asarray(origins)]  # (k, N)
        out = np.empty((state.shape[1], horizon))
        for h in range(horizon):
            out[:, h] = (d[:, None] + Z @ state)[0]
            state = c[:, None] + T @ state
        return out

    def __call__(self, history, horizon=1):
        """(horizon,): forecasts after history (t,)."""
        history = _check(history, horizon, 1)
        return self.from_origins(history, [len(history)], horizon)[0]


def _polynomial(lags):
    """(L + 1,): the coefficients of prod (1 - B^l) over lags, L = sum(lags); w_t = sum_j p[j] y_{t-j}."""
    p = np.ones(1)
    for lag in lags:
        p = np.convolve(p, np.concatenate([[1.0], np.zeros(lag - 1), [-1.0]]))
    return p


def differenced(values, lags=(1,)):
    """w (T - L,) = prod (1 - B^l) y over lags from values y (T,); index i of w is index i + L of y, L = sum(lags)."""
    return np.convolve(np.asarray(values, dtype=np.float64), _polynomial(lags), mode="valid")


@dataclass
class Integrated:
    """Forecasts of the levels y from ``inner``, a forecaster of w = (1 - B^l1)(1 - B^l2)... y (l in lags, B the
    backshift): lags (1,) for the changes, (1, 52) for weekly changes less those a year earlier. Each forecast of w
    is summed back into a level with the values before it, or their forecasts where they lie ahead."""

    inner: Callable
    lags: tuple = (1,)

    def from_origins(self, values, origins, horizon):
        """(N, horizon): as StateSpace.from_origins, for the levels."""
        values, origins = np.asarray(values, dtype=np.float64), np.asarray(origins)
        p = _polynomial(self.lags)
        L = len(p) - 1
        if origins.min() <= L:
            raise ValueError(f"a forecast origin at {origins.min()}: differencing by lags {self.lags} needs more than "
                             f"{L} values before it")
        w = differenced(values, self.lags)
        if hasattr(self.inner, "from_origins"):
            w_hat = self.inner.from_origins(w, origins - L, horizon)
        else:
            w_hat = np.stack([self.inner(w[:t - L], horizon) for t in origins])
        past = np.stack([values[t - L:t] for t in origins])  # (N, L), oldest first
        out = np.empty((len(origins), horizon))
        for h in range(horizon):  # y_t = w_t - sum_{j>=1} p[j] y_{t-j}
            out[:, h] = w_hat[:, h] - past[:, ::-1] @ p[1:]
            past = np.concatenate([past[:, 1:], out[:, h:h + 1]], axis=1)
        return out

    def __call__(self, history, horizon=1):
        """(horizon,): forecasts after history (t,)."""
        history = _check(history, horizon, sum(self.lags) + 1)
        return self.from_origins(history, [len(history)], horizon)[0]


def _period(values, test, horizon):
    """(start, stop) of the period test (a slice or range) of values (T,), once it and horizon fit."""
    start, stop, step = test.indices(len(values)) if isinstance(test, slice) else (test.start, test.stop, test.step)
    if step != 1 or not 0 < start < stop <= len(values):
        raise ValueError(f"bad parameter test={test!r}: expected a contiguous period after at least one value")
    if int(horizon) != horizon or not 1 <= horizon <= stop - start:
        raise ValueError(f"bad parameter horizon={horizon!r}: expected an integer from 1 to the test period's "
                         f"length ({stop - start})")
    return start, stop


def multi_step(forecaster, values, test, horizon, **kwargs):
    """(forecasts (N, horizon), targets (N, horizon)) from every origin in the test period of values (T,).

    Row i forecasts values[start + i:start + i + horizon] from values[:start + i]
    alone, where test is a slice (or range) start:stop; N = stop - start - horizon + 1,
    so every target lies in the test period. kwargs go to the forecaster (e.g. m). A
    forecaster with ``from_origins`` (StateSpace) forecasts every origin in one pass.
    """
    values = np.asarray(values, dtype=np.float64)
    start, stop = _period(values, test, horizon)
    origins = range(start, stop - horizon + 1)
    targets = np.stack([values[t:t + horizon] for t in origins])
    return _forecasts(forecaster, values, origins, horizon, **kwargs), targets


def _forecasts(forecaster, values, origins, horizon, **kwargs):
    """(N, horizon): forecasts from each origin t in origins, each from values[:t] alone."""
    if hasattr(forecaster, "from_origins"):
        return forecaster.from_origins(values, origins, horizon, **kwargs)
    return np.stack([forecaster(values[:t], horizon, **kwargs) for t in origins])


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


def evaluate(forecaster, values, period, horizon, train):
    """A forecaster's errors on a period of values (T,): one step ahead at every point of the period (slice), and
    iterated up to ``horizon`` steps; MASE scaled by the naive forecast's error on ``train`` (a slice).

    -> dict(one_step (n,), rmse, mae, mase, rmse_by_horizon (horizon,), mase_by_horizon (horizon,)), plain floats.
    """
    values = np.asarray(values, dtype=np.float64)
    start, stop = _period(values, period, horizon)
    n = stop - start - horizon + 1  # origins whose every target lies in the period
    steps = _forecasts(forecaster, values, range(start, stop), horizon)  # one pass: every point's forecasts
    one, truth = steps[:, 0], values[start:stop]
    targets = np.stack([values[t:t + horizon] for t in range(start, start + n)])
    return {"one_step": one.tolist(), "rmse": rmse(truth, one), "mae": mae(truth, one),
            "mase": mase(truth, one, values[train]),
            "rmse_by_horizon": [rmse(targets[:, h], steps[:n, h]) for h in range(horizon)],
            "mase_by_horizon": [mase(targets[:, h], steps[:n, h], values[train], 1) for h in range(horizon)]}
