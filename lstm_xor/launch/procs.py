"""Process clean-up: nothing a launcher started is left running after the run ends, fails or hangs.

psutil is imported lazily (it guards against a pid reused by another process), so
the package trains in one process with NumPy alone.
"""

import contextlib
import os
import signal
import subprocess
import threading
import time


def descendants(pid):
    """The process ``pid`` and all its children, as psutil processes (empty when it is gone)."""
    import psutil
    try:
        root = psutil.Process(pid)
        return [root] + root.children(recursive=True)
    except psutil.Error:
        return []


def running(p):
    """Is this psutil process alive (a zombie is not)?"""
    import psutil
    try:
        return p.is_running() and p.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def reap(processes, grace=3.0):
    """SIGTERM then SIGKILL whatever of ``processes`` still runs."""
    import psutil
    alive = [p for p in processes if running(p)]
    for p in alive:
        with contextlib.suppress(psutil.Error):
            p.terminate()
    _, alive = psutil.wait_procs(alive, timeout=grace)
    for p in alive:
        with contextlib.suppress(psutil.Error):
            p.kill()
    psutil.wait_procs(alive, timeout=grace)


def stop_group(proc, grace=3.0):
    """End a child started with ``start_new_session=True`` and its whole process group: SIGTERM, then
    SIGKILL after ``grace`` seconds; every descendant that left the group is reaped as well."""
    stragglers = descendants(proc.pid)
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=grace)
            break
        except subprocess.TimeoutExpired:
            continue
    reap(stragglers, grace)


def end_with(owner, controller=None, poll=1.0):
    """A daemon thread that ends this process (and stops ``controller``) once ``owner`` is gone or a zombie."""
    import psutil

    def watch():
        try:
            process = psutil.Process(owner)
        except psutil.Error:
            process = None
        while process is not None and running(process):
            time.sleep(poll)
        if controller is not None:
            with contextlib.suppress(OSError):
                os.kill(controller, signal.SIGTERM)
        os._exit(1)  # Open MPI then ends the other ranks

    threading.Thread(target=watch, daemon=True, name="lstm_xor-owner-watch").start()
