"""Report 000's funnel, stage 1 (issue 21): the slips a hand-written LSTM makes, one at a time, at the report's
full epochs and without ``stop_when``, so that a late collapse can show; and item 5's replay of the uniform run
with its gradient norm logged at every step.

The issue asks for every slip (lstm_xor.nn.slips, the Adam slips, clip_value, the reference code's habits:
lstm_xor.study.slips.HABITS) alone at both failing configurations of the first round (causes_runs.CAUSES: fixed
length at lr 0.0008 for 12 epochs, the report's run 4; lengths 1..50 at lr 0.0004 for 13 epochs, its run 3),
3 seeds each, and the first round's mechanics (causes_runs.MECHANICS) at one configuration each: 13 slips x 2
x 3 + 8 = 86 runs. One run at the report's full epochs costs 0.15-0.45 process-hours here (fixed length: 12
epochs, about 50 process-seconds an epoch in the replays fixed-03..05, 100-140 in the loaded first round, a
readable backward pass with a cell slip twice the baseline's per step; lengths 1..50 about half of that), so the
86 would take 13-39 process-hours; this item has about 2.5. ``runs --plan --only 'funnel-*'`` (with the
replays fixed-04 and variable-03 in the book to time them by) says 0.53 hours of notebook time for the 8
below, about 1.1 process-hours at 2 engines, from the replays' unloaded rates; with the cell slips' slower
backward and a loaded machine, 1.5-2.5.

**The cut.** Stage 1 runs ``STAGE1`` only: 8 runs, one seed, one configuration each, in priority order (the
driver runs the shorter fixed-length ones first), chosen from the gradient table measured before any training
(book/summary/slip_gradients.json, python -m lstm_xor.study.slips) and each slip's mechanism: a slip that
predicts one of the report's signatures (lstm_xor.reports.r000.signatures) goes in, the one it predicts named
in ``why``. Adam rescales each weight's step by its own gradient history, so a slipped gradient's norm ratio
alone moves little; its cosine (the direction) and the norm ratio of Adam's slipped *step* are what predict.
Every other (slip, configuration) pair, the seeds 1-2 and the mechanics but one are listed in ``not_run()``
with the reason, which the funnel page shows beside what the gradient table already says of them. The
configuration with no slip (the baseline) needs no run: the replays fixed-04 and variable-03 are those
configurations at the full epochs without stop_when.

``schedule_restart`` (Adam's state lost where the rate changes) is a no-op at a constant rate: at both
configurations it is the baseline bit for bit; it needs a schedule (the report's runs 11-27), and the driver
would not share its first 20 epochs with a replay's (adam_variant is not a parameter a prefix may differ in),
so it is left to stage 2.

Item 5 (``uniform-*``): the report's uniform run (runs.REPORT_RUNS' fixed-uniform, U[0, 1), our reading) again
with ``log_grad_norm``, the same numbers plus every step's gradient norm, and the other reading U[-1, 1)
(``init='uniform_symmetric'``), both at its 21 epochs.
"""

from lstm_xor.reports.base import Group, Run
from lstm_xor.reports.r000.causes_runs import CAUSES, MECHANICS

SEED = 0

# tag: (run parameters, what the slip is, the gradient table's row or None) -- every slip of issue 21, item 1
SLIPS = {
    "rnt": (dict(backprop_slip="recurrent_not_transposed"), "the recurrent matrix not transposed going back a step",
            "recurrent_not_transposed"),
    "nodh": (dict(backprop_slip="no_carried_dh"), "no dh carried back a step", "no_carried_dh"),
    "nodc": (dict(backprop_slip="no_carried_dc"), "no dc carried back a step", "no_carried_dc"),
    "dcnof": (dict(backprop_slip="dc_without_forget"), "dc carried back without the forget gate's factor",
              "dc_without_forget"),
    "gnz": (dict(backprop_slip="grads_not_zeroed"), "gradient buffers never zeroed (each step adds to the last)",
            "grads_not_zeroed"),
    "nosqrt": (dict(adam_variant="no_sqrt"), "Adam without the square root on its second moment",
               "adam_variant=no_sqrt"),
    "swapped": (dict(adam_variant="betas_swapped"), "Adam's two betas swapped", "adam_variant=betas_swapped"),
    "restart": (dict(adam_variant="schedule_restart"), "Adam's state lost at a schedule change",
                "adam_variant=schedule_restart"),
    "refstep": (dict(adam_variant="reference_step"), "the reference code's Adam step count, epoch x epochs + "
                "batch + 1 (reference_epochs: the configuration's epochs)", None),
    "clip5": (dict(clip_value=5.0), "each gradient element clipped to ±5 (the reference code)", "clip_value=5"),
    "scratchml": (dict(init="scratchml"), "the reference code's initialisation", None),
    "carry": (dict(carry_state=True), "(h, c) carried from one batch to the next (the reference code)", None),
    "droplast": (dict(drop_last_batch=True), "the last batch of every epoch skipped (the reference code)", None),
}

