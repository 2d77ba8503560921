"""Report 000's failures put to experiment: its mechanics one at a time, and a failure-rate map.

Every replay of the report's 34 runs (lstm_xor.reports.r000.runs) learns, the ones
the report saw fail included. These groups ask why, with 5 seeds where the replays
had one:

* ``causes-*``: two of the report's failing configurations (fixed length at lr
  0.0008, its run 4, never 2% below chance and above it after 12 epochs; variable length at lr 0.0004, its
  run 3, whose loss jumped) with each of the report's mechanics switched on alone,
  then all together (MECHANICS). A run stops once every test string is right
  (``stop_when``), after two epochs of rising loss (``stop_patience``), or at the
  report's epochs.
* ``map-*``: the task itself, learning rate 1e-4 .. 1e-2 by 5 seeds, fixed and
  variable length, with the report's settings (5 rates, at most 3 epochs) and with
  our defaults (3 rates, 1 epoch).
* ``final-*``: OpenAI's question, a label only at the end: fixed lengths 10 .. 50,
  lengths 1 .. 50, and fixed length 50 with a curriculum, 3 seeds each, at most 4 epochs.

The report's settings come in as arguments (``groups``): its module imports this one.

What was cut to fit the budget (3 hours of this machine, two runs at a time): the
mechanics on the report's other failing runs, seeds 3 and 4 of the rows with
float64 (``SLOW``: they take three times as long), more epochs and rates for the map,
and more seeds for the final label.
"""

from lstm_xor.render import count
from lstm_xor.reports.base import Group, Run

SEEDS = range(5)
# float64 runs take three times as long as float32 ones here: the rows with float64 have seeds 0-2 only.
SLOW = {"float64": range(3), "all": range(3)}
SOLVED = "sequence_accuracy:1"
STOPS = dict(stop_when=SOLVED, stop_patience=2)

# Each mechanic as run parameters on top of the report's settings. "step" needs lengths that differ
# to differ from one batch of 160 (at fixed length it is the same computation), so fixed length skips it.
MECHANICS = {
    "none": ({}, "the replays' settings (the report's, as we read them)"),
    "exclusive": (dict(labels="exclusive"), "labels as the report's text defines them: the parity of the bits "
                                            "before each step"),
    "step": (dict(shards=5), "the report's step: 5 batches of 32, each of one length, their gradients summed"),
    "order": (dict(batching="report", shards=5),
              "the report's step and data order: sorted by length, each rank a contiguous fifth, no reshuffle"),
    "float64": (dict(dtype="float64"), "NumPy's default precision"),
    "nobias": (dict(adam_variant="no_bias_correction"), "Adam without bias correction"),
    "epsin": (dict(adam_variant="eps_inside_sqrt"), "Adam with eps inside the square root"),
    "reset": (dict(adam_variant="epoch_reset"), "Adam's step counter reset every epoch"),
    "all": (dict(labels="exclusive", batching="report", shards=5, dtype="float64",
                 adam_variant="no_bias_correction+eps_inside_sqrt+epoch_reset"), "every mechanic above at once"),
}
CAUSES = {  # data: (the report's run, its lr, its epochs)
    "fixed": ("fixed-04", 0.0008, 12),
    "variable": ("variable-03", 0.0004, 13),
}


def lr_tag(lr):
    """0.0003 -> '3e-4', for run ids (letters, digits and dashes)."""
    return f"{lr:.0e}".replace("e-0", "e-")


def _cause_runs(report, lengths, data):
    report_run, lr, epochs = CAUSES[data]
    return tuple(
        Run(f"cause-{data}-{name}-s{seed}", f"causes-{data}", f"{data}, {name}, seed {seed}",
            dict(lengths, lr=lr, epochs=epochs, seed=seed, **STOPS, **params), None,
            f"Report run {report_run}'s configuration with {text}; seed {seed}.", base=dict(report))
        for name, (params, text) in MECHANICS.items() if not (data == "fixed" and name == "step")
        for seed in SLOW.get(name, SEEDS))


MAP_SETTINGS = {  # name: (learning rates, epochs at most, in words); the report's settings, or RunConfig's defaults
    "report": ((0.0001, 0.0003, 0.001, 0.003, 0.01), 3,
               "the report's settings (Adam, 160 strings a step in one-length batches, summed loss, no clipping)"),
    "ours": ((0.0001, 0.001, 0.01), 1,
             "our defaults (Adam, 32 mixed-length strings a step, mean loss, gradient norm clipped at 1)"),
}


def _map_runs(report, lengths, settings, data):
    lrs, epochs, text = MAP_SETTINGS[settings]
    base = report if settings == "report" else {}
    return tuple(
        Run(f"map-{settings}-{data}-{lr_tag(lr)}-s{seed}", f"map-{settings}-{data}",
            f"{settings} settings, {data}, lr {lr:g}, seed {seed}",
            dict(lengths, lr=lr, epochs=epochs, seed=seed, stop_when=SOLVED), None,
            f"The failure-rate map: {text}, {data} length, lr {lr:g}, seed {seed}; at most "
            f"{count(epochs, 'epoch')}.",
            base=dict(base))
        for lr in lrs for seed in SEEDS)


FINAL_LENGTHS = (10, 20, 30, 40, 50)
FINAL_SEEDS = range(3)
FINAL = dict(labels="final", epochs=4, stop_when=SOLVED)


def _final_runs(fixed, variable):
    runs = [Run(f"final-len{n}-s{seed}", "final-label", f"final label, length {n}, seed {seed}",
                dict(FINAL, min_length=n, max_length=n, seed=seed), None,
                f"A label only at the end, every string {n} bits long; our defaults otherwise.")
            for n in FINAL_LENGTHS for seed in FINAL_SEEDS]
    runs += [Run(f"final-var-s{seed}", "final-label", f"final label, lengths 1-50, seed {seed}",
                 dict(FINAL, **variable, seed=seed), None,
                 "A label only at the end, lengths uniform in 1..50; our defaults otherwise.")
             for seed in FINAL_SEEDS]
    runs += [Run(f"final-cur-s{seed}", "final-label", f"final label, length 50, curriculum, seed {seed}",
                 dict(FINAL, **fixed, curriculum_epochs=1.0, seed=seed), None,
                 "A label only at the end, length 50, the first epoch's strings cut to a random length up to a "
                 "limit growing from 1 to 50; our defaults otherwise.")
             for seed in FINAL_SEEDS]
    return tuple(runs)


def groups(report, fixed, variable):
    """The experiments' groups, in book order, given the report's settings and its two kinds of data."""
    lengths = {"fixed": fixed, "variable": variable}
    return (
        *(Group(f"causes-{d}", f"Report 000 causes: {d} length, lr {CAUSES[d][1]:g}",
                _cause_runs(report, lengths[d], d)) for d in CAUSES),
        *(Group(f"map-{s}-{d}", f"Report 000 map: {s} settings, {d} length", _map_runs(report, lengths[d], s, d))
          for s in MAP_SETTINGS for d in lengths),
        Group("final-label", "Report 000: a label only at the end", _final_runs(fixed, variable)),
    )
