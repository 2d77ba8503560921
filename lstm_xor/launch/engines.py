"""Notebook runs on ipyparallel engines started under mpiexec: the cluster's life cycle, the wait for
results with progress, and failures told apart (a dead engine, a failed rank, a hang, a broken controller)."""

import glob
import os
import re
import shutil
import tempfile
import time
import warnings

import numpy as np

from lstm_xor.blas import set_blas_threads
from lstm_xor.comm import MpiComm
from lstm_xor.config import flat, split
from lstm_xor.launch.mpi import mpi_env, mpiexec_args, mpiexec_path, warn_oversubscribed, warn_world
from lstm_xor.launch.procs import descendants, end_with, reap
from lstm_xor.launch.progress import engines_display, epoch_writer, first_epoch, read_summaries
from lstm_xor.train.loop import build_model, train

EPOCH_TIMEOUT = 1800.0  # seconds a notebook run waits for the next epoch before it calls the job hung
POLL_SECONDS = 0.25
FIRST_TASK_SECONDS = 30.0  # an empty task answers in well under a second; 30 s allows for a loaded machine
_LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\d[ T]\d\d:\d\d")


class EngineJobError(RuntimeError):
    """The MPI engines of a notebook run failed, died or hung; every process of the job is stopped."""


class ControllerError(EngineJobError):
    """The engines registered but no task reached them: the controller started broken.

    Seen here when two clusters started in the same second: one controller lost a port
    to the other between choosing it and binding it, and its task queue never started.
    """


def run_notebook(config, launch, epoch_timeout=None, on_progress=None, progress=None):
    """Train from a notebook: engines == 1 in this process, engines > 1 on ipyparallel MPI engines.

    ``epoch_timeout`` (seconds; default $LSTM_XOR_EPOCH_TIMEOUT or 1800) is how long
    the notebook waits for the next epoch (the first includes start-up) before it calls
    the job hung and stops it. ``on_progress(summary)`` is called in this process for
    every finished epoch, with rank 0's short summary of it. ``progress``: see
    :func:`lstm_xor.train.progress.choose`.
    """
    if launch.engines == 1:
        set_blas_threads(launch.threads)
        return train(config, launch=launch, progress=progress)
    try:
        return run_engines(config, launch, epoch_timeout, on_progress, progress=progress)
    except ControllerError as e:  # nothing was trained: a fresh cluster (new ports) usually starts
        warnings.warn(f"{e}\nStarting a fresh controller and engines once more.", stacklevel=2)
        return run_engines(config, launch, epoch_timeout, on_progress, progress=progress)


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


def _engine_train(values, progress_path, owner=None, controller=None):
    """Runs on every ipyparallel engine: one rank of the MPI job (``values``: its flat parameters).
    Returns (rank, record, params).

    ``owner``: the pid of the process that started the job; when it is gone (killed
    before its clean-up could run), every engine ends itself, and rank 0 stops the
    ``controller`` too, so nothing is left computing for nobody.
    """
    config, launch = split(values)
    set_blas_threads(launch.threads)
    comm = MpiComm()
    warn_world(launch, comm)
    if owner is not None:
        end_with(owner, controller if comm.rank == 0 else None)
    record = train(config, comm=comm, launch=launch, progress=False, on_epoch=epoch_writer(progress_path))
    model = record.pop("model")
    if comm.rank != 0:
        return comm.rank, None, None
    return comm.rank, record, np.array(model.flat)


def _job_output(launcher, limit=3000):
    try:
        text = launcher.get_output(remove=False) or ""
    except Exception:  # noqa: BLE001 - the output is only a hint in an error message
        text = ""
    # Keep what mpiexec itself said (Open MPI's notices), not the engines' timestamped log lines.
    text = "\n".join(line for line in text.splitlines() if line.strip() and not _LOG_LINE.match(line)).strip()
    return ("\n--- mpiexec output (tail) ---\n" + text[-limit:]) if text else ""


def _cluster(launch, workdir, startup_timeout):
    """(an ipyparallel cluster of ``launch.engines`` MPI engines, its log folder), all of it under ``workdir``."""
    import ipyparallel as ipp
    from traitlets.config import Config
    ipython_dir = os.path.join(workdir, "ipython")
    profile_dir = os.path.join(ipython_dir, "profile_lstm_xor")
    os.makedirs(profile_dir)
    c = Config()
    c.MPILauncher.mpi_cmd = [mpiexec_path()]
    c.MPILauncher.mpi_args = mpiexec_args()
    c.MPILauncher.environment = mpi_env(launch.threads, base={}, IPYTHONDIR=ipython_dir, LSTM_XOR_WARNED=1)
    c.LocalControllerLauncher.environment = {"IPYTHONDIR": ipython_dir}
    c.LocalProcessLauncher.stop_seconds_until_kill = 3
    c.EngineLauncher.engine_args = ["--log-level=40"]  # engine logs stay out of the job's output
    c.ControllerLauncher.controller_args = ["--log-level=40"]
    return ipp.Cluster(engines="mpi", n=launch.engines, log_level=40, profile_dir=profile_dir, config=c,
                       controller_ip="127.0.0.1", engine_timeout=int(startup_timeout)), os.path.join(profile_dir, "log")


