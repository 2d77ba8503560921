"""`runs --jobs N`: runs executed at once give the records of one at a time, a run waits for its shared prefix,
--only takes patterns, jobs x engines over the cores warns, and --plan prints what the plan costs."""

import json
import re
import subprocess
import sys
import threading
import time

import pytest

from lstm_xor import reports
from lstm_xor.publish import costs, pool, status
from lstm_xor.publish import driver as runs
from lstm_xor.publish.bookdir import Book
from lstm_xor.publish.plan import plan
from lstm_xor.records import read_record, write_record

REGISTRY = ["fixed-03", "fixed-06", "bptt-k2-lstm-s0", "bptt-k5-lstm-s0"]  # fixed-06 starts from fixed-03 @ 1


@pytest.fixture
def registry(monkeypatch):
    monkeypatch.setattr(reports, "RUNS", [reports.get(i) for i in REGISTRY])
    return plan(profile="quick")


def run_numbers(record):
    """A record less its times and its environment (what two executions of one run must agree on)."""
    record = json.loads(json.dumps(record))
    for key in ("wall_seconds", "environment"):
        record.pop(key, None)
    record["history"].pop("epoch_seconds")
    driver = record.pop("driver")
    return record, driver["fingerprint"], driver["resumed_from"] and driver["resumed_from"]["run"]


@pytest.mark.slow
def test_two_jobs_write_the_records_of_one(tmp_path, registry):
    records = {}
    for jobs in (1, 2):
        book = tmp_path / f"jobs{jobs}"
        results = runs.run_all("quick", book=book, summaries=False, jobs=jobs, out=lambda line: None)
        assert {s for s, _ in results.values()} == {"ok"}, results
        records[jobs] = {i: run_numbers(json.loads((book / "runs" / f"{i}.json").read_text())) for i in REGISTRY}
    assert records[2] == records[1]
    assert records[2]["fixed-06"][2] == "fixed-03"  # the shared prefix was used, not recomputed


def test_a_run_starts_only_after_its_source_finished(registry):
    events, lock = [], threading.Lock()

    def run_one(step):
        with lock:
            events.append(("start", step.id))
        time.sleep(0.05)
        with lock:
            events.append(("end", step.id))
        return "ok", ""

    seconds = {s.id: 10.0 if s.id == "fixed-06" else 1.0 for s in registry}  # longest first would pick fixed-06
    lines = []
    results = pool.Pool(registry, seconds, 2, run_one, lines.append).run()
    assert set(results) == set(REGISTRY)
    assert events.index(("start", "fixed-06")) > events.index(("end", "fixed-03"))
    assert events[:2] == [("start", "fixed-03"), ("start", "bptt-k2-lstm-s0")]  # two at once
    assert lines[-1].startswith("[ok     ] ") and lines[-1].endswith("(4 done, 0 running, 0 waiting, about 0.0 s left)")
    assert sum(line.startswith("[start  ]") for line in lines) == 4


def test_a_run_that_raises_fails_alone(registry):
    def run_one(step):
        if step.id == "fixed-03":
            raise OSError("disk full")
        return "ok", "fine"

    results = pool.Pool(registry, dict.fromkeys(REGISTRY, 1.0), 2, run_one, lambda line: None).run()
    assert results["fixed-03"] == ("failed", "OSError: disk full")
    assert {results[i][0] for i in REGISTRY[1:]} == {"ok"}


def test_only_takes_ids_and_patterns(registry, tmp_path, capsys):
    assert [s.id for s in runs.select(registry, ["bptt-*", "fixed-06"])] == REGISTRY[1:]
    with pytest.raises(ValueError, match=r"no run matches nothing-\*, fixed-99"):
        runs.select(registry, ["nothing-*", "fixed-03", "fixed-99"])
    assert runs.main(["--plan", "--profile", "quick", "--book", str(tmp_path), "--only", "bptt-k?-*"]) == 0
    table = capsys.readouterr().out
    assert "bptt-k2-lstm-s0" in table and "bptt-k5-lstm-s0" in table and "fixed-03" not in table


@pytest.mark.parametrize("jobs, engines, warns", [(2, 1, False), (1, 2, False), (2, 2, True)])
def test_jobs_times_engines_over_the_cores_warns(monkeypatch, capsys, jobs, engines, warns):
    monkeypatch.setattr(runs, "cores", lambda: 2)
    called = {}
    monkeypatch.setattr(runs, "run_all", lambda *a, **kw: called.update(kw) or {})
    assert runs.main(["--profile", "quick", "--jobs", str(jobs), "--engines", str(engines)]) == 0
    err = capsys.readouterr().err
    assert called["jobs"] == jobs
    assert ("warning: 2 jobs x 2 engines = 4 processes on 2 cores" in err) == warns


