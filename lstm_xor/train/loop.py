"""The training loop: fit (epochs), step (one synchronous optimiser step), evaluate
(additive tallies), divergence; its history and stop rules are in ``history``, its
checkpoints and resumption in ``resume``, what it shows in ``progress``. It knows no
task (``lstm_xor.tasks``) and no MPI (a communicator from ``lstm_xor.comm`` is passed in).

Synchronous data parallelism: every rank builds the same global batch, takes
its contiguous shard of rows, computes that shard's gradient of the *global*
loss, one all-reduce sums them, and every rank applies the same optimiser step.
Dropout masks are drawn for the global batch from a stream that does not
depend on the rank. So the numbers do not depend on how many engines computed
them (up to the order of floating-point sums).
"""

import dataclasses
import json
import math
import os
import platform
import sys
import time

import numpy as np

from lstm_xor import NUMERICS_VERSION, __version__
from lstm_xor.blas import blas_info, numpy_simd
from lstm_xor.bptt import carry_scale, cuts, in_float64, run_chunks, set_radius, state_gradient_norms
from lstm_xor.comm import SerialComm
from lstm_xor.config import Launch, flat, split
from lstm_xor.nn.model import Model
from lstm_xor.nn.slips import CELL_SLIPS, GradientSum, backprop_slips
from lstm_xor.optim import clip_values, lr_at, make_optimizer, parse_schedule
from lstm_xor.records import write_record
from lstm_xor.tasks import get_task
from lstm_xor.tasks.base import Step, bad, positive_ints
from lstm_xor.train import resume
from lstm_xor.train.history import add_metrics, best_epoch, improved, new_history, stop_status
from lstm_xor.train.probe import position_errors, probe_sample
from lstm_xor.train.progress import Display, choose

EVAL_BATCH = 1000


def build_model(config, spec=None):
    """The model a configuration trains (``spec``: its task's ModelSpec, asked for when not given)."""
    spec = spec or get_task(config.task).model_spec(config)
    model = Model(config.cell, spec.size, config.hidden, spec.outputs, config.layers, config.dropout, spec.head,
                  config.init, config.forget_bias, np.dtype(config.dtype), config.seed,
                  embed=spec.embed if spec.input == "tokens" else 0, slots=spec.slots, output=spec.output)
    return set_radius(model, config.init_radius) if config.init_radius else model


def environment(threads, comm):
    """Where a run ran: versions, engines (the ranks that computed it), BLAS threads, the CPU, and the kernels
    that computed it (rank 0's; "kernels_by_rank" lists every rank's when they differ). Called on every rank."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), cpu)
    except OSError:
        pass
    kernels = {"blas": blas_info(), "numpy_simd": numpy_simd()}
    ranks = [json.loads(text) for text in every_rank(comm, json.dumps(kernels, sort_keys=True))]
    env = {"lstm_xor": __version__, "numerics": NUMERICS_VERSION, "numpy": np.__version__,
           "python": sys.version.split()[0], "engines": comm.size, "threads": threads, "cpu": cpu,
           "cores": os.cpu_count(), **{name: dict(value, source="recorded") for name, value in kernels.items()}}
    if any(rank != ranks[0] for rank in ranks):
        env["kernels_by_rank"] = ranks
    return env


def every_rank(comm, text):
    """Every rank's ``text``, in rank order, on every rank: its UTF-8 bytes summed into one slot per rank."""
    mine = np.frombuffer(text.encode(), dtype=np.uint8)
    width = comm.allreduce_sum(np.eye(comm.size)[comm.rank] * len(mine)).max()
    slots = np.zeros((comm.size, int(width)))
    slots[comm.rank, :len(mine)] = mine
    comm.allreduce_sum(slots)
    return [bytes(row.astype(np.uint8)).rstrip(b"\0").decode() for row in slots]


