"""The adder task (report 003): its data, batches, metrics, bad parameters, and a short run that learns."""

import json
import subprocess
import sys

import numpy as np
import pytest

from lstm_xor.config import RunConfig
from lstm_xor.tasks import get_task
from lstm_xor.tasks.adder import AddSet, add_digits, carry_chains, digits_of, draw, make_set, parse_range, solved_step
from lstm_xor.tasks.base import Batch, Step
from lstm_xor.train.loop import Trainer, train

TASK = get_task("adder")


def _value(digits):
    """(L,) digits, least significant first -> int."""
    return int("".join(str(int(d)) for d in digits[::-1]))


def test_parse_range_reads_integers_and_exact_powers_of_ten():
    assert parse_range("train_range", "0,555555555") == (0, 555555555)
    assert parse_range("train_range", "0, 1e100") == (0, 10 ** 100)
    assert parse_range("test_range", "3e2,4e2") == (300, 400)
    for bad in ("5,5", "10,2", "0", "0,1,2", "-1,5", "0,1.5e3", "a,b", ""):
        with pytest.raises(ValueError, match=r"bad parameter test_range=.*expected 'low,high'"):
            parse_range("test_range", bad)


@pytest.mark.parametrize(("low", "high"), [(0, 10), (555555555, 999999999), (0, 2 ** 63),
                                           (10 ** 30, 10 ** 30 + 7), (0, 10 ** 100)])
