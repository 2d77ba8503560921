"""The driver's faults of issue 19, each on a temporary quick-profile book with papermill replaced by a fake
that writes what the training notebook writes (its record at metrics_path, then the page)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from lstm_xor import NUMERICS_VERSION, cli, reports
from lstm_xor.publish import bookdir, execute, summaries
from lstm_xor.publish import driver as runs
from lstm_xor.publish.plan import plan
from lstm_xor.records import load_checkpoint, read_record, write_record
from lstm_xor.train.loop import train

IDS = ["fixed-03", "fixed-04"]
# The registry the tests plan (planning all of it takes seconds): runs of two parts, one of them report 003's.
REGISTRY = IDS + ["fixed-05", "final-fixed", "variable-04", "add-basic-gru-s0"]
HERE = Path(__file__).resolve().parent


def parameters(nb):
    """The values in a run page's parameters cell."""
    cell = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    values = {}
    exec(cell.source, {}, values)  # noqa: S102 - the cell is the driver's own text
    return {k: v for k, v in values.items() if not k.startswith("__")}


def fake_papermill(seen=None, die=None):
    """A papermill_execute that records the run's parameters in ``seen``, writes the record where the notebook
    would (metrics_path, from the notebook's folder) and then the page; ``die`` ends the process in between."""
    def execute_notebook(notebook, output, cwd, log_path, parameters_=None, timeout=None):
        values = parameters(notebook)
        if seen is not None:
            seen.append(values)
        if die == "training":
            os._exit(9)
        record = {"config": values, "status": "completed", "epochs_completed": values["epochs"], "test": None}
        write_record(Path(cwd) / values["metrics_path"], record)
        if die == "page":
            os._exit(9)
        nbformat.write(notebook, str(output))
    return execute_notebook


def snapshot(book, ids):
    return {name: (book / "runs" / name).read_bytes() for i in ids for name in (f"{i}.json", f"{i}.ipynb")}


def done_book(tmp_path, monkeypatch, ids=IDS):
    """A quick book holding these runs, executed by the fake, with the tests' registry."""
    monkeypatch.setattr(reports, "RUNS", [reports.get(i) for i in REGISTRY])
    monkeypatch.setattr(execute, "papermill_execute", fake_papermill())
    book = tmp_path / "book"
    results = runs.run_all("quick", only=ids, book=book, summaries=False, out=lambda line: None)
    assert {s for s, _ in results.values()} == {"ok"}
    return book


def make_stale(book, run_id):
    record = read_record(book / "runs" / f"{run_id}.json")
    record["driver"]["fingerprint"] = "0" * 16
    write_record(book / "runs" / f"{run_id}.json", record)


def die(*args, **kwargs):
    os._exit(9)  # as kill -9 would: no clean-up, no exception handler


def kill_at(point, book):
    """Re-execute the book's runs (fixed-04 is stale) and die at ``point``: called in a subprocess."""
    reports.RUNS = [reports.get(i) for i in REGISTRY]
    execute.papermill_execute = fake_papermill(die=point if point in ("training", "page") else None)
    if point == "notebook":  # writing the page into place
        execute.write_notebook = die
    if point == "record":  # writing the stamped record into place
        execute.write_record = die
    runs.run_all("quick", only=IDS, book=book, summaries=False, out=lambda line: None)


# -- 1: a kill at any moment leaves every committed record valid ----------------------------------

@pytest.mark.parametrize("point", ["training", "page", "notebook", "record"])
def test_a_killed_driver_leaves_every_committed_record_valid(tmp_path, monkeypatch, point):
    book = done_book(tmp_path, monkeypatch)
    make_stale(book, "fixed-04")
    before = snapshot(book, IDS)
    code = f"import sys; sys.path.insert(0, {str(HERE)!r}); import test_driver_faults as t; t.kill_at({point!r}, " \
           f"t.Path({str(book)!r}))"
    assert subprocess.run([sys.executable, "-c", code], cwd=HERE.parent, timeout=60).returncode == 9
    after = snapshot(book, IDS)
    fingerprint = {s.id: s.fingerprint for s in plan([reports.get(i) for i in IDS], "quick")}
    for name, data in after.items():
        if data != before[name]:  # a new file is whole: a record with the driver's stamp, a notebook
            content = json.loads(data)
            if name.endswith(".json"):
                assert content["driver"]["fingerprint"] == fingerprint[name[:-5]], name
    assert after["fixed-03.json"] == before["fixed-03.json"] and after["fixed-03.ipynb"] == before["fixed-03.ipynb"]
    # A second invocation completes what was incomplete, and only that.
    results = runs.run_all("quick", only=IDS, book=book, summaries=False, out=lambda line: None)
    assert {i: s for i, (s, _) in results.items()} == {"fixed-03": "skipped", "fixed-04": "ok"}
    record = read_record(book / "runs" / "fixed-04.json")
    assert record["driver"]["fingerprint"] == fingerprint["fixed-04"]
    assert record["config"]["metrics_path"] == "fixed-04.json"  # the record names where it lives
    assert not list((book / "runs" / ".cache" / "tmp").glob("fixed-04.*"))


