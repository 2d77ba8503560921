"""How busy the shared machine is: CPU-seconds from /proc/stat, and waiting for other work to calm down."""

import os
import resource
import time

from lstm_xor.launch import cores


def cpu_busy_seconds():
    """CPU-seconds the whole machine has been busy (all cores), from /proc/stat; 0 where it cannot be read."""
    try:
        with open("/proc/stat") as f:
            ticks = [int(v) for v in f.readline().split()[1:9]]
    except (OSError, ValueError):
        return 0.0
    return (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")  # less idle and iowait


def children_cpu_seconds():
    """CPU-seconds of this process's finished (waited-for) children."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def machine_busy(seconds=1.0):
    """Share of the machine's CPU in use over ``seconds`` (this process idle meanwhile)."""
    before = cpu_busy_seconds()
    time.sleep(seconds)
    return (cpu_busy_seconds() - before) / (seconds * cores())


def wait_for_quiet(max_wait=0.0, limit=0.1, window=2.0):
    """Wait up to ``max_wait`` seconds until other work uses less than ``limit`` of the CPU; returns the last share."""
    deadline = time.monotonic() + max_wait
    busy = machine_busy(window) if max_wait > 0 else None
    while busy is not None and busy >= limit and time.monotonic() < deadline:
        busy = machine_busy(window)
    return busy


class OthersCpu:
    """Measures, around a child process, the share of the machine's CPU that other processes used."""

    def __enter__(self):
        self.machine, self.own, self.start = cpu_busy_seconds(), children_cpu_seconds(), time.monotonic()
        return self

    def __exit__(self, *exc):
        wall = time.monotonic() - self.start
        busy, own = cpu_busy_seconds() - self.machine, children_cpu_seconds() - self.own
        self.share = max(0.0, (busy - own) / (wall * cores()))
        return False
