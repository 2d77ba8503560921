"""Learning seen between epochs (``probe_every``): the task's metrics on a fixed held-out sample every few
iterations, and after training which positions are wrong in the test sequences that are wrong.

An epoch's test says where a run stands once an epoch. Report 000's accuracy climbs over many epochs while our
replays jump from chance to every string right inside one (issue 21), so the shape of learning inside an epoch
needs a finer look, and a wrong string's profile (one brief error, or a lost parity state from some position on)
tells the two kinds of failure apart. The sample is the first ``PROBE_SEQUENCES`` of the test split. Evaluating
draws no random number, so a probed run trains exactly as an unprobed one.
"""

import numpy as np

PROBE_SEQUENCES = 1000


def probe_sample(trainer, history, iterations):
    """After ``iterations`` iterations of the run (resumed ones counted): every ``probe_every``, the sample's
    metrics appended to the history's ``probe_<metric>`` beside ``probe_iteration``. Called on every rank."""
    every = trainer.config.probe_every
    if not every or iterations % every:
        return
    test = trainer.splits.test
    metrics = trainer.evaluate(test, index=np.arange(min(PROBE_SEQUENCES, len(test.lengths))))
    history.setdefault("probe_iteration", []).append(iterations)
    for key in trainer.task.history_metrics:
        history.setdefault(f"probe_{key}", []).append(metrics[key])


def position_errors(trainer, batch_size=1000):
    """The test split's wrong positions (rank 0, after training): {"wrong_at": strings wrong at position t, for
    t = 1 .. the longest, "wrong_count": wrong strings with k wrong positions, k = 1 .. the longest, "n"};
    None for a task that cannot say (one output per sequence)."""
    task, model, data = trainer.task, trainer.model, trainer.splits.test
    totals = None
    for start in range(0, len(data.lengths), batch_size):
        batch = task.batch(trainer.config, data, np.arange(start, min(start + batch_size, len(data.lengths))),
                           model.dtype)
        _, out, _ = model.loss(batch.x, batch.lengths, batch.y, batch.mask, "sum", train=False, backward=False)
        counts = task.position_errors(out, batch, task.longest(trainer.config, data))
        if counts is None:
            return None
        totals = counts if totals is None else totals + counts
    longest = len(totals) // 2
    return {"wrong_at": totals[:longest].astype(int).tolist(), "wrong_count": totals[longest:].astype(int).tolist(),
            "n": len(data.lengths)}
