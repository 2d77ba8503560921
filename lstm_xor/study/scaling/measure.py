"""The measurements: each configuration a fresh mpiexec job (jobs.py), repeated while other work disturbed it.

Every public function can record its numbers in a JSON file (``json_path``), one section per function,
for the book and the README.
"""

import json
import math
import os
import tempfile
from dataclasses import replace

from lstm_xor.launch import MpiJobError, cores, run_module
from lstm_xor.study import EPOCH_STRINGS
from lstm_xor.study.scaling.config import GLOBAL_BATCH, int_list, record_section, study_config
from lstm_xor.study.scaling.load import OthersCpu, wait_for_quiet

JOB_MODULE = "lstm_xor.study.scaling"  # its __main__ runs one rank of a job


def run_job(kind, spec, engines, threads, timeout):
    """``mpiexec -n engines python -m lstm_xor.study.scaling kind SPEC OUT`` (the launcher's); rank 0's result.

    Adds ``others_cpu``: the share of the machine's CPU time that processes other than
    this job used while it ran (the machine is shared; near 0 means a clean measurement).
    """
    with tempfile.TemporaryDirectory(prefix="lstm_xor-scaling-") as tmp:
        out = os.path.join(tmp, "result.json")
        with OthersCpu() as others:
            try:
                run_module(engines, JOB_MODULE, [kind, json.dumps(spec), out], threads, timeout, LSTM_XOR_WARNED=1)
            except MpiJobError as e:
                raise MpiJobError(f"the scaling job {kind} on {engines} engine(s): {e}") from e
        with open(out) as f:
            result = json.load(f)
    result["others_cpu"] = others.share
    return result


def measured(kind, spec, engines, threads, timeout, quiet_wait=0.0, quiet_limit=0.1, retries=0):
    """A job, repeated (up to ``retries`` more times) while other work disturbed it; the least disturbed wins."""
    best = None
    for attempt in range(retries + 1):
        busy_before = wait_for_quiet(quiet_wait, quiet_limit)
        r = run_job(kind, spec, engines, threads, timeout)
        r.update(busy_before=busy_before, attempt=attempt + 1)
        if best is None or r["others_cpu"] < best["others_cpu"]:
            best = r
        if r["others_cpu"] < quiet_limit:
            break
    best["attempts"] = attempt + 1  # measurements made; "attempt" is the one kept
    return best


def measure_steps(engines=1, threads=1, warmup=10, iterations=60, rounds=3, allreduce_repeats=30,
                  timeout=600, quiet_wait=0.0, quiet_limit=0.1, retries=0, **config):
    """Seconds per step (median of ``rounds``), its compute and communication parts, strings per second.

    ``config`` overrides :func:`study_config` (hidden, batch_size, dtype...). The epoch
    time is extrapolated to 80,000 strings at this global batch. On a shared machine,
    ``quiet_wait`` seconds may be spent waiting for other work to drop below
    ``quiet_limit`` of the CPU first, and a disturbed measurement is repeated ``retries`` times.
    """
    cfg = study_config(**config)
    spec = {"config": cfg.to_dict(), "threads": threads, "warmup": warmup, "iterations": iterations,
            "rounds": rounds, "allreduce_repeats": allreduce_repeats}
    r = measured("steps", spec, engines, threads, timeout, quiet_wait, quiet_limit, retries)
    r["compute_seconds"] = r["step_seconds"] - r["comm_seconds"]
    r["comm_share"] = r["comm_seconds"] / r["step_seconds"]
    r["pure_comm_share"] = r["pure_allreduce_seconds"] / r["step_seconds"]
    r["strings_per_second"] = cfg.batch_size / r["step_seconds"]
    r["epoch_seconds"] = r["step_seconds"] * math.ceil(EPOCH_STRINGS / cfg.batch_size)
    return r


