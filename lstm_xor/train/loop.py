"""The training loop: epochs, steps, evaluation by additive tallies, history,
checkpoints, divergence. It knows no task (``lstm_xor.tasks``) and no MPI
(a communicator from ``lstm_xor.comm`` is passed in).

Synchronous data parallelism: every rank builds the same global batch, takes
its contiguous shard of rows, computes that shard's gradient of the *global*
loss, one all-reduce sums them, and every rank applies the same optimiser step.
Dropout masks are drawn for the global batch from a stream that does not
depend on the rank. So the numbers do not depend on how many engines computed
them (up to the order of floating-point sums).
"""

import math
import os
import platform
import sys
import time

import numpy as np

from lstm_xor import NUMERICS_VERSION, __version__
from lstm_xor.bptt import carry_scale, cuts, run_chunks, state_gradient_norms
from lstm_xor.comm import SerialComm
from lstm_xor.config import RunConfig, stop_rule
from lstm_xor.nn.model import Model
from lstm_xor.optim import clip_global_norm, lr_at, make_optimizer, parse_schedule
from lstm_xor.records import load_checkpoint, save_checkpoint, write_record
from lstm_xor.tasks import get_task
from lstm_xor.tasks.base import Step, positive_ints

# Parameters that may change between a checkpoint and its resumption. The learning
# rate may too, as long as it agrees on every epoch already done: that is how runs
# of the report that share their first epochs share one computation of them.
RESUMABLE = {"epochs", "engines", "threads", "metrics_path", "checkpoint_dir", "resume", "stop_patience",
             "keep_epochs", "eval_lengths", "lr", "lr_schedule"}
EVAL_BATCH = 1000


def build_model(config, spec=None):
    """The model a configuration trains (``spec``: its task's ModelSpec, asked for when not given)."""
    spec = spec or get_task(config.task).model_spec(config)
    return Model(config.cell, spec.size, config.hidden, spec.outputs, config.layers, config.dropout, spec.head,
                 config.init, config.forget_bias, np.dtype(config.dtype), config.seed,
                 embed=spec.embed if spec.input == "tokens" else 0, slots=spec.slots, output=spec.output)


def environment(config, comm):
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), cpu)
    except OSError:
        pass
    return {"lstm_xor": __version__, "numerics": NUMERICS_VERSION, "numpy": np.__version__,
            "python": sys.version.split()[0], "engines": comm.size, "threads": config.threads, "cpu": cpu,
            "cores": os.cpu_count()}


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
                                        config.adam_variant)
        self.grad_buf = np.empty(self.model.n_params() + 1, dtype=self.model.dtype)  # gradient, then the loss

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
            loss = None if mine is None else model.loss(mine.x, mine.lengths, mine.y, mine.mask,
                                                        config.loss_reduction, count, train=True, keep=keep)[0]
            return self._update(loss, lr)
        # the global batch's steps, cut alike on every rank: every rank takes the same optimiser steps
        chunks = cuts(T, config.bptt, config.bptt_k, config.bptt_p,
                      np.random.default_rng([config.seed, 5, epoch, iteration]))
        per_step = batch.labelled().sum(axis=0)  # the global batch's loss positions at each step
        counts = [int(per_step[a:b].sum()) for a, b in chunks]
        carry = carry_scale(config.bptt, config.bptt_p)
        total, worst = 0.0, 0.0
        for chunk_loss, n in zip(run_chunks(model, mine, chunks, counts, config.loss_reduction, carry, keep), counts,
                                 strict=True):
            loss, norm = self._update(chunk_loss, lr)
            if not (math.isfinite(loss) and math.isfinite(norm)):
                return loss, norm  # diverged: this chunk's step was not taken
            total += loss * n / count if config.loss_reduction == "mean" else loss
            worst = max(worst, norm)
        return total, worst

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
        norm = clip_global_norm(grad, self.config.clip_norm)
        loss = float(buf[P])
        if math.isfinite(norm) and math.isfinite(loss):
            self.optimizer.step(model.flat, grad, lr)
        return loss, norm

    def evaluate(self, data, batch_size=EVAL_BATCH):
        """The task's metrics and the loss over ``data``.

        Sequences are sorted by length so each batch is nearly rectangular; each
        rank takes a share, and one all-reduce sums the tallies.
        """
        model, task = self.model, self.task
        order = np.argsort(data.lengths, kind="stable")
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


BEST = "best.npz"  # the checkpoint of the epoch with the best validation loss, beside checkpoint.npz


def _new_history(task, valid):
    history = {"iteration_loss": [], "epoch_loss": [], "epoch_seconds": [], "lr": []}
    for split in ("test", "valid") if valid else ("test",):
        history.update({f"{split}_{m}": [] for m in (*task.history_metrics, "loss")})
    return history


