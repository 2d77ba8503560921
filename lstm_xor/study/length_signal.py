"""The signal a label only at the end gives at initialisation, against the string's length: measured before any
training, on the critical-length runs' own configurations (lstm_xor.reports.r000.length_runs: fixed length n,
our defaults, each seed's data and initial weights, computed in float64).

Per length and seed, over every training batch of epoch 0 (BATCHES of 32: the 8,000 training strings, in the
order a run reads them), on the LSTM layer's weights (``l0.W``: input, recurrent and bias columns of every gate;
the head's gradient is left out, it exists at any length):

* ``grad_norm``: the norm of a batch's gradient of the run's loss (the mean cross entropy), averaged;
* ``label_norm``: the same for its *label part*. With two classes the loss's gradient for a string is
  (p - y) dz/dW; with s = 2y - 1 it is (p - 1/2) dz/dW, which no label sets, minus (s/2) dz/dW, which
  carries all that the label says. The label part is half the difference of the gradients with the true
  labels and with every label flipped;
* ``cosine`` and ``label_cosine``: a batch's gradient (whole, or its label part) against the true direction,
  the mean gradient over *every* string of the length (2^n of them, so exact, up to length EXACT; None past
  it), averaged over the batches: near 0, a batch's gradient is noise about a mean too small to follow;
* ``true_label_norm``: the norm of that true label direction, and ``label_share`` its ratio to a batch's
  label part (``label_norm``): the signal a step of 32 strings carries against its noise;
* ``dh1``, ``dc1``: how much the state after the first bit moves the loss: the root mean square over the
  strings of STATE_BATCHES batches of the norm of dL_i/dh_1 (and dL_i/dc_1), L_i one string's cross
  entropy at its end.

Parity of n bits is uncorrelated with every set of fewer than n of them, so a network at initialisation,
whose output depends smoothly and weakly on each bit, sees the label almost only as noise; how fast the
signal falls with n is what this measures.

``python -m lstm_xor.study.length_signal`` writes ``book/summary/length_signal.json`` (minutes).
"""

import argparse
import json
import time
from pathlib import Path

import numpy as np

from lstm_xor.blas import set_blas_threads
from lstm_xor.config import RunConfig
from lstm_xor.reports.r000.length_runs import CRIT, DEFAULT_LR, LENGTHS, SEEDS, lengths_params
from lstm_xor.tasks.base import Batch
from lstm_xor.tasks.parity import ParitySet, batch_arrays
from lstm_xor.train.loop import Trainer

OUT = Path(__file__).resolve().parents[2] / "book" / "summary" / "length_signal.json"
COMMAND = "python -m lstm_xor.study.length_signal"
WEIGHTS = "l0.W"
KEYS = ("grad_norm", "cosine", "label_norm", "label_cosine", "true_label_norm", "label_share", "dh1", "dc1")
BATCHES = 250  # training batches of 32 per length and seed: all of epoch 0 (8,000 strings)
STATE_BATCHES = 20  # of which the first bit's state gradients are taken on these (640 strings)
EXACT = 12  # up to this length the true direction is the mean gradient over every string of the length
CHUNK = 1024  # strings per pass for the true direction


def _trainer(length, seed):
    """The critical-length run's configuration at fixed ``length`` (default rate): its data and initial weights,
    in float64: by length 12 the label's true direction is about 2e-7 of a batch's gradient, near float32's
    relative resolution (6e-8)."""
    return Trainer(RunConfig(**dict(CRIT, **lengths_params("fixed", length), lr=DEFAULT_LR, seed=seed,
                                    dtype="float64")))


def _first_state_grads(model, batch):
    """(H, N) dL_i/dh_1 and dL_i/dc_1 of each string's summed loss: the first bit's state fed to the rest."""
    _, state = model.forward(batch.x[:, :1], np.ones(len(batch.lengths), dtype=batch.lengths.dtype))
    model.loss(batch.x[:, 1:], batch.lengths - 1, batch.y, batch.mask, reduction="sum", state=state, train=False)
    return [g.astype(np.float64) for g in model.state_grads[0]]


