"""The book: its configuration, its table of contents, and a -W build from a quick-profile run set."""

import fnmatch
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from lstm_xor import render, reports
from lstm_xor.publish import bookdir, index, toc
from lstm_xor.publish import driver as runs

REPO = Path(__file__).resolve().parents[1]
BOOK = REPO / "book"


def _entries(chapters):
    """Every file of a toc's chapters, their sections included, in order."""
    for chapter in chapters:
        yield chapter["file"]
        yield from _entries(chapter.get("sections", []))


def _toc_files(toc_path):
    toc = yaml.safe_load(Path(toc_path).read_text())
    return [toc["root"]] + [f for part in toc.get("parts", []) for f in _entries(part["chapters"])]


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


def test_config_agrees_with_the_book_it_builds():
    config = yaml.safe_load((REPO / "_config.yml").read_text())
    book = bookdir.Book(BOOK)
    # the title is the first page's; the bibliography files exist
    assert f"# {config['title']}\n" in _first_markdown(BOOK / "intro.ipynb")
    assert all((BOOK / name).exists() for name in config["bibtex_bibfiles"])
    # the build never executes: every page the driver executes has its outputs committed
    assert config["execute"]["execute_notebooks"] == "off"
    for name in bookdir.SUMMARIES:
        cells = json.loads((BOOK / name).read_text())["cells"]
        assert any(c.get("outputs") for c in cells if c["cell_type"] == "code"), f"{name} is not executed"
    # the checkpoint cache and the build output are excluded, whatever their folder
    cache = book.cache.relative_to(book.root).as_posix()
    assert any(fnmatch.fnmatch(cache, pattern) for pattern in config["exclude_patterns"]), cache
    assert any(fnmatch.fnmatch("_build", pattern) for pattern in config["exclude_patterns"])
    # nothing fetched from the network at build time
    sphinx = config["sphinx"]["config"]
    assert not sphinx.get("intersphinx_mapping") and not config["launch_buttons"].get("binderhub_url")
    # run pages are a study's sections: the sidebar opens one level only, so they stay collapsed
    assert sphinx.get("html_theme_options", {}).get("show_navbar_depth", 1) == 1
    assert max(_depth(part["chapters"]) for part in yaml.safe_load((BOOK / "_toc.yml").read_text())["parts"]) == 2


def _depth(chapters):
    return 1 + max((_depth(c["sections"]) for c in chapters if c.get("sections")), default=0)


def test_the_books_css_wraps_code_and_hides_a_summarys_injected_parameters():
    css = "".join(path.read_text() for path in (BOOK / "_static").glob("*.css"))
    assert re.search(r"pre\s*{[^}]*white-space:\s*pre-wrap", css)
    assert ".tag_injected-parameters:not(.tag_hide-cell)" in css
    for name in bookdir.SUMMARIES:  # the cell the rule hides is papermill's, never the page's own
        cells = json.loads((BOOK / name).read_text())["cells"]
        injected = [c for c in cells if "injected-parameters" in c["metadata"].get("tags", [])]
        assert len(injected) == 1 and "hide-cell" not in injected[0]["metadata"]["tags"], name
        assert "".join(injected[0]["source"]).startswith("# Parameters")


def test_committed_toc_lists_existing_pages_that_start_with_a_title():
    assert (BOOK / "_toc.yml").read_text() == toc.toc_text(bookdir.Book(BOOK)), \
        "book/_toc.yml is stale: run `python -m lstm_xor runs --summaries-only`"
    for part in reports.PARTS:
        for group in part.groups:
            present = {r.id for r in group.runs if (BOOK / "runs" / f"{r.id}.ipynb").exists()}
            made = index.study_markdown(part, group, render.load_records(BOOK / "runs", group.runs), present)
            assert (BOOK / f"{index.study_file(group)}.md").read_text() == made, f"{group.name}'s page is stale"
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


