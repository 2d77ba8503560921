"""Communicators. Training talks to one of these; only this module touches MPI."""

import numpy as np


class SerialComm:
    """One process: every collective is the identity."""

    rank, size = 0, 1

    def allreduce_sum(self, buf):
        return buf

    def check_identical(self, flat):
        return None

    def barrier(self):
        return None


def world_comm():
    """The MPI world when launched under mpiexec with more than one process, else serial."""
    return SerialComm()


def run_cli(config):
    """Train from the command line: in this process, or as one rank of an mpiexec job.

    Returns the record on rank 0 and None elsewhere.
    """
    from lstm_xor.blas import set_blas_threads
    from lstm_xor.train import train
    set_blas_threads(config.threads)
    comm = world_comm()
    record = train(config, comm=comm)
    return record if comm.rank == 0 else None


def run_notebook(config):
    """Train from a notebook: engines == 1 in this process (more engines: ipyparallel, to come)."""
    from lstm_xor.blas import set_blas_threads
    from lstm_xor.train import train
    if config.engines != 1:
        raise NotImplementedError("engines > 1 from the notebook")
    set_blas_threads(config.threads)
    return train(config)
