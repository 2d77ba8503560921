"""Launchers: how and where a run goes. Training talks to a communicator (lstm_xor.comm);
this package starts the processes that hold one. Three ways to run one configuration,
all through :func:`lstm_xor.train.loop.train`:

- one process (``engines == 1``): :class:`SerialComm`, every collective is the identity;
- ``mpiexec -n N python -m lstm_xor train ...`` (batch systems): every rank builds
  :func:`world_comm`, an :class:`MpiComm` over ``MPI.COMM_WORLD``; rank 0 writes the
  record and the checkpoints. ``python -m lstm_xor train --engines N`` outside mpiexec
  starts that job itself (:mod:`~lstm_xor.launch.mpi`);
- from a notebook (:func:`run_notebook`): N ipyparallel engines started under mpiexec,
  the record brought back from rank 0, progress per epoch, and every process stopped
  when the run ends, fails or hangs (:mod:`~lstm_xor.launch.engines`, :mod:`~lstm_xor.launch.procs`).

What a run is (``RunConfig``) and how it goes (``Launch``: engines, threads, paths,
resumption) are made from one flat dict of names by :func:`split`.
mpi4py, ipyparallel, psutil and tqdm are imported lazily, so the package imports and
trains in one process with NumPy alone. Every place the project starts mpiexec goes
through :func:`mpiexec_command` and :func:`mpi_env`, or :func:`run_module` for a job of
any module.
"""

from lstm_xor.config import Launch, from_notebook, split
from lstm_xor.launch.engines import ControllerError, EngineJobError, run_notebook
from lstm_xor.launch.mpi import MpiJobError, cores, mpi_env, mpiexec_command, run_cli, run_module

__all__ = ["ControllerError", "EngineJobError", "Launch", "MpiJobError", "cores", "from_notebook", "mpi_env",
           "mpiexec_command", "run_cli", "run_module", "run_notebook", "split"]
