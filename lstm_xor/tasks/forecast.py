"""Forecasting a real series (report 001's demo): the next value at every step, a regression head.

The series (``lstm_xor.data.series``: yearly sunspots, weekly Mauna Loa CO2) is
split in time order into training, validation and test periods and scaled with
the training period's mean and standard deviation. ``sequences='windows'``
trains on every run of ``window`` consecutive points of the training period, the
target at each step the point after it; ``sequences='whole'`` trains on the
training period as one sequence, the natural use of truncated BPTT (``bptt``).
A forecast of a validation or test point reads the ``window`` points before it
(windows) or the whole series before it (whole); the metrics are its errors in
scaled units. After training, ``final`` forecasts the test period in the
series' unit: one step ahead from every test point's past, and iterated up to
``horizon`` steps ahead (each forecast fed back as the next input), beside the
naive, seasonal naive and least-squares autoregressive forecasts of the same
points (``lstm_xor.forecast_baselines``), with RMSE, MAE and MASE.
"""

import functools
from dataclasses import dataclass

import numpy as np

from lstm_xor import forecast_baselines as fb
from lstm_xor.data.series import SERIES, fit_scale, load_series, scale, split_in_time, unscale
from lstm_xor.tasks.base import Batch, ModelSpec, Param, Splits, Task, check_choice, check_positive

SEQUENCES = ("windows", "whole")
TRANSFORMS = ("level", "difference")
AR_ORDER = {"sunspots": 9, "co2": 52}  # the autoregression's lags: about a solar cycle, a year of weeks


@dataclass
class Windows:
    """x (N, T, 1) scaled inputs; y (N, T, 1) the next values; mask (N, T) the positions that count; lengths (N,)."""

    x: np.ndarray
    y: np.ndarray
    mask: np.ndarray
    lengths: np.ndarray

    def __len__(self):
        return len(self.lengths)


def _windows(values, starts, window):
    """Sequences of ``window`` points from each start, every step's next value its target (all count)."""
    index = np.asarray(starts)[:, None] + np.arange(window)[None, :]
    mask = np.ones(index.shape, dtype=bool)
    return Windows(values[index][..., None], values[index + 1][..., None], mask, np.full(len(starts), window))


def _period(values, period, window, sequences):
    """The sequences whose last steps forecast each point of ``period`` (a slice), only that step counting."""
    if sequences == "whole":  # the whole past, one sequence; the period's points count
        mask = np.zeros((1, period.stop - 1), dtype=bool)
        mask[0, period.start - 1:] = True
        return Windows(values[None, :period.stop - 1, None], values[None, 1:period.stop, None], mask,
                       np.array([period.stop - 1]))
    data = _windows(values, np.arange(period.start - window, period.stop - window), window)
    data.mask[:, :-1] = False
    return data


def _modelled(values, transform):
    """What the network reads and forecasts: the values, or their changes (one fewer, index i: t = i + 1)."""
    return np.diff(values) if transform == "difference" else np.asarray(values, dtype=np.float64)


@functools.lru_cache(maxsize=4)
def _scaled(name, valid_fraction, test_fraction, transform):
    """(series, its periods, the modelled values scaled, (mean, std), the modelled values' periods)."""
    series = load_series(name)
    parts = split_in_time(series, valid_fraction, test_fraction)
    shift = int(transform == "difference")
    own = tuple(slice(p.start - shift if p.start else 0, p.stop - shift) for p in parts)
    modelled = _modelled(series.values, transform)
    mean, std = fit_scale(modelled[own[0]])
    return series, parts, scale(modelled, mean, std), (mean, std), own


def _get(config):
    return _scaled(config.series, config.valid_fraction, config.test_fraction, config.transform)