class Trainer:
    """One configuration's task, data, model and optimiser, and the two things done with them:
    a synchronous optimiser step over a global batch, and evaluation over a data set."""

    def __init__(self, config, comm=None):
        self.config, self.comm = config, comm or SerialComm()
        self.task = get_task(config.task)
        self.splits = self.task.splits(config)
        self.spec = self.task.model_spec(config)
        self.model = build_model(config, self.spec)
        self.every = self.spec.head == "every"
        self.optimizer = make_optimizer(config.optimizer, self.model.n_params(), self.model.dtype, config.momentum,
                                        config.adam_variant, config.reference_epochs)
        slips = backprop_slips(config.backprop_slip, config.cell)
        self.model.backprop_slips = slips & CELL_SLIPS
        if "grads_not_zeroed" in slips:  # the buffer's sum is checkpointed with the optimiser's state
            self.optimizer = GradientSum(self.optimizer, self.model.n_params(), self.model.dtype)
        self.grad_buf = np.empty(self.model.n_params() + 1, dtype=self.model.dtype)  # gradient, then the loss
        self.carried = None  # carry_state: (the global batch's size, this rank's final states) of the last step

    def step(self, index, lr, step=None):
        """One optimiser step over the global batch ``index`` (truncated BPTT: one per chunk of its steps);
        returns (loss, gradient norm), the loss over the whole batch and the largest norm.

        The norm is computed in float64 before clipping. When the loss or the
        gradient is not finite, the parameters are left as they were.
        """
        config, model, comm = self.config, self.model, self.comm
        batch = self.task.batch(config, self.splits.train, index, model.dtype, step)
        count = batch.loss_positions(self.every)
        shard = np.array_split(np.arange(len(index)), comm.size)[comm.rank]
        mine = batch.rows(shard) if len(shard) else None  # None: this rank has no sequences, yet joins the sums
        epoch, iteration = (step.epoch, step.iteration) if step else (0, 0)
        T = int(batch.lengths.max())
        keep = None
        if model.dropout > 0 and model.layers > 1:
            rng = np.random.default_rng([config.seed, 4, epoch, iteration])
            keep = model.dropout_masks(rng, len(index), T)[:, shard]
        if config.bptt == "full":
            state = self._state_before(len(index), step) if config.carry_state else None
            out = None if mine is None else model.loss(mine.x, mine.lengths, mine.y, mine.mask, config.loss_reduction,
                                                       count, state=state, train=True, keep=keep)
            if config.carry_state and out is not None:
                self.carried = (len(index), [tuple(a.copy() for a in layer) for layer in out[2]])
            return self._update(None if out is None else out[0], lr)
        # the global batch's steps, cut alike on every rank: every rank takes the same optimiser steps
        chunks = cuts(T, config.bptt, config.bptt_k, config.bptt_p,
                      np.random.default_rng([config.seed, 5, epoch, iteration]))
        per_step = batch.labelled().sum(axis=0)  # the global batch's loss positions at each step
        counts = [int(per_step[a:b].sum()) for a, b in chunks]
        carry = carry_scale(config.bptt, config.bptt_p, config.bptt_compensate)
        total, worst = 0.0, 0.0
        for chunk_loss, n in zip(run_chunks(model, mine, chunks, counts, config.loss_reduction, carry, keep), counts,
                                 strict=True):
            loss, norm = self._update(chunk_loss, lr)
            if not (math.isfinite(loss) and math.isfinite(norm)):
                return loss, norm  # diverged: this chunk's step was not taken
            total += loss * n / count if config.loss_reduction == "mean" else loss
            worst = max(worst, norm)
        return total, worst

    def _state_before(self, n, step):
        """carry_state: the last step's final states when it had n sequences too and this is no epoch's first."""
        if step is None or step.iteration == 0 or self.carried is None or self.carried[0] != n:
            return None
        return self.carried[1]

    def _update(self, loss, lr):
        """Sums this rank's gradient and loss (None: it has no sequences) over the ranks, clips, steps."""
        model, buf = self.model, self.grad_buf
        P = model.n_params()
        if loss is None:
            buf[...] = 0.0
        else:
            buf[:P] = model.grad_flat
            buf[P] = loss
        self.comm.allreduce_sum(buf)  # one collective: the gradient and the loss together
        grad = buf[:P]
        if isinstance(self.optimizer, GradientSum):
            self.optimizer.add(grad)
        norm = clip_values(grad, self.config.clip_value, self.config.clip_norm)
        loss = float(buf[P])
        if math.isfinite(norm) and math.isfinite(loss):
            self.optimizer.step(model.flat, grad, lr)
        return loss, norm

    def evaluate(self, data, batch_size=EVAL_BATCH, index=None):
        """The task's metrics and the loss over ``data`` (its sequences ``index``, all by default).

        Sequences are sorted by length so each batch is nearly rectangular; each
        rank takes a share, and one all-reduce sums the tallies.
        """
        model, task = self.model, self.task
        index = np.arange(len(data.lengths)) if index is None else index
        order = index[np.argsort(data.lengths[index], kind="stable")]
        mine = np.array_split(order, self.comm.size)[self.comm.rank]
        totals = None
        for i in range(0, len(mine), batch_size):
            batch = task.batch(self.config, data, mine[i:i + batch_size], model.dtype)
            loss, out, _ = model.loss(batch.x, batch.lengths, batch.y, batch.mask, "sum", train=False,
                                      backward=False)
            counts = np.concatenate([[loss, batch.loss_positions(self.every)], task.tally(out, batch)])
            totals = counts if totals is None else totals + counts
        if totals is None:  # this rank has no share; it still joins the sum
            totals = np.zeros(2 + task.tally_size(self.config, data))
        totals = self.comm.allreduce_sum(np.ascontiguousarray(totals, dtype=np.float64))
        metrics = task.metrics(totals[2:])
        metrics["loss"] = float(totals[0] / (totals[1] if self.config.loss_reduction == "mean" else 1.0))
        return metrics