def strong_scaling(engine_counts=None, threads=1, repeats=1, json_path=None, **kwargs):
    """Fixed global batch and data, 1..cores engines (or ``engine_counts``): speed-up and efficiency.

    The engine counts are measured in turn, ``repeats`` times over (so a slow drift of the
    machine touches all of them alike); per count the measurement with the median step
    time is kept. Speed-up and efficiency are against the first entry (1 engine unless told).
    """
    counts = int_list(engine_counts) or list(range(1, cores() + 1))
    runs = {n: [] for n in counts}
    for _ in range(max(1, repeats)):
        for n in counts:
            runs[n].append(measure_steps(engines=n, threads=threads, **kwargs))
    rows = []
    for n in counts:
        ordered = sorted(runs[n], key=lambda r: r["step_seconds"])
        rows.append(dict(ordered[len(ordered) // 2], repeat_step_seconds=[r["step_seconds"] for r in runs[n]]))
    base = rows[0]
    for r in rows:
        r["speedup"] = base["step_seconds"] / r["step_seconds"]
        r["efficiency"] = r["speedup"] * base["engines"] / r["engines"]
    return record_section(json_path, "strong", rows)


def threads_vs_engines(threads=None, json_path=None, strong=None, **kwargs):
    """1 engine with ``threads`` BLAS threads against ``threads`` engines with one thread each.

    ``strong`` (rows of :func:`strong_scaling`) supplies the engines' measurement when it has one.
    """
    t = threads or cores()
    threaded = measure_steps(engines=1, threads=t, **kwargs)
    engines = next((r for r in strong or [] if r["engines"] == t and r["threads"] == 1), None)
    if engines is None:
        engines = measure_steps(engines=t, threads=1, **kwargs)
    single = next((r for r in strong or [] if r["engines"] == 1 and r["threads"] == 1), None)
    rows = [r for r in (single, threaded, engines) if r is not None]
    return record_section(json_path, "threads", rows)


def _training_samples(cfg, size):
    """n_samples whose training part (after the test fraction is held out) has at least ``size`` strings."""
    n_samples = math.ceil(size / (1 - cfg.test_fraction))
    while n_samples - math.ceil(n_samples * cfg.test_fraction) < size:
        n_samples += 1
    return n_samples


def dataset_scaling(sizes=(10_000, 20_000, 40_000, 80_000, 160_000), engines=2, threads=1, target=0.999,
                    metric="last_bit_accuracy", eval_every=3200, test_strings=10_000, max_seconds=120.0,
                    max_epochs=50, json_path=None, timeout=900, quiet_wait=0.0, quiet_limit=0.1, retries=0,
                    **config):
    """Seconds per epoch and seconds of training to reach ``target`` test accuracy, per training-set size.

    ``sizes`` are training strings (n_samples = size / (1 - test_fraction)). Accuracy is
    checked every ``eval_every`` strings on one fixed set of ``test_strings`` fresh strings,
    so every size is judged by the same yardstick; evaluation time is not counted.
    A size that does not reach the target within ``max_seconds`` or ``max_epochs`` says so.
    """
    rows = []
    for size in int_list(sizes):
        cfg = study_config(**config)
        cfg = replace(cfg, n_samples=_training_samples(cfg, size))
        spec = {"config": cfg.to_dict(), "threads": threads, "target": target, "metric": metric,
                "eval_every": eval_every, "test_strings": test_strings, "max_seconds": max_seconds,
                "max_epochs": max_epochs}
        rows.append(measured("accuracy", spec, engines, threads, timeout, quiet_wait, quiet_limit, retries))
    return record_section(json_path, "dataset", rows)


def naive_throughput(strings=800, batch_size=GLOBAL_BATCH, hidden=100, seed=0, json_path=None, quiet_wait=0.0,
                     quiet_limit=0.1, retries=0, timeout=600):
    """Strings per second of the plain reference LSTM's training (a fresh process, one thread, float64).

    Starts from the study's initial weights on the study's first training batches (their
    strings' lengths set the pace, so the figure is all strings over all seconds).
    """
    cfg = study_config(hidden=hidden, batch_size=batch_size, seed=seed, dtype="float64")
    spec = {"config": cfg.to_dict(), "strings": strings}
    result = measured("naive", spec, 1, 1, timeout, quiet_wait, quiet_limit, retries)
    return record_section(json_path, "naive", result)


def honest_comparison(naive, single, mpi, extra=(), json_path=None):
    """Rows of strings per second: the naive sequential version, the tuned single process, tuned MPI."""
    rows = [dict(name="naive sequential (per string, per step, float64)", **_speed(naive)),
            dict(name=f"tuned, 1 process ({single['dtype']})", **_speed(single)),
            *[dict(name=label, **_speed(r)) for label, r in extra],
            dict(name=f"tuned MPI, {mpi['engines']} engines ({mpi['dtype']})", **_speed(mpi))]
    for r in rows:
        r["times_naive"] = r["strings_per_second"] / rows[0]["strings_per_second"]
    return record_section(json_path, "honest", rows)


def _speed(r):
    return {"strings_per_second": r["strings_per_second"], "engines": r["engines"], "threads": r["threads"],
            "dtype": r["dtype"], "others_cpu": r.get("others_cpu")}
