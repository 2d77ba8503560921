"""A test-only task, to show that a new task is one module: copy a string of symbols after a delay.

Input: ``copy_length`` symbols (tokens 1..symbols), then blanks (token 0) for
``delay`` + ``copy_length`` steps. Target: the symbols again, at the last
``copy_length`` steps; only those positions carry a loss (the mask).
It joins the package through ``LSTM_XOR_TASKS=copy_task`` with this folder on
PYTHONPATH, and touches nothing of the loop.
"""

from dataclasses import dataclass

import numpy as np

from lstm_xor.tasks.base import Batch, ModelSpec, Param, Splits, Task, check_positive


@dataclass
class CopySet:
    symbols: np.ndarray  # (n, copy_length) ints in 1..symbols
    lengths: np.ndarray  # (n,) all the same: 2 * copy_length + delay

    def __len__(self):
        return len(self.lengths)


class Copy(Task):
    name = "copy"
    params = (
        Param("copy_length", int, 3, "symbols to remember"),
        Param("delay", int, 2, "blank steps between the string and its copy"),
        Param("symbols", int, 3, "distinct symbols"),
        Param("n_samples", int, 100_000, "strings in the data set"),  # shared with parity: same type and default
    )
    about = "Copy a short string of symbols after a delay (a test-only task)."
    history_metrics = ("symbol_accuracy", "sequence_accuracy")
    primary = "sequence_accuracy"

    def validate(self, config):
        check_positive(config, "copy_length", "delay", "symbols")

    def splits(self, config):
        rng = np.random.default_rng([config.seed, 1])
        symbols = rng.integers(1, config.symbols + 1, size=(config.n_samples, config.copy_length))
        data = CopySet(symbols, np.full(config.n_samples, 2 * config.copy_length + config.delay))
        cut = config.n_samples * 4 // 5
        return Splits(CopySet(symbols[:cut], data.lengths[:cut]), None,
                      CopySet(symbols[cut:], data.lengths[cut:]))

    def model_spec(self, config):
        return ModelSpec("tokens", config.symbols + 1, config.symbols + 1, head="every", embed=8)

    def batch(self, config, data, index, dtype, step=None):
        L, T = config.copy_length, int(data.lengths[0])
        s = data.symbols[index]
        x = np.zeros((len(index), T), dtype=np.int64)
        x[:, :L] = s
        y = np.zeros((len(index), T), dtype=np.int64)
        y[:, T - L:] = s
        mask = np.zeros((len(index), T), dtype=bool)
        mask[:, T - L:] = True
        return Batch(x, data.lengths[index], y, mask)

    def tally_size(self, config, data):
        return 4

    def tally(self, outputs, batch):
        """[symbols right, strings right, strings, symbols]."""
        right = outputs.argmax(axis=-1) == batch.y
        return np.array([(right & batch.mask).sum(), (right | ~batch.mask).all(axis=1).sum(), len(batch.y),
                         batch.mask.sum()], dtype=float)

    def metrics(self, totals):
        return {"symbol_accuracy": totals[0] / totals[3], "sequence_accuracy": totals[1] / totals[2],
                "n": int(totals[2])}


TASK = Copy()
