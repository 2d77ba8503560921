"""Weight initialisers. Orthogonal recurrent blocks and Xavier-uniform input and
output weights are what keep a 50-step LSTM trainable (report 000); ``uniform``
is the report's diverging first attempt, weights drawn from U[0, 1)."""

import numpy as np

INITS = ("orthogonal", "uniform")


def xavier_uniform(rng, fan_out, fan_in):
    """(fan_out, fan_in) from U(-a, a), a = sqrt(6 / (fan_in + fan_out))."""
    a = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-a, a, size=(fan_out, fan_in))


def orthogonal(rng, n):
    """(n, n) orthogonal matrix, sign-corrected QR of a Gaussian (Saxe et al. 2014)."""
    q, r = np.linalg.qr(rng.standard_normal((n, n)))
    return q * np.sign(np.diag(r))


def recurrent_block(rng, init, gates, D, H, forget_bias, cell):
    """Fused weights (gates * H, D + 1 + H) with columns [x | 1 | h]."""
    if init == "uniform":
        return rng.uniform(0.0, 1.0, size=(gates * H, D + 1 + H))
    W = np.zeros((gates * H, D + 1 + H))
    for k in range(gates):
        rows = slice(k * H, (k + 1) * H)
        W[rows, :D] = xavier_uniform(rng, H, D)
        W[rows, D + 1:] = orthogonal(rng, H)
    if cell == "lstm":
        W[H:2 * H, D] = forget_bias  # gate order i, f, o, g
    return W
