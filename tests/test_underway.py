"""Studies still being executed (lstm_xor.reports.underway): left out of `make book`'s plan and verify's
selection, run by `runs --underway`, and every pattern listed matches runs not all done."""

from fnmatch import fnmatchcase
from pathlib import Path

import pytest

from lstm_xor import reports
from lstm_xor.publish import driver as runs
from lstm_xor.publish import verify
from lstm_xor.reports import underway

BOOK = Path(__file__).resolve().parents[1] / "book"


def test_every_pattern_names_registry_runs_not_all_in_the_book():
    for pattern in underway.UNDERWAY:
        matched = [run.id for run in reports.RUNS if fnmatchcase(run.id, pattern)]
        assert matched, f"{pattern} matches no registry run: remove it"
        assert not all((BOOK / "runs" / f"{i}.json").exists() for i in matched), \
            f"every run of {pattern} is in the book: the study is done, remove it from UNDERWAY"


@pytest.fixture
def studying(monkeypatch):
    monkeypatch.setattr(underway, "UNDERWAY", ("bptt-k5-*",))
    monkeypatch.setattr(reports, "RUNS", [reports.get(i) for i in ("fixed-03", "bptt-k2-lstm-s0", "bptt-k5-lstm-s0")])


def test_make_book_leaves_a_study_under_way_out_and_runs_underway_executes_it(studying, tmp_path, monkeypatch):
    executed = []
    monkeypatch.setattr(runs, "execute_run", lambda book, step, *a, **kw: executed.append(step.id) or ("ok", ""))
    runs.run_all("quick", book=tmp_path, summaries=False, out=lambda line: None)
    assert executed == ["fixed-03", "bptt-k2-lstm-s0"]
    called = {}
    monkeypatch.setattr(runs, "run_all", lambda *a, **kw: called.update(only=a[1]) or {})
    assert runs.main(["--profile", "quick", "--book", str(tmp_path), "--underway"]) == 0
    assert called["only"] == ["bptt-k5-*"]
    with pytest.raises(ValueError, match="--underway and --only: choose one"):
        runs.main(["--profile", "quick", "--underway", "--only", "fixed-03"])


def test_plan_counts_a_study_under_way_apart(studying, tmp_path, capsys):
    assert runs.main(["--plan", "--profile", "quick", "--book", str(tmp_path), "--jobs", "1"]) == 0
    out = capsys.readouterr().out
    assert "`make book` would run 2 of these 3 runs: 2 missing, 0 stale; 0 done; 1 of studies under way, left out " \
           "(runs --underway)" in out
    assert "  to run: 2 runs" in out


def test_verify_does_not_fail_a_study_under_way_for_its_missing_records(studying):
    assert verify.select({}, k=1) == ["fixed-03", "bptt-k2-lstm-s0"]


def test_the_summaries_stamp_every_registry_run_a_study_under_way_included(monkeypatch, tmp_path):
    """The committed stamps hash every record a summary reads, so a driver that leaves a study out of its plan
    still stamps the summaries as the test of the committed stamps (and a later `runs --underway`) does."""
    seen = {}
    monkeypatch.setattr(underway, "UNDERWAY", (reports.RUNS[0].id,))
    monkeypatch.setattr(runs, "execute_summaries", lambda book, profile, given, force, out: seen.setdefault(
        "runs", list(given)) and [])
    monkeypatch.setattr(runs, "write_toc", lambda book, given: seen.setdefault("toc", list(given)))
    runs.run_all("full", book=tmp_path / "book", summaries_only=True, out=lambda line: None)
    assert [r.id for r in seen["runs"]] == [r.id for r in reports.RUNS]
    assert reports.RUNS[0].id not in {r.id for r in seen["toc"]}  # the toc still leaves the study out
