import sys

from lstm_xor.cli import main

sys.exit(main())
