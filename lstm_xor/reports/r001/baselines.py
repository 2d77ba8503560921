"""Report 001's stronger baselines: fitted on the training period, their orders chosen on the validation period.

The baselines every run record holds (naive, seasonal naive, an AR on the levels
with ``tasks.forecast.AR_ORDER`` lags), computed here on both periods, and four
families a forecaster of these series has to beat:

* seasonal naive with drift (no choice to make: the period is the series');
* an AR on the changes (least squares, ``forecast_baselines.AR`` on the differences), lags from ``AR_LAGS``;
* SARIMA, fitted by statsmodels' ``SARIMAX`` (maximum likelihood), orders from ``SARIMA_ORDERS``; CO2's
  model differenced once and once a year, (p, 1, q) x (P, 1, Q)_52, sunspots' on the levels with a constant;
* exponential smoothing, statsmodels' state-space ``ExponentialSmoothing`` (initial states by its heuristic from
  the series' first periods, so that the training fit and the later filter start alike), variants from ``ETS``.

In each family the candidate with the lowest one-step RMSE on the validation
period wins (the networks' early-stopping criterion); the choice is made by
``choose`` on the series cut at the validation period's end, so the test period
cannot reach it. The parameters are fitted once on the training period and then
fixed (as the networks'); a forecast reads every value before its origin.
"""

import functools

from lstm_xor import forecast_baselines as fb
from lstm_xor.data.series import load_series, split_in_time
from lstm_xor.reports.r001.runs import BASE
from lstm_xor.tasks.forecast import AR_ORDER

HORIZON = BASE["horizon"]
AR_LAGS = {"sunspots": (1, 2, 3, 5, 9, 11), "co2": (1, 2, 4, 13, 26, 52)}
# (order, seasonal order) on the levels (sunspots, with a constant) or on CO2's (1, 52)-differences
SARIMA_ORDERS = {"sunspots": tuple((order, seasonal) for order in ((2, 0, 0), (2, 0, 1), (3, 0, 1), (9, 0, 0))
                                   for seasonal in ((0, 0, 0, 0), (1, 0, 0, 11))),
                 "co2": (((0, 0, 1), (0, 0, 1, 52)), ((1, 0, 1), (0, 0, 1, 52)), ((1, 0, 0), (0, 0, 1, 52)))}
# (trend, damped, seasonal period or None)
ETS = {"sunspots": ((False, False, None), (True, True, None), (False, False, 11), (True, True, 11)),
       "co2": ((True, False, 52), (True, True, 52))}
RECORDED = ("naive", "seasonal naive", "autoregression")  # the records' names for them
FAMILIES = RECORDED + ("seasonal naive with drift", "AR on the changes", "SARIMA", "exponential smoothing")


def _sarima(name, order, seasonal):
    """(label, build): build(train values) -> a forecaster of the levels."""
    from statsmodels.tsa.statespace.sarimax import SARIMAX
    if name == "co2":  # differenced here: the stationary model filters fast (StateSpace)
        p, _, q = order
        label = f"SARIMA({p},1,{q})({seasonal[0]},1,{seasonal[2]})_52"

        def model(w):
            return SARIMAX(w, order=order, seasonal_order=seasonal)

        def build(train):
            return fb.Integrated(fb.StateSpace.fit(model, fb.differenced(train, (1, 52)), label), (1, 52))
        return label, build
    label = "SARIMA({},{},{})".format(*order) + ("({},{},{})_{}".format(*seasonal) if seasonal[3] else "") + " + c"

    def levels(y):
        return SARIMAX(y, order=order, seasonal_order=seasonal, trend="c")
    return label, functools.partial(fb.StateSpace.fit, levels, label=label)


def _ets(trend, damped, period):
    from statsmodels.tsa.statespace.exponential_smoothing import ExponentialSmoothing
    label = "ETS(A," + ("Ad" if damped else "A" if trend else "N") + "," + (f"A{period}" if period else "N") + ")"

    def model(y):
        return ExponentialSmoothing(y, trend=trend, damped_trend=damped, seasonal=period,
                                    initialization_method="heuristic")
    return label, functools.partial(fb.StateSpace.fit, model, label=label)


def _ar_changes(p):
    return f"AR({p}) on the changes", lambda train: fb.Integrated(fb.AR.fit(fb.differenced(train), p))


def candidates(name):
    """{family: [(label, build)]} for series ``name``; build(training values) -> a fitted forecaster."""
    m = load_series(name).period
    return {"naive": [("naive", lambda train: fb.naive)],
            "seasonal naive": [(f"seasonal naive (period {m})",
                                lambda train: functools.partial(fb.seasonal_naive, m=m))],
            "autoregression": [(f"AR({AR_ORDER[name]}) on the levels",
                                functools.partial(fb.AR.fit, p=AR_ORDER[name]))],
            "seasonal naive with drift": [(f"seasonal naive with drift (period {m})",
                                           lambda train: functools.partial(fb.seasonal_naive_drift, m=m))],
            "AR on the changes": [_ar_changes(p) for p in AR_LAGS[name]],
            "SARIMA": [_sarima(name, *orders) for orders in SARIMA_ORDERS[name]],
            "exponential smoothing": [_ets(*variant) for variant in ETS[name]]}


def choose(values, train, valid, family):
    """(label, forecaster, {label: validation one-step RMSE}): the family's best candidate on the validation period.

    values: the series up to the validation period's end and no further (the test period never reaches here).
    """
    if len(values) != valid.stop:
        raise ValueError(f"a series of {len(values)} values: expected it cut at the validation period's end "
                         f"({valid.stop})")
    scores, fitted = {}, {}
    for label, build in family:
        fitted[label] = build(values[train])
        scores[label] = fb.evaluate(fitted[label], values, valid, 1, train)["rmse"]
    best = min(scores, key=scores.get)
    return best, fitted[best], scores


@functools.lru_cache(maxsize=2)
def evaluated(name):
    """{family: dict(choice, grid {label: validation RMSE}, valid, test)} for series ``name``: each family's
    candidate chosen on validation, then its errors (``forecast_baselines.evaluate``) on both periods."""
    series = load_series(name)
    train, valid, test = split_in_time(series, 0.2, 0.2)
    out = {}
    for family, members in candidates(name).items():
        label, forecaster, grid = choose(series.values[:valid.stop], train, valid, members)
        out[family] = {"choice": label, "grid": grid,
                       "valid": fb.evaluate(forecaster, series.values, valid, HORIZON, train),
                       "test": fb.evaluate(forecaster, series.values, test, HORIZON, train)}
    return out
