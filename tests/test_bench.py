"""Smoke tests of `python -m lstm_xor bench` at tiny sizes: the figures' shape and that every runner learns.

torch is in the test extra: without it these tests fail (they do not skip), as the bench itself does."""

import argparse
import builtins
import json

import numpy as np
import pytest

from lstm_xor.study import bench

TINY_TOKENS = {"batch_size": 8, "hidden": 8, "embed": 4, "length": 5}


def test_torch_is_installed_as_the_test_extra_pins_it():
    torch = bench.import_torch()
    assert bench._torch_requirement() == f"torch=={torch.__version__.split('+')[0]}"


def test_a_missing_torch_stops_the_bench_naming_the_test_extra(monkeypatch, capsys):
    real_import = builtins.__import__

    def no_torch(name, *args, **kwargs):
        if name == "torch":
            raise ImportError("No module named 'torch'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_torch)
    from lstm_xor import cli
    assert cli.main(["bench", "--cases", "parity", "--batches", "1", "--rounds", "1", "--warmup", "0"]) != 0
    error = capsys.readouterr().err
    assert "torch==2.13.0" in error and "pip install -e .[test]" in error
    assert bench.run(batches=1, rounds=1, warmup=0, batch_size=2, hidden=2, length=2, use_torch=False,
                     cases=("parity",))["torch"] is None, "--no_torch still times NumPy alone"


def test_digit_addition_batches_hold_sums():
    for x, lengths, y in bench.digit_addition_batches(2, 16, 6, seed=3):
        assert x.shape == (16, 6, 2) and y.shape == (16, 6) and np.all(lengths == 6)
        assert np.all(x[:, -1] == 0) and x.min() >= 0 and x.max() <= 9 and y.min() >= 0 and y.max() <= 9
        place = 10 ** np.arange(6)  # least significant digit first
        assert np.array_equal((x[..., 0] * place).sum(1) + (x[..., 1] * place).sum(1), (y * place).sum(1))


def test_cases_flag():
    assert bench._cases("tokens, parity") == ("parity", "tokens")
    assert bench._cases("tokens") == ("tokens",)
    with pytest.raises(argparse.ArgumentTypeError):
        bench._cases("parity,bogus")


def test_run_figures_and_table():
    figures = bench.run(batches=2, rounds=2, warmup=1, batch_size=4, hidden=8, length=6, tokens=TINY_TOKENS)
    json.dumps(figures)  # what --json writes
    assert list(figures["cases"]) == ["parity", "tokens"]
    parity, tokens = figures["cases"]["parity"], figures["cases"]["tokens"]
    assert set(parity["results"]) == {"numpy float32", "numpy float64", "torch float32"}
    assert set(tokens["results"]) == {"numpy float32", "torch float32"}
    for r in parity["results"].values():
        assert {"ms_per_batch_median", "ms_per_batch_best", "seconds_per_epoch", "seconds_per_epoch_best",
                "rounds_ms_per_batch", "final_loss"} == set(r)
        assert len(r["rounds_ms_per_batch"]) == 2
    for r in tokens["results"].values():
        assert {"ms_per_step_median", "ms_per_step_best", "seconds_per_3000_steps", "seconds_per_3000_steps_best",
                "rounds_ms_per_step", "final_loss"} == set(r)
        assert r["seconds_per_3000_steps"] == pytest.approx(3.0 * r["ms_per_step_median"])
    assert tokens["config"]["batch_size"] == 8 and tokens["config"]["vocabulary"] == 10
    assert "numpy float32 / torch" in tokens["ratios"] and figures["torch"] is not None
    table = bench.format_table(figures)
    assert table.startswith("LSTM, hidden 8") and "Token LSTM (digit addition)" in table
    assert "s/3000 steps median" in table and table.splitlines()[-1].startswith("epoch = 80,000 strings; 3,000 steps")

    only = bench.run(batches=1, rounds=1, warmup=0, use_torch=False, cases=("tokens",), tokens=TINY_TOKENS)
    assert list(only["cases"]) == ["tokens"] and list(only["cases"]["tokens"]["results"]) == ["numpy float32"]


@pytest.mark.parametrize("case", ["parity", "tokens"])
def test_every_runner_learns_a_fixed_batch(case):
    options = {"parity": {"batch_size": 8, "hidden": 8, "length": 6},
               "tokens": {**bench.TOKENS, **TINY_TOKENS}}[case]
    runners, _ = bench._SPECS[case].runners(bench.import_torch(), 1e-2, **options)
    for r in runners:
        r.batches = r.batches[:1]
        r.step()
        first = r.last_loss
        for _ in range(30):
            r.step()
        assert r.last_loss < 0.9 * first, (r.name, first, r.last_loss)
