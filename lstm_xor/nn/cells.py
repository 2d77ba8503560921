"""Recurrent layers as forward/backward pairs over a whole batch of sequences.

Layout (feature-major, so every gate is a contiguous block of rows):

    T  time steps, N  sequences, D  input features, H  hidden units.
    x  (T, D, N)   inputs;  h  (T, H, N)  outputs.

Each layer keeps one buffer ``xh`` of shape (T + 1, D + 1 + H, N) whose slice
``xh[t]`` is the column block ``[x_t; 1; h_{t-1}]``. Writing h_t straight into
``xh[t + 1]`` makes the input product, the recurrent product and the bias one
GEMM per step, and keeps ``[x; 1]`` and ``[1; h]`` contiguous blocks of rows.
Every per-step slice is contiguous (a strided slice costs ~4x in elementwise
work at N = 32); the weight gradient pays one transposing copy instead and is
then a single (G, T*N) @ (T*N, K) product.

Variable lengths use the packed-sequence idea: sequences are sorted by length,
longest first, and ``batch_sizes[t]`` sequences are active at step t. Only the
first ``batch_sizes[t]`` columns are computed, so padding never reaches a state,
an output or a gradient.

Weight blocks (bias folded in as a column):
    rnn   W  (H,  D + 1 + H)   h = tanh(W [x; 1; h])
    lstm  W  (4H, D + 1 + H)   gate rows i, f, o, g  (torch: i, f, g, o)
    gru   Wx (3H, D + 1), Wh (3H, 1 + H)   gate rows r, z, n; the reset gate
          multiplies (Wh_n [1; h]) as in cuDNN and torch:
          n = tanh(Wx_n [x; 1] + r * (Wh_n [1; h])),  h' = (1 - z) n + z h

``ws`` is an optional dict the caller keeps per layer: buffers are reused
between batches of the same shape (fresh pages cost more than the arithmetic).
A cache is valid until the next forward with the same ``ws``.
"""

import numpy as np

CELLS = ("rnn", "lstm", "gru")
GATES = {"rnn": 1, "lstm": 4, "gru": 3}


def sigmoid(z, out):
    """Logistic function through tanh: no overflow, and tanh is vectorised."""
    np.multiply(z, 0.5, out=out)
    np.tanh(out, out=out)
    out *= 0.5
    out += 0.5
    return out


def batch_sizes_from_lengths(lengths, T):
    """Active sequences per step for lengths sorted longest first: (T,)."""
    return (np.asarray(lengths)[None, :] > np.arange(T)[:, None]).sum(1)


def lengths_from_batch_sizes(batch_sizes, N):
    """Inverse of batch_sizes_from_lengths: (N,)."""
    return (np.asarray(batch_sizes)[None, :] > np.arange(N)[:, None]).sum(1)


def _buffer(ws, name, shape, dtype, zero):
    """A contiguous (shape) array, carved from a flat buffer that only grows."""
    size = int(np.prod(shape))
    flat = None if ws is None else ws.get(name)
    if flat is None or flat.size < size or flat.dtype != dtype:
        flat = np.zeros(size, dtype)
        if ws is not None:
            ws[name] = flat
        return flat.reshape(shape)
    buf = flat[:size].reshape(shape)
    if zero:
        buf.fill(0)
    return buf


def _start(x, batch_sizes, H, state, n_state, ws):
    """Validate and build xh (T + 1, D + 1 + H, N)."""
    if x.ndim != 3:
        raise ValueError(f"x must have shape (T, D, N), got {x.shape}")
    T, D, N = x.shape
    if len(batch_sizes) != T or T == 0:
        raise ValueError(f"batch_sizes has {len(batch_sizes)} entries for T={T} steps (T must be >= 1)")
    if batch_sizes[0] != N or np.any(np.diff(batch_sizes) > 0) or batch_sizes[-1] < 1:
        raise ValueError("batch_sizes must start at N and not increase (sort sequences by length, longest first)")
    if state is not None and (len(state) != n_state or any(s.shape != (H, N) for s in state)):
        raise ValueError(f"state must be {n_state} arrays of shape (H, N) = ({H}, {N})")
    ragged = batch_sizes[-1] < N
    xh = _buffer(ws, "xh", (T + 1, D + 1 + H, N), x.dtype, zero=ragged)
    xh[:T, :D] = x
    xh[:, D] = 1.0
    xh[0, D + 1:] = 0.0 if state is None else state[0]
    return xh, ragged


