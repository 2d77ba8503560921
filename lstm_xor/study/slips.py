"""Each slip's gradient against the true one on report 000's configuration, before any training with it:
the cosine similarity and the norm ratio (|slipped| / |true|), at initialisation and at a half-trained point.
A slip whose gradient is nearly right cannot explain a failure; one that points away can.

The configurations are report 000's (``reports.r000.runs``: LSTM, hidden 100, one step = 160 strings = 5 x 32,
summed cross entropy, a label at every step, one length per batch, float32), at fixed length 50 and at lengths
1..50. The gradients are those of whole test-set batches of 160 (``batches`` per seed, the test split's first
batches of its epoch 0; seeds draw the data and the weights), in float64 for the cosine.

The half-trained point: no checkpoint of these configurations is kept under ``book/runs/.cache/checkpoints``,
so the true model is trained here, from each seed, with the report's Adam at the configuration's rate, until
the mean of its last 10 batch losses is at most half of chance (``HALF``: half of 160 x length x ln 2 per
batch), or ``max_steps``. The steps it took are in the JSON.

Rows: the backprop slips (``lstm_xor.nn.slips``), one at a time; ``grads_not_zeroed`` as the gradient of the
batch plus the sum of every true training gradient before it (at initialisation: the true gradient itself);
``clip_value=5`` (each element clipped to +-5, the reference code's clip). Adam's slips compare steps, not
gradients: the step the slipped Adam takes with the batch's gradient against the step the true Adam takes,
from the state the true run reached (no_sqrt: the same moments; betas_swapped: moments kept with swapped
betas over the same gradients; schedule_restart: a fresh state, as at a schedule change). At initialisation
betas_swapped and schedule_restart take the true first step (m_hat = g, v_hat = g^2), so their rows read 1 there.
``reference_step`` is left out: it scales a step without turning it, by [sqrt(1 - b2^c) / (1 - b1^c)] /
[sqrt(1 - b2^t) / (1 - b1^t)] for its count c against the true t; the first step of epoch 1 after 500 steps
(t = 501) with 20 epochs (c = 21) is 0.258 of the true one, 3.9 times smaller.

``python -m lstm_xor.study.slips`` writes ``book/summary/slip_gradients.json``; :func:`markdown` renders it.
"""

import argparse
import itertools
import json
import math
import time
from pathlib import Path

import numpy as np

from lstm_xor.blas import set_blas_threads
from lstm_xor.config import RunConfig
from lstm_xor.optim import Adam
from lstm_xor.render import mean_sd_text
from lstm_xor.reports.r000.runs import FIXED, REPORT, VARIABLE
from lstm_xor.train.loop import Trainer

OUT = Path(__file__).resolve().parents[2] / "book" / "summary" / "slip_gradients.json"
COMMAND = "python -m lstm_xor.study.slips"
CONFIGURATIONS = {"fixed": dict(REPORT, **FIXED, lr=0.0008), "variable": dict(REPORT, **VARIABLE, lr=0.0004)}
SLIPS = ("recurrent_not_transposed", "no_carried_dh", "no_carried_dc", "dc_without_forget", "grads_not_zeroed",
         "clip_value=5", "adam_variant=no_sqrt", "adam_variant=betas_swapped", "adam_variant=schedule_restart")
CLIP = 5.0
HALF = 0.5  # the half-trained point: the last 10 batch losses' mean at most this fraction of chance
SEEDS, BATCHES, MAX_STEPS = (0, 1, 2), 3, 1500


