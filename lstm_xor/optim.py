"""Optimisers written by hand, over one flat parameter vector and its gradient.

Working on flat buffers keeps each update to a handful of vectorised calls and
makes the optimiser state one array per moment, easy to checkpoint and to keep
identical on every rank.
"""

import numpy as np

OPTIMIZERS = ("adam", "sgd")
# Adam as the paper has it ("standard"), or with slips a from-scratch implementation commonly makes,
# one or several joined by '+', so that their effect can be measured: no bias correction; eps inside
# the square root; the step counter reset at every epoch (the bias correction then restarts, and with
# it the large first steps); no square root on the second moment (m_hat / (v_hat + eps)); beta1 and
# beta2 swapped (0.999 for the mean, 0.9 for the second moment); the state (m, v, t) lost where the
# learning-rate schedule changes, as a restart from saved weights without the optimiser's state would;
# the step count of the report's reference code (christinakouridi/scratchML, VanillaLSTM.py line 298:
# ``batch_num = epoch * self.epochs + j / self.seq_len + 1``), the number of epochs where the batches
# per epoch belong, so from the second epoch on the bias correction restarts near epoch * epochs (that
# number of epochs is its own parameter, ``reference_epochs``: the count must not change with the
# epochs a run is cut to, or runs that share their first epochs would not).
ADAM_SLIPS = ("no_bias_correction", "eps_inside_sqrt", "epoch_reset", "no_sqrt", "betas_swapped",
              "schedule_restart", "reference_step")
# slips that change only the state or the count, not the update's formula: the fast step serves them
_STATE_SLIPS = frozenset({"epoch_reset", "betas_swapped", "schedule_restart", "reference_step"})
# pairs that make no sense together: each sets the step count, or the count is not read
_EXCLUSIVE = (("reference_step", "epoch_reset"), ("reference_step", "no_bias_correction"),
              ("no_sqrt", "eps_inside_sqrt"))


def slip_set(name, text, accepted, off):
    """'a+b' -> frozenset({'a', 'b'}) of accepted names; ``off`` -> the empty set; ValueError naming the
    parameter and the accepted values otherwise (a name twice, or unknown)."""
    slips = set() if text == off else set(str(text).split("+"))
    if not slips <= set(accepted) or (text != off and len(slips) != str(text).count("+") + 1):
        raise ValueError(f"bad parameter {name}={text!r}: expected {off}, or one or more of "
                         f"{', '.join(accepted)} joined by '+'")
    return frozenset(slips)


def adam_slips(variant):
    """'no_bias_correction+epoch_reset' -> that set of slips; 'standard' -> the empty set."""
    slips = slip_set("adam_variant", variant, ADAM_SLIPS, "standard")
    for a, b in _EXCLUSIVE:
        if {a, b} <= slips:
            raise ValueError(f"bad parameter adam_variant={variant!r}: {a} and {b} cannot be combined")
    return slips


class Adam:
    """Kingma & Ba (2015), bias-corrected; defaults are the paper's. ``variant``: see adam_slips."""

    def __init__(self, size, dtype, beta1=0.9, beta2=0.999, eps=1e-8, variant="standard", reference_epochs=0):
        self.slips = adam_slips(variant)
        if "reference_step" in self.slips and reference_epochs < 1:
            raise ValueError(f"bad parameter reference_epochs={reference_epochs!r}: expected the epochs (>= 1) "
                             "in the step count of adam_variant reference_step")
        if "betas_swapped" in self.slips:
            beta1, beta2 = beta2, beta1
        self.beta1, self.beta2, self.eps = beta1, beta2, eps
        self.t = 0
        self.m = np.zeros(size, dtype)
        self.v = np.zeros(size, dtype)
        self._scratch = np.empty(size, dtype)
        self.reference_epochs = reference_epochs
        self._epoch = self._in_epoch = 0  # reference_step's count: see new_epoch

    def _count(self):
        """The step number the bias correction reads: t, or reference_step's epoch * epochs + batch + 1."""
        if "reference_step" in self.slips:
            return self._epoch * self.reference_epochs + self._in_epoch
        return self.t

    def step(self, params, grad, lr):
        """params -= lr * m_hat / (sqrt(v_hat) + eps), in place, without temporaries.

        The bias corrections go into two scalars: lr sqrt(1 - b2^t) / (1 - b1^t)
        multiplies m, and eps sqrt(1 - b2^t) is added to sqrt(v).
        """
        self.t += 1
        self._in_epoch += 1
        m, v, s = self.m, self.v, self._scratch
        np.multiply(grad, 1.0 - self.beta1, out=s)
        m *= self.beta1
        m += s
        np.multiply(grad, grad, out=s)
        s *= 1.0 - self.beta2
        v *= self.beta2
        v += s
        if self.slips - _STATE_SLIPS:
            self._slipped_step(params, lr)
            return
        t = self._count()
        root = np.sqrt(1.0 - self.beta2 ** t)
        np.sqrt(v, out=s)
        s += self.eps * root
        np.divide(m, s, out=s)
        s *= lr * root / (1.0 - self.beta1 ** t)
        params -= s

    def _slipped_step(self, params, lr):
        m_hat, v_hat = self.m, self.v
        t = self._count()
        if "no_bias_correction" not in self.slips:
            m_hat, v_hat = m_hat / (1.0 - self.beta1 ** t), v_hat / (1.0 - self.beta2 ** t)
        if "eps_inside_sqrt" in self.slips:
            params -= lr * m_hat / np.sqrt(v_hat + self.eps)
        elif "no_sqrt" in self.slips:
            params -= lr * m_hat / (v_hat + self.eps)
        else:
            params -= lr * m_hat / (np.sqrt(v_hat) + self.eps)

    def new_epoch(self, epoch=0, lr_changed=False):
        """Called at the start of every epoch (0-based ``epoch``; ``lr_changed``: this epoch's rate differs
        from the last one's): epoch_reset starts its step counter again, schedule_restart loses m, v and t
        at a change of rate, reference_step counts on from epoch * reference_epochs."""
        if "epoch_reset" in self.slips:
            self.t = 0
        if "schedule_restart" in self.slips and lr_changed:
            self.t = 0
            self.m.fill(0)
            self.v.fill(0)
        self._epoch, self._in_epoch = epoch, 0

    def state(self):
        return {"t": self.t, "m": self.m, "v": self.v}

    def load_state(self, state):
        self.t = int(state["t"])
        self.m[...] = state["m"]
        self.v[...] = state["v"]


