"""The forecasting data layer (vendored sunspots and CO2, splits in time, windows, scaling) and the
non-recurrent forecast baselines (naive, seasonal naive, AR(p)) with their metrics."""

import csv
import datetime
import shutil

import numpy as np
import pytest

from lstm_xor.data import speech
from lstm_xor.data.series import (
    decimal_year,
    fill_missing,
    fit_scale,
    load_series,
    scale,
    split_in_time,
    unscale,
    windows,
)
from lstm_xor.forecast_baselines import AR, mae, mase, multi_step, naive, one_step_ahead, rmse, seasonal_naive


def test_sunspots_are_309_years_1700_to_2008():
    s = load_series("sunspots")
    assert len(s) == 309 and s.values.dtype == s.times.dtype == np.float64
    np.testing.assert_array_equal(s.times, np.arange(1700, 2009))
    assert (s.values[0], s.values[-1], s.values.max()) == (5.0, 2.9, 190.2)
    assert (s.name, s.unit, s.period, s.missing) == ("sunspots", "sunspot number", 11, 0)


def test_co2_is_2284_weeks_with_59_filled_by_interpolation():
    s = load_series("co2")
    assert len(s) == 2284 and (s.name, s.unit, s.period, s.missing) == ("co2", "ppmv", 52, 59)
    assert not np.isnan(s.values).any()
    assert s.times[0] == 1958 + 87 / 365 and s.times[-1] == 2001 + 362 / 365  # 1958-03-29, 2001-12-29
    np.testing.assert_allclose(np.diff(s.times), 7 / 365.25, rtol=3e-3)
    # the observed weeks are the file's, unchanged; the 59 empty ones lie between their neighbours
    with open(speech.vendored("co2_weekly.csv"), newline="") as f:
        raw = [row[1] for row in list(csv.reader(f))[1:]]
    observed = np.array([value != "" for value in raw])
    assert (~observed).sum() == 59
    np.testing.assert_array_equal(s.values[observed], [float(value) for value in raw if value])
    assert raw[5:8] == ["316.9", "", "317.5"]
    assert s.values[6] == pytest.approx(317.2, abs=1e-9)  # midway: the weeks are equally spaced


def test_decimal_years():
    assert decimal_year(datetime.date(1958, 3, 29)) == 1958 + 87 / 365
    assert decimal_year(datetime.date(2000, 12, 31)) == 2000 + 365 / 366
    assert decimal_year(datetime.date(2001, 1, 1)) == 2001.0


def test_a_bad_name_is_refused_with_the_accepted_ones():
    with pytest.raises(ValueError, match=r"bad parameter name='moon': expected one of 'sunspots', 'co2'"):
        load_series("moon")


def test_a_missing_or_altered_series_file_is_named(tmp_path, monkeypatch):
    good = speech.vendored("co2_weekly.csv")
    monkeypatch.setattr(speech, "FILES", tmp_path)
    with pytest.raises(FileNotFoundError, match=r"sunspots_yearly.csv: vendored data file missing; expected one "
                                                r"with sha256 f67889b1"):
        load_series("sunspots")
    shutil.copyfile(good, tmp_path / "co2_weekly.csv")
    assert load_series("co2").missing == 59  # the copy is accepted
    data = bytearray((tmp_path / "co2_weekly.csv").read_bytes())
    data[-2:-1] = b"6"  # 371.5 -> 371.6 in the last row
    (tmp_path / "co2_weekly.csv").write_bytes(bytes(data))
    with pytest.raises(ValueError, match=r"co2_weekly.csv: sha256 [0-9a-f]{64}, expected 16695fa2"):
        load_series("co2")


def test_missing_values_are_interpolated_linearly_in_time():
    filled, count = fill_missing([0.0, 1.0, 3.0, 4.0, 6.0], [1.0, np.nan, np.nan, 7.0, 9.0])
    np.testing.assert_allclose(filled, [1.0, 2.5, 5.5, 7.0, 9.0])  # on the line from (0, 1) to (4, 7)
    assert count == 2
    assert fill_missing([0, 1], [1.0, 2.0])[1] == 0
    for values in ([np.nan, 1.0, 2.0], [1.0, 2.0, np.nan], [np.nan, np.nan]):
        with pytest.raises(ValueError, match=r"missing values at the start or end"):
            fill_missing([0, 1, 2][:len(values)], values)


