"""Parity data, the run configuration, the training loop and its failure behaviour."""

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from lstm_xor import train as train_module
from lstm_xor.config import RunConfig
from lstm_xor.data.parity import batch_arrays, epoch_batches, make_parity
from lstm_xor.records import load_checkpoint, write_record
from lstm_xor.train import train

TINY = dict(n_samples=400, min_length=3, max_length=8, hidden=8, batch_size=16, epochs=2)
VOLATILE = ("wall_seconds", "epoch_seconds", "environment")


def comparable(record):
    """A record without the parts that measure time."""
    out = {k: v for k, v in record.items() if k not in VOLATILE + ("model", "config")}
    out["history"] = {k: v for k, v in record["history"].items() if k != "epoch_seconds"}
    return out


def test_parity_data_labels_and_one_hot():
    data = make_parity(50, 1, 12, seed=3)
    assert data.lengths.min() >= 1 and data.lengths.max() <= 12
    x, lengths, y = batch_arrays(data, np.arange(50), "prefix", np.float32)
    for j in range(50):
        bits = data.bits[j, :lengths[j]]
        assert np.array_equal(y[j, :lengths[j]], np.cumsum(bits) % 2)  # inclusive prefix parity
        assert np.array_equal(x[j, :lengths[j], 1], bits)
        assert np.array_equal(x[j, :lengths[j]].sum(1), np.ones(lengths[j]))
    _, _, final = batch_arrays(data, np.arange(50), "final", np.float32)
    assert np.array_equal(final, [data.bits[j, :data.lengths[j]].sum() % 2 for j in range(50)])


@pytest.mark.parametrize("batching", ["grouped", "packed"])
def test_every_training_string_used_once_per_epoch(batching):
    data = make_parity(1003, 1, 50, seed=0)
    batches = epoch_batches(data, 32, batching, seed=0, epoch=4)
    assert np.array_equal(np.sort(np.concatenate(batches)), np.arange(1003))
    assert max(len(b) for b in batches) == 32
    if batching == "grouped":
        assert all(len(set(data.lengths[b])) == 1 for b in batches)
    assert not np.array_equal(np.concatenate(batches), np.concatenate(epoch_batches(data, 32, batching, 0, 5)))


@pytest.mark.parametrize("change, name", [
    (dict(lr=0.0), "lr"), (dict(lr=-1e-3), "lr"), (dict(epochs=0), "epochs"),
    (dict(min_length=60), "min_length"), (dict(cell="transformer"), "cell"), (dict(labels="middle"), "labels"),
    (dict(lr_schedule="0:0.1,x"), "lr_schedule"), (dict(lr_schedule="5:0.1"), "lr_schedule"),
    (dict(lr_schedule="0:0.1,3:-1"), "lr_schedule"), (dict(batch_size=10**6), "batch_size"),
    (dict(dtype="float16"), "dtype"), (dict(eval_lengths="100,x"), "eval_lengths"), (dict(hidden=2.5), "hidden"),
])
def test_bad_parameter_is_named(change, name):
    with pytest.raises(ValueError, match=name):
        RunConfig(**change)


def test_unknown_parameter_is_named():
    with pytest.raises(ValueError, match="unknown run parameter.*colour"):
        RunConfig.from_dict({"colour": "red"})


def test_cli_bad_parameter_exits_with_one_line(tmp_path):
    result = subprocess.run([sys.executable, "-m", "lstm_xor", "train", "--lr", "0", "--metrics_path",
                             str(tmp_path / "r.json")], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "bad parameter lr=0.0" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "r.json").exists()


def test_same_seed_same_record_and_record_contract(tmp_path):
    a = train(RunConfig(**TINY, metrics_path=str(tmp_path / "a.json")), progress=False)
    b = train(RunConfig(**TINY, metrics_path=str(tmp_path / "b.json")), progress=False)
    assert comparable(a) == comparable(b)
    saved = json.loads((tmp_path / "a.json").read_text())
    assert saved["status"] == "completed" and saved["epochs_completed"] == 2
    assert set(saved["test"]) >= {"last_bit_accuracy", "sequence_accuracy", "loss", "correct_last_bit",
                                  "correct_sequences", "n"}
    assert saved["test"]["n"] == 80 and 0 <= saved["test"]["sequence_accuracy"] <= 1
    assert set(saved["history"]) >= {"iteration_loss", "epoch_loss", "epoch_seconds", "test_last_bit_accuracy",
                                     "test_sequence_accuracy"}
    assert len(saved["history"]["iteration_loss"]) == 2 * 20 and len(saved["history"]["epoch_loss"]) == 2
    assert np.isclose(sum(saved["history"]["iteration_loss"][:20]), saved["history"]["epoch_loss"][0])
    assert set(saved["environment"]) >= {"lstm_xor", "numpy", "python", "engines", "threads", "cpu"}


