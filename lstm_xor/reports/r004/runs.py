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
  epochs (not 100: the budget), the same number of examples for every mode; three
  seeds.
* The controls the comparison needs: the same random cuts without the 1/(1 - p)
  factor (``bptt_compensate=False``: chunk lengths that vary alike, a biased
  gradient), and full and randomized runs without gradient clipping (training clips
  the compensated gradient at norm 1, so its expected step is not the unbiased one).
* The gradient norms again with a float64 backward pass (``gradient_float64``): in
  float32 the norms far back reach subnormals (below 1e-38).
* RNN against LSTM where they differ: full BPTT on strings of 200 with lags of 10,
  30, 60 and 100, three cells, three seeds, the state gradient's norm at the lag
  measured (float64); and the exploding case beside the vanishing one, an RNN whose
  recurrent weights start at spectral radius 1.5 (``init_radius``).
* The delay task needs a window of ``lag`` bits in the state, so a long lag asks for capacity as well as reach;
  at a lag of 30 it was the RNN that learned. The latch isolates reach: ``labels='recall'``, strings of lag + 1
  bits, one label at the end, the first bit (Hochreiter and Schmidhuber 1997's experiments hold one bit across
  the lag), lags 10, 30, 60 and 100, three cells, three seeds, 30 epochs (the delay sweep's 12 left it climbing).
"""

from functools import partial

from lstm_xor.nn.cells import CELLS
from lstm_xor.reports.base import SEEDS3, Group, Part, Run, seeded

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
             for layers in (1, 2) for cell in CELLS for seed in SEEDS3]

TRUNCATION = [run for cell in CELLS for mode, extra in MODES
              for run in seeded(_run(f"bptt-{_mode_id(mode, extra)}-{cell}", "bptt-modes",
                                     f"{mode_text(mode, extra).capitalize()}, {cell.upper()}",
                                     dict(cell=cell, bptt=mode, **extra),
                                     note="Strings of 100 bits, each label the bit 10 steps back; one optimiser "
                                     "step per chunk."), SEEDS3)]

CONTROL_P = (0.5, 0.2, 0.1)
CONTROLS = [
    *[run for cell in CELLS for p in CONTROL_P
      for run in seeded(_run(f"bptt-p{round(100 * p)}-nocomp-{cell}", "bptt-controls",
                             f"Randomized cuts without the 1/(1 - p) factor, p {p:g}, {cell.upper()}",
                             dict(cell=cell, bptt="randomized", bptt_p=p, bptt_compensate=False),
                             note="The control: the same random chunk lengths as randomized truncation, the carried "
                             "gradient not scaled (a biased gradient)."), SEEDS3)],
    *[run for cell in CELLS for mode, extra in (("full", {}), ("randomized", dict(bptt_p=0.2)),
                                                ("randomized", dict(bptt_p=0.1)))
      for run in seeded(_run(f"bptt-{_mode_id(mode, extra)}-noclip-{cell}", "bptt-controls",
                             f"{mode_text(mode, extra).capitalize()}, no gradient clipping, {cell.upper()}",
                             dict(cell=cell, bptt=mode, clip_norm=0.0, **extra),
                             note="As the truncation study, without clipping the gradient (clip_norm 0): the "
                             "compensated gradient reaches the update unclipped."), SEEDS3)],
]

GRADIENTS64 = [run for layers in (1, 2) for cell in CELLS
               for run in seeded(_run(f"bptt-grad64-{cell}-l{layers}", "bptt-gradients",
                                      f"Gradient norms in float64, {cell.upper()}, {layers} layer{'s' * (layers > 1)}",
                                      dict(cell=cell, layers=layers, min_length=200, max_length=200, epochs=5,
                                           gradient_distances=DISTANCES, gradient_float64=True),
                                      note="As the float32 gradient runs, the norms' backward pass in float64."),
                                 SEEDS3)]

LAGS = (10, 30, 60, 100)
LAG_DISTANCES = "1,10,30,60,100,150,199"
LAG_RUNS = [run for lag in LAGS for cell in CELLS
            for run in seeded(_run(f"bptt-lag{lag}-{cell}", "bptt-lags", f"Lag {lag}, full BPTT, {cell.upper()}",
                                   dict(cell=cell, lag=lag, min_length=200, max_length=200, epochs=12,
                                        gradient_distances=LAG_DISTANCES, gradient_float64=True),
                                   note=f"Strings of 200 bits, each label the bit {lag} steps back, full BPTT; the "
                                   "state gradient's norm at distances up to 199 (float64), at the start and the "
                                   "end."), SEEDS3)]

RADII = (1.5,)
EXPLODING = [run for radius in RADII
             for run in seeded(_run(f"bptt-radius{round(100 * radius)}-rnn", "bptt-lags",
                                    f"RNN started at spectral radius {radius:g}, lag 10",
                                    dict(cell="rnn", lag=10, min_length=200, max_length=200, epochs=12,
                                         init_radius=radius, gradient_distances=LAG_DISTANCES,
                                         gradient_float64=True),
                                    note="The exploding case: the recurrent weights scaled at the start to spectral "
                                    f"radius {radius:g} (orthogonal: 1), full BPTT, gradient norms in float64."),
                               SEEDS3)]

RECALL_EPOCHS = 30
RECALL_RUNS = [run for lag in LAGS for cell in CELLS
               for run in seeded(_run(f"bptt-recall{lag}-{cell}", "bptt-recall", f"Recall at lag {lag}, {cell.upper()}",
                                      dict(cell=cell, labels="recall", lag=lag, min_length=lag + 1,
                                           max_length=lag + 1, epochs=RECALL_EPOCHS, gradient_float64=True,
                                           gradient_distances=",".join(str(d) for d in (1, *LAGS) if d <= lag)),
                                      note=f"Strings of {lag + 1} bits, one label at the end: the first bit, {lag} "
                                      "steps back; full BPTT; the state gradient's norm at the lag (float64), at "
                                      "the start and the end."), SEEDS3)]

GROUPS = (
    Group("bptt-gradients", "Report 004: vanishing gradients", tuple(GRADIENTS + GRADIENTS64)),
    Group("bptt-modes", "Report 004: full and truncated BPTT", tuple(TRUNCATION)),
    Group("bptt-controls", "Report 004: the controls (no compensation, no clipping)", tuple(CONTROLS)),
    Group("bptt-lags", "Report 004: the lag, RNN against LSTM, and the exploding case", tuple(LAG_RUNS + EXPLODING)),
    Group("bptt-recall", "Report 004: one bit held across the lag, RNN against LSTM", tuple(RECALL_RUNS)),
)


def describe(config):
    """A run's data and truncation in words, for the first cell of its page."""
    c = config
    mode = mode_text(c["bptt"], dict(bptt_k=c["bptt_k"], bptt_p=c["bptt_p"]))
    extras = [text for on, text in ((not c["bptt_compensate"], "without the 1/(1 - p) factor"),
                                    (not c["clip_norm"], "no gradient clipping"),
                                    (c["init_radius"], f"recurrent weights started at spectral radius "
                                                       f"{c['init_radius']:g}")) if on]
    label = ("one label, at the last step: the first bit" if c["labels"] == "recall" else
             f"the label at each step the bit {c['lag']} steps back")
    return (f"{c['n_samples']:,} strings of {c['max_length']} random bits, {label}, {c['layers']} "
            f"layer{'s' * (c['layers'] > 1)} of {c['hidden']}, "
            f"{', '.join([mode, *extras])}, batches of {c['batch_size']}, {c['epochs']} epochs")


PART = Part(
    report="004",
    caption="Report 004: truncated BPTT and vanishing gradients",
    pages=("bptt.md",),
    summaries=("summary/bptt.ipynb",),
    groups=GROUPS,
    describe=describe,
)
