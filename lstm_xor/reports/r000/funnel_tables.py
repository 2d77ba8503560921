"""Tables and plots of report 000's funnel (lstm_xor.reports.r000.funnel_runs): the design and its cut, each
run scored on the report's signatures (lstm_xor.reports.r000.signatures), and item 5's gradient norms of the
uniform initialisation. Every table copes with runs not executed yet ("not run yet"). Epochs count from 1.
"""

import numpy as np

from lstm_xor.reports.r000 import funnel_runs as funnel
from lstm_xor.reports.r000 import signatures
from lstm_xor.reports.r000.causes_runs import CAUSES, MECHANICS
from lstm_xor.reports.r000.tables import markdown_table
from lstm_xor.study.slips import SLIPS as TABLE_ROWS

ISSUE_SEEDS = 3  # stage 1 as the issue asks: every slip at both configurations, 3 seeds

# The report's diagnosis of its uniform run (../shared/seeds/000_*.txt, lines 158-165), quoted.
DIAGNOSIS = ("Initially, when uniform random weights were used instead of Xavier uniform and orthogonal initialized "
             "weights , the loss value continued to increase for each epoch(Epoch:0 loss 1176 to epoch:20 loss "
             "8843) .When the latter methods of weight initialization were used , loss decreased steadily . This "
             "shows the exploding gradients problem has occurred when uniform random weights are used.")
EXPLODES = 10  # the norm "explodes": some epoch's median gradient norm at least this many times the first's


# -- the funnel's rows: (what, configuration, run ids, knife-edge pairs or None where stage 2 brings them) --------

def rows():
    """Baselines (the replays at the configurations, with no slip), then stage 1's runs in priority order."""
    out = [("none (the replay)", "fixed", ["fixed-04"], [("fixed-03", "fixed-05")]),
           ("none (the replay)", "variable", ["variable-03"], None),
           ("none (the replays of runs 11-18: a rate change at epoch 21)", "variable",
            [f"variable-{n}" for n in range(11, 19)], None)]
    out += [(f"{tag}: {funnel.SLIPS[tag][1]}", d, [funnel.run_id(d, tag)], None) for tag, d, _ in funnel.STAGE1]
    out += [(f"mechanic {name}: {MECHANICS[name][1]}", d, [funnel.run_id(d, name)], None)
            for name, d, _ in funnel.MECHANICS_RUN]
    return out


def matched_text(verdicts):
    """'k of n' over the runs whose record can say (None verdicts left out); '–' when none can; the strict
    count beside it when it differs."""
    have = [v for v in verdicts if v.matched is not None]
    if not have:
        return "–"
    k, strict = sum(v.matched for v in have), sum(bool(v.strict) for v in have)
    return f"{k} of {len(have)}" + ("" if strict == k else f" ({strict} strict)")


def funnel_table(records, runs_dir):
    """Per row: seeds run of those registered, then each signature matched k of n (strict count where it
    differs); the knife edge needs a pair of rates (stage 2 for the slips)."""
    head = ("slip or mechanic", "configuration", "seeds run", *signatures.ONE_RECORD, "knife_edge")
    lines = []
    for what, data, ids, pairs in rows():
        recs = [records[i] for i in ids if i in records]
        links = " ".join(f"[{i}]({runs_dir}/{i}.ipynb)" for i in ids if i in records)
        config = f"{data}, lr {CAUSES[data][1]:g}" if len(ids) == 1 else data
        if not recs:
            lines.append(f"| {what} | {config} | not run yet (0 of {len(ids)}) |" + " |" * 6)
            continue
        scored = [signatures.score(r) for r in recs]
        cells = [matched_text([s[name] for s in scored]) for name in signatures.ONE_RECORD]
        knife = "stage 2" if pairs is None else matched_text(
            [signatures.knife_edge(records.get(a), records.get(b)) for a, b in pairs])
        lines.append(f"| {what} | {config} | {len(recs)} of {len(ids)} {links} | {' | '.join(cells)} | {knife} |")
    return markdown_table(head, lines)


def verdicts_table(records, runs_dir):
    """Every executed stage-1 run with each signature's verdict and the number behind it."""
    lines = []
    for _, _, ids, _ in rows()[3:]:
        for i in ids:
            if i in records:
                cells = [v.cell() for v in signatures.score(records[i]).values()]
                lines.append(f"| [{i}]({runs_dir}/{i}.ipynb) | {' | '.join(cells)} |")
    if not lines:
        return "No stage-1 run has been executed yet."
    return markdown_table(("run", *signatures.ONE_RECORD), lines)


# -- the design and the cut ----------------------------------------------------------------------------------

def asked():
    """Runs the issue's stage 1 asks for: every slip at both configurations, 3 seeds; each mechanic once."""
    return len(funnel.SLIPS) * len(CAUSES) * ISSUE_SEEDS + len([m for m in MECHANICS if m != "none"])


def registered():
    return len(funnel.STAGE1) + len(funnel.MECHANICS_RUN)


