"""The scaling study: what MPI data parallelism buys on this machine, measured, not assumed.

- strong scaling: a fixed global batch (160) and data, 1..N engines; seconds per
  optimiser step split into compute and communication (the all-reduce is timed on
  its own), extrapolated to an epoch of 80,000 strings; speed-up and efficiency;
- threads against engines: 1 engine with T BLAS threads against T engines with one each;
- data-set size: seconds per epoch and seconds of training to reach a test accuracy
  (99.9% of last bits right) for training sets of 10k to 160k strings;
- the honest comparison: a deliberately naive sequential LSTM (:class:`NaiveLSTM`:
  one string and one step at a time, a matrix per gate, float64, forward, backward and
  Adam), the tuned single process and the tuned MPI version, in strings per second.

Every measurement of the tuned code runs :meth:`lstm_xor.train.loop.Trainer.step` (the training
step itself) in a fresh ``mpiexec -n N`` job of this module (``python -m
lstm_xor.study.scaling KIND SPEC OUT``), so each configuration starts from the same state
and 1 engine pays no MPI cost. Each public function can also record its numbers in a
JSON file (``json_path``), one section per function, for the book and the README.
"""

import json
import math
import os
import subprocess
import sys
import time
from dataclasses import replace

import numpy as np

from lstm_xor.config import RunConfig
from lstm_xor.records import atomic_write

EPOCH_STRINGS = 80_000  # one epoch of the report: 100,000 strings, 20% held out
GLOBAL_BATCH = 160  # the report's 5 engines x 32
WARMUP_STEPS = 5  # steps left out of a run's seconds-per-step (fresh buffers, cold caches)


def study_config(**overrides):
    """The study's run: the report's task (lengths 1..50, prefix labels), hidden 100, global batch 160."""
    values = dict(n_samples=100_000, hidden=100, batch_size=GLOBAL_BATCH, dtype="float32", lr=0.01)
    values.update(overrides)
    return RunConfig(**values)


def int_list(value):
    """A list of ints from a list or from text such as '1,2,4' or '[1, 2, 4]' (papermill's -p gives text)."""
    if isinstance(value, str):
        value = [v for v in value.strip().strip("[]").replace(",", " ").split() if v]
    return [int(float(v)) for v in value]


# -- JSON ----------------------------------------------------------------------

def record_section(json_path, section, value):
    """Put ``value`` under ``section`` in the JSON at ``json_path`` (other sections kept); atomic."""
    if not json_path:
        return value
    data = load_results(json_path) if os.path.exists(json_path) else {}
    data[section] = value
    atomic_write(json_path, lambda f: f.write((json.dumps(data, indent=1) + "\n").encode()))
    return value


def load_results(json_path):
    with open(json_path) as f:
        return json.load(f)


def machine():
    """What the numbers were measured on."""
    from lstm_xor.comm import SerialComm
    from lstm_xor.launch import cores
    from lstm_xor.train.loop import environment
    env = environment(RunConfig(), SerialComm())
    return {"cpu": env["cpu"], "cores": cores(), "numpy": env["numpy"], "python": env["python"],
            "lstm_xor": env["lstm_xor"], "load_average": list(os.getloadavg())}


# -- running a measurement under mpiexec -----------------------------------------

def _run_job(kind, spec, engines, threads, timeout):
    """``mpiexec -n engines python -m lstm_xor.study.scaling kind SPEC OUT``; returns rank 0's result.

    Adds ``others_cpu``: the share of the machine's CPU time that processes other than
    this job used while it ran (the machine is shared; near 0 means a clean measurement).
    """
    import resource
    import tempfile

    from lstm_xor.launch import cores, mpi_env, mpiexec_command
    with tempfile.TemporaryDirectory(prefix="lstm_xor-scaling-") as tmp:
        out = os.path.join(tmp, "result.json")
        argv = mpiexec_command(engines, [sys.executable, "-m", "lstm_xor.study.scaling", kind, json.dumps(spec), out])
        before, own_before, start = _cpu_busy(), _children_cpu(resource), time.monotonic()
        done = subprocess.run(argv, env=mpi_env(threads, LSTM_XOR_WARNED=1), capture_output=True, text=True,
                              timeout=timeout)
        wall, busy, own = time.monotonic() - start, _cpu_busy() - before, _children_cpu(resource) - own_before
        if done.returncode != 0 or not os.path.exists(out):
            raise RuntimeError(f"the scaling job {kind} on {engines} engine(s) failed (exit code "
                               f"{done.returncode}):\n{(done.stdout + done.stderr)[-3000:]}")
        with open(out) as f:
            result = json.load(f)
    result["others_cpu"] = max(0.0, (busy - own) / (wall * cores()))
    return result