def _last(a, batch_sizes):
    """a (T', F, N) -> the entry at each sequence's length index: (F, N)."""
    N = a.shape[2]
    return a[lengths_from_batch_sizes(batch_sizes, N), :, np.arange(N)].T


def rnn_forward(W, x, batch_sizes, state=None, ws=None):
    """Tanh RNN: x (T, D, N) -> h (T, H, N), final (h,), cache."""
    H = W.shape[0]
    xh, _ = _start(x, batch_sizes, H, state, 1, ws)
    D = x.shape[1]
    for t, n in enumerate(batch_sizes):
        h = xh[t + 1, D + 1:, :n]
        np.matmul(W, xh[t, :, :n], out=h)
        np.tanh(h, out=h)
    return xh[1:, D + 1:], (_last(xh[:, D + 1:], batch_sizes),), (W, xh, batch_sizes, ws)


def rnn_backward(dh_out, dfinal, cache):
    """dh_out (T, H, N), dfinal (dh,) or None -> dx (T, D, N), dW, dstate0 (dh0,)."""
    W, xh, batch_sizes, ws = cache
    H = W.shape[0]
    D = W.shape[1] - 1 - H
    WhT = np.ascontiguousarray(W[:, D + 1:].T)  # (H, H)
    N = xh.shape[2]
    dz = _buffer(ws, "dz", (len(batch_sizes), H, N), W.dtype, zero=batch_sizes[-1] < N)  # (T, H, N)
    dh_next = _dfinal_or_zeros(dfinal, 0, H, xh)
    for t in range(len(batch_sizes) - 1, -1, -1):
        n = batch_sizes[t]
        h = xh[t + 1, D + 1:, :n]
        d = dz[t, :, :n]
        np.add(dh_out[t, :, :n], dh_next[:, :n], out=d)
        d *= 1.0 - h * h
        np.matmul(WhT, d, out=dh_next[:, :n])
    dx, dW = _weight_and_input_grads(W, D, dz, xh, ws)
    return dx, dW, (dh_next,)


def lstm_forward(W, x, batch_sizes, state=None, ws=None):
    """LSTM: x (T, D, N) -> h (T, H, N), final (h, c), cache."""
    H = W.shape[0] // 4
    xh, ragged = _start(x, batch_sizes, H, state, 2, ws)
    T, D, N = x.shape
    # sigmoid(z) = (1 + tanh(z / 2)) / 2: halving the i, f, o rows once lets one
    # tanh call cover all four gates at every step.
    Ws = W.copy()
    Ws[:3 * H] *= 0.5
    gates = _buffer(ws, "gates", (T, 4 * H, N), x.dtype, zero=False)  # i f o g activations
    c = _buffer(ws, "c", (T + 1, H, N), x.dtype, zero=ragged)  # c[:, t + 1] is c_t
    tanh_c = _buffer(ws, "tanh_c", (T, H, N), x.dtype, zero=False)
    c[0] = 0.0 if state is None else state[1]
    for t, n in enumerate(batch_sizes):
        z = gates[t, :, :n]
        np.matmul(Ws, xh[t, :, :n], out=z)
        np.tanh(z, out=z)
        s = z[:3 * H]
        s *= 0.5
        s += 0.5
        i, f, o, g = z[:H], z[H:2 * H], z[2 * H:3 * H], z[3 * H:]
        ct = c[t + 1, :, :n]
        np.multiply(f, c[t, :, :n], out=ct)
        ct += i * g
        tc = tanh_c[t, :, :n]
        np.tanh(ct, out=tc)
        np.multiply(o, tc, out=xh[t + 1, D + 1:, :n])
    final = (_last(xh[:, D + 1:], batch_sizes), _last(c, batch_sizes))
    return xh[1:, D + 1:], final, (W, xh, batch_sizes, ws, gates, c, tanh_c)


