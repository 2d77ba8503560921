"""Report 003 (the adder): its registry entries, and its summary tables computed from the committed records."""

import re
from pathlib import Path

import numpy as np
import pytest

from lstm_xor import render
from lstm_xor.nn.cells import CELLS
from lstm_xor.reports.r003 import findings, tables
from lstm_xor.reports.r003 import runs as r003
from lstm_xor.tasks.adder import solved_step

REPO = Path(__file__).resolve().parents[1]
RECORDS = render.load_records(REPO / "book" / "runs", r003.PART.runs)


def _row(table, first_cell):
    return next(line for line in table.splitlines() if line.startswith(f"| {first_cell} |"))


def test_ids_are_unique_and_the_groups_hold_every_run_once():
    ids = [run.id for run in r003.PART.runs]
    assert len(ids) == len(set(ids)) == 88 + len(ADDED)
    lists = (r003.BASIC, r003.LENGTH, r003.RANGES, r003.HIDDEN, r003.LAYERS, r003.RATES, r003.HANDOUT, r003.INIT,
             r003.CHAINS)
    assert sorted(ids) == sorted(run.id for runs in lists for run in runs)
    for group in r003.GROUPS:
        assert {run.group for run in group.runs} == {group.name}
    assert all(run.config()["task"] == "adder" for run in r003.PART.runs)


def test_the_basic_setting_is_the_reports_and_varies_only_cell_and_seed():
    configs = [run.config() for run in r003.BASIC]
    assert {(c["cell"], c["seed"]) for c in configs} == {(cell, s) for cell in CELLS for s in range(5)}
    varying = {k for k in configs[0] if len({repr(c[k]) for c in configs}) > 1}
    assert varying == {"cell", "seed"}
    c = configs[0]
    assert (c["hidden"], c["layers"], c["lr"], c["batch_size"], c["epochs"] * c["steps_per_epoch"]) == \
        (32, 2, 0.001, 200, 1000)  # "hidden_dim = 32, layers = 2, epochs = 1000, learning_rate = 0.001"
    init = {(run.config()["cell"], run.config()["seed"]): run.config() for run in r003.INIT}
    assert all(init[(c["cell"], c["seed"])] == dict(c, init="torch") for c in configs)


# Registered for issue 22 (seeds 1 and 2 of the one-seed rows, training on carry chains), trained later.
ADDED = {f"add-{row}-{cell}-s{seed}" for row in ("layers1", "layers4", "lr1e-2", "lr5e-2", "range-1e10", "range-1e5",
                                                "range-1e5-len11", "hidden16", "hidden64", "handout")
         for cell in CELLS for seed in (1, 2)} | {f"add-chains-1e10-{cell}-s{seed}" for cell in CELLS
                                                  for seed in range(3)} | {"add-length1000-gru-s1",
                                                                           "add-length1000-gru-s2"}


def test_every_run_has_a_committed_record_but_those_added_since():
    assert {run.id for run in r003.PART.runs} - set(RECORDS) <= ADDED
    assert set(RECORDS) <= {run.id for run in r003.PART.runs}


def test_the_added_seeds_repeat_their_rows_and_the_chain_runs_differ_only_in_the_chains():
    for run_id in ADDED - {run.id for run in r003.CHAINS}:
        added, first = r003.PART.runs[[r.id for r in r003.PART.runs].index(run_id)], run_id[:-3]
        assert added.config() == dict(next(r for r in r003.PART.runs if r.id == first).config(),
                                      seed=added.config()["seed"])
    for run in r003.CHAINS:
        plain = next(r for r in r003.RANGES if r.id == f"add-range-1e10-{run.config()['cell']}")
        assert run.config() == dict(plain.config(), seed=run.config()["seed"], carry_chains=r003.CHAINS_FRACTION)


def test_the_seeds_table_is_the_records_solved_steps():
    table = tables.seeds_table(RECORDS)
    for cell in CELLS:
        steps = [solved_step(RECORDS[run.id]) for run in r003.BASIC if run.config()["cell"] == cell]
        have = [s for s in steps if s is not None]
        row = _row(table, f"{cell.upper()} | ours")
        assert f"| {len(steps)} | {render.number_text(float(np.median(have)))} (" in row
        assert f"({render.number_text(min(have))}–{render.number_text(max(have))}" in row


def test_the_documented_table_gives_each_configurations_final_accuracy_over_seeds_and_links_it():
    table = tables.documented_table(RECORDS, "../runs")
    row = _row(table, "Basic setting, GRU")
    finals = [RECORDS[f"add-basic-gru-s{s}"]["test"]["sum_accuracy"] for s in range(5)]
    assert f"{np.mean(finals):.4f} ± {np.std(finals, ddof=1):.4f} (n = 5)" in row
    assert f"solved {sum(v == 1.0 for v in finals)} of 5" in row
    few = _row(table, "8 layers, GRU")  # three seeds: every value
    finals = [RECORDS[f"add-layers8-gru-s{s}"]["test"]["sum_accuracy"] for s in range(3)]
    assert ", ".join(f"{v:.4f}" for v in finals) + " (n = 3)" in few
    assert "(n = 1 of 3)" in _row(table, "4 layers, LSTM") or "(n = 3)" in _row(table, "4 layers, LSTM")
    assert all(f"[add-basic-gru-s{s}](../runs/add-basic-gru-s{s}.ipynb)" in row for s in range(5))
    assert len(re.findall(r"^\| ", table, flags=re.M)) == 1 + len({re.sub(r"-s\d+$", "", r.id)
                                                                   for r in r003.PART.runs})


