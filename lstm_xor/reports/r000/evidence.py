"""Report 000's printed figures as evidence: every internal check they allow, and what each rules in or out.

Each check is computed from the figures the registry holds (runs.REPORT_RUNS' ``report``, runs.TEXT_FIGURES
and runs.CONTINUES, each citing where the report prints it), never from a number typed here; a check returns
its figures (a dict or rows of dicts), and its ``*_text`` or ``*_table`` writes them for the book
(book/summary/evidence.ipynb). tests/test_report000_evidence.py checks each derived figure against the
report's printed numbers. Epochs count from 1, as everywhere in the book: the report's "Epoch:19" is our 20.
"""

import math
from collections import Counter

import numpy as np

from lstm_xor.config import RunConfig
from lstm_xor.render import link, number_text
from lstm_xor.reports.r000 import runs as report000
from lstm_xor.reports.r000.pages import REPORT_BATCH, REPORT_TEST_N, report_scale
from lstm_xor.reports.r000.tables import markdown_table
from lstm_xor.tasks.parity import TASK

LENGTH = report000.FIXED["max_length"]  # the longest string, and every string of the report's type 1
ADAM_BETAS = (0.9, 0.999)  # the report: Adam's hyper-parameters "same as in the Adam optimizer paper" but the rate
SCHEDULE_EPOCH = 20  # runs 11-27 change their rate after the report's Epoch:19, i.e. from our epoch 21
LEARNED = 0.05  # a run with at most this share of its last bits wrong learned the task, if not every string
EARLY_STEPS = 50  # our replays' first steps, left out of their highest loss (every run starts near chance)


def _printed(key):
    return report000.TEXT_FIGURES[key][0]


def _run(run_id):
    return next(run for run in report000.REPORT_RUNS if run.id == run_id)


def chance_loss(batch=REPORT_BATCH, length=LENGTH):
    """What a coin flip scores on one batch on the report's scale: ``batch`` strings x ``length`` positions x ln 2.

    A batch of shorter strings scores less, so no batch of the report's, fixed or variable length, scores more
    at chance; an iteration's loss, the mean of the 5 ranks' batches, neither.
    """
    return batch * length * math.log(2)


def chance():
    """The report's first-epoch loss and run 4's smallest batch loss against chance (their ratios)."""
    uniform, run4, run5 = _run("fixed-uniform").report, _run("fixed-04").report, _run("fixed-05").report
    c = chance_loss()
    first = uniform["epoch_losses"][0]
    return dict(chance=c, first_epoch=first, first_ratio=first / c, run4_min=run4["min_batch_loss"],
                run4_min_ratio=run4["min_batch_loss"] / c, run5_min=run5["min_batch_loss"],
                run5_min_ratio=run5["min_batch_loss"] / c, epoch_sum=_printed("fixed_batches_per_rank") * c)


def chance_text():
    f = chance()
    return (f"Chance on the report's scale is {REPORT_BATCH} strings × {LENGTH} positions × ln 2 = "
            f"**{f['chance']:.0f}**. The uniform run's first epoch ends at {f['first_epoch']} "
            f"({f['first_ratio']:.2f} × chance): a loss of one iteration near a coin flip, where a sum over the "
            f"epoch's {_printed('fixed_batches_per_rank')} iterations would be near {f['epoch_sum']:,.0f}. "
            f"Run 4's smallest batch loss in 12 epochs, {f['run4_min']:g}, is {f['run4_min_ratio']:.3f} × "
            f"chance: at its best it was {100 * (1 - f['run4_min_ratio']):.1f}% below a coin flip, so it never "
            f"learned. Run 5's, {f['run5_min']:g}, is {f['run5_min_ratio']:.3f} × chance: it did learn. **Rules "
            f"in:** the quoted losses are single iterations on this scale. **Rules out:** that they are sums over "
            f"an epoch, and that run 4 ever learned.")


def _last_quoted(run):
    """(0-based epoch, loss) of the last epoch loss the report quotes for a run, or None."""
    losses = run.report["epoch_losses"]
    return max(losses.items()) if losses else None


