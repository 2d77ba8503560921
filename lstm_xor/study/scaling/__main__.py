"""``python -m lstm_xor.study.scaling KIND SPEC OUT``: one rank of a scaling job (see jobs.py)."""

import sys

from lstm_xor.study.scaling.jobs import main

sys.exit(main(sys.argv[1:]))
