"""Slurm: a command as a batch job (``sbatch``), its end awaited, its failure named by Slurm's state and log.

One poller follows every job a driver submitted (``scontrol show job -o``, one call for all of
them, twice a second), so a plan of hundreds of runs costs Slurm's controller one query per
poll, not one per run. A job's record of its own lives in the controller for ``MinJobAge``
seconds (300 by default) after it ends: a job gone from it before the poller saw its end is
reported as such, never taken for a success.

A job of ``tasks`` tasks runs its command in the batch step on the first node; a command that
starts ``mpiexec -n tasks`` there (the training notebook's engines, ``python -m lstm_xor train
--engines N``) gets its ranks from the allocation: Open MPI reads it from Slurm's environment.
"""

import re
import shlex
import subprocess
import threading

# the states of a job that has not ended (Slurm's squeue(1), "JOB STATE CODES")
ACTIVE = {"PENDING", "CONFIGURING", "RUNNING", "COMPLETING", "SUSPENDED", "REQUEUED", "REQUEUE_HOLD",
          "REQUEUE_FED", "RESIZING", "SIGNALING", "STAGE_OUT", "RESV_DEL_HOLD", "SPECIAL_EXIT"}
_FIELD = re.compile(r"(\w+)=(\S*)")


class SlurmError(RuntimeError):
    """A Slurm command failed, or a job ended other than COMPLETED with exit code 0."""


def slurm(*argv, timeout=60):
    """A Slurm command's stdout; SlurmError naming the command and its stderr when it fails or is missing."""
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    except FileNotFoundError:
        raise SlurmError(f"{argv[0]} not found: is Slurm's client installed and on PATH?") from None
    except subprocess.TimeoutExpired:
        raise SlurmError(f"{shlex.join(argv)} did not answer in {timeout} s: is slurmctld up?") from None
    if done.returncode:
        raise SlurmError(f"{shlex.join(argv)} failed (exit {done.returncode}): {done.stderr.strip()}")
    return done.stdout


def batch_script(argv, name, log, tasks=1, partition=None, time=None, comment=None):
    """The text of an sbatch script that runs ``argv`` as one job of ``tasks`` tasks, its output in ``log``."""
    options = [f"--job-name={name}", f"--output={log}", f"--ntasks={tasks}", "--cpus-per-task=1"]
    options += [f"--partition={partition}"] * bool(partition) + [f"--time={time}"] * bool(time)
    options += [f"--comment={comment}"] * bool(comment)
    lines = ["#!/bin/bash"] + [f"#SBATCH {o}" for o in options]
    return "\n".join(lines + ["exec " + shlex.join(map(str, argv)), ""])


def submit(script, cwd):
    """Submit an sbatch script (a path) from ``cwd``; the job id."""
    out = slurm("sbatch", "--parsable", f"--chdir={cwd}", str(script)).strip()
    return out.split(";")[0]  # '<id>' or '<id>;<cluster>'


def jobs():
    """{job id: its fields (JobState, ExitCode, JobName, Comment, ...)} of every job the controller holds."""
    out = slurm("scontrol", "show", "job", "--oneliner")
    found = {}
    for line in out.splitlines():
        fields = dict(_FIELD.findall(line))
        if "JobId" in fields:
            found[fields["JobId"]] = fields
    return found


def cancel(ids):
    """scancel the jobs (gone ones are no error)."""
    if ids:
        subprocess.run(["scancel", *ids], capture_output=True, timeout=60)


class Queue:
    """Waits for the jobs submitted through it; one poller thread for all of them."""

    def __init__(self, poll=0.5):
        self.poll, self.ended, self.watched = poll, {}, set()
        self.changed = threading.Condition()
        self.poller = None

    def submit(self, script, cwd):
        job = submit(script, cwd)
        with self.changed:
            self.watched.add(job)
            if self.poller is None:  # the poller clears this, under the same lock, as it ends
                self.poller = threading.Thread(target=self._follow, daemon=True)
                self.poller.start()
        return job

    def wait(self, job):
        """(state, exit code) once the job has ended: ('COMPLETED', '0:0') is the one success."""
        with self.changed:
            while job not in self.ended:
                self.changed.wait()
            return self.ended.pop(job)

    def cancel_all(self):
        """scancel every job not yet ended (an interrupted driver leaves none running)."""
        with self.changed:
            watched = sorted(self.watched)
        cancel(watched)

    def _follow(self):
        stop = threading.Event()
        while not stop.wait(self.poll):
            try:
                held = jobs()
            except SlurmError as e:  # the controller is gone: every job's end is unknown, said as such
                held, reason = {}, str(e)
            else:
                reason = "no longer held by slurmctld (ended more than MinJobAge ago, or the cluster restarted)"
            with self.changed:
                for job in list(self.watched):
                    fields = held.get(job)
                    if fields and fields.get("JobState") in ACTIVE:
                        continue
                    self.watched.discard(job)
                    self.ended[job] = ((fields["JobState"], fields.get("ExitCode", "?")) if fields
                                       else ("UNKNOWN", reason))
                self.changed.notify_all()
                if not self.watched:
                    self.poller = None
                    return
