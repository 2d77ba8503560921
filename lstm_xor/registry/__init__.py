"""The run registry: every documented run, grouped into the book's parts (one per report).

A run (``Run``) is one executed notebook of the book: its parameters in RunConfig's
names and, for a report's run, the figures the report gives for it. Runs are shown in
groups (``Group``), and a book part (``Part``) is a report's pages (static chapters,
summary notebooks) followed by its groups. Each report has a module here
(``report000``, ...) that defines its runs and its ``PART``; ``ours`` holds our own
runs, whose groups each report's part takes in. The driver (lstm_xor.runs) writes the
book's table of contents and re-executes the summary pages from ``PARTS``.
"""

from lstm_xor.registry import report000, report001, report002, report003, report004
from lstm_xor.registry.base import Group, Part, Run

__all__ = ["BY_ID", "PARTS", "RUNS", "Group", "Part", "Run", "get", "part_of"]

PARTS = (report000.PART, report001.PART, report002.PART, report003.PART, report004.PART)  # by report
RUNS = [run for part in PARTS for run in part.runs]
BY_ID = {run.id: run for run in RUNS}
_PART_OF_GROUP = {group.name: part for part in PARTS for group in part.groups}


def get(run_id):
    try:
        return BY_ID[run_id]
    except KeyError:
        raise ValueError(f"unknown run id {run_id!r}; known: {', '.join(BY_ID)}") from None


def part_of(run):
    """The book part that shows a run (by its group)."""
    try:
        return _PART_OF_GROUP[run.group]
    except KeyError:
        raise ValueError(f"run {run.id!r}: group {run.group!r} is in no part of the book") from None