def best_epoch(losses, min_delta):
    """(index of the best epoch, epochs since it) of a validation-loss history: an epoch is
    better when its loss is lower than the best so far by more than ``min_delta`` (Keras' rule)."""
    best = 0
    for i in range(1, len(losses)):
        if losses[i] < losses[best] - min_delta:
            best = i
    return best, len(losses) - 1 - best


def _rising(epoch_losses, patience):
    if patience <= 0 or len(epoch_losses) <= patience:
        return False
    tail = epoch_losses[-patience - 1:]
    return all(b > a for a, b in zip(tail, tail[1:], strict=False))


def train(config, comm=None, progress=True, on_epoch=None):
    """Run one configuration to its end and return the run record.

    Rank 0 writes the record to ``config.metrics_path`` (also when the run
    diverges or stops early) and, with ``checkpoint_dir``, a checkpoint after
    every epoch. ``on_epoch(record)`` is called on rank 0 after each epoch.
    """
    if isinstance(config, dict):
        config = RunConfig.from_dict(config)
    config.validate()
    start_time = time.perf_counter()
    trainer = Trainer(config, comm)
    comm, model, task = trainer.comm, trainer.model, trainer.task
    valid = trainer.splits.valid
    if config.bptt != "full" and not trainer.every:
        raise ValueError(f"bad parameter bptt={config.bptt!r}: task {task.name} reads one output per sequence "
                         f"(head '{trainer.spec.head}'), and truncation needs a label at every step; expected full")
    longest = task.longest(config, trainer.splits.train) if config.bptt == "regular" else 0
    if config.bptt_k > longest:
        raise ValueError(f"bad parameter bptt_k={config.bptt_k!r}: expected at most the longest training sequence "
                         f"({longest} steps)")
    probe = _gradient_probe(config, trainer)
    if config.patience and valid is None:
        raise ValueError(f"bad parameter patience={config.patience!r}: task {task.name} keeps no validation set to "
                         "watch; expected 0")
    lead = comm.rank == 0
    schedule = parse_schedule(config.lr_schedule) if config.lr_schedule else [(0, config.lr)]
    history, first_epoch, wall_before = _new_history(task, valid is not None), 0, 0.0
    best = None  # the best epoch's parameters, with early stopping
    if config.resume:
        if not config.checkpoint_dir:
            raise ValueError("bad parameter resume=True: expected a checkpoint_dir to resume from")
        history, first_epoch, wall_before = _restore(config, model, trainer.optimizer, schedule)
        if config.patience and first_epoch:
            best = load_checkpoint(config.checkpoint_dir, BEST)[0]
    record = {"status": "running", "config": config.to_dict(), "epochs_completed": first_epoch,
              "test": None, "history": history, "environment": environment(config, comm)}
    keep_epochs = set(positive_ints("keep_epochs", config.keep_epochs))
    stop = stop_rule(config.stop_when) if config.stop_when else None
    status = "completed"
    for epoch in range(first_epoch, config.epochs):
        batches = task.batches(config, trainer.splits.train, epoch)
        lr = lr_at(schedule, epoch)
        trainer.optimizer.new_epoch()
        bar = _progress(len(batches), f"epoch {epoch + 1}/{config.epochs}", progress and lead)
        epoch_start, epoch_loss = time.perf_counter(), 0.0
        data_rng = np.random.default_rng([config.seed, 3, epoch])
        for iteration, index in enumerate(batches):
            loss, norm = trainer.step(index, lr, Step(epoch, iteration, len(batches), data_rng))
            history["iteration_loss"].append(loss)
            epoch_loss += loss
            bar.update(1)
            if not (math.isfinite(loss) and math.isfinite(norm)):
                status = "diverged"
                record["diverged_epoch"] = epoch
                record["diverged_iteration"] = iteration
                break
            if iteration % 100 == 0:
                bar.set_postfix(loss=f"{loss:.4g}")
        bar.close()
        if status == "diverged":
            break
        history["epoch_seconds"].append(time.perf_counter() - epoch_start)
        history["epoch_loss"].append(epoch_loss)
        history["lr"].append(lr)
        comm.check_identical(model.flat)
        test = trainer.evaluate(trainer.splits.test)
        for key in (*task.history_metrics, "loss"):
            history[f"test_{key}"].append(test[key])
        record.update(test=test, epochs_completed=epoch + 1)
        keep = [f"checkpoint-{epoch + 1}.npz"] if epoch + 1 in keep_epochs else []
        since = 0
        if valid is not None:
            checked = trainer.evaluate(valid)
            for key in (*task.history_metrics, "loss"):
                history[f"valid_{key}"].append(checked[key])
            if config.patience:
                _, since = best_epoch(history["valid_loss"], config.min_delta)
                if since == 0:
                    best = model.flat.copy()
                    keep.append(BEST)
        if lead and config.checkpoint_dir:
            wall = wall_before + time.perf_counter() - start_time
            save_checkpoint(config.checkpoint_dir, model.flat, trainer.optimizer.state(),
                            {"config": config.to_dict(), "epoch": epoch + 1, "history": history, "wall": wall},
                            keep_as=keep)
        if lead and on_epoch:
            on_epoch(record)
        if stop and test[stop[0]] >= stop[1]:
            status = "solved"
            record["solved_epoch"] = epoch + 1
            break
        if _rising(history["epoch_loss"], config.stop_patience) or (config.patience and since >= config.patience):
            status = "stopped"
            record["stopped_epoch"] = epoch
            break
    if best is not None and status != "diverged":  # early stopping: the best epoch's parameters are the result
        model.flat[...] = best
        record["best_epoch"] = best_epoch(history["valid_loss"], config.min_delta)[0] + 1
        record.update(test=trainer.evaluate(trainer.splits.test), valid=trainer.evaluate(valid))
    if status != "diverged" and valid is not None:  # the training part's figures, beside the held-out ones
        record["train"] = trainer.evaluate(trainer.splits.train)
    if status != "diverged" and lead:
        record.update(task.final(config, model, trainer.splits))
        if probe:
            record["state_gradients"] = _state_gradients(config, trainer, probe)
    if status != "diverged":
        extra = task.extra_tests(config)
        if extra:
            record["extra_tests"] = {label: trainer.evaluate(data, batch_size=500) for label, data in extra.items()}
    finite = [v for v in history["iteration_loss"] if math.isfinite(v)]
    record.update(status=status, min_iteration_loss=min(finite) if finite else None,
                  wall_seconds=wall_before + time.perf_counter() - start_time)
    if lead:
        write_record(config.metrics_path, record)
    record["model"] = model
    return record


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
        raise ValueError(f"bad parameter gradient_distances={config.gradient_distances!r}: expected distances below "
                         f"the length of fixed-length test sequences with a label at every step (here {T} steps)")
    return batch, [T - d for d in distances]


