"""Recurrent layers as forward/backward pairs over a whole batch of sequences.

Layout (feature-major, so every gate is a contiguous block of rows):

    T  time steps, N  sequences, D  input features, H  hidden units.
    x  (T, D, N)   inputs;  h  (T, H, N)  outputs.

Each layer keeps one buffer ``xh`` of shape (T + 1, D + 1 + H, N) whose slice
``xh[t]`` is the column block ``[x_t; 1; h_{t-1}]``. Writing h_t straight into
``xh[t + 1]`` makes the input product, the recurrent product and the bias one
GEMM per step, and keeps ``[x; 1]`` and ``[1; h]`` contiguous blocks of rows.
Every per-step slice is contiguous (a strided slice costs ~2x in elementwise
work at N = 32). After the loop one transposing copy ``xhT`` (D + 1 + H, T + 1, N)
makes every step's input one (K, T*N) matrix and every output one (H, T*N)
matrix: the returned h is a (T, H, N) view of it, a head on all steps is one
GEMM, and so is the weight gradient, (G, T*N) @ (T*N, K), once the gate
gradients have been copied to (G, T, N) too.

Variable lengths use the packed-sequence idea: sequences are sorted by length,
longest first, and ``batch_sizes[t]`` sequences are active at step t. Only the
first ``batch_sizes[t]`` columns are computed, so padding never reaches a state,
an output or a gradient (padded inputs are zeroed, padded outputs are 0).

Weight blocks (bias folded in as a column):
    rnn   W  (H,  D + 1 + H)   h = tanh(W [x; 1; h])
    lstm  W  (4H, D + 1 + H)   gate rows g, f, i, o  (LSTM_GATE_ORDER; torch: i, f, g, o)
    gru   Wx (3H, D + 1), Wh (3H, 1 + H)   gate rows r, z, n; the reset gate
          multiplies (Wh_n [1; h]) as in cuDNN and torch:
          n = tanh(Wx_n [x; 1] + r * (Wh_n [1; h])),  h' = (1 - z) n + z h

At N = 32 and H = 100 a NumPy call costs about as much as its arithmetic, so the
LSTM is arranged for few calls per step (seven and a GEMM forward, four and a
GEMM backward; see ``lstm_forward`` and ``lstm_backward``), everything that is
not sequential is done for all steps at once, and the per-step views are built
once per batch shape and kept in ``ws``.

``ws`` is an optional dict the caller keeps per layer: buffers are reused
between batches (fresh pages cost more than the arithmetic). A cache is valid
until the next forward with the same ``ws`` and serves one backward (the LSTM
backward works in place in its buffers); the arrays a forward or backward
returns may live in ``ws`` too, so use or copy them before the next call.
"""

import numpy as np

CELLS = ("rnn", "lstm", "gru")
GATES = {"rnn": 1, "lstm": 4, "gru": 3}
LSTM_GATE_ORDER = "gfio"  # the LSTM's row blocks of W, top to bottom (torch: "ifgo")


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


def buffer(ws, name, shape, dtype, zero):
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


def _step_views(ws, name, key, build):
    """The per-step views ``build()`` makes, kept in ws while ``key`` holds.

    key = (buffers compared by identity..., then plain values); building a
    view costs about as much as the arithmetic on it at N = 32, and with a
    fixed batch shape every batch asks for the same ones.
    """
    if ws is None:
        return build()
    hit = ws.get(name)
    if hit is not None and len(hit[0]) == len(key) and all(
            a is b if isinstance(b, np.ndarray) else a == b for a, b in zip(hit[0], key, strict=True)):
        return hit[1]
    views = build()
    ws[name] = (key, views)
    return views


