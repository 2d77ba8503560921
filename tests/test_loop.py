"""The training loop: records, divergence, early stop, resume, checkpoints, and the parity task's data."""

import json
import os
import signal
import subprocess
import sys

import numpy as np
import pytest

from lstm_xor.config import Launch, RunConfig
from lstm_xor.data.batching import epoch_batches
from lstm_xor.records import load_checkpoint, write_record
from lstm_xor.tasks.base import Step
from lstm_xor.tasks.parity import TASK as PARITY
from lstm_xor.tasks.parity import batch_arrays, make_parity
from lstm_xor.train.loop import Trainer, train

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
    batches = epoch_batches(data.lengths, 32, batching, seed=0, epoch=4)
    assert np.array_equal(np.sort(np.concatenate(batches)), np.arange(1003))
    assert max(len(b) for b in batches) == 32
    if batching == "grouped":
        assert all(len(set(data.lengths[b])) == 1 for b in batches)
    assert not np.array_equal(np.concatenate(batches), np.concatenate(epoch_batches(data.lengths, 32, batching, 0, 5)))


def test_same_seed_same_record_and_record_contract(tmp_path):
    a = train(dict(TINY, metrics_path=str(tmp_path / "a.json")), progress=False)
    b = train(dict(TINY, metrics_path=str(tmp_path / "b.json")), progress=False)
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
    config = dict(TINY, epochs=3, init="uniform", optimizer="sgd", lr=1e38, loss_reduction="sum", clip_norm=0.0,
                  metrics_path=str(tmp_path / "r.json"))
    with np.errstate(all="ignore"):
        record = train(config, progress=False)
    saved = json.loads((tmp_path / "r.json").read_text())
    assert record["status"] == saved["status"] == "diverged"
    assert saved["diverged_epoch"] == 0 and saved["epochs_completed"] == 0


def test_rising_loss_stops_the_run(tmp_path, monkeypatch):
    losses = iter(np.repeat([5.0, 6.0, 7.0, 8.0, 9.0], 20))
    monkeypatch.setattr(Trainer, "step", lambda *args: (next(losses), 1.0))
    config = dict(TINY, epochs=5, stop_patience=2, metrics_path=str(tmp_path / "r.json"))
    record = train(config, progress=False)
    assert record["status"] == "stopped" and record["stopped_epoch"] == 2 and record["epochs_completed"] == 3


def test_resume_after_a_real_kill_gives_the_same_record(tmp_path):
    """SIGKILL from the hook after epoch 2 (its checkpoint written, no record): resuming gives the whole run."""
    values = dict(TINY, epochs=4, seed=5, checkpoint_dir=str(tmp_path / "ck"))
    whole = train(dict(values, checkpoint_dir="", metrics_path=str(tmp_path / "whole.json")), progress=False)
    killed = (f"import os, signal\nfrom lstm_xor.train.loop import train\n"
              f"def kill(record):\n    if record['epochs_completed'] == 2:\n"
              f"        os.kill(os.getpid(), signal.SIGKILL)\n"
              f"train({dict(values, metrics_path=str(tmp_path / 'cut.json'))!r}, progress=False, on_epoch=kill)\n")
    done = subprocess.run([sys.executable, "-c", killed], capture_output=True, text=True, timeout=120)
    assert done.returncode == -signal.SIGKILL, done.stderr
    assert not (tmp_path / "cut.json").exists() and load_checkpoint(values["checkpoint_dir"])[2]["epoch"] == 2
    resumed = train(dict(values, resume=True, metrics_path=str(tmp_path / "cut.json")), progress=False)
    assert comparable(resumed) == comparable(whole)


