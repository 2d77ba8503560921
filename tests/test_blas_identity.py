"""The kernels a run is computed with: pinned before NumPy loads, named in every record, and enough to
re-run a committed float32 run to the last bit."""

import json
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from lstm_xor import blas
from lstm_xor.comm import SerialComm
from lstm_xor.train import loop
from lstm_xor.train.loop import environment, every_rank, train

RUNS = Path(__file__).resolve().parents[1] / "book" / "runs"
TINY = dict(n_samples=200, min_length=3, max_length=8, hidden=8, batch_size=16, epochs=2, dtype="float32",
            metrics_path="")
HASWELL = pytest.mark.skipif(not blas.cpu_supports(blas.PINNED_KERNEL), reason="this CPU has no Haswell kernels")


class PairComm:
    """Two ranks in two threads of one process: allreduce_sum sums their buffers, as MPI would."""

    def __init__(self):
        self.slots, self.barrier = [None, None], threading.Barrier(2)

    def rank_view(self, rank):
        view = type("Rank", (), {})()
        view.rank, view.size = rank, 2
        view.allreduce_sum = lambda buf: self._sum(rank, buf)
        return view

    def _sum(self, rank, buf):
        self.slots[rank] = buf.copy()
        self.barrier.wait()
        total = self.slots[0] + self.slots[1]
        self.barrier.wait()
        buf[...] = total
        return buf


