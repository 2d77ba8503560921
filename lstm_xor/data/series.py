"""Real univariate time series for forecasting: yearly sunspot numbers and weekly Mauna Loa CO2.

Sources, licences and citations: ``files/SOURCES.md``; every read checks the
file's sha256 first (``speech.vendored``). Splits are contiguous periods in time
order, never shuffled, and scaling uses the training period's statistics only.
"""

import csv
import datetime
from dataclasses import dataclass

import numpy as np

from lstm_xor.data.speech import vendored

SERIES = ("sunspots", "co2")


@dataclass
class Series:
    """values (T,) float64 in ``unit``; times (T,) float64 in years (decimal years for weekly data)."""

    values: np.ndarray
    times: np.ndarray
    name: str
    unit: str
    period: int  # seasonal period in steps; approximate for both series (see load_series)
    missing: int  # values missing from the file, filled by linear interpolation in time (fill_missing)

    def __len__(self):
        return len(self.values)


def _rows(name):
    """The data rows of vendored CSV file ``name`` (its header checked off), as lists of strings."""
    path = vendored(name)
    with open(path, newline="") as f:
        header, *rows = csv.reader(f)
    if len(header) != 2 or any(len(row) != 2 for row in rows):
        raise ValueError(f"{path}: expected two comma-separated columns in every row")
    return rows


def decimal_year(date):
    """The year of ``date`` (a datetime.date) plus the fraction of it already gone, e.g. 1958-03-29 -> 1958.238."""
    start = datetime.date(date.year, 1, 1).toordinal()
    days = datetime.date(date.year + 1, 1, 1).toordinal() - start
    return date.year + (date.toordinal() - start) / days


def fill_missing(times, values):
    """(filled (T,), count): NaNs in values (T,) replaced by linear interpolation in times (T,) between neighbours.

    Each missing value lies on the straight line between the nearest observed
    values before and after it; a series that starts or ends with a missing
    value is refused (there is nothing to interpolate from on one side).
    """
    values = np.asarray(values, dtype=np.float64)
    missing = np.isnan(values)
    if missing.all() or missing[0] or missing[-1]:
        raise ValueError("missing values at the start or end of a series (or no values at all): expected observed "
                         "first and last values to interpolate between")
    filled = values.copy()
    filled[missing] = np.interp(np.asarray(times)[missing], np.asarray(times)[~missing], values[~missing])
    return filled, int(missing.sum())


def load_series(name):
    """The vendored series ``name``: "sunspots" (309 years 1700-2008) or "co2" (2284 weeks 1958-2001).

    sunspots: the yearly mean sunspot number; times the years; period 11, the
    solar cycle, which is only approximately 11 years (about 9 to 14).
    co2: the weekly mean CO2 concentration at Mauna Loa in ppmv, Saturdays
    1958-03-29 to 2001-12-29; times decimal years; period 52 weeks (a year is
    52.18 weeks). The file lacks 59 weeks: they are filled by linear
    interpolation in time between the neighbouring observed weeks, and
    ``missing`` counts them.
    """
    if name == "sunspots":
        rows = _rows("sunspots_yearly.csv")
        times = np.array([float(year) for year, _ in rows])
        values = np.array([float(value) for _, value in rows])
        return Series(values, times, name, "sunspot number", 11, 0)
    if name == "co2":
        rows = _rows("co2_weekly.csv")
        times = np.array([decimal_year(datetime.date(int(d[:4]), int(d[4:6]), int(d[6:]))) for d, _ in rows])
        values, count = fill_missing(times, [float(value) if value else np.nan for _, value in rows])
        return Series(values, times, name, "ppmv", 52, count)
    raise ValueError(f"bad parameter name={name!r}: expected one of {', '.join(map(repr, SERIES))}")


def split_in_time(series, valid_fraction, test_fraction):
    """(train, valid, test) slices of a series of T points (a Series or (T,) values), consecutive in time order.

    The last round(T * test_fraction) points are the test period, the
    round(T * valid_fraction) before them the validation period, the rest (the
    earliest) the training period; none may be empty.
    """
    T = len(series)
    n_valid, n_test = round(T * valid_fraction), round(T * test_fraction)
    for param, fraction, n in (("valid_fraction", valid_fraction, n_valid), ("test_fraction", test_fraction, n_test)):
        if not 0 < fraction < 1 or n < 1:
            raise ValueError(f"bad parameter {param}={fraction!r}: leaves the {param.split('_')[0]} period of a "
                             f"series of {T} points empty; expected a fraction in (0, 1) of at least one point")
    if n_valid + n_test >= T:
        raise ValueError(f"bad parameters valid_fraction={valid_fraction!r}, test_fraction={test_fraction!r}: leave "
                         f"the training period of a series of {T} points empty; expected a sum below 1")
    return slice(0, T - n_valid - n_test), slice(T - n_valid - n_test, T - n_test), slice(T - n_test, T)


def windows(values, window, horizon=1):
    """(inputs (N, window), targets (N, horizon)) of values (T,): every run of window points and the horizon after.

    Row i is values[i:i + window] and the horizon values that follow, so
    N = T - window - horizon + 1. For targets inside a later period, pass that
    period with the window points before it, e.g. values[test.start - window:test.stop].
    """
    values = np.asarray(values, dtype=np.float64)
    for param, n in (("window", window), ("horizon", horizon)):
        if int(n) != n or n < 1:
            raise ValueError(f"bad parameter {param}={n!r}: expected an integer >= 1")
    if len(values) < window + horizon:
        raise ValueError(f"bad parameters window={window!r}, horizon={horizon!r}: a series with too few points for "
                         f"the window ({len(values)}; one window and its horizon take {window + horizon})")
    runs = np.lib.stride_tricks.sliding_window_view(values, window + horizon)
    return runs[:, :window].copy(), runs[:, window:].copy()


def fit_scale(train_values):
    """(mean, std) floats of the training period's values (T,); std 1 for a constant series."""
    train_values = np.asarray(train_values, dtype=np.float64)
    std = float(train_values.std())
    # a constant series would divide by zero; dividing by 1 keeps it at zero rather than NaN
    return float(train_values.mean()), std if std > 0 else 1.0


def scale(values, mean, std):
    """values (any shape) shifted by mean and divided by std, both from fit_scale on the training period."""
    return (np.asarray(values, dtype=np.float64) - mean) / std


def unscale(scaled, mean, std):
    """The inverse of scale: scaled values (any shape) back in the series' own unit."""
    return np.asarray(scaled, dtype=np.float64) * std + mean
