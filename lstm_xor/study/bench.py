"""`python -m lstm_xor bench`: time per training step of the NumPy LSTM against torch.nn.LSTM.

Two cases, each a training step (forward, backward, Adam) on the same batches in
both implementations, one BLAS thread (and one torch thread):

* ``parity``, the report's configuration: parity strings of fixed length 50
  with a label at every step, hidden 100, batch 32, Adam on the summed loss.
  An epoch is 80,000 strings (the report's training set), so seconds per epoch
  = 2,500 x seconds per batch at batch 32.
* ``tokens``, the token-input LSTM of the digit-addition task: 2 tokens per step
  (the two operands' digits, vocabulary 10) each embedded in 32 dimensions and
  concatenated, 2 stacked LSTM layers of hidden 64, a linear head to 10 classes
  at every step, cross-entropy averaged over the positions, Adam lr 1e-3, batch
  200, length 11, float32; on torch's side nn.Embedding(10, 32) on both slots,
  nn.LSTM(64, 64, num_layers=2), nn.Linear(64, 10). The batches are random
  operands, least significant digit first, labelled with the digits of their
  sum. Seconds for 3,000 steps (the report's basic setting) = 3,000 x seconds
  per step.

Within a case the timed batches are split into rounds that alternate between
the implementations (the machine may be shared and noisy), and an
implementation's time per batch is the median, and the best, over its rounds.

Most of the NumPy time is OpenBLAS's GEMMs, so the table names the OpenBLAS
kernel set that ran: OpenBLAS picks it when NumPy loads, from the CPU or from
OPENBLAS_CORETYPE (an environment may pin 'Haswell', AVX2, on a CPU whose
AVX-512 'SkylakeX' kernels are about 1.6x faster in float32; torch's oneDNN and
MKL use AVX-512 where the CPU has it). ``--openblas_coretype NAME`` reruns the
benchmark in a child process with OPENBLAS_CORETYPE=NAME; training picks up the
same kernels when that variable is exported.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from lstm_xor.blas import openblas_core, set_blas_threads
from lstm_xor.nn.model import Model
from lstm_xor.optim import Adam
from lstm_xor.study import EPOCH_STRINGS
from lstm_xor.tasks.parity import batch_arrays, make_parity

TOKEN_STEPS = 3_000  # the digit-addition report's basic setting: seconds for this many steps
TOKENS = {"vocabulary": 10, "slots": 2, "embed": 32, "layers": 2, "hidden": 64, "batch_size": 200, "length": 11}
N_BATCHES = 8  # distinct batches per case, cycled
CASES = ("parity", "tokens")


def _cases(text):
    """'parity,tokens' -> ('parity', 'tokens'), in CASES' order; an argparse type."""
    names = [name.strip() for name in str(text).split(",") if name.strip()]
    unknown = [name for name in names if name not in CASES]
    if not names or unknown:
        raise argparse.ArgumentTypeError(f"cases must be a comma-separated subset of {','.join(CASES)}, "
                                         f"got {text!r}")
    return tuple(name for name in CASES if name in names)


def add_arguments(parser):
    parser.add_argument("--cases", type=_cases, default=CASES,
                        help="comma-separated cases to time: parity (the report's configuration), tokens "
                             "(the digit-addition LSTM) (default: parity,tokens)")
    parser.add_argument("--batches", type=int, default=150,
                        help="timed batches per implementation and case, over all rounds (default: 150)")
    parser.add_argument("--rounds", type=int, default=5,
                        help="rounds the timed batches are split into, alternating implementations (default: 5)")
    parser.add_argument("--warmup", type=int, default=5, help="untimed batches before the first round (default: 5)")
    parser.add_argument("--batch_size", type=int, default=32, help="strings per batch, parity case (default: 32)")
    parser.add_argument("--hidden", type=int, default=100, help="hidden units, parity case (default: 100)")
    parser.add_argument("--length", type=int, default=50, help="string length, parity case (default: 50)")
    parser.add_argument("--lr", type=float, default=1e-3, help="Adam learning rate, both cases (default: 0.001)")
    parser.add_argument("--no_torch", action="store_true", help="time NumPy alone, without the torch comparison")
    parser.add_argument("--openblas_coretype", default="",
                        help="rerun with OPENBLAS_CORETYPE set to this (Haswell, SkylakeX, ...); "
                             "default: the kernels this process loaded")
    parser.add_argument("--json", default="", help="also write the figures to this JSON file")


