"""The forecasting baselines: our least-squares AR against statsmodels', the state-space forecasts from every origin
against statsmodels' own, the differencing, and the choice made on the validation period alone."""

import functools
import warnings

import numpy as np
import pytest

from lstm_xor import forecast_baselines as fb
from lstm_xor.data.series import load_series, split_in_time

statsmodels = pytest.importorskip("statsmodels")


def _sunspots():
    series = load_series("sunspots")
    return series.values, split_in_time(series, 0.2, 0.2)


@pytest.mark.parametrize("p", [1, 9])
def test_our_least_squares_ar_equals_statsmodels_autoreg_with_a_constant(p):
    from statsmodels.tsa.ar_model import AutoReg
    values, (train, valid, _) = _sunspots()
    ours = fb.AR.fit(values[train], p)
    theirs = AutoReg(values[train], lags=p, trend="c").fit()
    np.testing.assert_allclose(ours.coef, theirs.params, rtol=1e-9, atol=1e-9)
    history = values[:valid.start + 7]
    np.testing.assert_allclose(ours(history, 8), AutoReg(history, lags=p, trend="c").predict(
        theirs.params, start=len(history), end=len(history) + 7), rtol=1e-9)


def test_state_space_forecasts_from_every_origin_equal_statsmodels_forecast_from_that_origin():
    from statsmodels.tsa.statespace.sarimax import SARIMAX
    values, (train, valid, _) = _sunspots()

    def model(y):
        return SARIMAX(y, order=(2, 0, 1), trend="c")
    fitted = fb.StateSpace.fit(model, values[train])
    origins = [valid.start, valid.start + 30]
    mine = fitted.from_origins(values, origins, 5)
    for row, t in zip(mine, origins, strict=True):
        np.testing.assert_allclose(row, model(values[:t]).filter(fitted.params).forecast(5), rtol=1e-6)
    np.testing.assert_allclose(fitted(values[:origins[1]], 5), mine[1])


def test_a_differenced_seasonal_model_summed_back_equals_the_integrated_one():
    from statsmodels.tsa.statespace.sarimax import SARIMAX
    e = np.random.default_rng(0).normal(size=400)
    w = e[5:] - 0.4 * e[4:-1] - 0.5 * e[1:-4] + 0.2 * e[:-5]  # (1 - 0.4 B)(1 - 0.5 B^4) e: an airline model's
    y = np.zeros(len(w) + 5)
    for t in range(5, len(y)):  # summed back: (1 - B)(1 - B^4) y = w
        y[t] = w[t - 5] + y[t - 1] + y[t - 4] - y[t - 5]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitted = fb.StateSpace.fit(lambda w: SARIMAX(w, order=(0, 0, 1), seasonal_order=(0, 0, 1, 4)),
                                   fb.differenced(y[:250], (1, 4)))
        integrated = SARIMAX(y[:300], order=(0, 1, 1), seasonal_order=(0, 1, 1, 4)).filter(fitted.params)
    np.testing.assert_allclose(fb.Integrated(fitted, (1, 4))(y[:300], 6), integrated.forecast(6), rtol=1e-6)


def test_integrated_sums_forecast_changes_onto_the_last_value():
    history = np.array([1.0, 2.0, 4.0, 7.0])
    levels = fb.Integrated(fb.naive)  # the last change (3), repeated
    np.testing.assert_allclose(levels(history, 3), [10.0, 13.0, 16.0])
    np.testing.assert_allclose(fb.differenced(history, (1, 2)), [(7 - 4) - (2 - 1)])  # (1 - B)(1 - B^2) y
    with pytest.raises(ValueError, match="needs more than 3 values"):
        fb.Integrated(fb.naive, (1, 2)).from_origins(history, [3], 1)


def test_seasonal_naive_with_drift_continues_a_trending_season_exactly():
    t = np.arange(40)
    y = 0.5 * t + np.tile([0.0, 3.0, 1.0, -2.0], 10)
    ahead = np.arange(40, 49)
    np.testing.assert_allclose(fb.seasonal_naive_drift(y, 9, m=4),
                               0.5 * ahead + np.tile([0.0, 3.0, 1.0, -2.0], 3)[:9])
    np.testing.assert_allclose(fb.seasonal_naive(y, 4, m=4), y[-4:])  # without the drift: one period behind


def test_evaluate_gives_the_figures_one_step_ahead_and_multi_step_give():
    values, (train, _, test) = _sunspots()
    ar = fb.AR.fit(values[train], 9)
    out = fb.evaluate(ar, values, test, 4, train)
    one, truth = fb.one_step_ahead(ar, values, test)
    steps, targets = fb.multi_step(ar, values, test, 4)
    np.testing.assert_array_equal(out["one_step"], one)
    assert out["rmse"] == fb.rmse(truth, one) and out["mase"] == fb.mase(truth, one, values[train])
    assert out["rmse_by_horizon"] == [fb.rmse(targets[:, h], steps[:, h]) for h in range(4)]


def test_the_choice_sees_the_series_only_up_to_the_validation_periods_end():
    from lstm_xor.reports.r001.baselines import choose
    values, (train, valid, _) = _sunspots()
    family = [(f"AR({p})", functools.partial(fb.AR.fit, p=p)) for p in (1, 2, 9)]
    with pytest.raises(ValueError, match="cut at the validation period's end"):
        choose(values, train, valid, family)
    label, forecaster, scores = choose(values[:valid.stop], train, valid, family)
    assert set(scores) == {"AR(1)", "AR(2)", "AR(9)"} and scores[label] == min(scores.values())
    assert forecaster.p == int(label[3:-1])