def test_toc_has_one_part_per_report_its_pages_then_a_study_page_per_group(tmp_path):
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
    assert [p["caption"] for p in contents["parts"]] == [part.caption for part in reports.PARTS]
    for part, listed in zip(reports.PARTS, contents["parts"], strict=True):
        pages = [str(Path(p).with_suffix("")) for p in part.pages + part.summaries]
        expected = pages + [index.study_file(g) for g in part.groups]
        assert [c["file"] for c in listed["chapters"]] == expected  # the sidebar: a few entries per part
        studies = listed["chapters"][len(pages):]
        assert [[s["file"] for s in c["sections"]] for c in studies] == [[f"runs/{r.id}" for r in g.runs]
                                                                        for g in part.groups]
    top = sum(len(p["chapters"]) for p in contents["parts"])
    assert top < 60 and top * 5 < len(reports.RUNS)
    # a report's pages are listed only where they exist; a group without pages gets no study page
    (book.root / reports.PARTS[0].summaries[0]).unlink()
    first = reports.PARTS[0].groups[0]
    for run in first.runs:
        (book.runs / f"{run.id}.ipynb").unlink()
    text = toc.toc_text(book)
    assert Path(reports.PARTS[0].summaries[0]).with_suffix("").as_posix() not in text
    assert index.study_file(first) not in text and f"runs/{first.runs[0].id}\n" not in text


def test_study_pages_tabulate_their_runs_varied_settings_and_outcomes(tmp_path):
    book = bookdir.Book(tmp_path / "book")
    book.runs.mkdir(parents=True)
    group = next(g for part in reports.PARTS for g in part.groups if g.name == "map-report-fixed")
    solved, unsolved = group.runs[0], group.runs[1]
    for run, accuracy, status in ((solved, 1.0, "solved"), (unsolved, 0.25, "completed")):
        (book.runs / f"{run.id}.ipynb").write_text("{}")
        record = dict(config=run.config(), status=status, epochs_completed=2, driver={},
                      test=dict(sequence_accuracy=accuracy))
        (book.runs / f"{run.id}.json").write_text(json.dumps(record))
    (book.runs / "study-gone.md").write_text("# a group that no longer exists\n")
    toc.write_toc(book)
    assert not (book.runs / "study-gone.md").exists()
    page = (book.root / f"{index.study_file(group)}.md").read_text()
    lines = page.splitlines()
    assert lines[0] == f"# {group.caption}"
    table = [line for line in lines if line.startswith("|")]
    assert table[0] == "| run | lr | seed | outcome | epochs |"  # only the settings that differ within the group
    assert len(table) == 2 + len(group.runs)
    assert table[2] == f"| [{solved.id}]({solved.id}.ipynb) | 0.0001 | 0 | solved, sequence accuracy 1 | 2 of 3 |"
    assert "| completed, sequence accuracy 0.25 | 2 of 3 |" in table[3]
    assert table[4].startswith(f"| {group.runs[2].id} |") and "not run yet | 3 planned |" in table[4]
    # the committed study pages are the ones the records make
    committed = sorted(p.name for p in BOOK.joinpath("runs").glob("study-*.md"))
    assert committed == sorted(f"{Path(index.study_file(g)).name}.md" for part in reports.PARTS for g in part.groups)


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
    assert "<title>Report, fixed length, run 3 &#8212;" in run_page  # the page's title, as the sidebar names it
    assert "The result is the parameters after the last epoch" in run_page and "smallest iteration loss" in run_page
    assert "<img" in run_page and "1087.689" not in run_page and "29.415" in run_page  # its own report figures


def test_no_run_completed_more_epochs_than_its_entry_plans():
    """A run's planned epochs come from its entry and its report's base (study pages print 'k of n')."""
    for run in reports.RUNS:
        path = BOOK / "runs" / f"{run.id}.json"
        if path.exists():
            assert json.loads(path.read_text())["epochs_completed"] <= run.epochs, run.id
