"""What the registry is made of: a run, a group of runs, a book part.

Kept apart from the package's ``__init__`` so that the report modules, which build
their entries from these classes, and ``__init__``, which collects the report
modules' parts, do not import each other.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from lstm_xor.config import flat, split

SEEDS3 = (0, 1, 2)  # three seeds: the fewest a comparison in the book rests on


@dataclass(frozen=True)
class Run:
    id: str
    group: str  # the Group.name it is shown under (report-fixed, report-variable, ours, ...)
    title: str
    params: dict  # RunConfig fields that differ from base (the report's settings for report runs, defaults for ours)
    report: dict | None = None  # the report's figures for this run (its report module's format); None for our own
    note: str = ""  # how we read the report for this run, or what the run is for
    expect: str = ""  # what we expect to see (our runs)
    base: dict = field(default_factory=dict, repr=False)

    def config(self):
        """Every RunConfig field as this run uses it (before a profile scales it)."""
        return flat(*split({**self.base, **self.params}))

    @property
    def epochs(self):
        """The epochs planned: the entry's own, else its report's base, else the default."""
        return self.config()["epochs"]

    @property
    def schedule_text(self):
        c = self.config()
        return c["lr_schedule"] or f"{c['lr']:g}"


def seeded(run, seeds=3, bare_first=False):
    """One Run per seed of an entry: seeds a count (0 .. seeds - 1) or the seeds themselves; ids ``<id>-s<seed>``,
    titles ``<title>, seed <seed>``, the seed in the parameters.

    ``bare_first``: the first seed keeps the entry's own id, title and parameters, for an entry registered (and
    run) as one seed before it had more: its record, id and fingerprint stay what they were.
    """
    seeds = tuple(range(seeds)) if isinstance(seeds, int) else tuple(seeds)
    if not seeds or len(set(seeds)) != len(seeds):
        raise ValueError(f"bad parameter seeds={seeds!r}: expected a count >= 1 or distinct seeds")
    if bare_first and run.config()["seed"] != seeds[0]:
        raise ValueError(f"bad parameter bare_first=True: the entry {run.id} runs seed {run.config()['seed']}, "
                         f"not the first of seeds {seeds}")
    return tuple(run if bare_first and k == 0 else
                 replace(run, id=f"{run.id}-s{seed}", title=f"{run.title}, seed {seed}",
                         params={**run.params, "seed": seed})
                 for k, seed in enumerate(seeds))


def configuration_id(run_id):
    """A run id without its seed suffix: the runs of one configuration (``seeded``'s) share it."""
    return re.sub(r"-s\d+$", "", run_id)


@dataclass(frozen=True)
class Group:
    """Runs shown together in the book, under one caption of the table of contents."""
    name: str  # the runs' Run.group
    caption: str
    runs: tuple[Run, ...]

    def __post_init__(self):
        stray = [run.id for run in self.runs if run.group != self.name]
        if stray:
            raise ValueError(f"group {self.name!r} holds runs of another group: {', '.join(stray)}")


def no_figures(run):
    """A part whose runs carry no report figures shows none on their pages."""
    return []


def no_comparison(run, record):
    """A part that puts nothing beside its run pages' results."""
    return []


@dataclass(frozen=True)
class Part:
    """One part of the book: a report's pages, then its run groups (the driver writes the toc from these).

    pages and summaries are paths under book/; summaries are the notebooks the driver
    re-executes against the run records. describe and figures fill in the report-specific
    lines of a run page's first cell, compare the report's figures its Result section shows
    beside the run's (lstm_xor.publish.pages decides the rest of the page).
    """
    report: str  # the source report's number, e.g. "000"
    caption: str  # the toc caption over the part's pages
    pages: tuple[str, ...]  # static pages (.md), in toc order
    summaries: tuple[str, ...]  # summary notebooks (.ipynb), in toc order after the pages
    groups: tuple[Group, ...]  # in toc order, each under its own caption
    describe: Callable[[dict], str]  # a run configuration's data and batches in words ("fixed length 50, ...")
    figures: Callable[[Run], list[str]] = no_figures  # Markdown lines: the report's figures for one run
    compare: Callable[[Run, dict], list[str]] = no_comparison  # Markdown lines: the report beside a run's record

    @property
    def runs(self):
        return tuple(run for group in self.groups for run in group.runs)
