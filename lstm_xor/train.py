"""The training loop: epochs, history, evaluation, checkpoints, divergence.

Synchronous data parallelism: the global batch is split into ``comm.size``
contiguous shards, each rank computes its shard's gradient of the *global*
loss, one all-reduce sums them, and every rank applies the same optimiser step.
So the numbers do not depend on how many engines computed them (up to the
order of floating-point sums).
"""

import math
import os
import platform
import sys
import time

import numpy as np

from lstm_xor import __version__
from lstm_xor.config import RunConfig
from lstm_xor.data.parity import batch_arrays, epoch_batches, make_parity, split
from lstm_xor.distributed import SerialComm
from lstm_xor.nn.losses import softmax_cross_entropy
from lstm_xor.nn.model import Model
from lstm_xor.optim import clip_global_norm, lr_at, make_optimizer, parse_schedule
from lstm_xor.records import load_checkpoint, save_checkpoint, write_record

# Parameters that may change between a checkpoint and its resumption. The learning
# rate may too, as long as it agrees on every epoch already done: that is how runs
# of the report that share their first epochs share one computation of them.
RESUMABLE = {"epochs", "engines", "threads", "metrics_path", "checkpoint_dir", "resume", "stop_patience",
             "keep_epochs", "eval_lengths", "lr", "lr_schedule"}
EVAL_BATCH = 1000


def build_model(config):
    head = "every" if config.labels == "prefix" else "last"
    return Model(config.cell, 2, config.hidden, 2, config.layers, config.dropout, head,
                 config.init, config.forget_bias, np.dtype(config.dtype), config.seed)


def parity_data(config):
    data = make_parity(config.n_samples, config.min_length, config.max_length, config.seed)
    return split(data, config.test_fraction)


def evaluate(model, data, labels, reduction, comm=None, batch_size=EVAL_BATCH):
    """Test metrics: last bit right, whole string right (counts and fractions), loss.

    Strings are sorted by length so each batch is nearly rectangular; with a
    communicator, each rank takes a share and the counts are summed.
    """
    comm = comm or SerialComm()
    order = np.argsort(data.lengths, kind="stable")
    mine = np.array_split(order, comm.size)[comm.rank]
    totals = np.zeros(4)  # correct last bit, correct sequences, summed loss, labelled positions
    for i in range(0, len(mine), batch_size):
        index = mine[i:i + batch_size]
        x, lengths, y = batch_arrays(data, index, labels, model.dtype)
        logits, _ = model.forward(x, lengths)
        pred = logits.argmax(axis=-1)
        if labels == "prefix":
            valid = np.arange(y.shape[1])[None, :] < lengths[:, None]
            last = np.arange(len(lengths)), lengths - 1
            totals[0] += (pred[last] == y[last]).sum()
            totals[1] += ((pred == y) | ~valid).all(axis=1).sum()
            loss, _ = softmax_cross_entropy(logits.transpose(2, 1, 0), y.T, valid.T, "sum")
            totals[3] += valid.sum()
        else:
            right = pred == y
            totals[0] += right.sum()
            totals[1] += right.sum()
            loss, _ = softmax_cross_entropy(logits.T, y, np.ones(len(y), bool), "sum")
            totals[3] += len(y)
        totals[2] += loss
    totals = comm.allreduce_sum(totals)
    n = len(data)
    return {"last_bit_accuracy": totals[0] / n, "sequence_accuracy": totals[1] / n,
            "loss": totals[2] / (totals[3] if reduction == "mean" else 1.0),
            "correct_last_bit": int(totals[0]), "correct_sequences": int(totals[1]), "n": n}


def environment(config, comm):
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), cpu)
    except OSError:
        pass
    return {"lstm_xor": __version__, "numpy": np.__version__, "python": sys.version.split()[0],
            "engines": comm.size, "threads": config.threads, "cpu": cpu, "cores": os.cpu_count()}


def _new_history():
    return {"iteration_loss": [], "epoch_loss": [], "epoch_seconds": [], "lr": [],
            "test_last_bit_accuracy": [], "test_sequence_accuracy": [], "test_loss": []}


def _cuts(config, rng, epoch, iteration, n_iter, n):
    """Curriculum: cut each string to a random length up to a limit that grows to max_length."""
    if config.curriculum_epochs <= 0:
        return None
    progress = (epoch + iteration / n_iter) / config.curriculum_epochs
    if progress >= 1:
        return None
    limit = max(1, math.ceil(progress * config.max_length))
    return rng.integers(1, limit + 1, size=n)


