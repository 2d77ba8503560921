"""`python -m lstm_xor train|runs|verify|bench|baselines`: the command line over the same RunConfig."""

import argparse
import sys

from lstm_xor.config import PARAMS, groups, split
from lstm_xor.render import count


def _bool(text):
    lowered = str(text).lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise argparse.ArgumentTypeError(f"expected true or false, got {text!r}")


def add_config_flags(parser):
    """One flag per run parameter, grouped by owner; ``--checkpoint-dir`` and ``--checkpoint_dir`` alike,
    and a boolean as a bare flag (``--resume``) or with a value (``--resume false``)."""
    for title, params in groups():
        group = parser.add_argument_group(f"{title} parameters")
        for p in params:
            names = [f"--{p.name}"] + ([f"--{p.name.replace('_', '-')}"] if "_" in p.name else [])
            extra = dict(nargs="?", const=True) if p.type is bool else {}
            group.add_argument(*names, dest=p.name, type=_bool if p.type is bool else p.type, default=p.default,
                               help=f"{p.help} (default: {p.default!r})", **extra)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m lstm_xor", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    add_config_flags(sub.add_parser("train", help="train one run and write its record"))
    from lstm_xor.publish import driver as runs
    from lstm_xor.publish import verify
    from lstm_xor.study import baselines, bench
    runs.add_arguments(sub.add_parser("runs", help="execute the run registry through papermill"))
    verify.add_arguments(sub.add_parser("verify", help="re-execute a sample of the book's runs and compare"))
    bench.add_arguments(sub.add_parser("bench", help="seconds per epoch against torch.nn.LSTM"))
    baselines.add_arguments(sub.add_parser("baselines", help="report 002's classifiers without recurrence"))
    args = parser.parse_args(argv)
    try:
        if args.command == "train":
            return _train(args)
        if args.command == "runs":
            return runs.main(args)
        if args.command == "verify":
            return verify.main(args)
        if args.command == "baselines":
            return baselines.main(args)
        return bench.main(args)
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2


def _train(args):
    from lstm_xor.launch import run_cli
    config, launch = split({p.name: getattr(args, p.name) for p in PARAMS})
    record = run_cli(config, launch)
    if record is not None:
        print(f"{outcome(record)}; record in {launch.metrics_path}")
    return 0


def outcome(record):
    """'completed: 1 epoch, last bit accuracy 0.98, ...': a run record in one line."""
    from lstm_xor.tasks import get_task
    n, test = record["epochs_completed"], record["test"]
    result = get_task(record["config"]["task"]).summary(test) if test else "no test figures"
    return f"{record['status']}: {count(n, 'epoch')}, {result}"
