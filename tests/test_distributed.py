"""Data-parallel training over real MPI: mpiexec jobs and ipyparallel engines started from a notebook.

Marked slow (they start MPI jobs and clusters) but part of the normal suite.
"""

import os
import signal
import subprocess
import sys
import textwrap
import time
import warnings
from dataclasses import replace

import numpy as np
import psutil
import pytest

from lstm_xor.comm import SerialComm, world_comm
from lstm_xor.config import RunConfig, split
from lstm_xor.launch import (
    ControllerError,
    EngineJobError,
    MpiJobError,
    cores,
    mpi_env,
    mpiexec_command,
    run_module,
    run_notebook,
)
from lstm_xor.launch import engines as engine_jobs
from lstm_xor.records import load_checkpoint, read_record
from lstm_xor.train.loop import build_model, train

# float64, so engine counts may differ only by the order of floating-point sums; two layers with
# dropout between them, whose masks are drawn for the global batch and so must not depend on the rank.
SMALL = dict(n_samples=400, hidden=16, dtype="float64", epochs=2, batch_size=32, seed=0, layers=2, dropout=0.25)
# Epochs long enough (about a second or more) that a kill after epoch 1 lands mid-run.
LONGER = dict(n_samples=3000, hidden=32, dtype="float64", epochs=4, batch_size=32, seed=1)
LAUNCHED = ("ipyparallel", "mpiexec", "prterun", "prted", "ipcontroller", "ipengine")
TOL = 1e-9


def rel(a, b):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), 1e-300)))


def cli_flags(values):
    return [f"--{k}={str(v).lower() if isinstance(v, bool) else v}" for k, v in values.items()]


