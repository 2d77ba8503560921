"""`runs --cluster slurm`: each run's page executed as a Slurm job, the rest exactly as locally.

The driver keeps every rule of a local plan (``publish.pool``): a run is submitted when the run
whose kept checkpoint it starts from has finished, and it submits as many runs at once as
``--jobs`` allows (by default every run that is ready: Slurm queues them). The page is made by
the driver, executed in the job by ``python -m lstm_xor.publish.job`` (papermill, as locally),
and moved into place with its record by the driver (``publish.execute``), so records and pages
are those of a local run. A run of ``engines=N`` is one job of N tasks: the notebook's kernel
starts its N engines with mpiexec inside the allocation. A job that ends other than COMPLETED
with exit code 0 is that run's failure, named by its Slurm state, its exit code and its log;
the driver puts its partial output aside, as for a local failure.

The book's folder and this Python (``sys.executable``) must be reachable from the nodes at the
same paths (a shared filesystem), as on any cluster where a login node submits.
ipyparallel's own Slurm engine launcher was not chosen: it puts the engines in a job and the
controller and kernel on the login node, which must then be reachable from the nodes and stay up
for the whole plan; a job that holds the whole run needs neither.
"""

import sys

from lstm_xor.launch.slurm import Queue, SlurmError, batch_script, cancel, jobs
from lstm_xor.publish.bookdir import write_notebook

CLUSTERS = ("slurm",)
JOB_PREFIX = "lstm_xor:"  # a job's name: the prefix, then the run id; its comment: the book's folder


class SlurmRuns:
    """Executes run pages as Slurm jobs (an executor of ``publish.execute.execute_run``)."""

    def __init__(self, book, partition=None, time=None, out=print):
        self.book, self.partition, self.time, self.out = book, partition, time, out
        self.queue = Queue()

    def cancel_leftovers(self):
        """Cancel this book's jobs still queued or running from an earlier driver that was killed: they would
        write the same run's files as the runs about to be submitted."""
        mine = {job: f for job, f in jobs().items() if f.get("Comment") == str(self.book.root.resolve())
                and f.get("JobName", "").startswith(JOB_PREFIX) and f.get("JobState") in ("PENDING", "RUNNING")}
        if mine:
            self.out(f"[note   ] cancelling {len(mine)} job(s) of an earlier driver on this book: "
                     + ", ".join(f"{j} ({f['JobName'][len(JOB_PREFIX):]})" for j, f in sorted(mine.items())))
            cancel(sorted(mine))

    def __call__(self, notebook, output, cwd, log, timeout, step):
        """Execute the page as one job and wait for it; SlurmError naming the job's state and log if it failed."""
        page = self.book.tmp / f"{step.id}.input.ipynb"
        write_notebook(page, notebook)
        job_log = self.book.cache / "logs" / f"{step.id}.slurm.log"
        job_log.parent.mkdir(parents=True, exist_ok=True)  # slurmstepd fails the job if it cannot open the log
        job_log.unlink(missing_ok=True)
        argv = [sys.executable, "-m", "lstm_xor.publish.job", page, output, "--cwd", cwd, "--log", log]
        argv += ["--timeout", timeout] if timeout else []
        script = self.book.tmp / f"{step.id}.sbatch"
        script.write_text(batch_script(argv, JOB_PREFIX + step.id, job_log, step.config["engines"],
                                       self.partition, self.time, str(self.book.root.resolve())))
        try:
            job = self.queue.submit(script, cwd)
            state, code = self.queue.wait(job)
        finally:
            page.unlink(missing_ok=True)
            script.unlink(missing_ok=True)
        if (state, code) != ("COMPLETED", "0:0"):
            last = job_log.read_text(errors="replace").strip().splitlines()[-1:] if job_log.exists() else []
            raise SlurmError(f"Slurm job {job} ended {state} (exit code {code}); its log: {job_log}"
                             + (f": {last[0]}" if last else ""))

    def close(self):
        """Cancel the jobs still running (the driver was interrupted)."""
        self.queue.cancel_all()
