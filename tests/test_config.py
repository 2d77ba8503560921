"""One set of names: RunConfig and Launch, their validation, the CLI's flags and the notebook's parameters."""

import subprocess
import sys

import pytest

from lstm_xor.cli import add_config_flags, outcome
from lstm_xor.config import LAUNCH_NAMES, OWNERS, PARAMS, Launch, RunConfig, from_notebook, groups, split
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
        split(change)


def test_unknown_parameter_is_named_with_the_accepted_names():
    with pytest.raises(ValueError, match="unknown run parameter.*colour; accepted: .*hidden"):
        split({"colour": "red"})
    with pytest.raises(ValueError, match="unknown run parameter.*engines; accepted: .*hidden"):
        RunConfig.from_dict({"engines": 2})  # how a run goes is no part of what is trained


def test_split_parts_what_is_trained_from_how_it_runs():
    config, launch = split(dict(hidden=8, lr=0.1, engines=2, metrics_path="r.json", resume=False))
    assert (config.hidden, config.lr) == (8, 0.1) and not hasattr(config, "engines")
    assert launch == Launch(engines=2, metrics_path="r.json")
    assert set(LAUNCH_NAMES) == {"engines", "threads", "metrics_path", "checkpoint_dir", "resume", "keep_epochs"}
    with pytest.raises(ValueError, match="bad parameter engines=64: expected at most batch_size \\(32\\)"):
        split(dict(engines=64))
    with pytest.raises(ValueError, match="bad parameter resume=True: expected a checkpoint_dir"):
        Launch(resume=True)


def test_a_notebook_parameter_papermill_does_not_know_stops_the_run():
    namespace = {p.name: p.default for p in PARAMS}
    namespace.update(In=[""], Out={}, _i1="", display=print, np=pytest, hidden=8)
    assert from_notebook(namespace)[0].hidden == 8
    namespace["hiddne"] = 8  # what `papermill ... -p hiddne 8` injects
    with pytest.raises(ValueError, match="unknown run parameter\\(s\\) hiddne; accepted: .*hidden"):
        from_notebook(namespace)


def test_a_second_run_all_in_jupyter_finds_the_previous_record_and_goes_on():
    namespace = {p.name: p.default for p in PARAMS}
    namespace["record"] = {"status": "completed"}  # what the template's training cell left behind
    assert from_notebook(namespace)[0].hidden == PARAMS[[p.name for p in PARAMS].index("hidden")].default


def test_a_text_parameter_papermill_read_as_a_number_is_taken_as_its_digits():
    namespace = {p.name: p.default for p in PARAMS}
    namespace.update(gradient_distances=10, keep_epochs=20)  # `-p gradient_distances 10 -p keep_epochs 20`
    config, launch = from_notebook(namespace)
    assert (config.gradient_distances, launch.keep_epochs) == ("10", "20")
    namespace["hidden"] = "8"  # a number parameter given as text is still refused
    with pytest.raises(ValueError, match="bad parameter hidden='8'"):
        from_notebook(namespace)


def test_the_cli_counts_one_epoch_in_the_singular():
    record = {"status": "completed", "epochs_completed": 1, "config": {"task": "parity"}, "test": None}
    assert outcome(record) == "completed: 1 epoch, no test figures"
    assert outcome(dict(record, epochs_completed=2)).startswith("completed: 2 epochs,")


def test_every_parameter_is_common_or_owned_by_a_known_task():
    names = [p.name for p in PARAMS]
    assert len(names) == len(set(names))
    assert {p.name for p in PARAMS if not OWNERS[p.name]} >= {"task", "cell", "lr", "epochs", "engines"}
    assert OWNERS["labels"] == ("parity",) and OWNERS["min_length"] == ("parity",)
    titles = [title for title, _ in groups()]
    assert titles[:2] == ["common", "launch"] and "task parity" in titles
    assert [p.name for p in dict(groups())["launch"]] == list(LAUNCH_NAMES)
    assert not set(LAUNCH_NAMES) & {p.name for p in dict(groups())["common"]}


def test_keep_epochs_accepts_spaces():
    assert positive_ints("keep_epochs", "20, 46") == [20, 46]
    assert positive_ints("keep_epochs", "") == []


@pytest.mark.slow
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


@pytest.mark.slow
def test_cli_help_groups_parameters_by_task():
    result = subprocess.run([sys.executable, "-m", "lstm_xor", "train", "--help"], capture_output=True, text=True,
                            timeout=60, check=True)
    text = result.stdout[result.stdout.index("common parameters:"):]  # past the usage line
    assert text.index("--cell CELL ") < text.index("task parity parameters:") < text.index("--labels LABELS ")
