"""``python -m lstm_xor.launch CONFIG_JSON``: the entry of the ranks that ``launch_job`` starts under mpiexec."""

import sys

from lstm_xor.launch.mpi import mpi_main

sys.exit(mpi_main(sys.argv[1:]))