def train(config, comm=None, launch=None, progress=None, on_epoch=None):
    """Run one configuration to its end and return the run record (with ``record["model"]``).

    ``config``: a RunConfig, or a flat dict of run parameters (split into it and ``launch``).
    ``launch``: where the record and checkpoints go and whether to resume (a Launch; its
    engines are the communicator's ranks). Rank 0 writes the record to ``launch.metrics_path``
    (also when the run diverges or stops early) and, with ``checkpoint_dir``, a checkpoint after
    every epoch. ``progress``: 'bar', 'text', 'none' (False) or None to choose
    (:mod:`lstm_xor.train.progress`). ``on_epoch(record)`` is called on rank 0 after each epoch.
    """
    if isinstance(config, dict):
        config, launch = split(config)
    launch = launch or Launch()
    config.validate()
    launch.validate()
    resume.check_destinations(launch)
    start_time = time.perf_counter()
    trainer = Trainer(config, comm)
    check_data(config, trainer)
    probe = _gradient_probe(config, trainer)
    lead = trainer.comm.rank == 0
    schedule = parse_schedule(config.lr_schedule) if config.lr_schedule else [(0, config.lr)]
    history, first_epoch, wall_before, best = new_history(trainer.task, trainer.splits.valid is not None), 0, 0.0, None
    if launch.resume:
        history, first_epoch, wall_before, best = resume.restore(config, launch, trainer.model, trainer.optimizer,
                                                                 schedule)
    record = {"status": "running", "config": _record_config(config, launch, trainer.comm),
              "epochs_completed": first_epoch, "test": None, "history": history,
              "environment": environment(launch.threads, trainer.comm)}
    display = Display(choose(progress) if lead else "none", config.epochs, trainer.task.primary)
    fit = _Fit(trainer, launch, record, display, on_epoch if lead else None, start_time - wall_before)
    status, best = fit.run(range(first_epoch, config.epochs), schedule, best)
    if status != "diverged":
        _after_training(trainer, record, best, probe)
    finite = [v for v in history["iteration_loss"] if math.isfinite(v)]
    record.update(status=status, min_iteration_loss=min(finite) if finite else None,
                  wall_seconds=wall_before + time.perf_counter() - start_time)
    if lead and launch.metrics_path:
        write_record(launch.metrics_path, record)
    record["model"] = trainer.model
    return record


