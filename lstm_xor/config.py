"""The one set of run parameter names: the notebook's parameters, the CLI's flags and
the run registry's entries, flat because papermill parameters are flat.

Each :class:`~lstm_xor.tasks.base.Param` carries its facts (does it move the numbers?
may it change on resumption? at which value is it switched off?), so that what a
fingerprint hashes (:func:`numeric_values`) and what a resumed run may change
(``RESUMABLE``) follow from the declarations, not from lists kept by hand.

The names split in two: ``RunConfig``, what is trained (the common parameters and
every task's own), and ``Launch``, how and where it runs (engines, threads, paths,
resumption). :func:`split` makes both from a flat dict. ``Launch`` is defined here,
beside ``RunConfig``, not in ``lstm_xor.launch``: the loop reads it,
and the launcher imports the loop. A task's parameter set to a non-default value in
a run of another task is an error that names its owner.
"""

import dataclasses
import math

from lstm_xor.bptt import MODES as BPTT_MODES
from lstm_xor.data.batching import BATCHINGS
from lstm_xor.nn.cells import CELLS
from lstm_xor.nn.init import INITS
from lstm_xor.nn.losses import REDUCTIONS
from lstm_xor.nn.slips import backprop_slips
from lstm_xor.optim import OPTIMIZERS, adam_slips, parse_schedule
from lstm_xor.tasks import TASKS, get_task
from lstm_xor.tasks.base import Param, bad, check_choice, check_positive, positive_ints

DTYPES = ("float32", "float64")

