"""Truncated backpropagation through time: where a batch's sequences are cut, and running them chunk by chunk.

``full`` backpropagates through the whole sequence, one optimiser step per batch.
``regular`` cuts the steps into chunks of ``k`` (the last may be shorter) and
takes one optimiser step per chunk; the state is carried forward from chunk to
chunk, its gradient is not (PyTorch's ``detach()`` between chunks, Keras's
stateful RNN). ``randomized`` cuts before each step with probability ``p``
(chunks of mean length 1/p) and multiplies the gradient carried from each step to
the one before by 1/(1 - p): a gradient that reaches back d steps has crossed d
uncut places, which happens with probability (1 - p)^d, so its expectation is
the full BPTT gradient (the compensation of Tallec and Ollivier 2017, with a
constant truncation probability; d2l's xi_t = 1/pi_t with pi_t = 1 - p). Every
rank draws the cuts from the same generator and the global batch's length, so
all ranks take the same number of optimiser steps and all-reduces.

Also here: the gradient probes of report 004 (the state gradient's norm against
the distance, in the model's dtype or float64; the mean and spread of sampled
randomized gradients against the full one) and the exploding start (recurrent
weights scaled to a spectral radius above 1).
"""

import numpy as np

MODES = ("full", "regular", "randomized")


def cuts(T, mode, k=0, p=0.0, rng=None):
    """[(start, stop)] chunks covering steps 0 .. T - 1 in order, for a batch of T steps."""
    if mode == "full":
        return [(0, T)]
    if mode == "regular":
        starts = list(range(0, T, k))
    elif mode == "randomized":
        starts = [0, *(1 + np.flatnonzero(rng.random(T - 1) < p)).tolist()]
    else:
        raise ValueError(f"bad parameter bptt={mode!r}: expected one of {', '.join(MODES)}")
    return list(zip(starts, [*starts[1:], T], strict=True))


def carry_scale(mode, p=0.0, compensate=True):
    """The factor on the gradient carried from each step to the one before: 1/(1 - p) for randomized (1 without
    the compensation: the control whose cuts vary alike and whose expected gradient is not the full one), else 1."""
    return 1.0 / (1.0 - p) if mode == "randomized" and compensate else 1.0


def run_chunks(model, batch, chunks, counts, reduction, carry=1.0, keep=None):
    """Forward and backward over ``batch`` chunk by chunk, the state carried; yields each chunk's loss.

    After each yield ``model.grads`` hold that chunk's gradient, and an optimiser
    step taken then is seen by the next chunk (stateful truncated BPTT). ``counts``
    are the positions each chunk's ``mean`` divides by (the global batch's, for
    data parallelism). ``batch`` may be None (a rank without sequences): then each
    chunk yields None, so that every rank passes through the same chunks.
    ``keep``: dropout masks (layers - 1, N, T, H) for the whole batch.
    """
    state = None
    for (a, b), count in zip(chunks, counts, strict=True):
        part, active = (None, None) if batch is None else batch.steps(a, b)
        if part is None or not len(active):
            yield None
            continue
        if state is None:
            n_state = 2 if model.cell == "lstm" else 1
            state = [tuple(np.zeros((model.hidden, len(batch.lengths)), model.dtype) for _ in range(n_state))
                     for _ in range(model.layers)]
        mine = [tuple(s[:, active] for s in layer) for layer in state]
        mask_part = None if keep is None else keep[:, active, a:b]
        loss, _, final = model.loss(part.x, part.lengths, part.y, part.mask, reduction, count, state=mine,
                                    train=True, keep=mask_part, carry=carry)
        for layer, new in zip(state, final, strict=True):
            for s, f in zip(layer, new, strict=True):
                s[:, active] = f
        yield loss


def state_gradient_norms(model, batch, starts):
    """||d loss_T / d h_t|| for each t in ``starts``: the loss at each sequence's last step T alone, its gradient
    with respect to the hidden state h_t of every layer (LSTM: h, not c), -> (len(starts), layers) float64,
    the root mean square over the sequences. A fixed-length batch with a label at every step."""
    T = int(batch.lengths[0])
    if not (batch.lengths == T).all() or batch.y.ndim != 2:
        raise ValueError("state_gradient_norms needs a fixed-length batch with a label at every step")
    last = np.zeros(batch.y.shape, dtype=bool)
    last[:, T - 1] = True
    out = np.zeros((len(starts), model.layers))
    for row, t in enumerate(starts):
        if not 0 < t < T:
            raise ValueError(f"a start of {t}: expected 0 < t < T ({T})")
        _, state = model.forward(batch.x[:, :t], np.full(len(batch.lengths), t))
        model.loss(batch.x[:, t:], batch.lengths - t, batch.y[:, t:], last[:, t:], reduction="sum", state=state,
                   train=False)
        for k, grads in enumerate(model.state_grads):
            out[row, k] = np.sqrt((grads[0].astype(np.float64) ** 2).sum() / len(batch.lengths))
    return out


def in_float64(model, build):
    """A float64 copy of ``model`` (``build(dtype)``: a fresh model of the same shape) with its parameters: a
    backward pass that does not underflow where a float32 one reaches subnormals (below 1e-38)."""
    wide = build("float64")
    wide.flat[...] = model.flat
    return wide


def recurrent_blocks(model):
    """[(layer, gate, the (H, H) recurrent block as a view)] of every layer and gate."""
    H, out = model.hidden, []
    for k in range(model.layers):
        W = model.params[f"l{k}.Wh"][:, 1:] if model.cell == "gru" else model.params[f"l{k}.W"][:, -H:]
        out += [(k, g, W[g * H:(g + 1) * H]) for g in range(W.shape[0] // H)]
    return out


def set_radius(model, radius):
    """Scale every gate's recurrent block of every layer to spectral radius ``radius`` (in place)."""
    for _, _, block in recurrent_blocks(model):
        current = np.abs(np.linalg.eigvals(block.astype(np.float64))).max()
        block *= radius / current
    return model


def truncated_gradient(model, batch, chunks, carry=1.0):
    """The sum of the chunks' gradients at fixed parameters (no optimiser step between them): one sample of
    truncated BPTT's gradient of the whole batch's summed loss -> (P,) float64."""
    counts = [batch.steps(a, b)[0].loss_positions(True) for a, b in chunks]
    total = np.zeros(model.flat.size)
    for _ in run_chunks(model, batch, chunks, counts, "sum", carry):
        total += model.grad_flat
    return total


def randomized_spread(model, batch, p, draws, rng, compensate=True):
    """``draws`` randomized-truncation gradients at cut probability ``p`` against the full gradient g: the mean's
    relative error ||mean - g|| / ||g||, the relative variance E||sample - g||^2 / ||g||^2, and the mean's cosine
    with g (the batch summed, fixed parameters) -> dict."""
    model.loss(batch.x, batch.lengths, batch.y, batch.mask, reduction="sum", train=True)
    full = model.grad_flat.astype(np.float64)
    T, carry = int(batch.lengths.max()), carry_scale("randomized", p, compensate)
    samples = np.array([truncated_gradient(model, batch, cuts(T, "randomized", p=p, rng=rng), carry)
                        for _ in range(draws)])
    mean, g2 = samples.mean(axis=0), float(full @ full)
    return {"p": p, "compensate": compensate, "draws": draws,
            "mean_error": float(np.linalg.norm(mean - full) / np.sqrt(g2)),
            "variance": float(((samples - full) ** 2).sum(axis=1).mean() / g2),
            "cosine": float(mean @ full / (np.linalg.norm(mean) * np.sqrt(g2)))}
