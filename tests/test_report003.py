"""Report 003 (the adder): its registry entries, and its summary tables computed from the committed records."""

import re
from pathlib import Path

import numpy as np
import pytest

from lstm_xor import render
from lstm_xor.nn.cells import CELLS
from lstm_xor.reports.r003 import runs as r003
from lstm_xor.reports.r003 import tables
from lstm_xor.tasks.adder import solved_step

REPO = Path(__file__).resolve().parents[1]
RECORDS = render.load_records(REPO / "book" / "runs", r003.PART.runs)


def _row(table, first_cell):
    return next(line for line in table.splitlines() if line.startswith(f"| {first_cell} |"))


def test_ids_are_unique_and_the_groups_hold_every_run_once():
    ids = [run.id for run in r003.PART.runs]
    assert len(ids) == len(set(ids)) == 88
    lists = (r003.BASIC, r003.LENGTH, r003.RANGES, r003.HIDDEN, r003.LAYERS, r003.RATES, r003.HANDOUT, r003.INIT)
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


def test_every_run_has_a_committed_record():
    assert set(RECORDS) == {run.id for run in r003.PART.runs}


def test_the_seeds_table_is_the_records_solved_steps():
    table = tables.seeds_table(RECORDS)
    for cell in CELLS:
        steps = [solved_step(RECORDS[run.id]) for run in r003.BASIC if run.config()["cell"] == cell]
        have = [s for s in steps if s is not None]
        row = _row(table, f"{cell.upper()} | ours")
        assert f"| {len(steps)} | {render.number_text(float(np.median(have)))} (" in row
        assert f"({render.number_text(min(have))}–{render.number_text(max(have))}" in row


def test_the_documented_table_gives_each_runs_final_accuracy_and_links_it():
    table = tables.documented_table(RECORDS, "../runs")
    row = _row(table, "Basic setting, GRU")
    finals = [RECORDS[f"add-basic-gru-s{s}"]["test"]["sum_accuracy"] for s in range(5)]
    assert ", ".join(render.number_text(v, 4) for v in finals) in row
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
