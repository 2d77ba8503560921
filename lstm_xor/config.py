"""The one run configuration: the notebook's parameters, the CLI's flags and the
run registry's entries are all this set of names.

``RunConfig`` is a dataclass built from the common parameters below plus every
task's own (``Task.params``), as one flat set of names, because papermill
parameters are flat. A parameter belongs to the common set or to the tasks
that declare it; giving a task's parameter a non-default value in a run of
another task is an error that names its owner.
"""

import dataclasses
import math

from lstm_xor.bptt import MODES as BPTT_MODES
from lstm_xor.data.batching import BATCHINGS
from lstm_xor.nn.cells import CELLS
from lstm_xor.nn.init import INITS
from lstm_xor.nn.losses import REDUCTIONS
from lstm_xor.optim import OPTIMIZERS, adam_slips, parse_schedule
from lstm_xor.tasks import TASKS, get_task
from lstm_xor.tasks.base import Param, positive_ints

DTYPES = ("float32", "float64")

COMMON = (
    Param("task", str, "parity", f"the task: {', '.join(TASKS)}"),
    Param("cell", str, "lstm", "rnn, lstm or gru"),
    Param("hidden", int, 100, "hidden units per layer"),
    Param("layers", int, 1, "stacked recurrent layers"),
    Param("dropout", float, 0.0, "inverted dropout between layers"),
    Param("init", str, "orthogonal",
          "orthogonal recurrent + Xavier input/output, uniform U[0, 1), uniform_symmetric U[-1, 1), or torch "
          "(PyTorch's defaults)"),
    Param("forget_bias", float, 1.0, "LSTM forget-gate bias at start"),
    Param("batch_size", int, 32, "sequences per optimiser step, over all engines (report 000 used 5 x 32, i.e. 160)"),
    Param("batching", str, "packed", "packed: mixed lengths per batch; grouped: one length per batch (report 000); "
          "report: report 000's order, one-length batches by increasing length, a contiguous share per rank, the "
          "same every epoch"),
    Param("shards", int, 1, "batches of batch_size / shards drawn on their own and summed into one step, as report "
          "000's 5 ranks each did with its own batch of 32; 1 draws the step's batch at once"),
    Param("optimizer", str, "adam", "adam or sgd"),
    Param("lr", float, 0.01, "learning rate when lr_schedule is empty"),
    Param("lr_schedule", str, "", "piecewise by epoch, e.g. '0:0.00035,20:0.00004'; overrides lr"),
    Param("momentum", float, 0.0, "SGD momentum"),
    Param("adam_variant", str, "standard", "standard Adam, or slips of hand-written ones joined by '+': "
          "no_bias_correction, eps_inside_sqrt, epoch_reset (the step counter restarts every epoch)"),
    Param("clip_norm", float, 1.0, "global gradient-norm clip; 0 turns it off"),
    Param("loss_reduction", str, "mean", "mean over labelled positions, or sum (report 000)"),
    Param("bptt", str, "full", "backpropagation through time: full; regular (chunks of bptt_k steps, an optimiser "
          "step each, the state carried without its gradient); randomized (a cut before each step with probability "
          "bptt_p, carried gradients scaled by 1/(1 - bptt_p) so the expected gradient is the full one)"),
    Param("bptt_k", int, 0, "with bptt regular: the chunk length in steps, 1 .. the longest sequence"),
    Param("bptt_p", float, 0.0, "with bptt randomized: the probability of a cut before each step, in (0, 1)"),
    Param("gradient_distances", str, "", "after training: the norm of the last step's loss gradient with respect to "
          "the hidden state these many steps earlier, at the start and at the end, e.g. '1,10,100'"),
    Param("epochs", int, 2, "passes over the training set"),
    Param("stop_when", str, "", "stop ('solved') after the first epoch whose test metric reaches a value, e.g. "
          "'sequence_accuracy:1'; empty never"),
    Param("stop_patience", int, 0, "stop ('stopped') after this many epochs of rising loss; 0 never stops"),
    Param("patience", int, 0, "early stopping: stop after this many epochs without a better validation loss, "
          "and keep the best epoch's parameters (tasks with a validation set); 0 never stops"),
    Param("min_delta", float, 1e-4, "early stopping: a validation loss is better when lower by more than this"),
    Param("seed", int, 0, "data, initial weights and shuffling"),
    Param("dtype", str, "float32", "float32 or float64"),
    Param("engines", int, 1, "MPI processes; 1 trains in this process"),
    Param("threads", int, 1, "BLAS threads per engine"),
    Param("metrics_path", str, "run.json", "where the run record (JSON) goes"),
    Param("checkpoint_dir", str, "", "checkpoint after every epoch here; empty for none"),
    Param("resume", bool, False, "continue from the checkpoint in checkpoint_dir"),
    Param("keep_epochs", str, "",
          "also keep checkpoint-<epoch>.npz after these epochs, e.g. '20,46' (runs sharing a prefix)"),
)