def _torch_requirement():
    """The test extra's torch pin as installed from pyproject.toml ('torch==2.13.0'), or 'torch'."""
    from importlib.metadata import PackageNotFoundError, requires
    try:
        wanted = requires("lstm_xor") or []
    except PackageNotFoundError:
        wanted = []
    return next((w.split(";")[0].strip() for w in wanted if w.startswith("torch")), "torch")


def import_torch():
    """torch, on one thread; its absence is an error that names the test extra which brings it."""
    try:
        import torch
    except ImportError as e:
        raise ValueError(f"the benchmark compares against torch, which is not importable ({e}): install "
                         f"{_torch_requirement()} with the test extra, `pip install -e .[test]` "
                         "(or pass --no_torch to time NumPy alone)") from e
    torch.set_num_threads(1)
    return torch


# -- the implementations --------------------------------------------------------------

class _NumpyRunner:
    """One training step of ``model`` (loss with the given reduction, then Adam) per call, cycling the batches."""

    def __init__(self, model, batches, lr, reduction):
        self.name = f"numpy {model.dtype.name}"
        self.model, self.reduction = model, reduction
        self.optimizer = Adam(model.n_params(), model.dtype)
        self.batches = [(x if model.embed else x.astype(model.dtype), lengths, y) for x, lengths, y in batches]
        self.lr, self.i, self.last_loss = lr, 0, None

    def step(self):
        x, lengths, y = self.batches[self.i % len(self.batches)]
        self.i += 1
        loss, _, _ = self.model.loss(x, lengths, y, reduction=self.reduction, train=True)
        self.optimizer.step(self.model.flat, self.model.grad_flat, self.lr)
        self.last_loss = loss


class _TorchRunner:
    """[torch.nn.Embedding on every slot, concatenated +] torch.nn.LSTM + Linear on every step + cross-entropy
    + torch.optim.Adam, float32, the same shapes as the NumPy model. With ``vocabulary`` the batches' x are
    (N, T, slots) tokens and the LSTM reads slots x embed features; otherwise x is (N, T, input_size)."""

    def __init__(self, torch, batches, lr, reduction, input_size, hidden, classes, layers=1, vocabulary=0, embed=0):
        self.name = "torch float32"
        torch.manual_seed(0)
        self.lstm = torch.nn.LSTM(input_size, hidden, num_layers=layers, batch_first=True)
        self.head = torch.nn.Linear(hidden, classes)
        params = list(self.lstm.parameters()) + list(self.head.parameters())
        self.embed = torch.nn.Embedding(vocabulary, embed) if vocabulary else None
        if self.embed is not None:
            params += list(self.embed.parameters())
        self.optimizer = torch.optim.Adam(params, lr=lr)
        self.loss_fn = torch.nn.CrossEntropyLoss(reduction=reduction)
        x_type = np.int64 if vocabulary else np.float32
        self.batches = [(torch.from_numpy(np.ascontiguousarray(x, x_type)),
                         torch.from_numpy(np.ascontiguousarray(y, np.int64)).reshape(-1)) for x, _, y in batches]
        self.i, self.last_loss = 0, None

    def step(self):
        x, y = self.batches[self.i % len(self.batches)]
        self.i += 1
        self.optimizer.zero_grad(set_to_none=True)
        if self.embed is not None:
            x = self.embed(x).flatten(2)  # (N, T, slots, E) -> (N, T, slots * E), slot by slot
        h, _ = self.lstm(x)
        logits = self.head(h)
        loss = self.loss_fn(logits.reshape(-1, logits.shape[-1]), y)
        loss.backward()
        self.optimizer.step()
        self.last_loss = float(loss.detach())


# -- the cases ------------------------------------------------------------------------

def digit_addition_batches(n_batches, batch_size, length, seed=0):
    """Random addition problems as (x, lengths, y) batches: x (N, T, 2) the two operands' digits, least
    significant first, the last step's 0 (room for the final carry); y (N, T) the digits of their sum."""
    rng = np.random.default_rng(seed)
    batches = []
    for _ in range(n_batches):
        x = rng.integers(0, 10, size=(batch_size, length, 2))
        x[:, -1] = 0
        y = np.empty((batch_size, length), np.int64)
        carry = np.zeros(batch_size, np.int64)
        for t in range(length):
            total = x[:, t, 0] + x[:, t, 1] + carry
            y[:, t], carry = total % 10, total // 10
        batches.append((x, np.full(batch_size, length, np.int64), y))
    return batches