def endings(records=None):
    """The report's runs whose last quoted loss is above chance: run, epoch (1-based), loss, loss / chance, the
    run's smallest batch loss, and ours: the replay's highest iteration loss after its first EARLY_STEPS (÷5)."""
    rows, c = [], chance_loss()
    for run in report000.REPORT_RUNS:
        last = _last_quoted(run)
        if last is None or last[1] <= c:
            continue
        rec = (records or {}).get(run.id)
        ours = None
        if rec and len(rec["history"]["iteration_loss"]) > EARLY_STEPS:
            it = np.asarray(rec["history"]["iteration_loss"][EARLY_STEPS:], dtype=float)
            ours = float(np.nanmax(it)) / report_scale(rec)
        rows.append(dict(run=run.id, epoch=last[0] + 1, loss=last[1], ratio=last[1] / c,
                         min_batch_loss=run.report["min_batch_loss"], status=run.report["status"], ours=ours))
    return rows


def endings_table(records, runs_dir):
    head = ("run", "last quoted loss (epoch)", "÷ chance", "smallest batch loss", "how it ended (report)",
            f"ours: highest after step {EARLY_STEPS} (÷5)")
    rows = [f"| {link(r['run'], records, runs_dir)} | {r['loss']} ({r['epoch']}) | {r['ratio']:.2f} "
            f"| {number_text(r['min_batch_loss'])} | {r['status']} | {number_text(r['ours'])} |"
            for r in endings(records)]
    return markdown_table(head, rows)


def continuations():
    """Runs the report continued at the same rate: loss and test figures at the end of each, earlier then later;
    worse: the last quoted loss more than doubled (each is a whole number known to within 1)."""
    rows = []
    for later, earlier in report000.CONTINUES.items():
        a, b = _run(earlier), _run(later)
        rows.append(dict(run=later, continues=earlier, epochs=(a.epochs, b.epochs),
                         loss=(a.report["last_epoch_loss"], b.report["last_epoch_loss"]),
                         last_bit=(a.report["last_bit_accuracy"], b.report["last_bit_accuracy"]),
                         sequence=(a.report["sequence_accuracy"], b.report["sequence_accuracy"]),
                         worse=b.report["last_epoch_loss"] > 2 * a.report["last_epoch_loss"]))
    return rows


def continuations_table():
    def pct(pair):
        return " → ".join("–" if v is None else f"{100 * v:.2f}%" for v in pair)
    head = ("run", "continues", "epochs", "last quoted loss", "last bit right", "whole string right")
    rows = [f"| {r['run']} | {r['continues']} | {r['epochs'][0]} → {r['epochs'][1]} | {r['loss'][0]} → "
            f"{r['loss'][1]} | {pct(r['last_bit'])} | {pct(r['sequence'])} |" for r in continuations()]
    return markdown_table(head, rows)


def endings_text(records=None):
    """The endings above chance in words; with records, also how high our replays of them went."""
    rows, worse = endings(records), [r for r in continuations() if r["worse"]]
    ours = [r["ours"] for r in rows if r["ours"] is not None]
    replays = (f" Our replays of these {len(ours)} runs never go above {max(ours):.0f} after their first "
               f"{EARLY_STEPS} steps." if ours else "")
    above = ", ".join(f"{r['run']} {r['loss']}" for r in rows)
    return (f"{len(rows)} of the report's runs end above chance ({chance_loss():.0f}): {above}. A network "
            f"stuck on a plateau answers 1/2 everywhere and scores chance exactly; to score more it must give "
            f"confident wrong answers: its weights kept moving, the wrong way. "
            f"In {len(worse)} of the {len(report000.CONTINUES)} runs the report continued at the same rate, the last "
            f"loss more than doubled from where they started ({', '.join(r['run'] for r in worse)}).{replays} "
            f"**Rules in:** instability "
            f"(a loss that climbs after learning, as run 5 did from its smallest batch loss "
            f"{_run('fixed-05').report['min_batch_loss']:g}). **Rules out:** a plateau at chance as what runs 4 and "
            f"5 ended in.")