# What a port of report 000's reference code [8] to batches and MPI would carry over, read from
# christinakouridi/scratchML VanillaLSTM/VanillaLSTM.py at commit f98088a5cc47dba8ddd64f8c2d16b7f970134488:
# (its lines, the habit, the run parameter that makes it here, or why none does).
REFERENCE = "christinakouridi/scratchML, VanillaLSTM/VanillaLSTM.py (commit f98088a)"
HABITS = (
    ("26-47", "every gate's weights, input and recurrent alike, from N(0, 1/(D + H)) (its 'Xavier'); the forget "
              "bias 1, the other biases 0; the output layer from N(0, 1/C), scaled by its output size",
     "init=scratchml"),
    ("74-80, 296", "each gradient element clipped to ±5 after the backward; no norm clip",
     "clip_value=5, clip_norm=0"),
    ("50-54, 82-88, 212", "the gradients are class members, added to at every step, and zeroed before each backward",
     "the default; never zeroed: backprop_slip=grads_not_zeroed"),
    ("298", "Adam's step count epoch * self.epochs + batch + 1 (self.epochs, 'no. of training iterations' at line "
            "19, where the batches per epoch belong)", "adam_variant=reference_step, reference_epochs=E"),
    ("90-103", "Adam otherwise as the paper: betas 0.9 and 0.999 (line 10), eps 1e-8 outside the square root, "
               "bias-corrected", "the default (adam_variant=standard)"),
    ("202-210", "the loss summed over a sequence's steps", "loss_reduction=sum (the report's)"),
    ("281-283, 290", "h and c carried from one batch to the next within an epoch (no gradient across: dh_next and "
                     "dc_next start at zero, lines 214-215), reset to zero at each epoch's start", "carry_state=true"),
    ("285", "the batch loop range(0, len(X) - seq_len, seq_len) stops one batch early: the last full batch of "
            "every epoch is never trained on", "drop_last_batch=true"),
    ("145-188", "the backward pass is right: dh_prev is the h rows of sum_k W_k.T da_k (181-186), dc_prev = f dc "
                "(187); a faithful port makes none of the backprop slips, a port's own edits can",
     "backprop_slip (each slip)"),
    ("67-72", "softmax over the whole array (np.max, np.sum without an axis): on a (C, N) batch it normalises over "
              "the batch, and the summed loss of 32 strings can never drop below 32 ln 32 = 111 a step (5545 over "
              "50 steps); the report's losses of 44 and 1 rule it out", "none (ruled out)"),
    ("58, 293, 303", "the loss printed each epoch is a moving average, 0.999 s + 0.001 loss from seq_len ln(vocab); "
                     "it moves no training number, but a printed loss may be such an average", "none (reporting)"),
    ("223-270", "the gradient check: 10 random entries per parameter, analytical and numerical values averaged "
                "before the comparison (257-258), relative error 1e-2, failing only when one of them is >= 1e-6 "
                "(263: negative gradients always pass); weak enough to pass a slipped backward",
     "none (moves no number)"),
    ("18, 278-279", "a batch is one sequence of seq_len steps, no batch dimension: a port adds one (where lines "
                    "71-72 bite)", "none"),
    ("29-47, 118", "weights and samples from NumPy's global, unseeded generator: no run repeats", "none (we seed)"),
)


def habits_markdown():
    """The reference code's habits as a Markdown table: lines, habit, the run parameter that makes it here."""
    rows = [f"| {lines} | {habit} | {option} |" for lines, habit, option in HABITS]
    return "\n".join([f"Habits of {REFERENCE}:", "", "| lines | habit | here |", "|---|---|---|", *rows])


def _trainer(name, seed):
    config = RunConfig(**dict(CONFIGURATIONS[name], seed=seed))
    trainer = Trainer(config)
    batches = trainer.task.batches(config, trainer.splits.test, 0)
    return trainer, batches


def _gradient(trainer, index, slips=frozenset()):
    """The summed loss's gradient over one batch of the test split, with these cell slips (float64 copy)."""
    config, model = trainer.config, trainer.model
    batch = trainer.task.batch(config, trainer.splits.test, index, model.dtype)
    model.backprop_slips = frozenset(slips)
    try:
        model.loss(batch.x, batch.lengths, batch.y, batch.mask, config.loss_reduction,
                   batch.loss_positions(trainer.every))
    finally:
        model.backprop_slips = frozenset()
    return model.grad_flat.astype(np.float64)


def _adam_step(variant, state, grad):
    """The step Adam (``variant``) takes with ``grad`` from ``state`` (None: a fresh one), at lr 1."""
    adam = Adam(grad.size, np.float64, variant=variant)
    if state is not None:
        adam.load_state(state)
    params = np.zeros(grad.size)
    adam.step(params, grad, 1.0)
    return -params


def _pair(slip, trainer, index, point):
    """(true, slipped) for one batch: the gradients, or for Adam's slips the steps both take from the state
    the true run reached (``point``: grad_sum, adam, swapped; see half_train)."""
    grad = _gradient(trainer, index)
    if slip.startswith("adam_variant="):
        variant = slip.split("=")[1]
        state = {"betas_swapped": point["swapped"], "schedule_restart": None}.get(variant, point["adam"])
        return _adam_step("standard", point["adam"], grad), _adam_step(variant, state, grad)
    if slip == "grads_not_zeroed":
        return grad, grad + point["grad_sum"]
    if slip.startswith("clip_value="):
        return grad, np.clip(grad, -CLIP, CLIP)
    return grad, _gradient(trainer, index, {slip})


def _compare(slip, trainer, batches, n_batches, point):
    """(cosines, norm ratios) of the slipped vector against the true one over the first n batches."""
    cosines, ratios = [], []
    for index in batches[:n_batches]:
        true, slipped = _pair(slip, trainer, index, point)
        a, b = np.linalg.norm(true), np.linalg.norm(slipped)
        cosines.append(float(true @ slipped / (a * b)))
        ratios.append(float(b / a))
    return cosines, ratios


def _initial(trainer):
    return {"grad_sum": np.zeros(trainer.model.n_params()), "adam": None, "swapped": None}