def _start(x, batch_sizes, D_weights, H, state, n_state, ws):
    """Validate and build xh (T + 1, D + 1 + H, N); returns xh, batch_sizes (ints), ragged."""
    x = np.asarray(x)
    if x.ndim != 3:
        raise ValueError(f"x must have shape (T, D, N), got {x.shape}")
    T, D, N = x.shape
    if D != D_weights:
        raise ValueError(f"x has {D} features, the weights expect {D_weights}")
    batch_sizes = np.asarray(batch_sizes)
    if batch_sizes.shape != (T,) or T == 0:
        raise ValueError(f"batch_sizes has shape {batch_sizes.shape} for T={T} steps (T must be >= 1)")
    if batch_sizes[0] != N or np.any(np.diff(batch_sizes) > 0) or batch_sizes[-1] < 1:
        raise ValueError("batch_sizes must start at N and not increase, and stay >= 1 "
                         "(sort sequences by length, longest first)")
    if state is not None and (len(state) != n_state or any(np.shape(s) != (H, N) for s in state)):
        raise ValueError(f"state must be {n_state} arrays of shape (H, N) = ({H}, {N})")
    batch_sizes = [int(n) for n in batch_sizes]
    ragged = batch_sizes[-1] < N
    xh = buffer(ws, "xh", (T + 1, D + 1 + H, N), x.dtype, zero=False)
    xh[:T, :D] = x
    xh[:, D] = 1.0
    xh[0, D + 1:] = 0.0 if state is None else state[0]
    if ragged:  # padding never enters: zero inputs and outputs past each length
        for t, n in enumerate(batch_sizes):
            if n < N:
                xh[t, :D, n:] = 0.0
                xh[t + 1, D + 1:, n:] = 0.0
    return xh, batch_sizes, ragged


def _last(a, batch_sizes):
    """a (T', F, N) -> a copy of the entry at each sequence's length index: (F, N)."""
    N = a.shape[2]
    if batch_sizes[-1] == N:  # one length
        return a[len(batch_sizes)].copy()
    return a[lengths_from_batch_sizes(batch_sizes, N), :, np.arange(N)].T


def _dfinal(dfinal, k, out):
    """Fill out with the gradient of the k-th final state (zero when not given)."""
    if dfinal is None or len(dfinal) <= k or dfinal[k] is None:
        out.fill(0.0)
    else:
        out[...] = dfinal[k]
    return out


def _zero_inactive(a, batch_sizes):
    """a (T, F, N): zero the columns past batch_sizes[t] at every step t."""
    N = a.shape[2]
    for t, n in enumerate(batch_sizes):
        if n < N:
            a[t, :, n:] = 0.0


def _transposed(ws, name, a):
    """a (T, F, N) -> contiguous (F, T, N) copy in ws."""
    T, F, N = a.shape
    out = buffer(ws, name, (F, T, N), a.dtype, zero=False)
    np.copyto(out, a.transpose(1, 0, 2))
    return out


def _finish(xh, H, ws):
    """After a forward: xhT (K, T + 1, N), xh's transposing copy, and h (T, H, N) as a view of it.

    xhT[:, :T] is every step's input as one (K, T*N) matrix for the weight
    gradient, and xhT[-H:, 1:] every output as one (H, T*N) matrix for a head.
    """
    xhT = _transposed(ws, "xhT", xh)
    return xhT, xhT[-H:, 1:].transpose(1, 0, 2)


def _weight_grad(dzT, xinT, ws, name):
    """sum_t dz[t] @ xin[t].T as one GEMM: dzT (G, T, N) and xinT (K, T, N), both feature-major -> (G, K)."""
    G, T, N = dzT.shape
    out = buffer(ws, name + "_dW", (G, xinT.shape[0]), dzT.dtype, zero=False)
    return np.matmul(dzT.reshape(G, T * N), xinT.reshape(-1, T * N).T, out=out)


def _input_grad(WxT, dzT, ws, name):
    """dx (T, D, N) = Wx.T @ dz for all steps, from dzT (G, T, N): one GEMM, returned as a (T, D, N) view."""
    G, T, N = dzT.shape
    D = WxT.shape[0]
    flat = buffer(ws, name + "_dxT", (D, T * N), dzT.dtype, zero=False)
    np.matmul(WxT, dzT.reshape(G, T * N), out=flat)
    return flat.reshape(D, T, N).transpose(1, 0, 2)


# -- tanh RNN -------------------------------------------------------------------