def test_corrupt_or_mismatched_checkpoint_is_refused(tmp_path):
    ck = tmp_path / "ck"
    train(dict(TINY, metrics_path=str(tmp_path / "a.json"), checkpoint_dir=str(ck)), progress=False)
    with pytest.raises(ValueError, match="hidden=8 \\(now 9\\)"):
        train(dict(TINY, hidden=9, resume=True, checkpoint_dir=str(ck),
                        metrics_path=str(tmp_path / "b.json")), progress=False)
    data = (ck / "checkpoint.npz").read_bytes()
    (ck / "checkpoint.npz").write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="corrupt"):
        train(dict(TINY, resume=True, checkpoint_dir=str(ck), metrics_path=str(tmp_path / "c.json")),
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
    config = RunConfig(**dict(TINY, epochs=1), labels="final", curriculum_epochs=1.0)
    data = make_parity(1000, 8, 8, seed=0)
    early = PARITY.batch(config, data, np.arange(1000), np.float32, Step(0, 5, 20, np.random.default_rng(0)))
    assert early.lengths.min() >= 1 and early.lengths.max() <= np.ceil(0.25 * 8)
    assert np.array_equal(early.y, [data.bits[j, :n].sum() % 2 for j, n in enumerate(early.lengths)])
    late = PARITY.batch(config, data, np.arange(10), np.float32, Step(1, 0, 20, np.random.default_rng(0)))
    assert np.array_equal(late.lengths, np.full(10, 8))
    record = train(config, launch=Launch(metrics_path=str(tmp_path / "r.json")), progress=False)
    assert record["status"] == "completed"


def test_longer_strings_are_evaluated(tmp_path):
    record = train(dict(TINY, eval_lengths="12,20", metrics_path=str(tmp_path / "r.json")), progress=False)
    assert set(record["extra_tests"]) == {"12", "20"} and record["extra_tests"]["20"]["n"] == 2000


def test_package_trains_with_numpy_alone(tmp_path):
    """With every optional module made unimportable, the package imports, and a run trains and shows progress."""
    blocked = ("mpi4py", "ipyparallel", "matplotlib", "tqdm", "papermill", "torch", "psutil", "IPython", "pandas")
    code = (f"import sys\nclass Block:\n    def find_spec(self, name, path=None, target=None):\n"
            f"        if name.split('.')[0] in {blocked!r}:\n            raise ImportError('blocked: ' + name)\n"
            f"sys.meta_path.insert(0, Block())\n"
            f"import lstm_xor.cli, lstm_xor.launch, lstm_xor.comm\nfrom lstm_xor.train.loop import train\n"
            f"record = train({dict(TINY, epochs=2, metrics_path=str(tmp_path / 'r.json'))!r}, progress='text')\n"
            f"print(record['status'], record['epochs_completed'])\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "completed 2"
    assert result.stdout.splitlines()[-2].startswith("epoch 2/2: loss ")  # the text progress ends with the count
    assert json.loads((tmp_path / "r.json").read_text())["status"] == "completed"


def test_a_non_finite_gradient_stops_the_run_before_the_step(tmp_path, monkeypatch):
    """The step that meets a NaN gradient changes nothing; the run ends 'diverged' and no checkpoint holds NaN."""
    from lstm_xor.nn.model import Model
    calls = {"n": 0}
    real_loss = Model.loss

    def poisoned(self, *args, **kwargs):
        out = real_loss(self, *args, **kwargs)
        calls["n"] += 1
        if calls["n"] == 25 and kwargs.get("backward", True):  # during epoch 2 (20 steps an epoch)
            self.grad_flat[3] = np.nan
        return out

    monkeypatch.setattr(Model, "loss", poisoned)
    ck = tmp_path / "ck"
    record = train(dict(TINY, epochs=3, clip_norm=0.0, metrics_path=str(tmp_path / "r.json"),
                             checkpoint_dir=str(ck)), progress=False)
    saved = json.loads((tmp_path / "r.json").read_text())
    assert saved["status"] == "diverged" and saved["diverged_epoch"] == 1 and saved["epochs_completed"] == 1
    assert np.all(np.isfinite(record["model"].flat)), "the poisoned step was not applied"
    params, _, meta = load_checkpoint(str(ck))
    assert meta["epoch"] == 1 and np.all(np.isfinite(params))


def test_records_are_strict_json(tmp_path):
    write_record(str(tmp_path / "r.json"), {"loss": float("nan"), "history": [1.0, float("inf"), 2.0]})
    text = (tmp_path / "r.json").read_text()
    assert "NaN" not in text and "Infinity" not in text
    assert json.loads(text) == {"loss": None, "history": [1.0, None, 2.0]}


def test_kept_checkpoints_accept_spaces_in_keep_epochs(tmp_path):
    ck = tmp_path / "ck"
    train(dict(TINY, epochs=3, keep_epochs="1, 3", checkpoint_dir=str(ck),
                    metrics_path=str(tmp_path / "r.json")), progress=False)
    assert sorted(p.name for p in ck.glob("checkpoint-*.npz")) == ["checkpoint-1.npz", "checkpoint-3.npz"]


def test_tiny_losses_are_logged_not_rounded_to_zero(tmp_path):
    """A confident, right float32 model logs a positive loss far below float32's step of 6e-8 at 1."""
    config = RunConfig(n_samples=600, min_length=2, max_length=4, hidden=16, batch_size=16, epochs=6, lr=0.05)
    record = train(config, launch=Launch(metrics_path=str(tmp_path / "r.json")), progress=False)
    assert record["test"]["sequence_accuracy"] == 1.0
    trainer = Trainer(config)
    trainer.model.flat[...] = record["model"].flat
    trainer.model.params["head.W"] *= 4  # the same answers, with margins 4 times as wide
    trainer.model.params["head.b"] *= 4
    loss, _ = trainer.step(np.arange(16), lr=1e-12)
    assert 0 < loss < 1e-10  # the textbook float32 form gives exactly 0 here


# -- early stopping on a validation set -------------------------------------------------------------

class _ParityWithValid(type(PARITY)):
    """Parity with its training strings' last quarter kept apart for validation (early stopping's tests)."""

    def splits(self, config):
        splits = super().splits(config)
        cut = len(splits.train) * 3 // 4
        return type(splits)(splits.train.subset(slice(0, cut)), splits.train.subset(slice(cut, None)), splits.test)


@pytest.fixture
def with_valid(monkeypatch):
    from lstm_xor import tasks
    monkeypatch.setitem(tasks.TASKS, "parity", _ParityWithValid())


def test_best_epoch_follows_the_min_delta_rule():
    from lstm_xor.train.history import best_epoch
    assert best_epoch([1.0], 0.1) == (0, 0)
    assert best_epoch([1.0, 0.95, 0.85, 0.84, 0.9], 0.1) == (2, 2)  # 0.95 is not better by more than 0.1
    assert best_epoch([1.0, 0.5, 0.3], 0.0) == (2, 0)


def test_early_stopping_keeps_the_best_epoch(with_valid, tmp_path):
    # a min_delta no loss can beat: epoch 1 stays the best, and patience 2 stops after epoch 3
    record = train(dict(TINY, epochs=6, patience=2, min_delta=1e9,
                             metrics_path=str(tmp_path / "run.json")), progress=False)
    h = record["history"]
    assert record["status"] == "stopped" and record["stopped_epoch"] == 2 and record["best_epoch"] == 1
    assert len(h["valid_loss"]) == len(h["test_loss"]) == 3
    assert record["test"]["loss"] == pytest.approx(h["test_loss"][0], rel=1e-6)  # the best epoch's parameters
    assert record["valid"]["loss"] == pytest.approx(h["valid_loss"][0], rel=1e-6)
    assert record["test"]["sequence_accuracy"] == h["test_sequence_accuracy"][0]


def test_early_stopping_resumes_as_if_uninterrupted(with_valid, tmp_path):
    whole = train(dict(TINY, epochs=4, patience=3, min_delta=0.0,
                            metrics_path=str(tmp_path / "whole.json")), progress=False)
    ck = str(tmp_path / "ck")
    train(dict(TINY, epochs=2, patience=3, min_delta=0.0, checkpoint_dir=ck,
                    metrics_path=str(tmp_path / "a.json")), progress=False)
    resumed = train(dict(TINY, epochs=4, patience=3, min_delta=0.0, checkpoint_dir=ck, resume=True,
                              metrics_path=str(tmp_path / "b.json")), progress=False)
    assert comparable(resumed) == comparable(whole)
    assert "best_epoch" in whole and os.path.exists(os.path.join(ck, "best.npz"))


def test_patience_needs_a_validation_set(tmp_path):
    with pytest.raises(ValueError, match="bad parameter patience=5: task parity keeps no validation set"):
        train(dict(TINY, patience=5, metrics_path=str(tmp_path / "run.json")), progress=False)
    assert not (tmp_path / "run.json").exists()


def test_a_checkpoint_older_than_a_parameter_resumes_as_its_default(tmp_path):
    """A checkpoint made before a parameter existed ran as that parameter's default."""
    from lstm_xor.records import save_checkpoint
    whole = train(dict(TINY, epochs=3, metrics_path=str(tmp_path / "whole.json")), progress=False)
    ck = str(tmp_path / "ck")
    train(dict(TINY, checkpoint_dir=ck, metrics_path=str(tmp_path / "a.json")), progress=False)
    params, state, meta = load_checkpoint(ck)
    for name in ("patience", "min_delta", "digits", "dataset"):  # as if written before these existed
        del meta["config"][name]
    save_checkpoint(ck, params, state, meta)
    resumed = train(dict(TINY, epochs=3, checkpoint_dir=ck, resume=True,
                              metrics_path=str(tmp_path / "b.json")), progress=False)
    assert comparable(resumed) == comparable(whole)
    meta["config"]["hidden"] = 9  # a parameter the checkpoint does name still has to agree
    save_checkpoint(ck, params, state, meta)
    with pytest.raises(ValueError, match="hidden=9"):
        train(dict(TINY, epochs=3, checkpoint_dir=ck, resume=True,
                        metrics_path=str(tmp_path / "c.json")), progress=False)


def test_a_run_resumed_after_it_stopped_ends_where_it_stopped(tmp_path):
    """Killed after its last checkpoint but before its record, a stopped run resumes to the same record."""
    ck, values = str(tmp_path / "ck"), dict(TINY, epochs=4, stop_when="sequence_accuracy:0")  # solved after epoch 1
    whole = train(dict(values, checkpoint_dir=ck, metrics_path=str(tmp_path / "a.json")), progress=False)
    assert (whole["status"], whole["epochs_completed"], whole["solved_epoch"]) == ("solved", 1, 1)
    resumed = train(dict(values, checkpoint_dir=ck, resume=True, metrics_path=str(tmp_path / "b.json")),
                    progress=False)
    assert comparable(resumed) == comparable(whole)