def epoch_sums():
    """Runs whose printed last epoch loss is below their smallest batch loss: no sum (nor mean) of iteration
    losses can be; with the floor a sum over the epoch would have (iterations x the smallest)."""
    rows = []
    for run in report000.REPORT_RUNS:
        r = run.report
        if r["last_epoch_loss"] is not None and r["min_batch_loss"] is not None \
                and r["last_epoch_loss"] < r["min_batch_loss"]:
            per_epoch = _printed("fixed_batches_per_rank" if run.group == "report-fixed" else
                                 "variable_plot_per_epoch")
            rows.append(dict(run=run.id, last=r["last_epoch_loss"], min=r["min_batch_loss"],
                             iterations=per_epoch, sum_floor=per_epoch * r["min_batch_loss"]))
    return rows


def epoch_sums_text():
    r = epoch_sums()[0]
    return (f"Run {int(r['run'][-2:])} prints \"Last epoch loss = {r['last']}\" and \"min_batch_loss = "
            f"{_run(r['run']).report['printed']['min_batch_loss']}\". The report defines an epoch's loss as the sum "
            f"of its iterations' losses: over {r['iterations']} iterations of at least {r['min']:g} that is at least "
            f"{r['sum_floor']:g}; a mean is at least {r['min']:g}. **Rules out:** that the quoted epoch losses are "
            f"sums of batch losses, as the text says. **Rules in:** one iteration's loss (or a mean) printed as a "
            f"whole number, rounded or cut down ({r['min']:g} prints as {r['last']} either way), so every quoted "
            f"epoch loss is known only to within 1.")


def iterations():
    """Batches per rank and epoch: the text's against its batch counts and its plots' captions; and the
    one-length batches of at most 32 that 80,000 strings of random length 1..50 make, for seeds 0-9 of ours."""
    ranks = report000.REPORT_RANKS
    ours = []
    for seed in range(10):
        config = RunConfig(task="parity", n_samples=report000.REPORT["n_samples"], seed=seed, **report000.VARIABLE)
        counts = np.bincount(TASK.splits(config).train.lengths)[1:]
        ours.append(int(np.ceil(counts / REPORT_BATCH).sum()))
    return dict(fixed_text=_printed("fixed_batches_per_rank"),
                fixed_counts=_printed("fixed_batches") / ranks,
                fixed_plot=_printed("fixed_plot_iterations") / (_run("fixed-06").epochs),
                variable_text=_printed("variable_batches_per_rank"),
                variable_counts=(_printed("variable_batches") - 1) / ranks,
                variable_plot=_printed("variable_plot_iterations") / _run("variable-27").epochs,
                ours_batches=ours)


def iterations_text():
    f = iterations()
    return (f"Fixed length: {_printed('fixed_batches')} batches over {report000.REPORT_RANKS} ranks is "
            f"{f['fixed_counts']:g} per rank, the text's {f['fixed_text']}, and the loss plot's "
            f"{_printed('fixed_plot_iterations'):,} iterations over {_run('fixed-06').epochs} epochs is "
            f"{f['fixed_plot']:g}. Variable length: the text says {f['variable_text']} per rank, but its own "
            f"{_printed('variable_batches')} batches less the unused last one make {f['variable_counts']:g} per "
            f"rank, and its plot's {_printed('variable_plot_iterations'):,} iterations over "
            f"{_run('variable-27').epochs} epochs make {f['variable_plot']:g}. One-length batches of at most "
            f"{REPORT_BATCH} from 80,000 strings of random length 1 to 50 number {min(f['ours_batches'])} to "
            f"{max(f['ours_batches'])} for seeds 0-9 of our generator: the report's "
            f"{_printed('variable_batches')} is such a count. **Rules in:** {f['variable_plot']:g} iterations per "
            f"epoch, the {_printed('variable_batches') - 1} batches used shared evenly by the "
            f"{report000.REPORT_RANKS} ranks. **Rules out:** the text's {f['variable_text']} as what "
            f"ran (a slip of the text).")