class SGD:
    """Plain or heavy-ball momentum: v = mu v + g; params -= lr v."""

    def __init__(self, size, dtype, momentum=0.0):
        self.momentum = momentum
        self.t = 0
        self.velocity = np.zeros(size, dtype)

    def new_epoch(self, epoch=0, lr_changed=False):
        """Nothing to do at an epoch's start."""

    def step(self, params, grad, lr):
        self.t += 1
        if self.momentum:
            self.velocity *= self.momentum
            self.velocity += grad
            params -= lr * self.velocity
        else:
            params -= lr * grad

    def state(self):
        return {"t": self.t, "velocity": self.velocity}

    def load_state(self, state):
        self.t = int(state["t"])
        self.velocity[...] = state["velocity"]


def make_optimizer(name, size, dtype, momentum=0.0, variant="standard", reference_epochs=0):
    if name == "adam":
        return Adam(size, dtype, variant=variant, reference_epochs=reference_epochs)
    if name == "sgd":
        return SGD(size, dtype, momentum)
    raise ValueError(f"optimizer must be one of {OPTIMIZERS}, got {name!r}")


def grad_norm(grad):
    """The L2 norm of a flat gradient, summed in float64: a float32 dot overflows to inf
    near 1.8e19 (a silent zero step after clipping) and hides NaN in nothing."""
    g = np.asarray(grad, dtype=np.float64)
    return float(np.sqrt(np.dot(g, g)))


def clip_values(grad, max_value, max_norm):
    """Clip each element to +-max_value, then the whole to norm max_norm, in place (0: that clip is off);
    returns the norm before any clipping (a non-finite one marks a diverged step, clipped or not)."""
    if not max_value:
        return clip_global_norm(grad, max_norm)
    norm = grad_norm(grad)
    np.clip(grad, -max_value, max_value, out=grad)
    clip_global_norm(grad, max_norm)
    return norm


def clip_global_norm(grad, max_norm):
    """Scale grad in place so that its L2 norm is at most max_norm; returns the norm before."""
    norm = grad_norm(grad)
    if max_norm > 0 and norm > max_norm:
        grad *= grad.dtype.type(max_norm / norm)
    return norm


def parse_schedule(text):
    """'0:0.00035,20:0.00004' -> [(0, 0.00035), (20, 4e-05)], validated."""
    pieces = []
    try:
        for part in str(text).split(","):
            epoch, lr = part.split(":")
            pieces.append((int(epoch), float(lr)))
    except ValueError:
        raise ValueError(f"lr_schedule must look like '0:0.00035,20:0.00004' (epoch:lr, ...), got {text!r}") from None
    epochs = [e for e, _ in pieces]
    if epochs[0] != 0 or epochs != sorted(set(epochs)) or any(lr <= 0 or not np.isfinite(lr) for _, lr in pieces):
        raise ValueError(f"lr_schedule must start at epoch 0, have increasing epochs and positive rates, got {text!r}")
    return pieces


def lr_at(schedule, epoch):
    """The rate of the last piece that starts at or before epoch."""
    return [lr for start, lr in schedule if start <= epoch][-1]
