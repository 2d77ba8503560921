"""The execution plan: each registry run's configuration under a profile, its fingerprint, and prefix sharing.

A run is done when its record carries the fingerprint of its parameters and of the
numerics version (``fingerprint``: a change that cannot move a number re-runs nothing).
Runs that share their first epochs (all parameters equal except epochs, lr/lr_schedule
and bookkeeping, and the same rate in every shared epoch) compute them once: the plan
orders the runs by their number of epochs, starts each from the longest prefix an
earlier run computes, and asks that earlier run to keep a checkpoint there.
"""

import hashlib
import json
from dataclasses import dataclass, field

from lstm_xor import NUMERICS_VERSION, reports
from lstm_xor.config import DEFAULTS, OWNERS, RESUMABLE, numeric_values, split
from lstm_xor.optim import lr_at, parse_schedule
from lstm_xor.publish.bookdir import BOOK, REPO
from lstm_xor.publish.status import counts_line

PROFILES = {
    "full": dict(engines=2, book=BOOK),
    "quick": dict(engines=1, book=REPO / "build" / "quick" / "book",
                  scale=dict(n_samples=400, hidden=16), max_epochs=2),
}

# Parameters two runs may differ in and still share their first epochs (besides the lr per epoch).
SHAREABLE = set(RESUMABLE)


@dataclass
class Step:
    """One registry run as the plan executes it."""

    run: reports.Run
    config: dict  # every RunConfig field, as the profile runs it (bookkeeping fields filled in at execution)
    fingerprint: str
    valid: str = ""  # empty, or why the configuration is invalid (it still goes to papermill, which reports it)
    source: tuple | None = None  # (run id, epoch): the planned checkpoint to start from
    keep: set = field(default_factory=set)  # epochs after which this run keeps a checkpoint for later runs

    @property
    def id(self):
        return self.run.id

    @property
    def epochs(self):
        return self.config["epochs"]

    @property
    def computes(self):
        return self.epochs - (self.source[1] if self.source else 0)


def profile_config(run, profile="full", engines=None):
    """The run's RunConfig fields under a profile (not validated: a bad entry fails in its notebook)."""
    spec = PROFILES[profile]
    values = {**DEFAULTS, **run.base, **run.params}
    # a scale entry touches a common parameter, or a task's own only in that task's runs
    values.update({k: v for k, v in spec.get("scale", {}).items() if not OWNERS[k] or values["task"] in OWNERS[k]})
    if "max_epochs" in spec:
        values["epochs"] = min(values["epochs"], spec["max_epochs"])
    # a run may pin its engines (batch size 1 has one engine's work); the command line overrides both
    values["engines"] = engines or {**run.base, **run.params}.get("engines") or spec["engines"]
    return values


def fingerprint(config):
    """The run's parameters that can move its numbers (the common ones and its own task's, less what is
    inert) and the numerics version, hashed: another task's parameters, always at their defaults, and a
    parameter added later, while switched off, leave it as it was."""
    text = json.dumps({"config": numeric_values(config), "numerics": NUMERICS_VERSION}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def schedule(config):
    """The run's learning-rate schedule as (epoch, lr) steps."""
    return parse_schedule(config["lr_schedule"]) if config["lr_schedule"] else [(0, config["lr"])]


def static(config):
    """What two runs must agree on to share epochs: every parameter but the shareable ones."""
    return tuple(sorted((k, v) for k, v in config.items() if k not in SHAREABLE))


def shared_epochs(a, b):
    """How many first epochs two configurations share (same parameters, same lr in each epoch)."""
    if static(a) != static(b):
        return 0
    sa, sb = schedule(a), schedule(b)
    k = 0
    while k < min(a["epochs"], b["epochs"]) and lr_at(sa, k) == lr_at(sb, k):
        k += 1
    return k


def plan(runs=None, profile="full", engines=None):
    """Steps in execution order, each with its planned checkpoint source and the epochs it keeps.

    Shorter runs go first (stable in registry order), and each run starts from the
    longest prefix any earlier run computes; a run never starts from its own last
    epoch (a run with nothing left to train has no test figures), so two identical
    runs share all but one epoch. This computes every distinct prefix once.
    """
    runs = reports.RUNS if runs is None else runs
    steps = []
    for run in runs:
        config = profile_config(run, profile, engines)
        valid = ""
        try:
            split(config)
        except (ValueError, TypeError) as e:
            valid = str(e)
        steps.append(Step(run, config, fingerprint(config), valid))
    steps.sort(key=lambda s: s.epochs if not s.valid else -1)
    for i, step in enumerate(steps):
        if step.valid:
            continue
        best = None
        for earlier in steps[:i]:
            if earlier.valid:
                continue
            k = min(shared_epochs(earlier.config, step.config), step.epochs - 1)
            if k >= 1 and (best is None or k > best[1]):
                best = (earlier, k)
        if best:
            step.source = (best[0].id, best[1])
            best[0].keep.add(best[1])
    return steps


def plan_totals(steps):
    """(epochs without prefix sharing, epochs with it) over the valid steps."""
    valid = [s for s in steps if not s.valid]
    return sum(s.epochs for s in valid), sum(s.computes for s in valid)


def format_plan(steps, profile, states, cost=()):
    """The plan as a table, each run with its state in the book ({run id: (state, why)}, ``publish.status``),
    what it costs (lines of ``publish.costs``) and what `make book` would run."""
    lines = [f"plan for the {profile} profile: {len(steps)} runs, in execution order", "",
             f"{'#':>3}  {'run':<24}{'epochs':>7}  {'starts from':<22}{'computes':>9}  {'keeps':<7}  in the book"]
    for i, s in enumerate(steps, 1):
        src = f"{s.source[0]} @ {s.source[1]}" if s.source else ("INVALID: " + s.valid if s.valid else "-")
        keep = ",".join(map(str, sorted(s.keep)))
        state, why = states[s.id]
        lines.append(f"{i:>3}  {s.id:<24}{s.epochs:>7}  {src:<22}{s.computes:>9}  {keep:<7}  "
                     + (f"{state}: {why}" if state == "stale" else state))
    alone, shared = plan_totals(steps)
    lines += ["", f"total epochs: {alone} without prefix sharing, {shared} with it "
                  f"({alone - shared} computed once instead of again)", *cost, counts_line(states)]
    return "\n".join(lines)
