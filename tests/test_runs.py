"""The run registry, the prefix-sharing plan and the papermill driver (quick profile, into tmp dirs)."""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest

import lstm_xor
from lstm_xor import NUMERICS_VERSION, render, reports
from lstm_xor.config import split
from lstm_xor.optim import lr_at
from lstm_xor.publish import bookdir, pages, plan, status
from lstm_xor.publish import driver as runs
from lstm_xor.reports.r000 import runs as report000
from lstm_xor.reports.r000.pages import REPORT_TEST_N
from lstm_xor.reports.underway import underway
from lstm_xor.train.loop import train

BOOK = Path(__file__).resolve().parents[1] / "book"

# -- the registry ---------------------------------------------------------------------------------


def test_registry_lists_every_documented_run():
    groups = {}
    for run in reports.RUNS:
        groups.setdefault(run.group, []).append(run.id)
    assert groups["report-fixed"] == ["fixed-uniform"] + [f"fixed-{n:02d}" for n in range(1, 7)]
    assert groups["report-variable"] == [f"variable-{n:02d}" for n in range(1, 28)]
    assert len(report000.REPORT_RUNS) == 1 + 6 + 27
    ours = set(groups["ours"])
    assert {f"default-{k}-s{s}" for k in ("fixed", "variable") for s in (0, 1, 2)} <= ours
    assert {"final-variable", "final-fixed", "final-fixed-curriculum"} <= ours
    assert len(set(reports.BY_ID)) == len(reports.RUNS)
    bad = [run.id for run in reports.RUNS if not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", run.id)]
    assert not bad, f"run ids name book pages: letters, digits and dashes only, got {bad}"


def test_every_entry_is_a_valid_config_in_runconfig_names():
    for run in reports.RUNS:
        config = run.config()  # validates
        assert set(run.params) <= set(config)
        if run.report is not None and run in report000.REPORT_RUNS:
            for name, value in report000.REPORT.items():
                if name not in run.params:
                    assert config[name] == value, (run.id, name)
            assert (config["min_length"], config["max_length"]) == ((50, 50) if run.group == "report-fixed"
                                                                    else (1, 50))
            assert config["batch_size"] == 160 and config["loss_reduction"] == "sum" and config["clip_norm"] == 0


def test_report_figures_are_consistent():
    for run in report000.REPORT_RUNS:
        r = run.report
        assert r["status"] in ("completed", "stopped", "diverged")
        for count, fraction in (("correct_last_bit", "last_bit_accuracy"), ("correct_sequences", "sequence_accuracy")):
            if r[count] is not None:
                assert r[count] / REPORT_TEST_N == pytest.approx(r[fraction], abs=1e-9), run.id
        assert all(0 <= e < run.epochs for e in r["epoch_losses"]), run.id
        if r["last_epoch_loss"] is not None:
            assert r["epoch_losses"][run.epochs - 1] == r["last_epoch_loss"]
        if r["status"] == "stopped":
            assert r["planned_epochs"] > run.epochs


def test_registry_figures_spot_check():
    f6, v27 = reports.get("fixed-06"), reports.get("variable-27")
    assert (f6.params["lr"], f6.epochs, f6.report["correct_last_bit"], f6.report["correct_sequences"],
            f6.report["min_batch_loss"]) == (0.00075, 20, 19978, 18932, 1.075)
    assert v27.params["lr_schedule"] == "0:0.00035,20:0.00004,46:0.00001" and v27.epochs == 125
    assert (v27.report["correct_last_bit"], v27.report["correct_sequences"], v27.report["min_batch_loss"]) == (
        19938, 18838, 0.405)
    assert v27.report["epoch_losses"] == {19: 44, 20: 132, 45: 4, 46: 5, 124: 5}
    # Runs the author stopped: the epochs actually run, in our reading.
    epochs = {i: reports.get(i).epochs for i in ("fixed-01", "fixed-02", "variable-01", "variable-02",
                                                  "variable-03", "variable-06", "variable-09")}
    assert epochs == {"fixed-01": 5, "fixed-02": 3, "variable-01": 12, "variable-02": 9, "variable-03": 13,
                      "variable-06": 18, "variable-09": 16}
    uniform = reports.get("fixed-uniform").config()
    assert (uniform["init"], uniform["lr"], uniform["epochs"]) == ("uniform", 0.00075, 21)
    assert reports.get("final-fixed-curriculum").config()["curriculum_epochs"] == 1.0
    assert reports.get("default-variable-s2").config()["eval_lengths"] == "100,200,500"


def test_parts_cover_every_run_once_and_list_pages_that_exist():
    shown = [run.id for part in reports.PARTS for group in part.groups for run in group.runs]
    assert sorted(shown) == sorted(run.id for run in reports.RUNS) and len(shown) == len(set(shown))
    groups = [group.name for part in reports.PARTS for group in part.groups]
    assert len(groups) == len(set(groups))  # a run's group names its part
    assert [p.report for p in reports.PARTS] == sorted({p.report for p in reports.PARTS})  # one per report
    for part in reports.PARTS:
        for run in part.runs:
            assert reports.part_of(run) is part
        for page in part.pages + part.summaries:
            assert (BOOK / page).is_file(), f"part {part.report} lists {page}, which is not in book/"
        assert all(p.endswith(".md") for p in part.pages) and all(s.endswith(".ipynb") for s in part.summaries)
    assert bookdir.SUMMARIES == (bookdir.ROOT, *(s for part in reports.PARTS for s in part.summaries))
    assert reports.part_of(reports.get("final-fixed")) is report000.PART  # our parity runs: report 000's part
    with pytest.raises(ValueError, match="no part"):
        reports.part_of(reports.Run("stray", "nowhere", "A run of no part", {}))


def test_registry_and_report_import_no_circle():
    # The generic report code loads no registry module; the registry knows nothing of the driver.
    code = ("import sys, lstm_xor.render; assert 'lstm_xor.reports' not in sys.modules, 'report'; "
            "import lstm_xor.reports; assert 'lstm_xor.publish.driver' not in sys.modules, 'registry'")
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.slow
def test_run_page_words_come_from_the_runs_part():
    steps = {s.id: s for s in plan.plan(profile="full")}
    text = pages.intro_cell(steps["fixed-03"].run, steps["fixed-03"].config)
    assert text.startswith("# Report, fixed length, run 3\n\nRun `fixed-03`: fixed length 50, prefix labels, grouped "
                           "batches of 160, lstm 100, orthogonal init, adam with lr 0.00075, sum loss, clip 0, "
                           "12 epochs, seed 0.\n")
    ours = pages.intro_cell(steps["default-variable-s0"].run, steps["default-variable-s0"].config)
    assert "lengths 1-50, prefix labels, packed batches of 32" in ours and "| report |" not in ours
    assert "Expected: every test string right within the first epoch." in ours
    cause = steps["cause-fixed-none-s0"]
    assert "12 epochs at most, seed 0" in pages.intro_cell(cause.run, cause.config)


def test_every_run_page_has_its_own_heading_in_one_form():
    headings = [pages.intro_cell(run, run.config()).splitlines()[0] for run in reports.RUNS]
    assert headings == [f"# {run.title}" for run in reports.RUNS]
    assert len(set(headings)) == len(headings), "the sidebar would show two runs under one name"


def _page(run_id):
    run = reports.get(run_id)
    return pages.run_page(bookdir.TEMPLATE, run, plan.profile_config(run)), run


def test_a_run_page_is_the_template_with_the_runs_first_cell_own_parameters_and_id():
    nb, run = _page("add-basic-rnn-s0")
    template = nbformat.read(str(bookdir.TEMPLATE), as_version=4)
    assert [c.cell_type for c in nb.cells] == [c.cell_type for c in template.cells]
    params = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    assert params.metadata["tags"] == ["parameters", "hide-cell"]
    namespace = {}
    exec(params.source, namespace)
    config = plan.profile_config(run)
    names = {k for k in namespace if not k.startswith("__")}
    assert {"digits", "train_range", "lr", "engines"} <= names and not {"min_length", "dataset", "series"} & names
    assert all(namespace[k] == config[k] for k in names)
    assert "result_markdown(record, 'add-basic-rnn-s0')" in nb.cells[-1].source
    changed = [i for i, (a, b) in enumerate(zip(nb.cells, template.cells, strict=True)) if a.source != b.source]
    assert changed == [0, 1, len(nb.cells) - 1]


def _record(run_id, **changes):
    run = reports.get(run_id)
    history = dict(iteration_loss=[900.0, 500.0, 400.0, 5.0], epoch_loss=[1400.0, 405.0],
                   test_sequence_accuracy=[0.4, 1.0], test_last_bit_accuracy=[0.9, 1.0])
    record = {"config": dict(run.config(), epochs=2), "status": "completed", "epochs_completed": 2,
              "history": history, "min_iteration_loss": 5.0, "wall_seconds": 3.0,
              "test": dict(n=20000, correct_last_bit=20000, correct_sequences=20000, last_bit_accuracy=1.0,
                           sequence_accuracy=1.0, loss=0.01)}
    return {**record, **changes}


def test_a_report_runs_result_names_its_epoch_and_puts_the_report_beside_ours_on_its_scale():
    text = pages.result_markdown(_record("fixed-04"), "fixed-04")
    assert text.startswith("The result is the parameters after the last epoch, epoch 2: the 2 planned epochs ran.")
    assert "| smallest iteration loss | 1087.689 | 1 |" in text  # the report's figure as printed; ours / 5
    assert "| last bit right, of 20,000 | 9922 (49.61%) | 20000 (100%) |" in text
    assert "| whole string right, of 20,000 | 0 (0%) | 20000 (100%) |" in text
    assert "| first epoch with every test string right | never | 2 |" in text
    assert "| report |" not in pages.result_markdown(_record("fixed-04"))  # without the id: the template's


def test_a_result_under_early_stopping_is_the_best_epoch_and_says_why():
    record = _record("default-fixed-s0", status="stopped", epochs_completed=8, best_epoch=3)
    record["config"].update(patience=5, epochs=20)
    text = pages.result_epoch(record)
    assert text.startswith("The result is the parameters of epoch 3, the epoch with the lowest validation loss")
    assert "ended after epoch 8: 5 epochs passed without a validation loss lower by more than 0.0001" in text
    solved = _record("cause-fixed-none-s0", status="solved")
    assert "reached 1 (`stop_when`)" in pages.result_epoch(solved)
    assert "diverged" in pages.result_epoch(_record("fixed-01", status="diverged", diverged_epoch=4))


def test_a_forecasting_runs_result_shows_the_baselines_in_the_series_unit():
    record = json.loads((BOOK / "runs" / "fc-sunspots-rnn-s0.json").read_text())
    text = pages.result_markdown(record, "fc-sunspots-rnn-s0")
    m = record["forecast"]["methods"]
    for name in ("network", "naive", "seasonal naive", "autoregression"):
        assert f"| {name} | {render.number_text(m[name]['rmse'])} |" in text
    assert f"the parameters of epoch {record['best_epoch']}," in text


# -- the plan -------------------------------------------------------------------------------------


def _trie_nodes(steps):
    """Distinct (parameters, lr of epochs 0..k) prefixes: the epochs a perfect sharing computes."""
    nodes = set()
    for s in steps:
        schedule = plan.schedule(s.config)
        rates = tuple(lr_at(schedule, e) for e in range(s.epochs))
        nodes.update((plan.static(s.config), rates[:k]) for k in range(1, s.epochs + 1))
    return len(nodes)


def test_plan_shares_every_prefix_once():
    replays = [run for run in report000.PART.runs if run.group in ("report-fixed", "report-variable", "ours")]
    steps = plan.plan(replays, profile="full")
    by_id = {s.id: s for s in steps}
    order = [s.id for s in steps]
    sources = {s.id: s.source for s in steps if s.source}
    expected = {"fixed-06": ("fixed-03", 12), "variable-05": ("variable-04", 20), "variable-08": ("variable-05", 28),
                "variable-19": ("variable-18", 30), "variable-20": ("variable-19", 51),
                "variable-26": ("variable-22", 60), "variable-27": ("variable-26", 80)}
    expected.update({f"variable-{n}": ("variable-04", 20) for n in range(11, 19)})
    expected.update({f"variable-{n}": ("variable-19", 46) for n in (21, 22, 23, 24, 25)})
    assert sources == expected
    for run_id, (source, k) in sources.items():
        assert order.index(source) < order.index(run_id)
        assert k in by_id[source].keep
        assert plan.shared_epochs(by_id[source].config, by_id[run_id].config) >= k
    assert by_id["variable-19"].keep == {46, 51}
    alone, shared = plan.plan_totals(steps)
    assert alone == sum(r.epochs for r in replays) == 1160
    assert shared == _trie_nodes(steps) == 489


def test_prefix_compatibility_rules():
    base = reports.get("variable-04").config()
    assert plan.shared_epochs(base, dict(base, epochs=30, lr_schedule="0:0.00035,20:0.0001")) == 20
    assert plan.shared_epochs(base, dict(base, epochs=30, lr_schedule="0:0.00035,12:0.0001")) == 12
    assert plan.shared_epochs(base, dict(base, eval_lengths="100", keep_epochs="3", engines=2)) == 20
    assert plan.shared_epochs(base, dict(base, seed=1)) == 0
    assert plan.shared_epochs(base, dict(base, batching="packed")) == 0
    assert plan.shared_epochs(base, dict(base, lr=0.0003)) == 0


def test_fingerprint_ignores_bookkeeping_only():
    c = plan.profile_config(reports.get("fixed-03"))
    fp = plan.fingerprint(c)
    assert plan.fingerprint(dict(c, engines=4, keep_epochs="12", metrics_path="x.json", resume=True)) == fp
    assert plan.fingerprint(dict(c, lr=0.0008)) != fp
    assert plan.fingerprint(dict(c, eval_lengths="100")) != fp


def test_fingerprint_follows_the_numerics_version_not_the_package_version(monkeypatch):
    c = plan.profile_config(reports.get("fixed-03"))
    fp = plan.fingerprint(c)
    monkeypatch.setattr(lstm_xor, "__version__", "99.0")  # a release with no change to the numbers re-runs nothing
    assert plan.fingerprint(c) == fp
    monkeypatch.setattr(plan, "NUMERICS_VERSION", plan.NUMERICS_VERSION + 1)  # a change that can move them does
    assert plan.fingerprint(c) != fp


@pytest.mark.slow
def test_quick_profile_scales_every_run_down():
    steps = plan.plan(profile="quick")
    assert len(steps) == len(reports.RUNS)
    for s in steps:
        run_config = s.run.config()
        parity = run_config["task"] == "parity"
        # the parity scale touches parity's runs only: n_samples is parity's own parameter
        assert (s.config["n_samples"], s.config["hidden"], s.config["engines"]) == (400 if parity else 100_000, 16, 1)
        assert s.epochs == min(run_config["epochs"], 2)
        for name in ("labels", "batching", "batch_size", "loss_reduction", "lr", "lr_schedule", "init",
                     "min_length", "max_length", "seed", "curriculum_epochs", "eval_lengths", "digits",
                     "train_range", "steps_per_epoch"):
            assert s.config[name] == run_config[name], (s.id, name)
        split(s.config)


@pytest.mark.slow
def test_plan_cli(capsys):
    assert runs.main(["--plan"]) == 0
    out = capsys.readouterr().out
    alone, shared = plan.plan_totals(plan.plan(profile="full"))
    assert f"{alone} without prefix sharing, {shared} with it" in out and shared < alone
    assert "variable-27" in out and "variable-26 @ 80" in out


# -- resume: the shared epochs are the same computation -------------------------------------------


def _numbers(record):
    h = record["history"]
    return (h["iteration_loss"], h["epoch_loss"], h["lr"], h["test_last_bit_accuracy"],
            h["test_sequence_accuracy"], record["test"], record["min_iteration_loss"])


def test_resume_from_a_kept_checkpoint_equals_an_uninterrupted_run(tmp_path):
    base = dict(plan.profile_config(reports.get("variable-19"), "quick"), epochs=3,
                lr_schedule="0:0.00035,2:0.00004")
    whole = train(dict(base, metrics_path=str(tmp_path / "whole.json")), progress=False)
    # A shorter run with another schedule after its end keeps a checkpoint after epoch 2 ...
    first = dict(base, epochs=2, lr_schedule="0:0.00035,5:0.1", checkpoint_dir=str(tmp_path / "a"),
                 keep_epochs="2", metrics_path=str(tmp_path / "a.json"))
    train(first, progress=False)
    # ... and the longer run starts from it, as the driver does.
    (tmp_path / "b").mkdir()
    shutil.copyfile(tmp_path / "a" / "checkpoint-2.npz", tmp_path / "b" / "checkpoint.npz")
    resumed = train(dict(base, checkpoint_dir=str(tmp_path / "b"), resume=True,
                         metrics_path=str(tmp_path / "b.json")), progress=False)
    assert _numbers(resumed) == _numbers(whole)


# -- the driver, end to end through papermill (quick profile) -------------------------------------


def _mtimes(book, ids):
    return {i: (os.stat(book / "runs" / f"{i}.ipynb").st_mtime_ns, os.stat(book / "runs" / f"{i}.json").st_mtime_ns)
            for i in ids}


def _comparable(record):
    record = json.loads(json.dumps(record))
    for key in ("wall_seconds", "driver", "environment"):
        record.pop(key, None)
    record["history"].pop("epoch_seconds")
    return record


@pytest.mark.slow
def test_quick_profile_runs_skips_and_is_deterministic(tmp_path):
    book = tmp_path / "book"
    ids = ["fixed-03", "fixed-06", "variable-04"]
    lines = []
    results = runs.run_all("quick", only=ids, book=book, summaries=False, out=lines.append)
    assert {i: s for i, (s, _) in results.items()} == {i: "ok" for i in ids}, results
    for run_id in ids:
        record = json.loads((book / "runs" / f"{run_id}.json").read_text())
        assert record["status"] == "completed" and record["epochs_completed"] == 2
        assert record["driver"]["fingerprint"] == plan.fingerprint(plan.profile_config(reports.get(run_id), "quick"))
        assert len(record["history"]["epoch_loss"]) == 2 and record["test"]["n"] == 80
        nb = json.loads((book / "runs" / f"{run_id}.ipynb").read_text())
        heading = "".join(nb["cells"][0]["source"]).splitlines()[0]  # the title the sidebar shows
        assert heading == f"# {reports.get(run_id).title}"
        assert nb["metadata"]["papermill"]["exception"] is None and "widgets" not in nb["metadata"]
        tags = [c["metadata"].get("tags", []) for c in nb["cells"]]
        assert ["parameters", "hide-cell"] in tags and not any("injected-parameters" in t for t in tags)
        result = nb["cells"][-1]["outputs"][0]["data"]["text/markdown"]
        assert "".join(result).startswith("The result is the parameters after the last epoch, epoch 2")
        assert "| report | ours |" in "".join(result)
    # fixed-06 is fixed-03 continued: it started from fixed-03's checkpoint (quick: both 2 epochs, so 1 shared).
    f6 = json.loads((book / "runs" / "fixed-06.json").read_text())
    assert f6["driver"]["resumed_from"]["run"] == "fixed-03" and f6["driver"]["resumed_from"]["epoch"] == 1
    assert "Shared epochs" in "".join(json.loads((book / "runs" / "fixed-06.ipynb").read_text())["cells"][0]["source"])
    assert _numbers(f6) == _numbers(json.loads((book / "runs" / "fixed-03.json").read_text()))
    assert not list((book / "runs" / ".cache" / "tmp").glob("*.*"))  # page and record moved into place
    assert json.loads((book / "runs" / "fixed-03.json").read_text())["config"]["metrics_path"] == "fixed-03.json"
    toc = (book / "_toc.yml").read_text()
    assert all(f"runs/{i}" in toc for i in ids) and "runs/fixed-01" not in toc
    assert (tmp_path / "_config.yml").exists() and (book / "parity.md").exists()

    # Second invocation: nothing to do.
    before = _mtimes(book, ids)
    again = runs.run_all("quick", only=ids, book=book, summaries=False, out=lines.append)
    assert {s for s, _ in again.values()} == {"skipped"}
    assert _mtimes(book, ids) == before

    # Determinism: the same run executed again gives the same record.
    first = json.loads((book / "runs" / "variable-04.json").read_text())
    forced = runs.run_all("quick", only=["variable-04"], book=book, summaries=False, force=True, out=lines.append)
    assert forced["variable-04"][0] == "ok"
    second = json.loads((book / "runs" / "variable-04.json").read_text())
    assert _comparable(second) == _comparable(first)
    assert np.isfinite(second["history"]["iteration_loss"]).all()


@pytest.mark.slow
def test_a_failing_run_is_reported_and_the_others_still_run(tmp_path, monkeypatch, capsys):
    bad = reports.Run("broken", "ours", "A broken entry", dict(min_length=60, max_length=50), None, "", "")
    good = reports.get("final-fixed")
    monkeypatch.setattr(reports, "RUNS", [bad, good])
    code = runs.main(["--profile", "quick", "--book", str(tmp_path / "book"), "--no-summaries"])
    out = capsys.readouterr()
    assert code == 1
    assert "[FAILED ] broken" in out.out + out.err and "min_length" in out.out + out.err
    assert "failed: broken" in out.err
    assert (tmp_path / "book" / "runs" / "final-fixed.json").exists()
    assert not (tmp_path / "book" / "runs" / "broken.ipynb").exists()
    assert (tmp_path / "book" / "runs" / ".cache" / "failed" / "broken.ipynb").exists()
    assert "runs/final-fixed" in (tmp_path / "book" / "_toc.yml").read_text()


def test_fingerprints_ignore_other_tasks_and_inert_parameters():
    parity = reports.get("default-fixed-s0").config()
    adder = reports.get("add-basic-gru-s0").config()
    own = {k: v for k, v in parity.items()
           if k not in ("digits", "train_range", "embed", "patience", "min_delta", "bptt", "bptt_k", "bptt_p", "lag",
                        "gradient_distances")}
    assert plan.fingerprint(own) == plan.fingerprint(parity)  # what a later task or a switched-off feature adds
    assert plan.fingerprint(dict(parity, patience=3)) != plan.fingerprint(parity)
    assert plan.fingerprint(dict(parity, patience=3, min_delta=0.1)) != plan.fingerprint(dict(parity, patience=3))
    assert plan.fingerprint(dict(adder, digits=12)) != plan.fingerprint(adder)
    assert plan.fingerprint(dict(parity, bptt="regular", bptt_k=5)) != plan.fingerprint(parity)


def _not_done(root):
    """The registry runs a book folder does not hold as done: a missing notebook or record, or a record of the
    current numerics with another fingerprint (a record of older numerics is stale by design, not missing)."""
    book, wrong = bookdir.Book(root), []
    for step in plan.plan(profile="full"):
        if underway(step.id):  # a study still being executed: not in the book yet, by design
            continue
        if not (book.notebook(step.id).exists() and book.record(step.id).exists()):
            wrong.append(f"{step.id}: missing")
            continue
        current = json.loads(book.record(step.id).read_text())["driver"].get("numerics") == NUMERICS_VERSION
        if current and status.run_state(book, step)[0] != "done":
            wrong.append(f"{step.id}: another fingerprint")
    return wrong


@pytest.mark.slow
def test_the_committed_book_is_done_but_for_records_of_older_numerics():
    """`make book` on a fresh clone re-runs only what a numerics change made stale."""
    assert _not_done(BOOK) == []


@pytest.mark.slow
def test_an_empty_book_is_not_done(tmp_path):
    (tmp_path / "runs").mkdir()
    assert len(_not_done(tmp_path)) == sum(not underway(run.id) for run in reports.RUNS)
    shutil.copy(BOOK / "runs" / "fixed-04.ipynb", tmp_path / "runs")  # a notebook without its record
    assert "fixed-04: missing" in _not_done(tmp_path)