def lstm_backward(dh_out, dfinal, cache):
    """dh_out (T, H, N), dfinal (dh, dc) or None -> dx (T, D, N), dW, dstate0 (dh0, dc0)."""
    W, xh, batch_sizes, ws, gates, c, tanh_c = cache
    H = W.shape[0] // 4
    D = W.shape[1] - 1 - H
    T, _, N = gates.shape
    WhT = np.ascontiguousarray(W[:, D + 1:].T)  # (H, 4H)
    # Everything that is not sequential, for all steps at once: the gates'
    # derivatives (sigmoid' = s (1 - s), tanh' = 1 - g^2) and dc/dh = o (1 - tanh(c)^2).
    slope = _buffer(ws, "slope", gates.shape, W.dtype, zero=False)  # (4H, T, N)
    s, g = gates[:, :3 * H], gates[:, 3 * H:]
    np.subtract(1.0, s, out=slope[:, :3 * H])
    slope[:, :3 * H] *= s
    np.multiply(g, g, out=slope[:, 3 * H:])
    np.subtract(1.0, slope[:, 3 * H:], out=slope[:, 3 * H:])
    dcdh = 1.0 - tanh_c * tanh_c  # (T, H, N)
    dcdh *= gates[:, 2 * H:3 * H]
    dz = _buffer(ws, "dz", gates.shape, W.dtype, zero=batch_sizes[-1] < N)  # (4H, T, N)
    dh_next = _dfinal_or_zeros(dfinal, 0, H, xh)
    dc_next = _dfinal_or_zeros(dfinal, 1, H, xh)
    for t in range(T - 1, -1, -1):
        n = batch_sizes[t]
        z = gates[t, :, :n]
        d = dz[t, :, :n]
        dh = dh_out[t, :, :n] + dh_next[:, :n]
        np.multiply(dh, tanh_c[t, :, :n], out=d[2 * H:3 * H])  # do
        dh *= dcdh[t, :, :n]
        dc = dc_next[:, :n]
        dc += dh  # dc_t in full
        np.multiply(dc, z[3 * H:], out=d[:H])  # di = dc g
        np.multiply(dc, c[t, :, :n], out=d[H:2 * H])  # df = dc c_{t-1}
        np.multiply(dc, z[:H], out=d[3 * H:])  # dg = dc i
        dc *= z[H:2 * H]  # now dc_{t-1}
        d *= slope[t, :, :n]
        np.matmul(WhT, d, out=dh_next[:, :n])
    dx, dW = _weight_and_input_grads(W, D, dz, xh, ws)
    return dx, dW, (dh_next, dc_next)


def gru_forward(Wx, Wh, x, batch_sizes, state=None, ws=None):
    """GRU: x (T, D, N) -> h (T, H, N), final (h,), cache."""
    H = Wh.shape[0] // 3
    xh, _ = _start(x, batch_sizes, H, state, 1, ws)
    T, D, N = x.shape
    ax = np.matmul(Wx, xh[:T, :D + 1])  # (T, 3H, N) input parts of all steps
    gates = _buffer(ws, "gates", (T, 3 * H, N), x.dtype, zero=False)  # r z n activations
    ahn = _buffer(ws, "ahn", (T, H, N), x.dtype, zero=False)  # Wh_n [1; h], for the backward
    for t, n in enumerate(batch_sizes):
        a = gates[t, :, :n]
        np.matmul(Wh, xh[t, D:, :n], out=a)
        ahn[t, :, :n] = a[2 * H:]
        a[:2 * H] += ax[t, :2 * H, :n]
        sigmoid(a[:2 * H], out=a[:2 * H])
        r, z, nn = a[:H], a[H:2 * H], a[2 * H:]
        nn *= r
        nn += ax[t, 2 * H:, :n]
        np.tanh(nn, out=nn)
        h = xh[t + 1, D + 1:, :n]
        np.subtract(xh[t, D + 1:, :n], nn, out=h)  # h' = n + z (h - n)
        h *= z
        h += nn
    return xh[1:, D + 1:], (_last(xh[:, D + 1:], batch_sizes),), (Wx, Wh, xh, batch_sizes, ws, gates, ahn)