def _cpu_busy():
    """CPU-seconds the whole machine has been busy (all cores), from /proc/stat."""
    try:
        with open("/proc/stat") as f:
            ticks = [int(v) for v in f.readline().split()[1:9]]
    except (OSError, ValueError):
        return 0.0
    return (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")


def _children_cpu(resource):
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def machine_busy(seconds=1.0):
    """Share of the machine's CPU in use over ``seconds`` (this process idle meanwhile)."""
    from lstm_xor.launch import cores
    before = _cpu_busy()
    time.sleep(seconds)
    return (_cpu_busy() - before) / (seconds * cores())


def wait_for_quiet(max_wait=0.0, limit=0.1, window=2.0):
    """Wait up to ``max_wait`` seconds until other work uses less than ``limit`` of the CPU; returns the last share."""
    deadline = time.monotonic() + max_wait
    busy = machine_busy(window) if max_wait > 0 else None
    while busy is not None and busy >= limit and time.monotonic() < deadline:
        busy = machine_busy(window)
    return busy


def _measured(kind, spec, engines, threads, timeout, quiet_wait=0.0, quiet_limit=0.1, retries=0):
    """A job, repeated (up to ``retries`` more times) while other work disturbed it; the least disturbed wins."""
    best = None
    for attempt in range(retries + 1):
        busy_before = wait_for_quiet(quiet_wait, quiet_limit)
        r = _run_job(kind, spec, engines, threads, timeout)
        r.update(busy_before=busy_before, attempt=attempt + 1)
        if best is None or r["others_cpu"] < best["others_cpu"]:
            best = r
        if r["others_cpu"] < quiet_limit:
            break
    best["attempts"] = attempt + 1  # measurements made; "attempt" is the one kept
    return best


class TimedComm:
    """A communicator that adds up the seconds spent in ``allreduce_sum`` (waiting included)."""

    def __init__(self, comm):
        self.comm, self.rank, self.size = comm, comm.rank, comm.size
        self.seconds, self.calls = 0.0, 0

    def allreduce_sum(self, buf):
        start = time.perf_counter()
        self.comm.allreduce_sum(buf)
        self.seconds += time.perf_counter() - start
        self.calls += 1
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


def _setup(config):
    """This rank's Trainer for ``config``, over the MPI world of the job."""
    from lstm_xor.blas import set_blas_threads
    from lstm_xor.comm import world_comm
    from lstm_xor.train.loop import Trainer
    set_blas_threads(config.threads)
    return Trainer(config, world_comm())


def _job_steps(spec):
    """On every rank: time ``rounds`` blocks of ``iterations`` training steps after ``warmup``.

    The step time is rank 0's wall time between barriers; communication is the time in
    the all-reduce (which includes waiting for the slowest rank); the pure all-reduce is
    the same collective on the same buffer right after a barrier.
    """
    config = RunConfig.from_dict(spec["config"])
    trainer = _setup(config)
    comm, model, grad_buf = trainer.comm, trainer.model, trainer.grad_buf
    timed = TimedComm(comm)
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
    pure = []
    grad_buf[...] = 0.0
    for _ in range(spec["allreduce_repeats"]):
        comm.barrier()
        start = time.perf_counter()
        comm.allreduce_sum(grad_buf)
        pure.append(time.perf_counter() - start)
    best = sorted(rounds, key=lambda r: r["step_seconds"])[len(rounds) // 2]  # the median round
    result = dict(best, rounds=rounds, engines=comm.size, threads=config.threads, dtype=config.dtype,
                  hidden=config.hidden, batch_size=config.batch_size, n_params=model.n_params(),
                  allreduce_bytes=int(grad_buf.nbytes),
                  pure_allreduce_seconds=float(_per_rank(comm, float(np.median(pure))).max()) if comm.size > 1 else 0.0)
    return result if comm.rank == 0 else None


def _job_accuracy(spec):
    """On every rank: train until the fixed test set reaches ``target`` (or a limit); training time only."""
    from lstm_xor.tasks.parity import make_parity
    config = RunConfig.from_dict(spec["config"])
    trainer = _setup(config)
    comm, train_set = trainer.comm, trainer.splits.train
    test_set = make_parity(spec["test_strings"], config.min_length, config.max_length, config.seed + 10_000)
    trained, seen, epochs_done, step_times = 0.0, 0, 0, []
    curve, reached, next_eval = [], False, spec["eval_every"]
    first_epoch_seconds = None
    while not reached:
        batches = trainer.task.batches(config, train_set, epochs_done)
        epoch_start = trained
        for index in batches:
            start = time.perf_counter()
            trainer.step(index, config.lr)
            step_times.append(time.perf_counter() - start)
            trained += step_times[-1]
            seen += len(index)
            if seen >= next_eval:
                next_eval += spec["eval_every"]
                clock = float(_per_rank(comm, trained)[0])  # rank 0's clock decides, for every rank
                test = trainer.evaluate(test_set)
                curve.append({"strings": seen, "seconds": clock, "last_bit_accuracy": test["last_bit_accuracy"],
                              "sequence_accuracy": test["sequence_accuracy"]})
                if test[spec["metric"]] >= spec["target"]:
                    reached = True
                    break
                if clock > spec["max_seconds"]:
                    break
        else:
            epochs_done += 1
            if first_epoch_seconds is None:
                first_epoch_seconds = float(_per_rank(comm, trained - epoch_start)[0])
            if epochs_done >= spec["max_epochs"]:
                break
            continue
        break
    steady = step_times[WARMUP_STEPS:] or step_times  # the first steps pay for fresh buffers
    step_seconds = float(_per_rank(comm, float(np.mean(steady)))[0])
    steps_per_epoch = math.ceil(len(train_set) / config.batch_size)
    last = curve[-1] if curve else {"strings": seen, "seconds": trained}
    result = {"train_strings": len(train_set), "engines": comm.size, "threads": config.threads,
              "reached": reached, "target": spec["target"], "metric": spec["metric"],
              "seconds_to_target": last["seconds"] if reached else None,
              "strings_to_target": last["strings"] if reached else None,
              "epochs_to_target": last["strings"] / len(train_set) if reached else None,
              "step_seconds": step_seconds, "epoch_seconds": step_seconds * steps_per_epoch,
              "first_epoch_seconds": first_epoch_seconds, "test_strings": len(test_set), "curve": curve}
    return result if comm.rank == 0 else None


# -- the measurements ------------------------------------------------------------------

def measure_steps(engines=1, threads=1, warmup=10, iterations=60, rounds=3, allreduce_repeats=30,
                  timeout=600, quiet_wait=0.0, quiet_limit=0.1, retries=0, **config):
    """Seconds per step (median of ``rounds``), its compute and communication parts, strings per second.

    ``config`` overrides :func:`study_config` (hidden, batch_size, dtype...). The epoch
    time is extrapolated to 80,000 strings at this global batch. On a shared machine,
    ``quiet_wait`` seconds may be spent waiting for other work to drop below
    ``quiet_limit`` of the CPU first, and a disturbed measurement is repeated ``retries`` times.
    """
    cfg = study_config(engines=engines, threads=threads, **config)
    spec = {"config": cfg.to_dict(), "warmup": warmup, "iterations": iterations, "rounds": rounds,
            "allreduce_repeats": allreduce_repeats}
    r = _measured("steps", spec, engines, threads, timeout, quiet_wait, quiet_limit, retries)
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
    from lstm_xor.launch import cores
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
    from lstm_xor.launch import cores
    t = threads or cores()
    threaded = measure_steps(engines=1, threads=t, **kwargs)
    engines = next((r for r in strong or [] if r["engines"] == t and r["threads"] == 1), None)
    if engines is None:
        engines = measure_steps(engines=t, threads=1, **kwargs)
    single = next((r for r in strong or [] if r["engines"] == 1 and r["threads"] == 1), None)
    rows = [r for r in (single, threaded, engines) if r is not None]
    return record_section(json_path, "threads", rows)


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
        cfg = study_config(engines=engines, threads=threads, **config)
        n_samples = math.ceil(size / (1 - cfg.test_fraction))
        while n_samples - math.ceil(n_samples * cfg.test_fraction) < size:
            n_samples += 1
        cfg = replace(cfg, n_samples=n_samples)
        spec = {"config": cfg.to_dict(), "target": target, "metric": metric, "eval_every": eval_every,
                "test_strings": test_strings, "max_seconds": max_seconds, "max_epochs": max_epochs}
        rows.append(_measured("accuracy", spec, engines, threads, timeout, quiet_wait, quiet_limit, retries))
    return record_section(json_path, "dataset", rows)


# -- the naive sequential version ------------------------------------------------------

def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


class NaiveLSTM:
    """The sequential version, written as a first from-scratch LSTM is: deliberately naive.

    One string at a time and one time step at a time, a weight matrix per gate (input
    Wi, Wf, Wo, Wc; recurrent Ui, Uf, Uo, Uc; biases), matrix-vector products, float64,
    a list of per-step caches, backpropagation through time step by step, and Adam over
    a dict of arrays. Same network and the same loss (mean cross-entropy over every
    labelled position of the batch), clipping and Adam step as the tuned code, so the two
    give the same parameters (tested) and only the way of computing differs.
    """

    GATES = ("i", "f", "o", "c")  # c is the candidate, the tuned code's gate g

    @staticmethod
    def _rows(W, H, gate):
        """The tuned model's row block of ``gate`` (its order is cells.LSTM_GATE_ORDER)."""
        from lstm_xor.nn.cells import LSTM_GATE_ORDER
        k = LSTM_GATE_ORDER.index("g" if gate == "c" else gate)
        return W[k * H:(k + 1) * H]

    def __init__(self, params, lr=0.01, clip_norm=1.0, beta1=0.9, beta2=0.999, eps=1e-8):
        self.p = {k: np.array(v, dtype=np.float64) for k, v in params.items()}
        self.lr, self.clip_norm, self.beta1, self.beta2, self.eps = lr, clip_norm, beta1, beta2, eps
        self.m = {k: np.zeros_like(v) for k, v in self.p.items()}
        self.v = {k: np.zeros_like(v) for k, v in self.p.items()}
        self.t = 0

    @classmethod
    def from_model(cls, model, **kwargs):
        """The same weights as a one-layer LSTM :class:`lstm_xor.nn.model.Model` (head at every step)."""
        if model.cell != "lstm" or model.layers != 1 or model.head != "every":
            raise ValueError("NaiveLSTM mirrors a one-layer LSTM with a prediction at every step")
        W, H = model.params["l0.W"], model.hidden
        D = W.shape[1] - 1 - H
        params = {}
        for gate in cls.GATES:
            rows = cls._rows(W, H, gate)
            params[f"W{gate}"], params[f"b{gate}"], params[f"U{gate}"] = rows[:, :D], rows[:, D], rows[:, D + 1:]
        params["Wy"], params["by"] = model.params["head.W"], model.params["head.b"]
        return cls(params, **kwargs)

    def to_flat(self, model):
        """These weights in ``model``'s flat layout (for comparing with the tuned code)."""
        W, H = model.params["l0.W"], model.hidden
        D = W.shape[1] - 1 - H
        flat = np.empty(model.n_params())
        view = {"l0.W": flat[:W.size].reshape(W.shape)}
        view["head.W"] = flat[W.size:W.size + self.p["Wy"].size].reshape(self.p["Wy"].shape)
        view["head.b"] = flat[W.size + self.p["Wy"].size:]
        for gate in self.GATES:
            rows = self._rows(view["l0.W"], H, gate)
            rows[:, :D], rows[:, D], rows[:, D + 1:] = self.p[f"W{gate}"], self.p[f"b{gate}"], self.p[f"U{gate}"]
        view["head.W"][...], view["head.b"][...] = self.p["Wy"], self.p["by"]
        return flat

    def string_loss(self, bits, grads, scale):
        """Forward and backward over one string of bits (labels: running parity); adds to ``grads``."""
        p = self.p
        H = p["Ui"].shape[0]
        h, c = np.zeros(H), np.zeros(H)
        caches, loss, parity = [], 0.0, 0
        for bit in bits:
            x = np.zeros(2)
            x[int(bit)] = 1.0
            parity = (parity + int(bit)) % 2
            i = _sigmoid(np.dot(p["Wi"], x) + np.dot(p["Ui"], h) + p["bi"])
            f = _sigmoid(np.dot(p["Wf"], x) + np.dot(p["Uf"], h) + p["bf"])
            o = _sigmoid(np.dot(p["Wo"], x) + np.dot(p["Uo"], h) + p["bo"])
            g = np.tanh(np.dot(p["Wc"], x) + np.dot(p["Uc"], h) + p["bc"])
            c_new = f * c + i * g
            h_new = o * np.tanh(c_new)
            logits = np.dot(p["Wy"], h_new) + p["by"]
            e = np.exp(logits - np.max(logits))
            prob = e / np.sum(e)
            loss -= np.log(prob[parity])
            caches.append({"x": x, "h_prev": h, "c_prev": c, "i": i, "f": f, "o": o, "g": g, "c": c_new,
                           "h": h_new, "prob": prob, "y": parity})
            h, c = h_new, c_new
        dh_next, dc_next = np.zeros(H), np.zeros(H)
        for s in reversed(caches):
            dlogits = s["prob"].copy()
            dlogits[s["y"]] -= 1.0
            dlogits *= scale
            grads["Wy"] += np.outer(dlogits, s["h"])
            grads["by"] += dlogits
            dh = np.dot(p["Wy"].T, dlogits) + dh_next
            tanh_c = np.tanh(s["c"])
            do = dh * tanh_c
            dc = dh * s["o"] * (1.0 - tanh_c ** 2) + dc_next
            di = dc * s["g"]
            dg = dc * s["i"]
            df = dc * s["c_prev"]
            dc_next = dc * s["f"]
            dz = {"i": di * s["i"] * (1.0 - s["i"]), "f": df * s["f"] * (1.0 - s["f"]),
                  "o": do * s["o"] * (1.0 - s["o"]), "c": dg * (1.0 - s["g"] ** 2)}
            dh_next = np.zeros(H)
            for gate in self.GATES:
                grads[f"W{gate}"] += np.outer(dz[gate], s["x"])
                grads[f"U{gate}"] += np.outer(dz[gate], s["h_prev"])
                grads[f"b{gate}"] += dz[gate]
                dh_next += np.dot(p[f"U{gate}"].T, dz[gate])
        return loss * scale

    def train_batch(self, strings):
        """One Adam step on a batch (a list of bit arrays); returns the batch's mean loss."""
        grads = {k: np.zeros_like(v) for k, v in self.p.items()}
        count = sum(len(s) for s in strings)
        loss = 0.0
        for bits in strings:
            loss += self.string_loss(bits, grads, 1.0 / count)
        norm = math.sqrt(sum(float(np.sum(g * g)) for g in grads.values()))
        if self.clip_norm and norm > self.clip_norm:
            for g in grads.values():
                g *= self.clip_norm / norm
        self.t += 1
        for k in self.p:
            self.m[k] = self.beta1 * self.m[k] + (1 - self.beta1) * grads[k]
            self.v[k] = self.beta2 * self.v[k] + (1 - self.beta2) * grads[k] ** 2
            m_hat = self.m[k] / (1 - self.beta1 ** self.t)
            v_hat = self.v[k] / (1 - self.beta2 ** self.t)
            self.p[k] -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)
        return loss


def _job_naive(spec):
    """In one process: time NaiveLSTM training batch by batch, from the study's initial weights."""
    from lstm_xor.blas import set_blas_threads
    from lstm_xor.train.loop import Trainer
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


def naive_throughput(strings=800, batch_size=GLOBAL_BATCH, hidden=100, seed=0, json_path=None, quiet_wait=0.0,
                     quiet_limit=0.1, retries=0, timeout=600):
    """Strings per second of :class:`NaiveLSTM` training (a fresh process, one thread, float64).

    Starts from the study's initial weights on the study's first training batches (their
    strings' lengths set the pace, so the figure is all strings over all seconds).
    """
    cfg = study_config(hidden=hidden, batch_size=batch_size, seed=seed, dtype="float64")
    spec = {"config": cfg.to_dict(), "strings": strings}
    result = _measured("naive", spec, 1, 1, timeout, quiet_wait, quiet_limit, retries)
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


def targets(results, json_path=None):
    """The issue's targets, each with the measured value and whether it was met."""
    strong = {r["engines"]: r for r in results["strong"]}
    one, two = strong.get(1), strong.get(2)
    threaded = next((r for r in results.get("threads", []) if r["engines"] == 1 and r["threads"] > 1), None)
    honest = results.get("honest", [])
    out = []
    if one and two:
        out.append({"target": f"2 engines >= 1.7x the strings/s of 1 engine (global batch {two['batch_size']})",
                    "value": two["speedup"], "met": two["speedup"] >= 1.7})
        out.append({"target": f"communication < 10% of the step at 2 engines (hidden {two['hidden']}): "
                              "time in the all-reduce, waiting for the other engine included",
                    "value": two["comm_share"], "met": two["comm_share"] < 0.10})
        out.append({"target": f"communication < 10% of the step at 2 engines (hidden {two['hidden']}): "
                              "the all-reduce alone, after a barrier",
                    "value": two["pure_comm_share"], "met": two["pure_comm_share"] < 0.10})
    if two and threaded:
        ratio = threaded["step_seconds"] / two["step_seconds"]
        out.append({"target": f"2 engines faster than 1 engine with {threaded['threads']} BLAS threads",
                    "value": ratio, "met": ratio > 1.0})
    if honest:
        best = honest[-1]["times_naive"]
        out.append({"target": "tuned MPI >= 50x the naive sequential version (strings/s)",
                    "value": best, "met": best >= 50})
    return record_section(json_path, "targets", out)


# -- tables and plots ---------------------------------------------------------------

def _others(r):
    """Other processes' share of the machine's CPU during the measurement."""
    return "-" if r.get("others_cpu") is None else f"{100 * r['others_cpu']:.0f}%"


def _ms(seconds):
    return f"{1000 * seconds:.2f}"


def strong_markdown(rows):
    head = ("| engines | BLAS threads | ms / step | compute ms | all-reduce ms (incl. wait) | pure all-reduce ms "
            "| comm share | strings / s | s / epoch (80k) | speed-up | efficiency | other load |\n"
            "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
    return head + "\n".join(
        f"| {r['engines']} | {r['threads']} | {_ms(r['step_seconds'])} | {_ms(r['compute_seconds'])} "
        f"| {_ms(r['comm_seconds'])} | {_ms(r['pure_allreduce_seconds'])} | {100 * r['comm_share']:.1f}% "
        f"| {r['strings_per_second']:.0f} | {r['epoch_seconds']:.1f} | {r.get('speedup', 1.0):.2f}x "
        f"| {100 * r.get('efficiency', 1.0):.0f}% | {_others(r)} |" for r in rows)


def threads_markdown(rows):
    head = ("| engines x BLAS threads | ms / step | strings / s | s / epoch (80k) | other load |\n"
            "|---|---:|---:|---:|---:|\n")
    return head + "\n".join(f"| {r['engines']} x {r['threads']} | {_ms(r['step_seconds'])} "
                            f"| {r['strings_per_second']:.0f} | {r['epoch_seconds']:.1f} | {_others(r)} |"
                            for r in rows)


def dataset_markdown(rows):
    head = ("| training strings | s / epoch | strings to target | epochs to target | s to target "
            "| reached | other load |\n|---:|---:|---:|---:|---:|---|---:|\n")
    return head + "\n".join(
        f"| {r['train_strings']:,} | {r['epoch_seconds']:.1f} | "
        + (f"{r['strings_to_target']:,} | {r['epochs_to_target']:.2f} | {r['seconds_to_target']:.1f} | yes |"
           if r["reached"] else f"- | - | - | no (> {r['curve'][-1]['seconds'] if r['curve'] else 0:.0f} s) |")
        + f" {_others(r)} |" for r in rows)


def honest_markdown(rows):
    head = "| version | strings / s | x naive | other load |\n|---|---:|---:|---:|\n"
    return head + "\n".join(f"| {r['name']} | {r['strings_per_second']:,.0f} | {r['times_naive']:.1f}x "
                            f"| {_others(r)} |" for r in rows)


def targets_markdown(rows):
    def value(r):
        return f"{100 * r['value']:.1f}%" if r["target"].startswith("communication") else f"{r['value']:.2f}x"
    head = "| target | measured | met |\n|---|---:|---|\n"
    return head + "\n".join(f"| {r['target']} | {value(r)} | {'yes' if r['met'] else 'no'} |" for r in rows)


def plot_strong(rows):
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 3, figsize=(14, 3.8))
    n = [r["engines"] for r in rows]
    axes[0].plot(n, [r["strings_per_second"] for r in rows], "o-", label="measured")
    axes[0].plot(n, [rows[0]["strings_per_second"] * k / n[0] for k in n], "--", color="gray", label="ideal")
    axes[0].set(xlabel="engines", ylabel="strings / s", title="strong scaling (global batch fixed)", xticks=n)
    axes[0].legend()
    axes[1].plot(n, [100 * r["efficiency"] for r in rows], "o-")
    axes[1].set(xlabel="engines", ylabel="efficiency (%)", ylim=(0, 110), title="parallel efficiency", xticks=n)
    compute = [1000 * r["compute_seconds"] for r in rows]
    comm = [1000 * r["comm_seconds"] for r in rows]
    axes[2].bar([str(k) for k in n], compute, label="compute")
    axes[2].bar([str(k) for k in n], comm, bottom=compute, label="all-reduce (incl. wait)")
    axes[2].set(xlabel="engines", ylabel="ms per step", title="one step: compute and communication")
    axes[2].legend()
    fig.tight_layout()
    return fig


def plot_threads(rows):
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(5.5, 3.5))
    labels = [f"{r['engines']} engine(s)\nx {r['threads']} thread(s)" for r in rows]
    ax.bar(labels, [r["strings_per_second"] for r in rows], color=["C0", "C1", "C2"][:len(rows)])
    ax.set(ylabel="strings / s", title="BLAS threads or MPI engines")
    fig.tight_layout()
    return fig


