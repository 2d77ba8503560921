"""The book's table of contents (``<book>/_toc.yml``), written from the registry's parts to list
the pages that exist."""

from pathlib import Path

from lstm_xor import reports
from lstm_xor.publish.bookdir import ROOT, SCALING, write_file


def _toc_part(caption, files):
    """A toc part: its caption and its chapters (book paths, suffix dropped); nothing when there are none."""
    if not files:
        return []
    return [f"  - caption: \"{caption}\"", "    chapters:"] + \
        [f"      - file: {Path(f).with_suffix('').as_posix()}" for f in files]


def toc_text(book, runs=None):
    """_toc.yml listing the pages that exist: the root page, one part per report (reports.PARTS), scaling.

    A report's part is its static pages and summaries under its caption, then each of
    its run groups under the group's caption (a toc caption heads a list of pages).
    """
    runs = reports.RUNS if runs is None else runs
    lines = ["# Written by `python -m lstm_xor runs` from the run registry: it lists the pages that exist.",
             "format: jb-book", f"root: {Path(ROOT).with_suffix('').as_posix()}", "parts:"]
    for part in reports.PARTS:
        lines += _toc_part(part.caption, [p for p in part.pages + part.summaries if (book.root / p).exists()])
        for group in part.groups:
            lines += _toc_part(group.caption, [f"runs/{r.id}" for r in runs
                                               if r.group == group.name and book.notebook(r.id).exists()])
    if (book.root / SCALING).exists():
        lines += _toc_part("Scaling", [SCALING])
    return "\n".join(lines) + "\n"


def write_toc(book, runs=None):
    text = toc_text(book, runs)
    path = book.root / "_toc.yml"
    if not path.exists() or path.read_text() != text:
        write_file(path, text.encode())
