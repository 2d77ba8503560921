"""Smoke tests of `python -m lstm_xor bench` at tiny sizes: the figures' shape and that every runner learns."""

import argparse
import json

import numpy as np
import pytest

from lstm_xor.study import bench

TINY_TOKENS = {"batch_size": 8, "hidden": 8, "embed": 4, "length": 5}


def _torch_or_none():
    try:
        import torch
    except ImportError:
        return None
    return torch


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
    with_torch = figures["torch"] is not None
    parity, tokens = figures["cases"]["parity"], figures["cases"]["tokens"]
    assert set(parity["results"]) == {"numpy float32", "numpy float64"} | ({"torch float32"} if with_torch else set())
    assert set(tokens["results"]) == {"numpy float32"} | ({"torch float32"} if with_torch else set())
    for r in parity["results"].values():
        assert {"ms_per_batch_median", "ms_per_batch_best", "seconds_per_epoch", "seconds_per_epoch_best",
                "rounds_ms_per_batch", "final_loss"} == set(r)
        assert len(r["rounds_ms_per_batch"]) == 2
    for r in tokens["results"].values():
        assert {"ms_per_step_median", "ms_per_step_best", "seconds_per_3000_steps", "seconds_per_3000_steps_best",
                "rounds_ms_per_step", "final_loss"} == set(r)
        assert r["seconds_per_3000_steps"] == pytest.approx(3.0 * r["ms_per_step_median"])
    assert tokens["config"]["batch_size"] == 8 and tokens["config"]["vocabulary"] == 10
    assert ("numpy float32 / torch" in tokens["ratios"]) == with_torch
    table = bench.format_table(figures)
    assert table.startswith("LSTM, hidden 8") and "Token LSTM (digit addition)" in table
    assert "s/3000 steps median" in table and table.splitlines()[-1].startswith("epoch = 80,000 strings; 3,000 steps")

    only = bench.run(batches=1, rounds=1, warmup=0, use_torch=False, cases=("tokens",), tokens=TINY_TOKENS)
    assert list(only["cases"]) == ["tokens"] and list(only["cases"]["tokens"]["results"]) == ["numpy float32"]


@pytest.mark.parametrize("case", ["parity", "tokens"])
def test_every_runner_learns_a_fixed_batch(case):
    options = {"parity": {"batch_size": 8, "hidden": 8, "length": 6},
               "tokens": {**bench.TOKENS, **TINY_TOKENS}}[case]
    runners, _ = bench._SPECS[case].runners(_torch_or_none(), 1e-2, **options)
    for r in runners:
        r.batches = r.batches[:1]
        r.step()
        first = r.last_loss
        for _ in range(30):
            r.step()
        assert r.last_loss < 0.9 * first, (r.name, first, r.last_loss)
