"""Report 002's part: its registry entries, the tables over the records, the baselines' record."""

import json

import numpy as np
import pytest

from lstm_xor import reports
from lstm_xor.cli import main
from lstm_xor.publish.plan import profile_config
from lstm_xor.reports.r002 import runs as r002
from lstm_xor.reports.r002 import tables
from lstm_xor.study import baselines
from lstm_xor.train.loop import train


def test_every_sweep_the_report_tabulates_is_registered_in_its_setting():
    ids = {run.id for run in r002.PART.runs}
    for cell in r002.REPORT_CELLS:
        assert {f"cls-units{h}-{cell}" for h in r002.UNITS[cell]} <= ids
        assert {f"cls-layers{k}-{cell}" for k in (1, 3, 8, 16, 64, 128)} <= ids
    for run in r002.UNIT_RUNS + r002.LAYER_RUNS + r002.DROPOUT_RUNS + r002.SPEECH_RUNS + r002.CV_RUNS:
        c = run.config()
        assert (c["optimizer"], c["batch_size"], c["patience"], c["min_delta"], c["clip_norm"], c["pool"]) == (
            "sgd", 1, 25, 1e-4, 0.0, "last"), run.id
    assert registry_figures("cls-units4-lstm") == (0.70, 0.74) and registry_figures("cls-layers128-rnn") == (0.89, 0.21)
    assert registry_figures("cls-two-digits-lstm") == (0.84, 0.431)
    assert len(r002.CV_RUNS) == 2 * 2 * len(r002.CV_WIDTHS) * r002.CV_FOLDS
    assert {run.config()["fold"] for run in r002.CV_RUNS} == set(range(r002.CV_FOLDS))


def registry_figures(run_id):
    run = next(run for run in r002.PART.runs if run.id == run_id)
    return run.report["train"], run.report["test"]


def test_a_run_pins_its_engines_and_the_command_line_overrides_it():
    run = r002.UNIT_RUNS[0]
    assert profile_config(run, "full")["engines"] == 1  # batch size 1: one engine's work
    assert profile_config(run, "full", engines=2)["engines"] == 2
    parity = next(run for run in reports.RUNS if run.id == "fixed-03")
    assert profile_config(parity, "full")["engines"] == 2


def _record(run, valid, test, train_accuracy=0.5, epochs=4):
    history = dict(iteration_loss=[1.0] * 8 * epochs, epoch_loss=[8.0] * epochs, valid_loss=[1.0] * epochs,
                   test_loss=[1.0] * epochs)
    part = lambda a: dict(accuracy=a, loss=1.0, confusion=[[1, 0], [0, 1]])  # noqa: E731
    return dict(config=run.config(), history=history, epochs_completed=epochs, best_epoch=2, status="stopped",
                wall_seconds=1.0, train=part(train_accuracy), valid=part(valid), test=part(test), driver={})


def test_cross_validation_chooses_the_width_with_the_best_mean_validation_accuracy():
    records = {}
    valid = {4: (0.5, 0.6, 0.7), 16: (0.9, 0.7, 0.8), 64: (0.95, 0.5, 0.5)}  # means 0.6, 0.8, 0.65
    for run in r002.CV_RUNS:
        c = run.config()
        if (c["dataset"], c["cell"]) == ("vowels", "lstm"):
            records[run.id] = _record(run, valid[c["hidden"]][c["fold"]], 0.1 * c["fold"])
    found = tables.cross_validation(records)
    assert list(found) == [("vowels", "lstm")]
    assert tables.chosen_width(found[("vowels", "lstm")]) == 16
    text = tables.cv_table(records)
    assert "| **16** | 3 | **0.800 ± 0.100** | 0.100 ± 0.100 |" in text


