"""The exploration views and widgets (lstm_xor.study.explore) and a committed run's network rebuilt and probed
(lstm_xor.study.units): what the notebook's widgets show moves with their controls, and the book's cached
findings are those of the committed run."""

import json
from pathlib import Path

import matplotlib
import numpy as np
import pytest

from lstm_xor.config import RunConfig
from lstm_xor.nn.model import Model
from lstm_xor.study import explore, probe, units

matplotlib.use("Agg")

REPO = Path(__file__).resolve().parents[1]
SMALL = dict(cell="lstm", hidden=8, max_length=10, n_samples=3000, epochs=4, seed=0)  # learns in seconds


@pytest.fixture(scope="module")
def trained():
    model, record, test = probe.train_network(probe.explore_config(**SMALL))
    return explore.Source("small", model, test), record


def test_a_source_orders_its_units_once_and_ablating_every_unit_leaves_chance(trained):
    source, record = trained
    order, corr = source.units()
    assert source.units()[0] is order and sorted(order) == list(range(8)) and np.all(np.diff(np.abs(corr)) <= 0)
    assert source.accuracy() >= 0.99 and abs(source.accuracy(range(8)) - 0.5) < 0.1
    np.testing.assert_array_equal(source.model.params["head.W"], record["model"].params["head.W"])


def test_the_trace_marks_wrong_steps_and_shows_only_the_steps_so_far(trained):
    source, _ = trained
    fig = explore.plot_trace(source.model, "0110100111", upto=4)
    assert "step 4 of 10" in fig.axes[0].get_title()
    assert len(fig.axes[0].lines[1].get_xdata()) == 4, "P(label 1) drawn up to the step chosen"
    image = np.ma.filled(fig.axes[1].images[0].get_array().astype(float), np.nan)  # imshow masks the NaNs
    assert np.isnan(image[:, 4:]).all() and not np.isnan(image[:, :4]).any()
    order, _ = source.units()
    blind = explore.plot_trace(source.model, "0110100111", ablated=order[:8].tolist())
    assert "head not reading units" in blind.axes[0].get_title()
    assert len(blind.axes[0].lines[2].get_xdata()) > 0, "reading no unit, it gets steps wrong, marked"


def test_the_explorer_moves_with_its_controls_and_loads_a_network_on_first_choice(trained, monkeypatch):
    source, _ = trained
    loaded, drawn = [], []
    plot = explore.plot_trace
    monkeypatch.setattr(explore, "plot_trace", lambda model, bits, upto, ablated: drawn.append(
        (bits, upto, ablated)) or plot(model, bits, upto, ablated))

    def load():
        loaded.append(1)
        return explore.Source("other", Model("lstm", 2, 4, 2, 1, head="every", seed=1), source.test)

    box = explore.explorer({"small": source}, "0110", {"other": load})
    pick, text = box.children[0].children
    step = box.children[1].children[1]
    ablate, status = box.children[2], box.children[3]
    assert status.value.startswith("small: ") and "without units (none)" in status.value and not loaded
    assert drawn == [("0110", 4, ())]
    strongest = ablate.options[0][1]
    ablate.value = (strongest,)
    assert f"without units {strongest}: " in status.value and drawn[-1] == ("0110", 4, (strongest,))
    step.value = 2
    assert drawn[-1] == ("0110", 2, (strongest,))
    del drawn[:]
    text.value = "1101101"
    assert (step.max, step.value) == (7, 7) and drawn == [("1101101", 7, (strongest,))], "shown whole, drawn once"
    text.value = "10a"
    assert "bad parameter bits='10a'" in status.value and len(drawn) == 1
    text.value = "0110"
    pick.value = "other"
    assert loaded == [1] and len(ablate.options) == 4 and status.value.startswith("other: ")
    pick.value, pick.value = "small", "other"
    assert loaded == [1], "loaded once"


def test_findings_rank_the_units_and_keep_or_ablate_them(trained):
    source, _ = trained
    found = units.findings(source, counts=(1, 4, 8))
    assert found["hidden"] == 8 and sorted(found["units"]) == list(range(8)) and found["cell"] == "lstm"
    assert [row[0] for row in found["without"]] == [1, 4, 8] and found["only"][-1] == [8, found["full"]]
    assert abs(found["without"][-1][1] - 0.5) < 0.1, "no unit read: chance"
    json.dumps(found)


def test_a_committed_run_is_rebuilt_once_then_loaded_from_its_checkpoint(tmp_path, monkeypatch):
    config = RunConfig(task="parity", hidden=6, min_length=1, max_length=8, n_samples=600, epochs=1, seed=2)
    model, record, _ = probe.train_network(config)
    runs = tmp_path / "runs"
    runs.mkdir()
    (runs / "tiny.json").write_text(json.dumps(dict(config=config.to_dict(), test=record["test"])))
    source, committed, test = units.rebuild("tiny", runs, tmp_path / "cache")
    assert {k: test[k] for k in units.TEST_KEYS} == {k: record["test"][k] for k in units.TEST_KEYS}
    np.testing.assert_array_equal(source.model.flat, model.flat)
    monkeypatch.setattr(units, "train", lambda *a, **k: pytest.fail("trained again instead of loading"))
    again, _, test_again = units.rebuild("tiny", runs, tmp_path / "cache")
    np.testing.assert_array_equal(again.model.flat, model.flat)
    assert test_again == json.loads(json.dumps(test))


def test_the_books_cached_findings_are_the_committed_runs():
    """book/summary/units.json: made from the committed record it names (its test counts as committed), and the
    page's words are generated from it."""
    from lstm_xor.reports.r000.runs import PART
    assert "summary/units.ipynb" in PART.summaries
    found = json.loads((REPO / "book" / "summary" / "units.json").read_text())
    record = json.loads((REPO / "book" / "runs" / f"{found['run']}.json").read_text())
    assert found["committed_test"] == {k: record["test"][k] for k in units.TEST_KEYS}, "rerun the command it names"
    assert found["reproduced"] and found["rebuilt_test"] == found["committed_test"]
    assert found["command"] == f"python -m lstm_xor.study.units --run {found['run']} --out book/summary/units.json"
    assert len(found["units"]) == len(found["correlations"]) == found["hidden"] == record["config"]["hidden"]
    k = units.carriers(found)
    text = units.text(found)
    assert f"predicts {found['full']:.3f} of the steps" in text
    if k is not None:
        assert f"Read alone, its {k} most correlated units give {dict(found['only'])[k]:.3f}" in text
    assert len(units.table(found).splitlines()) == 2 + len(found["without"])


def test_the_notebooks_committed_run_is_a_registered_parity_run_or_refused_by_name():
    assert units.check_run(units.RUN) == units.RUN
    for wrong in ("fixed-99", "add-basic-gru-s0"):
        with pytest.raises(ValueError, match=f"bad parameter committed_run='{wrong}': expected the id of a registered"):
            units.check_run(wrong)
