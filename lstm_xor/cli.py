"""`python -m lstm_xor train|runs|bench`: the command line over the same RunConfig."""

import argparse
import sys
from dataclasses import fields

from lstm_xor.config import RunConfig


def _bool(text):
    lowered = str(text).lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise argparse.ArgumentTypeError(f"expected true or false, got {text!r}")


def _comments():
    """Each field's comment in config.py, the same text the notebook's parameters show."""
    import inspect

    from lstm_xor import config
    comments = {}
    for line in inspect.getsource(config.RunConfig).splitlines():
        name, _, rest = line.strip().partition(":")
        if "#" in rest:
            comments[name] = rest.split("#", 1)[1].strip()
    return comments


def add_config_flags(parser):
    comments = _comments()
    for f in fields(RunConfig):
        kind = {int: int, float: float, bool: _bool}.get(f.type, str)
        parser.add_argument(f"--{f.name}", type=kind, default=f.default,
                            help=f"{comments.get(f.name, '')} (default: {f.default!r})")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m lstm_xor", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    add_config_flags(sub.add_parser("train", help="train one run and write its record"))
    from lstm_xor import bench, runs
    runs.add_arguments(sub.add_parser("runs", help="execute the run registry through papermill"))
    bench.add_arguments(sub.add_parser("bench", help="seconds per epoch against torch.nn.LSTM"))
    args = parser.parse_args(argv)
    try:
        if args.command == "train":
            return _train(args)
        if args.command == "runs":
            return runs.main(args)
        return bench.main(args)
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2


def _train(args):
    from lstm_xor.distributed import run_cli
    config = RunConfig(**{f.name: getattr(args, f.name) for f in fields(RunConfig)})
    record = run_cli(config)
    if record is not None:
        test = record["test"] or {}
        print(f"{record['status']}: {record['epochs_completed']} epochs, "
              f"last bit {test.get('correct_last_bit')}/{test.get('n')}, "
              f"whole string {test.get('correct_sequences')}/{test.get('n')}; record in {config.metrics_path}")
    return 0
