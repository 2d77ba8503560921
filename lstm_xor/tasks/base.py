"""The task interface: what a task gives the training loop, and nothing of MPI.

A task is one module with one object, ``TASK``, an instance of a :class:`Task`
subclass. The loop asks it for

- its run parameters (:class:`Param`), which join the one flat ``RunConfig``;
- ``splits(config)``: train / valid / test data sets (valid may be empty);
  each has ``len()`` and per-sequence ``lengths``;
- ``batches(config, data, epoch)``: one epoch's index arrays (by default the
  shared packed or grouped batching of ``lstm_xor.data.batching``);
- ``batch(config, data, index, dtype, step)``: one :class:`Batch`;
- ``model_spec(config)``: a :class:`ModelSpec` (dense or token input, head at
  every step or the last, classes or regression outputs);
- ``tally(outputs, batch)``: a vector of additive counts, so that evaluation
  over MPI ranks is one sum; ``metrics(totals)``: named figures from them.

Batches are built for the global batch (every rank builds the same one) and
sharded by rows, so nothing a task computes depends on the rank.
"""

from dataclasses import dataclass

import numpy as np

from lstm_xor.data.batching import epoch_batches

INPUTS = ("dense", "tokens")


@dataclass(frozen=True)
class Param:
    """One run parameter: its name, type, default, a one-line help text, and its facts.

    numeric: can it move a run's numbers? (False for where and how a run goes: paths, engines.)
    resumable: may it differ between a checkpoint and the run that resumes from it?
    off: the value at which it switches its feature off and so moves no number; a run at it is
    fingerprinted as if the parameter did not exist. Declared for parameters added after runs
    were recorded: declaring one for an older parameter would change committed fingerprints.
    needs: another parameter without which it moves no number (min_delta needs patience).
    """

    name: str
    type: type
    default: object
    help: str
    numeric: bool = True
    resumable: bool = False
    off: object = None
    needs: str = ""


@dataclass(frozen=True)
class ModelSpec:
    """What the model must read and predict.

    input 'dense': ``size`` features per step; 'tokens': ``slots`` integer tokens per
    step from a vocabulary of ``size``, each embedded in ``embed`` dimensions.
    head 'every' or 'last'; output 'classes' (softmax cross-entropy over
    ``outputs`` classes) or 'regression' (``outputs`` values, squared error).
    """

    input: str
    size: int
    outputs: int
    head: str = "every"
    output: str = "classes"
    embed: int = 0
    slots: int = 1

    def __post_init__(self):
        if self.input not in INPUTS:
            raise ValueError(f"a task's model spec has input {self.input!r}; expected one of {', '.join(INPUTS)}")
        if self.input == "tokens" and self.embed < 1:
            raise ValueError("a task's model spec with token input needs an embedding size (embed >= 1)")


@dataclass
class Batch:
    """x (N, T, D) floats or (N, T[, S]) int tokens; lengths (N,); y classes or targets;
    mask: the positions that carry a loss, (N, T) (head 'every') or (N,) bool, or None for all."""

    x: np.ndarray
    lengths: np.ndarray
    y: np.ndarray
    mask: np.ndarray | None = None

    def rows(self, index):
        """The sequences ``index`` of this batch (a shard of it)."""
        return Batch(self.x[index], self.lengths[index], self.y[index],
                     None if self.mask is None else self.mask[index])

    def steps(self, a, b):
        """Steps a .. b - 1 of the sequences that reach step a (labels at every step), and those rows' indices."""
        active = np.flatnonzero(self.lengths > a)
        return Batch(self.x[active, a:b], np.minimum(self.lengths[active], b) - a, self.y[active, a:b],
                     None if self.mask is None else self.mask[active, a:b]), active

    def labelled(self):
        """(N, T) bool, labels at every step: the positions that carry a loss (within each length, masked in)."""
        within = np.arange(self.y.shape[1])[None, :] < self.lengths[:, None]
        return within if self.mask is None else within & self.mask[:, :self.y.shape[1]]

    def loss_positions(self, every):
        """How many positions carry a loss: masked-in steps within each length (head 'every'), or sequences."""
        if not every:
            return int(len(self.lengths) if self.mask is None else np.count_nonzero(self.mask))
        return int(np.count_nonzero(self.labelled()))