# Stage 1, in priority order: (tag, configuration, the signature the slip predicts and why, from the table)
STAGE1 = (
    ("nosqrt", "fixed", "above chance: Adam's step without the root is 257 times the true one at initialisation "
                        "(cosine 0.20) and 3.4 times half-trained; a divergence that ends above chance, as the "
                        "report's runs 4 and 5 and its uniform run did"),
    ("carry", "fixed", "above chance: each string starts from the last string's state, whose parity it cannot "
                       "see; a network that learns parity from its state is confidently wrong on about half the "
                       "training strings (no gradient row: it changes the inputs to the loss, not the gradient's "
                       "computation)"),
    ("gnz", "fixed", "a late collapse: exact at the first step, then the sum of every gradient so far, 13 times "
                     "the true one and at cosine 0.37 half-trained; it points further away the longer a run goes"),
    ("dcnof", "fixed", "no learning or a slow climb: cosine 0.31 at initialisation, 0.28 half-trained (the norm, "
                       "500-1000 times, Adam mostly rescales away)"),
    ("swapped", "variable", "a slow climb: exact at the first step, then Adam's step 0.015 of the true one "
                            "half-trained at these lengths (0.011 at fixed length)"),
    ("rnt", "variable", "a slow climb: a gradient at cosine 0.4-0.7 of the true one, its norm right; the only slip "
                        "every shape check passes"),
    ("clip5", "variable", "a slow climb: the reference code's clip, which the report's text echoes, keeps 0.30 of "
                          "the gradient's norm half-trained (0.14 at fixed length) at cosine 0.64"),
)
# The first round's mechanics at full epochs without stop_when: (mechanic, configuration, why this one)
MECHANICS_RUN = (
    ("order", "variable", "the report's data order (one order every epoch: the reading summary/evidence.ipynb "
                          "doubts) and its 5-batch step, at the lengths where both differ from ours"),
)

CUT = {  # why a slip has no stage-1 run, beyond the budget (which cuts every second configuration and seed)
    "nodh": "its gradient is at cosine 0.66 (0.84 at lengths 1..50) of the true one at initialisation, the "
            "nearest of the backward slips but no_carried_dc; prefix labels need a single step of memory",
    "nodc": "cosine 0.88 half-trained: the slip nearest the true gradient once the network learns",
    "restart": "a no-op at a constant rate (the baseline itself); it needs a schedule (stage 2)",
    "refstep": "it scales Adam's step without turning it: the first step of each epoch 0.26 of the true one, "
               "back to 1 within the epoch; a slower start of each epoch, no failure",
    "scratchml": "an initialisation of the same scale as ours (N(0, 1/(D + H)) against Xavier and orthogonal): "
                 "the first round's replays learn from either",
    "droplast": "one batch of 500 (504) left out of every epoch",
}


def lr_epochs(data):
    """(lr, epochs) of a failing configuration of the first round (causes_runs.CAUSES)."""
    _, lr, epochs = CAUSES[data]
    return lr, epochs


def slip_params(tag, data):
    """The run parameters of a slip at a configuration (reference_step counts the configuration's epochs)."""
    params = dict(SLIPS[tag][0])
    if tag == "refstep":
        params["reference_epochs"] = lr_epochs(data)[1]
    return params


