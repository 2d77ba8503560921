"""`python -m lstm_xor verify`: which runs it re-executes, what it compares, and the runs it names as failing."""

import json
import shutil
from pathlib import Path

import pytest

from lstm_xor import cli, reports
from lstm_xor.publish import compare, driver, verify
from lstm_xor.publish.bookdir import Book

BOOK = Book(Path(__file__).resolve().parents[1] / "book")


@pytest.fixture(scope="module")
def committed():
    return verify.load_records(BOOK)


def _copy_record(run_id, tmp_path, edit):
    """A book folder holding one committed record, changed by ``edit(record)``."""
    book = Book(tmp_path / "book")
    book.runs.mkdir(parents=True)
    record = json.loads(BOOK.record(run_id).read_text())
    edit(record)
    book.record(run_id).write_text(json.dumps(record))
    shutil.copyfile(BOOK.notebook(run_id), book.notebook(run_id))
    return book


def _verify(book, tmp_path, *args):
    lines = []
    code = verify.main(["--book", str(book.root), *args], scratch=tmp_path / "scratch", out=lines.append)
    return code, "\n".join(lines)


# -- selection -------------------------------------------------------------------------------------


def test_the_default_selection_is_the_cheapest_run_of_groups_of_every_part_within_the_budget(committed):
    chosen = verify.default_selection(committed)
    assert chosen == verify.default_selection(committed)
    assert sum(verify.estimate(committed[i]) for i in chosen) <= verify.BUDGET
    parts = {reports.part_of(reports.get(i)).report for i in chosen}
    assert parts == {part.report for part in reports.PARTS}
    for run_id in chosen:
        group = next(g for p in reports.PARTS for g in p.groups if g.name == reports.get(run_id).group)
        held = [r.id for r in group.runs if r.id in committed]  # a study under way holds some runs, not all
        assert verify.estimate(committed[run_id]) == min(verify.estimate(committed[i]) for i in held)
    assert len(chosen) >= 2 * len(reports.PARTS)


def test_a_sample_is_the_same_for_a_seed_and_another_for_another_seed(committed):
    first = verify.select(committed, k=6, seed=11)
    assert first == verify.select(committed, k=6, seed=11) and len(set(first)) == 6
    assert set(first) <= set(committed)
    assert verify.select(committed, k=6, seed=12) != first


def test_unknown_ids_are_refused_and_a_resumed_run_is_estimated_from_scratch(committed):
    with pytest.raises(ValueError, match="no-such-run"):
        verify.select(committed, only=["fixed-03", "no-such-run"])
    resumed = next(r for r in committed.values() if r["driver"]["resumed_from"])
    assert verify.estimate(resumed) > resumed["driver"]["notebook_seconds"]


def test_the_cli_lists_the_selection_with_its_estimate(capsys):
    assert cli.main(["verify", "--dry-run", "--only", "fixed-03", "bptt-full-rnn-s1"]) == 0
    out = capsys.readouterr().out
    assert "verify: 2 run(s)" in out and "fixed-03" in out and "bptt-full-rnn-s1" in out


# -- what is compared ------------------------------------------------------------------------------


def test_tolerances_exact_under_the_recorded_kernel_drift_otherwise():
    assert compare.agrees("test loss", 28.062389136966193, 28.062389136966193, exact=True)
    assert not compare.agrees("test loss", 28.062389136966193, 28.06238913696801 * (1 + 1e-8), exact=True)
    assert compare.agrees("test loss", 28.0624, 28.0887, exact=False)  # another kernel's drift over 12 epochs
    assert not compare.agrees("test loss", 28.0624, 28.0624 * 1.02, exact=False)
    assert compare.agrees("sequence_accuracy", 0.990, 0.994, exact=False)
    assert not compare.agrees("sequence_accuracy", 0.990, 0.996, exact=False)
    assert not compare.agrees("epochs", 12, 13, exact=False) and not compare.agrees("status", "solved", "completed",
                                                                                 exact=False)


def test_the_recorded_kernel_is_used_where_the_cpu_has_it(monkeypatch):
    record = {"environment": {"blas": {"architecture": "Haswell"}}}
    monkeypatch.setattr(compare, "cpu_supports", lambda kernel: True)
    env, exact, how = compare.kernel_plan(record)
    assert env["OPENBLAS_CORETYPE"] == "Haswell" and exact and "Haswell" in how
    assert env["NPY_DISABLE_CPU_FEATURES"] == compare.NUMPY_AVX512  # NumPy's loops as the book pins them
    record["environment"]["numpy_simd"] = {"targets": ["X86_V3", "X86_V4"], "disabled_env": None}
    assert compare.kernel_plan(record)[0]["NPY_DISABLE_CPU_FEATURES"] == ""  # the AVX-512 loops it was made with
    monkeypatch.setattr(compare, "cpu_supports", lambda kernel: False)
    env, exact, how = compare.kernel_plan(record)
    assert not exact and "lacks" in how and "tolerance" in how
    assert not compare.kernel_plan({"environment": {}})[1]


