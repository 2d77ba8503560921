"""One set of names: RunConfig, its validation, the CLI's flags and the notebook's parameters."""

import subprocess
import sys

import pytest

from lstm_xor.cli import add_config_flags
from lstm_xor.config import OWNERS, PARAMS, RunConfig, groups
from lstm_xor.tasks.base import positive_ints


@pytest.mark.parametrize("change, name", [
    (dict(lr=0.0), "lr"), (dict(lr=-1e-3), "lr"), (dict(epochs=0), "epochs"),
    (dict(min_length=60), "min_length"), (dict(cell="transformer"), "cell"), (dict(labels="middle"), "labels"),
    (dict(lr_schedule="0:0.1,x"), "lr_schedule"), (dict(lr_schedule="5:0.1"), "lr_schedule"),
    (dict(lr_schedule="0:0.1,3:-1"), "lr_schedule"), (dict(batch_size=10**6), "batch_size"),
    (dict(dtype="float16"), "dtype"), (dict(eval_lengths="100,x"), "eval_lengths"), (dict(hidden=2.5), "hidden"),
    (dict(task="chess"), "task"), (dict(keep_epochs="3,x"), "keep_epochs"), (dict(resume="yes"), "resume"),
    (dict(batching="random"), "batching"), (dict(dropout=1.0), "dropout"),
])
def test_bad_parameter_is_named(change, name):
    with pytest.raises(ValueError, match=f"bad parameter {name}="):
        RunConfig(**change)


def test_unknown_parameter_is_named():
    with pytest.raises(ValueError, match="unknown run parameter.*colour"):
        RunConfig.from_dict({"colour": "red"})


def test_every_parameter_is_common_or_owned_by_a_known_task():
    names = [p.name for p in PARAMS]
    assert len(names) == len(set(names))
    assert {p.name for p in PARAMS if not OWNERS[p.name]} >= {"task", "cell", "lr", "epochs", "engines"}
    assert OWNERS["labels"] == ("parity",) and OWNERS["min_length"] == ("parity",)
    titles = [title for title, _ in groups()]
    assert titles[0] == "common" and "task parity" in titles


def test_keep_epochs_accepts_spaces():
    assert positive_ints("keep_epochs", "20, 46") == [20, 46]
    assert positive_ints("keep_epochs", "") == []


def test_cli_bad_parameter_exits_with_one_line(tmp_path):
    result = subprocess.run([sys.executable, "-m", "lstm_xor", "train", "--lr", "0", "--metrics_path",
                             str(tmp_path / "r.json")], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "bad parameter lr=0.0" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "r.json").exists()


def _parse(argv):
    import argparse
    parser = argparse.ArgumentParser()
    add_config_flags(parser)
    return parser.parse_args(argv)


def test_cli_takes_dashes_underscores_and_bare_booleans():
    args = _parse(["--checkpoint-dir", "ck", "--resume", "--batch-size", "8"])
    assert args.checkpoint_dir == "ck" and args.resume is True and args.batch_size == 8
    args = _parse(["--checkpoint_dir", "ck2", "--resume", "false"])
    assert args.checkpoint_dir == "ck2" and args.resume is False
    assert _parse([]).resume is False
    with pytest.raises(SystemExit):
        _parse(["--resume", "maybe"])


def test_cli_help_groups_parameters_by_task():
    result = subprocess.run([sys.executable, "-m", "lstm_xor", "train", "--help"], capture_output=True, text=True,
                            timeout=60, check=True)
    text = result.stdout[result.stdout.index("common parameters:"):]  # past the usage line
    assert text.index("--cell CELL ") < text.index("task parity parameters:") < text.index("--labels LABELS ")