COMMON = (
    Param("task", str, "parity", f"the task: {', '.join(TASKS)}"),
    Param("cell", str, "lstm", "rnn, lstm or gru"),
    Param("hidden", int, 100, "hidden units per layer"),
    Param("layers", int, 1, "stacked recurrent layers"),
    Param("dropout", float, 0.0, "inverted dropout between layers"),
    Param("init", str, "orthogonal",
          "orthogonal recurrent + Xavier input/output, uniform U[0, 1), uniform_symmetric U[-1, 1), torch "
          "(PyTorch's defaults), or scratchml (report 000's reference code: every gate weight N(0, 1/(D + H)), "
          "the head's N(0, 1/C))"),
    Param("forget_bias", float, 1.0, "LSTM forget-gate bias at start"),
    Param("batch_size", int, 32, "sequences per optimiser step, over all engines (report 000 used 5 x 32, i.e. 160)"),
    Param("batching", str, "packed", "packed: mixed lengths per batch; grouped: one length per batch (report 000); "
          "report: report 000's order, one-length batches by increasing length, a contiguous share per rank, the "
          "same every epoch"),
    Param("shards", int, 1, "batches of batch_size / shards drawn on their own and summed into one step, as report "
          "000's 5 ranks each did with its own batch of 32; 1 draws the step's batch at once", off=1),
    Param("optimizer", str, "adam", "adam or sgd"),
    Param("lr", float, 0.01, "learning rate when lr_schedule is empty", resumable=True),
    Param("lr_schedule", str, "", "piecewise by epoch, e.g. '0:0.00035,20:0.00004'; overrides lr", resumable=True),
    Param("momentum", float, 0.0, "SGD momentum"),
    Param("adam_variant", str, "standard", "standard Adam, or slips of hand-written ones joined by '+': "
          "no_bias_correction, eps_inside_sqrt, epoch_reset (the step counter restarts every epoch), no_sqrt (no "
          "square root on the second moment), betas_swapped, schedule_restart (m, v and the step count lost where "
          "the lr schedule changes), reference_step (the step count epoch * epochs + batch + 1 of report 000's "
          "reference code, with reference_epochs)", off="standard"),
    Param("reference_epochs", int, 0, "with adam_variant reference_step: the epochs in its step count, epoch * "
          "reference_epochs + batch + 1 (the run's planned epochs, as the reference code's self.epochs)", off=0),
    Param("backprop_slip", str, "none", "slips of a hand-written backward pass, joined by '+' (lstm_xor.nn.slips): "
          "recurrent_not_transposed, no_carried_dh, no_carried_dc, dc_without_forget, grads_not_zeroed; none",
          off="none"),
    Param("clip_norm", float, 1.0, "global gradient-norm clip; 0 turns it off"),
    Param("carry_state", bool, False, "start each batch from the final (h, c) of the batch before, row by row, "
          "without a gradient into it, and from zero at each epoch's start and after a batch of another size "
          "(report 000's reference code); false starts every batch from zero", off=False),
    Param("drop_last_batch", bool, False, "skip the last batch of every epoch (the reference code's loop stops "
          "one batch early)", off=False),
    Param("clip_value", float, 0.0, "clip each gradient element to +-clip_value (report 000's reference code: 5, "
          "with no norm clip); applied before clip_norm, which then sees the clipped elements; 0 turns it off",
          off=0.0),
    Param("loss_reduction", str, "mean", "mean over labelled positions, or sum (report 000)"),
    Param("bptt", str, "full", "backpropagation through time: full; regular (chunks of bptt_k steps, an optimiser "
          "step each, the state carried without its gradient); randomized (a cut before each step with probability "
          "bptt_p, carried gradients scaled by 1/(1 - bptt_p) so the expected gradient is the full one)", off="full"),
    Param("bptt_k", int, 0, "with bptt regular: the chunk length in steps, 1 .. the longest sequence", off=0),
    Param("bptt_p", float, 0.0, "with bptt randomized: the probability of a cut before each step, in (0, 1)",
          off=0.0),
    Param("gradient_distances", str, "", "after training: the norm of the last step's loss gradient with respect to "
          "the hidden state these many steps earlier, at the start and at the end, e.g. '1,10,100'",
          off=""),
    Param("bptt_compensate", bool, True, "with bptt randomized: scale carried gradients by 1/(1 - bptt_p); false "
          "cuts at random without it (the control: chunk lengths that vary, with a biased gradient)", off=True),
    Param("gradient_float64", bool, False, "with gradient_distances: compute the state gradients' backward pass in "
          "float64 (a float32 one underflows to subnormals far back)", off=False),
    Param("log_grad_norm", bool, False, "record every optimiser step's gradient norm (before clipping) in the "
          "history's grad_norm, beside iteration_loss; false records none", off=False),
    Param("probe_every", int, 0, "every this many iterations, the task's test metrics on the first 1000 test "
          "sequences (the history's probe_*), and after training the wrong positions of the wrong test sequences "
          "(the record's position_errors; parity); 0 never. It draws no random number: training is unchanged",
          off=0),
    Param("init_radius", float, 0.0, "scale each layer's recurrent weights at the start so that every gate's "
          "recurrent block has this spectral radius (above 1: an exploding start); 0 leaves the initialiser's",
          off=0.0),
    Param("epochs", int, 2, "passes over the training set", resumable=True),
    Param("stop_when", str, "", "stop ('solved') after the first epoch whose test metric reaches a value, e.g. "
          "'sequence_accuracy:1'; empty never", off=""),
    Param("stop_patience", int, 0, "stop ('stopped') after this many epochs of rising loss; 0 never stops",
          resumable=True),
    Param("patience", int, 0, "early stopping: stop after this many epochs without a better validation loss, "
          "and keep the best epoch's parameters (tasks with a validation set); 0 never stops", off=0),
    Param("min_delta", float, 1e-4, "early stopping: a validation loss is better when lower by more than this",
          needs="patience"),
    Param("seed", int, 0, "data, initial weights and shuffling"),
    Param("dtype", str, "float32", "float32 or float64"),
)


def _bookkeeping(name, type_, default, help_text):
    """A parameter of where and how a run goes: it moves no number and may change on resumption."""
    return Param(name, type_, default, help_text, numeric=False, resumable=True)


# How and where a run goes (``Launch``): the same flat set of names as the rest, as papermill's are flat.
LAUNCH = (
    _bookkeeping("engines", int, 1, "MPI processes; 1 trains in this process"),
    _bookkeeping("threads", int, 1, "BLAS threads per engine"),
    _bookkeeping("metrics_path", str, "run.json", "where the run record (JSON) goes"),
    _bookkeeping("checkpoint_dir", str, "", "checkpoint after every epoch here; empty for none"),
    _bookkeeping("resume", bool, False, "continue from the checkpoint in checkpoint_dir"),
    _bookkeeping("keep_epochs", str, "",
                 "also keep checkpoint-<epoch>.npz after these epochs, e.g. '20,46' (runs sharing a prefix)"),
)


