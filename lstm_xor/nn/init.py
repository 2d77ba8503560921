"""Weight initialisers. Orthogonal recurrent blocks and Xavier-uniform input and
output weights are what keep a 50-step LSTM trainable (report 000); ``uniform``
is the report's diverging first attempt, weights drawn from U[0, 1)."""

import numpy as np

from lstm_xor.nn.cells import LSTM_GATE_ORDER

INITS = ("orthogonal", "uniform")


def xavier_uniform(rng, fan_out, fan_in):
    """(fan_out, fan_in) from U(-a, a), a = sqrt(6 / (fan_in + fan_out))."""
    a = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-a, a, size=(fan_out, fan_in))


def orthogonal(rng, n):
    """(n, n) orthogonal matrix, sign-corrected QR of a Gaussian (Saxe et al. 2014)."""
    q, r = np.linalg.qr(rng.standard_normal((n, n)))
    return q * np.sign(np.diag(r))


# LSTM blocks are drawn in this gate order and then placed at their rows in
# LSTM_GATE_ORDER, so a seed gives every gate the same initial weights as when
# the rows were ordered i, f, o, g.
LSTM_DRAW_ORDER = "ifog"


def recurrent_block(rng, init, gates, D, H, forget_bias, cell):
    """Fused weights (gates * H, D + 1 + H) with columns [x | 1 | h]."""
    if init == "uniform":
        drawn = rng.uniform(0.0, 1.0, size=(gates * H, D + 1 + H))
    else:
        drawn = np.zeros((gates * H, D + 1 + H))
        for k in range(gates):
            rows = slice(k * H, (k + 1) * H)
            drawn[rows, :D] = xavier_uniform(rng, H, D)
            drawn[rows, D + 1:] = orthogonal(rng, H)
    if cell != "lstm":
        return drawn
    W = np.empty_like(drawn)
    for k, gate in enumerate(LSTM_DRAW_ORDER):
        row = LSTM_GATE_ORDER.index(gate)
        W[row * H:(row + 1) * H] = drawn[k * H:(k + 1) * H]
    if init != "uniform":
        f = LSTM_GATE_ORDER.index("f")
        W[f * H:(f + 1) * H, D] = forget_bias
    return W