@pytest.mark.parametrize("run_id", ["add-range-1e10-lstm", "add-range-1e2-gru-s0"])
def test_steps_and_the_first_low_loss_come_from_the_history(run_id):
    record = RECORDS[run_id]
    steps = tables.steps(record)
    assert steps[-1] == record["epochs_completed"] * record["config"]["steps_per_epoch"]
    low = tables.first_step_below(record)
    losses = record["history"]["iteration_loss"]
    assert low is None or (losses[low - 1] < tables.LOSS_MARK and min(losses[:low - 1] or [1]) >= tables.LOSS_MARK)


def test_the_thresholds_table_gives_the_first_step_at_90_99_and_100_percent():
    table = tables.thresholds_table(RECORDS)
    row = _row(table, "GRU | ours")
    for level in tables.LEVELS:
        steps = [tables.step_at(RECORDS[run.id], level) for run in r003.BASIC if run.config()["cell"] == "gru"]
        have = [v for v in steps if v is not None]
        assert f"median {render.number_text(float(np.median(have)))} ({min(have)}–{max(have)})" in row
    record = RECORDS["add-basic-rnn-s0"]
    assert tables.step_at(record, 1.0) == solved_step(record)
    assert tables.step_at(record, 0.9) <= tables.step_at(record, 0.99) <= tables.step_at(record, 1.0)


def test_the_findings_restate_the_ranking_from_the_thresholds():
    text = findings.ranking(RECORDS)
    medians = tables.median_steps(RECORDS, 0.9)
    ours = sorted(CELLS, key=lambda c: medians[(c, "ours")])
    assert "at 90% " + " < ".join(f"{c.upper()} {render.number_text(medians[(c, 'ours')])}" for c in ours) in text
    slowest = {level: max(CELLS, key=lambda c, level=level: tables.median_steps(RECORDS, level)[(c, "ours")])
               for level in tables.LEVELS}
    if len(set(slowest.values())) > 1:
        assert "which cell is the slowest depends on the threshold" in text


def test_the_positions_sentence_puts_the_drop_at_digit_10_and_the_carry_out_at_11():
    text = findings.positions(RECORDS)
    low = [RECORDS[run.id] for run in r003.RANGES if run.id.startswith("add-range-1e2-")]
    top = [r["test"]["position_accuracy"][10] for r in low]
    assert f"digit 11, the carry out of the top (a 1 or a 0), is right in {render.number_text(min(top), 3)}-" \
           f"{render.number_text(max(top), 3)}" in text
    lstm = [100 * (r["test"]["position_accuracy"][2] - r["test"]["position_accuracy"][9]) for r in low
            if r["config"]["cell"] == "lstm"]
    assert f"the LSTM {render.number_text(min(lstm), 2)}-{render.number_text(max(lstm), 2)}" in text
    table = tables.position_table(RECORDS, [run.id for run in r003.RANGES if "1e2-" in run.id], "../runs")
    assert "| digit 10 | digit 11 |" in table.splitlines()[0]


def test_the_carries_sentence_gives_the_random_pairs_as_they_are():
    text = findings.carries(RECORDS)
    random = [tables.extra_accuracy(RECORDS[run.id], "9") for run in r003.BASIC]
    assert f"get {render.number_text(min(random))}-{render.number_text(max(random))} of 1,000 random" in text
    assert f"every one in {sum(v == 1.0 for v in random)} of {len(random)} runs" in text


def test_the_once_static_sentences_come_from_the_records():
    def span(values, digits, scale=1.0):
        lo, hi = render.number_text(scale * min(values), digits), render.number_text(scale * max(values), digits)
        return lo if lo == hi else f"{lo}-{hi}"
    long = [RECORDS[run.id]["test"] for run in r003.LENGTH if run.id in RECORDS]
    assert f"{span([t['sum_accuracy'] for t in long], 3, 100)}% of the 1000-digit sums" in findings.length1000(RECORDS)
    low = [RECORDS[run.id] for run in r003.RANGES if run.id.startswith("add-range-1e2-")]
    seen = [r["extra_tests"]["2"]["sum_accuracy"] for r in low]
    assert f"itself the networks get {span(seen, 3, 100)}% of the sums right" in findings.small_range(RECORDS)
    short = [RECORDS[run.id] for run in r003.RANGES if run.id.startswith("add-range-1e5-len11-lstm")
             and run.id in RECORDS]
    assert f"{span([tables.extra_accuracy(r, '100') for r in short], 3)} (LSTM)" in findings.large_range(RECORDS)
    wide = [RECORDS[run.id] for run in r003.HIDDEN if run.config()["hidden"] == 64 and run.id in RECORDS]
    assert f"the finals {span([tables.final_sums(r) for r in wide], 4)}" in findings.hidden(RECORDS)
    ten = [RECORDS[run.id] for run in r003.RANGES if run.id.startswith("add-range-1e10-")]
    assert f"every one in {sum(tables.final_sums(r) == 1.0 for r in ten)} of {len(ten)}" in findings.ten_digits(RECORDS)
    assert "not been run" in findings.length1000({}) and "not run yet" in findings.hidden({})


