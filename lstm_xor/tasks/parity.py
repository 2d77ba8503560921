"""Parity of bit strings (report 000, after OpenAI's Requests for Research 2.0).

Type 1: every string has length max_length. Type 2: lengths uniform in
[min_length, max_length]. Inputs are one-hot ('0' -> [1, 0], '1' -> [0, 1]).
The report's text says the label at i is the parity of bits 0..i-1; we use the
inclusive prefix parity (bits 0..i), which is what makes the last label the
parity of the whole string.
"""

import math
from dataclasses import dataclass

import numpy as np

from lstm_xor.tasks.base import Batch, ModelSpec, Param, Splits, Task, check_choice, check_positive, positive_ints

LABELS = ("prefix", "final", "delay", "exclusive", "recall")
LAGGED = ("delay", "recall")  # the labels that read `lag`


@dataclass
class ParitySet:
    bits: np.ndarray  # (n, max_length) uint8, zero past each length
    lengths: np.ndarray  # (n,) int64

    def __len__(self):
        return len(self.lengths)

    def subset(self, index):
        return ParitySet(self.bits[index], self.lengths[index])


def make_parity(n, min_length, max_length, seed):
    """n random strings with lengths uniform in [min_length, max_length]."""
    rng = np.random.default_rng([seed, 1])
    lengths = rng.integers(min_length, max_length + 1, size=n)
    bits = rng.integers(0, 2, size=(n, max_length), dtype=np.uint8)
    bits[np.arange(max_length)[None, :] >= lengths[:, None]] = 0
    return ParitySet(bits, lengths)


def split(data, test_fraction):
    """First part train, last part test (the strings are already random)."""
    n_test = int(np.ceil(len(data) * test_fraction))
    cut = len(data) - n_test
    return data.subset(slice(0, cut)), data.subset(slice(cut, None))


def batch_arrays(data, index, labels, dtype, cut=None, lag=0):
    """One batch: x (N, T, 2) one-hot, lengths (N,), y (N, T) or (N,) for final.

    ``cut`` shortens strings (a curriculum); labels follow the shortened string.
    ``labels='delay'``: the label at step t is the bit at step t - ``lag``, 0 before the string; ``'recall'``:
    the same labels, of which only the last step's carries a loss (Task.batch's mask).
    """
    lengths = data.lengths[index] if cut is None else np.minimum(data.lengths[index], cut)
    T = int(lengths.max())
    bits = data.bits[index, :T].copy()
    bits[np.arange(T)[None, :] >= lengths[:, None]] = 0
    x = np.zeros(bits.shape + (2,), dtype=dtype)
    np.put_along_axis(x, bits[..., None].astype(np.int64), 1.0, axis=2)
    if labels in LAGGED:
        y = np.zeros(bits.shape, dtype=np.int64)
        y[:, lag:] = bits[:, :T - lag]
        return x, lengths, y
    prefix = np.cumsum(bits, axis=1, dtype=np.int64) % 2
    if labels == "prefix":
        return x, lengths, prefix
    if labels == "exclusive":  # the report's text: the label at i is the parity of bits 0 .. i - 1
        return x, lengths, np.concatenate([np.zeros((len(bits), 1), np.int64), prefix[:, :-1]], axis=1)
    return x, lengths, prefix[np.arange(len(lengths)), lengths - 1]


