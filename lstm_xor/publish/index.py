"""A study's index page (``<book>/runs/study-<group>.md``): a table of its runs, the page the toc nests them under.

One row per run of the group: a link to its page, the settings that differ between
the group's runs, its outcome (status and the task's headline metric, from the
record) and its epochs. Written with the toc (lstm_xor.publish.toc), so it lists the
records of the book it is written into.
"""

from pathlib import Path

from lstm_xor import render
from lstm_xor.tasks import get_task

MAX_COLUMNS = 4  # more varied settings than this share one column, so that the table fits a laptop's page


def study_file(group):
    """The study page of a group, as the toc names it (under book/, without suffix)."""
    return f"runs/study-{group.name}"


def varied(runs):
    """The settings (RunConfig's names, in its order) whose values differ between runs; epochs have their column."""
    configs = [run.config() for run in runs]
    return [k for k in configs[0] if k != "epochs" and len({repr(c[k]) for c in configs}) > 1]


def _value(v):
    return f"{v:g}" if isinstance(v, float) else (str(v) if v != "" else "–")


def _settings(keys, config, first, apart):
    """The row's settings: one cell per key, or with many keys one cell of those that differ from the first run."""
    if not apart:
        return [_value(config[k]) for k in keys]
    return [", ".join(f"{k} {_value(config[k])}" for k in keys if config[k] != first[k]) or "the first run's"]


def outcome(record):
    """A record's status and its task's headline metric on the test set: 'completed, sequence accuracy 0.9466'."""
    if record is None:
        return "not run yet"
    primary = get_task(record["config"]["task"]).primary
    test = record.get("test") or {}
    if primary not in test:
        return render.status_text(record)
    return f"{render.status_text(record)}, {primary.replace('_', ' ')} {test[primary]:.4g}"


def _epochs(run, record):
    return f"{record['epochs_completed']} of {run.epochs}" if record else f"{run.epochs} planned"


def study_markdown(part, group, records, present):
    """The study page: its title (the group's caption), where it belongs, and a table of its runs.

    records: {run id: record} of the runs that have one; present: the ids whose page exists (linked).
    """
    keys, first = varied(group.runs), group.runs[0].config()
    apart = len(keys) > MAX_COLUMNS
    head = ["run", *([f"settings (where not {group.runs[0].id}'s)"] if apart else keys), "outcome", "epochs"]
    lines = [f"# {group.caption}", "",
             f"{len(group.runs)} runs of {part.caption} (the chapter: [{Path(part.pages[0]).stem}]"
             f"(../{part.pages[0]})). The columns give the settings that differ between these runs; "
             "each run's page has all of them, and what it is for.", "",
             "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for run in group.runs:
        record = records.get(run.id)
        settings = _settings(keys, run.config(), first, apart)
        name = f"[{run.id}]({run.id}.ipynb)" if run.id in present else run.id
        lines.append("| " + " | ".join([name, *settings, outcome(record), _epochs(run, record)]) + " |")
    return "\n".join(lines) + "\n"
