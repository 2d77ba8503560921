"""The one run configuration: the notebook's parameters, the CLI's flags and the
run registry's entries are all this set of names."""

import dataclasses
import math
from dataclasses import dataclass, fields

from lstm_xor.nn.cells import CELLS
from lstm_xor.nn.init import INITS
from lstm_xor.nn.losses import REDUCTIONS
from lstm_xor.optim import OPTIMIZERS, parse_schedule

TASKS = ("parity",)
LABELS = ("prefix", "final")
BATCHINGS = ("grouped", "packed")
DTYPES = ("float32", "float64")


@dataclass
class RunConfig:
    task: str = "parity"  # the task; parity of bit strings
    min_length: int = 1  # shortest string; equal to max_length gives fixed length ("type 1")
    max_length: int = 50  # longest string
    n_samples: int = 100_000  # strings in the data set
    test_fraction: float = 0.2  # share held out for testing
    labels: str = "prefix"  # prefix: running parity at every step; final: parity of the whole string
    batching: str = "packed"  # packed: mixed lengths per batch; grouped: one length per batch (the report)
    cell: str = "lstm"  # rnn, lstm or gru
    hidden: int = 100  # hidden units per layer
    layers: int = 1  # stacked recurrent layers
    dropout: float = 0.0  # inverted dropout between layers
    init: str = "orthogonal"  # orthogonal recurrent + Xavier input/output, or uniform U[0, 1)
    forget_bias: float = 1.0  # LSTM forget-gate bias at start
    batch_size: int = 32  # strings per optimiser step, over all engines (the report used 5 x 32, i.e. 160)
    optimizer: str = "adam"  # adam or sgd
    lr: float = 0.01  # learning rate when lr_schedule is empty
    lr_schedule: str = ""  # piecewise by epoch, e.g. '0:0.00035,20:0.00004'; overrides lr
    momentum: float = 0.0  # SGD momentum
    clip_norm: float = 1.0  # global gradient-norm clip; 0 turns it off
    loss_reduction: str = "mean"  # mean over labelled positions, or sum (the report)
    epochs: int = 2  # passes over the training strings
    curriculum_epochs: float = 0.0  # epochs over which training strings are cut to a growing length (0 turns it off)
    stop_patience: int = 0  # stop ('stopped') after this many epochs of rising loss; 0 never stops
    eval_lengths: str = ""  # after training, also test on these lengths, e.g. '100,200,500'
    seed: int = 0  # data, initial weights and shuffling
    dtype: str = "float32"  # float32 or float64
    engines: int = 1  # MPI processes; 1 trains in this process
    threads: int = 1  # BLAS threads per engine
    metrics_path: str = "run.json"  # where the run record (JSON) goes
    checkpoint_dir: str = ""  # checkpoint after every epoch here; empty for none
    resume: bool = False  # continue from the checkpoint in checkpoint_dir
    keep_epochs: str = ""  # also keep checkpoint-<epoch>.npz after these epochs, e.g. '20,46' (runs sharing a prefix)

    def __post_init__(self):
        self.validate()

    def validate(self):
        """Raise ValueError naming the first bad parameter and what is accepted."""
        choices = {"task": TASKS, "labels": LABELS, "batching": BATCHINGS, "cell": CELLS,
                   "init": INITS, "optimizer": OPTIMIZERS, "loss_reduction": REDUCTIONS, "dtype": DTYPES}
        for name, accepted in choices.items():
            if getattr(self, name) not in accepted:
                _bad(name, getattr(self, name), f"one of {', '.join(accepted)}")
        for f in fields(self):
            value = getattr(self, f.name)
            if f.type is int and (isinstance(value, bool) or not isinstance(value, int)):
                _bad(f.name, value, "an integer")
            if f.type is float and (isinstance(value, bool) or not isinstance(value, (int, float))
                                               or not math.isfinite(value)):
                _bad(f.name, value, "a finite number")
        for name in ("min_length", "max_length", "n_samples", "hidden", "layers", "batch_size",
                     "epochs", "engines", "threads"):
            if getattr(self, name) < 1:
                _bad(name, getattr(self, name), "an integer >= 1")
        if self.min_length > self.max_length:
            _bad("min_length", self.min_length, f"at most max_length ({self.max_length})")
        if not 0 < self.test_fraction < 1:
            _bad("test_fraction", self.test_fraction, "a fraction strictly between 0 and 1")
        if not 0 <= self.dropout < 1:
            _bad("dropout", self.dropout, "a number in [0, 1)")
        if self.lr <= 0:
            _bad("lr", self.lr, "a positive number")
        if self.lr_schedule:
            parse_schedule(self.lr_schedule)
        for name in ("momentum", "clip_norm", "curriculum_epochs", "stop_patience"):
            if getattr(self, name) < 0:
                _bad(name, getattr(self, name), "a number >= 0")
        if self.momentum >= 1:
            _bad("momentum", self.momentum, "a number in [0, 1)")
        for name in ("eval_lengths", "keep_epochs"):
            text = getattr(self, name)
            if text and not all(part.strip().isdigit() and int(part) > 0 for part in text.split(",")):
                _bad(name, text, "comma-separated positive integers, e.g. '100,200,500'")
        n_train = self.n_samples - math.ceil(self.n_samples * self.test_fraction)
        if n_train < 1:
            _bad("n_samples", self.n_samples, "enough strings to leave a training set")
        if self.batch_size > n_train:
            _bad("batch_size", self.batch_size, f"at most the {n_train} training strings")
        if self.engines > self.batch_size:
            _bad("engines", self.engines, f"at most batch_size ({self.batch_size}), so every engine has strings")

    def to_dict(self):
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values):
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"unknown run parameter(s) {', '.join(unknown)}; accepted: {', '.join(sorted(known))}")
        return cls(**values)


def _bad(name, value, accepted):
    raise ValueError(f"bad parameter {name}={value!r}: expected {accepted}")
