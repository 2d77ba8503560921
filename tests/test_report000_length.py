"""Where fixed-length parity with a label only at the end stops being learnable: the critical-length runs'
registry entries, the tables and plots that read them (no records, some, fake ones), and the signal study's
cached JSON recomputed in part."""

import json
import math
from pathlib import Path

import matplotlib
import numpy as np
import pytest

from lstm_xor import reports
from lstm_xor.reports.r000 import length_plots as plots
from lstm_xor.reports.r000 import length_runs as runs
from lstm_xor.reports.r000 import length_tables as tables
from lstm_xor.study import length_signal

matplotlib.use("Agg")

JSON = Path(__file__).resolve().parents[1] / "book" / "summary" / "length_signal.json"


def test_the_registry_runs_each_series_length_by_three_seeds_to_a_cap_of_200000_strings():
    crit = {run.id: run for run in reports.RUNS if run.id.startswith("crit-")}
    want = {runs.run_id(kind, lr, n, s) for (kind, lr), lengths in runs.SERIES.items() for n in lengths
            for s in range(3)}
    assert set(crit) == want and len(crit) == 81
    assert runs.SERIES["fixed", 0.01] == (2, 3, 4, 5, 6, 8, 10, 12, 16, 20)
    assert runs.SERIES["random", 0.01] == (2, 3, 4, 6, 8, 10, 12, 16, 20, 50)
    for run in crit.values():
        c = run.config()
        assert (c["labels"], c["stop_when"], c["batch_size"], c["loss_reduction"], c["clip_norm"]) == \
            ("final", "sequence_accuracy:1", 32, "mean", 1.0)
        assert c["epochs"] * round(c["n_samples"] * (1 - c["test_fraction"])) == 200_000 == runs.CAP
        assert round(c["n_samples"] * (1 - c["test_fraction"])) % c["batch_size"] == 0  # every batch full
    fixed, small, random = (crit["crit-len6-1e-2-s2"].config(), crit["crit-len6-1e-3-s0"].config(),
                            crit["crit-var6-1e-2-s1"].config())
    assert (fixed["min_length"], fixed["max_length"], fixed["lr"], fixed["seed"]) == (6, 6, 0.01, 2)
    assert (small["min_length"], small["lr"]) == (6, 0.001)
    assert (random["min_length"], random["max_length"], random["seed"]) == (1, 6, 1)
    assert runs.cost(crit.values()) <= 1.3  # process-hours, every run to the cap


def _record(accuracies, n_samples=10_000):
    """A fake record: the test sequence accuracy after each epoch."""
    status = "solved" if accuracies[-1] == 1.0 else "completed"
    return {"status": status, "epochs_completed": len(accuracies), "config": {"n_samples": n_samples,
                                                                              "test_fraction": 0.2},
            "history": {"test_sequence_accuracy": list(accuracies), "iteration_loss": [0.7] * 250 * len(accuracies),
                        "epoch_loss": [1.0] * len(accuracies)}}


def _solved_in(epoch):
    return _record([0.5] * (epoch - 1) + [1.0])


UNSOLVED = _record([0.5] * 25)


def _fake():
    """Fixed length, lr 0.01: 2 and 3 solved by every seed, 4 solved by all within 200,000 strings but by one
    within 100,000, 5 by one seed only; length 50 from the final-len50 records (320,000 training strings, unsolved).
    Small lr: one run of length 2 done."""
    records = {}
    epochs = {2: (1, 1, 2), 3: (2, 3, 2), 4: (13, 13, 1), 5: (20, None, None)}
    for n, seeds in epochs.items():
        for s, e in enumerate(seeds):
            records[runs.run_id("fixed", 0.01, n, s)] = _solved_in(e) if e else UNSOLVED
    for s in range(3):
        records[f"final-len50-s{s}"] = _record([0.5] * 4, n_samples=100_000)
    records[runs.run_id("fixed", 0.001, 2, 0)] = _solved_in(3)
    return records


def test_without_records_the_tables_say_what_is_not_run_yet():
    assert "not run yet (n = 0 of 3)" in tables.steps_table({})
    assert tables.critical_table({}).count("not known yet") == len(runs.SERIES) * len(tables.THRESHOLDS)
    assert "fewer than 2 lengths solved" in tables.fit_table({})
    assert tables.findings({}) == "No critical-length run has been executed yet (0 of 81 registered)."
    plots.plot_steps({})