def gru_backward(dh_out, dfinal, cache):
    """dh_out (T, H, N), dfinal (dh,) or None -> dx (T, D, N), dWx, dWh, dstate0 (dh0,)."""
    Wx, Wh, xh, batch_sizes, ws, gates, ahn = cache
    H = Wh.shape[0] // 3
    D = Wx.shape[1] - 1
    WhT = np.ascontiguousarray(Wh[:, 1:].T)  # (H, 3H)
    ragged = batch_sizes[-1] < gates.shape[2]
    dax = _buffer(ws, "dax", gates.shape, Wh.dtype, zero=ragged)  # (3H, T, N) input parts
    dah = _buffer(ws, "dah", gates.shape, Wh.dtype, zero=ragged)  # (3H, T, N) recurrent parts
    dh_next = _dfinal_or_zeros(dfinal, 0, H, xh)
    for t in range(len(batch_sizes) - 1, -1, -1):
        n = batch_sizes[t]
        a = gates[t, :, :n]
        r, z, nn = a[:H], a[H:2 * H], a[2 * H:]
        dh = dh_out[t, :, :n] + dh_next[:, :n]
        dxt, dht = dax[t, :, :n], dah[t, :, :n]
        dn = dxt[2 * H:]
        np.multiply(dh, 1.0 - z, out=dn)
        dn *= 1.0 - nn * nn  # through the tanh
        dzt = dxt[H:2 * H]
        np.multiply(dh, xh[t, D + 1:, :n] - nn, out=dzt)
        dzt *= z * (1.0 - z)
        dr = dxt[:H]
        np.multiply(dn, ahn[t, :, :n], out=dr)
        dr *= r * (1.0 - r)
        dht[:2 * H] = dxt[:2 * H]
        np.multiply(dn, r, out=dht[2 * H:])
        np.matmul(WhT, dht, out=dh_next[:, :n])
        dh_next[:, :n] += dh * z
    T = len(batch_sizes)
    dWx = _weight_grad(dax, xh[:T, :D + 1], ws, "x")
    dWh = _weight_grad(dah, xh[:T, D:], ws, "h")
    dx = np.matmul(np.ascontiguousarray(Wx[:, :D].T), dax)
    return dx, dWx, dWh, (dh_next,)


def _dfinal_or_zeros(dfinal, k, H, xh):
    if dfinal is None or len(dfinal) <= k or dfinal[k] is None:
        return np.zeros((H, xh.shape[2]), dtype=xh.dtype)
    return np.array(dfinal[k], dtype=xh.dtype)


def _weight_grad(dz, xin, ws, name):
    """sum_t dz[t] @ xin[t].T: dz (T, G, N), xin (T, K, N) -> (G, K), as one GEMM."""
    T, G, N = dz.shape
    a = _buffer(ws, name + "_dz", (G, T, N), dz.dtype, zero=False)
    np.copyto(a, dz.transpose(1, 0, 2))
    b = _buffer(ws, name + "_in", (xin.shape[1], T, N), dz.dtype, zero=False)
    np.copyto(b, xin.transpose(1, 0, 2))
    return a.reshape(G, T * N) @ b.reshape(-1, T * N).T


def _weight_and_input_grads(W, D, dz, xh, ws):
    """dW (G, K) and dx (T, D, N) from the pre-activation gradients dz (T, G, N)."""
    dW = _weight_grad(dz, xh[:dz.shape[0]], ws, "w")
    dx = np.matmul(np.ascontiguousarray(W[:, :D].T), dz)
    return dx, dW
