"""What runs inside the study's ``mpiexec -n N`` jobs (``python -m lstm_xor.study.scaling KIND SPEC OUT``).

Each job times :meth:`lstm_xor.train.loop.Trainer.step`, the training step itself, on every rank of a
fresh MPI world, so each configuration starts from the same state and 1 engine pays no MPI cost; rank 0
writes the result as JSON to OUT.
"""

import json
import math
import time

import numpy as np

from lstm_xor.blas import set_blas_threads
from lstm_xor.comm import world_comm
from lstm_xor.config import RunConfig
from lstm_xor.records import atomic_write
from lstm_xor.study.reference import NaiveLSTM
from lstm_xor.study.scaling.config import WARMUP_STEPS
from lstm_xor.tasks.parity import make_parity
from lstm_xor.train.loop import Trainer


class TimedComm:
    """A communicator that adds up the seconds spent in ``allreduce_sum`` (waiting included)."""

    def __init__(self, comm):
        self.comm, self.rank, self.size = comm, comm.rank, comm.size
        self.seconds = 0.0

    def allreduce_sum(self, buf):
        start = time.perf_counter()
        self.comm.allreduce_sum(buf)
        self.seconds += time.perf_counter() - start
        return buf

    def check_identical(self, flat):
        return self.comm.check_identical(flat)

    def barrier(self):
        return self.comm.barrier()


def _per_rank(comm, value):
    """Every rank's ``value``, on every rank (an all-reduce of one slot each)."""
    slots = np.zeros(comm.size)
    slots[comm.rank] = value
    return comm.allreduce_sum(slots)


def _setup(config, threads):
    """This rank's Trainer for ``config``, over the MPI world of the job, with ``threads`` BLAS threads."""
    set_blas_threads(threads)
    return Trainer(config, world_comm())


def _pure_allreduce(comm, buf, repeats):
    """The slowest rank's median seconds of the all-reduce alone, right after a barrier (0 on one engine)."""
    if comm.size == 1:
        return 0.0
    buf[...] = 0.0
    times = []
    for _ in range(repeats):
        comm.barrier()
        start = time.perf_counter()
        comm.allreduce_sum(buf)
        times.append(time.perf_counter() - start)
    return float(_per_rank(comm, float(np.median(times))).max())