def run_id(data, tag, seed=SEED):
    return f"funnel-{data}-{tag}-s{seed}"


def _run(report, lengths, data, tag, params, text, why):
    lr, epochs = lr_epochs(data)
    return Run(run_id(data, tag), f"funnel-{data}", f"funnel, {data}, {tag}",
               dict(lengths, lr=lr, epochs=epochs, seed=SEED, **params), None,
               f"Report run {CAUSES[data][0]}'s configuration at its full {epochs} epochs, no stop rule, with "
               f"{text}; seed {SEED}. Predicted: {why}.", base=dict(report))


def stage1_runs(report, lengths):
    """The registered stage-1 runs: the slips of STAGE1, then the mechanics of MECHANICS_RUN."""
    slips = [_run(report, lengths[d], d, tag, slip_params(tag, d), SLIPS[tag][1], why) for tag, d, why in STAGE1]
    mechanics = [_run(report, lengths[d], d, name, MECHANICS[name][0], MECHANICS[name][1], why)
                 for name, d, why in MECHANICS_RUN]
    return tuple(slips + mechanics)


def not_run():
    """[(slip or mechanic, configuration, why)] of every pair the issue's stage 1 asks for and ours does not run
    (the seeds 1 and 2 of those run are cut too, for the budget)."""
    ran = {(tag, d) for tag, d, _ in STAGE1} | {(name, d) for name, d, _ in MECHANICS_RUN}
    out = []
    for tag in SLIPS:
        for d in CAUSES:
            if (tag, d) not in ran:
                out.append((tag, d, CUT.get(tag, "the budget: one configuration per slip")))
    mechanic = {name for name, _, _ in MECHANICS_RUN}
    out += [(name, "one of the two", "the budget; the first round (with stop_when) solved every configuration "
                                     "with it in 1-4 epochs")
            for name in MECHANICS if name not in mechanic | {"none"}]  # none: the replays are its runs
    return out


# Item 5: the uniform run replayed with its gradient norms, and the other reading of "uniform random weights"
UNIFORM_RUN = "fixed-uniform"
UNIFORM = {"uniform-norms": ("uniform", "U[0, 1), our reading of the report's run, as fixed-uniform"),
           "uniform-symmetric": ("uniform_symmetric", "U[-1, 1), the other reading")}


def uniform_runs(report_runs):
    """The report's uniform run with log_grad_norm, at both readings of its initialisation."""
    run = next(r for r in report_runs if r.id == UNIFORM_RUN)
    return tuple(Run(id, "uniform-norms", f"uniform initialisation {init}, gradient norms",
                     dict(run.params, init=init, log_grad_norm=True), None,
                     f"The report's uniform run ({UNIFORM_RUN}: {run.params['lr']:g}, {run.params['epochs']} "
                     f"epochs) with weights from {text}, every step's gradient norm recorded (before clipping; "
                     f"the report's settings clip nothing).", base=dict(run.base))
                 for id, (init, text) in UNIFORM.items())


# Stage 2. Of stage 1's slips only betas_swapped showed the report's signatures (above chance, a climb, a
# collapse; funnel_tables); the backward slips that never learned end at chance, not above it. So swapped goes to
# every failing configuration the report documents (report run: seeds), the knife edge's learning side
# (fixed-03, beside fixed-05) included, with the learning probe on (probe_every). Three seeds where the budget
# allows; one at the four variable rates 0.00025-0.000349 that repeat run 5's neighbourhood (cut: 0.26
# process-hours). Run 8 continues run 5: the driver computes run 5's epochs once.
SWAPPED_SEEDS = {"fixed-01": 3, "fixed-02": 3, "fixed-03": 3, "fixed-04": 3, "fixed-05": 3, "variable-01": 3,
                 "variable-02": 3, "variable-03": 3, "variable-05": 3, "variable-08": 3, "variable-06": 1,
                 "variable-07": 1, "variable-09": 1, "variable-10": 1}
