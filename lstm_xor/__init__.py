"""NumPy recurrent networks (RNN, LSTM, GRU) with exact BPTT, Adam and MPI data parallelism."""

from lstm_xor.blas import pin_kernels

__version__ = "0.2.0"

# The version of the numbers: bump it with any change that can move a run's figures
# (a loss, a gradient, a random stream, an update). Run fingerprints carry it, so
# `python -m lstm_xor runs` re-executes exactly the runs whose numbers could have moved;
# tests/test_golden.py fails when a trajectory moves and this number does not.
NUMERICS_VERSION = 2

# The kernels are part of a float32 run's identity (README "The kernels a run is computed with"): set the
# book's before NumPy loads, here, so that `python -m lstm_xor`, a notebook that imports lstm_xor first and
# every process they start (papermill kernels, mpiexec ranks, ipyparallel engines) compute with them.
pin_kernels()
