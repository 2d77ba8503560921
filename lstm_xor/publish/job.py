"""`python -m lstm_xor.publish.job INPUT OUTPUT --cwd DIR --log FILE`: execute one run's page where it is started.

What a Slurm job of the driver runs (``publish.cluster``): the page, already made by the
driver, executed by papermill exactly as a local run executes it (``publish.execute``), its
record going where the page's parameters say. The driver then moves page and record into place.
"""

import argparse
import sys

from lstm_xor.publish.execute import error_text, papermill_execute


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m lstm_xor.publish.job", description=__doc__.split("\n")[0])
    parser.add_argument("input", help="the run's page to execute (.ipynb)")
    parser.add_argument("output", help="where papermill writes the executed page")
    parser.add_argument("--cwd", required=True, help="the folder the kernel runs in (the book's runs/)")
    parser.add_argument("--log", required=True, help="the kernel's own stdout and stderr")
    parser.add_argument("--timeout", type=float, default=None, help="seconds a cell may run (default: no limit)")
    args = parser.parse_args(argv)
    try:
        papermill_execute(args.input, args.output, args.cwd, args.log, timeout=args.timeout)
    except Exception as e:  # papermill's own message names the failing cell; the job's state says it failed
        print(f"run failed: {error_text(e).splitlines()[0]}", file=sys.stderr)  # the line the driver shows
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
