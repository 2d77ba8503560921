"""The run registry: every documented run, grouped into the book's parts (one per report).

A run (``Run``) is one executed notebook of the book: its parameters in RunConfig's
names and, for a report's run, the figures the report gives for it. Runs are shown in
groups (``Group``), and a book part (``Part``) is a report's pages (static chapters,
summary notebooks) followed by its groups. Each report is a folder here (``r000``,
``r001``, ...) whose ``runs.py`` defines its runs and its ``PART``; the folders are
found, not listed, so a new report is a new folder (README: "A new report"). The
driver (lstm_xor.publish) writes the book's table of contents and re-executes the
summary pages from ``PARTS``.
"""

import importlib
from pathlib import Path

from lstm_xor.reports.base import Group, Part, Run

__all__ = ["BY_ID", "PARTS", "RUNS", "Group", "Part", "Run", "get", "part_of"]


def _parts():
    """Every report folder's PART, in the order of the folders' names (r000, r001, ...)."""
    folders = sorted(p.parent.name for p in Path(__file__).parent.glob("r[0-9]*/runs.py"))
    return tuple(importlib.import_module(f"{__name__}.{name}.runs").PART for name in folders)


PARTS = _parts()
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