def _parity_runners(torch, lr, batch_size, hidden, length):
    """The report's parity LSTM, float32 and float64, and torch's; its config (without the timing)."""
    data = make_parity(batch_size * N_BATCHES, length, length, seed=0)
    index = np.arange(batch_size * N_BATCHES).reshape(N_BATCHES, batch_size)
    arrays = [batch_arrays(data, i, "prefix", np.float64) for i in index]
    runners = [_NumpyRunner(Model("lstm", 2, hidden, 2, 1, 0.0, "every", "orthogonal", 1.0, dtype, seed=0),
                            arrays, lr, "sum") for dtype in (np.float32, np.float64)]
    if torch is not None:
        runners.append(_TorchRunner(torch, arrays, lr, "sum", 2, hidden, 2))
    config = {"cell": "lstm", "length": length, "hidden": hidden, "batch_size": batch_size,
              "labels": "prefix", "loss_reduction": "sum", "optimizer": "adam", "threads": 1}
    return runners, config


def _token_runners(torch, lr, vocabulary, slots, embed, layers, hidden, batch_size, length):
    """The digit-addition LSTM (token inputs, mean loss), float32, and torch's; its config (without the timing)."""
    arrays = digit_addition_batches(N_BATCHES, batch_size, length, seed=0)
    model = Model("lstm", vocabulary, hidden, vocabulary, layers, 0.0, "every", "orthogonal", 1.0, np.float32,
                  seed=0, embed=embed, slots=slots)
    runners = [_NumpyRunner(model, arrays, lr, "mean")]
    if torch is not None:
        runners.append(_TorchRunner(torch, arrays, lr, "mean", slots * embed, hidden, vocabulary, layers,
                                    vocabulary, embed))
    config = {"cell": "lstm", "task": "digit addition", "vocabulary": vocabulary, "slots": slots, "embed": embed,
              "layers": layers, "hidden": hidden, "batch_size": batch_size, "length": length,
              "labels": "every step", "loss_reduction": "mean", "optimizer": "adam", "lr": lr, "threads": 1}
    return runners, config


class _Case(NamedTuple):
    runners: Callable  # (torch or None, lr, **options) -> runners, config
    unit: str  # what one timed step is called in the figures' names: ms_per_{unit}_median, ...
    span: str  # what the extrapolation is called in them: seconds_per_{span}, ...
    span_label: str  # ... and in the table's columns
    span_steps: Callable  # config -> steps in one span
    header: Callable  # config -> the table's first line
    footnote: Callable  # config -> a note for the table's last line
    tail: dict  # what the config holds after the timing


_SPECS = {
    "parity": _Case(
        _parity_runners, "batch", "epoch", "epoch",
        lambda c: c["epoch_strings"] / c["batch_size"],
        lambda c: (f"LSTM, hidden {c['hidden']}, batch {c['batch_size']}, length {c['length']}, a label at every "
                   f"step, summed loss, Adam, 1 thread; {c['rounds']} rounds of {c['batches'] // c['rounds']} "
                   f"batches each"),
        lambda c: f"epoch = {c['epoch_strings']:,} strings",
        {"epoch_strings": EPOCH_STRINGS}),
    "tokens": _Case(
        _token_runners, "step", f"{TOKEN_STEPS}_steps", f"{TOKEN_STEPS} steps",
        lambda c: c["report_steps"],
        lambda c: (f"Token LSTM (digit addition): vocabulary {c['vocabulary']}, {c['slots']} tokens per step each "
                   f"embedded in {c['embed']} dims, {c['layers']} layers of hidden {c['hidden']}, batch "
                   f"{c['batch_size']}, length {c['length']}, a label at every step, mean loss, Adam, 1 thread; "
                   f"{c['rounds']} rounds of {c['batches'] // c['rounds']} steps each"),
        lambda c: f"{c['report_steps']:,} steps = the digit-addition report's basic setting",
        {"report_steps": TOKEN_STEPS}),
}


# -- timing ---------------------------------------------------------------------------

def _time(runner, n):
    start = time.perf_counter()
    for _ in range(n):
        runner.step()
    return (time.perf_counter() - start) / n


def _measure(runners, warmup, rounds, per_round):
    """Seconds per step of every runner in each round: {name: [...]}; rounds alternate the runners' order."""
    for r in runners:
        for _ in range(warmup):
            r.step()
    times = {r.name: [] for r in runners}
    for k in range(rounds):
        for r in (runners if k % 2 == 0 else runners[::-1]):  # no implementation always follows the same one
            times[r.name].append(_time(r, per_round))
    return times


