"""Figures over the seeds of a configuration, and choices made on validation figures only.

Generic, below the reports (as lstm_xor.render): a report's tables pass in the values of
its runs, ``None`` for a run registered but not executed (or that has no such figure), and
the number of runs planned, so that a table written before its runs are trained says how
many are done instead of failing.
"""

import numpy as np

from lstm_xor.render import number_text

ALL_VALUES = 3  # with this many values or fewer a table lists them all: a sd of two or three says little


def done_text(done, planned):
    """'n = 3', or 'n = 1 of 3' while runs are missing."""
    return f"n = {done}" if done == planned else f"n = {done} of {planned}"


def spread_text(values, planned=None, digits=3):
    """Every value (n <= ALL_VALUES) or 'mean ± sd' (sample sd), with n: None values are runs not done (yet)."""
    have = [float(v) for v in values if v is not None]
    planned = len(values) if planned is None else planned
    if not have:
        return f"not run yet ({done_text(0, planned)})"
    if len(have) <= ALL_VALUES:
        shown = ", ".join(f"{v:.{digits}f}" for v in have)
    else:
        shown = f"{np.mean(have):.{digits}f} ± {np.std(have, ddof=1):.{digits}f}"
    return f"{shown} ({done_text(len(have), planned)})"


def counts_text(values, planned=None):
    """Counts or steps (whole numbers, None where never reached): every value where n <= ALL_VALUES, else the
    median (min-max), with how many never reached it."""
    planned = len(values) if planned is None else planned
    if not values:
        return f"not run yet ({done_text(0, planned)})"
    have = [v for v in values if v is not None]
    never = len(values) - len(have)
    if len(values) <= ALL_VALUES:
        shown = ", ".join("never" if v is None else number_text(v) for v in values)
    elif have:
        shown = f"median {number_text(float(np.median(have)))} ({number_text(min(have))}–{number_text(max(have))})" \
            + (f", {never} never" if never else "")
    else:
        shown = "never"
    return f"{shown} ({done_text(len(values), planned)})"


def solved_text(outcomes, planned=None):
    """A binary outcome over seeds: 'solved k of n' (None: a run not done yet, left out of n)."""
    have = [bool(v) for v in outcomes if v is not None]
    planned = len(outcomes) if planned is None else planned
    if not have:
        return f"not run yet ({done_text(0, planned)})"
    text = f"solved {sum(have)} of {len(have)}"
    return text if len(have) == planned else f"{text} ({done_text(len(have), planned)})"


def best_and_final(values, higher=True, drop=0.1):
    """A metric's history (one value per epoch): its best and its final value, with their epochs (from 1), and
    whether it collapsed (the final worse than the best by more than ``drop``, in the metric's units).

    -> dict(best, best_epoch, final, final_epoch, collapsed); None for an empty history.
    """
    v = np.asarray([np.nan if x is None else x for x in values], dtype=float)
    if not v.size or np.isnan(v).all():
        return None
    best = int(np.nanargmax(v) if higher else np.nanargmin(v))
    final = len(v) - 1
    loss = (v[best] - v[final]) if higher else (v[final] - v[best])
    return dict(best=float(v[best]), best_epoch=best + 1, final=float(v[final]), final_epoch=final + 1,
                collapsed=bool(np.isnan(v[final]) or loss > drop))


def best_final_text(values, higher=True, drop=0.1, digits=3):
    """'best 1.000 (epoch 3), final 0.512 (epoch 8): collapsed', or one figure when the best is the final."""
    bf = best_and_final(values, higher, drop)
    if bf is None:
        return "–"
    if bf["best_epoch"] == bf["final_epoch"] or bf["best"] == bf["final"]:
        return f"{bf['final']:.{digits}f} (final, epoch {bf['final_epoch']})"
    text = f"best {bf['best']:.{digits}f} (epoch {bf['best_epoch']}), final {bf['final']:.{digits}f} " \
           f"(epoch {bf['final_epoch']})"
    return text + (": **collapsed**" if bf["collapsed"] else "")


def collapses(named_histories, higher=True, drop=0.1):
    """[(name, best_and_final)] of the histories ({name: values}) that collapsed, in their order."""
    out = []
    for name, values in named_histories.items():
        bf = best_and_final(values, higher, drop)
        if bf and bf["collapsed"]:
            out.append((name, bf))
    return out


# -- choices made on validation figures only ----------------------------------------------------------

def validation_view(record):
    """What a choice may see of a run record: its validation figures and their history, nothing of the test set
    (copies: the choice cannot reach the record through them)."""
    valid = dict(record.get("valid") or {})
    history = {k: list(v) for k, v in record["history"].items() if k.startswith("valid_")}
    return {"valid": valid, "history": history}


def select_on_validation(candidates, metric, higher=True):
    """The candidate whose runs' mean validation ``metric`` is best, from validation views only.

    candidates: {choice: [validation_view(record), ...]} (a choice's seeds). A choice without any finished run is
    left out; ValueError when none has one, or when a view holds anything but validation figures.
    -> (choice, {choice: mean validation metric}).
    """
    means = {}
    for choice, views in candidates.items():
        for view in views:
            if set(view) - {"valid", "history"} or any(not k.startswith("valid_") for k in view.get("history", {})):
                raise ValueError(f"candidate {choice!r}: expected validation views (validation_view), got the "
                                 f"keys {sorted(view)}")
        values = [view["valid"][metric] for view in views if metric in view["valid"]]
        if values:
            means[choice] = float(np.mean(values))
    if not means:
        raise ValueError(f"no candidate has a validation {metric!r}: nothing to choose from")
    pick = (max if higher else min)(means, key=means.get)
    return pick, means