def test_the_sweep_tables_put_the_reports_figures_beside_ours_over_the_seeds_and_say_what_is_missing():
    seeds = [run for run in r002.UNIT_RUNS if run.id.startswith("cls-units4-lstm")]
    assert [run.id for run in seeds] == ["cls-units4-lstm", "cls-units4-lstm-s1", "cls-units4-lstm-s2"]
    records = {run.id: _record(run, 0.8, test, train_accuracy=0.95) for run, test in zip(seeds, (0.9, 1.0),
                                                                                          strict=False)}
    text = tables.units_table(records, "runs")
    row = next(line for line in text.splitlines() if line.startswith("| 4 |"))
    assert ("0.7 / 0.74 | 0.950, 0.950 (n = 2 of 3) | 0.900, 1.000 (n = 2 of 3) | 2 of 4, 2 of 4 | "
            "[s0](runs/cls-units4-lstm.ipynb) [s1](runs/cls-units4-lstm-s1.ipynb)") in row
    assert "0.56 / 0.53 | not run yet (n = 0 of 3) | not run yet (n = 0 of 3) | – | –" in row  # the RNN's row
    assert "| 1 | – | not run yet (n = 0 of 3)" in tables.layers_table({}, "runs")  # no 1-layer report figures
    assert "| 64 | 0.71 / 0.2 | not run yet (n = 0 of 3)" in tables.layers_table({}, "runs")
    assert "| spoken digits (FSDD) | 16 | 0.64 / 0.43 | not run yet (n = 0 of 3)" in tables.speech_units_table(
        {}, "runs")


def test_our_runs_table_gives_the_seeds_values_and_the_baselines():
    chosen = [run for run in r002.BEST_RUNS if run.id.startswith("cls-ours-vowels-gru-")]
    records = {run.id: _record(run, 0.9, test) for run, test in zip(chosen, (0.97, 0.98, 0.99), strict=True)}
    figures = dict(accuracy=0.95, correct=351, n=370, seconds=2.0)
    text = tables.ours_table(records, dict(datasets=dict(vowels=dict(logistic=figures, dtw=figures))))
    assert ("| JapaneseVowels | GRU, 1 layer of 64, the mean over the steps, Adam | 0.970, 0.980, 0.990 (n = 3) | "
            "2, 2, 2 |") in text
    assert "| JapaneseVowels | LSTM, 1 layer of 64, the mean over the steps, Adam | not run yet (n = 0 of 3) |" in text
    assert "| JapaneseVowels | 1-NN DTW (squared frame distances, no window) | 0.950 (351/370, split of seed 0) |" \
        in text
    assert "| ours: GRU, the mean over the steps | 0.970, 0.980, 0.990 (n = 3) |" in tables.anchors_table(
        records, None)


def test_the_data_table_says_which_set_is_synthetic():
    text = tables.data_table()
    pen = next(line for line in text.splitlines() if "`pen`" in line)
    assert "SYNTHETIC" in pen and "| 5 | 320 / 80 |" in pen
    assert "| 9 | 270 / 370 | 7–29 | 12 |" in text and "| 10 | 2400 / 600 | 6–92 | 39 |" in text


def test_baselines_command_writes_one_whole_record(tmp_path, capsys):
    out = tmp_path / "baselines.json"
    assert main(["baselines", "--datasets", "pen", "--out", str(out)]) == 0
    record = json.loads(out.read_text())
    pen = record["datasets"]["pen"]
    assert record["command"].startswith("python -m lstm_xor baselines") and pen["synthetic"] is True
    for name in ("logistic", "dtw"):
        assert pen[name]["n"] == 80 and sum(map(sum, pen[name]["confusion"])) == 80
        assert pen[name]["correct"] == np.trace(pen[name]["confusion"])
        assert pen[name]["accuracy"] > 0.5  # 5 classes: chance is 0.2
    assert "pen: logistic" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["baselines", "--datasets", "speech"])
    assert "invalid choice: 'speech'" in capsys.readouterr().err


def test_scores_count_a_confusion_matrix():
    s = baselines.scores(np.array([0, 1, 1, 2]), np.array([0, 1, 2, 2]), 3)
    assert s == dict(accuracy=0.75, correct=3, n=4, confusion=[[1, 0, 0], [0, 1, 0], [0, 1, 1]])


def test_a_run_with_a_validation_part_records_the_training_parts_figures(tmp_path):
    record = train(dict(task="classify", dataset="pen", cell="rnn", hidden=8, epochs=1, batch_size=32,
                        metrics_path=str(tmp_path / "run.json")), progress=False)
    assert record["train"]["n"] == 255 and sum(map(sum, record["train"]["confusion"])) == 255
    parity = train(dict(task="parity", n_samples=200, hidden=8, epochs=1, metrics_path=str(tmp_path / "p.json")),
                   progress=False)
    assert "train" not in parity  # no validation part, no training-part figures