def test_draw_covers_the_range_and_nothing_outside(low, high):
    length = len(str(high))
    digits = draw(np.random.default_rng(0), low, high, 500, length)
    assert digits.shape == (500, length) and digits.min() >= 0 and digits.max() <= 9
    values = [_value(row) for row in digits]
    assert all(low <= v < high for v in values)
    if high - low <= 10:
        assert set(values) == set(range(low, high))  # every value comes up
    else:
        assert len(set(values)) > 450
    # the top half of the range is hit about half the time: uniform, not biased to the bottom
    assert 0.4 < np.mean([v >= low + (high - low) // 2 for v in values]) < 0.6 or high - low <= 10


def test_digits_and_sums_are_exact_for_big_numbers():
    rng = np.random.default_rng(1)
    a = [int(rng.integers(0, 10 ** 9)) * 10 ** 40 + int(rng.integers(0, 10 ** 9)) for _ in range(50)]
    b = [int(rng.integers(0, 10 ** 9)) * 10 ** 41 + 7 for _ in range(50)]
    L = 52
    s = add_digits(digits_of(a, L).astype(np.int64), digits_of(b, L).astype(np.int64))
    assert [_value(row) for row in s] == [x + y for x, y in zip(a, b, strict=True)]


def test_carry_chains_carry_through_every_digit():
    for d in (1, 2, 9, 30):
        pairs = carry_chains(d, 200, seed=3)
        assert (_value(pairs.a[0]), _value(pairs.b[0])) == (10 ** d - 1, 1)  # 99...9 + 1
        sums = add_digits(pairs.a, pairs.b)
        assert np.all(sums[:, d] == 1) and np.all(sums[:, 1:d] == 0)  # the carry reaches the top digit
        assert all(_value(x) < 10 ** d and _value(y) < 10 ** d for x, y in zip(pairs.a, pairs.b, strict=True))
        assert np.all(pairs.a[:, 0] + pairs.b[:, 0] >= 10)


def _config(**kw):
    config = RunConfig.from_dict(dict(task="adder", **kw))
    config.validate()
    return config


def test_batches_are_the_operands_and_their_sum_drawn_afresh_at_each_step():
    config = _config(batch_size=8, steps_per_epoch=3, seed=4)
    splits = TASK.splits(config)
    assert [len(i) for i in TASK.batches(config, splits.train, 0)] == [8, 8, 8]
    rng = np.random.default_rng(0)
    first = TASK.batch(config, splits.train, np.arange(8), np.float32, Step(0, 0, 3, rng))
    again = TASK.batch(config, splits.train, np.arange(8), np.float32, Step(0, 0, 3, rng))
    other = TASK.batch(config, splits.train, np.arange(8), np.float32, Step(0, 1, 3, rng))
    assert first.x.shape == (8, 11, 2) and first.y.shape == (8, 11) and np.all(first.lengths == 11)
    np.testing.assert_array_equal(first.x, again.x)  # keyed by (seed, epoch, iteration), not by a stream's state
    assert not np.array_equal(first.x, other.x)
    for row, y in zip(first.x, first.y, strict=True):
        a, b = _value(row[:, 0]), _value(row[:, 1])
        assert 0 <= a < 555555555 and 0 <= b < 555555555 and _value(y) == a + b
    with pytest.raises(ValueError, match="needs its Step"):
        TASK.batch(config, splits.train, np.arange(8), np.float32)


def test_the_test_set_is_fixed_across_seeds_and_in_its_range():
    one, two = (TASK.splits(_config(seed=s)).test for s in (0, 1))
    np.testing.assert_array_equal(one.a, two.a)
    values = [_value(r) for r in one.a[:100]]
    assert len(one) == 2000 and all(555555555 <= v < 999999999 for v in values)


def test_tally_and_metrics_count_whole_sums_digits_and_positions():
    y = np.array([[1, 2, 3], [4, 5, 6]])
    outputs = np.zeros((2, 3, 10))
    outputs[0, [0, 1, 2], [1, 2, 3]] = 1.0  # first sum all right
    outputs[1, [0, 1, 2], [4, 0, 6]] = 1.0  # second: wrong in the middle
    batch = Batch(np.zeros((2, 3, 2), dtype=np.int64), np.array([3, 3]), y)
    totals = TASK.tally(outputs, batch)
    assert len(totals) == TASK.tally_size(None, AddSet(np.zeros((2, 3)), np.zeros((2, 3))))
    m = TASK.metrics(totals)
    assert (m["sum_accuracy"], m["correct_sums"], m["n"]) == (0.5, 1, 2)
    assert m["digit_accuracy"] == pytest.approx(5 / 6) and m["position_accuracy"] == [1.0, 0.5, 1.0]
    assert "whole sums 1/2" in TASK.summary(dict(m, loss=0.0))
    assert dict(TASK.summary_rows(m))["weakest position"].startswith("digit 2 ")


@pytest.mark.parametrize(("params", "message"), [
    (dict(digits=0), "bad parameter digits=0: expected an integer >= 1"),
    (dict(digits=10, train_range="0,1e10"),
     "bad parameter digits=10: the sum of two operands from train_range '0,1e10' can have 11 digits"),
    (dict(test_range="0,1e11"), "bad parameter digits=11: the sum of two operands from test_range"),
    (dict(train_range="0,1e10", test_range="0,100"),
     "bad parameter test_range='0,100': its operands have at most 2 digits, fewer than train_range's 10"),
    (dict(train_range="0,1e2,3"), "bad parameter train_range='0,1e2,3': expected 'low,high'"),
    (dict(cell="transformer"), "bad parameter cell='transformer': expected one of rnn, lstm, gru"),
    (dict(eval_digits="10,x"), "bad parameter eval_digits='10,x'"),
    (dict(steps_per_epoch=0), "bad parameter steps_per_epoch=0"),
    (dict(embed=0), "bad parameter embed=0"),
    (dict(labels="final"), "bad parameter labels='final': it belongs to task parity"),
])
def test_bad_parameters_are_named_before_any_work(params, message, tmp_path):
    with pytest.raises(ValueError) as e:
        train(dict(task="adder", metrics_path=str(tmp_path / "run.json"), **params), progress=False)
    assert message in str(e.value)
    assert not (tmp_path / "run.json").exists()


def test_a_shorter_test_range_is_accepted_when_meant():
    _config(train_range="0,1e10", test_range="0,100", short_test=True)


def test_the_cli_names_a_bad_adder_parameter_in_one_line(tmp_path):
    result = subprocess.run([sys.executable, "-m", "lstm_xor", "train", "--task", "adder", "--digits", "3",
                             "--metrics-path", str(tmp_path / "run.json")], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 2 and "bad parameter digits=3" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_model_reads_two_embedded_digits_per_step():
    trainer = Trainer(_config(embed=5, hidden=7, layers=2))
    assert trainer.model.params["embed.W"].shape == (10, 5) and trainer.model.input_size == 10
    assert trainer.spec.head == "every" and trainer.spec.slots == 2


def test_a_short_run_adds_three_digit_numbers_perfectly(tmp_path):
    record = train(dict(task="adder", cell="rnn", hidden=32, embed=8, layers=1, batch_size=100, lr=0.01,
                        digits=4, train_range="0,1000", test_range="0,1000", n_test=1000, epochs=25,
                        steps_per_epoch=20, eval_digits="3", metrics_path=str(tmp_path / "run.json")),
                   progress=False)
    assert record["test"]["sum_accuracy"] == 1.0 and record["test"]["correct_sums"] == 1000
    saved = json.loads((tmp_path / "run.json").read_text())
    assert solved_step(saved) is not None and solved_step(saved) <= 500
    assert saved["test"]["position_accuracy"] == [1.0] * 4
    assert set(saved["extra_tests"]) == {"3", "3 carry"}
    assert len(saved["history"]["iteration_loss"]) == 500 and len(saved["history"]["test_sum_accuracy"]) == 25


def test_solved_step_is_the_first_evaluation_with_every_sum_right():
    record = {"config": {"steps_per_epoch": 10}, "history": {"test_sum_accuracy": [0.2, 0.9, 1.0, 0.99, 1.0]}}
    assert solved_step(record) == 30
    record["history"]["test_sum_accuracy"] = [0.2, 0.99]
    assert solved_step(record) is None


def test_make_set_is_reproducible():
    one, two = make_set(0, 10 ** 20, 50, 21, [6, 21]), make_set(0, 10 ** 20, 50, 21, [6, 21])
    np.testing.assert_array_equal(one.a, two.a)
    np.testing.assert_array_equal(one.b, two.b)