def rnn_forward(W, x, batch_sizes, state=None, ws=None):
    """Tanh RNN: x (T, D, N) -> h (T, H, N), final (h,), cache."""
    H = W.shape[0]
    xh, batch_sizes, _ = _start(x, batch_sizes, W.shape[1] - 1 - H, H, state, 1, ws)
    D = xh.shape[1] - 1 - H
    for t, n in enumerate(batch_sizes):
        h = xh[t + 1, D + 1:, :n]
        np.matmul(W, xh[t, :, :n], out=h)
        np.tanh(h, out=h)
    xhT, h = _finish(xh, H, ws)
    return h, (_last(xh[:, D + 1:], batch_sizes),), (W, xh, xhT, batch_sizes, ws)


def rnn_backward(dh_out, dfinal, cache, need_dx=True, carry=1.0):
    """dh_out (T, H, N), dfinal (dh,) or None -> dx (T, D, N) (None without need_dx), dW, dstate0 (dh0,).

    ``carry`` scales the gradient carried from each step to the one before (and to the initial state):
    randomized truncation's compensation factor; 1 is plain BPTT.
    """
    W, xh, xhT, batch_sizes, ws = cache
    H = W.shape[0]
    D = W.shape[1] - 1 - H
    T, N = len(batch_sizes), xh.shape[2]
    WhT = buffer(ws, "WhT", (H, H), W.dtype, zero=False)
    np.copyto(WhT, W[:, D + 1:].T)
    dz = buffer(ws, "dz", (T, H, N), W.dtype, zero=False)
    h = xh[1:, D + 1:]
    np.multiply(h, h, out=dz)  # tanh' = 1 - h^2, for all steps at once
    np.subtract(1.0, dz, out=dz)
    dh = _dfinal(dfinal, 0, buffer(ws, "dh", (H, N), W.dtype, zero=False))
    for t in range(T - 1, -1, -1):
        n = batch_sizes[t]
        d, g = dh[:, :n], dz[t, :, :n]
        d += dh_out[t, :, :n]
        g *= d
        np.matmul(WhT, g, out=d)
        if carry != 1.0:
            d *= carry
    if batch_sizes[-1] < N:
        _zero_inactive(dz, batch_sizes)
    dzT = _transposed(ws, "dzT", dz)
    dW = _weight_grad(dzT, xhT[:, :T], ws, "w")
    dx = _input_grad(np.ascontiguousarray(W[:, :D].T), dzT, ws, "x") if need_dx else None
    return dx, dW, (dh.copy(),)


# -- LSTM -----------------------------------------------------------------------