def test_split_in_time_is_ordered_disjoint_and_complete():
    assert split_in_time(np.arange(10.0), 0.2, 0.3) == (slice(0, 5), slice(5, 7), slice(7, 10))
    s = load_series("sunspots")
    train, valid, test = split_in_time(s, 0.15, 0.15)
    index = np.arange(len(s))
    parts = [index[train], index[valid], index[test]]
    np.testing.assert_array_equal(np.concatenate(parts), index)  # in order, no gaps, no overlap
    assert all(len(p) for p in parts) and len(parts[2]) == round(309 * 0.15)
    assert s.times[train].max() < s.times[valid].min() <= s.times[valid].max() < s.times[test].min()


@pytest.mark.parametrize("valid, test, message", [
    (0.0, 0.2, r"bad parameter valid_fraction=0.0: leaves the valid period"),
    (0.2, 0.01, r"bad parameter test_fraction=0.01: leaves the test period of a series of 10 points empty"),
    (0.5, 0.5, r"bad parameters valid_fraction=0.5, test_fraction=0.5: leave the training period"),
    (0.2, 1.0, r"bad parameter test_fraction=1.0"),
])
def test_split_in_time_refuses_an_empty_part(valid, test, message):
    with pytest.raises(ValueError, match=message):
        split_in_time(np.arange(10.0), valid, test)


def test_windows_on_a_hand_example_and_too_short_a_series():
    inputs, targets = windows([0.0, 1, 2, 3, 4], 2, horizon=2)
    np.testing.assert_array_equal(inputs, [[0, 1], [1, 2]])
    np.testing.assert_array_equal(targets, [[2, 3], [3, 4]])
    inputs, targets = windows(np.arange(5.0), 3)
    assert inputs.shape == (2, 3) and targets.tolist() == [[3.0], [4.0]]
    with pytest.raises(ValueError, match=r"window=3, horizon=2: a series with too few points for the window"):
        windows(np.arange(4.0), 3, horizon=2)
    with pytest.raises(ValueError, match=r"bad parameter window=0"):
        windows(np.arange(4.0), 0)
    with pytest.raises(ValueError, match=r"bad parameter horizon=0"):
        windows(np.arange(4.0), 2, horizon=0)


def test_scaling_uses_the_training_period_only():
    values = np.array([1.0, 2.0, 3.0, 100.0, -50.0])
    train, _, test = split_in_time(values, 0.2, 0.2)
    mean, std = fit_scale(values[train])
    assert (mean, std) == (2.0, pytest.approx(np.sqrt(2 / 3)))
    np.testing.assert_allclose(scale(values[test], mean, std), (-50.0 - 2.0) / np.sqrt(2 / 3))
    np.testing.assert_allclose(unscale(scale(values, mean, std), mean, std), values)
    assert fit_scale([4.0, 4.0]) == (4.0, 1.0)


def test_naive_and_seasonal_naive_by_hand():
    np.testing.assert_array_equal(naive([1.0, 2.0, 3.0], 3), [3, 3, 3])
    np.testing.assert_array_equal(seasonal_naive([1.0, 2, 3, 4, 5], 5, m=3), [3, 4, 5, 3, 4])
    forecasts, targets = multi_step(naive, np.arange(1.0, 7.0), slice(3, 6), 2)
    np.testing.assert_array_equal(forecasts, [[3, 3], [4, 4]])
    np.testing.assert_array_equal(targets, [[4, 5], [5, 6]])


def test_a_pure_seasonal_series_has_seasonal_naive_error_zero():
    values = np.tile([1.0, 5.0, 2.0, 8.0], 10)
    test = slice(20, 40)
    forecasts, targets = one_step_ahead(seasonal_naive, values, test, m=4)
    assert mae(targets, forecasts) == 0 and len(forecasts) == 20
    assert rmse(*multi_step(seasonal_naive, values, test, 8, m=4)) == 0
    assert mae(*one_step_ahead(naive, values, test)) > 1