def job_steps(spec):
    """On every rank: time ``rounds`` blocks of ``iterations`` training steps after ``warmup``.

    The step time is rank 0's wall time between barriers; communication is the time in
    the all-reduce (which includes waiting for the slowest rank); the pure all-reduce is
    the same collective on the same buffer right after a barrier.
    """
    config = RunConfig.from_dict(spec["config"])
    trainer = _setup(config, spec["threads"])
    comm, timed = trainer.comm, TimedComm(trainer.comm)
    batches = trainer.task.batches(config, trainer.splits.train, 0)
    k = 0

    def steps(n, via):
        nonlocal k
        trainer.comm = via
        for _ in range(n):
            trainer.step(batches[k % len(batches)], config.lr)
            k += 1
        trainer.comm = comm

    steps(spec["warmup"], comm)
    rounds = []
    for _ in range(spec["rounds"]):
        timed.seconds = 0.0
        comm.barrier()
        start = time.perf_counter()
        steps(spec["iterations"], timed)
        comm.barrier()
        elapsed = time.perf_counter() - start
        comm_each = _per_rank(comm, timed.seconds / spec["iterations"])
        rounds.append({"step_seconds": float(_per_rank(comm, elapsed)[0]) / spec["iterations"],
                       "comm_seconds": float(comm_each.mean()), "comm_seconds_max": float(comm_each.max())})
    pure = _pure_allreduce(comm, trainer.grad_buf, spec["allreduce_repeats"])
    median = sorted(rounds, key=lambda r: r["step_seconds"])[len(rounds) // 2]
    result = dict(median, rounds=rounds, engines=comm.size, threads=spec["threads"], dtype=config.dtype,
                  hidden=config.hidden, batch_size=config.batch_size, n_params=trainer.model.n_params(),
                  allreduce_bytes=int(trainer.grad_buf.nbytes), pure_allreduce_seconds=pure)
    return result if comm.rank == 0 else None


class _Tally:
    """The accuracy job's running figures: training seconds, strings seen, step times, the test curve."""

    def __init__(self, eval_every):
        self.trained, self.seen, self.next_eval, self.step_times, self.curve = 0.0, 0, eval_every, [], []
        self.reached, self.first_epoch_seconds = False, None


def _epoch(trainer, config, batches, test_set, spec, tally):
    """One epoch of timed steps, the test set checked every ``eval_every`` strings; True when the job is done."""
    for index in batches:
        start = time.perf_counter()
        trainer.step(index, config.lr)
        tally.step_times.append(time.perf_counter() - start)
        tally.trained += tally.step_times[-1]
        tally.seen += len(index)
        if tally.seen >= tally.next_eval:
            tally.next_eval += spec["eval_every"]
            clock = float(_per_rank(trainer.comm, tally.trained)[0])  # rank 0's clock decides, for every rank
            test = trainer.evaluate(test_set)
            tally.curve.append({"strings": tally.seen, "seconds": clock, **{
                name: test[name] for name in ("last_bit_accuracy", "sequence_accuracy")}})
            tally.reached = bool(test[spec["metric"]] >= spec["target"])
            if tally.reached or clock > spec["max_seconds"]:
                return True
    return False


def job_accuracy(spec):
    """On every rank: train until the fixed test set reaches ``target`` (or a limit); training time only."""
    config = RunConfig.from_dict(spec["config"])
    trainer = _setup(config, spec["threads"])
    comm, train_set = trainer.comm, trainer.splits.train
    test_set = make_parity(spec["test_strings"], config.min_length, config.max_length, config.seed + 10_000)
    tally = _Tally(spec["eval_every"])
    for epoch in range(spec["max_epochs"]):
        epoch_start = tally.trained
        if _epoch(trainer, config, trainer.task.batches(config, train_set, epoch), test_set, spec, tally):
            break
        if tally.first_epoch_seconds is None:
            tally.first_epoch_seconds = float(_per_rank(comm, tally.trained - epoch_start)[0])
    steady = tally.step_times[WARMUP_STEPS:] or tally.step_times  # the first steps pay for fresh buffers
    step_seconds = float(_per_rank(comm, float(np.mean(steady)))[0])
    if comm.rank != 0:
        return None
    last = tally.curve[-1] if tally.curve else {"strings": tally.seen, "seconds": tally.trained}
    reached = tally.reached
    return {"train_strings": len(train_set), "engines": comm.size, "threads": spec["threads"],
            "reached": reached, "target": spec["target"], "metric": spec["metric"],
            "seconds_to_target": last["seconds"] if reached else None,
            "strings_to_target": last["strings"] if reached else None,
            "epochs_to_target": last["strings"] / len(train_set) if reached else None,
            "step_seconds": step_seconds,
            "epoch_seconds": step_seconds * math.ceil(len(train_set) / config.batch_size),
            "first_epoch_seconds": tally.first_epoch_seconds, "test_strings": len(test_set), "curve": tally.curve}


def job_naive(spec):
    """In one process: time NaiveLSTM training batch by batch, from the study's initial weights."""
    set_blas_threads(1)
    cfg = RunConfig.from_dict(spec["config"])
    trainer = Trainer(cfg)
    train_set = trainer.splits.train
    naive = NaiveLSTM.from_model(trainer.model, lr=cfg.lr, clip_norm=cfg.clip_norm)
    order = np.concatenate(trainer.task.batches(cfg, train_set, 0))[:spec["strings"]]
    per_batch, total = [], 0.0
    for i in range(0, len(order), cfg.batch_size):
        index = order[i:i + cfg.batch_size]
        start = time.perf_counter()
        naive.train_batch([train_set.bits[j, :train_set.lengths[j]] for j in index])
        total += time.perf_counter() - start
        per_batch.append(len(index) / (time.perf_counter() - start))
    return {"version": "naive sequential", "strings": int(len(order)), "batch_strings_per_second": per_batch,
            "seconds": total, "strings_per_second": len(order) / total, "dtype": "float64", "engines": 1, "threads": 1,
            "hidden": cfg.hidden, "mean_length": float(train_set.lengths[order].mean())}


JOBS = {"steps": job_steps, "accuracy": job_accuracy, "naive": job_naive}


def main(argv):
    """``KIND SPEC OUT``: run the job; rank 0 writes its result to OUT."""
    kind, spec, out = argv
    result = JOBS[kind](json.loads(spec))
    if result is not None:
        atomic_write(out, lambda f: f.write(json.dumps(result).encode()))
    return 0