def _record_config(config, launch, comm):
    """The record's "config": one flat dict of every name, as every committed record and its readers have it;
    its engines are the ranks that computed the run, whatever was asked for."""
    return dict(flat(config, launch), engines=comm.size)


def check_data(config, trainer):
    """The checks that need the task's data and model spec (the rest is RunConfig's validation)."""
    task = trainer.task
    if config.bptt != "full" and not trainer.every:
        bad("bptt", config.bptt, "full", f"task {task.name} reads one output per sequence (head "
            f"'{trainer.spec.head}'), and truncation needs a label at every step")
    longest = task.longest(config, trainer.splits.train) if config.bptt == "regular" else 0
    if config.bptt_k > longest:
        bad("bptt_k", config.bptt_k, f"at most the longest training sequence ({longest} steps)")
    if config.patience and trainer.splits.valid is None:
        bad("patience", config.patience, "0", f"task {task.name} keeps no validation set to watch")


class _Fit:
    """The epochs of one run: train, evaluate, checkpoint, report, and stop when a rule says so."""

    def __init__(self, trainer, launch, record, display, on_epoch, started):
        self.trainer, self.launch, self.record, self.display = trainer, launch, record, display
        self.on_epoch, self.started = on_epoch, started  # started: when the run began, resumed epochs included
        self.history = record["history"]

    def run(self, epochs, schedule, best):
        """Train these epochs; returns (status, the best epoch's parameters with early stopping, else None)."""
        stop = self._stopped_before()
        if stop:  # resumed after its last epoch but before its record: it ends where it ended
            self.record.update({stop[1]: stop[2], "test": self.trainer.evaluate(self.trainer.splits.test)})
            return stop[0], best
        for epoch in epochs:
            lr = lr_at(schedule, epoch)
            if not self._train_epoch(epoch, lr, epoch > 0 and lr != lr_at(schedule, epoch - 1)):
                return "diverged", best
            best_now, since = self._evaluate(epoch)
            if best_now:
                best = self.trainer.model.flat.copy()
            self._checkpoint(best_now)
            if self.on_epoch:
                self.on_epoch(self.record)
            stop = stop_status(self.trainer.config, self.history, self.record["test"], since)
            if stop:
                self.record[stop[1]] = stop[2]
                return stop[0], best
        return "completed", best

    def _stopped_before(self):
        """A stop rule that the restored history already meets (None for a fresh run)."""
        if not self.history["epoch_loss"]:
            return None
        config, task = self.trainer.config, self.trainer.task
        test = {m: self.history[f"test_{m}"][-1] for m in task.history_metrics}
        return stop_status(config, self.history, test, improved(config, self.history)[1])

    def _train_epoch(self, epoch, lr, lr_changed):
        """One pass over the training set; False (and where, in the record) when a step diverged."""
        trainer, history = self.trainer, self.history
        batches = trainer.task.batches(trainer.config, trainer.splits.train, epoch)
        if trainer.config.drop_last_batch:
            batches = batches[:-1]
        trainer.optimizer.new_epoch(epoch, lr_changed)
        self.display.start_epoch(epoch, len(batches))
        epoch_start, epoch_loss = time.perf_counter(), 0.0
        data_rng = np.random.default_rng([trainer.config.seed, 3, epoch])
        for iteration, index in enumerate(batches):
            loss, norm = trainer.step(index, lr, Step(epoch, iteration, len(batches), data_rng))
            history["iteration_loss"].append(loss)
            if trainer.config.log_grad_norm:
                history.setdefault("grad_norm", []).append(norm)
            epoch_loss += loss
            probe_sample(trainer, history, len(history["iteration_loss"]))
            self.display.step(iteration, loss)
            if not (math.isfinite(loss) and math.isfinite(norm)):
                self.record.update(diverged_epoch=epoch, diverged_iteration=iteration)
                self.display.note(f"epoch {epoch + 1}/{trainer.config.epochs}: diverged at step {iteration + 1}")
                return False
        history["epoch_seconds"].append(time.perf_counter() - epoch_start)
        history["epoch_loss"].append(epoch_loss)
        history["lr"].append(lr)
        return True

    def _evaluate(self, epoch):
        """Test (and validation) metrics after an epoch; returns (is it early stopping's best, epochs since it)."""
        trainer, history = self.trainer, self.history
        trainer.comm.check_identical(trainer.model.flat)
        test = trainer.evaluate(trainer.splits.test)
        add_metrics(history, "test", trainer.task, test)
        self.record.update(test=test, epochs_completed=epoch + 1)
        self.display.end_epoch(epoch + 1, history["epoch_loss"][-1], history["epoch_seconds"][-1], test)
        if trainer.splits.valid is None:
            return False, 0
        add_metrics(history, "valid", trainer.task, trainer.evaluate(trainer.splits.valid))
        return improved(trainer.config, history)

    def _checkpoint(self, best_now):
        if self.trainer.comm.rank == 0 and self.launch.checkpoint_dir:
            resume.save(self.trainer.config, self.launch, self.trainer, self.history,
                        time.perf_counter() - self.started, best_now)


