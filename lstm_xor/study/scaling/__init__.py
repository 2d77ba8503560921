"""The scaling study: what MPI data parallelism buys on this machine, measured, not assumed.

- strong scaling: a fixed global batch (160) and data, 1..N engines; seconds per
  optimiser step split into compute and communication (the all-reduce is timed on
  its own), extrapolated to an epoch of 80,000 strings; speed-up and efficiency;
- threads against engines: 1 engine with T BLAS threads against T engines with one each;
- data-set size: seconds per epoch and seconds of training to reach a test accuracy
  (99.9% of last bits right) for training sets of 10k to 160k strings;
- the honest comparison: the plain reference LSTM (:mod:`lstm_xor.study.reference`: one
  string and one step at a time, a matrix per gate, float64), the tuned single process
  and the tuned MPI version, in strings per second.

config.py holds the study's run and its JSON file, load.py the shared machine's CPU
probes, jobs.py what runs inside each ``mpiexec -n N`` job, measure.py the measurements
that start them, present.py the targets, tables and plots, report001.py report 001's
targets with their verdicts (measured, and modelled beyond the cores measured).
notebooks/scaling.ipynb uses the names below as ``scaling.<name>``.
"""

from lstm_xor.study.scaling.config import int_list, load_results, machine, record_section
from lstm_xor.study.scaling.measure import (
    dataset_scaling,
    honest_comparison,
    measure_steps,
    naive_throughput,
    strong_scaling,
    threads_vs_engines,
)
from lstm_xor.study.scaling.present import (
    dataset_markdown,
    honest_markdown,
    plot_dataset,
    plot_honest,
    plot_strong,
    plot_threads,
    strong_markdown,
    targets,
    targets_markdown,
    threads_markdown,
)
from lstm_xor.study.scaling.report001 import model_markdown, targets001, targets001_markdown

__all__ = ["dataset_markdown", "dataset_scaling", "honest_comparison", "honest_markdown", "int_list",
           "load_results", "machine", "measure_steps", "model_markdown", "naive_throughput", "plot_dataset",
           "plot_honest", "plot_strong", "plot_threads", "record_section", "strong_markdown", "strong_scaling",
           "targets", "targets001", "targets001_markdown", "targets_markdown", "threads_markdown",
           "threads_vs_engines"]