def _state_gradients(config, trainer, probe):
    """||dL_T/dh_t|| (root mean square over the probe's sequences) at each distance, per layer, for the initial
    parameters (rebuilt from the seed) and the trained ones."""
    batch, starts = probe
    T = int(batch.lengths.max())
    return {"distances": [T - t for t in starts], "length": T,
            "initial": state_gradient_norms(build_model(config, trainer.spec), batch, starts).tolist(),
            "trained": state_gradient_norms(trainer.model, batch, starts).tolist()}


def saved_config(meta):
    """A checkpoint's configuration, every field: one it predates ran as that field's default (a parameter
    is added with a default that keeps the numbers as they were)."""
    return {**RunConfig().to_dict(), **meta.get("config", {})}


def _restore(config, model, optimizer, schedule):
    params, state, meta = load_checkpoint(config.checkpoint_dir)
    saved = saved_config(meta)
    mismatched = sorted(k for k, v in config.to_dict().items() if k not in RESUMABLE and saved[k] != v)
    if mismatched:
        raise ValueError(f"checkpoint in {config.checkpoint_dir} was made with other parameters: "
                         + ", ".join(f"{k}={saved.get(k)!r} (now {getattr(config, k)!r})" for k in mismatched))
    if params.shape != model.flat.shape:
        raise ValueError(f"checkpoint in {config.checkpoint_dir} holds {params.size} parameters, "
                         f"the model has {model.flat.size}")
    if not np.all(np.isfinite(params)):
        raise ValueError(f"checkpoint in {config.checkpoint_dir} holds non-finite parameters")
    done = meta["history"]["lr"]
    if any(lr_at(schedule, e) != lr for e, lr in enumerate(done)):
        raise ValueError(f"checkpoint in {config.checkpoint_dir} was trained with learning rates {done} per epoch, "
                         f"which this run's lr/lr_schedule does not reproduce")
    model.flat[...] = params
    optimizer.load_state(state)
    history = meta["history"]
    history["iteration_loss"] = [math.nan if v is None else v for v in history["iteration_loss"]]
    return history, int(meta["epoch"]), float(meta.get("wall", 0.0))


class _NoBar:
    def update(self, n):
        pass

    def set_postfix(self, **kw):
        pass

    def close(self):
        pass


def _progress(total, desc, show):
    if not show:
        return _NoBar()
    from tqdm.auto import tqdm
    return tqdm(total=total, desc=desc, leave=False, mininterval=1.0)
