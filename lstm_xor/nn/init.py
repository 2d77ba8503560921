"""Weight initialisers. Orthogonal recurrent blocks and Xavier-uniform input and
output weights are what keep a 50-step LSTM trainable (report 000); ``uniform``
is the report's diverging first attempt read as weights from U[0, 1) (numpy's
``rand``, the likeliest reading), ``uniform_symmetric`` the other reading, U[-1, 1);
the bias column is drawn with the weights, the head's bias is zero. ``torch`` is
PyTorch's default for nn.RNN/LSTM/GRU and nn.Linear, every weight and bias from
U(-1/sqrt(fan), 1/sqrt(fan)) (fan: the hidden size, or the head's inputs), for
reproducing reports written with PyTorch. ``scratchml`` is report 000's reference code
(christinakouridi/scratchML, VanillaLSTM/VanillaLSTM.py lines 26-47): every gate's weights, input and
recurrent alike, from N(0, 1 / (D + H)), the gate biases zero but the forget gate's (forget_bias, there 1),
the head's weights from N(0, 1 / C) (scaled by its output size, not its input) and its bias zero."""

import numpy as np

from lstm_xor.nn.cells import LSTM_GATE_ORDER

INITS = ("orthogonal", "uniform", "uniform_symmetric", "torch", "scratchml")
UNIFORM = {"uniform": (0.0, 1.0), "uniform_symmetric": (-1.0, 1.0)}  # the report's readings: (low, high)


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
    if init in UNIFORM:
        drawn = rng.uniform(*UNIFORM[init], size=(gates * H, D + 1 + H))
    elif init == "torch":
        a = 1.0 / np.sqrt(H)
        drawn = rng.uniform(-a, a, size=(gates * H, D + 1 + H))  # the bias column is torch's b_ih
    elif init == "scratchml":
        drawn = rng.standard_normal((gates * H, D + 1 + H)) / np.sqrt(D + H)
        drawn[:, D] = 0.0
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
    if init in ("orthogonal", "scratchml"):
        f = LSTM_GATE_ORDER.index("f")
        W[f * H:(f + 1) * H, D] = forget_bias
    return W


def hidden_bias(rng, init, gates, H):
    """(gates * H, 1): PyTorch's second bias b_hh under ``torch`` (drawn), zeros otherwise (nothing drawn).

    A GRU keeps it apart (its candidate reads r * (W_hn h + b_hn)); the RNN and LSTM
    add it to the fused bias, b_ih + b_hh, as torch's forward does.
    """
    if init != "torch":
        return np.zeros((gates * H, 1))
    a = 1.0 / np.sqrt(H)
    return rng.uniform(-a, a, size=(gates * H, 1))


def head_block(rng, init, C, H):
    """The linear head's (C, H) weights and (C,) bias."""
    if init in UNIFORM:
        return rng.uniform(*UNIFORM[init], size=(C, H)), np.zeros(C)
    if init == "torch":
        a = 1.0 / np.sqrt(H)
        return rng.uniform(-a, a, size=(C, H)), rng.uniform(-a, a, size=C)
    if init == "scratchml":
        return rng.standard_normal((C, H)) / np.sqrt(C), np.zeros(C)
    return xavier_uniform(rng, C, H), np.zeros(C)
