"""Report 000's signatures of trouble, scored from any parity run record: each a yes/no with the number behind
it, at a stated threshold, and the verdict re-checked at a stricter second one.

What the report's runs show and our replays do not (issue 21; the report's figures in runs.REPORT_RUNS):

* ``above_chance``: the last epoch's loss above chance on the report's scale. Chance is a coin flip at every
  labelled position, ln 2 each; the report's scale is one batch of 32 strings x 50 positions, summed, so chance
  is 32 x 50 x ln 2 = 1109 (evidence.chance_loss). A record's loss goes onto that scale as its per-position
  mean x 32 x 50: the last epoch's mean iteration loss divided by the labelled positions of one step
  (loss_reduction 'sum': batch_size x the strings' expected labelled positions, exact at fixed length, the
  expected length (min + max) / 2 for lengths drawn uniformly; 'mean': already per position). Under the
  report's settings at fixed length that is our loss / 5, runs.REPORT_RANKS. The report: fixed run 4 ends at
  1780, run 5 at 1960, the uniform run at 8843. A diverged run (a loss that is not finite) is above chance.
* ``climbs``: learning that climbs over epochs rather than jumping. The test sequence accuracy's rise runs from
  the untrained network's (0: 2^-50 at fixed length, about 1/50 at lengths 1..50) to its best; the climb is the
  number of epochs from the first at 10% of that rise to the first at 90% (epochs from 1; an epoch that passes
  both counts 0). A rise under ``MIN_RISE`` is no learning, hence no climb. The report's run 6 is at 39.6%
  after 12 epochs and 94.7% after 20; our replays go from 0 to 100% within one epoch (a climb of 0).
* ``whole_string``: whole-string errors far above last-bit errors, in the final test: (strings with any
  position wrong) / (strings with the last position wrong). A network that lost its parity state errs on the
  last bit in half its wrong strings (ratio ~2); the report's run 6 has 1068 against 22 (49), run 3 12090
  against 384 (31): brief errors inside strings. No wrong last bit with wrong strings: infinite; no wrong
  string: no (nothing to profile).
* ``collapse``: a late collapse: the final test sequence accuracy below its best by more than the threshold
  (aggregate.best_and_final). The report's run 19 -> 20 (87.7% -> 80.8%, 6.8 points), run 4 -> 5 (55.8% ->
  45.4%).
* ``knife_edge`` (a pair of records at fixed length, lr 0.00075 and 0.00076): the first learns and the second
  does not, as the report's runs 3 (98.1% of last bits right) and 5 (51.0%): learned = the final test last-bit
  accuracy at least the threshold; the strict check also asks the second to stay within 5 points of chance.
* ``schedule_jump``: the jump at a schedule change: the loss of the first epoch at a new rate over the epoch's
  before (``history['lr']``); the report's runs 11-27: 44 -> 123-170, 2.8-3.9 times. Not applicable (None) to a
  run whose rate never changes.

A verdict is None where the record cannot say (no schedule change, no epoch yet). :func:`score` scores one
record on the first four and the jump; :func:`knife_edge` a pair; :func:`definitions_table` states them.
"""

import math
from dataclasses import dataclass

import numpy as np

from lstm_xor.aggregate import best_and_final
from lstm_xor.render import iterations_per_epoch
from lstm_xor.reports.r000.evidence import LENGTH, chance_loss
from lstm_xor.reports.r000.pages import REPORT_BATCH
from lstm_xor.reports.r000.tables import markdown_table

MIN_RISE = 0.1  # a sequence accuracy that rose less than this learned nothing that could climb
NEAR_CHANCE = 0.55  # knife edge, strict: the rate that fails keeps its last bits within 5 points of a coin flip

# name: (what it asks, the number's unit, the threshold, the stricter one); a verdict is value > or >= threshold
SIGNATURES = {
    "above_chance": ("final loss above chance on the report's scale", "last epoch's loss / chance (1109)",
                     1.0, 1.5),
    "climbs": ("learning that climbs over epochs", "epochs from 10% to 90% of the sequence accuracy's rise", 3, 5),
    "whole_string": ("whole-string errors far above last-bit errors", "wrong strings / wrong last bits", 10, 30),
    "collapse": ("a late collapse", "best - final test sequence accuracy", 0.05, 0.2),
    "knife_edge": ("a knife edge between lr 0.00075 and 0.00076 (fixed length)",
                   "last-bit accuracy at 0.00075 (learns) and at 0.00076 (does not)", 0.75, 0.95),
    "schedule_jump": ("a jump at the schedule change", "loss of the first epoch at the new rate / the epoch's before",
                      2.0, 2.75),
}
ONE_RECORD = ("above_chance", "climbs", "whole_string", "collapse", "schedule_jump")


@dataclass(frozen=True)
class Verdict:
    signature: str
    value: float | None  # the number behind it (None: the record cannot say)
    matched: bool | None  # at the threshold
    strict: bool | None  # at the stricter threshold
    text: str  # the number in words

    def cell(self):
        """'yes (1.62)', 'yes, not strict (1.2)', 'no (0.31)', '–'."""
        if self.matched is None:
            return "–"
        word = ("yes" if self.strict else "yes, not strict") if self.matched else "no"
        return f"{word} ({self.text})"


