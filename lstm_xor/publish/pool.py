"""Executing the plan's runs up to N at once, with one progress display for the whole plan.

Each run is its own papermill kernel (``publish.execute``), so a thread per running run is
enough: the threads only wait. A run that starts from another's kept checkpoint waits until
that run has finished; everything else takes a slot as soon as one is free (``publish.costs``:
plan order with one job, else longest first). Each finished run is a line with the counts
and the time left, estimated from the records' timings; while runs go on, a status line every
minute names each running run's epoch.
"""

import threading
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

from lstm_xor.publish.costs import next_ready, start_order, waits, wall_time
from lstm_xor.publish.execute import error_text
from lstm_xor.render import seconds_text


def locked(write):
    """``write`` made safe to call from several threads at once (whole lines, never interleaved)."""
    lock = threading.Lock()

    def locked_write(line):
        with lock:
            write(line)
    return locked_write


class Pool:
    """Up to ``jobs`` runs at once, each in a thread calling run_one(step) -> (status, message); ``seconds``:
    each run's expected time, those in ``estimated`` re-estimated from the runs finished here; ``progress``:
    a running step's epochs done, shown every ``every`` seconds while nothing starts or ends."""

    def __init__(self, steps, seconds, jobs, run_one, write, estimated=(), progress=None, every=60.0):
        self.sources, self.seconds, self.jobs = waits(steps), dict(seconds), jobs
        self.estimated, self.rates = set(estimated), []  # runs timed by no record; seconds per epoch seen here
        self.pending = start_order(steps, seconds, jobs)
        self.run_one, self.write = run_one, write
        self.progress, self.every = progress, every
        self.running = {}  # future: (step, when it started)
        self.results = {}

    def run(self):
        """Execute every step; {run id: (status, message)}. An interrupt cancels the runs not yet started."""
        with ThreadPoolExecutor(max_workers=self.jobs) as pool:
            try:
                while self.pending or self.running:
                    self._start_ready(pool)
                    done, _ = wait(self.running, timeout=self.every, return_when=FIRST_COMPLETED)
                    for future in done:
                        self._finish(future)
                    if not done and self.progress:
                        self._status()
            except BaseException:
                self.pending = []
                pool.shutdown(wait=False, cancel_futures=True)
                raise
        return self.results

    def _start_ready(self, pool):
        while len(self.running) < self.jobs and (step := next_ready(self.pending, self.sources, self.results)):
            self.pending.remove(step)
            self.running[pool.submit(self._guarded, step)] = (step, time.perf_counter())
            self._say("start", step, "")

    def _guarded(self, step):
        try:
            return self.run_one(step)
        except Exception as e:  # a driver error in one run is that run's failure; the others go on
            return "failed", error_text(e)

    def _finish(self, future):
        step, t0 = self.running.pop(future)
        status, message = self.results[step.id] = future.result()
        after = "" if status == "ok" else f" after {seconds_text(time.perf_counter() - t0, 1)}"
        if status == "ok":
            self._learn(step, time.perf_counter() - t0)
        self._say("ok" if status == "ok" else "FAILED", step, message + after)

    def _learn(self, step, seconds):
        """The runs timed by no record, expected to take as long per epoch as the runs finished here."""
        self.rates.append(seconds / max(step.computes, 1))
        rate = sum(self.rates) / len(self.rates)
        self.seconds.update({s.id: s.computes * rate for s in self.pending if s.id in self.estimated})

    def left(self):
        """Seconds the pending and running runs still need at these jobs, as the plan estimates them."""
        now = time.perf_counter()
        remaining = {s.id: max(self.seconds[s.id] - (now - t0), 0.0) for s, t0 in self.running.values()}
        remaining.update({s.id: self.seconds[s.id] for s in self.pending})
        return wall_time([s for s, _ in self.running.values()] + self.pending, remaining, self.jobs)

    def _counts(self):
        return (f"{len(self.results)} done, {len(self.running)} running, {len(self.pending)} waiting, "
                f"about {seconds_text(self.left(), 1)} left")

    def _say(self, label, step, message):
        self.write(f"[{label:<7}] {step.id}" + (f": {message}" if message else "") + f" ({self._counts()})")

    def _status(self):
        at = ", ".join(f"{s.id} epoch {self.progress(s)} of {s.epochs}" for s, _ in self.running.values())
        self.write(f"[running] {at} ({self._counts()})")