def cli(n, values, mpiexec=True, timeout=180):
    """`[mpiexec -n n] python -m lstm_xor train --flags`, as the project launches it."""
    program = [sys.executable, "-m", "lstm_xor", "train", *cli_flags(values)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # oversubscribed: expected with 4 ranks on 2 cores
        argv = mpiexec_command(n, program) if mpiexec else program
    done = subprocess.run(argv, env=mpi_env(1), capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    return done


# Every process these tests start inherits this variable, so the checks for leftovers see
# only this test session's processes, not another MPI job that shares the machine.
MARK = ("LSTM_XOR_TEST_SESSION", str(os.getpid()))
os.environ[MARK[0]] = MARK[1]


def launched_processes():
    """pid -> cmdline of every running MPI / ipyparallel process that this test session started."""
    found = {}
    for p in psutil.process_iter(["pid", "cmdline", "status"]):
        line = " ".join(p.info["cmdline"] or [])
        if p.info["status"] != psutil.STATUS_ZOMBIE and any(word in line for word in LAUNCHED):
            try:
                ours = p.environ().get(MARK[0]) == MARK[1]
            except psutil.Error:
                continue
            if ours:
                found[p.info["pid"]] = line
    return found


def engine_pid(rank):
    """The ipyparallel engine process of MPI rank ``rank`` among this process's descendants."""
    for p in psutil.Process().children(recursive=True):
        try:
            if "ipyparallel.engine" in " ".join(p.cmdline()) and p.environ().get("OMPI_COMM_WORLD_RANK") == str(rank):
                return p.pid
        except psutil.Error:
            continue
    raise AssertionError(f"no engine of rank {rank} found")


@pytest.fixture(scope="module")
def engine_runs(tmp_path_factory):
    """The same float64 run on 1, 2 and 4 MPI ranks: {n: (record, final params, stderr)}.

    1: `mpiexec -n 1` (world size 1 is the serial path); 2: `python -m lstm_xor train
    --engines 2`, which starts mpiexec itself; 4: `mpiexec -n 4` with engines left at 1
    (the world size wins, with a warning) and 4 > 2 cores (oversubscribed, with a warning).
    """
    base = tmp_path_factory.mktemp("engines")
    runs = {}
    for n, engines, mpiexec in ((1, 1, True), (2, 2, False), (4, 1, True)):
        values = dict(SMALL, engines=engines, metrics_path=str(base / f"run{n}.json"),
                      checkpoint_dir=str(base / f"ck{n}"))
        done = cli(n, values, mpiexec=mpiexec)
        runs[n] = (read_record(values["metrics_path"]), load_checkpoint(values["checkpoint_dir"])[0], done.stderr)
    return runs


def _same_run(a, b, params_a=None, params_b=None):
    assert a["status"] == b["status"] == "completed"
    assert a["epochs_completed"] == b["epochs_completed"]
    for key in ("iteration_loss", "epoch_loss", "test_loss", "test_last_bit_accuracy", "test_sequence_accuracy"):
        assert rel(a["history"][key], b["history"][key]) < TOL, key
    for key in ("correct_last_bit", "correct_sequences", "n"):
        assert a["test"][key] == b["test"][key]
    assert rel(a["test"]["loss"], b["test"]["loss"]) < TOL
    if params_a is not None:
        assert rel(params_a, params_b) < TOL


@pytest.mark.slow
def test_one_two_and_four_engines_give_the_same_run(engine_runs):
    record1, params1, _ = engine_runs[1]
    assert record1["environment"]["engines"] == 1
    for n in (2, 4):
        record, params, _ = engine_runs[n]
        assert record["environment"]["engines"] == n and record["config"]["engines"] == n
        _same_run(record1, record, params1, params)
    assert not np.array_equal(params1, build_model(RunConfig(**SMALL)).flat), "training moved the parameters"


@pytest.mark.slow
def test_world_size_wins_over_engines_with_warnings(engine_runs):
    stderr = engine_runs[4][2]
    assert "engines=1 but the MPI job has 4 rank(s)" in stderr
    if cores() < 4:
        assert "oversubscribed" in stderr


@pytest.mark.slow
def test_resume_with_another_engine_count_gives_the_uninterrupted_run(engine_runs, tmp_path):
    """One epoch on 1 process, then the second on 4 MPI ranks == both epochs on 2 ranks."""
    values = dict(SMALL, epochs=1, metrics_path=str(tmp_path / "part.json"), checkpoint_dir=str(tmp_path / "ck"))
    train(values, progress=False)
    values.update(epochs=2, engines=4, resume=True, metrics_path=str(tmp_path / "resumed.json"))
    cli(4, values)
    resumed = read_record(values["metrics_path"])
    assert resumed["environment"]["engines"] == 4
    _same_run(engine_runs[2][0], resumed, engine_runs[2][1], load_checkpoint(values["checkpoint_dir"])[0])


@pytest.mark.slow
def test_truncated_bptt_gives_the_same_run_on_one_and_three_ranks(tmp_path):
    """Randomized cuts over mixed lengths: every rank cuts the global batch alike and takes as many steps
    (a rank whose rows all end before a chunk still joins its all-reduce), so the runs agree."""
    runs = {}
    for n in (1, 3):
        values = dict(SMALL, bptt="randomized", bptt_p=0.2, min_length=1, max_length=20, batch_size=8,
                      metrics_path=str(tmp_path / f"run{n}.json"), checkpoint_dir=str(tmp_path / f"ck{n}"))
        cli(n, values)
        runs[n] = read_record(values["metrics_path"]), load_checkpoint(values["checkpoint_dir"])[0]
    _same_run(runs[1][0], runs[3][0], runs[1][1], runs[3][1])


@pytest.mark.slow
def test_check_identical_raises_on_every_rank_when_parameters_differ(tmp_path):
    script = tmp_path / "differ.py"
    script.write_text(textwrap.dedent("""
        import numpy as np
        from lstm_xor.comm import MpiComm, world_comm
        comm = world_comm()
        assert isinstance(comm, MpiComm) and comm.size == 2
        x = np.linspace(0.0, 1.0, 1000)
        comm.check_identical(x)  # the same everywhere: passes
        buf = np.full(3, comm.rank + 1.0)
        assert comm.allreduce_sum(buf) is buf and np.all(buf == 3.0)
        if comm.rank == 1:
            x[7] += 1e-12
        try:
            comm.check_identical(x)
        except RuntimeError as e:
            print(f"rank {comm.rank} raised: {e}", flush=True)
        comm.barrier()
    """))
    done = subprocess.run(mpiexec_command(2, [sys.executable, str(script)]), env=mpi_env(1),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    for rank in (0, 1):
        assert f"rank {rank} raised: parameters differ across MPI ranks: rank(s) [1] of 2" in done.stdout
    assert "at parameter 7" in done.stdout


def test_serial_outside_mpiexec_and_launch_environment(monkeypatch):
    for var in ("OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE"):
        monkeypatch.delenv(var, raising=False)
    assert isinstance(world_comm(), SerialComm)
    before = dict(os.environ)
    env = mpi_env(2)
    assert env["OMPI_ALLOW_RUN_AS_ROOT"] == env["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] == "1"
    assert env["OPENBLAS_NUM_THREADS"] == "2"
    assert dict(os.environ) == before, "the root/oversubscribe settings stay in the launched job"
    with pytest.warns(RuntimeWarning, match="oversubscribed"):
        argv = mpiexec_command(cores() + 1, ["true"])
    assert "--oversubscribe" in argv and argv[1:3] == ["-n", str(cores() + 1)]


@pytest.mark.slow
def test_notebook_engines_match_the_mpiexec_run(engine_runs, tmp_path):
    before = set(launched_processes())
    seen = []
    config, launch = split(dict(SMALL, engines=2, metrics_path=str(tmp_path / "nb.json"),
                                checkpoint_dir=str(tmp_path / "ck")))
    record = run_notebook(config, launch, on_progress=seen.append)
    _same_run(engine_runs[2][0], record, engine_runs[2][1], record["model"].flat)
    assert read_record(launch.metrics_path)["test"] == record["test"]
    assert record["environment"]["engines"] == 2
    assert [p["epoch"] for p in seen] == [1, 2], "every epoch is reported, in order"
    assert set(launched_processes()) <= before, "no MPI or ipyparallel process is left"


@pytest.mark.slow
def test_an_engine_killed_mid_run_raises_within_seconds_and_leaves_nothing(tmp_path):
    before = set(launched_processes())
    config, launch = split(dict(LONGER, engines=2, metrics_path=str(tmp_path / "run.json"),
                                checkpoint_dir=str(tmp_path / "ck")))
    killed = {}

    def kill_rank_1(progress):
        if progress["epoch"] >= 1 and not killed:
            os.kill(engine_pid(1), signal.SIGKILL)
            killed["at"] = time.monotonic()

    with pytest.raises(EngineJobError, match="died") as caught:
        run_notebook(config, launch, on_progress=kill_rank_1)
    raised_after = time.monotonic() - killed["at"]
    assert raised_after < 10, f"the error came {raised_after:.1f} s after the kill"
    assert "Engine" in str(caught.value)
    assert set(launched_processes()) <= before, "no MPI or ipyparallel process is left"
    # The last finished epoch's checkpoint is sound, and the run resumes from it in one process.
    epoch = load_checkpoint(launch.checkpoint_dir)[2]["epoch"]
    assert 1 <= epoch < config.epochs
    resumed = run_notebook(config, replace(launch, engines=1, resume=True))
    assert resumed["status"] == "completed" and resumed["epochs_completed"] == config.epochs
    assert len(resumed["history"]["epoch_loss"]) == config.epochs


@pytest.mark.slow
def test_a_hung_rank_is_stopped_by_the_epoch_timeout(tmp_path):
    before = set(launched_processes())
    config, launch = split(dict(LONGER, engines=2, metrics_path=str(tmp_path / "run.json")))
    stopped = []

    def stop_rank_1(progress):
        if progress["epoch"] >= 1 and not stopped:
            pid = engine_pid(1)
            os.kill(pid, signal.SIGSTOP)  # alive but never answers: rank 0 waits in the all-reduce
            stopped.append(pid)

    start = time.monotonic()
    with pytest.raises(EngineJobError, match="no epoch finished in 3 s"):
        run_notebook(config, launch, epoch_timeout=3, on_progress=stop_rank_1)
    assert stopped, "the hang was injected"
    assert time.monotonic() - start < 90
    assert not psutil.pid_exists(stopped[0]) or psutil.Process(stopped[0]).status() == psutil.STATUS_ZOMBIE
    assert set(launched_processes()) <= before, "no MPI or ipyparallel process is left"


@pytest.mark.slow
def test_a_failure_on_the_engines_is_reported_and_cleaned_up(tmp_path):
    before = set(launched_processes())
    config, launch = split(dict(SMALL, engines=2, resume=True, checkpoint_dir=str(tmp_path / "none"),
                                metrics_path=str(tmp_path / "run.json")))
    with pytest.raises(EngineJobError, match="training failed on the engines: ValueError"):
        run_notebook(config, launch)
    assert set(launched_processes()) <= before



@pytest.mark.slow
def test_engines_end_when_the_notebook_process_is_killed(tmp_path):
    """A notebook killed mid-run (SIGKILL: no clean-up of its own) leaves no engine or controller behind."""
    before = set(launched_processes())
    script = tmp_path / "owner.py"
    script.write_text(textwrap.dedent(f"""
        from lstm_xor.launch import run_notebook, split
        values = dict({dict(LONGER, epochs=40)!r}, engines=2, metrics_path={str(tmp_path / "run.json")!r})
        run_notebook(*split(values), on_progress=lambda p: print("epoch", p["epoch"], flush=True))
    """))
    owner = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                             text=True)
    assert owner.stdout.readline().startswith("epoch"), "the job ran an epoch"
    owner.kill()
    owner.wait()
    deadline = time.monotonic() + 30
    while set(launched_processes()) - before and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not set(launched_processes()) - before, "engines and controller ended with their owner"
    assert not (tmp_path / "run.json").exists()


class _Unanswered:
    """A client whose engines registered and never answer: a controller whose task queue did not start."""
    ids = [0, 1]

    def __getitem__(self, key):
        return self

    def apply_async(self, f, *args):
        return self

    def get(self, timeout):
        import ipyparallel as ipp
        raise ipp.error.TimeoutError(f"no answer in {timeout} s")


def test_engines_that_register_but_never_answer_are_a_controller_error_with_its_log(tmp_path):
    (tmp_path / "ipcontroller-1-938.log").write_text(
        "2026-12-01 06:00:50.881 [IPController] heartbeat::waiting for subscription\n"
        "zmq.error.ZMQError: Address already in use (addr='tcp://127.0.0.1:49885')\n")
    with pytest.raises(ControllerError, match=r"did not answer a first, empty task in 0.1 s(.|\n)*Address already"):
        engine_jobs.first_answer(_Unanswered(), 0.1, str(tmp_path))


def test_a_broken_controller_is_started_afresh_once_and_only_once(monkeypatch):
    calls = []

    def broken_first(config, launch, *args, **kw):
        calls.append(launch.engines)
        if len(calls) == 1:
            raise ControllerError("no task reached the engines")
        return {"status": "completed"}

    monkeypatch.setattr(engine_jobs, "run_engines", broken_first)
    with pytest.warns(UserWarning, match="no task reached the engines\nStarting a fresh controller"):
        assert run_notebook(*split(dict(SMALL, engines=2))) == {"status": "completed"}
    assert calls == [2, 2]

    def always_broken(config, launch, *args, **kw):
        calls.append(launch.engines)
        raise ControllerError("still broken")

    calls.clear()
    monkeypatch.setattr(engine_jobs, "run_engines", always_broken)
    with pytest.raises(ControllerError, match="still broken"), pytest.warns(UserWarning):
        run_notebook(*split(dict(SMALL, engines=2)))
    assert calls == [2, 2]


def _module(tmp_path, body):
    """A module ``job`` in tmp_path, and the PYTHONPATH that finds it (and this package)."""
    (tmp_path / "job.py").write_text(textwrap.dedent(body))
    return os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")])


@pytest.mark.slow
def test_run_module_runs_a_module_on_n_ranks_with_the_threads_asked_for(tmp_path):
    path = _module(tmp_path, """
        import os
        from mpi4py import MPI
        print(MPI.COMM_WORLD.rank, MPI.COMM_WORLD.size, os.environ["OPENBLAS_NUM_THREADS"], flush=True)
    """)
    done = run_module(2, "job", threads=3, timeout=120, PYTHONPATH=path)
    assert sorted(done.stdout.split("\n")[:2]) == ["0 2 3", "1 2 3"]


@pytest.mark.slow
def test_run_module_names_a_failed_job_and_stops_one_past_its_timeout(tmp_path):
    path = _module(tmp_path, """
        import os, sys, time
        from mpi4py import MPI
        if sys.argv[1] == "fail":
            sys.exit("rank failed on purpose")
        open(f"{sys.argv[2]}/{os.getpid()}.pid", "w").close()
        time.sleep(120)
    """)
    with pytest.raises(MpiJobError, match="(?s)2-rank mpiexec job of job failed with exit code.*on purpose"):
        run_module(2, "job", ["fail", tmp_path], timeout=120, PYTHONPATH=path)
    start = time.monotonic()
    with pytest.raises(MpiJobError, match="ran past 5 s and was stopped"):
        run_module(2, "job", ["sleep", tmp_path], timeout=5, PYTHONPATH=path)
    assert time.monotonic() - start < 30
    pids = [int(p.stem) for p in tmp_path.glob("*.pid")]
    assert len(pids) == 2 and not any(psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
                                      for pid in pids), "every rank of the timed-out job is gone"