def lstm_forward(W, x, batch_sizes, state=None, ws=None):
    """LSTM: x (T, D, N) -> h (T, H, N), final (h, c), cache.

    One buffer ``G`` (T + 1, 6H, N) holds per step the rows
    ``[c_{t-1}; g; f; i; o; tanh(c_t)]``: the GEMM writes the gate
    rows, one tanh covers all four (sigmoid(z) = (1 + tanh(z / 2)) / 2 with the
    f, i, o rows of W halved once), ``[c_{t-1} f; g i]`` is one product of the
    adjacent pairs ``[c_{t-1}; g]`` and ``[f; i]`` (into a small scratch that
    stays in cache), and c_t is their sum, written to ``G[t + 1]``'s first rows;
    then tanh(c_t) and h_t = o tanh(c_t): seven calls and a GEMM per step.

    With mixed lengths the GEMM and h cover the active columns only, but the
    other calls run over all N columns: contiguous rows cost less than the
    skipped work. Finished columns then hold finite leftovers in G past their
    last step, which nothing reads: their final c sits at ``G[length]``, and
    the backward gives them a zero gradient.
    """
    H = W.shape[0] // 4
    xh, batch_sizes, _ = _start(x, batch_sizes, W.shape[1] - 1 - H, H, state, 2, ws)
    T, D, N = x.shape
    dt = xh.dtype
    Ws = buffer(ws, "Ws", W.shape, dt, zero=False)
    np.copyto(Ws, W)
    Ws[H:] *= 0.5  # f, i, o rows
    G = buffer(ws, "G", (T + 1, 6 * H, N), dt, zero=False)
    G8 = G.reshape(T + 1, 6, H, N)
    G8[0, 0] = 0.0 if state is None else state[1]
    H2, H5 = 2 * H, 5 * H
    h_rows = D + 1
    scratch = buffer(ws, "scratch", (2, H, N), dt, zero=False)

    def build():
        views = []
        for t, n in enumerate(batch_sizes):
            g, g8 = G[t], G8[t]
            views.append((xh[t, :, :n], g[H:H5, :n], g[H:H5], g[H2:H5], g8[0:2], g8[2:4], scratch, scratch[0],
                          scratch[1], G8[t + 1, 0], g8[5], g8[4, :, :n], g8[5, :, :n], xh[t + 1, h_rows:, :n]))
        return views

    key = (ws.get("G"), ws.get("xh"), ws.get("scratch"), G.shape, xh.shape,
           tuple(batch_sizes)) if ws is not None else None
    half = dt.type(0.5)
    matmul, tanh, multiply, add = np.matmul, np.tanh, np.multiply, np.add
    for xin, z_n, z, s, cg, fi, p, p0, p1, c, tc, o_n, tc_n, h_n in _step_views(ws, "lstm_fw", key, build):
        matmul(Ws, xin, z_n)
        tanh(z, z)
        multiply(s, half, s)
        add(s, half, s)
        multiply(cg, fi, p)  # [c_{t-1} f; g i]
        add(p0, p1, c)  # c_t
        tanh(c, tc)
        multiply(o_n, tc_n, h_n)
    final = (_last(xh[:, h_rows:], batch_sizes), _last(G8[:, 0], batch_sizes))
    xhT, h = _finish(xh, H, ws)
    return h, final, (W, xh, xhT, batch_sizes, ws, G)


