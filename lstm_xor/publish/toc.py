"""The book's table of contents (``<book>/_toc.yml``), written from the registry's parts to list the pages
that exist, and the study pages it nests the run pages under (lstm_xor.publish.index).

The sidebar shows, per report, its chapters, its summary pages and one page per study
(a registry Group); a study's run pages are its sections, collapsed until opened.
"""

from pathlib import Path

from lstm_xor import render, reports
from lstm_xor.publish.bookdir import ROOT, SCALING, write_file
from lstm_xor.publish.index import study_file, study_markdown


def _file(path, indent):
    return f"{' ' * indent}- file: {Path(path).with_suffix('').as_posix()}"


def _studies(book, part, runs):
    """(group, ids of its runs whose page exists) for each group of the part with at least one such page."""
    listed = {run.id for run in runs}
    for group in part.groups:
        present = [run.id for run in group.runs if run.id in listed and book.notebook(run.id).exists()]
        if present:
            yield group, present


def toc_text(book, runs=None):
    """_toc.yml listing the pages that exist: the root page, one part per report (reports.PARTS), scaling.

    A report's part is its static pages and summaries, then a study page per run group
    with the group's run pages as its sections.
    """
    runs = reports.RUNS if runs is None else runs
    lines = ["# Written by `python -m lstm_xor runs` from the run registry: it lists the pages that exist.",
             "format: jb-book", f"root: {Path(ROOT).with_suffix('').as_posix()}", "parts:"]
    for part in reports.PARTS:
        chapters = [_file(p, 6) for p in part.pages + part.summaries if (book.root / p).exists()]
        for group, present in _studies(book, part, runs):
            chapters += [_file(study_file(group), 6), "        sections:"]
            chapters += [_file(f"runs/{run_id}", 10) for run_id in present]
        if chapters:
            lines += [f"  - caption: \"{part.caption}\"", "    chapters:", *chapters]
    if (book.root / SCALING).exists():
        lines += ["  - caption: \"Scaling\"", "    chapters:", _file(SCALING, 6)]
    return "\n".join(lines) + "\n"


def _write_if_changed(path, text):
    if not path.exists() or path.read_text() != text:
        write_file(path, text.encode())


def write_toc(book, runs=None):
    """Write the toc and the study pages it lists (from the records in the book); remove study pages of the past."""
    runs = reports.RUNS if runs is None else runs
    written = set()
    for part in reports.PARTS:
        for group, present in _studies(book, part, runs):
            path = book.root / f"{study_file(group)}.md"
            records = render.load_records(book.runs, group.runs)
            _write_if_changed(path, study_markdown(part, group, records, set(present)))
            written.add(path)
    for stale in set(book.runs.glob("study-*.md")) - written:
        stale.unlink()
    _write_if_changed(book.root / "_toc.yml", toc_text(book, runs))
