"""Adding two integers digit by digit (report 003, after the Fudan PRML 2020 course's assignment 2).

Both operands and their sum are written least significant digit first and
zero-padded to a preset length (``digits``); at step t the model reads the two
operands' digits t, each embedded, and predicts the sum's digit t (10 classes).
Training draws a fresh batch of operands from ``train_range`` at every step;
tests use fixed sets, the same for every seed. An epoch here is
``steps_per_epoch`` optimiser steps, so the test curve has a point every that
many steps.
"""

import re
from dataclasses import dataclass

import numpy as np

from lstm_xor.tasks.base import Batch, ModelSpec, Param, Splits, Task, bad, check_positive, positive_ints

BASE = 10
INT64_LIMIT = 2 ** 63


@dataclass
class AddSet:
    """Fixed pairs: operands a, b as (n, L) digits, least significant first."""

    a: np.ndarray
    b: np.ndarray

    def __len__(self):
        return len(self.a)

    @property
    def lengths(self):
        return np.full(len(self.a), self.a.shape[1])


@dataclass
class AddStream:
    """Training: ``size`` places per epoch, each a fresh pair drawn from [low, high) when its batch is built."""

    low: int
    high: int
    digits: int
    size: int

    def __len__(self):
        return self.size

    @property
    def lengths(self):
        return np.full(self.size, self.digits)


def parse_range(name, text):
    """'0,1e10' -> (0, 10**10): two non-negative integers, low < high; 'AeK' means A * 10**K exactly."""
    parts = [part.strip() for part in str(text).split(",")]
    bounds = []
    for part in parts:
        m = re.fullmatch(r"(\d+)(?:e(\d+))?", part)
        if not m:
            break
        bounds.append(int(m[1]) * BASE ** int(m[2] or 0))
    if len(parts) != 2 or len(bounds) != 2 or bounds[0] >= bounds[1]:
        raise ValueError(f"bad parameter {name}={text!r}: expected 'low,high' with integers 0 <= low < high "
                         "(operands are drawn from [low, high)), e.g. '0,555555555' or '0,1e10'")
    return bounds[0], bounds[1]


def n_digits(value):
    return len(str(value))


def digits_of(values, length):
    """Python ints -> (n, length) digits, least significant first."""
    text = [str(v).zfill(length)[::-1] for v in values]
    return np.frombuffer("".join(text).encode(), dtype=np.uint8).reshape(len(text), length) - ord("0")


def draw(rng, low, high, n, length):
    """n operands uniform in [low, high) as (n, length) int64 digits, least significant first."""
    if high <= INT64_LIMIT:
        v = rng.integers(low, high, size=n, dtype=np.int64)
        p = min(length, n_digits(INT64_LIMIT - 1))
        out = np.zeros((n, length), dtype=np.int64)
        out[:, :p] = v[:, None] // BASE ** np.arange(p, dtype=np.int64) % BASE
        return out
    span = high - low  # beyond int64: exact big integers, by rejection from random bits
    bits = span.bit_length()
    nbytes = (bits + 7) // 8
    values = []
    while len(values) < n:
        v = int.from_bytes(rng.bytes(nbytes), "little") >> (8 * nbytes - bits)
        if v < span:
            values.append(low + v)
    return digits_of(values, length).astype(np.int64)


def add_digits(a, b):
    """The sum's digits (n, L) of two (n, L) digit arrays (the sum must fit in L digits)."""
    out = np.empty_like(a)
    carry = np.zeros(len(a), dtype=a.dtype)
    for t in range(a.shape[1]):
        total = a[:, t] + b[:, t] + carry
        out[:, t] = total % BASE
        carry = total // BASE
    return out


def make_set(low, high, n, length, seed):
    rng = np.random.default_rng(seed)
    return AddSet(draw(rng, low, high, n, length), draw(rng, low, high, n, length))


def carry_chains(operand_digits, n, seed):
    """Pairs whose carry runs through every operand digit (up to the sum's top digit): 99...9 + 1, then
    random pairs with digit 0 summing to 10 or more and every higher operand digit summing to 9."""
    d = operand_digits
    rng = np.random.default_rng(seed)
    a = np.zeros((n, d + 1), dtype=np.int64)
    b = np.zeros_like(a)
    a[:, 0] = rng.integers(1, BASE, size=n)
    b[:, 0] = rng.integers(BASE - a[:, 0], BASE)
    a[:, 1:d] = rng.integers(0, BASE, size=(n, d - 1))
    b[:, 1:d] = BASE - 1 - a[:, 1:d]
    a[0, :d], b[0, :] = BASE - 1, 0
    b[0, 0] = 1
    return AddSet(a, b)


