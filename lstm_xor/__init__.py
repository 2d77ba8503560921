"""NumPy recurrent networks (RNN, LSTM, GRU) with exact BPTT, Adam and MPI data parallelism."""

__version__ = "0.1.0"