def test_an_exact_ar2_process_is_recovered_and_forecast():
    coef = np.array([0.5, 1.5, -0.9])  # y_t = 0.5 + 1.5 y_{t-1} - 0.9 y_{t-2}: damped oscillation
    y = [1.0, 3.0]
    for _ in range(78):
        y.append(coef[0] + coef[1] * y[-1] + coef[2] * y[-2])
    y = np.array(y)
    model = AR.fit(y[:60], 2)
    assert model.p == 2
    np.testing.assert_allclose(model.coef, coef, rtol=0, atol=1e-8)
    forecasts, targets = one_step_ahead(model, y, slice(60, 80))
    np.testing.assert_allclose(forecasts, targets, rtol=0, atol=1e-8)
    # fed its own predictions, it continues the process 20 steps from the origin
    np.testing.assert_allclose(model(y[:60], 20), y[60:], rtol=0, atol=1e-8)
    # with an intercept, a shifted series gives the same slopes
    np.testing.assert_allclose(AR.fit(y[:60] + 10, 2).coef[1:], coef[1:], atol=1e-8)
    with pytest.raises(ValueError, match=r"bad parameter p=30: 60 training values give 30 equations for 31"):
        AR.fit(y[:60], 30)


def test_metrics_on_hand_examples():
    assert rmse([1.0, 2, 3], [1.0, 4, 0]) == pytest.approx(np.sqrt(13 / 3))
    assert mae([1.0, 2, 3], [1.0, 4, 0]) == pytest.approx(5 / 3)
    with pytest.raises(ValueError, match=r"targets of shape \(3,\), forecasts of shape \(1,\)"):
        mae([1.0, 2, 3], [1.0])
    # a random walk-like training series: naive in-sample errors 2, 1, 3 (mean 2)
    train, test = np.array([1.0, 3.0, 2.0, 5.0]), np.array([4.0, 6.0])
    forecasts, targets = one_step_ahead(naive, np.concatenate([train, test]), slice(4, 6))
    np.testing.assert_array_equal(forecasts, [5, 4])  # errors 1 and 2: mae 1.5
    assert mase(targets, forecasts, train) == pytest.approx(1.5 / 2)
    assert mase(targets, forecasts, train, m=2) == pytest.approx(1.5 / 1.5)  # |2 - 1|, |5 - 3|
    walk = np.cumsum(np.random.default_rng(0).standard_normal(50))
    scale_by_hand = sum(abs(walk[t] - walk[t - 1]) for t in range(1, 40)) / 39
    forecasts, targets = one_step_ahead(naive, walk, slice(40, 50))
    mae_by_hand = sum(abs(walk[t] - walk[t - 1]) for t in range(40, 50)) / 10
    assert mase(targets, forecasts, walk[:40]) == pytest.approx(mae_by_hand / scale_by_hand)
    with pytest.raises(ValueError, match=r"repeats itself every 1 steps"):
        mase(targets, forecasts, np.ones(5))
    with pytest.raises(ValueError, match=r"bad parameter m=4"):
        mase(targets, forecasts, train, m=4)


def test_a_horizon_longer_than_the_test_period_is_refused():
    values = np.arange(10.0)
    assert multi_step(naive, values, slice(7, 10), 3)[0].shape == (1, 3)
    with pytest.raises(ValueError, match=r"bad parameter horizon=4: expected an integer from 1 to the test "
                                         r"period's length \(3\)"):
        multi_step(naive, values, slice(7, 10), 4)
    with pytest.raises(ValueError, match=r"bad parameter horizon=0"):
        multi_step(naive, values, range(7, 10), 0)
    with pytest.raises(ValueError, match=r"bad parameter test=slice\(0, 3, None\)"):
        one_step_ahead(naive, values, slice(0, 3))
    with pytest.raises(ValueError, match=r"a history of 2 values: this forecaster needs at least 4"):
        seasonal_naive([1.0, 2.0], 1, m=4)