# -- 2: --force starts from the start, never from the run's own finished state --------------------

def test_force_does_not_resume_a_finished_run_from_its_own_checkpoint(tmp_path, monkeypatch):
    book = done_book(tmp_path, monkeypatch, ["fixed-03"])
    step = plan([reports.get("fixed-03")], "quick")[0]
    # What an early-stopped run leaves: its own checkpoint at its last epoch, short of the planned ones.
    own = book / "runs" / ".cache" / "checkpoints" / "fixed-03"
    train(dict(step.config, epochs=1, checkpoint_dir=str(own), metrics_path=""), progress=False)
    seen = []
    monkeypatch.setattr(execute, "papermill_execute", fake_papermill(seen))
    for _ in range(2):
        results = runs.run_all("quick", only=["fixed-03"], book=book, summaries=False, force=True,
                               out=lambda line: None)
        assert results["fixed-03"][0] == "ok"
    assert [v["resume"] for v in seen] == [False, False]


def interrupted_attempt(book, run_id):
    """What a driver killed in training leaves: the run's own checkpoint after epoch 1, stamped in progress."""
    step = plan([reports.get(run_id)], "quick")[0]
    own = book / "runs" / ".cache" / "checkpoints" / run_id
    train(dict(step.config, epochs=1, checkpoint_dir=str(own), metrics_path=""), progress=False)
    (own / "fingerprint.json").write_text(json.dumps({"run": run_id, "fingerprint": step.fingerprint,
                                                      "numerics": NUMERICS_VERSION, "finished": False}))
    return own


def test_only_an_attempt_interrupted_in_training_resumes_from_its_own_checkpoint(tmp_path, monkeypatch):
    book = done_book(tmp_path, monkeypatch, ["fixed-03"])
    make_stale(book, "fixed-03")
    interrupted_attempt(book, "fixed-03")
    seen = []
    monkeypatch.setattr(execute, "papermill_execute", fake_papermill(seen))
    runs.run_all("quick", only=["fixed-03"], book=book, summaries=False, out=lambda line: None)
    make_stale(book, "fixed-03")
    interrupted_attempt(book, "fixed-03")
    write_record(book / "runs" / ".cache" / "tmp" / "fixed-03.json", {})  # ... but its training had ended
    runs.run_all("quick", only=["fixed-03"], book=book, summaries=False, out=lambda line: None)
    assert [v["resume"] for v in seen] == [True, False]


# -- 3: a corrupt committed record is named, and what is re-run says why --------------------------

def corrupt(book, run_id):
    path = book / "runs" / f"{run_id}.json"
    path.write_text(path.read_text()[:-40])
    return path


def test_a_corrupt_record_is_named_by_plan(tmp_path, monkeypatch, capsys):
    book = done_book(tmp_path, monkeypatch)
    corrupt(book, "fixed-03")
    assert runs.main(["--plan", "--profile", "quick", "--book", str(book), "--only", *IDS]) == 0
    out = capsys.readouterr().out
    line = next(x for x in out.splitlines() if "fixed-03" in x)
    assert "stale" in line and "runs/fixed-03.json is corrupt" in line
    assert "done" in next(x for x in out.splitlines() if "fixed-04" in x)


def test_a_corrupt_record_is_named_when_it_is_rerun(tmp_path, monkeypatch):
    book = done_book(tmp_path, monkeypatch)
    corrupt(book, "fixed-03")
    lines = []
    results = runs.run_all("quick", only=IDS, book=book, summaries=False, out=lines.append)
    assert results["fixed-03"][0] == "ok" and results["fixed-04"][0] == "skipped"
    assert any("fixed-03" in x and "runs/fixed-03.json is corrupt" in x and "re-run" in x for x in lines), lines