def _start(cluster, n, processes, startup_timeout):
    """Start the controller and n engines; returns (engine set, client) once all n have registered."""
    cluster.start_controller_sync()
    processes += descendants(cluster.controller.pid)
    engines = cluster.engines[cluster.start_engines_sync(n)]
    processes += descendants(engines.pid)
    client = cluster.connect_client_sync()
    deadline = time.monotonic() + startup_timeout
    while len(client.ids) < n:
        if not engines.running:
            raise EngineJobError(f"the {n} MPI engines ended while starting{_job_output(engines)}")
        if time.monotonic() > deadline:
            raise EngineJobError(f"only {len(client.ids)} of {n} engines registered in {startup_timeout:.0f} s")
        time.sleep(POLL_SECONDS)
    processes += descendants(engines.pid)  # the engines themselves, children of mpiexec
    return engines, client


def run_engines(config, launch, epoch_timeout=None, on_progress=None, startup_timeout=120.0, progress=None):
    """Train ``config`` on ``launch.engines`` ipyparallel engines started with mpiexec.

    Returns rank 0's record with ``record["model"]`` rebuilt from the final parameters.
    Raises EngineJobError within about a second if the MPI job ends (an engine died: Open
    MPI then stops the others), or when no epoch finishes within ``epoch_timeout``.
    The controller, mpiexec and every engine are stopped in all cases.
    """
    if epoch_timeout is None:
        epoch_timeout = float(os.environ.get("LSTM_XOR_EPOCH_TIMEOUT", EPOCH_TIMEOUT))
    warn_oversubscribed(launch.engines)
    workdir = tempfile.mkdtemp(prefix="lstm_xor-ipp-")  # IPYTHONDIR, profile, progress file: all ours
    progress_path = os.path.join(workdir, "progress.json")
    cluster, log_dir = _cluster(launch, workdir, startup_timeout)
    processes, client = [], None
    try:
        engines, client = _start(cluster, launch.engines, processes, startup_timeout)
        first_answer(client, FIRST_TASK_SECONDS, log_dir)
        ar = client[:].apply_async(_engine_train, flat(config, launch), progress_path, os.getpid(),
                                   cluster.controller.pid)
        watch = _Watch(ar, client, engines, config, launch, progress_path, epoch_timeout, on_progress)
        first = first_epoch(launch)
        results = watch.results(engines_display(config, launch, first, progress), first)
    finally:
        _stop(client, cluster, processes)
        shutil.rmtree(workdir, ignore_errors=True)
    rank0 = next(r for r in results if r[0] == 0)
    record = rank0[1]
    model = build_model(config)
    model.flat[...] = rank0[2]
    record["model"] = model
    return record


def _stop(client, cluster, processes):
    if client is not None:
        try:
            client.close()
        except Exception:  # noqa: BLE001 - closing a client of a dead cluster may fail; stopping matters
            pass
    try:
        cluster.stop_cluster_sync()
    except Exception:  # noqa: BLE001 - a dead engine set may fail to stop cleanly; reap finishes it
        pass
    reap(processes)


class _Watch:
    """Waits for the engines' results, showing each finished epoch; EngineJobError on death or hang."""

    def __init__(self, ar, client, engines, config, launch, progress_path, epoch_timeout, on_progress):
        self.ar, self.client, self.engines, self.config, self.launch = ar, client, engines, config, launch
        self.progress_path, self.epoch_timeout, self.on_progress = progress_path, epoch_timeout, on_progress

    def results(self, display, first):
        """The engines' (rank, record, params) results, once they are all in."""
        seen, last = first, time.monotonic()
        try:
            while True:
                results = self._poll()
                if results is not None:
                    self._show(display, read_summaries(self.progress_path, seen))
                    return results
                new = read_summaries(self.progress_path, seen)
                if new:
                    self._show(display, new)
                    seen, last = new[-1]["epoch"], time.monotonic()
                if time.monotonic() - last > self.epoch_timeout:
                    raise EngineJobError(
                        f"no epoch finished in {self.epoch_timeout:g} s (waiting for epoch {seen + 1} of "
                        f"{self.config.epochs}): a rank hangs or the job is far slower than expected, so it was "
                        "stopped. Set LSTM_XOR_EPOCH_TIMEOUT (seconds) or run_notebook(config, launch, "
                        "epoch_timeout=...) for slower runs.")
                self._check_alive(seen)
        finally:
            display.close()

    def _show(self, display, summaries):
        for summary in summaries:
            display.end_epoch(summary["epoch"], summary["epoch_loss"], summary["epoch_seconds"], summary["test"])
            if self.on_progress:
                self.on_progress(summary)

    def _poll(self):
        import ipyparallel as ipp
        try:
            return self.ar.get(timeout=POLL_SECONDS)
        except ipp.error.TimeoutError:
            return None
        except (ipp.error.CompositeError, ipp.error.EngineError, ipp.error.RemoteError) as e:
            raise EngineJobError(_remote_message(e, self.engines)) from e

    def _check_alive(self, seen):
        failed = _failed_early(self.ar, self.client)
        if failed:
            raise EngineJobError(f"training failed on an engine: {failed}; the other engines were stopped")
        if not self.engines.running:
            code = (self.engines.stop_data or {}).get("exit_code")
            raise EngineJobError(
                f"the MPI job of the {self.launch.engines} engines ended during epoch {seen + 1} (mpiexec exit "
                f"code {code}): an engine died and Open MPI stopped the others. The last finished epoch's "
                f"checkpoint (if checkpoint_dir is set) lets the run resume.{_job_output(self.engines)}")


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
