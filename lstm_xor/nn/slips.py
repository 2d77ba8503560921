"""Slips a hand-written backward pass commonly makes, as readable backward passes that make them on purpose
(the ``backprop_slip`` run parameter; off, ``none``, the fast passes of ``cells`` run untouched).

    recurrent_not_transposed  dh_{t-1} from the recurrent matrix not transposed. The LSTM's recurrent
                              block Wh is (4H, H), four (H, H) blocks Wh_k, one per gate (rows g, f, i, o);
                              the true dh_{t-1} = Wh.T dz = sum_k Wh_k.T dz_k, the slip reads each gate's
                              square block untransposed: sum_k Wh_k dz_k. Every shape still matches.
                              (RNN: Wh dz for Wh.T dz.)
    no_carried_dh             no gradient carried into h_{t-1} from step t: each step's dh is only the
                              gradient of the losses read at that step (from the head).
    no_carried_dc             no gradient carried into c_{t-1} (LSTM only).
    dc_without_forget         dc_{t-1} = dc_t, without the forget gate's factor f_t (LSTM only).
    grads_not_zeroed          the gradient buffer never zeroed between optimiser steps: step k uses the sum
                              of the true gradients of steps 1..k (:class:`GradientSum`, in the loop).

The backward passes here follow ``cells.lstm_backward`` and ``cells.rnn_backward`` step by step, with the
same cache, arguments and results, and equal them (up to rounding) when no slip is named; they are slower,
and meant for measuring a slip, not for speed.
"""

import numpy as np

from lstm_xor.optim import slip_set

BACKPROP_SLIPS = ("recurrent_not_transposed", "no_carried_dh", "no_carried_dc", "dc_without_forget",
                  "grads_not_zeroed")
CELL_SLIPS = frozenset(BACKPROP_SLIPS[:4])  # made inside a cell's backward
# the slips each cell has a backward for: the dc slips need a cell state, and the GRU has no slipped pass
ACCEPTED = {"lstm": BACKPROP_SLIPS, "rnn": ("recurrent_not_transposed", "no_carried_dh", "grads_not_zeroed"),
            "gru": ("grads_not_zeroed",)}


def backprop_slips(text, cell="lstm"):
    """'no_carried_dc+grads_not_zeroed' -> that set of slips ('none' -> the empty set); ValueError naming
    the parameter and the accepted values for an unknown slip or one the cell cannot make."""
    slips = slip_set("backprop_slip", text, BACKPROP_SLIPS, "none")
    if not slips <= set(ACCEPTED.get(cell, BACKPROP_SLIPS)):
        raise ValueError(f"bad parameter backprop_slip={text!r}: with cell {cell} expected none, or one or more "
                         f"of {', '.join(ACCEPTED[cell])} joined by '+'")
    return slips


