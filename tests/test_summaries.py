"""The summary pages' stamps: a page is re-executed when what it draws from changed, and only then."""

import json
import shutil
from pathlib import Path

import pytest

from lstm_xor import reports
from lstm_xor.publish import bookdir, summaries

BOOK = Path(__file__).resolve().parents[1] / "book"
FORECAST = "summary/forecast.ipynb"


def test_a_comment_or_docstring_edit_leaves_the_behaviour_hash_and_a_code_edit_changes_it(tmp_path):
    path = tmp_path / "m.py"
    path.write_text('"""A module."""\n\n\ndef f(x):\n    """Twice x."""\n    return 2 * x  # why\n')
    before = summaries.behaviour(path)
    path.write_text('"""A module, reworded."""\n\n# a new comment\n\ndef f(x):\n    """Two x."""\n\n'
                    '    return 2 * x  # why, said otherwise\n')
    assert summaries.behaviour(path) == before
    path.write_text('"""A module."""\n\n\ndef f(x):\n    """Twice x."""\n    return 3 * x\n')
    assert summaries.behaviour(path) != before


def test_a_summary_calls_the_code_it_imports_and_theirs_not_every_report():
    code = summaries.code_closure(summaries.notebook_imports(BOOK / FORECAST))
    assert {"lstm_xor.reports.r001.tables", "lstm_xor.render", "lstm_xor.reports.base"} <= set(code)
    assert "lstm_xor.reports.r003.tables" not in code  # another report's tables
    assert "lstm_xor.reports.r003.runs" in code  # the registry finds every report's runs (by discovery)


def _copy(tmp_path):
    """The book's summaries and records, in a folder of their own."""
    root = tmp_path / "book"
    for name in bookdir.SUMMARIES:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(BOOK / name, root / name)
    shutil.copytree(BOOK / "runs", root / "runs", ignore=shutil.ignore_patterns("*.ipynb", ".cache"))
    return bookdir.Book(root)


def test_a_record_change_restamps_only_the_pages_that_read_it(tmp_path):
    book = _copy(tmp_path)
    before = summaries.stamps(book, "full", reports.RUNS)
    assert set(before) == set(bookdir.SUMMARIES)
    record = book.record("fc-sunspots-rnn-s0")
    record.write_text(record.read_text().replace('"status"', '"status" ', 1))
    after = summaries.stamps(book, "full", reports.RUNS)
    assert {name for name in before if before[name] != after[name]} == {bookdir.ROOT, FORECAST}


@pytest.mark.slow
def test_stale_summaries_are_those_whose_committed_stamp_differs(tmp_path):
    book = _copy(tmp_path)
    current = summaries.stamps(book, "full", reports.RUNS)
    summaries.stamp_path(book).write_text(json.dumps(dict(current, **{FORECAST: "old"})))
    assert list(summaries.stale(book, "full", reports.RUNS)) == [FORECAST]
    assert set(summaries.stale(book, "full", reports.RUNS, force=True)) == set(current)


def test_the_committed_stamps_are_current():
    """A fresh clone of an up-to-date book re-executes no summary."""
    assert summaries.stale(bookdir.Book(BOOK), "full", reports.RUNS) == {}