def _new_rate(run):
    """The rate a schedule run trains with from our epoch SCHEDULE_EPOCH + 1 on, or None for a one-rate run."""
    pieces = dict(piece.split(":") for piece in run.params.get("lr_schedule", "").split(",") if piece)
    return float(pieces[str(SCHEDULE_EPOCH)]) if str(SCHEDULE_EPOCH) in pieces else None


def adam_step_bound(lr, beta1=ADAM_BETAS[0], beta2=ADAM_BETAS[1]):
    """The most one Adam step moves one weight (Kingma and Ba, section 2.1): lr (1 - beta1) / sqrt(1 - beta2)
    where that exceeds lr, else lr; for Adam as the paper defines it, whatever its state."""
    return lr * max(1.0, (1 - beta1) / math.sqrt(1 - beta2))


def schedule_jump():
    """Runs 11-27 at their rate change: the new rate, the loss at the ends of our epochs 20 and 21, their ratio,
    and the most one epoch at the new rate can move any weight (iterations per epoch x Adam's step bound)."""
    per_epoch = _printed("variable_plot_per_epoch")
    rows = []
    for run in report000.REPORT_RUNS:
        rate, losses = _new_rate(run), run.report["epoch_losses"]
        if rate is None or SCHEDULE_EPOCH not in losses:
            continue
        before, after = losses[SCHEDULE_EPOCH - 1], losses[SCHEDULE_EPOCH]
        rows.append(dict(run=run.id, rate=rate, before=before, after=after, ratio=after / before,
                         move=per_epoch * adam_step_bound(rate)))
    return rows


def schedule_jump_table():
    head = ("run", "rate from epoch 21", "loss, end of epoch 20", "end of epoch 21", "ratio",
            "most any weight can move in epoch 21")
    rows = [f"| {r['run']} | {r['rate']:g} | {r['before']} | {r['after']} | {r['ratio']:.1f} | {r['move']:.2g} |"
            for r in schedule_jump()]
    return markdown_table(head, rows)


def schedule_jump_text():
    rows = schedule_jump()
    slow = min(rows, key=lambda r: r["rate"])
    common, n_common = Counter(r["rate"] for r in rows).most_common(1)[0]
    printed = sorted({r["after"] for r in rows if r["rate"] == common})
    rates = sorted({r["rate"] for r in rows})
    return (f"At the rate change the loss goes from {rows[0]['before']} to {min(r['after'] for r in rows)}-"
            f"{max(r['after'] for r in rows)} in all {len(rows)} runs, over {len(rates)} rates from {rates[0]:g} to "
            f"{rates[-1]:g}: the jump does not follow the rate. At {slow['rate']:g} ({slow['run']}: "
            f"{slow['after']}) Adam moves no weight by more than {slow['move']:.1g} in the whole epoch: if nothing "
            f"else changed, the network that scores {slow['after']} is the one that scored {slow['before']} to "
            f"within that in every weight. The "
            f"{n_common} runs at {common:g} all print {', '.join(map(str, printed))}: whatever happened at the "
            f"change happened the same way every time. **Rules in:** at epoch 21 the network or the batch was not "
            f"the one at the end of epoch 20: a restart that reloaded other weights, or another data order (a "
            f"reshuffle, seeded, since it repeats); a lost optimiser state comes with a restart, but alone it moves no "
            f"weight further at {slow['rate']:g} (Adam's bound holds started afresh too), unless the Adam itself has a "
            f"slip, such as no square root on its second moment. **Rules out:** the chapter's reading of one "
            f"uninterrupted run over batches in a fixed order (\"no reshuffle\") as a fact.")