def cut_text():
    return (f"The issue's stage 1 is {asked()} runs: {len(funnel.SLIPS)} slips at {len(CAUSES)} configurations "
            f"with {ISSUE_SEEDS} seeds, and {asked() - len(funnel.SLIPS) * len(CAUSES) * ISSUE_SEEDS} mechanics "
            f"once. Registered: {registered()}, one seed each, in priority order; the rest below, with what the "
            f"gradient table already says of each.")


def design_table():
    """Stage 1's runs in priority order: the slip, the configuration, what the slip predicts and why."""
    lines = [f"| {k} | `{funnel.run_id(d, tag)}` | {what} | {why} |" for k, (tag, d, what, why) in enumerate(
        [(tag, d, funnel.SLIPS[tag][1], why) for tag, d, why in funnel.STAGE1]
        + [(name, d, MECHANICS[name][1], why) for name, d, why in funnel.MECHANICS_RUN], 1)]
    return markdown_table(("priority", "run", "slip", "predicted (from the gradient table and the mechanism)"),
                          lines)


def gradient_row(table, tag, data):
    """A slip's row of the gradient table at a configuration, in words ('–' for a slip the table leaves out)."""
    row = funnel.SLIPS.get(tag, (None, None, None))[2]
    if row is None or row not in TABLE_ROWS:
        return "–"
    r = table["configurations"][data]["rows"][row]
    mean = {(p, k): np.mean(r[p][k]) for p in ("init", "trained") for k in ("cosine", "norm_ratio")}
    return (f"cosine {mean['init', 'cosine']:.2f} / {mean['trained', 'cosine']:.2f}, norm ratio "
            f"{mean['init', 'norm_ratio']:.3g} / {mean['trained', 'norm_ratio']:.3g}")


def not_run_table(table):
    """Every (slip or mechanic, configuration) the issue's stage 1 asks for and ours does not run, why, and the
    gradient table's row there (at initialisation / half-trained)."""
    lines = [f"| {tag} | {d} | {why} | {gradient_row(table, tag, d) if d in CAUSES else '–'} |"
             for tag, d, why in funnel.not_run()]
    return markdown_table(("slip or mechanic", "configuration", "why not run", "gradient table (init / half)"),
                          lines)


# -- item 5: the uniform initialisation's gradient norms -----------------------------------------------------

def norms_by_epoch(record):
    """{epoch: (median norm, largest norm, the epoch's mean loss on the report's scale)} of a run with
    log_grad_norm; None without its norms."""
    norms = record["history"].get("grad_norm")
    if not norms:
        return None
    per = len(norms) // max(len(record["history"]["epoch_loss"]), 1)
    return {e + 1: (float(np.median(norms[e * per:(e + 1) * per])), float(np.max(norms[e * per:(e + 1) * per])),
                    signatures.report_scale_loss(record, e))
            for e in range(len(record["history"]["epoch_loss"]))}


def norms_table(records):
    lines = []
    for id, (init, _) in funnel.UNIFORM.items():
        epochs = norms_by_epoch(records[id]) if id in records else None
        if epochs is None:
            lines.append(f"| {id} ({init}) | not run yet | | | |")
            continue
        lines += [f"| {id} ({init}) | {e} | {med:.3g} | {top:.3g} | {loss:.0f} |"
                  for e, (med, top, loss) in epochs.items()]
    return markdown_table(("run", "epoch", "median gradient norm", "largest", "loss (report's scale)"), lines)


def explodes(record, factor=EXPLODES):
    """(does some epoch's median norm reach ``factor`` x the first epoch's, that ratio, epochs whose loss rose)."""
    epochs = norms_by_epoch(record)
    medians = [m for m, _, _ in epochs.values()]
    losses = [loss for _, _, loss in epochs.values()]
    ratio = max(medians) / medians[0]
    return ratio >= factor, ratio, sum(b > a for a, b in zip(losses, losses[1:], strict=False))


def norms_text(records):
    """The report's diagnosis against our norms, in words."""
    text = f"The report: \"{DIAGNOSIS}\""
    for id, (_, words) in funnel.UNIFORM.items():
        if id not in records or norms_by_epoch(records[id]) is None:
            text += f" {id} ({words}): not run yet."
            continue
        yes, ratio, rose = explodes(records[id])
        n = len(records[id]["history"]["epoch_loss"])
        text += (f" {id} ({words}): the largest epoch median of the gradient norm is {ratio:.3g} × the first "
                 f"epoch's ({'at least' if yes else 'under'} {EXPLODES}×: {'exploding' if yes else 'not exploding'})"
                 f"; the loss rose in {rose} of {n - 1} epochs.")
    return text


def plot_norms(records):
    """The gradient norm at every step (log scale), each uniform run, epochs marked."""
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(10, 3.5))
    for k, (id, (init, _)) in enumerate(funnel.UNIFORM.items()):
        norms = records[id]["history"].get("grad_norm") if id in records else None
        if norms:
            per = len(norms) // len(records[id]["history"]["epoch_loss"])
            ax.plot(np.arange(1, len(norms) + 1) / per, norms, lw=0.5, color=f"C{k}", label=f"{id} ({init})")
    ax.set(yscale="log", xlabel="epoch", ylabel="gradient norm (before clipping)")
    if ax.get_legend_handles_labels()[0]:
        ax.legend()
    ax.grid(alpha=0.3)
    return fig