def _after_training(trainer, record, best, probe):
    """What a run that did not diverge adds at its end: the best epoch's figures (early stopping), the training
    part's, the task's own (a forecaster's forecasts), gradient probes, extra tests."""
    config, splits, lead = trainer.config, trainer.splits, trainer.comm.rank == 0
    if best is not None:  # early stopping: the best epoch's parameters are the result
        trainer.model.flat[...] = best
        record["best_epoch"] = best_epoch(record["history"]["valid_loss"], config.min_delta)[0] + 1
        record.update(test=trainer.evaluate(splits.test), valid=trainer.evaluate(splits.valid))
    if splits.valid is not None:  # the training part's figures, beside the held-out ones
        record["train"] = trainer.evaluate(splits.train)
    if lead:
        record.update(trainer.task.final(config, trainer.model, splits))
        if probe:
            record["state_gradients"] = _state_gradients(config, trainer, probe)
        if config.probe_every:
            record["position_errors"] = position_errors(trainer)
    extra = trainer.task.extra_tests(config)
    if extra:
        record["extra_tests"] = {label: trainer.evaluate(data, batch_size=500) for label, data in extra.items()}


def _gradient_probe(config, trainer, n=64):
    """(batch, starts) for gradient_distances: the first n test sequences, fixed-length, and t = T - distance;
    None without; a ValueError before training when the distances do not fit the sequences."""
    if not config.gradient_distances:
        return None
    data = trainer.splits.test
    batch = trainer.task.batch(config, data, np.arange(min(n, len(data))), trainer.model.dtype)
    T = int(batch.lengths.max())
    distances = positive_ints("gradient_distances", config.gradient_distances)
    if not trainer.every or not (batch.lengths == T).all() or max(distances) >= T:
        bad("gradient_distances", config.gradient_distances, "distances below the length of fixed-length test "
            f"sequences with a label at every step (here {T} steps)")
    return batch, [T - d for d in distances]


def _state_gradients(config, trainer, probe):
    """||dL_T/dh_t|| (root mean square over the probe's sequences) at each distance, per layer, for the initial
    parameters (rebuilt from the seed) and the trained ones."""
    batch, starts = probe
    T = int(batch.lengths.max())
    models = {"initial": build_model(config, trainer.spec), "trained": trainer.model}
    if config.gradient_float64:  # the same parameters, a backward pass without float32's underflow
        models = {k: in_float64(m, lambda dtype: build_model(dataclasses.replace(config, dtype=dtype), trainer.spec))
                  for k, m in models.items()}
    return {"distances": [T - t for t in starts], "length": T,
            **{k: state_gradient_norms(m, batch, starts).tolist() for k, m in models.items()}}
