"""The sequence-classification task (report 002): splits, folds, standardisation, metrics, bad input, a short run."""

import numpy as np
import pytest

from lstm_xor.config import RunConfig
from lstm_xor.data.pen import write_pen
from lstm_xor.data.sequences import frames
from lstm_xor.tasks import get_task
from lstm_xor.tasks.base import Batch
from lstm_xor.train.loop import train

TASK = get_task("classify")


def _config(**kw):
    config = RunConfig.from_dict(dict(task="classify", **kw))
    config.validate()
    return config


def _valid_frames(data):
    return data.x[frames(data.lengths, data.x.shape[1])]


def test_vowels_keep_the_standard_split_and_standardise_with_the_training_part():
    splits = TASK.splits(_config())
    assert len(splits.train) + len(splits.valid) == 270 and len(splits.test) == 370
    train = _valid_frames(splits.train)
    np.testing.assert_allclose(train.mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(train.std(axis=0), 1, atol=1e-4)
    assert abs(_valid_frames(splits.valid).mean()) > 1e-4  # the others are shifted by the training statistics only
    assert np.all(splits.test.x[~frames(splits.test.lengths, splits.test.x.shape[1])] == 0)  # padding stays zero


def test_folds_partition_the_training_part():
    seen = []
    for fold in range(3):
        splits = TASK.splits(_config(folds=3, fold=fold))
        assert len(splits.train) + len(splits.valid) == 270
        seen.append(len(splits.valid))
        assert set(np.unique(splits.valid.y)) == set(range(9))  # stratified: every speaker in every fold
    assert sum(seen) == 270


def test_metrics_count_a_confusion_matrix():
    outputs = np.zeros((5, 3))
    outputs[np.arange(5), [0, 1, 1, 2, 0]] = 1.0
    batch = Batch(np.zeros((5, 2, 1)), np.full(5, 2), np.array([0, 1, 2, 2, 0]))
    totals = TASK.tally(outputs, batch)
    assert len(totals) == 1 + 9
    m = TASK.metrics(totals)
    assert (m["correct"], m["n"]) == (4, 5) and m["accuracy"] == 0.8
    assert m["confusion"] == [[2, 0, 0], [0, 1, 0], [0, 1, 1]] and m["class_accuracy"] == [1.0, 1.0, 0.5]


@pytest.mark.parametrize(("params", "message"), [
    (dict(dataset="speech"), "bad parameter dataset='speech': expected one of vowels, digits, pen, pen_files"),
    (dict(pool="max"), "bad parameter pool='max': expected one of last, mean"),
    (dict(folds=1), "bad parameter folds=1: expected 0 (no cross-validation) or >= 2"),
    (dict(folds=5, fold=5), "bad parameter fold=5: expected 0 <= fold < folds (5)"),
    (dict(fold=2), "bad parameter fold=2: expected 0 <= fold < folds (0) (fold 0 without folds)"),
    (dict(dataset="pen_files"), "bad parameter pen_root='': expected the folder of the report's pen files"),
    (dict(folds=40), "bad parameter folds=40: class"),  # 30 utterances a speaker in the training part
    (dict(valid_fraction=1.0), "bad parameter valid_fraction=1.0"),
])
def test_bad_parameters_are_named_before_training(params, message, tmp_path):
    with pytest.raises(ValueError) as e:
        train(dict(task="classify", metrics_path=str(tmp_path / "run.json"), **params), progress=False)
    assert message in str(e.value)
    assert not (tmp_path / "run.json").exists()


def test_the_reports_pen_files_are_read_and_normalised(tmp_path):
    rng = np.random.default_rng(0)
    for name in ("ka", "ta"):
        (tmp_path / name).mkdir()
        for i in range(6):
            write_pen(tmp_path / name / f"{i}.txt", rng.uniform(0, 300, size=(int(rng.integers(5, 12)), 2)))
    splits = TASK.splits(_config(dataset="pen_files", pen_root=str(tmp_path), test_fraction=0.34))
    assert len(splits.train) + len(splits.valid) + len(splits.test) == 12
    spec = TASK.model_spec(_config(dataset="pen_files", pen_root=str(tmp_path)))
    assert (spec.size, spec.outputs) == (2, 2)
    (tmp_path / "ta" / "0.txt").write_text("4\n0.1 0.2 0.3\n")
    with pytest.raises(ValueError, match="0.txt"):
        TASK.splits(_config(dataset="pen_files", pen_root=str(tmp_path), seed=1))


def test_a_short_run_classifies_japanese_vowels_with_early_stopping(tmp_path):
    record = train(dict(task="classify", dataset="vowels", cell="lstm", hidden=32, lr=0.01, batch_size=16, epochs=12,
                        pool="mean", patience=4, metrics_path=str(tmp_path / "run.json")), progress=False)
    assert record["test"]["accuracy"] > 0.9 and record["test"]["n"] == 370
    assert len(record["history"]["valid_loss"]) == record["epochs_completed"]
    assert 1 <= record["best_epoch"] <= record["epochs_completed"]
    assert sum(map(sum, record["test"]["confusion"])) == 370