# -- report 001's tables over the records: the tuning grid, the choice on validation, the sentences per horizon ----

def _records():
    import copy
    import json
    from pathlib import Path

    from lstm_xor.reports.r001 import runs as r001
    runs = Path(__file__).resolve().parents[1] / "book" / "runs"
    records = {run.id: json.loads((runs / f"{run.id}.json").read_text()) for run in r001.PART.runs
               if (runs / f"{run.id}.json").exists()}
    return records, copy.deepcopy


def test_the_tuning_table_counts_runs_not_done_and_the_choice_sees_only_validation():
    from lstm_xor.reports.r001 import runs as r001
    from lstm_xor.reports.r001 import tables as t
    records, deepcopy = _records()
    records = {k: v for k, v in records.items() if "-tune-" not in k}  # as before the grid's runs were executed
    table = t.tuning_table(records, "runs")
    assert table.count("(n = 0 of 3)") >= 5 * 3  # every point not run yet says so
    assert t.tuning_choice(records, "lstm")[0] == (r001.BASE["lr"], r001.BASE["hidden"])  # the only point done
    tuned = {}
    for seed in (0, 1, 2):  # a point better on test, worse on validation: not chosen
        record = deepcopy(records[f"fc-co2-lstm-s{seed}"])
        record["valid"]["rmse"] += 1.0
        record["forecast"]["methods"]["network"]["rmse"] = 0.0
        record["test"]["rmse"] = 0.0
        tuned[r001.tuning_id("lstm", 0.0005, 64, seed)] = record
    assert t.tuning_choice({**records, **tuned}, "lstm")[0] == (0.005, 32)
    for record in tuned.values():  # now better on validation: chosen, and shown as a row of its own
        record["valid"]["rmse"] -= 2.0
    both = {**records, **tuned}
    assert t.tuning_choice(both, "lstm")[0] == (0.0005, 64)
    assert any("lr 0.0005, hidden 64 (chosen on validation)" in label for label, _ in t.by_forecaster(both, "co2"))
    assert "LSTM: the validation period chooses lr 0.0005, hidden 64" in t.tuning_text(both)


def test_the_sentence_per_horizon_names_the_networks_that_lose():
    from lstm_xor.reports.r001 import tables as t
    records, _ = _records()
    rows = t.by_forecaster(records, "co2")
    h8 = {label: np.mean([r["forecast"]["methods"]["network"]["rmse_by_horizon"][7] for _, r in runs])
          for label, runs in rows}
    evaluated = {"autoregression": {"choice": "AR(52) on the levels", "test": {
        "rmse": 0.429, "rmse_by_horizon": [0.43] * 7 + [0.895]}}}
    text = t.beats_text(records, "co2", evaluated, 8)
    losers = [label for label, v in h8.items() if v >= 0.895]
    assert losers and all(label in text.split("; not ")[1] for label in losers)  # e.g. the RNN (1.044)
    assert text.startswith("8 steps ahead, ") and "beat AR(52) on the levels (0.895 ppmv)" in text


def test_the_findings_sentences_are_the_records_figures():
    from lstm_xor.reports.r001 import runs as r001
    from lstm_xor.reports.r001 import tables as t
    records, _ = _records()
    level = records[r001.LEVELS.id]["forecast"]["methods"]
    assert f"test RMSE of {level['network']['rmse']:.3g} ppmv" in t.levels_text(records)
    assert f"{level['network']['rmse'] / level['naive']['rmse']:.1f} times the naive" in t.levels_text(records)
    whole = records["fc-co2-whole-lstm"]["forecast"]["methods"]["network"]["rmse"]
    assert f"LSTM {whole:.3f} against" in t.whole_text(records) and "of 6 within two standard deviations" in \
        t.whole_text(records)
    assert "lr 0.0005: not run yet (n = 0 of 27)" in t.best_epochs_text({})
    assert t.levels_text({}).endswith("has no record yet.")


def test_the_headline_compares_the_network_chosen_on_validation_with_the_best_baseline():
    from lstm_xor.reports.r001 import tables as t
    records, _ = _records()
    evaluated = {"sarima": {"choice": "SARIMA", "test": {"rmse": 0.4, "rmse_by_horizon": [0.3] + [0.5] * 6 + [9.0]}}}
    line = t.headline(records, evaluated)
    label, _ = t.best_network(records, "co2")
    assert f"({label})" in line and "against SARIMA's 0.300 ppmv (worse)" in line and "(better)." in line


@pytest.mark.parametrize("run_id", ["fc-sunspots-gru-s0", "fc-co2-lstm-s1"])
def test_evaluate_gives_the_committed_records_baseline_figures_exactly(run_id):
    from lstm_xor.reports.r001 import baselines
    records, _ = _records()
    name = records[run_id]["config"]["series"]
    series = load_series(name)
    train, _, test = split_in_time(series, 0.2, 0.2)
    kept = records[run_id]["forecast"]["methods"]
    for family in baselines.RECORDED:
        (_, build), = baselines.candidates(name)[family]
        out = fb.evaluate(build(series.values[train]), series.values, test, 8, train)
        if family == "autoregression":  # its least squares rounds by the BLAS kernels: equal to 1e-13 here
            for key, value in out.items():
                np.testing.assert_allclose(value, kept[family][key], rtol=1e-9, err_msg=key)
        else:
            assert out == kept[family], family
