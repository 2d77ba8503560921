"""`python -m lstm_xor bench`: seconds per epoch of the NumPy LSTM against torch.nn.LSTM.

The report's configuration: parity strings of fixed length 50 with a label at
every step, hidden 100, batch 32, Adam on the summed loss, one BLAS thread (and
one torch thread). Each implementation trains on the same batches; the timed
batches are split into rounds that alternate between the implementations (the
machine may be shared and noisy), and an implementation's time per batch is the
median, and the best, over its rounds. An epoch is 80,000 strings (the report's
training set), so seconds per epoch = 2,500 x seconds per batch at batch 32.

Most of the NumPy time is OpenBLAS's GEMMs, so the table names the OpenBLAS
kernel set that ran: OpenBLAS picks it when NumPy loads, from the CPU or from
OPENBLAS_CORETYPE (an environment may pin 'Haswell', AVX2, on a CPU whose
AVX-512 'SkylakeX' kernels are about 1.6x faster in float32; torch's oneDNN and
MKL use AVX-512 where the CPU has it). ``--openblas_coretype NAME`` reruns the
benchmark in a child process with OPENBLAS_CORETYPE=NAME; training picks up the
same kernels when that variable is exported.
"""

import ctypes
import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np

from lstm_xor.blas import set_blas_threads
from lstm_xor.tasks.parity import batch_arrays, make_parity
from lstm_xor.nn.model import Model
from lstm_xor.optim import Adam

EPOCH_STRINGS = 80_000


def add_arguments(parser):
    parser.add_argument("--batches", type=int, default=150,
                        help="timed batches per implementation, over all rounds (default: 150)")
    parser.add_argument("--rounds", type=int, default=5,
                        help="rounds the timed batches are split into, alternating implementations (default: 5)")
    parser.add_argument("--warmup", type=int, default=5, help="untimed batches before the first round (default: 5)")
    parser.add_argument("--batch_size", type=int, default=32, help="strings per batch (default: 32)")
    parser.add_argument("--hidden", type=int, default=100, help="hidden units (default: 100)")
    parser.add_argument("--length", type=int, default=50, help="string length (default: 50)")
    parser.add_argument("--lr", type=float, default=1e-3, help="Adam learning rate (default: 0.001)")
    parser.add_argument("--no_torch", action="store_true", help="skip torch even where it is importable")
    parser.add_argument("--openblas_coretype", default="",
                        help="rerun with OPENBLAS_CORETYPE set to this (Haswell, SkylakeX, ...); "
                             "default: the kernels this process loaded")
    parser.add_argument("--json", default="", help="also write the figures to this JSON file")


def openblas_core():
    """The kernel set of the OpenBLAS NumPy loaded ('Haswell', 'SkylakeX', ...), or None."""
    try:
        with open("/proc/self/maps") as maps:
            paths = {line.split()[-1] for line in maps if "openblas" in line.lower() and ".so" in line}
    except OSError:
        return None
    for path in sorted(paths):
        lib = ctypes.CDLL(path)
        for symbol in ("scipy_openblas_get_corename64_", "scipy_openblas_get_corename",
                       "openblas_get_corename64_", "openblas_get_corename"):
            if hasattr(lib, symbol):
                function = getattr(lib, symbol)
                function.restype = ctypes.c_char_p
                return function().decode()
    return None


# -- the implementations --------------------------------------------------------------

class _NumpyRunner:
    def __init__(self, dtype, batches, hidden, lr):
        self.name = f"numpy {np.dtype(dtype).name}"
        self.model = Model("lstm", 2, hidden, 2, 1, 0.0, "every", "orthogonal", 1.0, dtype, seed=0)
        self.optimizer = Adam(self.model.n_params(), self.model.dtype)
        self.batches = [(x.astype(dtype), lengths, y) for x, lengths, y in batches]
        self.lr, self.i, self.last_loss = lr, 0, None

    def step(self):
        x, lengths, y = self.batches[self.i % len(self.batches)]
        self.i += 1
        loss, _, _ = self.model.loss(x, lengths, y, reduction="sum", train=True)
        self.optimizer.step(self.model.flat, self.model.grad_flat, self.lr)
        self.last_loss = loss


class _TorchRunner:
    """torch.nn.LSTM + Linear on every step + cross-entropy (sum) + torch.optim.Adam, same shapes."""

    def __init__(self, torch, batches, hidden, lr):
        self.name = "torch float32"
        torch.manual_seed(0)
        self.lstm = torch.nn.LSTM(2, hidden, batch_first=True)
        self.head = torch.nn.Linear(hidden, 2)
        params = list(self.lstm.parameters()) + list(self.head.parameters())
        self.optimizer = torch.optim.Adam(params, lr=lr)
        self.loss_fn = torch.nn.CrossEntropyLoss(reduction="sum")
        self.batches = [(torch.from_numpy(np.ascontiguousarray(x, np.float32)),
                         torch.from_numpy(np.ascontiguousarray(y, np.int64)).reshape(-1)) for x, _, y in batches]
        self.i, self.last_loss = 0, None

    def step(self):
        x, y = self.batches[self.i % len(self.batches)]
        self.i += 1
        self.optimizer.zero_grad(set_to_none=True)
        h, _ = self.lstm(x)
        logits = self.head(h)
        loss = self.loss_fn(logits.reshape(-1, logits.shape[-1]), y)
        loss.backward()
        self.optimizer.step()
        self.last_loss = float(loss.detach())