def _facts(p):
    return p.type, p.default, p.numeric, p.resumable, p.off, p.needs


def _collect():
    """(params in order, {name: owning task names}); a name two tasks declare must agree on type, default, facts."""
    params = {p.name: p for p in COMMON + LAUNCH}
    owners = {p.name: () for p in COMMON + LAUNCH}
    for task in TASKS.values():
        for p in task.params:
            if p.name in params:
                if owners[p.name] == () or _facts(params[p.name]) != _facts(p):
                    raise TypeError(f"task {task.name} declares parameter {p.name}, which "
                                    f"{'is common' if owners[p.name] == () else 'another task declares differently'}")
                owners[p.name] += (task.name,)
            else:
                params[p.name], owners[p.name] = p, (task.name,)
    return tuple(params.values()), owners


PARAMS, OWNERS = _collect()  # every name: the common ones, how a run goes (LAUNCH), then each task's
BY_NAME = {p.name: p for p in PARAMS}
DEFAULTS = {p.name: p.default for p in PARAMS}
LAUNCH_NAMES = tuple(p.name for p in LAUNCH)
# May differ between a checkpoint and the run that resumes from it (the lr too, as long as it agrees on every
# epoch already done): runs that share their first epochs share one computation of them.
RESUMABLE = frozenset(p.name for p in PARAMS if p.resumable)


def groups(task=None):
    """[(title, [Param])]: the common parameters (what is trained), the launch settings, then each task's
    (or only ``task``'s); a parameter that several tasks share is listed under the first of them, and a task
    with nothing of its own is left out."""
    out = [("common", [p for p in PARAMS if not OWNERS[p.name] and p.name not in LAUNCH_NAMES]),
           ("launch", list(LAUNCH))]
    if task is not None:
        return out + [(f"task {task}", [p for p in PARAMS if task in OWNERS[p.name]])]
    for task in TASKS.values():
        own = [p for p in PARAMS if OWNERS[p.name][:1] == (task.name,)]
        if own:
            out.append((f"task {task.name}", own))
    return out


def inert(name, values):
    """Does this parameter move no number in a run of these flat values (switched off, or what it needs is)?"""
    p = BY_NAME[name]
    if p.needs:
        return values.get(p.needs, DEFAULTS[p.needs]) == BY_NAME[p.needs].off
    return p.off is not None and values[name] == p.off


def numeric_values(values):
    """The items of a flat run dict that can move its numbers: the common parameters and its own task's,
    less how and where it runs, less what is switched off (what a run's fingerprint hashes)."""
    task = values["task"]
    return {k: v for k, v in values.items()
            if BY_NAME[k].numeric and (not OWNERS[k] or task in OWNERS[k]) and not inert(k, values)}


def _check_types(obj):
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        if f.type is int and (isinstance(value, bool) or not isinstance(value, int)):
            bad(f.name, value, "an integer")
        if f.type is float and (isinstance(value, bool) or not isinstance(value, (int, float))
                                or not math.isfinite(value)):
            bad(f.name, value, "a finite number")
        if f.type is bool and not isinstance(value, bool):
            bad(f.name, value, "true or false")
        if f.type is str and not isinstance(value, str):
            bad(f.name, value, "a string")


def _check_owners(config):
    for p in PARAMS:
        owners = OWNERS[p.name]
        if owners and config.task not in owners and getattr(config, p.name) != p.default:
            bad(p.name, getattr(config, p.name), f"its default ({p.default!r})",
                f"it belongs to task {' and '.join(owners)}, and this run's task is {config.task}")