def _verdict(name, value, text, above=True):
    """Value against both thresholds (>= for counts and ratios, > for the loss and the collapse)."""
    if value is None:
        return Verdict(name, None, None, None, text or "–")
    _, _, threshold, strict = SIGNATURES[name]
    strictly = name in ("above_chance", "collapse")

    def past(t):
        return bool(value > t if strictly else value >= t)
    return Verdict(name, float(value), past(threshold), past(strict), text)


def positions_per_step(config):
    """The labelled positions of one optimiser step: batch_size x the expected labelled positions of a string
    (every position with prefix labels, the last with a final label; lengths uniform in min..max)."""
    if config["labels"] == "final":
        return config["batch_size"]
    return config["batch_size"] * (config["min_length"] + config["max_length"]) / 2


def report_scale_loss(record, epoch=-1):
    """An epoch's mean iteration loss on the report's scale: per-position mean x 32 x 50 (inf for a diverged
    run's cut epoch; None before any epoch)."""
    h, config = record["history"], record["config"]
    if record["status"] == "diverged" and epoch == -1:
        return math.inf
    if not h["epoch_loss"]:
        return None
    mean = h["epoch_loss"][epoch] / iterations_per_epoch(record)
    per_position = mean if config["loss_reduction"] == "mean" else mean / positions_per_step(config)
    return per_position * REPORT_BATCH * LENGTH


def above_chance(record):
    loss = report_scale_loss(record)
    if loss is None:
        return _verdict("above_chance", None, "")
    ratio = loss / chance_loss()
    return _verdict("above_chance", ratio, f"{loss:.0f}, {ratio:.2f} × chance" if math.isfinite(loss) else
                    "diverged")


def climb(accuracies, start=0.0):
    """(epochs from 10% to 90% of the rise, the peak) of a per-epoch accuracy history rising from ``start``;
    (None, peak) when it rose less than MIN_RISE."""
    acc = np.asarray([np.nan if a is None else a for a in accuracies], dtype=float)
    if not acc.size or np.isnan(acc).all():
        return None, None
    peak = float(np.nanmax(acc))
    rise = peak - start
    if rise < MIN_RISE:
        return None, peak
    first = [int(np.argmax(acc >= start + f * rise)) for f in (0.1, 0.9)]  # nan >= x is False
    return first[1] - first[0], peak


def climbs(record):
    width, peak = climb(record["history"].get("test_sequence_accuracy", []))
    if peak is None:
        return _verdict("climbs", None, "")
    if width is None:
        return Verdict("climbs", None, False, False, f"no rise (best {100 * peak:.1f}%)")
    return _verdict("climbs", width, f"{width} epochs to {100 * peak:.1f}%")


def whole_string(record):
    test = record.get("test")
    if not test:
        return _verdict("whole_string", None, "")
    strings, last = test["n"] - test["correct_sequences"], test["n"] - test["correct_last_bit"]
    if strings == 0:
        return Verdict("whole_string", 0.0, False, False, "no string wrong")
    ratio = strings / last if last else math.inf
    return _verdict("whole_string", ratio, f"{strings} / {last}")


def collapse(record):
    history = record["history"].get("test_sequence_accuracy", [])
    bf = best_and_final(history)
    if bf is None:
        return _verdict("collapse", None, "")
    drop = bf["best"] - bf["final"] if math.isfinite(bf["final"]) else math.inf
    return _verdict("collapse", drop, f"{100 * bf['best']:.1f}% (epoch {bf['best_epoch']}) -> "
                                      f"{100 * bf['final']:.1f}% (epoch {bf['final_epoch']})")


def schedule_jump(record):
    h = record["history"]
    change = next((e for e in range(1, len(h["epoch_loss"])) if h["lr"][e] != h["lr"][e - 1]), None)
    if change is None:
        return _verdict("schedule_jump", None, "no rate change")
    before, after = h["epoch_loss"][change - 1], h["epoch_loss"][change]
    return _verdict("schedule_jump", after / before, f"epoch {change} -> {change + 1}: × {after / before:.2f}")


def knife_edge(learns, fails):
    """The pair at lr 0.00075 (``learns``) and 0.00076 (``fails``): the first learns, the second does not."""
    if not (learns and learns.get("test") and fails and fails.get("test")):
        return _verdict("knife_edge", None, "")
    a, b = learns["test"]["last_bit_accuracy"], fails["test"]["last_bit_accuracy"]
    _, _, threshold, strict = SIGNATURES["knife_edge"]
    text = f"{100 * a:.1f}% against {100 * b:.1f}%"
    return Verdict("knife_edge", a - b, bool(a >= threshold > b), bool(a >= strict and b <= NEAR_CHANCE), text)


SCORERS = {"above_chance": above_chance, "climbs": climbs, "whole_string": whole_string, "collapse": collapse,
           "schedule_jump": schedule_jump}


def score(record):
    """{signature: Verdict} of one record, for every one-record signature."""
    return {name: SCORERS[name](record) for name in ONE_RECORD}


def definitions_table():
    """The signatures, what each measures and its two thresholds, as a Markdown table."""
    rows = [f"| {name} | {what} | {unit} | {t:g} | {s:g} |" for name, (what, unit, t, s) in SIGNATURES.items()]
    return markdown_table(("signature", "the report's sign", "the number", "threshold", "strict"), rows)
