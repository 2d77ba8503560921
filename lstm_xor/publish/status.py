"""What a book folder holds of each planned run: done, stale (and why) or missing; what `make book` would run.

A run is done when its notebook exists and its record carries the driver's stamp with
the step's fingerprint. It is stale when something of it is there but not that: a record
that cannot be read (named, with the parser's words), one without the driver's stamp (an
interrupted run), one of another numerics version or of other parameters, or a record
whose notebook is missing. It is missing when neither file is there.
"""

import json

from lstm_xor import NUMERICS_VERSION
from lstm_xor.publish.bookdir import shown


def read_checked(path):
    """(the record, None), or (None, why it cannot be read: 'record book/runs/x.json is corrupt (...)')."""
    try:
        with open(path) as f:
            return json.load(f), None
    except (OSError, ValueError) as e:
        return None, f"record {shown(path)} is corrupt ({e})"


def _stamp_problem(driver, step):
    if not driver:
        return "record has no driver stamp (an interrupted run)"
    if driver.get("numerics") != NUMERICS_VERSION:
        return f"numerics version {driver.get('numerics')} (now {NUMERICS_VERSION})"
    if driver.get("fingerprint") != step.fingerprint:
        return f"parameters changed (fingerprint {driver.get('fingerprint')}, now {step.fingerprint})"
    return None


def run_state(book, step):
    """('done', ''), ('stale', why) or ('missing', 'never run') for one step of the plan."""
    record, notebook = book.record(step.id), book.notebook(step.id)
    if not record.exists():
        return ("stale", "record missing") if notebook.exists() else ("missing", "never run")
    content, problem = read_checked(record)
    problem = problem or _stamp_problem(content.get("driver"), step)
    if problem is None and not notebook.exists():
        problem = "notebook missing"
    return ("stale", problem) if problem else ("done", "")


def counts_line(states):
    """'`make book` would run 4 of these 5 runs: 1 missing, 3 stale; 1 done' for {run id: (state, why)}."""
    n = {k: sum(1 for s, _ in states.values() if s == k) for k in ("missing", "stale", "done", "underway")}
    return (f"`make book` would run {n['missing'] + n['stale']} of these {len(states)} runs: "
            f"{n['missing']} missing, {n['stale']} stale; {n['done']} done"
            + (f"; {n['underway']} of studies under way, left out (runs --underway)" if n["underway"] else ""))
