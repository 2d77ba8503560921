"""Report 004 (RNN vs LSTM and backpropagation through time, a course project): the experiments it describes.

Reading the report (``../shared/seeds/004_*.txt``): it explains full BPTT, the
product of Jacobians that makes gradients vanish or explode, and regular and
randomized truncation (after d2l chapter 9 and Tallec and Ollivier 2017), and says
each experiment ran 100 epochs on a laptop GPU, but its results section is empty.
So there are no figures to put beside ours; these are the experiments it sets out.

* The task must need a long memory and carry a label at every step (truncation
  cuts the gradient between steps): parity strings with ``labels='delay'``, the
  label at step t the bit at step t - lag. Parity's running label, or the adder's
  carry, needs one step of memory only, so truncation could not hurt them.
* The vanishing gradient, measured: ||dL_T/dh_t|| against T - t (``gradient_
  distances``), at the initial and the trained parameters, for each cell, three
  seeds, one and two layers; strings of 200 with a lag of 10.
* Full, regular and randomized truncation on strings of 100 with a lag of 10:
  chunk lengths 2, 5, 10 and 20 (regular) and cut probabilities 0.5, 0.2 and 0.1
  (randomized, mean chunks of 2, 5 and 10 steps), for each cell, two seeds; 8
  epochs (not 100: the budget), the same number of examples for every mode.
"""

from functools import partial

from lstm_xor.nn.cells import CELLS
from lstm_xor.reports.base import Group, Part, Run

BASE = dict(task="parity", labels="delay", lag=10, min_length=100, max_length=100, n_samples=2000, hidden=32,
            layers=1, lr=0.01, batch_size=32, optimizer="adam", clip_norm=1.0, epochs=8, seed=0, engines=1)
_run = partial(Run, base=BASE)  # this report's entries name only what differs from BASE
DISTANCES = "1,2,5,10,20,50,100,150,199"
MODES = (("full", {}), *(("regular", dict(bptt_k=k)) for k in (2, 5, 10, 20)),
         *(("randomized", dict(bptt_p=p)) for p in (0.5, 0.2, 0.1)))


def mode_text(mode, extra):
    if mode == "regular":
        return f"regular truncation, chunks of {extra['bptt_k']}"
    if mode == "randomized":
        return f"randomized truncation, cut probability {extra['bptt_p']:g}"
    return "full BPTT"


def _mode_id(mode, extra):
    """full, k<chunk> or p<cut probability in percent>: a run id is a page name, so it holds no dot."""
    if mode == "regular":
        return f"k{extra['bptt_k']}"
    return f"p{round(100 * extra['bptt_p'])}" if mode == "randomized" else "full"


GRADIENTS = [_run(f"bptt-grad-{cell}-l{layers}-s{seed}", "bptt-gradients",
                  f"Gradient norms, {cell.upper()}, {layers} layer{'s' * (layers > 1)}, seed {seed}",
                  dict(cell=cell, layers=layers, seed=seed, min_length=200, max_length=200, epochs=5,
                       gradient_distances=DISTANCES),
                  note="||dL_T/dh_t|| at distances T - t up to 199 on 64 test strings of 200 bits (lag 10), at the "
                  "start and after 5 epochs of full BPTT.")
             for layers, seeds in ((1, (0, 1, 2)), (2, (0,))) for cell in CELLS for seed in seeds]

TRUNCATION = [_run(f"bptt-{_mode_id(mode, extra)}-{cell}-s{seed}", "bptt-modes",
                   f"{mode_text(mode, extra).capitalize()}, {cell.upper()}, seed {seed}",
                   dict(cell=cell, seed=seed, bptt=mode, **extra),
                   note="Strings of 100 bits, each label the bit 10 steps back; one optimiser step per chunk.")
              for cell in CELLS for mode, extra in MODES for seed in (0, 1)]

GROUPS = (
    Group("bptt-gradients", "Report 004: vanishing gradients", tuple(GRADIENTS)),
    Group("bptt-modes", "Report 004: full and truncated BPTT", tuple(TRUNCATION)),
)


def describe(config):
    """A run's data and truncation in words, for the first cell of its page."""
    c = config
    mode = mode_text(c["bptt"], dict(bptt_k=c["bptt_k"], bptt_p=c["bptt_p"]))
    return (f"{c['n_samples']:,} strings of {c['max_length']} random bits, the label at each step the bit "
            f"{c['lag']} steps back, {c['layers']} layer{'s' * (c['layers'] > 1)} of {c['hidden']}, {mode}, batches "
            f"of {c['batch_size']}, {c['epochs']} epochs")


PART = Part(
    report="004",
    caption="Report 004: truncated BPTT and vanishing gradients",
    pages=("bptt.md",),
    summaries=("summary/bptt.ipynb",),
    groups=GROUPS,
    describe=describe,
)
