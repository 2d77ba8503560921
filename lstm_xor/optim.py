"""Optimisers written by hand, over one flat parameter vector and its gradient.

Working on flat buffers keeps each update to a handful of vectorised calls and
makes the optimiser state one array per moment, easy to checkpoint and to keep
identical on every rank.
"""

import numpy as np

OPTIMIZERS = ("adam", "sgd")
# Adam as the paper has it ("standard"), or with slips a from-scratch implementation commonly makes,
# one or several joined by '+', so that their effect can be measured: no bias correction, eps inside
# the square root, the step counter reset at every epoch (the bias correction then restarts, and with
# it the large first steps).
ADAM_SLIPS = ("no_bias_correction", "eps_inside_sqrt", "epoch_reset")


def adam_slips(variant):
    """'no_bias_correction+epoch_reset' -> that set of slips; 'standard' -> the empty set."""
    slips = set() if variant == "standard" else set(variant.split("+"))
    if not slips <= set(ADAM_SLIPS) or (variant != "standard" and len(slips) != variant.count("+") + 1):
        raise ValueError(f"bad parameter adam_variant={variant!r}: expected standard, or one or more of "
                         f"{', '.join(ADAM_SLIPS)} joined by '+'")
    return frozenset(slips)


class Adam:
    """Kingma & Ba (2015), bias-corrected; defaults are the paper's. ``variant``: see adam_slips."""

    def __init__(self, size, dtype, beta1=0.9, beta2=0.999, eps=1e-8, variant="standard"):
        self.slips = adam_slips(variant)
        self.beta1, self.beta2, self.eps = beta1, beta2, eps
        self.t = 0
        self.m = np.zeros(size, dtype)
        self.v = np.zeros(size, dtype)
        self._scratch = np.empty(size, dtype)

    def step(self, params, grad, lr):
        """params -= lr * m_hat / (sqrt(v_hat) + eps), in place, without temporaries.

        The bias corrections go into two scalars: lr sqrt(1 - b2^t) / (1 - b1^t)
        multiplies m, and eps sqrt(1 - b2^t) is added to sqrt(v).
        """
        self.t += 1
        m, v, s = self.m, self.v, self._scratch
        np.multiply(grad, 1.0 - self.beta1, out=s)
        m *= self.beta1
        m += s
        np.multiply(grad, grad, out=s)
        s *= 1.0 - self.beta2
        v *= self.beta2
        v += s
        if self.slips - {"epoch_reset"}:
            self._slipped_step(params, lr)
            return
        root = np.sqrt(1.0 - self.beta2 ** self.t)
        np.sqrt(v, out=s)
        s += self.eps * root
        np.divide(m, s, out=s)
        s *= lr * root / (1.0 - self.beta1 ** self.t)
        params -= s

    def _slipped_step(self, params, lr):
        m_hat, v_hat = self.m, self.v
        if "no_bias_correction" not in self.slips:
            m_hat, v_hat = m_hat / (1.0 - self.beta1 ** self.t), v_hat / (1.0 - self.beta2 ** self.t)
        if "eps_inside_sqrt" in self.slips:
            params -= lr * m_hat / np.sqrt(v_hat + self.eps)
        else:
            params -= lr * m_hat / (np.sqrt(v_hat) + self.eps)

    def new_epoch(self):
        """Called at the start of every epoch: the epoch_reset variant starts its step counter again."""
        if "epoch_reset" in self.slips:
            self.t = 0

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

    def new_epoch(self):
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


def make_optimizer(name, size, dtype, momentum=0.0, variant="standard"):
    if name == "adam":
        return Adam(size, dtype, variant=variant)
    if name == "sgd":
        return SGD(size, dtype, momentum)
    raise ValueError(f"optimizer must be one of {OPTIMIZERS}, got {name!r}")


def grad_norm(grad):
    """The L2 norm of a flat gradient, summed in float64: a float32 dot overflows to inf
    near 1.8e19 (a silent zero step after clipping) and hides NaN in nothing."""
    g = np.asarray(grad, dtype=np.float64)
    return float(np.sqrt(np.dot(g, g)))


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
