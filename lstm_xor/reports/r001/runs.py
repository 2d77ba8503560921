"""Report 001 (a proposal: parallel LSTM training for sequence prediction): its forecasting demo, measured.

Reading the report (``../shared/seeds/001_*.txt``): it promises a NumPy LSTM,
parallelised, and a demo of "sequence prediction from sequential data" at a
seminar, without naming a series or a figure. Its speed targets are measured by
``notebooks/scaling.ipynb``; this part is the demo, on two public series that
ship with the package: yearly sunspot numbers (1700-2008) and weekly Mauna Loa
CO2 (1958-2001), each split in time order into 60% training, 20% validation and
20% test periods.

* Windows (``sequences='windows'``): every run of ``window`` points of the
  training period, the next value the target at every step; RNN, LSTM and GRU,
  three seeds each. Sunspots are modelled as levels (window 24 years); CO2, whose
  trend carries its test period above every training value, as weekly changes
  (``transform='difference'``, window 52 weeks).
* The whole training period as one sequence (``sequences='whole'``), trained with
  regular truncated BPTT (chunks of 20 years, or 52 weeks), the state carried
  from the series' start: the use truncation was made for; one seed per cell.
* CO2's networks tuned (``TUNING``): learning rate x width (``TUNE_LR`` x
  ``TUNE_HIDDEN``), three seeds each, windows as above; the point (0.005, 32) is
  the windows runs themselves. The choice is made on the validation period alone
  (``lstm_xor.reports.r001.tables.tuning_choice``).
* The baselines are computed in every run's record on the same test points:
  naive (last value), seasonal naive (11 years, 52 weeks), and an
  autoregression fitted by least squares on the training period (9 yearly, 52
  weekly lags); RMSE, MAE and MASE (scaled by the naive forecast's in-sample
  error), one step ahead and iterated up to 8 steps. Stronger baselines, fitted
  on the training period with their orders chosen on the validation period:
  ``lstm_xor.reports.r001.baselines``.
"""

from functools import partial

from lstm_xor.nn.cells import CELLS
from lstm_xor.reports.base import SEEDS3, Group, Part, Run

BASE = dict(task="forecast", hidden=32, layers=1, lr=0.005, batch_size=16, optimizer="adam", clip_norm=1.0,
            epochs=60, patience=15, horizon=8, seed=0, engines=1)
_run = partial(Run, base=BASE)  # this report's entries name only what differs from BASE
SERIES = {"sunspots": dict(series="sunspots", window=24, bptt_k=20),
          "co2": dict(series="co2", window=52, transform="difference", bptt_k=52)}
SERIES_TEXT = {"sunspots": "yearly sunspots", "co2": "weekly CO2 (changes)"}


def _windows(name, cell, seed):
    params = {k: v for k, v in SERIES[name].items() if k != "bptt_k"}
    return _run(f"fc-{name}-{cell}-s{seed}", "forecast-windows",
                f"{SERIES_TEXT[name].capitalize()}, windows of {params['window']}, {cell.upper()}, seed {seed}",
                dict(params, cell=cell, seed=seed), note="Training on windows of the training period, early stopping "
                "on the validation period (patience 15).")


def _whole(name, cell):
    return _run(f"fc-{name}-whole-{cell}", "forecast-whole",
                f"{SERIES_TEXT[name].capitalize()}, the whole period, truncated BPTT, {cell.upper()}",
                dict(SERIES[name], cell=cell, sequences="whole", bptt="regular", batch_size=1),
                note=f"The training period as one sequence, chunks of {SERIES[name]['bptt_k']} steps, an optimiser "
                "step each, the state carried.")


LEVELS = _run("fc-co2-level-lstm-s0", "forecast-windows", "Weekly CO2 as levels, windows of 52, LSTM, seed 0",
              dict(series="co2", window=52, cell="lstm"),
              note="CO2 modelled as levels (scaled by the training period), to see what the differences are for.")

# every CO2 windows seed had its best validation epoch at 1-3 of 15-17 (lr 0.005): a lower rate, and widths either
# side of 32; 5 new points x 3 cells x 3 seeds, 0.37 process-hours by `runs --plan` (60 epochs each; fewer with early
# stopping)
TUNE_LR = (0.0005, 0.005)
TUNE_HIDDEN = (16, 32, 64)


def tuning_id(cell, lr, hidden, seed):
    """The run of one tuning point; (lr, hidden) = (BASE's lr, BASE's hidden) is the windows run itself."""
    if (lr, hidden) == (BASE["lr"], BASE["hidden"]):
        return f"fc-co2-{cell}-s{seed}"
    return f"fc-co2-tune-{cell}-lr{lr:g}-h{hidden}-s{seed}".replace(".", "p")  # ids: letters, digits, dashes


def _tuned(cell, lr, hidden, seed):
    params = dict(SERIES["co2"], cell=cell, lr=lr, hidden=hidden, seed=seed)
    del params["bptt_k"]
    return _run(tuning_id(cell, lr, hidden, seed), "forecast-tuning",
                f"Weekly CO2 (changes), windows of 52, {cell.upper()}, lr {lr:g}, hidden {hidden}, seed {seed}",
                params, note="One point of the learning-rate x width grid; the choice is made on the validation "
                "period (early stopping there too).")


TUNING = tuple(_tuned(cell, lr, hidden, seed) for cell in CELLS for lr in TUNE_LR for hidden in TUNE_HIDDEN
               for seed in SEEDS3 if (lr, hidden) != (BASE["lr"], BASE["hidden"]))

GROUPS = (
    Group("forecast-windows", "Report 001: forecasting from windows",
          tuple(_windows(name, cell, seed) for name in SERIES for cell in CELLS for seed in (0, 1, 2)) + (LEVELS,)),
    Group("forecast-whole", "Report 001: forecasting the whole series",
          tuple(_whole(name, cell) for name in SERIES for cell in CELLS)),
    Group("forecast-tuning", "Report 001: CO2 networks' learning rate and width", TUNING),
)


def describe(config):
    """A forecasting run's data in words, for the first cell of its page."""
    c = config
    reads = (f"windows of {c['window']} points" if c["sequences"] == "windows" else
             f"the whole training period as one sequence, truncated BPTT in chunks of {c['bptt_k']}")
    what = "changes" if c["transform"] == "difference" else "values"
    return (f"{c['series']}, the network reading and forecasting its {what}, trained on {reads}, "
            f"{c['layers']} layer of {c['hidden']}, batches of {c['batch_size']}, at most {c['epochs']} epochs, "
            f"early stopping with patience {c['patience']}")


PART = Part(
    report="001",
    caption="Report 001: forecasting a series",
    pages=("forecast.md",),
    summaries=("summary/forecast.ipynb",),
    groups=GROUPS,
    describe=describe,
)
