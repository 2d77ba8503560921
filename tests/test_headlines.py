"""The abstract's one line per report: each generated from the records by its report's headline(), the intro
calling all five, and no hand-written figure left where a line now stands."""

import json
from pathlib import Path

from lstm_xor import render, reports
from lstm_xor.reports.r000.headline import headline as h000
from lstm_xor.reports.r003 import findings as f003
from lstm_xor.reports.r003.tables import step_at
from lstm_xor.reports.r004 import findings as f004

ROOT = Path(__file__).resolve().parents[1]
RECORDS = render.load_records(ROOT / "book" / "runs", reports.RUNS)


def test_every_headline_says_so_before_any_record():
    assert h000({}) == "Report 000 (parity): no replay has a record yet."
    assert f003.headline({}) == "Report 003 (an adder): no run has a record yet."
    assert f004.headline({}).endswith("no run has a record yet.")


def test_the_headlines_read_the_committed_records():
    from lstm_xor.reports.r000.runs import REPORT_RUNS
    right = sum(RECORDS[run.id]["test"]["sequence_accuracy"] == 1.0 for run in REPORT_RUNS)
    assert f"{right} of its {len(REPORT_RUNS)} runs get every test string right" in h000(RECORDS)
    basic = [RECORDS[run.id] for run in f003.report003.BASIC]
    steps = sorted(step_at(r, 0.99) for r in basic)
    assert f"at step {steps[0]}-{steps[-1]}" in f003.headline(RECORDS)
    assert "chunks of 5 learn a lag of 10 in" in f004.headline(RECORDS)


def test_the_intro_calls_all_five_and_keeps_no_hand_written_line():
    intro = json.loads((ROOT / "book" / "intro.ipynb").read_text())
    code = "\n".join("".join(c["source"]) for c in intro["cells"] if c["cell_type"] == "code")
    for call in ("h000(records)", "t001.headline(records", "f002.headline(records", "f003.headline(records)",
                 "f004.headline(records)"):
        assert call in code
    prose = " ".join("".join(c["source"]) for c in intro["cells"] if c["cell_type"] == "markdown")
    assert "520-960" not in prose and "two seeds" not in prose