def _recurrent(Wh, slips):
    """dz (G*H, n) -> dh_{t-1} (H, n): Wh.T dz, or the sum of each (H, H) block times its gate's rows."""
    if "recurrent_not_transposed" not in slips:
        return lambda dz: Wh.T @ dz
    H = Wh.shape[1]
    blocks = [Wh[k * H:(k + 1) * H] for k in range(Wh.shape[0] // H)]
    return lambda dz: sum(block @ dz[k * H:(k + 1) * H] for k, block in enumerate(blocks))


def _final(dfinal, k):
    return None if dfinal is None or len(dfinal) <= k or dfinal[k] is None else np.asarray(dfinal[k])


def _weights_and_inputs(W, dz, xh, D, need_dx):
    """dW = sum_t dz[t] xh[t].T and dx = Wx.T dz[t] for all steps: dz (T, G, N), xh (T + 1, K, N)."""
    T = dz.shape[0]
    dW = np.einsum("tgn,tkn->gk", dz, xh[:T]).astype(W.dtype)
    dx = np.matmul(W[:, :D].T, dz) if need_dx else None
    return dx, dW


def lstm_backward(dh_out, dfinal, cache, slips, need_dx=True, carry=1.0):
    """As ``cells.lstm_backward`` (same cache from ``cells.lstm_forward``, same results), with ``slips``."""
    W, xh, _, batch_sizes, _, G = cache
    H = W.shape[0] // 4
    D = W.shape[1] - 1 - H
    T, N = len(batch_sizes), G.shape[2]
    G8 = G.reshape(T + 1, 6, H, N)  # per step [c_{t-1}; g; f; i; o; tanh(c_t)], as the forward left them
    back = _recurrent(W[:, D + 1:], slips)
    dh_final, dc_final = _final(dfinal, 0), _final(dfinal, 1)
    dz = np.zeros((T, 4 * H, N), W.dtype)  # gate rows g, f, i, o (pre-activation gradients)
    dh, dc = np.zeros((H, N), W.dtype), np.zeros((H, N), W.dtype)
    for t in range(T - 1, -1, -1):
        n = batch_sizes[t]
        lo = batch_sizes[t + 1] if t + 1 < T else 0
        if lo < n:  # the columns whose last step this is: dfinal enters
            dh[:, lo:n] = 0.0 if dh_final is None else dh_final[:, lo:n]
            dc[:, lo:n] = 0.0 if dc_final is None else dc_final[:, lo:n]
        c_prev, g, f, i, o, tc = (G8[t, k, :, :n] for k in range(6))
        d = dh[:, :n] + dh_out[t, :, :n]
        dc_t = dc[:, :n] + d * o * (1 - tc * tc)
        z = dz[t, :, :n]
        z[:H] = dc_t * i * (1 - g * g)
        z[H:2 * H] = dc_t * c_prev * f * (1 - f)
        z[2 * H:3 * H] = dc_t * g * i * (1 - i)
        z[3 * H:] = d * tc * o * (1 - o)
        dc[:, :n] = 0.0 if "no_carried_dc" in slips else (dc_t if "dc_without_forget" in slips else dc_t * f)
        dh[:, :n] = 0.0 if "no_carried_dh" in slips else back(z)
        dh[:, :n] *= carry
        dc[:, :n] *= carry
    dx, dW = _weights_and_inputs(W, dz, xh, D, need_dx)
    return dx, dW, (dh, dc)


def rnn_backward(dh_out, dfinal, cache, slips, need_dx=True, carry=1.0):
    """As ``cells.rnn_backward`` (same cache from ``cells.rnn_forward``, same results), with ``slips``."""
    W, xh, _, batch_sizes, _ = cache
    H = W.shape[0]
    D = W.shape[1] - 1 - H
    T, N = len(batch_sizes), xh.shape[2]
    back = _recurrent(W[:, D + 1:], slips)
    dz = np.zeros((T, H, N), W.dtype)
    dh = np.zeros((H, N), W.dtype)
    if _final(dfinal, 0) is not None:  # a finished column keeps it until its last step
        dh[...] = _final(dfinal, 0)
    for t in range(T - 1, -1, -1):
        n = batch_sizes[t]
        h = xh[t + 1, D + 1:, :n]
        z = dz[t, :, :n]
        z[...] = (dh[:, :n] + dh_out[t, :, :n]) * (1 - h * h)
        dh[:, :n] = 0.0 if "no_carried_dh" in slips else back(z)
        dh[:, :n] *= carry
    dx, dW = _weights_and_inputs(W, dz, xh, D, need_dx)
    return dx, dW, (dh,)


BACKWARDS = {"lstm": lstm_backward, "rnn": rnn_backward}


class GradientSum:
    """The ``grads_not_zeroed`` slip: a gradient buffer that every step adds to and nothing zeroes.

    Wraps the optimiser so that the sum is saved in checkpoints with the optimiser's state (a resumed run
    goes on as one that never stopped). The loop calls :meth:`add` with each step's summed (all-reduced)
    gradient before clipping, which turns it in place into the sum of every step's true gradient so far;
    clipping then applies to that sum, and the sum itself stays unclipped.
    """

    def __init__(self, optimizer, size, dtype):
        self.optimizer = optimizer
        self.total = np.zeros(size, dtype)

    def add(self, grad):
        self.total += grad
        grad[...] = self.total

    def step(self, params, grad, lr):
        self.optimizer.step(params, grad, lr)

    def new_epoch(self, *args, **kwargs):
        self.optimizer.new_epoch(*args, **kwargs)

    def state(self):
        return {**self.optimizer.state(), "grad_sum": self.total}

    def load_state(self, state):
        self.optimizer.load_state({k: v for k, v in state.items() if k != "grad_sum"})
        self.total[...] = state["grad_sum"]

    def __getattr__(self, name):  # the optimiser's own attributes (t, m, v, ...)
        if name == "optimizer":  # not set yet (a copy being made): no recursion
            raise AttributeError(name)
        return getattr(self.optimizer, name)
