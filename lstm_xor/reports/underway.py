"""Runs registered for a study still being executed, over more than one session.

A study of many runs (issues 21 and 22: seeds, slips, lengths) is registered before its
runs are all trained; its runs are executed by the driver across sessions (``python -m
lstm_xor runs --underway``, which resumes whatever an ended session left). Until then
``make book`` leaves them out, so that on a fresh clone it only builds: the default plan,
``verify``'s selection and the test that the committed book is done skip the runs listed
here. The book's tables show such a study as "n done of N planned". A study leaves this
list when its runs are all in the book; a test fails on a pattern that matches no run, or
only runs that are all done.
"""

from fnmatch import fnmatchcase

UNDERWAY = ()  # shell patterns of run ids


def underway(run_id):
    """Is this run part of a study still being executed?"""
    return any(fnmatchcase(run_id, pattern) for pattern in UNDERWAY)
