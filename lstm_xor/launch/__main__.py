"""``python -m lstm_xor.launch CONFIG_JSON``: the entry of the ranks that ``launch`` starts under mpiexec."""

import sys

from lstm_xor.launch import mpi_main

sys.exit(mpi_main(sys.argv[1:]))
