"""NumPy recurrent networks (RNN, LSTM, GRU) with exact BPTT, Adam and MPI data parallelism."""

__version__ = "0.2.0"

# The version of the numbers: bump it with any change that can move a run's figures
# (a loss, a gradient, a random stream, an update). Run fingerprints carry it, so
# `python -m lstm_xor runs` re-executes exactly the runs whose numbers could have moved;
# tests/test_golden.py fails when a trajectory moves and this number does not.
NUMERICS_VERSION = 2
