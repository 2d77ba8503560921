"""Communicators: what the training loop talks to. Only this module and lstm_xor.launch touch MPI,
and this one imports nothing of training.

:class:`SerialComm` is one process (every collective is the identity); :class:`MpiComm`
wraps an MPI communicator behind the same calls: one in-place sum of one flat buffer,
a barrier, and a check that every rank holds bit-identical parameters. mpi4py is
imported lazily, so the package imports and trains in one process with NumPy alone.
"""

import hashlib
import os

import numpy as np

# Environment variables that MPI launchers set in the processes they start.
_MPI_ENV = ("OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE", "MV2_COMM_WORLD_SIZE")


class SerialComm:
    """One process: every collective is the identity."""

    rank, size = 0, 1

    def allreduce_sum(self, buf):
        return buf

    def check_identical(self, flat):
        return None

    def barrier(self):
        return None


class MpiComm:
    """An MPI communicator (``MPI.COMM_WORLD`` unless given) behind the same four calls."""

    def __init__(self, comm=None):
        from mpi4py import MPI
        self._MPI = MPI
        self.comm = MPI.COMM_WORLD if comm is None else comm
        self.rank = self.comm.Get_rank()
        self.size = self.comm.Get_size()

    def allreduce_sum(self, buf):
        """Sum ``buf`` (a contiguous float32/float64 array) over all ranks, in place; returns it."""
        if not (isinstance(buf, np.ndarray) and buf.flags.c_contiguous):
            raise TypeError("allreduce_sum needs a C-contiguous NumPy array")
        self.comm.Allreduce(self._MPI.IN_PLACE, buf, op=self._MPI.SUM)
        return buf

    def check_identical(self, flat):
        """Raise RuntimeError on every rank if the ranks' parameters are not bit-identical.

        Each rank hashes its parameter bytes; the digests are gathered everywhere, so
        all ranks reach the same verdict (none is left waiting in a collective).
        """
        digest = hashlib.blake2b(np.ascontiguousarray(flat).tobytes(), digest_size=16).hexdigest()
        digests = self.comm.allgather(digest)
        if len(set(digests)) == 1:
            return None
        odd = [r for r, d in enumerate(digests) if d != digests[0]]
        values = np.ascontiguousarray(flat, dtype=np.float64)
        high, low = values.copy(), values.copy()
        self.comm.Allreduce(self._MPI.IN_PLACE, high, op=self._MPI.MAX)
        self.comm.Allreduce(self._MPI.IN_PLACE, low, op=self._MPI.MIN)
        spread = np.nan_to_num(high - low, nan=np.inf)
        worst = int(np.argmax(spread))
        raise RuntimeError(
            f"parameters differ across MPI ranks: rank(s) {odd} of {self.size} do not match rank 0 "
            f"(largest difference {spread[worst]:.3g} at parameter {worst}); the ranks no longer train "
            "the same model, so the run is stopped. This is a bug or a broken all-reduce, never expected.")

    def barrier(self):
        self.comm.Barrier()


def under_mpi():
    """True when this process was started by an MPI launcher (mpiexec, srun with PMI/PMIx)."""
    return any(var in os.environ for var in _MPI_ENV)


def world_comm():
    """MpiComm over the MPI world when launched under mpiexec with more than one process, else SerialComm."""
    if not under_mpi():
        return SerialComm()
    comm = MpiComm()
    return comm if comm.size > 1 else SerialComm()