def test_summaries_only_names_a_corrupt_record(tmp_path, monkeypatch, capsys):
    book = done_book(tmp_path, monkeypatch)
    corrupt(book, "fixed-03")
    monkeypatch.setattr(summaries, "_execute_one", lambda book, name, profile: None)
    assert cli.main(["runs", "--summaries-only", "--profile", "quick", "--book", str(book)]) == 2
    err = capsys.readouterr().err
    assert "runs/fixed-03.json is corrupt (" in err and "re-runs fixed-03" in err, err


# -- 4: a truncated checkpoint, and no checkpoint at all, are told apart and named -----------------

def test_a_truncated_own_checkpoint_is_named_with_what_was_recovered(tmp_path, monkeypatch):
    book = done_book(tmp_path, monkeypatch, ["fixed-03"])
    make_stale(book, "fixed-03")
    own = interrupted_attempt(book, "fixed-03")
    data = (own / "checkpoint.npz").read_bytes()
    (own / "checkpoint.npz").write_bytes(data[: len(data) // 2])
    lines, seen = [], []
    monkeypatch.setattr(execute, "papermill_execute", fake_papermill(seen))
    runs.run_all("quick", only=["fixed-03"], book=book, summaries=False, out=lines.append)
    said = [x for x in lines if "checkpoint.npz" in x]
    assert said and "fixed-03/checkpoint.npz" in said[0] and "truncated" in said[0] and "epoch 0" in said[0], lines
    assert seen[0]["resume"] is False


def test_no_checkpoint_is_not_called_corrupt(tmp_path):
    with pytest.raises(ValueError, match=f"no checkpoint at {tmp_path / 'none'}"):
        load_checkpoint(tmp_path / "none")
    (tmp_path / "half").mkdir()
    (tmp_path / "half" / "checkpoint.npz").write_bytes(b"PK\x03\x04 half a file")
    with pytest.raises(ValueError, match="half/checkpoint.npz is truncated or corrupt"):
        load_checkpoint(tmp_path / "half")
    done = subprocess.run([sys.executable, "-m", "lstm_xor", "train", "--resume", "--checkpoint-dir",
                           str(tmp_path / "none"), "--hidden", "4", "--n_samples", "40", "--epochs", "1",
                           "--metrics-path", str(tmp_path / "r.json")], capture_output=True, text=True, timeout=60)
    assert done.returncode != 0 and "no checkpoint at" in done.stderr and "corrupt" not in done.stderr


# -- 5: a destination that cannot be written fails before the first epoch -------------------------

@pytest.mark.parametrize("name", ["metrics_path", "checkpoint_dir"])
def test_an_unwritable_destination_fails_before_training(tmp_path, name):
    (tmp_path / "file").write_text("not a folder")
    epochs = []
    values = dict(hidden=4, n_samples=40, epochs=1, metrics_path=str(tmp_path / "r.json"))
    values[name] = str(tmp_path / "file" / ("r.json" if name == "metrics_path" else "checkpoints"))
    with pytest.raises(ValueError, match=f"{name} .*file.* cannot be written"):
        train(values, progress=False, on_epoch=epochs.append)
    assert epochs == []


# -- 6: forcing one run re-executes only the summaries that read it --------------------------------

def test_forcing_one_run_reexecutes_only_the_summaries_that_read_it(tmp_path, monkeypatch):
    run_id = "add-basic-gru-s0"
    book = done_book(tmp_path, monkeypatch, [run_id])
    executed = []
    monkeypatch.setattr(summaries, "_execute_one", lambda book, name, profile: executed.append(name))
    runs.run_all("quick", only=[run_id], book=book, out=lambda line: None)  # every stamp current
    executed.clear()
    runs.run_all("quick", only=[run_id], book=book, force=True, out=lambda line: None)
    assert sorted(executed) == sorted([bookdir.ROOT, "summary/adder.ipynb"])


# -- 7: --plan says what `make book` would run ------------------------------------------------------

def test_plan_says_which_runs_are_done_stale_and_why_or_missing(tmp_path, monkeypatch, capsys):
    ids = ["fixed-03", "fixed-04", "fixed-05", "final-fixed", "variable-04"]
    book = done_book(tmp_path, monkeypatch, ids[:4])
    make_stale(book, "fixed-04")
    (book / "runs" / "fixed-05.ipynb").unlink()
    record = read_record(book / "runs" / "final-fixed.json")
    record["driver"]["numerics"] = NUMERICS_VERSION - 1
    write_record(book / "runs" / "final-fixed.json", record)
    assert runs.main(["--plan", "--profile", "quick", "--book", str(book), "--only", *ids]) == 0
    out = capsys.readouterr().out
    lines = {x.split()[1]: x for x in out.splitlines() if x.strip()[:1].isdigit()}
    assert "done" in lines["fixed-03"]
    assert "stale" in lines["fixed-04"] and "parameters changed" in lines["fixed-04"]
    assert "stale" in lines["fixed-05"] and "notebook missing" in lines["fixed-05"]
    assert "stale" in lines["final-fixed"] and f"numerics version {NUMERICS_VERSION - 1}" in lines["final-fixed"]
    assert "missing" in lines["variable-04"]
    assert out.rstrip().splitlines()[-1] == "`make book` would run 4 of these 5 runs: 1 missing, 3 stale; 1 done"


def test_a_second_driver_on_the_same_book_fails_at_once_naming_the_first(tmp_path, monkeypatch):
    monkeypatch.setattr(reports, "RUNS", [reports.get(i) for i in REGISTRY])
    book = bookdir.Book(tmp_path / "book")
    with book.locked(), pytest.raises(ValueError, match=rf"another `python -m lstm_xor runs` \(pid {os.getpid()}\) "
                                                         "is executing into .*book: wait for it to end, or stop it"):
        runs.run_all("quick", only=IDS, book=book.root, summaries=False, out=lambda line: None)
    assert not (book.runs / "fixed-03.json").exists()
    with book.locked():  # released when the first ends
        pass


def test_a_kept_checkpoint_removed_as_it_is_copied_starts_the_run_from_epoch_0(tmp_path, monkeypatch):
    monkeypatch.setattr(reports, "RUNS", [reports.get(i) for i in REGISTRY])
    seen = []
    monkeypatch.setattr(execute, "papermill_execute", fake_papermill(seen))
    gone = ("copy", 1, tmp_path / "gone" / "checkpoint-1.npz", "fixed-05", {"wall": 0.0})
    monkeypatch.setattr(execute, "find_start", lambda book, step, force=False: (gone, ""))
    lines = []
    results = runs.run_all("quick", only=["fixed-04"], book=tmp_path / "book", summaries=False, out=lines.append)
    assert results["fixed-04"][0] == "ok", results
    assert "[note   ] fixed-04: fixed-05's kept checkpoint after epoch 1 was removed as it was about to be copied: " \
           "starting from epoch 0" in lines
    assert seen[0]["resume"] is False
    assert read_record(tmp_path / "book" / "runs" / "fixed-04.json")["driver"]["resumed_from"] is None


@pytest.mark.parametrize("stop_patience, starts", [(0, True), (1, False)])
def test_no_run_continues_epochs_its_own_stop_rule_would_have_ended(tmp_path, monkeypatch, stop_patience, starts):
    """Another run's kept epochs whose loss rose: a run that stops after one rise cannot take them up."""
    import numpy as np

    from lstm_xor.optim import lr_at
    from lstm_xor.publish.plan import schedule
    from lstm_xor.records import save_checkpoint

    monkeypatch.setattr(reports, "RUNS", [reports.get(i) for i in REGISTRY])
    step = next(s for s in plan(profile="quick") if s.id == "fixed-04")
    step.config = dict(step.config, epochs=3, stop_patience=stop_patience)
    book = bookdir.Book(tmp_path / "book")
    other = book.checkpoints / "other"
    other.mkdir(parents=True)
    (other / "fingerprint.json").write_text(json.dumps({"numerics": NUMERICS_VERSION}))
    history = {"epoch_loss": [1.0, 2.0], "lr": [lr_at(schedule(step.config), e) for e in range(2)]}
    save_checkpoint(other, np.zeros(3), {}, {"epoch": 2, "config": step.config, "history": history},
                    keep_as=("checkpoint-2.npz",))
    start, _ = execute.find_start(book, step)
    assert (start is not None and start[:2] == ("copy", 2)) == starts
