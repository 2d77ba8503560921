"""Progress: plain lines that end with the final count in executed notebooks, a bar in Jupyter and terminals."""

import sys

import pytest

from lstm_xor.train.progress import Display, choose, epoch_line


def test_progress_mode_is_the_callers_then_the_environments_then_detected(monkeypatch):
    monkeypatch.delenv("LSTM_XOR_PROGRESS", raising=False)
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    assert choose(False) == "none" and choose("bar") == "bar"
    with pytest.raises(ValueError, match="bad parameter progress='fancy'"):
        choose("fancy")
    monkeypatch.setitem(sys.modules, "ipykernel", sys)  # inside a kernel
    assert choose() == "text"  # papermill / nbconvert: no Jupyter Server session
    monkeypatch.setenv("JPY_SESSION_NAME", "/work/notebooks/train.ipynb")
    assert choose() == "bar"  # a kernel that Jupyter Server started for a front-end
    monkeypatch.setenv("LSTM_XOR_PROGRESS", "text")
    assert choose() == "text" and choose("none") == "none"


def test_text_progress_is_one_line_per_epoch_ending_with_the_count(capsys):
    display = Display("text", 3, "sequence_accuracy")
    for epoch in range(3):
        display.start_epoch(epoch, 10)
        display.step(0, 1.0)
        display.end_epoch(epoch + 1, 0.5 / (epoch + 1), 41.2, {"sequence_accuracy": 0.25 * epoch})
    display.close()
    lines = capsys.readouterr().out.splitlines()
    assert lines == ["epoch 1/3: loss 0.5, sequence accuracy 0, 41 s",
                     "epoch 2/3: loss 0.25, sequence accuracy 0.25, 41 s",
                     "epoch 3/3: loss 0.1667, sequence accuracy 0.5, 41 s"]
    assert epoch_line(1, 1, 2.0, 0.4) == "epoch 1/1: loss 2, 0 s"


def test_no_display_prints_nothing(capsys):
    display = Display("none", 2, "sequence_accuracy", steps=False)
    display.end_epoch(1, 0.5, 1.0, {"sequence_accuracy": 1.0})
    display.note("diverged")
    assert capsys.readouterr().out == ""


def test_engines_progress_keeps_every_epoch_for_a_reader_that_polls_late(tmp_path):
    from lstm_xor.launch.progress import epoch_writer, read_summaries
    path, write = tmp_path / "progress.json", epoch_writer(tmp_path / "progress.json")
    history = {"epoch_loss": [], "epoch_seconds": []}
    for epoch in (1, 2, 3):  # three epochs end between two polls
        history["epoch_loss"].append(1.0 / epoch)
        history["epoch_seconds"].append(0.1)
        write({"epochs_completed": epoch, "history": history, "test": {"loss": 0.5}})
    assert [s["epoch"] for s in read_summaries(path, 0)] == [1, 2, 3]
    assert [s["epoch_loss"] for s in read_summaries(path, 2)] == [1 / 3]
    assert read_summaries(tmp_path / "none.json", 0) == []