def _weight_grad(trainer, batch, y):
    """The run's loss's gradient over one batch with labels ``y``, on the LSTM layer's weights (float64, flat)."""
    model = trainer.model
    model.loss(batch.x, batch.lengths, y, batch.mask, trainer.config.loss_reduction,
               batch.loss_positions(trainer.every))
    return model.grads[WEIGHTS].astype(np.float64).ravel()


def _population(length):
    """Every string of the length: the population whose mean gradient is the true direction."""
    bits = (np.arange(2 ** length)[:, None] >> np.arange(length)) & 1
    return ParitySet(bits.astype(np.uint8), np.full(len(bits), length))


def _true_directions(trainer, length):
    """(whole, label part): the mean gradient over every string of the length (2^length of them)."""
    data, dtype = _population(length), trainer.model.dtype
    whole, label = 0.0, 0.0
    for index in np.array_split(np.arange(len(data)), max(1, len(data) // CHUNK)):
        batch = Batch(*batch_arrays(data, index, "final", dtype))
        g = _weight_grad(trainer, batch, batch.y)
        share = len(index) / len(data)
        whole = whole + share * g
        label = label + share * (g - _weight_grad(trainer, batch, 1 - batch.y)) / 2
    return whole, label


def _cosines(G, direction):
    return G @ direction / (np.linalg.norm(G, axis=1) * np.linalg.norm(direction))


def measure_one(length, seed, batches=BATCHES, state_batches=STATE_BATCHES):
    """{key: value} for one length and seed over the first ``batches`` training batches of epoch 0."""
    trainer = _trainer(length, seed)
    config, model = trainer.config, trainer.model
    full, label, dh1, dc1 = [], [], [], []
    for k, index in enumerate(trainer.task.batches(config, trainer.splits.train, 0)[:batches]):
        batch = trainer.task.batch(config, trainer.splits.train, index, model.dtype)
        full.append(_weight_grad(trainer, batch, batch.y))
        label.append((full[-1] - _weight_grad(trainer, batch, 1 - batch.y)) / 2)
        if k < state_batches:
            dh, dc = _first_state_grads(model, batch)
            dh1 += list((dh ** 2).sum(axis=0))
            dc1 += list((dc ** 2).sum(axis=0))
    full, label = np.array(full), np.array(label)
    label_norm = np.linalg.norm(label, axis=1).mean()
    out = dict(grad_norm=float(np.linalg.norm(full, axis=1).mean()), label_norm=float(label_norm),
               dh1=float(np.sqrt(np.mean(dh1))), dc1=float(np.sqrt(np.mean(dc1))))
    if length > EXACT:  # 2^length strings: too many (a sample's mean would be mostly noise)
        return dict(out, cosine=None, label_cosine=None, true_label_norm=None, label_share=None)
    true_full, true_label = _true_directions(trainer, length)
    return dict(out, cosine=float(_cosines(full, true_full).mean()),
                label_cosine=float(_cosines(label, true_label).mean()),
                true_label_norm=float(np.linalg.norm(true_label)),
                label_share=float(np.linalg.norm(true_label) / label_norm))


def measure(lengths=LENGTHS, seeds=SEEDS, batches=BATCHES):
    """{"rows": {length: {key: [one value per seed]}}, ...} over lengths and seeds (a count: 0 .. seeds - 1)."""
    seeds = tuple(range(seeds)) if isinstance(seeds, int) else tuple(seeds)
    start = time.perf_counter()
    rows = {}
    for length in lengths:
        each = [measure_one(length, seed, batches) for seed in seeds]
        rows[str(length)] = {key: [e[key] for e in each] for key in KEYS}
    return dict(command=COMMAND, lengths=list(lengths), seeds=list(seeds), batches=batches,
                state_batches=STATE_BATCHES, weights=WEIGHTS, rows=rows,
                seconds=round(time.perf_counter() - start, 1))


def main(argv=None):
    parser = argparse.ArgumentParser(prog=COMMAND, description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=str(OUT))
    args = parser.parse_args(argv)
    set_blas_threads(1)
    found = measure()
    Path(args.out).write_text(json.dumps(found, indent=1) + "\n")
    print(f"wrote {args.out} in {found['seconds']} s")


if __name__ == "__main__":
    main()
