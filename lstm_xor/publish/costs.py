"""What a plan costs, from the records' own timings: each run's seconds, the process-hours, the critical path
(the longest chain of shared prefixes) and the wall time at N jobs (a list-scheduling simulation).

The same rules schedule the runs for real (``publish.pool``): a run that starts from another's
kept checkpoint waits until that run has finished; everything else starts as soon as a slot is
free, in plan order with one job, else longest first.
"""

import heapq
from statistics import mean

from lstm_xor.publish.status import read_checked
from lstm_xor.render import count, seconds_text


def _recorded(book, step):
    """(notebook seconds, epochs it computed) of the step's committed record, or None."""
    path = book.record(step.id)
    if not path.exists():
        return None
    record, _ = read_checked(path)
    driver = (record or {}).get("driver") or {}
    if "notebook_seconds" not in driver:
        return None
    resumed = (driver.get("resumed_from") or {}).get("epoch", 0)
    return driver["notebook_seconds"], max(record.get("epochs_completed", 0) - resumed, 1)


def seconds_per_run(book, steps):
    """({run id: seconds}, [ids estimated]): a record's notebook_seconds, else the epochs the run computes x the
    mean seconds per epoch of its group's records (of every record where its group has none; 1 s without any)."""
    recorded = {s.id: r for s in steps if (r := _recorded(book, s))}
    rates = {}
    for s in steps:
        if s.id in recorded:
            rates.setdefault(s.run.group, []).append(recorded[s.id][0] / recorded[s.id][1])
    every = [rate for group in rates.values() for rate in group]
    fallback = mean(every) if every else 1.0
    seconds, estimated = {}, []
    for s in steps:
        if s.id in recorded:
            seconds[s.id] = recorded[s.id][0]
        else:
            seconds[s.id] = s.computes * (mean(rates[s.run.group]) if s.run.group in rates else fallback)
            estimated.append(s.id)
    return seconds, estimated


def waits(steps):
    """{run id: the id of the run among these whose kept checkpoint it starts from}."""
    ids = {s.id for s in steps}
    return {s.id: s.source[0] for s in steps if s.source and s.source[0] in ids}


def start_order(steps, seconds, jobs):
    """The order runs take free slots in: the plan's with one job (today's order), else longest first."""
    return list(steps) if jobs == 1 else sorted(steps, key=lambda s: -seconds[s.id])


def next_ready(pending, sources, finished):
    """The first pending step whose source (if any) has finished, or None."""
    return next((s for s in pending if sources.get(s.id) is None or sources[s.id] in finished), None)


def wall_time(steps, seconds, jobs):
    """Seconds to execute the steps on ``jobs`` slots, each started when a slot is free and its source is done."""
    sources, pending = waits(steps), start_order(steps, seconds, jobs)
    running, finished, now = [], set(), 0.0
    while pending or running:
        while len(running) < jobs and (step := next_ready(pending, sources, finished)):
            pending.remove(step)
            heapq.heappush(running, (now + seconds[step.id], step.id))
        now, done = heapq.heappop(running)
        finished.add(done)
    return now


def critical_path(steps, seconds):
    """(seconds, [run ids from first to last]): the longest chain of shared prefixes, in time."""
    sources, ends = waits(steps), {}
    for s in steps:  # in plan order: a source comes before the runs that start from it
        ends[s.id] = ends.get(sources.get(s.id), 0.0) + seconds[s.id]
    if not ends:
        return 0.0, []
    chain = [max(ends, key=ends.get)]
    while chain[-1] in sources:
        chain.append(sources[chain[-1]])
    return ends[chain[0]], chain[::-1]


def cost_lines(book, steps, states, jobs, force=False, engines=1, cores=None):
    """The plan's cost at ``jobs`` (None: a cluster, every ready run at once) for the runs `runs` would run and for
    the whole plan, as lines of text. With ``cores``, runs of ``engines`` processes that together exceed them are
    taken to slow down in proportion (they share the cores)."""
    seconds, estimated = seconds_per_run(book, steps)
    todo = [s for s in steps if force or states[s.id][0] not in ("done", "underway")]
    where = f"at --jobs {jobs}" if jobs else "on a cluster that starts every run once its prefix is ready"
    lines = [f"cost (from the records' notebook_seconds), {where}:"]
    shared = max(jobs * engines / cores, 1.0) if jobs and cores else 1.0
    for label, part in (("to run", todo), ("whole plan", steps)):
        longest, chain = critical_path(part, seconds)
        hours = sum(seconds[s.id] for s in part) / 3600
        wall = wall_time(part, seconds, jobs or max(len(part), 1)) * shared
        lines.append(f"  {label}: {count(len(part), 'run')}, {hours:.2f} process-hours; "
                     f"critical path {seconds_text(longest, 1)} ({' -> '.join(chain) or 'none'}); "
                     f"wall time about {seconds_text(wall, 1)}")
    if shared > 1:
        lines.append(f"  {jobs} jobs x {engines} engines on {cores} cores: wall times scaled by {shared:.2g} "
                     "(runs sharing cores go slower)")
    if estimated and len(estimated) == len(steps):
        lines.append("  no records to time the runs by: every run estimated at 1 s per epoch")
    elif estimated:
        shown = ", ".join(estimated[:5]) + (", ..." if len(estimated) > 5 else "")
        lines.append(f"  {count(len(estimated), 'run')} without a record estimated from the epochs computed x the "
                     f"mean seconds per epoch of the group's records: {shown}")
    return lines