def plot_dataset(rows):
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 3, figsize=(14, 3.8))
    sizes = [r["train_strings"] for r in rows]
    axes[0].plot(sizes, [r["epoch_seconds"] for r in rows], "o-")
    axes[0].set(xlabel="training strings", ylabel="s / epoch", xscale="log", yscale="log", title="time per epoch")
    ok = [r for r in rows if r["reached"]]
    axes[1].plot([r["train_strings"] for r in ok], [r["seconds_to_target"] for r in ok], "o-")
    axes[1].set(xlabel="training strings", ylabel="s of training", xscale="log",
                title=f"time to {100 * rows[0]['target']:.1f}% test accuracy" if rows else "")
    for r in rows:
        c = r["curve"]
        axes[2].plot([p["strings"] for p in c], [p["last_bit_accuracy"] for p in c], ".-",
                     label=f"{r['train_strings']:,}")
    axes[2].set(xlabel="strings trained on", ylabel="test accuracy (last bit)", title="learning curves")
    axes[2].legend(title="training set", fontsize=8)
    fig.tight_layout()
    return fig


def plot_honest(rows):
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(8, 3.2))
    names = [r["name"] for r in rows]
    values = [r["strings_per_second"] for r in rows]
    ax.barh(names, values, color=[f"C{k}" for k in range(len(rows))])
    ax.set(xscale="log", xlabel="strings / s (log)", title="the sequential version against the tuned ones")
    ax.invert_yaxis()
    for y, (v, r) in enumerate(zip(values, rows, strict=True)):
        ax.text(v, y, f"  {v:,.0f}  ({r['times_naive']:.0f}x)", va="center")
    ax.set_xlim(right=max(values) * 8)
    fig.tight_layout()
    return fig


JOBS = {"steps": _job_steps, "accuracy": _job_accuracy, "naive": _job_naive}


def _job_main(argv):
    kind, spec, out = argv
    result = JOBS[kind](json.loads(spec))
    if result is not None:
        atomic_write(out, lambda f: f.write(json.dumps(result).encode()))
    return 0


if __name__ == "__main__":
    # Through the package module, so the jobs and the training code share one copy of it.
    from lstm_xor.study.scaling import _job_main as main
    sys.exit(main(sys.argv[1:]))