def _time(runner, n):
    start = time.perf_counter()
    for _ in range(n):
        runner.step()
    return (time.perf_counter() - start) / n


def run(batches=150, rounds=5, warmup=5, batch_size=32, hidden=100, length=50, lr=1e-3, use_torch=True):
    """Time every implementation in this process; returns the figures as a dict."""
    set_blas_threads(1)
    torch = None
    if use_torch:
        try:
            import torch
        except ImportError:
            torch = None
    if torch is not None:
        torch.set_num_threads(1)
    n_batches = 8  # distinct batches, cycled
    data = make_parity(batch_size * n_batches, length, length, seed=0)
    index = np.arange(batch_size * n_batches).reshape(n_batches, batch_size)
    arrays = [batch_arrays(data, i, "prefix", np.float64) for i in index]
    runners = [_NumpyRunner(np.float32, arrays, hidden, lr), _NumpyRunner(np.float64, arrays, hidden, lr)]
    if torch is not None:
        runners.append(_TorchRunner(torch, arrays, hidden, lr))
    for r in runners:
        _time(r, warmup)
    rounds = max(1, min(rounds, batches))
    per_round = max(1, batches // rounds)
    times = {r.name: [] for r in runners}
    for k in range(rounds):
        for r in (runners if k % 2 == 0 else runners[::-1]):  # no implementation always follows the same one
            times[r.name].append(_time(r, per_round))
    per_epoch = EPOCH_STRINGS / batch_size
    results = {}
    for r in runners:
        t = times[r.name]
        results[r.name] = {"ms_per_batch_median": 1e3 * statistics.median(t), "ms_per_batch_best": 1e3 * min(t),
                           "seconds_per_epoch": per_epoch * statistics.median(t),
                           "seconds_per_epoch_best": per_epoch * min(t),
                           "rounds_ms_per_batch": [1e3 * v for v in t], "final_loss": r.last_loss}
    f32, f64 = results["numpy float32"], results["numpy float64"]
    ratios = {"numpy float64 / float32": f64["seconds_per_epoch"] / f32["seconds_per_epoch"]}
    if torch is not None:
        tt = results["torch float32"]
        ratios["numpy float32 / torch"] = f32["seconds_per_epoch"] / tt["seconds_per_epoch"]
        ratios["numpy float32 / torch (best rounds)"] = f32["seconds_per_epoch_best"] / tt["seconds_per_epoch_best"]
    return {"config": {"cell": "lstm", "length": length, "hidden": hidden, "batch_size": batch_size,
                       "labels": "prefix", "loss_reduction": "sum", "optimizer": "adam", "threads": 1,
                       "batches": per_round * rounds, "rounds": rounds, "warmup": warmup,
                       "epoch_strings": EPOCH_STRINGS},
            "numpy": np.__version__, "torch": None if torch is None else torch.__version__,
            "openblas_core": openblas_core(), "openblas_coretype_env": os.environ.get("OPENBLAS_CORETYPE"),
            "results": results, "ratios": ratios}


def format_table(figures):
    c = figures["config"]
    lines = [f"LSTM, hidden {c['hidden']}, batch {c['batch_size']}, length {c['length']}, a label at every step, "
             f"summed loss, Adam, 1 thread; {c['rounds']} rounds of {c['batches'] // c['rounds']} batches each",
             "",
             f"{'implementation':<16}{'ms/batch median':>17}{'ms/batch best':>15}{'s/epoch median':>16}"
             f"{'s/epoch best':>14}",
             "-" * 78]
    for name, r in figures["results"].items():
        lines.append(f"{name:<16}{r['ms_per_batch_median']:>17.2f}{r['ms_per_batch_best']:>15.2f}"
                     f"{r['seconds_per_epoch']:>16.1f}{r['seconds_per_epoch_best']:>14.1f}")
    lines.append("")
    for name, value in figures["ratios"].items():
        lines.append(f"{name:<38}{value:>6.2f}")
    if figures["torch"] is None:
        lines.append("torch is not importable (or --no_torch): no torch.nn.LSTM comparison")
    env = figures["openblas_coretype_env"]
    lines.append(f"OpenBLAS kernels: {figures['openblas_core']}" + (f" (OPENBLAS_CORETYPE={env})" if env else ""))
    lines.append(f"epoch = {c['epoch_strings']:,} strings; numpy {figures['numpy']}, torch {figures['torch']}")
    return "\n".join(lines)


def _rerun(args, coretype):
    """This benchmark in a child process whose OpenBLAS loads the kernels of ``coretype``."""
    command = [sys.executable, "-m", "lstm_xor", "bench"]
    for name in ("batches", "rounds", "warmup", "batch_size", "hidden", "length", "lr", "json"):
        command += [f"--{name}", str(getattr(args, name))]
    if args.no_torch:
        command.append("--no_torch")
    return subprocess.run(command, env=dict(os.environ, OPENBLAS_CORETYPE=coretype)).returncode


def main(args):
    if args.batches < 1 or args.rounds < 1 or args.warmup < 0 or args.batch_size < 1:
        raise ValueError("bench: --batches, --rounds and --batch_size must be >= 1 and --warmup >= 0")
    core = openblas_core()
    if args.openblas_coretype and (core or "").lower() != args.openblas_coretype.lower():
        return _rerun(args, args.openblas_coretype)
    figures = run(args.batches, args.rounds, args.warmup, args.batch_size, args.hidden, args.length, args.lr,
                  not args.no_torch)
    print(format_table(figures))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(figures, f, indent=2)
    return 0