def train(config, comm=None, progress=True, on_epoch=None):
    """Run one configuration to its end and return the run record.

    Rank 0 writes the record to ``config.metrics_path`` (also when the run
    diverges or stops early) and, with ``checkpoint_dir``, a checkpoint after
    every epoch. ``on_epoch(record)`` is called on rank 0 after each epoch.
    """
    if isinstance(config, dict):
        config = RunConfig.from_dict(config)
    config.validate()
    comm = comm or SerialComm()
    lead = comm.rank == 0
    start_time = time.perf_counter()
    train_set, test_set = parity_data(config)
    model = build_model(config)
    optimizer = make_optimizer(config.optimizer, model.n_params(), model.dtype, config.momentum)
    schedule = parse_schedule(config.lr_schedule) if config.lr_schedule else [(0, config.lr)]
    history, first_epoch, wall_before = _new_history(), 0, 0.0
    if config.resume:
        if not config.checkpoint_dir:
            raise ValueError("bad parameter resume=True: expected a checkpoint_dir to resume from")
        history, first_epoch, wall_before = _restore(config, model, optimizer, schedule)
    record = {"status": "running", "config": config.to_dict(), "epochs_completed": first_epoch,
              "test": None, "history": history, "environment": environment(config, comm)}
    grad_buf = np.empty(model.n_params() + 1, dtype=np.float64 if config.dtype == "float64" else np.float32)
    status = "completed"
    for epoch in range(first_epoch, config.epochs):
        batches = epoch_batches(train_set, config.batch_size, config.batching, config.seed, epoch)
        lr = lr_at(schedule, epoch)
        bar = _progress(len(batches), f"epoch {epoch + 1}/{config.epochs}", progress and lead)
        epoch_start, epoch_loss = time.perf_counter(), 0.0
        cut_rng = np.random.default_rng([config.seed, 3, epoch])
        for iteration, index in enumerate(batches):
            loss = _step(config, model, optimizer, comm, train_set, index, lr, grad_buf,
                         _cuts(config, cut_rng, epoch, iteration, len(batches), len(index)),
                         np.random.default_rng([config.seed, 4, epoch, iteration, comm.rank]))
            history["iteration_loss"].append(loss)
            epoch_loss += loss
            bar.update(1)
            if not math.isfinite(loss):
                status = "diverged"
                record["diverged_epoch"] = epoch
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
        test = evaluate(model, test_set, config.labels, config.loss_reduction, comm)
        for key in ("last_bit_accuracy", "sequence_accuracy", "loss"):
            history[f"test_{key}"].append(test[key])
        record.update(test=test, epochs_completed=epoch + 1)
        if lead and config.checkpoint_dir:
            wall = wall_before + time.perf_counter() - start_time
            keep = str(epoch + 1) in config.keep_epochs.split(",")
            save_checkpoint(config.checkpoint_dir, model.flat, optimizer.state(),
                            {"config": config.to_dict(), "epoch": epoch + 1, "history": history, "wall": wall},
                            keep_as=f"checkpoint-{epoch + 1}.npz" if keep else None)
        if lead and on_epoch:
            on_epoch(record)
        if _rising(history["epoch_loss"], config.stop_patience):
            status = "stopped"
            record["stopped_epoch"] = epoch
            break
    if config.eval_lengths and status != "diverged":
        record["long_strings"] = evaluate_lengths(model, config, comm)
    finite = [v for v in history["iteration_loss"] if math.isfinite(v)]
    record.update(status=status, min_iteration_loss=min(finite) if finite else None,
                  wall_seconds=wall_before + time.perf_counter() - start_time)
    if lead:
        write_record(config.metrics_path, record)
    record["model"] = model
    return record


def _step(config, model, optimizer, comm, data, index, lr, grad_buf, cuts, rng):
    """One synchronous optimiser step over the global batch ``index``; returns its loss."""
    shard = np.array_split(np.arange(len(index)), comm.size)[comm.rank]
    lengths = data.lengths[index] if cuts is None else np.minimum(data.lengths[index], cuts)
    count = int(lengths.sum()) if config.labels == "prefix" else len(index)
    P = model.n_params()
    if len(shard):
        x, shard_lengths, y = batch_arrays(data, index[shard], config.labels, model.dtype,
                                           None if cuts is None else cuts[shard])
        loss, _ = model.loss(x, shard_lengths, y, config.loss_reduction, count, train=True, rng=rng)
        grad_buf[:P] = model.grad_flat
        grad_buf[P] = loss
    else:
        grad_buf[...] = 0.0
    comm.allreduce_sum(grad_buf)  # one collective: the gradient and the loss together
    grad = grad_buf[:P]
    if config.clip_norm:
        clip_global_norm(grad, config.clip_norm)
    optimizer.step(model.flat, grad, lr)
    return float(grad_buf[P])


def _rising(epoch_losses, patience):
    if patience <= 0 or len(epoch_losses) <= patience:
        return False
    tail = epoch_losses[-patience - 1:]
    return all(b > a for a, b in zip(tail, tail[1:], strict=False))


def _restore(config, model, optimizer, schedule):
    params, state, meta = load_checkpoint(config.checkpoint_dir)
    saved = meta.get("config", {})
    mismatched = sorted(k for k, v in config.to_dict().items() if k not in RESUMABLE and saved.get(k) != v)
    if mismatched:
        raise ValueError(f"checkpoint in {config.checkpoint_dir} was made with other parameters: "
                         + ", ".join(f"{k}={saved.get(k)!r} (now {getattr(config, k)!r})" for k in mismatched))
    if params.shape != model.flat.shape:
        raise ValueError(f"checkpoint in {config.checkpoint_dir} holds {params.size} parameters, "
                         f"the model has {model.flat.size}")
    done = meta["history"]["lr"]
    if any(lr_at(schedule, e) != lr for e, lr in enumerate(done)):
        raise ValueError(f"checkpoint in {config.checkpoint_dir} was trained with learning rates {done} per epoch, "
                         f"which this run's lr/lr_schedule does not reproduce")
    model.flat[...] = params
    optimizer.load_state(state)
    return meta["history"], int(meta["epoch"]), float(meta.get("wall", 0.0))


def evaluate_lengths(model, config, comm=None, n=2000):
    """Accuracy on fresh strings of each length in config.eval_lengths (never trained on)."""
    results = {}
    for length in (int(s) for s in config.eval_lengths.split(",")):
        data = make_parity(n, length, length, config.seed + 1000 + length)
        results[str(length)] = evaluate(model, data, config.labels, config.loss_reduction, comm, batch_size=500)
    return results


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