def test_tables_and_findings_read_the_same_before_any_new_run_is_trained():
    empty = {}
    assert "not run yet (n = 0 of 3)" in tables.chains_table(empty, "../runs")
    assert "not run yet" in tables.documented_table(empty, "../runs")
    assert "not run yet" in findings.chains(empty) and "not been run" in findings.speed(empty)
    chains = tables.chains_table(RECORDS, "../runs")
    assert "| RNN | uniform |" in chains and ("not run yet (n = 0 of 3)" in chains or "(n = 3)" in chains)


def test_plot_study_tells_width_apart_by_line_style():
    from lstm_xor.reports.r003.plots import _settings
    ids = [run.id for run in r003.HIDDEN] + [f"add-basic-{c}-s0" for c in CELLS]
    settings = _settings(RECORDS, ids)
    assert len({style for style, _ in settings.values()}) == 3  # hidden 16, 32, 64
    assert settings["add-hidden16-gru"][1] == "gru, hidden 16"


# -- the adder's carry_chains parameter ---------------------------------------------------------------

def _adder(**extra):
    from lstm_xor.config import RunConfig
    return RunConfig(**{**dict(task="adder", train_range="0,1e10", test_range="0,1e10", batch_size=400), **extra})


def _longest_carry(a, b):
    """(N,) the longest run of consecutive positions with a carry out."""
    total, carry = np.zeros(len(a), dtype=int), np.zeros(len(a), dtype=int)
    run = np.zeros(len(a), dtype=int)
    for t in range(a.shape[1]):
        carry = (a[:, t] + b[:, t] + carry) // 10
        run = np.where(carry > 0, run + 1, 0)
        total = np.maximum(total, run)
    return total


def _batch(config, epoch=0, iteration=2):
    from lstm_xor.tasks import get_task
    from lstm_xor.tasks.base import Step
    task = get_task("adder")
    data = task.splits(config).train
    return task.batch(config, data, np.arange(config.batch_size), np.float32,
                      Step(epoch, iteration, 1, np.random.default_rng(0)))


def test_off_the_chains_draw_the_pairs_as_before_and_move_no_fingerprint():
    from lstm_xor.config import numeric_values
    plain, off = _batch(_adder()), _batch(_adder(carry_chains=0.0))
    np.testing.assert_array_equal(plain.x, off.x)
    assert "carry_chains" not in numeric_values(_adder().to_dict())
    assert numeric_values(_adder(carry_chains=0.25).to_dict())["carry_chains"] == 0.25


def test_a_share_of_the_pairs_carries_through_a_long_chain_within_the_range():
    from lstm_xor.tasks.adder import add_digits
    config = _adder(carry_chains=0.25, seed=3)
    plain, chained = _batch(_adder(seed=3)), _batch(config)
    rows = np.random.default_rng([3, 9, 0, 2]).random(config.batch_size) < 0.25
    assert 0.15 < rows.mean() < 0.35
    np.testing.assert_array_equal(chained.x[~rows], plain.x[~rows])  # the other pairs are the uniform ones
    a, b = chained.x[..., 0].astype(int), chained.x[..., 1].astype(int)
    np.testing.assert_array_equal(chained.y, add_digits(a, b))
    assert not a[:, 10:].any() and not b[:, 10:].any()  # operands below 10**10, the training range
    runs = _longest_carry(a[rows], b[rows])
    assert runs.min() >= 2 and runs.mean() > 2 * _longest_carry(a[~rows], b[~rows]).mean()


@pytest.mark.parametrize("params, message", [
    (dict(carry_chains=1.5), "bad parameter carry_chains=1.5: expected a share in [0, 1]"),
    (dict(carry_chains=0.2, train_range="5,1e10"), "bad parameter carry_chains=0.2: carry chains are drawn"),
    (dict(carry_chains=0.2, train_range="0,50", test_range="0,50", short_test=False), "needs a low of 0 and a high"),
])
def test_bad_carry_chains_are_named(params, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        _adder(**params)


def test_a_short_run_trains_on_carry_chains(tmp_path):
    from lstm_xor.train.loop import train
    record = train(dict(task="adder", carry_chains=0.5, train_range="0,1e3", test_range="0,1e3", digits=4, epochs=1,
                        steps_per_epoch=2, hidden=8, embed=4, batch_size=20, n_test=50, eval_digits="5",
                        metrics_path=str(tmp_path / "run.json")), progress=False)
    assert record["status"] == "completed" and record["config"]["carry_chains"] == 0.5
    assert "5 carry" in record["extra_tests"]