def _check_ranges(config):
    choices = {"batching": BATCHINGS, "cell": CELLS, "init": INITS, "optimizer": OPTIMIZERS,
               "loss_reduction": REDUCTIONS, "dtype": DTYPES, "bptt": BPTT_MODES}
    for name, accepted in choices.items():
        check_choice(name, getattr(config, name), accepted)
    check_positive(config, "hidden", "layers", "batch_size", "shards", "epochs")
    if config.batch_size % config.shards:
        bad("shards", config.shards, f"a divisor of batch_size ({config.batch_size})")
    if not 0 <= config.dropout < 1:
        bad("dropout", config.dropout, "a number in [0, 1)")
    if config.lr <= 0:
        bad("lr", config.lr, "a positive number")
    for name in ("momentum", "clip_norm", "clip_value", "probe_every", "stop_patience", "patience", "min_delta"):
        if getattr(config, name) < 0:
            bad(name, getattr(config, name), "a number >= 0")
    if config.momentum >= 1:
        bad("momentum", config.momentum, "a number in [0, 1)")


def _check_schedules(config):
    if config.lr_schedule:
        try:
            parse_schedule(config.lr_schedule)
        except ValueError:
            bad("lr_schedule", config.lr_schedule, "epoch:lr pieces from epoch 0, epochs increasing, rates "
                "positive, e.g. '0:0.00035,20:0.00004'")
    if config.bptt == "regular" and config.bptt_k < 1:
        bad("bptt_k", config.bptt_k, "a chunk length >= 1 with bptt regular")
    if config.bptt != "regular" and config.bptt_k:
        bad("bptt_k", config.bptt_k, f"0 with bptt {config.bptt} (it is the chunk length of bptt regular)")
    if config.bptt == "randomized" and not 0 < config.bptt_p < 1:
        bad("bptt_p", config.bptt_p, "a probability in (0, 1) with bptt randomized")
    if config.bptt != "randomized" and config.bptt_p:
        bad("bptt_p", config.bptt_p, f"0 with bptt {config.bptt} (it is the cut probability of bptt randomized)")
    positive_ints("gradient_distances", config.gradient_distances)
    if not config.bptt_compensate and config.bptt != "randomized":
        bad("bptt_compensate", config.bptt_compensate, f"true with bptt {config.bptt} (it is randomized's factor)")
    if config.gradient_float64 and not config.gradient_distances:
        bad("gradient_float64", config.gradient_float64, "false without gradient_distances")
    if config.init_radius < 0:
        bad("init_radius", config.init_radius, "a number >= 0 (0 leaves the initialiser's radius)")
    adam_slips(config.adam_variant)
    if config.carry_state and config.bptt != "full":
        bad("carry_state", config.carry_state, f"false with bptt {config.bptt} (its chunks carry the state already)")
    backprop_slips(config.backprop_slip, config.cell)
    if ("reference_step" in config.adam_variant.split("+")) != (config.reference_epochs > 0):
        bad("reference_epochs", config.reference_epochs, "a number of epochs >= 1 with adam_variant reference_step, "
            "and 0 without it")
    if config.adam_variant != "standard" and config.optimizer != "adam":
        bad("adam_variant", config.adam_variant, f"standard with optimizer {config.optimizer}")


def _validate_run(config):
    """Raise ValueError naming the first bad parameter and what is accepted."""
    _check_types(config)
    task = get_task(config.task)
    _check_owners(config)
    _check_ranges(config)
    _check_schedules(config)
    if config.stop_when:
        metric, _ = stop_rule(config.stop_when)
        if metric not in task.history_metrics:
            bad("stop_when", config.stop_when, f"metric:value with a metric of task {config.task} "
                f"({', '.join(task.history_metrics)})")
    task.validate(config)


def _validate_launch(launch):
    """Raise ValueError naming the first bad launch parameter and what is accepted."""
    _check_types(launch)
    check_positive(launch, "engines", "threads")
    positive_ints("keep_epochs", launch.keep_epochs)
    if launch.resume and not launch.checkpoint_dir:
        bad("resume", launch.resume, "a checkpoint_dir to resume from")


def stop_rule(text):
    """'sequence_accuracy:1' -> ('sequence_accuracy', 1.0): stop when that test metric is at least the value."""
    metric, _, value = text.partition(":")
    try:
        return metric, float(value)
    except ValueError:
        bad("stop_when", text, "metric:value, e.g. 'sequence_accuracy:1'")