# The restart (Adam's state lost at the rate change) where the report's loss jumped 44 -> 123-170 whatever the
# new rate: the largest new rate (run 11, 0.00025) and the smallest (run 17, 0.000001); the two share their
# first 20 epochs, computed once per seed.
RESTART = ("variable-11", "variable-17")
SEEDS = range(3)
# The first round's mechanics not run at full epochs in stage 1 (float64 cut: three times the cost), at run 3's
# configuration; and the one pair that looks likely: swapped with the reference code's clip.
MECHANICS2 = ("exclusive", "step", "nobias", "epsin", "reset")
PAIR = ("swapped", "clip5")
PROBE_EVERY = 100  # iterations between probes: 5 an epoch at the report's 500 (504) steps
PROFILE_REPLAY = "fixed-04"  # item 6: a replay that learns, probed every 25 steps for its first 4 epochs


def stage2_id(report_run, tag, seed):
    return f"funnel2-{report_run}-{tag}-s{seed}"


def _stage2_run(run, tag, params, seed, text, group):
    return Run(stage2_id(run.id, tag, seed), group, f"stage 2, {run.id}, {tag}, seed {seed}",
               dict(run.params, seed=seed, probe_every=PROBE_EVERY, **params), None,
               f"The report's {run.title[len('Report, '):]} ({run.id}) at its full {run.params['epochs']} epochs, "
               f"no stop rule, with {text}; seed {seed}; the held-out sample's accuracy every {PROBE_EVERY} "
               "iterations.", base=dict(run.base))


def stage2_runs(report_runs):
    """Stage 2's registered runs, by group: swapped everywhere, the restart, the mechanics and the pair."""
    by_id = {r.id: r for r in report_runs}
    swapped = [_stage2_run(by_id[rid], "swapped", SLIPS["swapped"][0], seed, SLIPS["swapped"][1],
                           "funnel2-swapped") for rid, n in SWAPPED_SEEDS.items() for seed in range(n)]
    restart = [_stage2_run(by_id[rid], "restart", SLIPS["restart"][0], seed, SLIPS["restart"][1],
                           "funnel2-restart") for rid in RESTART for seed in SEEDS]
    run3 = by_id[CAUSES["variable"][0]]
    others = [_stage2_run(run3, name, MECHANICS[name][0], 0, MECHANICS[name][1], "funnel2-mechanics")
              for name in MECHANICS2]
    pair = {k: v for tag in PAIR for k, v in SLIPS[tag][0].items()}
    others.append(_stage2_run(run3, "-".join(PAIR), pair, 0, " and ".join(SLIPS[t][1] for t in PAIR),
                              "funnel2-mechanics"))
    replay = by_id[PROFILE_REPLAY]
    profile = Run(f"profile-{replay.id}", "funnel2-mechanics", f"learning probed, {replay.id}",
                  dict(replay.params, epochs=4, probe_every=25), None,
                  f"The replay {replay.id} (seed 0) for 4 epochs, the held-out sample's accuracy every 25 "
                  "iterations: what learning looks like when it succeeds.", base=dict(replay.base))
    return swapped + restart + others + [profile]


STAGE2_GROUPS = {"funnel2-swapped": "Report 000 funnel, stage 2: Adam's betas swapped at every failing run",
                 "funnel2-restart": "Report 000 funnel, stage 2: Adam's state lost at the schedule change",
                 "funnel2-mechanics": "Report 000 funnel, stage 2: the mechanics at full epochs, a pair, a probed "
                                      "replay"}


def groups(report, fixed, variable, report_runs):
    """Stage 1's groups, item 5's and stage 2's, given the report's settings, its two kinds of data and its runs."""
    lengths = {"fixed": fixed, "variable": variable}
    runs = stage1_runs(report, lengths)
    second = stage2_runs(report_runs)
    return (*(Group(f"funnel-{d}", f"Report 000 funnel, stage 1: {d} length, lr {CAUSES[d][1]:g}",
                    tuple(r for r in runs if r.group == f"funnel-{d}")) for d in CAUSES),
            Group("uniform-norms", "Report 000: the uniform initialisation's gradient norms",
                  uniform_runs(report_runs)),
            *(Group(name, title, tuple(r for r in second if r.group == name)) for name, title in STAGE2_GROUPS.items()))