def lstm_backward(dh_out, dfinal, cache, need_dx=True, carry=1.0):
    """dh_out (T, H, N), dfinal (dh, dc) or None -> dx (T, D, N) (None without need_dx), dW, dstate0 (dh0, dc0).

    ``carry`` scales the gradients carried from each step to the one before, dh and dc (as rnn_backward).

    First, for all steps at once and in place, G's rows become the factors
    ``[f; i (1 - g^2); c_{t-1} f (1 - f); g i (1 - i); tanh(c) o (1 - o); o (1 - tanh(c)^2)]``
    (thirteen calls over (T, H, N), using h = o tanh(c) from xh).
    Then each step is four calls and a GEMM: ``dh_t`` (recurrent + from above),
    ``[do; dh_t o tanh'] = dh_t * [rows 4-5]``, ``dc_t = dc + dh_t o tanh'``,
    ``[dc_{t-1}; dg; df; di] = dc_t * [rows 0-3]`` (the gradients land in place,
    and dc_{t-1} where step t - 1 reads it), and ``dh_{t-1} = Wh.T [dg; df; di; do]``.

    A finished column's dh and dc stay exactly zero until its last step, where
    dfinal enters, so its rows past the end are 0 * (finite leftovers) = 0.
    """
    W, xh, xhT, batch_sizes, ws, G = cache
    H = W.shape[0] // 4
    D = W.shape[1] - 1 - H
    T, N = len(batch_sizes), G.shape[2]
    dt = W.dtype
    G8 = G.reshape(T + 1, 6, H, N)
    c, g, f, i, o, tc = (G8[:T, k] for k in range(6))
    h = xh[1:, D + 1:]
    tmp = buffer(ws, "tmp", (T, H, N), dt, zero=False)
    np.multiply(h, tc, out=tc)
    np.subtract(o, tc, out=tc)  # o (1 - tanh(c)^2)
    np.multiply(h, o, out=o)
    np.subtract(h, o, out=o)  # tanh(c) o (1 - o)
    np.multiply(g, i, out=tmp)  # g i
    np.multiply(tmp, g, out=g)
    np.subtract(i, g, out=g)  # i (1 - g^2)
    np.multiply(tmp, i, out=i)
    np.subtract(tmp, i, out=i)  # g i (1 - i)
    np.multiply(c, f, out=tmp)  # c f
    np.copyto(c, f)
    np.multiply(tmp, f, out=f)
    np.subtract(tmp, f, out=f)  # c f (1 - f)
    dh_final = None if dfinal is None or len(dfinal) < 1 or dfinal[0] is None else np.asarray(dfinal[0], dt)
    dc_final = None if dfinal is None or len(dfinal) < 2 or dfinal[1] is None else np.asarray(dfinal[1], dt)
    dh = buffer(ws, "dh", (H, N), dt, zero=True)
    dc = buffer(ws, "dc", (H, N), dt, zero=False)
    G8[T, 0] = 0.0
    WhT = buffer(ws, "WhT", (H, 4 * H), dt, zero=False)
    np.copyto(WhT, W[:, D + 1:].T)
    H5 = 5 * H
    ends = {}  # step -> the columns whose last step it is
    for t in range(T):
        after = batch_sizes[t + 1] if t + 1 < T else 0
        if after < batch_sizes[t]:
            ends[t] = (after, batch_sizes[t])
    if dh_final is None and dc_final is None:
        ends = {}

    def build():
        return [(t, dh[:, :n], dh_out[t, :, :n], G8[t, 4:6], G8[t + 1, 0], G8[t, 5], G8[t, :4], G[t, H:H5, :n])
                for t, n in reversed(list(enumerate(batch_sizes)))]

    dh_out = np.asarray(dh_out)
    key = (ws.get("G"), ws.get("dh"), dh_out.__array_interface__["data"][0], dh_out.strides,
           dh_out.shape, G.shape, tuple(batch_sizes)) if ws is not None else None
    matmul, multiply, add = np.matmul, np.multiply, np.add
    for t, d_n, d_out, e45, dc_next, e5, e03, dz in _step_views(ws, "lstm_bw", key, build):
        if t in ends:  # dfinal enters at each sequence's last step
            lo, hi = ends[t]
            if dh_final is not None:
                dh[:, lo:hi] = dh_final[:, lo:hi]
            if dc_final is not None:
                G8[t + 1, 0, :, lo:hi] = dc_final[:, lo:hi]
        add(d_n, d_out, d_n)  # dh_t
        multiply(dh, e45, e45)  # [do; dh o tanh'(c)]
        add(dc_next, e5, dc)  # dc_t
        multiply(dc, e03, e03)  # [dc_{t-1}; dg; df; di]
        matmul(WhT, dz, d_n)
        if carry != 1.0:
            d_n *= carry
            e03[0] *= carry
    dzT = _transposed(ws, "dzT", G[:T, H:H5])
    dW = _weight_grad(dzT, xhT[:, :T], ws, "w")
    dx = _input_grad(np.ascontiguousarray(W[:, :D].T), dzT, ws, "x") if need_dx else None
    return dx, dW, (dh.copy(), G8[0, 0].copy())


# -- GRU ------------------------------------------------------------------------

def gru_forward(Wx, Wh, x, batch_sizes, state=None, ws=None):
    """GRU: x (T, D, N) -> h (T, H, N), final (h,), cache."""
    H = Wh.shape[0] // 3
    if Wx.shape[0] != 3 * H or Wh.shape[1] != H + 1:
        raise ValueError(f"Wx must be (3H, D + 1) and Wh (3H, 1 + H), got {Wx.shape} and {Wh.shape}")
    xh, batch_sizes, ragged = _start(x, batch_sizes, Wx.shape[1] - 1, H, state, 1, ws)
    T, D, N = x.shape
    dt = xh.dtype
    ax = buffer(ws, "ax", (T, 3 * H, N), dt, zero=False)  # input parts of all steps
    np.matmul(Wx, xh[:T, :D + 1], out=ax)
    gates = buffer(ws, "gates", (T, 3 * H, N), dt, zero=ragged)  # r z n activations
    ahn = buffer(ws, "ahn", (T, H, N), dt, zero=ragged)  # Wh_n [1; h], for the backward
    H2 = 2 * H
    for t, n in enumerate(batch_sizes):
        a = gates[t, :, :n]
        np.matmul(Wh, xh[t, D:, :n], out=a)
        ahn[t, :, :n] = a[H2:]
        a[:H2] += ax[t, :H2, :n]
        sigmoid(a[:H2], out=a[:H2])
        r, z, nn = a[:H], a[H:H2], a[H2:]
        nn *= r
        nn += ax[t, H2:, :n]
        np.tanh(nn, out=nn)
        h = xh[t + 1, D + 1:, :n]
        np.subtract(xh[t, D + 1:, :n], nn, out=h)  # h' = n + z (h - n)
        h *= z
        h += nn
    final = (_last(xh[:, D + 1:], batch_sizes),)
    xhT, h = _finish(xh, H, ws)
    return h, final, (Wx, Wh, xh, xhT, batch_sizes, ws, gates, ahn)