def _summarise(spec, config, runners, times):
    """Per-implementation figures and the ratios between implementations."""
    unit, span, steps = spec.unit, spec.span, spec.span_steps(config)
    results = {}
    for r in runners:
        t = times[r.name]
        results[r.name] = {f"ms_per_{unit}_median": 1e3 * statistics.median(t), f"ms_per_{unit}_best": 1e3 * min(t),
                           f"seconds_per_{span}": steps * statistics.median(t),
                           f"seconds_per_{span}_best": steps * min(t),
                           f"rounds_ms_per_{unit}": [1e3 * v for v in t], "final_loss": r.last_loss}
    ratios = {}
    f32, f64, tt = (results.get(name) for name in ("numpy float32", "numpy float64", "torch float32"))
    if f64 is not None:
        ratios["numpy float64 / float32"] = f64[f"seconds_per_{span}"] / f32[f"seconds_per_{span}"]
    if tt is not None:
        ratios["numpy float32 / torch"] = f32[f"seconds_per_{span}"] / tt[f"seconds_per_{span}"]
        ratios["numpy float32 / torch (best rounds)"] = f32[f"seconds_per_{span}_best"] / tt[f"seconds_per_{span}_best"]
    return results, ratios


def run(batches=150, rounds=5, warmup=5, batch_size=32, hidden=100, length=50, lr=1e-3, use_torch=True,
        cases=CASES, tokens=None):
    """Time every implementation of every case in this process; returns the figures as a dict.

    batch_size, hidden and length are the parity case's; ``tokens`` overrides entries of TOKENS.
    """
    set_blas_threads(1)
    torch = import_torch() if use_torch else None
    options = {"parity": {"batch_size": batch_size, "hidden": hidden, "length": length},
               "tokens": {**TOKENS, **(tokens or {})}}
    rounds = max(1, min(rounds, batches))
    per_round = max(1, batches // rounds)
    timing = {"batches": per_round * rounds, "rounds": rounds, "warmup": warmup}
    figures = {}
    for name in cases:
        spec = _SPECS[name]
        runners, config = spec.runners(torch, lr, **options[name])
        config = {**config, **timing, **spec.tail}
        results, ratios = _summarise(spec, config, runners, _measure(runners, warmup, rounds, per_round))
        figures[name] = {"config": config, "results": results, "ratios": ratios}
    return {"cases": figures, "numpy": np.__version__, "torch": None if torch is None else torch.__version__,
            "openblas_core": openblas_core(), "openblas_coretype_env": os.environ.get("OPENBLAS_CORETYPE")}


def _case_table(spec, case):
    """The lines of one case: its header, a row per implementation, its ratios."""
    c = case["config"]
    columns = [(f"ms/{spec.unit} median", f"ms_per_{spec.unit}_median", ".2f"),
               (f"ms/{spec.unit} best", f"ms_per_{spec.unit}_best", ".2f"),
               (f"s/{spec.span_label} median", f"seconds_per_{spec.span}", ".1f"),
               (f"s/{spec.span_label} best", f"seconds_per_{spec.span}_best", ".1f")]
    columns = [(label, len(label) + 2, key, fmt) for label, key, fmt in columns]  # 2 spaces before each label
    lines = [spec.header(c), "",
             f"{'implementation':<16}" + "".join(f"{label:>{width}}" for label, width, _, _ in columns),
             "-" * (16 + sum(width for _, width, _, _ in columns))]
    for name, r in case["results"].items():
        lines.append(f"{name:<16}" + "".join(f"{r[key]:>{width}{fmt}}" for _, width, key, fmt in columns))
    lines.append("")
    for name, value in case["ratios"].items():
        lines.append(f"{name:<38}{value:>6.2f}")
    return lines


def format_table(figures):
    lines, notes = [], []
    for name, case in figures["cases"].items():
        spec = _SPECS[name]
        lines += ([""] if lines else []) + _case_table(spec, case)
        notes.append(spec.footnote(case["config"]))
    if figures["torch"] is None:
        lines.append("--no_torch: no torch.nn.LSTM comparison")
    env = figures["openblas_coretype_env"]
    lines.append(f"OpenBLAS kernels: {figures['openblas_core']}" + (f" (OPENBLAS_CORETYPE={env})" if env else ""))
    lines.append("; ".join(notes + [f"numpy {figures['numpy']}, torch {figures['torch']}"]))
    return "\n".join(lines)


def _rerun(args, coretype):
    """This benchmark in a child process whose OpenBLAS loads the kernels of ``coretype``."""
    command = [sys.executable, "-m", "lstm_xor", "bench", "--cases", ",".join(args.cases)]
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
                  not args.no_torch, args.cases)
    print(format_table(figures))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(figures, f, indent=2)
    return 0