class Parity(Task):
    name = "parity"
    params = (
        Param("min_length", int, 1, "shortest string; equal to max_length gives fixed length ('type 1')"),
        Param("max_length", int, 50, "longest string"),
        Param("n_samples", int, 100_000, "strings in the data set"),
        Param("test_fraction", float, 0.2, "share held out for testing"),
        Param("labels", str, "prefix", "prefix: running parity at every step; final: parity of the whole string; "
              "delay: at every step the bit `lag` steps earlier (a task that needs a long memory); exclusive: as the "
              "report's text defines it, the parity of the bits before each step; recall: one label, at the last "
              "step, the bit `lag` steps earlier (with strings of lag + 1 bits, the first: one bit held across the "
              "lag, the latch of Hochreiter and Schmidhuber's experiments)"),
        Param("lag", int, 0, "with labels delay or recall: how many steps back the label's bit is, at least 1",
              off=0),
        Param("curriculum_epochs", float, 0.0,
              "epochs over which training strings are cut to a growing length (0 turns it off)"),
        Param("eval_lengths", str, "", "after training, also test on these lengths, e.g. '100,200,500'",
              resumable=True),  # tested after the last epoch only: a checkpoint's epochs do not depend on it
    )
    about = ("An LSTM (or GRU, RNN) learns the parity of bit strings, as in report 000 (\"LSTM XOR\", after "
             "OpenAI's Requests for Research 2.0). Each string's bits are one-hot inputs; with `labels='prefix'` "
             "the target at every step is the parity of the bits so far, with `labels='final'` only the whole "
             "string's parity is a target. The metrics are the report's two: the last predicted bit right, and "
             "every position right.")
    history_metrics = ("last_bit_accuracy", "sequence_accuracy")
    primary = "sequence_accuracy"
    counted = history_metrics
    extra_name = "length"

    def validate(self, config):
        check_choice("labels", config.labels, LABELS)
        check_positive(config, "min_length", "max_length", "n_samples")
        if config.min_length > config.max_length:
            raise ValueError(f"bad parameter min_length={config.min_length!r}: expected at most max_length "
                             f"({config.max_length})")
        if not 0 < config.test_fraction < 1:
            raise ValueError(f"bad parameter test_fraction={config.test_fraction!r}: expected a fraction strictly "
                             "between 0 and 1")
        if config.curriculum_epochs < 0:
            raise ValueError(f"bad parameter curriculum_epochs={config.curriculum_epochs!r}: expected a number >= 0")
        if (config.labels in LAGGED) != (config.lag > 0) or config.lag < 0:
            raise ValueError(f"bad parameter lag={config.lag!r}: expected an integer >= 1 with labels delay or "
                             "recall, and 0 otherwise")
        if config.labels == "recall" and config.lag >= config.min_length:
            raise ValueError(f"bad parameter lag={config.lag!r}: expected less than min_length "
                             f"({config.min_length}) with labels recall, so every string holds the bit")
        if config.labels == "recall" and config.curriculum_epochs:
            raise ValueError(f"bad parameter curriculum_epochs={config.curriculum_epochs!r}: expected 0 with labels "
                             "recall (a cut string no longer holds the bit it is asked for)")
        positive_ints("eval_lengths", config.eval_lengths)
        n_train = config.n_samples - math.ceil(config.n_samples * config.test_fraction)
        if n_train < 1:
            raise ValueError(f"bad parameter n_samples={config.n_samples!r}: expected enough strings to leave a "
                             "training set")
        if config.batch_size > n_train:
            raise ValueError(f"bad parameter batch_size={config.batch_size!r}: expected at most the {n_train} "
                             "training strings")

    def splits(self, config):
        train, test = split(make_parity(config.n_samples, config.min_length, config.max_length, config.seed),
                            config.test_fraction)
        return Splits(train, None, test)

    def model_spec(self, config):
        return ModelSpec("dense", 2, 2, head="last" if config.labels == "final" else "every")

    def batch(self, config, data, index, dtype, step=None):
        cut = None if step is None else self._cuts(config, step, len(index))
        x, lengths, y = batch_arrays(data, index, config.labels, dtype, cut, config.lag)
        if config.labels != "recall":
            return Batch(x, lengths, y)
        return Batch(x, lengths, y, np.arange(y.shape[1])[None, :] == lengths[:, None] - 1)

    @staticmethod
    def _cuts(config, step, n):
        """Curriculum: cut each string to a random length up to a limit that grows to max_length."""
        if config.curriculum_epochs <= 0:
            return None
        progress = (step.epoch + step.iteration / step.iterations) / config.curriculum_epochs
        if progress >= 1:
            return None
        limit = max(1, math.ceil(progress * config.max_length))
        return step.rng.integers(1, limit + 1, size=n)

    def tally_size(self, config, data):
        return 3

    def tally(self, outputs, batch):
        """[last bit right, whole string right, strings]."""
        pred = outputs.argmax(axis=-1)
        y, lengths = batch.y, batch.lengths
        if y.ndim == 1:
            right = int((pred == y).sum())
            return np.array([right, right, len(y)], dtype=np.float64)
        valid = batch.labelled()
        last = np.arange(len(lengths)), lengths - 1
        return np.array([(pred[last] == y[last]).sum(), ((pred == y) | ~valid).all(axis=1).sum(), len(y)],
                        dtype=np.float64)

    def position_errors(self, outputs, batch, longest):
        y = batch.y
        if y.ndim == 1:
            return None
        T = y.shape[1]
        wrong = (outputs.argmax(axis=-1) != y) & batch.labelled()  # (N, T)
        per_string = wrong.sum(axis=1)
        at = np.zeros(longest)
        at[:T] = wrong.sum(axis=0)
        return np.concatenate([at, np.bincount(per_string, minlength=longest + 1)[1:longest + 1]])

    def metrics(self, totals):
        n = int(totals[2])
        return {"last_bit_accuracy": totals[0] / n, "sequence_accuracy": totals[1] / n,
                "correct_last_bit": int(totals[0]), "correct_sequences": int(totals[1]), "n": n}

    def extra_tests(self, config, n=2000):
        """Fresh strings of each length in eval_lengths (never trained on)."""
        return {str(length): make_parity(n, length, length, config.seed + 1000 + length)
                for length in positive_ints("eval_lengths", config.eval_lengths)}

    def summary(self, test):
        return (f"last bit {test['correct_last_bit']}/{test['n']}, "
                f"whole string {test['correct_sequences']}/{test['n']}")

    def summary_rows(self, test):
        n = test["n"]
        return [("last bit right", f"{test['correct_last_bit']} / {n} ({100 * test['last_bit_accuracy']:.3f}%)"),
                ("whole string right", f"{test['correct_sequences']} / {n} ({100 * test['sequence_accuracy']:.3f}%)")]


TASK = Parity()