def chain_digits(high):
    """The operand digits m a carry chain may span within [0, high): the largest m with 10**m <= high."""
    return n_digits(high) - 1


def long_carries(rng, pairs, m, share):
    """Give a random ``share`` of the pairs (in place) a carry chain within their first m digits: at a random start
    s, digits summing to 10 or more, then L - 1 digits summing to 9 (L uniform in 2 .. m - s), so that the carry
    runs L digits; the digits outside the chain stay as drawn (the operands stay below 10**m)."""
    rows = np.flatnonzero(rng.random(len(pairs)) < share)
    a, b = pairs.a, pairs.b
    a[rows, m:], b[rows, m:] = 0, 0
    for row in rows:
        length = int(rng.integers(2, m + 1))
        s = int(rng.integers(0, m - length + 1))
        a[row, s] = rng.integers(1, BASE)
        b[row, s] = rng.integers(BASE - a[row, s], BASE)
        a[row, s + 1:s + length] = rng.integers(0, BASE, size=length - 1)
        b[row, s + 1:s + length] = BASE - 1 - a[row, s + 1:s + length]
    return pairs


class Adder(Task):
    name = "adder"
    params = (
        Param("digits", int, 11, "preset length: every operand and sum is zero-padded to this many digits"),
        Param("train_range", str, "0,555555555", "training operands uniform in [low, high), e.g. '0,1e10'"),
        Param("test_range", str, "555555555,999999999", "test operands uniform in [low, high)"),
        Param("short_test", bool, False, "allow a test range with fewer digits than the training range"),
        Param("n_test", int, 2000, "pairs in the fixed test set"),
        Param("embed", int, 32, "embedding size of each digit"),
        Param("steps_per_epoch", int, 10, "optimiser steps (a fresh batch each) between two test evaluations"),
        Param("eval_digits", str, "",
              "after training, also test operands of these many digits, random and carry chains, e.g. '20,100'"),
        Param("carry_chains", float, 0.0, "the share of training pairs drawn with a long carry chain (a carry "
              "through 2 to all of the operand digits below the training range's top, at a random place), in "
              "[0, 1]; 0 draws every pair uniformly", off=0.0),
    )
    about = ("A recurrent net learns to add two integers, as in report 003 (after the Fudan PRML 2020 course's "
             "assignment 2). Both operands and the sum are written least significant digit first and "
             "zero-padded to `digits`; at each step the two operands' digits are embedded and concatenated, the "
             "stacked recurrent net reads them, and a linear layer predicts the sum's digit (10 classes, cross "
             "entropy per digit). Every optimiser step draws a fresh batch from `train_range`; an epoch is "
             "`steps_per_epoch` steps, after which the fixed test set (from `test_range`) is evaluated. The "
             "metrics: whole sums right (every digit, the report's accuracy), digits right, and the accuracy at "
             "each position.")
    history_metrics = ("sum_accuracy", "digit_accuracy")
    primary = "sum_accuracy"
    extra_name = "operand digits"

    def validate(self, config):
        check_positive(config, "digits", "n_test", "embed", "steps_per_epoch")
        ranges = {name: parse_range(name, getattr(config, name)) for name in ("train_range", "test_range")}
        for name, (_, high) in ranges.items():
            need = n_digits(2 * (high - 1))
            if need > config.digits:
                raise ValueError(f"bad parameter digits={config.digits!r}: the sum of two operands from {name} "
                                 f"{getattr(config, name)!r} can have {need} digits; expected digits >= {need} "
                                 f"(or a smaller {name})")
        train, test = (n_digits(ranges[name][1] - 1) for name in ("train_range", "test_range"))
        if test < train and not config.short_test:
            raise ValueError(f"bad parameter test_range={config.test_range!r}: its operands have at most {test} "
                             f"digits, fewer than train_range's {train}; expected a test range at least as long "
                             "(or short_test=True when a shorter test is meant)")
        positive_ints("eval_digits", config.eval_digits)
        if not 0 <= config.carry_chains <= 1:
            bad("carry_chains", config.carry_chains, "a share in [0, 1]")
        if config.carry_chains and (ranges["train_range"][0] or chain_digits(ranges["train_range"][1]) < 2):
            bad("carry_chains", config.carry_chains, "0 with this train_range",
                f"carry chains are drawn below the largest power of 10 within [0, high); {config.train_range!r} "
                "needs a low of 0 and a high of at least 100")

    def splits(self, config):
        low, high = parse_range("train_range", config.train_range)
        train = AddStream(low, high, config.digits, config.steps_per_epoch * config.batch_size)
        test_low, test_high = parse_range("test_range", config.test_range)
        return Splits(train, None, make_set(test_low, test_high, config.n_test, config.digits, [6, config.digits]))

    def longest(self, config, data):
        return config.digits

    def batches(self, config, data, epoch):
        B = config.batch_size
        return [np.arange(i * B, (i + 1) * B) for i in range(len(data) // B)]

    def batch(self, config, data, index, dtype, step=None):
        if isinstance(data, AddStream):
            if step is None:
                raise ValueError("the adder's training stream draws its pairs per step: a batch needs its Step")
            rng = np.random.default_rng([config.seed, 5, step.epoch, step.iteration])
            pairs = AddSet(draw(rng, data.low, data.high, len(index), data.digits),
                           draw(rng, data.low, data.high, len(index), data.digits))
            if config.carry_chains:  # a stream of its own: without chains the pairs are drawn as before
                chained = np.random.default_rng([config.seed, 9, step.epoch, step.iteration])
                long_carries(chained, pairs, chain_digits(data.high), config.carry_chains)
        else:
            pairs = AddSet(data.a[index], data.b[index])
        x = np.stack([pairs.a, pairs.b], axis=2)  # (N, T, 2): the two operands' digits at each step
        return Batch(x, pairs.lengths, add_digits(pairs.a, pairs.b))

    def model_spec(self, config):
        return ModelSpec("tokens", BASE, BASE, head="every", embed=config.embed, slots=2)

    def tally_size(self, config, data):
        return 3 + data.lengths[0]

    def tally(self, outputs, batch):
        """[whole sums right, digits right, pairs, then right at each position]."""
        right = outputs.argmax(axis=-1) == batch.y  # (N, T)
        return np.concatenate([[right.all(axis=1).sum(), right.sum(), len(right)], right.sum(axis=0)]).astype(float)

    def metrics(self, totals):
        n, T = int(totals[2]), len(totals) - 3
        return {"sum_accuracy": totals[0] / n, "digit_accuracy": totals[1] / (n * T), "correct_sums": int(totals[0]),
                "n": n, "position_accuracy": [float(v) for v in totals[3:] / n]}

    def extra_tests(self, config, n=1000):
        """For each operand length d in eval_digits: random pairs below 10**d, and carry chains through d digits."""
        out = {}
        for d in positive_ints("eval_digits", config.eval_digits):
            out[f"{d}"] = make_set(0, BASE ** d, n, d + 1, [7, d])
            out[f"{d} carry"] = carry_chains(d, n, [8, d])
        return out

    def summary(self, test):
        return (f"whole sums {test['correct_sums']}/{test['n']}, digits {100 * test['digit_accuracy']:.2f}%, "
                f"lowest position {100 * min(test['position_accuracy']):.1f}%")

    def summary_rows(self, test):
        n, positions = test["n"], test["position_accuracy"]
        worst = int(np.argmin(positions))
        return [("whole sums right", f"{test['correct_sums']} / {n} ({100 * test['sum_accuracy']:.2f}%)"),
                ("digits right", f"{100 * test['digit_accuracy']:.3f}%"),
                ("weakest position", f"digit {worst + 1} (least significant = 1): {100 * positions[worst]:.2f}%")]


def solved_step(record):
    """The first optimiser step after which every test sum was right, or None (from a run record)."""
    config, accuracy = record["config"], record["history"]["test_sum_accuracy"]
    first = next((epoch for epoch, value in enumerate(accuracy) if value == 1.0), None)
    return None if first is None else (first + 1) * config["steps_per_epoch"]


TASK = Adder()