def test_plan_prints_what_it_costs(registry, tmp_path, capsys):
    book = Book(tmp_path)
    book.runs.mkdir(parents=True)
    seconds = {"fixed-03": 300.0, "fixed-06": 50.0, "bptt-k2-lstm-s0": 200.0}  # bptt-k5: none, 2 x 100 s
    for step in registry:
        if step.id in seconds:
            resumed = {"run": step.source[0], "epoch": step.source[1]} if step.source else None
            write_record(book.record(step.id), {"epochs_completed": step.epochs, "driver": {
                "fingerprint": step.fingerprint, "notebook_seconds": seconds[step.id], "resumed_from": resumed}})
    assert costs.seconds_per_run(book, registry) == ({**seconds, "bptt-k5-lstm-s0": 200.0}, ["bptt-k5-lstm-s0"])
    assert costs.wall_time(registry, {**seconds, "bptt-k5-lstm-s0": 200.0}, 1) == 750.0
    # two jobs: fixed-03 and bptt-k2 at 0; bptt-k5 at 200 (fixed-06 waits for fixed-03); fixed-06 at 300
    assert runs.main(["--plan", "--profile", "quick", "--book", str(tmp_path), "--jobs", "2"]) == 0
    out = capsys.readouterr().out
    assert ("  whole plan: 4 runs, 0.21 process-hours; critical path 5.8 min (fixed-03 -> fixed-06); "
            "wall time about 6.7 min") in out
    # no notebooks: every run would run
    assert "  to run: 4 runs, 0.21 process-hours" in out
    assert "  1 run without a record estimated from the epochs computed x the mean seconds per epoch" in out
    assert status.run_state(book, registry[0])[0] == "stale"


def test_runs_without_a_record_are_timed_by_the_runs_finished_here(registry):
    bptt = [s for s in registry if s.id.startswith("bptt-")]
    lines = []
    pool.Pool(bptt, dict.fromkeys(REGISTRY, 100.0), 1, lambda step: time.sleep(0.05) or ("ok", ""), lines.append,
              estimated=REGISTRY).run()
    assert "about 3.3 min left" in lines[0]  # two runs of 100 s each: the estimate from no record
    left = re.search(r"about ([\d.]+) s left", lines[1])  # the first end: the other expected to take as long
    assert left and float(left.group(1)) < 1.0, lines[1]


def test_the_default_jobs_fill_the_cores_without_sharing_one(monkeypatch, capsys):
    monkeypatch.setattr(runs, "cores", lambda: 2)
    assert runs.main(["--plan", "--only", "fixed-03"]) == 0  # the full profile: 2 engines a run
    assert "at --jobs 1:" in capsys.readouterr().out
    assert runs.main(["--plan", "--only", "fixed-03", "--engines", "1"]) == 0
    assert "at --jobs 2:" in capsys.readouterr().out


def test_while_runs_go_on_a_status_line_names_each_running_runs_epoch(registry):
    bptt = [s for s in registry if s.id.startswith("bptt-")]
    lines = []
    pool.Pool(bptt, dict.fromkeys(REGISTRY, 1.0), 2, lambda step: time.sleep(0.3) or ("ok", ""), lines.append,
              progress=lambda step: 1, every=0.05).run()
    status_lines = [line for line in lines if line.startswith("[running]")]
    assert status_lines, lines
    assert status_lines[0].startswith("[running] bptt-k2-lstm-s0 epoch 1 of 2, bptt-k5-lstm-s0 epoch 1 of 2 (0 done, "
                                      "2 running, 0 waiting, about ")


def test_the_plan_on_a_cluster_and_with_shared_cores(registry, tmp_path, monkeypatch, capsys):
    book = Book(tmp_path)
    book.runs.mkdir(parents=True)
    assert runs.main(["--plan", "--profile", "quick", "--book", str(tmp_path), "--cluster", "slurm"]) == 0
    out = capsys.readouterr().out  # no records: 1 s an epoch, and every run at once but fixed-06 after fixed-03
    assert "on a cluster that starts every run once its prefix is ready:" in out
    assert "critical path 3.0 s (fixed-03 -> fixed-06); wall time about 3.0 s" in out
    monkeypatch.setattr(runs, "cores", lambda: 2)
    assert runs.main(["--plan", "--profile", "quick", "--book", str(tmp_path), "--jobs", "2", "--engines", "2"]) == 0
    out = capsys.readouterr().out
    assert "wall time about 8.0 s" in out  # 4 s at two jobs, twice as long on cores they share
    assert "2 jobs x 2 engines on 2 cores: wall times scaled by 2 (runs sharing cores go slower)" in out
    with pytest.raises(ValueError, match="--partition and --time go with --cluster slurm"):
        runs.main(["--profile", "quick", "--partition", "debug"])


@pytest.mark.slow
def test_a_driver_killed_mid_plan_at_two_jobs_loses_nothing_done(tmp_path):
    """kill -9 of a real `runs --jobs 2` once its first run is in the book: its kernels end, every record left is
    whole, and the next `runs` skips what was done and completes the rest."""
    import psutil

    ids = ["fixed-03", "bptt-k2-lstm-s0", "bptt-k5-lstm-s0"]
    argv = [sys.executable, "-m", "lstm_xor", "runs", "--profile", "quick", "--book", str(tmp_path), "--jobs", "2",
            "--no-summaries", "--only", *ids]
    driver = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    first = None
    for line in driver.stdout:
        if line.startswith("[ok     ]"):
            first = line.split()[2].rstrip(":")
            break
    children = psutil.Process(driver.pid).children(recursive=True)
    driver.kill()
    driver.wait(timeout=30)
    assert first, "no run finished before the driver ended"
    psutil.wait_procs(children, timeout=30)
    assert not [p for p in children if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]  # kernels gone too
    book = Book(tmp_path)
    done = {p.stem: p.read_bytes() for p in book.runs.glob("*.json")}
    assert first in done
    for name in done:
        assert read_record(book.record(name))["driver"]["fingerprint"]  # whole and stamped
    again = subprocess.run(argv, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stdout + again.stderr
    for name, data in done.items():
        assert f"[skipped] {name}" in again.stdout and book.record(name).read_bytes() == data
    assert {p.stem for p in book.runs.glob("*.json")} == set(ids)