def errors():
    """Test strings wrong against last bits wrong, per run with counts; a wrong string with a right last bit
    went wrong inside and came back: at least (strings wrong - last bits wrong) of them."""
    rows = []
    for run in report000.REPORT_RUNS:
        r = run.report
        if r["correct_sequences"] is None:
            continue
        strings, bits = REPORT_TEST_N - r["correct_sequences"], REPORT_TEST_N - r["correct_last_bit"]
        rows.append(dict(run=run.id, strings=strings, last_bits=bits, back=strings - bits,
                         share=(strings - bits) / strings if strings else None))
    return rows


def errors_table():
    head = ("run", f"strings wrong, of {REPORT_TEST_N:,}", "last bits wrong", "wrong inside, last bit right (at least)",
            "share of the wrong strings")
    rows = [f"| {r['run']} | {r['strings']} | {r['last_bits']} | {r['back']} | "
            f"{'–' if r['share'] is None else format(r['share'], '.1%')} |" for r in errors()]
    return markdown_table(head, rows)


def errors_text():
    rows = {r["run"]: r for r in errors()}
    six = rows["fixed-06"]
    learned = [r for r in rows.values() if r["last_bits"] <= LEARNED * REPORT_TEST_N]
    return (f"Run 6 has {six['strings']} strings wrong but only {six['last_bits']} last bits wrong: at least "
            f"{six['back']} strings ({100 * six['share']:.1f}% of the wrong ones) went wrong somewhere inside and "
            f"were right again at the end. In the {len(learned)} runs with at most {LEARNED:.0%} of their last bits "
            f"wrong, that share is {100 * min(r['share'] for r in learned):.0f}% to "
            f"{100 * max(r['share'] for r in learned):.0f}%. A network that loses the parity it carries (its state "
            f"flips once) is wrong from there to the end, the last bit included. **Rules in:** brief errors at "
            f"single positions inside strings (a read-out near its boundary, or two flips that cancel). **Rules "
            f"out:** a lost parity state as what most of the report's wrong strings show.")


def percentages():
    """Every printed percentage against its count / 20,000: (run, key, printed, count / 200) where they differ."""
    bad = []
    for run in report000.REPORT_RUNS:
        r = run.report
        for key, count in (("last_bit", r["correct_last_bit"]), ("sequence", r["correct_sequences"])):
            if count is not None and abs(r[f"{key}_accuracy"] - count / REPORT_TEST_N) > 1e-12:
                bad.append((run.id, key, r["printed"][f"{key}_pct"], 100 * count / REPORT_TEST_N))
    return bad


def run26_27():
    """The text's 'more in Run 27 by 1' and 'high by 2.6 %' against the printed figures of runs 26 and 27."""
    a, b = _run("variable-26").report, _run("variable-27").report
    return dict(loss_difference=b["last_epoch_loss"] - a["last_epoch_loss"],
                said_difference=_printed("last_loss_more_by"),
                accuracy_difference=100 * (b["sequence_accuracy"] - a["sequence_accuracy"]),
                said_accuracy=_printed("accuracy_higher_by"))


def consistency_text():
    bad, f = percentages(), run26_27()
    counted = sum(run.report["correct_sequences"] is not None for run in report000.REPORT_RUNS)
    return (f"Every printed percentage is its count over {REPORT_TEST_N:,} "
            f"({'all' if not bad else f'all but {len(bad)}'} of the {2 * counted} in {counted} runs): the test set "
            f"had {REPORT_TEST_N:,} strings in every run. Run 27 against run 26: the text says the last loss is "
            f"\"more by {f['said_difference']}\" and the accuracy \"high by {f['said_accuracy']:g} %\"; the printed "
            f"figures give {f['loss_difference']} and {f['accuracy_difference']:.3f}. The accuracy agrees. Two whole "
            f"numbers each known to within 1 (rounded or cut down) that print {f['loss_difference']} apart differ "
            f"by more than {f['loss_difference'] - 1} and less than {f['loss_difference'] + 1}: the text's "
            f"{f['said_difference']} holds only loosely, one more sign that the losses are printed as whole "
            f"numbers.")
