"""The units that carry the parity in a committed run: its network rebuilt, probed, and the numbers the book's
page shows (book/summary/units.ipynb) cached as JSON, since rebuilding takes minutes.

A run record keeps no weights, so the run is trained again from its record's configuration, in this process: its
numbers do not depend on the engines that computed it (lstm_xor.train.loop), and under the record's kernels the
test counts come out as committed, which the JSON says (``reproduced``). The network is kept as a checkpoint in
``.cache/explore/<run id>/``, so the next call (the exploration notebook's) loads it in a second.

    python -m lstm_xor.study.units --run map-ours-variable-1e-2-s4 --out book/summary/units.json
"""

import argparse
import json
import os

from lstm_xor import reports
from lstm_xor.config import Launch, split
from lstm_xor.records import load_checkpoint, save_checkpoint
from lstm_xor.study import probe
from lstm_xor.study.explore import Source
from lstm_xor.tasks.base import bad
from lstm_xor.tasks.parity import TASK
from lstm_xor.train.loop import build_model, train

RUN = "map-ours-variable-1e-2-s4"  # our defaults on lengths 1..50, solved in one epoch: the quickest to rebuild
CACHE = os.path.join(".cache", "explore")
RUNS_DIR = os.path.join("book", "runs")
COUNTS = (1, 2, 4, 8, 16, 32)  # units ablated, or kept, in the findings
TEST_KEYS = ("n", "correct_last_bit", "correct_sequences")


def check_run(run_id):
    """The notebook's ``committed_run``, refused by name unless it is a registered parity run (before any work)."""
    run = reports.BY_ID.get(run_id)
    if run is None or run.config()["task"] != "parity":
        bad("committed_run", run_id, "the id of a registered parity run (book/runs/<id>.json), or '' for none")
    return run_id


def committed_config(run_id, runs_dir):
    """The committed record of a run and its configuration (a RunConfig) as it ran."""
    with open(os.path.join(runs_dir, f"{run_id}.json")) as f:
        record = json.load(f)
    return record, split({k: v for k, v in record["config"].items()})[0]


def rebuild(run_id=RUN, runs_dir=RUNS_DIR, cache=CACHE):
    """(Source of the run's network and test strings, the committed record, the rebuilt network's test figures):
    loaded from ``cache`` when a checkpoint of this configuration is there, else trained again (minutes) into it."""
    committed, config = committed_config(run_id, runs_dir)
    where = os.path.join(cache, run_id)
    try:
        params, _, meta = load_checkpoint(where)
        if meta["config"] != config.to_dict() or meta.get("test") is None:
            raise ValueError("another configuration")
        model = build_model(config)
        model.flat[...] = params
        test = meta["test"]
    except ValueError:
        record = train(config, launch=Launch(metrics_path="", checkpoint_dir=where), progress=False)
        model, test = record["model"], record["test"]
        _add_test(where, test)
    return Source(f"committed run {run_id}", model, TASK.splits(config).test), committed, test


def _add_test(where, test):
    """Keep the rebuilt network's test figures in its checkpoint's meta, for a later load to report them."""
    params, state, meta = load_checkpoint(where)
    save_checkpoint(where, params, state, {k: v for k, v in meta.items() if k != "format"} | {"test": test})


def findings(source, counts=COUNTS):
    """The numbers of the book's page: units by |correlation with the parity|, the step accuracy with every unit
    read, without the k most and the k least correlated, and reading only the k most correlated."""
    order, corr = source.units()
    model, test = source.model, source.test
    full, without, only = source.accuracy(), [], []
    for k in (k for k in counts if k <= len(order)):
        without.append([k, source.accuracy(order[:k].tolist()), source.accuracy(order[-k:].tolist())])
        only.append([k, source.accuracy(order[k:].tolist())])
    return dict(hidden=int(len(order)), units=[int(u) for u in order], correlations=[float(r) for r in corr],
                full=full, without=without, only=only, strings=int(min(len(test), probe.STEP_STRINGS)),
                correlation_strings=int(min(len(test), probe.CORRELATION_STRINGS)), cell=model.cell)


def make(run_id=RUN, runs_dir=RUNS_DIR, cache=CACHE):
    """Everything the page shows, for one committed run: its findings, its test figures committed and rebuilt."""
    source, committed, test = rebuild(run_id, runs_dir, cache)
    rebuilt = {k: test[k] for k in TEST_KEYS}
    return dict(run=run_id, command=f"python -m lstm_xor.study.units --run {run_id} --out book/summary/units.json",
                committed_test={k: committed["test"][k] for k in TEST_KEYS}, rebuilt_test=rebuilt,
                reproduced=rebuilt == {k: committed["test"][k] for k in TEST_KEYS}, **findings(source))