def test_the_compared_figures_are_loss_headline_metric_epochs_and_status(committed):
    record = committed["add-basic-rnn-s0"]
    assert list(compare.figures(record)) == ["test loss", "sum_accuracy", "epochs", "status"]
    changed = json.loads(json.dumps(record))
    changed["test"]["sum_accuracy"] -= 0.01
    rows = {name: ok for name, *_, ok in compare.compare(record, changed, exact=False)}
    assert rows == {"test loss": True, "sum_accuracy": False, "epochs": True, "status": True}


@pytest.mark.parametrize("edit", [lambda test: test.pop("loss"), lambda test: test.update(loss=None)])
def test_a_committed_record_without_its_test_loss_does_not_pass(committed, edit):
    record = committed["add-basic-rnn-s0"]
    edited = json.loads(json.dumps(record))
    edit(edited["test"])
    rows = {name: ok for name, *_, ok in compare.compare(edited, record, exact=True)}
    assert rows["test loss"] is False and rows["sum_accuracy"] is True


# -- records that fail without a re-run -------------------------------------------------------------


@pytest.mark.parametrize("edit, words", [
    (lambda r: r["driver"].update(fingerprint="0123456789abcdef"), "fingerprint 0123456789abcdef"),
    (lambda r: r["driver"].update(numerics=1), "numerics version 1"),
    (lambda r: r["config"].update(lr=0.5), "edited by hand"),
])
def test_a_record_whose_fingerprint_is_not_the_codes_fails_naming_the_run(tmp_path, monkeypatch, edit, words):
    monkeypatch.setattr(verify, "rerun", lambda *a: pytest.fail("a stale record is not re-run"))
    book = _copy_record("bptt-full-rnn-s1", tmp_path, edit)
    code, out = _verify(book, tmp_path, "--only", "bptt-full-rnn-s1")
    assert code == 1 and "STALE" in out and words in out
    assert out.splitlines()[-1].endswith("1 failed: bptt-full-rnn-s1")


def test_a_missing_or_corrupt_record_fails_naming_the_run_and_the_file(tmp_path):
    book = _copy_record("bptt-full-rnn-s1", tmp_path, lambda r: None)
    book.record("bptt-full-rnn-s1").write_text(book.record("bptt-full-rnn-s1").read_text()[:-40])
    code, out = _verify(book, tmp_path, "--only", "bptt-full-rnn-s0", "bptt-full-rnn-s1")
    assert code == 1 and "bptt-full-rnn-s0: FAILED, no record at " in out
    assert "bptt-full-rnn-s1: FAILED, record " in out and "bptt-full-rnn-s1.json is corrupt" in out
    assert out.splitlines()[-1].endswith("2 failed: bptt-full-rnn-s0, bptt-full-rnn-s1")


# -- re-executed (quick profile: toy runs through papermill) ---------------------------------------


@pytest.fixture(scope="module")
def quick_book(tmp_path_factory):
    """fixed-03, and fixed-06 which the driver starts from fixed-03's first epoch (quick: 2 epochs each)."""
    book = Book(tmp_path_factory.mktemp("verify") / "book")
    results = driver.run_all("quick", only=["fixed-03", "fixed-06"], book=book.root, summaries=False,
                             out=lambda line: None)
    assert {s for s, _ in results.values()} == {"ok"}, results
    assert json.loads(book.record("fixed-06").read_text())["driver"]["resumed_from"]["run"] == "fixed-03"
    return book


@pytest.mark.slow
def test_a_resumed_run_re_executed_from_scratch_under_its_kernel_gives_its_record(quick_book, tmp_path,
                                                                                 monkeypatch):
    kernel = compare.recorded_kernel(json.loads(quick_book.record("fixed-06").read_text()))
    monkeypatch.setenv("OPENBLAS_CORETYPE", "Sandybridge" if kernel == "Haswell" else "Haswell")  # not the record's
    code, out = _verify(quick_book, tmp_path, "--only", "fixed-06")
    assert code == 0, out
    assert "[1/1] fixed-06" in out and "    ok (" in out and out.splitlines()[-1].endswith("1 agree")
    assert f"kernels as recorded (OpenBLAS {kernel}, NumPy " in out and "figures must be equal" in out
    again = json.loads(Book(tmp_path / "scratch").record("fixed-06").read_text())
    assert again["driver"]["resumed_from"] is None and again["epochs_completed"] == 2
    assert again["environment"]["blas"]["architecture"] == kernel


@pytest.mark.slow
def test_a_test_loss_edited_by_hand_is_caught(quick_book, tmp_path):
    book = Book(tmp_path / "edited")
    shutil.copytree(quick_book.root, book.root)
    record = json.loads(book.record("fixed-03").read_text())
    record["test"]["loss"] *= 1.1
    book.record("fixed-03").write_text(json.dumps(record))
    code, out = _verify(book, tmp_path, "--only", "fixed-03")
    assert code == 1
    assert "test loss" in out and "<- beyond tolerance" in out
    assert out.splitlines()[-1].endswith("1 failed: fixed-03")


def test_a_registry_run_without_a_readable_record_is_verified_and_fails_in_any_selection(committed):
    records = dict(committed)
    del records["fixed-03"]  # as load_records leaves out a corrupt or unstamped record
    assert verify.select(records)[0] == "fixed-03"
    assert verify.select(records, k=2, seed=0)[0] == "fixed-03"
    assert "fixed-03" not in verify.select(committed)