def _unknown(names, accepted):
    """ValueError naming the unknown parameters and every accepted name."""
    raise ValueError(f"unknown run parameter(s) {', '.join(sorted(names))}; accepted: {', '.join(sorted(accepted))}")


def _from_dict(cls, values):
    names = {f.name for f in dataclasses.fields(cls)}
    if set(values) - names:
        _unknown(set(values) - names, names)
    return cls(**values)


def _dataclass(name, params, validate, doc):
    return dataclasses.make_dataclass(
        name, [(p.name, p.type, dataclasses.field(default=p.default)) for p in params],
        namespace={"__doc__": doc, "__post_init__": lambda self: self.validate(), "validate": validate,
                   "to_dict": lambda self: dataclasses.asdict(self), "from_dict": classmethod(_from_dict),
                   "__module__": __name__})


RunConfig = _dataclass("RunConfig", [p for p in PARAMS if p.name not in LAUNCH_NAMES], _validate_run,
                       "What is trained: every run parameter but how and where it runs (see ``PARAMS``).")
Launch = _dataclass("Launch", LAUNCH, _validate_launch,
                    "How and where a run goes: engines, BLAS threads, the record's path, checkpoints, resumption.")


def split(values):
    """A flat dict of run parameters (the notebook's, the CLI's, a registry entry's) -> (RunConfig, Launch),
    both validated; ValueError naming an unknown or bad parameter and what is accepted."""
    unknown = set(values) - set(BY_NAME)
    if unknown:
        _unknown(unknown, BY_NAME)
    config = RunConfig(**{k: v for k, v in values.items() if k not in LAUNCH_NAMES})
    launch = Launch(**{k: v for k, v in values.items() if k in LAUNCH_NAMES})
    if launch.engines > config.batch_size:
        bad("engines", launch.engines, f"at most batch_size ({config.batch_size}), so every engine has sequences")
    return config, launch


def flat(config, launch):
    """The one flat dict of a run's names again (run records keep it so: see ``lstm_xor.train.history``)."""
    return {**config.to_dict(), **launch.to_dict()}


# What IPython and papermill leave in a notebook's globals besides the parameters, and what
# notebooks/train.ipynb's own later cells bind (a second "Run All" in Jupyter finds it there).
_NOTEBOOK_NAMES = {"In", "Out", "exit", "quit", "get_ipython", "open", "record"}


def from_notebook(namespace):
    """(RunConfig, Launch) from a notebook's globals after its parameters cells; ValueError naming any name
    papermill injected that is no run parameter (papermill itself only warns "Passed unknown parameter").

    An injected parameter is a plain value (number, string, bool, list, dict, None) at the top level, so the
    other globals (modules, functions, IPython's ``_`` names, ``In`` and ``Out``) are not taken for one.
    """
    plain = (int, float, str, bool, list, tuple, dict, type(None))
    unknown = {name for name, value in namespace.items() if isinstance(value, plain) and name not in BY_NAME
               and not name.startswith("_") and name not in _NOTEBOOK_NAMES}
    if unknown:
        _unknown(unknown, BY_NAME)
    return split({name: _as_declared(BY_NAME[name], namespace[name]) for name in BY_NAME if name in namespace})


def _as_declared(param, value):
    """papermill's ``-p`` turns a value that reads as a number into one: ``-p eval_lengths 500`` is the
    int 500, so a text parameter takes an integer back as its digits, as the CLI would have read it."""
    if param.type is str and isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


def parameters_source(task=None, values=None):
    """The parameters cell of notebooks/train.ipynb: every parameter with its help, grouped by owner; with a
    task, only the common parameters and that task's, at ``values`` where given (a run page's cell)."""
    lines = ["# Parameters: the same names as RunConfig and `python -m lstm_xor train --help`."]
    for title, params in groups(task):
        lines.append(f"# -- {title}")
        for p in params:
            tag = f"[{title.split()[-1]}] " if title.startswith("task ") else ""
            value = (values or {}).get(p.name, p.default)
            lines.append(f"{p.name}: {p.type.__name__} = {value!r}  # {tag}{p.help}")
    return "\n".join(lines)
