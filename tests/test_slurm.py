"""`runs --cluster slurm` on a real one-node Slurm (tests/slurm/cluster.sh): the records of a local run, a failed
job named by its state and log with no record left, an earlier driver's jobs cancelled, and the README's sbatch
script. A machine without Slurm fails these tests (make test installs it); they are never skipped."""

import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from test_jobs import run_numbers

from lstm_xor import reports
from lstm_xor.launch import slurm
from lstm_xor.publish import driver as runs
from lstm_xor.publish.cluster import JOB_PREFIX, SlurmRuns
from lstm_xor.records import read_record

pytestmark = [pytest.mark.slurm, pytest.mark.slow]
REPO = Path(__file__).resolve().parents[1]
CLUSTER = REPO / "tests" / "slurm" / "cluster.sh"
ONE = ["fixed-03", "fixed-06", "bptt-k2-lstm-s0"]  # fixed-06 starts from fixed-03's kept checkpoint
TWO = ["bptt-k5-lstm-s0"]  # run with engines=2: one job of 2 tasks


@pytest.fixture(scope="module")
def cluster():
    where = Path(tempfile.mkdtemp(prefix="lstm_xor-slurm-"))  # not pytest's: munged, as its own user, must reach it
    up = subprocess.run(["bash", str(CLUSTER), "up", str(where)], capture_output=True, text=True, timeout=300)
    assert up.returncode == 0, f"the test cluster did not come up:\n{up.stdout}\n{up.stderr}"
    old = os.environ.get("SLURM_CONF")
    os.environ["SLURM_CONF"] = str(where / "slurm.conf")
    yield where
    subprocess.run(["bash", str(CLUSTER), "down", str(where)], capture_output=True, timeout=120)
    os.environ.pop("SLURM_CONF") if old is None else os.environ.update(SLURM_CONF=old)
    left = subprocess.run(["pgrep", "-f", str(where)], capture_output=True, text=True).stdout.split()
    shutil.rmtree(where, ignore_errors=True)
    assert not left, f"processes left after the cluster went down: {left}"


def slurm_runs(book, out):
    return SlurmRuns(book, out=out)


def _execute(book, ids, monkeypatch, cluster=None, engines=None, **kw):
    monkeypatch.setattr(reports, "RUNS", [reports.get(i) for i in ids])
    lines = []
    results = runs.run_all("quick", engines=engines, book=book, summaries=False, jobs=None if cluster else 2,
                           out=lines.append, cluster=cluster, **kw)
    return results, lines


def test_runs_through_slurm_write_the_records_of_local_runs(cluster, tmp_path, monkeypatch):
    records = {}
    for where in ("local", "slurm"):
        book = tmp_path / where
        executor = slurm_runs if where == "slurm" else None
        for ids, engines in ((ONE, None), (TWO, 2)):
            results, lines = _execute(book, ids, monkeypatch, executor, engines)
            assert {s for s, _ in results.values()} == {"ok"}, lines
        records[where] = {i: run_numbers(read_record(book / "runs" / f"{i}.json")) for i in ONE + TWO}
        assert records[where]["bptt-k5-lstm-s0"][0]["config"]["engines"] == 2
    assert records["slurm"] == records["local"]
    assert records["slurm"]["fixed-06"][2] == "fixed-03"  # submitted after its shared prefix's run, and used it
    logs = sorted(p.name for p in (tmp_path / "slurm" / "runs" / ".cache" / "logs").glob("*.slurm.log"))
    assert logs == sorted(f"{i}.slurm.log" for i in ONE + TWO)
    assert not list((tmp_path / "slurm" / "runs" / ".cache" / "tmp").iterdir())  # nothing half-written


def test_a_failed_job_names_its_state_and_log_and_leaves_no_record(cluster, tmp_path, monkeypatch):
    book = tmp_path / "book"
    t0 = time.perf_counter()
    results, lines = _execute(book, ["fixed-03"], monkeypatch, slurm_runs, timeout=1)  # a cell past 1 s fails
    status, message = results["fixed-03"]
    assert status == "failed" and time.perf_counter() - t0 < 120
    assert re.search(r"Slurm job \d+ ended FAILED \(exit code 1:0\); its log: .*fixed-03\.slurm\.log: run failed",
                     message), message
    assert not (book / "runs" / "fixed-03.json").exists() and not (book / "runs" / "fixed-03.ipynb").exists()


def test_the_jobs_of_a_killed_driver_are_cancelled_before_the_next_submits(cluster, tmp_path, monkeypatch):
    book = tmp_path / "book"
    (book / "runs").mkdir(parents=True)
    script = tmp_path / "left.sbatch"
    script.write_text(slurm.batch_script(["sleep", "300"], JOB_PREFIX + "fixed-03", tmp_path / "left.log",
                                         comment=str(book.resolve())))
    left = slurm.submit(script, tmp_path)
    results, lines = _execute(book, ["fixed-03"], monkeypatch, slurm_runs)
    assert results["fixed-03"][0] == "ok", lines
    assert any(f"cancelling 1 job(s) of an earlier driver on this book: {left} (fixed-03)" in line for line in lines)
    assert slurm.jobs()[left]["JobState"] == "CANCELLED"


def test_the_readmes_sbatch_script_trains_as_a_local_run_does(cluster, tmp_path):
    text = (REPO / "README.md").read_text()
    script = re.search(r"<!-- sbatch-example -->\n```bash\n(.*?)```", text, re.S).group(1)
    (tmp_path / ".venv").symlink_to(REPO / ".venv")
    (tmp_path / "job.sbatch").write_text(script)
    done = subprocess.run(["sbatch", "--wait", f"--chdir={tmp_path}", "job.sbatch"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=300)
    logs = "".join(p.read_text() for p in tmp_path.glob("train-*.log"))
    assert done.returncode == 0, done.stderr + logs
    command = re.search(r"^\.venv/bin/python -m lstm_xor train (.*)$", script, re.M).group(1)
    args = command.replace('"$SLURM_NTASKS"', "2").replace("run.json", "local.json").split()
    subprocess.run([str(REPO / ".venv" / "bin" / "python"), "-m", "lstm_xor", "train", *args], cwd=tmp_path,
                   check=True, capture_output=True, timeout=300)
    slurm_record, local_record = (json.loads((tmp_path / n).read_text()) for n in ("run.json", "local.json"))
    assert slurm_record["config"]["engines"] == 2
    for record in (slurm_record, local_record):
        for key in ("wall_seconds", "environment", "config"):
            record.pop(key)
        record["history"].pop("epoch_seconds")
    assert slurm_record == local_record