def compare_at_init(slip, seeds=SEEDS, batches=BATCHES, configuration="fixed"):
    """{"cosine": [...], "norm_ratio": [...]} over seeds x batches at the initial weights."""
    out = {"cosine": [], "norm_ratio": []}
    for seed in seeds:
        trainer, test_batches = _trainer(configuration, seed)
        c, r = _compare(slip, trainer, test_batches, batches, _initial(trainer))
        out["cosine"] += c
        out["norm_ratio"] += r
    return out


def half_train(trainer, max_steps=MAX_STEPS):
    """Train the true model (epoch after epoch, as a run would) until its last 10 batch losses average at most
    HALF of chance, or max_steps; returns (steps, fraction of chance at the end, the point: the float64 sum of
    every training gradient, the true Adam's state, and the state an Adam with swapped betas reached on the
    same gradients)."""
    config, P = trainer.config, trainer.model.n_params()
    grad_sum, swapped, scratch = np.zeros(P), Adam(P, np.float64, variant="betas_swapped"), np.zeros(P)
    fractions = []
    for epoch in itertools.count():
        for index in trainer.task.batches(config, trainer.splits.train, epoch):
            batch = trainer.task.batch(config, trainer.splits.train, index, trainer.model.dtype)
            loss, _ = trainer.step(index, config.lr)
            grad_sum += trainer.model.grad_flat
            swapped.step(scratch, trainer.model.grad_flat.astype(np.float64), 1.0)
            fractions.append(loss / (batch.loss_positions(trainer.every) * math.log(2)))
            if len(fractions) >= max_steps or (len(fractions) >= 10 and np.mean(fractions[-10:]) <= HALF):
                adam = {k: np.copy(v) for k, v in trainer.optimizer.state().items()}
                return len(fractions), float(np.mean(fractions[-10:])), dict(grad_sum=grad_sum, adam=adam,
                                                                              swapped=swapped.state())


def measure(configuration, seeds=SEEDS, batches=BATCHES, max_steps=MAX_STEPS, slips=SLIPS):
    """One configuration's rows: {slip: {"init": {...}, "trained": {...}}} and the half-training's facts."""
    rows = {slip: {"init": {"cosine": [], "norm_ratio": []}, "trained": {"cosine": [], "norm_ratio": []}}
            for slip in slips}
    trained = {"steps": [], "fraction_of_chance": []}
    for seed in seeds:
        trainer, test_batches = _trainer(configuration, seed)
        for name in ("init", "trained"):
            point = _initial(trainer)
            if name == "trained":
                steps, fraction, point = half_train(trainer, max_steps)
                trained["steps"].append(steps)
                trained["fraction_of_chance"].append(fraction)
            for slip in slips:
                c, r = _compare(slip, trainer, test_batches, batches, point)
                rows[slip][name]["cosine"] += c
                rows[slip][name]["norm_ratio"] += r
    return rows, trained


def build(seeds=SEEDS, batches=BATCHES, max_steps=MAX_STEPS):
    start = time.perf_counter()
    out = {"command": COMMAND, "seeds": list(seeds), "batches_per_seed": batches, "batch_strings": 160,
           "half_trained": f"the true model trained from each seed at the configuration's lr until its last 10 "
                           f"batch losses average at most {HALF} of chance, or {max_steps} steps",
           "compared": {slip: "Adam step" if slip.startswith("adam_variant=") else "gradient" for slip in SLIPS},
           "clip_value": CLIP, "configurations": {}}
    for name, params in CONFIGURATIONS.items():
        rows, trained = measure(name, seeds, batches, max_steps)
        out["configurations"][name] = {"params": params, "trained": trained, "rows": rows}
    out["seconds"] = round(time.perf_counter() - start, 1)
    return out


def markdown(table, configuration="fixed"):
    """The table for one configuration: each slip's cosine and norm ratio, mean ± sd over n (seeds x batches)."""
    part = table["configurations"][configuration]
    lines = ["| slip | compared | cosine at init | norm ratio at init | cosine half-trained | "
             "norm ratio half-trained | n |", "|---|---|---|---|---|---|---|"]
    for slip, row in part["rows"].items():
        cells = [mean_sd_text(row[p][k]) for p in ("init", "trained") for k in ("cosine", "norm_ratio")]
        lines.append(f"| {slip} | {table['compared'][slip]} | {' | '.join(cells)} | {len(row['init']['cosine'])} |")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(prog=COMMAND, description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=str(OUT), help="where the JSON goes")
    args = parser.parse_args(argv)
    set_blas_threads(1)  # products this small run slower on two threads here (DESIGN.md)
    table = build()
    Path(args.out).write_text(json.dumps(table, indent=1) + "\n")
    for name in table["configurations"]:
        print(f"{name}:\n{markdown(table, name)}\n")


if __name__ == "__main__":
    main()
