"""The book: its configuration, its table of contents, and a -W build from a quick-profile run set."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from lstm_xor import reports
from lstm_xor.publish import bookdir, toc
from lstm_xor.publish import driver as runs

REPO = Path(__file__).resolve().parents[1]
BOOK = REPO / "book"


def _toc_files(toc_path):
    toc = yaml.safe_load(Path(toc_path).read_text())
    files = [toc["root"]]
    for part in toc.get("parts", []):
        files += [chapter["file"] for chapter in part["chapters"]]
    return files


def _page(book, name):
    for suffix in (".ipynb", ".md"):
        if (book / f"{name}{suffix}").exists():
            return book / f"{name}{suffix}"
    return None


def _first_markdown(path):
    if path.suffix == ".md":
        return path.read_text()
    nb = json.loads(path.read_text())
    cell = nb["cells"][0]
    assert cell["cell_type"] == "markdown", path
    return "".join(cell["source"])


def test_config_never_executes_and_stays_offline():
    config = yaml.safe_load((REPO / "_config.yml").read_text())
    assert config["author"] == "lstm_xor"
    assert config["execute"]["execute_notebooks"] == "off"
    assert config["only_build_toc_files"] is True
    assert any(".cache" in p for p in config["exclude_patterns"]) and "_build" in config["exclude_patterns"]
    assert config["sphinx"]["config"]["nb_render_markdown_format"] == "myst"
    assert not config["sphinx"]["config"].get("intersphinx_mapping")
    assert config["launch_buttons"]["thebe"] is False
    assert config["html"]["use_repository_button"] is False


def test_committed_toc_lists_existing_pages_that_start_with_a_title():
    assert (BOOK / "_toc.yml").read_text() == toc.toc_text(bookdir.Book(BOOK)), \
        "book/_toc.yml is stale: run `python -m lstm_xor runs --summaries-only`"
    for name in _toc_files(BOOK / "_toc.yml"):
        page = _page(BOOK, name)
        assert page is not None, f"{name} is in the toc but not in book/"
        assert _first_markdown(page).startswith("# "), page


def test_toc_lists_runs_and_scaling_only_where_present(tmp_path):
    book = bookdir.Book(tmp_path / "book")
    (book.runs).mkdir(parents=True)
    (book.runs / "fixed-03.ipynb").write_text("{}")
    text = toc.toc_text(book)
    assert "runs/fixed-03" in text and "runs/fixed-06" not in text and "scaling" not in text
    (book.root / "scaling").mkdir()
    (book.root / "scaling" / "scaling.ipynb").write_text("{}")
    assert "file: scaling/scaling" in toc.toc_text(book)
    # every registry run would be listed, in its group's part
    for run in reports.RUNS:
        (book.runs / f"{run.id}.ipynb").write_text("{}")
    full = toc.toc_text(book)
    assert all(f"runs/{r.id}\n" in full for r in reports.RUNS)


def test_toc_has_one_part_per_report_then_its_groups(tmp_path):
    book = bookdir.Book(tmp_path / "book")
    book.runs.mkdir(parents=True)
    for part in reports.PARTS:
        for page in part.pages + part.summaries:
            (book.root / page).parent.mkdir(parents=True, exist_ok=True)
            (book.root / page).write_text("{}")
    for run in reports.RUNS:
        (book.runs / f"{run.id}.ipynb").write_text("{}")
    contents = yaml.safe_load(toc.toc_text(book))
    assert contents["root"] == "intro"
    expected = []
    for part in reports.PARTS:
        expected.append((part.caption, [str(Path(p).with_suffix("")) for p in part.pages + part.summaries]))
        expected += [(g.caption, [f"runs/{r.id}" for r in g.runs]) for g in part.groups]
    assert [(p["caption"], [c["file"] for c in p["chapters"]]) for p in contents["parts"]] == expected
    # a report's pages are listed only where they exist; an empty group gets no caption
    (book.root / reports.PARTS[0].summaries[0]).unlink()
    (book.runs / f"{reports.RUNS[0].id}.ipynb").unlink()
    text = toc.toc_text(book)
    assert Path(reports.PARTS[0].summaries[0]).with_suffix("").as_posix() not in text
    assert f"runs/{reports.RUNS[0].id}\n" not in text


@pytest.mark.slow
def test_book_builds_without_warnings_from_a_quick_profile(tmp_path):
    book = tmp_path / "book"
    ids = ["fixed-03", "default-fixed-s0", "add-basic-gru-s0", "cls-units4-lstm", "bptt-grad-lstm-l1-s0",
           "bptt-k5-lstm-s0", "fc-sunspots-lstm-s0"]
    results = runs.run_all("quick", only=ids, book=book, out=lambda line: None)
    assert {s for s, _ in results.values()} == {"ok"}, results
    for name in bookdir.SUMMARIES:
        nb = json.loads((book / name).read_text())
        assert nb["metadata"]["papermill"]["parameters"]["profile"] == "quick"
        assert all(o.get("output_type") != "error" for c in nb["cells"] for o in c.get("outputs", []))
    jb = Path(sys.executable).with_name("jupyter-book")
    command = [str(jb), "build", str(book), "-W", "-n", "--keep-going", "--path-output", str(tmp_path / "out")]
    build = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    html = tmp_path / "out" / "_build" / "html"
    pages = [Path(p).with_suffix("").as_posix() for part in reports.PARTS for p in part.pages + part.summaries]
    assert {"parity", "summary/report", "summary/ours", "adder", "summary/adder", "classify",
            "summary/classify", "bptt", "summary/bptt", "forecast", "summary/forecast"} <= set(pages)
    for page in ["intro"] + pages + [f"runs/{i}" for i in ids]:
        assert (html / f"{page}.html").exists(), page
    report_page = (html / "summary" / "report.html").read_text()
    assert 'href="../runs/fixed-03.html"' in report_page  # links to the run pages that exist
    assert "<table" in report_page and "19616" in report_page  # the report's figures, as a table
    adder_page = (html / "summary" / "adder.html").read_text()
    assert 'href="../runs/add-basic-gru-s0.html"' in adder_page and "<table" in adder_page
    classify_page = (html / "summary" / "classify.html").read_text()
    assert 'href="../runs/cls-units4-lstm.html"' in classify_page and "SYNTHETIC" in classify_page
    assert 'href="../runs/bptt-k5-lstm-s0.html"' in (html / "summary" / "bptt.html").read_text()
    assert 'href="../runs/fc-sunspots-lstm-s0.html"' in (html / "summary" / "forecast.html").read_text()
    run_page = (html / "runs" / "fixed-03.html").read_text()
    assert "Report, fixed length, run 3 · lr 0.00075 · report 39.55% · ours " in run_page  # the sidebar's title
    assert "<img" in run_page and "1087.689" not in run_page and "29.415" in run_page  # its own report figures