def _collect():
    """(params in order, {name: owning task names}); a name two tasks declare must agree on type and default."""
    params = {p.name: p for p in COMMON}
    owners = {p.name: () for p in COMMON}
    for task in TASKS.values():
        for p in task.params:
            if p.name in params:
                known = params[p.name]
                if owners[p.name] == () or (known.type, known.default) != (p.type, p.default):
                    raise TypeError(f"task {task.name} declares parameter {p.name}, which "
                                    f"{'is common' if owners[p.name] == () else 'another task declares differently'}")
                owners[p.name] += (task.name,)
            else:
                params[p.name], owners[p.name] = p, (task.name,)
    return tuple(params.values()), owners


PARAMS, OWNERS = _collect()
HELP = {p.name: p.help for p in PARAMS}


def groups():
    """[(title, [Param])]: the common parameters, then each task's; a parameter that several tasks
    share is listed under the first of them, and a task with nothing of its own is left out."""
    out = [("common", [p for p in PARAMS if not OWNERS[p.name]])]
    for task in TASKS.values():
        own = [p for p in PARAMS if OWNERS[p.name][:1] == (task.name,)]
        if own:
            out.append((f"task {task.name}", own))
    return out


def _bad(name, value, accepted):
    raise ValueError(f"bad parameter {name}={value!r}: expected {accepted}")