def test_the_critical_length_with_fake_records_at_both_caps_and_with_runs_missing():
    records = _fake()
    fixed = tables.outcomes(records, "fixed", 0.01)
    assert fixed[2] == [8000, 8000, 16000] and fixed[5] == [160_000, math.inf, math.inf]
    assert fixed[50] == [math.inf] * 3 and fixed[6] == [None] * 3
    assert tables.critical_length(fixed) == {"length": 5}
    assert tables.critical_length(tables.outcomes(records, "fixed", 0.01, tables.SECOND_CAP)) == {"length": 4}
    assert tables.critical_length(fixed, k=3) == {"length": 5}
    small = tables.outcomes(records, "fixed", 0.001)
    assert tables.critical_length(small) == {"pending": 2}  # one of 3 solved, two missing: either way
    assert tables.critical_length({2: [8000, None, None], 3: [math.inf, None, None]}, k=1) == {"pending": 3}
    assert tables.critical_length({2: [8000, 8000, 8000], 3: [8000, 8000, 8000]}) == {"above": 3}
    text = tables.findings(records)
    assert text.startswith("13 of 81 runs executed.")
    assert "fixed length n, lr 0.01: **5** (**4** within 100,000 strings)" in text
    assert "fixed length n, lr 0.001: not known yet (length 2 waits for runs)" in text
    row4 = next(line for line in tables.steps_table(records).splitlines() if line.startswith("| 4 |"))
    assert "3 of 3: 3250, 3250, 250 (n = 3)" in row4
    plots.plot_steps(records)


def test_the_finer_reading_takes_the_step_where_the_training_loss_reaches_a_tenth_of_chance():
    record = _solved_in(2)
    record["history"]["iteration_loss"] = [0.7] * 290 + [0.01] * 210
    assert tables.loss_steps(record) == 300  # the first 10-step window wholly past the fall ends at step 300
    records = {runs.run_id("fixed", 0.01, 2, 0): record, runs.run_id("fixed", 0.01, 3, 0): _solved_in(3),
               runs.run_id("fixed", 0.01, 4, 0): UNSOLVED}
    by_test, by_loss = (tables.outcomes(records, "fixed", 0.01, measure=m) for m in ("test", "loss"))
    assert by_test[2][0] == 16_000 and by_loss[2][0] == 300 * 32
    assert by_test[3][0] == by_loss[3][0] == 24_000  # the loss never fell: the epoch's count
    assert by_test[4][0] == by_loss[4][0] == math.inf
    assert tables.loss_steps(UNSOLVED) is None


def test_the_fit_recovers_a_known_power_law_and_a_known_exponential():
    power = [(n, 100 * n ** 1.5) for n in (2, 3, 4, 6, 8) for _ in range(3)]
    f = tables.fit(power)
    assert f["power"]["slope"] == pytest.approx(1.5) and f["power"]["rms"] < 1e-9 and f["better"] == "power"
    assert f["points"] == 15 and f["lengths"] == [2, 3, 4, 6, 8]
    growth = [(n, 10 * 2.0 ** n) for n in (2, 3, 4, 6, 8)]
    g = tables.fit(growth)
    assert g["exponential"]["slope"] == pytest.approx(np.log10(2)) and g["better"] == "exponential"
    assert g["power"]["rms"] > 0.05
    assert tables.fit([(4, 250), (4, 500)]) is None  # one length: no slope
    records = {runs.run_id("random", 0.01, n, s): _solved_in(e) for n, e in ((2, 1), (4, 4), (8, 16))
               for s in range(3)}
    fitted = tables.series_fit(records, "random", 0.01)
    assert fitted["power"]["slope"] == pytest.approx(2.0)  # 250 n^2 steps: epochs 1, 4, 16
    assert "| lengths 1..n, lr 0.01 | the test set, each epoch | 9 (2, 4, 8) | 2.00 (rms 0.000) |" in \
        tables.fit_table(records)


def test_the_signal_json_holds_every_length_and_seed_and_a_subset_recomputes_the_same():
    found = json.loads(JSON.read_text())
    assert found["command"] == length_signal.COMMAND
    assert found["lengths"] == list(runs.LENGTHS) and found["seeds"] == [0, 1, 2]
    for n in found["lengths"]:
        assert all(len(found["rows"][str(n)][key]) == 3 for key in length_signal.KEYS)
        assert (found["rows"][str(n)]["label_cosine"][0] is None) == (n > length_signal.EXACT)
    share = dict(tables.signal_means(found, "label_share"))
    assert all(share[a] > 2 * share[b] for a, b in zip((2, 3, 4, 5), (3, 4, 5, 6), strict=True))  # the page's words
    again = length_signal.measure_one(2, 0, found["batches"])  # the one length with a signal: seconds
    for key in length_signal.KEYS:
        assert again[key] == pytest.approx(found["rows"]["2"][key][0], rel=1e-6), key
    assert "| 50 |" in tables.signal_table(found)
    tables.signal_text(found)
    plots.plot_signal(found)
