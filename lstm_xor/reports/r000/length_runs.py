"""Where fixed-length parity with a label only at the end stops being learnable: runs until solved or a cap.

OpenAI's question asked with a number. The ``final-*`` runs (causes_runs) say only that fixed
lengths 10 to 50 stay at chance for 4 epochs of 100,000 strings at our defaults. These runs ask
at which length it starts: a label only at the end (``labels='final'``), fixed lengths LENGTHS,
our defaults (Adam at lr 0.01, 32 strings a step, the mean loss, the gradient norm clipped at
1) and a small learning rate (0.001), beside lengths drawn uniformly from 1..n for the same n,
3 seeds each; a run stops once every test string is right (``stop_when``) or at the cap of
CAP strings.

Steps to solve at a finer resolution than a 100,000-string epoch, without touching the training
loop: a data set of N_SAMPLES strings (8,000 for training, 250 steps of 32 an epoch, and 2,000
for the test) and EPOCHS epochs, so the test set is read every 8,000 strings. The cost of that
choice: every epoch trains on the same 8,000 strings (reshuffled), so a run that "solves" has
learnt from 8,000 distinct strings, and at the longest lengths memorising them is possible (the
held-out test strings are what say solved).

Cost, by process-seconds (``estimate``): 77 s per 100,000 training strings at a mean length of
30 (the ``final-len*`` records' epochs on a loaded machine; two runs tried here outside the
driver, 200,000 strings at length 6 and at 8, took 30 s each), scaled by the mean length, plus
the test evaluations (2,000 strings forward each epoch, about a third of a training string's
cost) and a notebook's overhead (the records: about 17 s between a notebook's and its
training's wall time). Every run trained to the cap: 1.28 process-hours (the tests check that
it stays under 1.3).

What was cut to fit 1.3 process-hours: fixed length 50 (its ``final-len50-s*`` records already
stay at chance for 320,000 training strings, more than the cap, at lr 0.01), the small rate at
lengths 12, 16, 20 and 50 (its critical length is known only when it falls at or below 10), and
the small rate for random lengths. Length 5 was added to the lengths asked about (fixed lengths
only): seed 0 at each rate, tried once outside the driver with these settings, stayed at chance
at lengths 6 and 8.
"""

from lstm_xor.reports.base import Group, Run, seeded
from lstm_xor.reports.r000.causes_runs import SOLVED, lr_tag

LENGTHS = (2, 3, 4, 5, 6, 8, 10, 12, 16, 20, 50)  # the lengths asked about, and 5; which are run: SERIES
SEEDS = 3
DEFAULT_LR, SMALL_LR = 0.01, 0.001
N_SAMPLES, TEST_FRACTION, BATCH = 10_000, 0.2, 32  # RunConfig's test_fraction and batch_size defaults
TRAIN_STRINGS = round(N_SAMPLES * (1 - TEST_FRACTION))  # 8,000 a epoch
EPOCHS = 25
CAP = EPOCHS * TRAIN_STRINGS  # 200,000 training strings at most
CRIT = dict(labels="final", n_samples=N_SAMPLES, epochs=EPOCHS, stop_when=SOLVED)

# The series: (kind, lr) -> the lengths n run. kind "fixed": every string n bits; "random": lengths uniform in 1..n.
SERIES = {
    ("fixed", DEFAULT_LR): LENGTHS[:-1],
    ("fixed", SMALL_LR): (2, 3, 4, 5, 6, 8, 10),
    ("random", DEFAULT_LR): tuple(n for n in LENGTHS if n != 5),
}
LONGER = {("fixed", DEFAULT_LR, 50): "final-len50"}  # lengths not run here whose final-* records stay at chance

# The cost model (module docstring): process-seconds.
SECONDS_PER_100K_AT_30 = 77.0
TEST_SHARE = 1 / 3  # a test string's cost against a training string's (forward only)
NOTEBOOK_SECONDS = 17.0


def _prefix(kind):
    return "len" if kind == "fixed" else "var"


def run_id(kind, lr, n, seed):
    """'crit-len6-1e-2-s0' (fixed length 6) or 'crit-var6-1e-2-s0' (lengths 1..6)."""
    return f"crit-{_prefix(kind)}{n}-{lr_tag(lr)}-s{seed}"


def group_name(kind, lr):
    return f"crit-{kind}-{lr_tag(lr)}"


def lengths_params(kind, n):
    return dict(min_length=n if kind == "fixed" else 1, max_length=n)


def _entry(kind, lr, n):
    data = f"fixed length {n}" if kind == "fixed" else f"lengths 1-{n}"
    return Run(f"crit-{_prefix(kind)}{n}-{lr_tag(lr)}", group_name(kind, lr), f"critical length, {data}, lr {lr:g}",
               dict(CRIT, **lengths_params(kind, n), lr=lr), None,
               f"A label only at the end, {data}, lr {lr:g}; our defaults otherwise; {N_SAMPLES:,} strings "
               f"({TRAIN_STRINGS:,} to train on), until every test string is right or {CAP:,} training strings.")


def series_runs(kind, lr):
    """The runs of one series, length by length, seeds 0-2 each."""
    return tuple(run for n in SERIES[kind, lr] for run in seeded(_entry(kind, lr, n), SEEDS))


def groups():
    """The critical-length groups, in book order: fixed lengths at both rates, then random lengths."""
    return tuple(Group(group_name(kind, lr), f"Report 000: critical length, {kind} lengths, lr {lr:g}",
                       series_runs(kind, lr)) for kind, lr in SERIES)


def estimate(run):
    """Process-seconds a run costs at most (trained to the cap): the module docstring's model."""
    c = run.config()
    mean_length = (c["min_length"] + c["max_length"]) / 2
    per_string = SECONDS_PER_100K_AT_30 / 100_000 * mean_length / 30
    tests = c["epochs"] * (c["n_samples"] - round(c["n_samples"] * (1 - c["test_fraction"])))
    return per_string * (CAP + TEST_SHARE * tests) + NOTEBOOK_SECONDS


def cost(runs, solved_epochs=None):
    """Process-hours of the runs: every run to the cap, or, with ``solved_epochs`` ({run id: epoch}), those runs
    stopped after that epoch (training and tests scaled by epochs run, the notebook's overhead whole)."""
    total = 0.0
    for run in runs:
        whole = estimate(run) - NOTEBOOK_SECONDS
        share = (solved_epochs or {}).get(run.id, EPOCHS) / EPOCHS
        total += whole * share + NOTEBOOK_SECONDS
    return total / 3600