def _validate(self):
    """Raise ValueError naming the first bad parameter and what is accepted."""
    for f in dataclasses.fields(self):
        value = getattr(self, f.name)
        if f.type is int and (isinstance(value, bool) or not isinstance(value, int)):
            _bad(f.name, value, "an integer")
        if f.type is float and (isinstance(value, bool) or not isinstance(value, (int, float))
                                or not math.isfinite(value)):
            _bad(f.name, value, "a finite number")
        if f.type is bool and not isinstance(value, bool):
            _bad(f.name, value, "true or false")
        if f.type is str and not isinstance(value, str):
            _bad(f.name, value, "a string")
    task = get_task(self.task)
    for p in PARAMS:
        owners = OWNERS[p.name]
        if owners and self.task not in owners and getattr(self, p.name) != p.default:
            raise ValueError(f"bad parameter {p.name}={getattr(self, p.name)!r}: it belongs to task "
                             f"{' and '.join(owners)}, and this run's task is {self.task}; leave it at its "
                             f"default ({p.default!r})")
    choices = {"batching": BATCHINGS, "cell": CELLS, "init": INITS, "optimizer": OPTIMIZERS,
               "loss_reduction": REDUCTIONS, "dtype": DTYPES, "bptt": BPTT_MODES}
    for name, accepted in choices.items():
        if getattr(self, name) not in accepted:
            _bad(name, getattr(self, name), f"one of {', '.join(accepted)}")
    for name in ("hidden", "layers", "batch_size", "shards", "epochs", "engines", "threads"):
        if getattr(self, name) < 1:
            _bad(name, getattr(self, name), "an integer >= 1")
    if self.batch_size % self.shards:
        _bad("shards", self.shards, f"a divisor of batch_size ({self.batch_size})")
    if not 0 <= self.dropout < 1:
        _bad("dropout", self.dropout, "a number in [0, 1)")
    if self.lr <= 0:
        _bad("lr", self.lr, "a positive number")
    if self.lr_schedule:
        try:
            parse_schedule(self.lr_schedule)
        except ValueError:
            _bad("lr_schedule", self.lr_schedule, "epoch:lr pieces from epoch 0, epochs increasing, rates positive, "
                 "e.g. '0:0.00035,20:0.00004'")
    for name in ("momentum", "clip_norm", "stop_patience", "patience", "min_delta"):
        if getattr(self, name) < 0:
            _bad(name, getattr(self, name), "a number >= 0")
    if self.momentum >= 1:
        _bad("momentum", self.momentum, "a number in [0, 1)")
    if self.bptt == "regular" and self.bptt_k < 1:
        _bad("bptt_k", self.bptt_k, "a chunk length >= 1 with bptt regular")
    if self.bptt != "regular" and self.bptt_k:
        _bad("bptt_k", self.bptt_k, f"0 with bptt {self.bptt} (it is the chunk length of bptt regular)")
    if self.bptt == "randomized" and not 0 < self.bptt_p < 1:
        _bad("bptt_p", self.bptt_p, "a probability in (0, 1) with bptt randomized")
    if self.bptt != "randomized" and self.bptt_p:
        _bad("bptt_p", self.bptt_p, f"0 with bptt {self.bptt} (it is the cut probability of bptt randomized)")
    positive_ints("keep_epochs", self.keep_epochs)
    positive_ints("gradient_distances", self.gradient_distances)
    adam_slips(self.adam_variant)
    if self.adam_variant != "standard" and self.optimizer != "adam":
        _bad("adam_variant", self.adam_variant, f"standard with optimizer {self.optimizer}")
    if self.stop_when:
        metric, _ = stop_rule(self.stop_when)
        if metric not in task.history_metrics:
            _bad("stop_when", self.stop_when, f"metric:value with a metric of task {self.task} "
                 f"({', '.join(task.history_metrics)})")
    if self.engines > self.batch_size:
        _bad("engines", self.engines, f"at most batch_size ({self.batch_size}), so every engine has sequences")
    task.validate(self)


def stop_rule(text):
    """'sequence_accuracy:1' -> ('sequence_accuracy', 1.0): stop when that test metric is at least the value."""
    metric, _, value = text.partition(":")
    try:
        return metric, float(value)
    except ValueError:
        _bad("stop_when", text, "metric:value, e.g. 'sequence_accuracy:1'")


def _from_dict(cls, values):
    known = {p.name for p in PARAMS}
    unknown = sorted(set(values) - known)
    if unknown:
        raise ValueError(f"unknown run parameter(s) {', '.join(unknown)}; accepted: {', '.join(sorted(known))}")
    return cls(**values)


RunConfig = dataclasses.make_dataclass(
    "RunConfig", [(p.name, p.type, dataclasses.field(default=p.default)) for p in PARAMS],
    namespace={"__doc__": "Every run parameter (see ``lstm_xor.config.PARAMS`` for their help).",
               "__post_init__": lambda self: self.validate(), "validate": _validate,
               "to_dict": lambda self: dataclasses.asdict(self), "from_dict": classmethod(_from_dict),
               "__module__": __name__})


def parameters_source():
    """The parameters cell of notebooks/train.ipynb: every parameter with its help, grouped by owner."""
    lines = ["# Parameters: the same names as RunConfig and `python -m lstm_xor train --help`."]
    for title, params in groups():
        lines.append(f"# -- {title}")
        for p in params:
            tag = "" if title == "common" else f"[{title.split()[-1]}] "
            lines.append(f"{p.name}: {p.type.__name__} = {p.default!r}  # {tag}{p.help}")
    return "\n".join(lines)
