"""The forecasting task: time-ordered periods without leakage, targets, the record's forecasts and baselines."""

import numpy as np
import pytest

from lstm_xor import forecast_baselines as fb
from lstm_xor.config import RunConfig
from lstm_xor.data.series import fit_scale, load_series, split_in_time
from lstm_xor.tasks.forecast import TASK
from lstm_xor.train.loop import build_model, train


def _config(**kw):
    return RunConfig(**{**dict(task="forecast", hidden=8, epochs=1, batch_size=16), **kw})


def test_windows_read_only_the_training_period_and_forecast_each_later_point_once():
    config = _config(window=10)
    series = load_series("sunspots")
    train, valid, test = split_in_time(series, 0.2, 0.2)
    mean, std = fit_scale(series.values[train])
    splits = TASK.splits(config)
    z = (series.values - mean) / std
    assert splits.train.x.shape == (train.stop - 10, 10, 1)
    np.testing.assert_allclose(splits.train.y[:, :-1, 0], splits.train.x[:, 1:, 0])  # the next value
    np.testing.assert_allclose(splits.train.y[-1, -1, 0], z[train.stop - 1])  # the last target: still training
    for part, period in ((splits.valid, valid), (splits.test, test)):
        assert part.mask.sum() == period.stop - period.start and part.mask[:, -1].all()
        np.testing.assert_allclose(part.y[:, -1, 0], z[period])  # each point of the period once, in order
        np.testing.assert_allclose(part.x[0, :, 0], z[period.start - 10:period.start])  # the window before it
    assert abs(z[train].mean()) < 1e-12 and abs(z[train].std() - 1) < 1e-12  # the training period's statistics


def test_the_whole_series_mode_reads_all_the_past_and_counts_the_period():
    splits = TASK.splits(_config(sequences="whole"))
    train, valid, test = split_in_time(load_series("sunspots"), 0.2, 0.2)
    assert splits.train.x.shape == (1, train.stop - 1, 1) and splits.train.mask.all()
    assert splits.test.x.shape == (1, test.stop - 1, 1)
    assert np.flatnonzero(splits.test.mask[0]).tolist() == list(range(test.start - 1, test.stop - 1))


@pytest.mark.parametrize("sequences", ["windows", "whole"])
def test_final_forecasts_match_the_baselines_module_and_the_networks_own_forward(sequences):
    config = _config(sequences=sequences, window=12, horizon=3)
    model = build_model(config)
    splits = TASK.splits(config)
    out = TASK.final(config, model, splits)["forecast"]
    series = load_series("sunspots")
    train, _, test = split_in_time(series, 0.2, 0.2)
    naive, truth = series.values[test.start - 1:test.stop - 1], series.values[test]  # last year's number
    assert out["methods"]["naive"]["rmse"] == pytest.approx(fb.rmse(truth, naive), rel=1e-12)
    assert out["methods"]["naive"]["mase"] == pytest.approx(
        fb.mae(truth, naive) / np.mean(np.abs(np.diff(series.values[train]))), rel=1e-12)
    steps, targets = fb.multi_step(fb.naive, series.values, test, 3)
    assert out["methods"]["naive"]["rmse_by_horizon"][2] == pytest.approx(fb.rmse(targets[:, 2], steps[:, 2]))
    assert len(out["methods"]["network"]["rmse_by_horizon"]) == 3 and out["truth"] == series.values[test].tolist()
    # the network's one-step forecasts are its outputs on the test sequences, unscaled
    mean, std = fit_scale(series.values[train])
    outputs, _ = model.forward(splits.test.x.astype(np.float32), splits.test.lengths)
    expected = outputs[..., 0][splits.test.mask] * std + mean
    np.testing.assert_allclose(out["methods"]["network"]["one_step"], expected, rtol=1e-5)


def test_a_short_run_records_its_forecasts(tmp_path):
    record = train(dict(task="forecast", hidden=8, epochs=2, batch_size=16, horizon=4,
                        metrics_path=str(tmp_path / "run.json")), progress=False)
    assert set(record["forecast"]["methods"]) == {"network", "naive", "seasonal naive", "autoregression"}
    assert record["test"]["n"] == 62 and record["train"]["n"] > 0  # the 62 test years 1947-2008


@pytest.mark.parametrize("params, message", [
    (dict(horizon=63), "bad parameter horizon=63: expected at most the test period's 62 points"),
    (dict(window=400), "bad parameter window=400: a series with too few points for the window"),
    (dict(series="tides"), "bad parameter series='tides'"),
    (dict(sequences="all"), "bad parameter sequences='all'"),
    (dict(test_fraction=0.001), "bad parameter test_fraction=0.001"),
    (dict(bptt="regular", bptt_k=300, sequences="whole"), "bad parameter bptt_k=300: expected at most the longest"),
])
def test_bad_forecast_parameters_are_named_before_training(params, message, tmp_path):
    with pytest.raises(ValueError) as error:
        train(dict(task="forecast", metrics_path=str(tmp_path / "run.json"), **params), progress=False)
    assert message in str(error.value)


def test_differences_are_forecast_and_summed_back_into_levels():
    config = _config(series="co2", transform="difference", window=8, horizon=2)
    series = load_series("co2")
    train, _, test = split_in_time(series, 0.2, 0.2)
    changes = np.diff(series.values)
    mean, std = fit_scale(changes[:train.stop - 1])
    splits = TASK.splits(config)
    np.testing.assert_allclose(splits.test.y[:, -1, 0] * std + mean, series.values[test] - series.values[
        test.start - 1:test.stop - 1])  # each test week's change
    model = build_model(config)
    out = TASK.final(config, model, splits)["forecast"]["methods"]["network"]
    outputs, _ = model.forward(splits.test.x.astype(np.float32), splits.test.lengths)
    level = series.values[test.start - 1:test.stop - 1] + outputs[:, -1, 0] * std + mean
    np.testing.assert_allclose(out["one_step"], level, rtol=1e-6)