class Forecast(Task):
    name = "forecast"
    params = (
        Param("series", str, "sunspots", "sunspots (yearly, 1700-2008) or co2 (weekly Mauna Loa, 1958-2001)"),
        Param("sequences", str, "windows", "windows: every run of `window` points of the training period; whole: "
              "the training period as one sequence (with truncated BPTT, bptt)"),
        Param("window", int, 24, "points a forecast reads (windows), and the length of a training window"),
        Param("horizon", int, 8, "after training: iterated forecasts up to this many steps ahead"),
        Param("transform", str, "level", "level: the network reads and forecasts the values; difference: their "
              "changes from one point to the next, summed back into forecasts (for a series with a trend)"),
        Param("valid_fraction", float, 0.2, "the share that validates: of the training part (classify, without "
              "folds, stratified), of the series before the test period (forecast)"),
        Param("test_fraction", float, 0.2, "share held out for testing"),  # shared with parity and classify
    )
    about = ("A recurrent net forecasts a real series, as in report 001's demo: yearly sunspot numbers or weekly "
             "Mauna Loa CO2, split in time order (training, then validation, then test period) and scaled with the "
             "training period's statistics. At every step the target is the next value (squared error). The "
             "metrics are the one-step-ahead errors in scaled units; the record's `forecast` holds the test "
             "period's forecasts in the series' unit, one step and up to `horizon` steps ahead, beside naive, "
             "seasonal naive and autoregressive baselines (RMSE, MAE, MASE).")
    history_metrics = ("rmse",)
    primary = "rmse"
    extra_name = "set"

    def validate(self, config):
        check_choice("series", config.series, SERIES)
        check_choice("sequences", config.sequences, SEQUENCES)
        check_positive(config, "window", "horizon")
        check_choice("transform", config.transform, TRANSFORMS)
        _, _, _, _, (train, _, test) = _get(config)
        if config.horizon > test.stop - test.start:
            raise ValueError(f"bad parameter horizon={config.horizon!r}: expected at most the test period's "
                             f"{test.stop - test.start} points")
        if config.window >= train.stop:
            raise ValueError(f"bad parameter window={config.window!r}: a series with too few points for the window "
                             f"(the training period has {train.stop}); expected fewer")

    def splits(self, config):
        _, _, values, _, (train, valid, test) = _get(config)
        if config.sequences == "whole":
            data = Windows(values[None, :train.stop - 1, None], values[None, 1:train.stop, None],
                           np.ones((1, train.stop - 1), dtype=bool), np.array([train.stop - 1]))
        else:
            data = _windows(values, np.arange(train.stop - config.window), config.window)
        return Splits(data, *(_period(values, p, config.window, config.sequences) for p in (valid, test)))

    def model_spec(self, config):
        return ModelSpec("dense", 1, 1, head="every", output="regression")

    def batch(self, config, data, index, dtype, step=None):
        T = int(data.lengths[index].max())
        return Batch(data.x[index, :T].astype(dtype), data.lengths[index], data.y[index, :T].astype(dtype),
                     data.mask[index, :T])

    def tally_size(self, config, data):
        return 3

    def tally(self, outputs, batch):
        """[forecasts, sum of squared errors, sum of absolute errors] over the positions that count."""
        error = (outputs[..., 0] - batch.y[..., 0])[batch.mask]
        return np.array([error.size, np.sum(error ** 2), np.sum(np.abs(error))], dtype=np.float64)

    def metrics(self, totals):
        n = max(totals[0], 1)
        return {"rmse": float(np.sqrt(totals[1] / n)), "mae": float(totals[2] / n), "n": int(totals[0])}

    def summary(self, test):
        return f"one step ahead, scaled units: RMSE {test['rmse']:.4f}, MAE {test['mae']:.4f} ({test['n']} points)"

    def summary_rows(self, test):
        return [("test RMSE (scaled)", f"{test['rmse']:.4f}"), ("test MAE (scaled)", f"{test['mae']:.4f}"),
                ("test points", str(test["n"]))]

    def final(self, config, model, splits):
        """The test period's forecasts in the series' unit, the network's and the baselines', and their errors."""
        series, (train, _, test), _, (mean, std), _ = _get(config)
        width = None if config.sequences == "whole" else config.window

        def network(history, horizon):
            """Iterated forecasts: windows re-read the last `window` points, forecasts included; whole carries
            the state from the series' start."""
            past = scale(_modelled(history, config.transform), mean, std)
            past = list(past[-width:] if width else past)
            out, state = model.forward(np.array(past, model.dtype)[None, :, None], np.array([len(past)]))
            forecasts = [float(out[0, -1, 0])]
            for _ in range(horizon - 1):
                if width:
                    past = [*past[1:], forecasts[-1]]
                    out, _ = model.forward(np.array(past, model.dtype)[None, :, None], np.array([width]))
                else:
                    out, state = model.forward(np.array([[[forecasts[-1]]]], model.dtype), np.array([1]), state)
                forecasts.append(float(out[0, -1, 0]))
            changes = unscale(forecasts, mean, std)
            return history[-1] + np.cumsum(changes) if config.transform == "difference" else changes

        m = series.period
        ar = fb.AR.fit(series.values[train], AR_ORDER[config.series])
        forecasters = {"network": network, "naive": fb.naive,
                       "seasonal naive": functools.partial(fb.seasonal_naive, m=m), "autoregression": ar}
        out = {"times": series.times[test].tolist(), "truth": series.values[test].tolist(), "period": m,
               "ar_order": ar.p, "methods": {}}
        for name, forecaster in forecasters.items():
            out["methods"][name] = fb.evaluate(forecaster, series.values, test, config.horizon, train)
        return {"forecast": out}


TASK = Forecast()
