"""The scaling study: its load probes, the measurements run, the notebook executes (the naive baseline's
equality with the tuned code: test_reference.py)."""

import json
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import papermill as pm
import pytest

from lstm_xor.launch import cores
from lstm_xor.study import scaling
from lstm_xor.study.scaling import load

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "scaling.ipynb"
TINY = dict(hidden=16, batch_size=32, n_samples=2000)


def test_int_list_and_json_sections(tmp_path):
    assert scaling.int_list("[1, 2, 4]") == scaling.int_list("1,2,4") == scaling.int_list([1, 2, 4.0]) == [1, 2, 4]
    assert scaling.int_list("") == []
    path = str(tmp_path / "s.json")
    scaling.record_section(path, "a", [1])
    scaling.record_section(path, "b", {"x": 2})
    assert scaling.load_results(path) == {"a": [1], "b": {"x": 2}}


def test_targets_compare_the_measured_numbers():
    strong = [dict(engines=1, threads=1, step_seconds=0.04, speedup=1.0, comm_share=0.0, pure_comm_share=0.0,
                   hidden=100, batch_size=160),
              dict(engines=2, threads=1, step_seconds=0.022, speedup=0.04 / 0.022, comm_share=0.05,
                   pure_comm_share=0.002, hidden=100, batch_size=160)]
    threads = [dict(engines=1, threads=2, step_seconds=0.03)]
    honest = [dict(times_naive=1.0), dict(times_naive=10.0), dict(times_naive=18.0)]
    goals = scaling.targets({"strong": strong, "threads": threads, "honest": honest})
    met = {g["target"].split(" ")[0] + str(round(g["value"], 3)): g["met"] for g in goals}
    assert met == {"21.818": True, "communication0.05": True, "communication0.002": True, "21.364": True,
                   "tuned18.0": False}
    assert "| no |" in scaling.targets_markdown(goals)


@pytest.mark.slow
def test_step_measurement_on_two_engines():
    r = scaling.measure_steps(engines=2, threads=1, warmup=1, iterations=3, rounds=2, allreduce_repeats=3, **TINY)
    assert r["engines"] == 2 and r["threads"] == 1 and len(r["rounds"]) == 2
    assert 0 < r["comm_seconds"] < r["step_seconds"] and r["pure_allreduce_seconds"] > 0
    assert r["compute_seconds"] == pytest.approx(r["step_seconds"] - r["comm_seconds"])
    assert r["strings_per_second"] == pytest.approx(32 / r["step_seconds"])
    assert r["epoch_seconds"] == pytest.approx(r["step_seconds"] * 2500)
    assert r["allreduce_bytes"] == 4 * (r["n_params"] + 1)
    assert 0.0 <= r["others_cpu"] <= 1.0 and r["attempts"] == 1


def test_the_load_probes_see_a_busy_process():
    """A process spinning on one core is at least its core's share of the machine; other work only adds."""
    spin = "import time\nend = time.time() + 5\nwhile time.time() < end: pass"
    spinner = subprocess.Popen([sys.executable, "-c", spin])
    try:
        time.sleep(0.3)  # started
        busy = load.machine_busy(0.5)
        with load.OthersCpu() as others:  # the spinner is no child that finished: it counts as other work
            time.sleep(0.5)
    finally:
        spinner.kill()
        spinner.wait()
    assert 0.8 / cores() <= busy <= 1.02 and 0.8 / cores() <= others.share <= 1.02
    assert load.wait_for_quiet(0.0) is None, "no wait asked: no measurement"
    assert load.wait_for_quiet(0.1, limit=2.0, window=0.2) <= 1.02, "a limit above 1 is met at once"


@pytest.mark.slow
def test_dataset_scaling_reports_reached_and_missed_targets(tmp_path):
    path = str(tmp_path / "s.json")
    reached = scaling.dataset_scaling([800], engines=2, target=0.0, eval_every=320, test_strings=200, json_path=path,
                                      **dict(TINY, n_samples=1000))[0]
    assert reached["reached"] and reached["strings_to_target"] == 320 and reached["train_strings"] == 800
    assert reached["seconds_to_target"] > 0 and reached["epoch_seconds"] > 0
    missed = scaling.dataset_scaling([800], engines=1, target=1.1, eval_every=400, test_strings=200, max_epochs=1,
                                     **dict(TINY, n_samples=1000))[0]
    assert not missed["reached"] and missed["seconds_to_target"] is None and len(missed["curve"]) == 2
    assert missed["first_epoch_seconds"] > 0
    assert scaling.load_results(path)["dataset"][0]["reached"]


@pytest.mark.slow
def test_naive_throughput_counts_strings():
    r = scaling.naive_throughput(strings=8, batch_size=4, hidden=8)
    assert len(r["batch_strings_per_second"]) == 2 and r["others_cpu"] >= 0
    assert r["strings"] == 8 and r["strings_per_second"] > 0 and r["dtype"] == "float64"