def test_every_rank_gathers_each_ranks_text_in_rank_order():
    pair, got = PairComm(), {}
    texts = ["rank zero: Haswell", "rank één: SkylakeX, longer"]
    threads = [threading.Thread(target=lambda r=r: got.update({r: every_rank(pair.rank_view(r), texts[r])}))
               for r in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert got == {0: texts, 1: texts}
    assert every_rank(SerialComm(), "alone") == ["alone"]


def test_a_record_names_the_kernels_that_computed_it():
    record = train(TINY, progress=False)
    env = record["environment"]
    assert env["blas"] == dict(blas.blas_info(), source="recorded")
    assert env["blas"]["api"] == "openblas" and env["blas"]["architecture"]
    assert env["numpy_simd"]["targets"] and env["numpy_simd"]["source"] == "recorded"
    assert "kernels_by_rank" not in env


def test_ranks_that_disagree_are_all_recorded(monkeypatch):
    kernels = [{"blas": {"architecture": name}, "numpy_simd": {"targets": ["X86_V3"]}} for name in ("Haswell", "Zen")]
    monkeypatch.setattr(loop, "every_rank", lambda comm, text: [json.dumps(k) for k in kernels])
    assert environment(1, SerialComm())["kernels_by_rank"] == kernels


def test_cpu_supports_reads_the_flags_each_kernel_set_needs():
    assert blas.cpu_supports("Haswell", {"avx", "avx2", "fma"}) and blas.cpu_supports("haswell", {"avx2", "fma"})
    assert not blas.cpu_supports("Haswell", {"avx", "sse4_2"})
    assert not blas.cpu_supports("SkylakeX", {"avx2", "fma", "avx512f"})
    assert not blas.cpu_supports("NoSuchCore", {"avx2", "fma"}) and not blas.cpu_supports(None, set())


def test_kernel_env_and_the_recorded_kernel():
    env = blas.kernel_env("Haswell", base={"KEEP": "1"})
    assert env == {"KEEP": "1", "OPENBLAS_CORETYPE": "Haswell", "NPY_DISABLE_CPU_FEATURES": blas.NUMPY_AVX512}
    assert blas.recorded_kernel({"environment": {"blas": {"architecture": "Haswell"}}}) == "Haswell"
    assert blas.recorded_kernel({"environment": {}}) is None and blas.recorded_kernel({}) is None


def test_once_numpy_is_loaded_children_are_told_its_kernels_and_a_users_value_wins():
    environ = {}
    blas.pin_kernels(environ)  # NumPy is loaded in this process: its kernels are chosen
    assert environ == {"OPENBLAS_CORETYPE": blas.blas_info()["architecture"], "NPY_DISABLE_CPU_FEATURES": ""}
    mine = {"OPENBLAS_CORETYPE": "Sandybridge", "NPY_DISABLE_CPU_FEATURES": "X86_V4"}
    blas.pin_kernels(mine)
    assert mine == {"OPENBLAS_CORETYPE": "Sandybridge", "NPY_DISABLE_CPU_FEATURES": "X86_V4"}


def _kernels_in_a_fresh_process(env):
    code = "import lstm_xor\nfrom lstm_xor.blas import blas_info, numpy_simd\nprint(blas_info()['architecture'], " \
           "*numpy_simd()['targets'])"
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


@HASWELL
def test_importing_lstm_xor_first_pins_the_books_kernels(monkeypatch):
    for var in ("OPENBLAS_CORETYPE", "NPY_DISABLE_CPU_FEATURES"):
        monkeypatch.delenv(var, raising=False)
    import os
    kernel, *targets = _kernels_in_a_fresh_process(dict(os.environ))
    assert kernel == "Haswell" and "X86_V4" not in targets
    kernel, *_ = _kernels_in_a_fresh_process(dict(os.environ, OPENBLAS_CORETYPE="Sandybridge"))
    assert kernel == "Sandybridge"


def test_the_same_run_twice_is_bit_identical():
    first, second = (train(dict(TINY, cell="rnn", seed=3), progress=False) for _ in range(2))
    assert first["history"]["iteration_loss"] == second["history"]["iteration_loss"]
    assert first["test"] == second["test"]
    assert np.array_equal(first["model"].flat, second["model"].flat)


@HASWELL
def test_a_committed_float32_run_re_runs_bit_for_bit_under_its_recorded_kernels(tmp_path):
    """bptt-full-rnn-s1 once differed from its record in 10 of 400 iteration losses (one float32 ulp) with the
    Haswell OpenBLAS alone: NumPy's AVX-512 log1p (the loss's) was the rest. Both pinned: every bit matches."""
    record = json.loads((RUNS / "bptt-full-rnn-s1.json").read_text())
    assert blas.recorded_kernel(record) == "Haswell"
    values = dict(record["config"], metrics_path=str(tmp_path / "r.json"), checkpoint_dir="")
    # as `python -m lstm_xor train` runs it: run_cli sets the recorded BLAS threads, which also move the bits
    code = f"from lstm_xor.config import split\nfrom lstm_xor.launch.mpi import run_cli\nrun_cli(*split({values!r}))\n"
    done = subprocess.run([sys.executable, "-c", code], env=blas.kernel_env("Haswell"), capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    again = json.loads((tmp_path / "r.json").read_text())
    assert again["environment"]["blas"]["architecture"] == "Haswell"
    assert again["history"]["iteration_loss"] == record["history"]["iteration_loss"]
    assert again["test"] == record["test"]


@pytest.mark.slow
@HASWELL
def test_an_mpi_job_whose_ranks_disagree_records_every_ranks_kernels(tmp_path):
    """Two ranks started with different OpenBLAS kernel sets (an MPMD job): rank 0's record lists both."""
    from lstm_xor.launch.mpi import mpi_env, mpiexec_args, mpiexec_path
    values = json.dumps(dict(TINY, epochs=1, engines=2, metrics_path=str(tmp_path / "r.json")))

    def rank(kernel):
        return ["-n", "1", "env", f"OPENBLAS_CORETYPE={kernel}", sys.executable, "-m", "lstm_xor.launch", values]
    argv = [mpiexec_path(), *mpiexec_args(), *rank("Haswell"), ":", *rank("Sandybridge")]
    done = subprocess.run(argv, env=mpi_env(1, LSTM_XOR_WARNED=1), capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-2000:]
    env = json.loads((tmp_path / "r.json").read_text())["environment"]
    assert env["blas"]["architecture"] == "Haswell"
    assert [r["blas"]["architecture"] for r in env["kernels_by_rank"]] == ["Haswell", "Sandybridge"]