@dataclass
class Step:
    """Where a training batch sits: the loop's position and a per-epoch random stream.

    ``rng`` is drawn from in batch order on every rank alike, so a task can use it
    (for a curriculum, noise, ...) without breaking equality across engine counts.
    """

    epoch: int
    iteration: int
    iterations: int
    rng: np.random.Generator


@dataclass
class Splits:
    train: object
    valid: object
    test: object


class Task:
    """Base class: a task overrides what it needs; ``batches`` and ``validate`` have defaults."""

    name = ""
    params = ()  # Param, the task's own run parameters
    about = ""  # Markdown: what the task is, for the notebook's first pages
    history_metrics = ()  # scalar metrics kept per epoch in the record's history
    primary = ""  # the metric progress messages show
    counted = ()  # history metrics that are fractions of the test set's n: plots show them as errors out of n
    extra_name = "extra test"  # what an extra test's label names, for tables ("length" for parity's '100')

    def validate(self, config):
        """Raise ValueError naming a bad parameter of this task."""

    def splits(self, config):
        raise NotImplementedError

    def batches(self, config, data, epoch):
        return epoch_batches(data.lengths, config.batch_size, config.batching, config.seed, epoch, config.shards)

    def batch(self, config, data, index, dtype, step=None):
        raise NotImplementedError

    def model_spec(self, config):
        raise NotImplementedError

    def tally_size(self, config, data):
        """The length of the vector ``tally`` returns for batches of ``data``."""
        raise NotImplementedError

    def tally(self, outputs, batch):
        raise NotImplementedError

    def metrics(self, totals):
        raise NotImplementedError

    def position_errors(self, outputs, batch, longest):
        """[strings wrong at position t, t = 1..longest] + [wrong strings with k wrong positions, k = 1..longest]
        for a task with a label at every position (lstm_xor.train.probe); None where it has no such labels."""
        return None

    def longest(self, config, data):
        """The most steps a batch of ``data`` can have (a truncation length is checked against it)."""
        return int(np.max(data.lengths))

    def final(self, config, model, splits):
        """What the record keeps after training beyond the metrics, as record keys (a forecaster's forecasts)."""
        return {}

    def extra_tests(self, config):
        """{label: data set} evaluated once after training (longer strings, say); none by default."""
        return {}

    def summary(self, test):
        """One line from a test's metrics (the CLI, extra tests)."""
        return ", ".join(f"{k.replace('_', ' ')} {v:.4g}" for k, v in test.items() if isinstance(v, float))

    def summary_rows(self, test):
        """(label, text) rows of a run page's result table."""
        return [(k.replace("_", " "), f"{v:.6g}") for k, v in test.items() if k != "loss"]


def bad(name, value, accepted, why=""):
    """Raise the one error for a bad run parameter: its name, its value, why (if said) and what is accepted."""
    raise ValueError(f"bad parameter {name}={value!r}: {why + '; ' if why else ''}expected {accepted}")


def positive_ints(name, text):
    """'100, 200' -> [100, 200]: comma-separated positive integers, in order (ValueError naming ``name`` otherwise)."""
    parts = [part.strip() for part in text.split(",")] if text else []
    if not all(part.isdigit() and int(part) > 0 for part in parts):
        bad(name, text, "comma-separated positive integers, e.g. '20,46'")
    return [int(part) for part in parts]


def check_positive(config, *names):
    """ValueError naming the first of these integer parameters that is below 1."""
    for name in names:
        if getattr(config, name) < 1:
            bad(name, getattr(config, name), "an integer >= 1")


def check_choice(name, value, accepted):
    """ValueError naming the parameter when ``value`` is not one of ``accepted``."""
    if value not in accepted:
        bad(name, value, f"one of {', '.join(map(str, accepted))}")