def test_divergence_is_recorded(tmp_path):
    config = RunConfig(**dict(TINY, epochs=3), init="uniform", optimizer="sgd", lr=1e38, loss_reduction="sum",
                       clip_norm=0.0, metrics_path=str(tmp_path / "r.json"))
    with np.errstate(all="ignore"):
        record = train(config, progress=False)
    saved = json.loads((tmp_path / "r.json").read_text())
    assert record["status"] == saved["status"] == "diverged"
    assert saved["diverged_epoch"] == 0 and saved["epochs_completed"] == 0


def test_rising_loss_stops_the_run(tmp_path, monkeypatch):
    losses = iter(np.repeat([5.0, 6.0, 7.0, 8.0, 9.0], 20))
    monkeypatch.setattr(train_module, "_step", lambda *args: next(losses))
    config = RunConfig(**dict(TINY, epochs=5), stop_patience=2, metrics_path=str(tmp_path / "r.json"))
    record = train(config, progress=False)
    assert record["status"] == "stopped" and record["stopped_epoch"] == 2 and record["epochs_completed"] == 3


def test_resume_after_a_real_kill_gives_the_same_record(tmp_path):
    args = dict(n_samples=3000, min_length=10, max_length=30, hidden=32, batch_size=8, epochs=4, seed=5)
    flags = [f"--{k}={v}" for k, v in args.items()]
    base = [sys.executable, "-m", "lstm_xor", "train", *flags]
    subprocess.run(base + ["--metrics_path", str(tmp_path / "whole.json")], check=True, capture_output=True)
    whole = json.loads((tmp_path / "whole.json").read_text())
    ck = tmp_path / "ck"
    cmd = base + ["--metrics_path", str(tmp_path / "cut.json"), "--checkpoint_dir", str(ck)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while not (ck / "checkpoint.npz").exists() and time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
    time.sleep(0.3)  # into the second epoch, mid-step
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not (tmp_path / "cut.json").exists(), "the run finished before it could be killed"
    _, _, meta = load_checkpoint(str(ck))
    assert 1 <= meta["epoch"] < 4
    subprocess.run(cmd + ["--resume", "true"], check=True, capture_output=True, timeout=300)
    resumed = json.loads((tmp_path / "cut.json").read_text())
    assert comparable(resumed) == comparable(whole)


def test_corrupt_or_mismatched_checkpoint_is_refused(tmp_path):
    ck = tmp_path / "ck"
    train(RunConfig(**TINY, metrics_path=str(tmp_path / "a.json"), checkpoint_dir=str(ck)), progress=False)
    with pytest.raises(ValueError, match="hidden=8 \\(now 9\\)"):
        train(RunConfig(**dict(TINY, hidden=9), resume=True, checkpoint_dir=str(ck),
                        metrics_path=str(tmp_path / "b.json")), progress=False)
    data = (ck / "checkpoint.npz").read_bytes()
    (ck / "checkpoint.npz").write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="corrupt"):
        train(RunConfig(**TINY, resume=True, checkpoint_dir=str(ck), metrics_path=str(tmp_path / "c.json")),
              progress=False)
    assert not (tmp_path / "b.json").exists() and not (tmp_path / "c.json").exists()


def test_record_write_is_atomic(tmp_path, monkeypatch):
    path = tmp_path / "r.json"
    write_record(str(path), {"status": "completed"})
    monkeypatch.setattr(json, "dumps", lambda *a, **k: (_ for _ in ()).throw(KeyboardInterrupt()))
    with pytest.raises(KeyboardInterrupt):
        write_record(str(path), {"status": "running"})
    assert json.loads(path.read_text()) == {"status": "completed"}
    assert os.listdir(tmp_path) == ["r.json"]


def test_curriculum_cuts_strings_and_final_labels_follow(tmp_path):
    config = RunConfig(**dict(TINY, epochs=1), labels="final", curriculum_epochs=1.0,
                       metrics_path=str(tmp_path / "r.json"))
    cuts = train_module._cuts(config, np.random.default_rng(0), 0, 5, 20, 1000)
    assert cuts.min() >= 1 and cuts.max() <= np.ceil(0.25 * 8)
    assert train_module._cuts(config, np.random.default_rng(0), 1, 0, 20, 10) is None
    record = train(config, progress=False)
    assert record["status"] == "completed"


def test_longer_strings_are_evaluated(tmp_path):
    record = train(RunConfig(**TINY, eval_lengths="12,20", metrics_path=str(tmp_path / "r.json")), progress=False)
    assert set(record["long_strings"]) == {"12", "20"} and record["long_strings"]["20"]["n"] == 2000


def test_package_trains_with_numpy_alone():
    code = ("import sys, lstm_xor.train, lstm_xor.cli, lstm_xor.distributed\n"
            "print(sorted({m.split('.')[0] for m in sys.modules} & "
            "{'mpi4py', 'ipyparallel', 'matplotlib', 'tqdm', 'papermill', 'torch'}))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