def carriers(found, within=0.01):
    """The fewest of the most correlated units (of those measured) that, read alone, give the accuracy of every
    unit to within ``within``; None when no count measured does."""
    return next((k for k, acc in found["only"] if acc >= found["full"] - within), None)


def table(found):
    """Markdown: per count k, the step accuracy reading only the k most correlated units, without them, and
    without the k least correlated."""
    only = dict((k, acc) for k, acc in found["only"])
    rows = [f"| {k} | {only[k]:.3f} | {strongest:.3f} | {weakest:.3f} |" for k, strongest, weakest in found["without"]]
    return "\n".join(["| k units | reading only the k most correlated | without them | without the k least "
                      "correlated |", "|---|---|---|---|", *rows])


def text(found, within=0.01, chance=0.55):
    """The page's findings in words, every number from ``found``: how many units the parity needs, how many the
    head can lose, and how many it cannot (``chance``: at most this share of the steps right)."""
    only, without = dict(found["only"]), {k: (strongest, weakest) for k, strongest, weakest in found["without"]}
    full, test, k = found["full"], found["committed_test"], carriers(found, within)
    spare = max((n for n, (strongest, _) in without.items() if strongest >= full - within), default=None)
    lost = min((n for n, (strongest, _) in without.items() if strongest <= chance), default=None)
    page = f"../runs/{found['run']}.ipynb"  # from the summary page's folder; a book without the run names it bare
    run = f"[{found['run']}]({page})" if os.path.exists(page) else found["run"]
    words = [f"The network of {run} ({found['cell'].upper()}, "
             f"{found['hidden']} units) predicts {full:.3f} of the steps of {found['strings']} test strings right "
             f"(its record: {test['correct_sequences']:,} of {test['n']:,} whole strings right). Its most correlated "
             f"unit follows the running parity with r = {found['correlations'][0]:+.2f}; read alone, it gives "
             f"{only[1]:.3f}" + (", so one unit carries the parity." if only[1] >= full - within else
                                 ", so no single unit carries the parity.")]
    if k is not None:
        words.append(f"Read alone, its {k} most correlated units give {only[k]:.3f}: they carry it.")
    if spare is not None:
        words.append(f"Without its {spare} most correlated units the head still gets {without[spare][0]:.3f} of "
                     f"the steps right: the others carry the parity too, redundantly.")
    if lost is not None:
        words.append(f"Without its {lost} most correlated it gets {without[lost][0]:.3f}, chance; without its "
                     f"{lost} least correlated, the control, {without[lost][1]:.3f}.")
    return " ".join(words)


def plot(found):
    """Step accuracy against the number of units kept or ablated (log axis of counts), every unit read marked."""
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(8, 3.4), layout="constrained")
    ks = [row[0] for row in found["without"]]
    ax.plot(ks, [acc for _, acc in found["only"]], "o-", label="reading only the k most correlated")
    ax.plot(ks, [row[1] for row in found["without"]], "s-", label="without the k most correlated")
    ax.plot(ks, [row[2] for row in found["without"]], "^--", label="without the k least correlated")
    ax.axhline(found["full"], color="0.4", lw=1, label="every unit read")
    ax.axhline(0.5, color="0.7", lw=1, linestyle=":", label="chance")
    ax.set(xscale="log", xticks=ks, xticklabels=ks, ylim=(0.4, 1.02), xlabel="k units",
           ylabel="test steps right", title=f"{found['run']}: the units that carry the parity")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    return fig


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m lstm_xor.study.units", description=__doc__.split("\n\n")[0])
    parser.add_argument("--run", default=RUN, help=f"a committed parity run's id (default {RUN})")
    parser.add_argument("--runs-dir", default=RUNS_DIR, help="where its record is")
    parser.add_argument("--out", default=os.path.join("book", "summary", "units.json"), help="the JSON written")
    args = parser.parse_args(argv)
    found = make(args.run, args.runs_dir)
    with open(args.out, "w") as f:
        json.dump(found, f, indent=1)
        f.write("\n")
    print(f"{args.out}: {found['hidden']} units; reproduced the committed test counts: {found['reproduced']}")


if __name__ == "__main__":
    main()