def gru_backward(dh_out, dfinal, cache, need_dx=True, carry=1.0):
    """dh_out (T, H, N), dfinal (dh,) or None -> dx (T, D, N) (None without need_dx), dWx, dWh, dstate0 (dh0,).

    ``carry`` scales the gradient carried from each step to the one before (as rnn_backward).
    """
    Wx, Wh, xh, xhT, batch_sizes, ws, gates, ahn = cache
    H = Wh.shape[0] // 3
    D = Wx.shape[1] - 1
    T, N = len(batch_sizes), gates.shape[2]
    dt = Wh.dtype
    WhT = buffer(ws, "WhT", (H, 3 * H), dt, zero=False)
    np.copyto(WhT, Wh[:, 1:].T)
    dax = buffer(ws, "dax", gates.shape, dt, zero=False)  # (T, 3H, N) input parts
    dah = buffer(ws, "dah", gates.shape, dt, zero=False)  # (T, 3H, N) recurrent parts
    # the gates' derivatives for all steps at once, into dah as scratch
    r, z, nn = gates[:, :H], gates[:, H:2 * H], gates[:, 2 * H:]
    sr, sz, sn = dah[:, :H], dah[:, H:2 * H], dah[:, 2 * H:]
    np.subtract(1.0, r, out=sr)
    sr *= r
    sr *= ahn  # r (1 - r) (Wh_n [1; h])
    np.subtract(xh[:T, D + 1:], nn, out=sz)
    sz *= z
    np.subtract(1.0, z, out=sn)  # 1 - z
    sz *= sn  # (h - n) z (1 - z)
    np.multiply(nn, nn, out=dax[:, :H])  # scratch
    np.subtract(1.0, dax[:, :H], out=dax[:, :H])
    sn *= dax[:, :H]  # (1 - z) (1 - n^2)
    dh = _dfinal(dfinal, 0, buffer(ws, "dh", (H, N), dt, zero=False))
    back = buffer(ws, "back", (H, N), dt, zero=False)
    H2 = 2 * H
    for t in range(T - 1, -1, -1):
        n = batch_sizes[t]
        d = dh[:, :n]
        d += dh_out[t, :, :n]
        dxt, dht = dax[t, :, :n], dah[t, :, :n]
        np.multiply(d, dht[2 * H:], out=dxt[H2:])  # dn (through the tanh)
        np.multiply(d, dht[H:H2], out=dxt[H:H2])  # dz
        np.multiply(dxt[H2:], dht[:H], out=dxt[:H])  # dr
        dht[:H2] = dxt[:H2]
        np.multiply(dxt[H2:], r[t, :, :n], out=dht[H2:])
        d *= z[t, :, :n]  # the direct path h -> h'
        np.matmul(WhT, dht, out=back[:, :n])
        d += back[:, :n]
        if carry != 1.0:
            d *= carry
    if batch_sizes[-1] < N:
        _zero_inactive(dax, batch_sizes)
        _zero_inactive(dah, batch_sizes)
    daxT = _transposed(ws, "daxT", dax)
    dWx = _weight_grad(daxT, xhT[:D + 1, :T], ws, "x")
    dahT = _transposed(ws, "dahT", dah)
    dWh = _weight_grad(dahT, xhT[D:, :T], ws, "h")
    dx = _input_grad(np.ascontiguousarray(Wx[:, :D].T), daxT, ws, "x") if need_dx else None
    return dx, dWx, dWh, (dh.copy(),)