@pytest.mark.slow
def test_scaling_notebook_runs_with_quick_parameters(tmp_path):
    nb = nbformat.read(NOTEBOOK, as_version=4)
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# ")
    assert "parameters" in nb.cells[1].metadata.get("tags", [])
    out = tmp_path / "out.ipynb"
    pm.execute_notebook(str(NOTEBOOK), str(out), parameters=dict(
        engine_counts=[1, 2], hidden=16, warmup=1, iterations=3, rounds=1, repeats=1, dataset_sizes=[800, 1600],
        test_strings=300, eval_every=800, max_seconds=5.0, naive_strings=8, json_path=str(tmp_path / "s.json"),
        quiet_wait=0.0, retries=0),
        kernel_name="python3", progress_bar=False, cwd=str(tmp_path))
    results = json.loads((tmp_path / "s.json").read_text())
    assert set(results) >= {"machine", "parameters", "strong", "threads", "dataset", "naive", "honest", "targets"}
    assert [r["engines"] for r in results["strong"]] == [1, 2]
    assert [r["train_strings"] for r in results["dataset"]] == [800, 1600]
    executed = nbformat.read(out, as_version=4)
    outputs = [o for c in executed.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert sum("image/png" in o.get("data", {}) for o in outputs) >= 4, "a plot per study"
    tables = [o["data"]["text/markdown"] for o in outputs if "text/markdown" in o.get("data", {})]
    assert any("speed-up" in t for t in tables) and any("x naive" in t for t in tables)


# -- report 001's targets: measured, and modelled beyond the cores measured ------------------------------------------

def _results(counts, serial=0.005, parallel=0.027, comm=0.0004, naive=250.0):
    """A scaling study's results from a known step model (compute = serial + parallel / N, all-reduce comm (N - 1))."""
    def row(n):
        compute, wait = serial + parallel / n, comm * (n - 1)
        return dict(engines=n, compute_seconds=compute, comm_seconds=wait, step_seconds=compute + wait,
                    strings_per_second=160 / (compute + wait))
    strong = [row(n) for n in counts]
    dataset = [dict(train_strings=s, engines=2, epoch_seconds=s / 8000, seconds_to_target=2.5, strings_to_target=22400,
                    reached=True, target=0.999, step_seconds=row(2)["step_seconds"]) for s in (10_000, 20_000, 40_000)]
    return dict(strong=strong, naive=dict(strings_per_second=naive), dataset=dataset)


def test_the_step_model_recovers_its_parameters_from_any_engine_counts_and_predicts_the_measured_steps():
    from lstm_xor.study.scaling import report001
    for counts in ([1, 2], [1, 2, 4, 8, 16]):
        model = report001.step_model(_results(counts)["strong"])
        assert model["serial"] == pytest.approx(0.005) and model["parallel"] == pytest.approx(0.027)
        assert model["comm"] == pytest.approx(0.0004) and model["counts"] == counts
        assert all(model["predicted"][n] == pytest.approx(model["measured"][n]) for n in counts)
    with pytest.raises(ValueError, match="at least two"):
        report001.step_model(_results([1])["strong"])


def test_report001_targets_keep_the_two_gains_apart_and_name_their_source():
    from lstm_xor.study.scaling import report001
    results = _results([1, 2])
    rows = {r["key"]: r for r in report001.targets001(results)}
    one = results["strong"][0]["strings_per_second"]
    assert f"vectorisation gain {one / 250:.1f}x (1 process)" in rows["x5"]["measured"]
    assert rows["x5"]["verdict"].startswith("by parallelism: not met") and "met (by vectorisation alone)" in \
        rows["x5"]["verdict"]
    assert "below 6.4x on any count even with a free all-reduce" in rows["x10"]["model"]  # 0.032 / 0.005
    assert rows["faster"]["verdict"].startswith("by parallelism: met")
    assert "time per epoch grows as size^1.00" in rows["data"]["measured"]
    assert "per epoch: not met" in rows["data"]["verdict"] and "after 22,400 strings" in rows["data"]["verdict"]
    table = report001.targets001_markdown(report001.targets001(results), 2)
    assert "001_fe15789e96ef5d9d.txt" in table and "5.1.2 Hope to achieve 1 (125%)" in table
    many = {r["key"]: r for r in report001.targets001(_results([1, 2, 4, 8, 16], serial=0.001, comm=0.00001))}
    assert many["x5"]["measured"].startswith("parallel gain") and "at 16 engines" in many["x5"]["measured"]
    assert many["x5"]["verdict"].startswith("by parallelism: met")


def test_the_books_report001_table_is_the_one_its_results_give():
    book = Path(__file__).resolve().parents[1] / "book" / "scaling"
    results = scaling.load_results(book / "scaling.json")
    executed = nbformat.read(book / "scaling.ipynb", as_version=4)
    shown = [o["data"]["text/markdown"] for c in executed.cells if c.cell_type == "code" for o in c.get("outputs", [])
             if "text/markdown" in o.get("data", {})]
    assert scaling.targets001_markdown(scaling.targets001(results), results["machine"]["cores"]) in shown
    assert scaling.model_markdown(results) in shown
