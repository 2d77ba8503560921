"""Stacked recurrent layers, inverted dropout between them, and a linear head.

Parameters and gradients live in two flat buffers; ``params`` and ``grads`` are
dicts of views into them with the same keys, so a gradient check can walk the
dicts while an optimiser or an all-reduce touches one contiguous array.
"""

import numpy as np

from lstm_xor.nn import cells
from lstm_xor.nn.init import INITS, recurrent_block, xavier_uniform
from lstm_xor.nn.losses import softmax_cross_entropy

HEADS = ("every", "last")  # a prediction at every step, or at each sequence's last step


def _cols(a, index):
    """a[..., index], or a itself when index is None (the identity)."""
    return a if index is None else a[..., index]


def _rows(a, index):
    return a if index is None else a[index]


class Model:
    """cell in CELLS; input D, hidden H, C classes; head in HEADS."""

    def __init__(self, cell="lstm", input_size=2, hidden=100, output_size=2, layers=1,
                 dropout=0.0, head="every", init="orthogonal", forget_bias=1.0,
                 dtype=np.float32, seed=0):
        for name, value, accepted in (("cell", cell, cells.CELLS), ("head", head, HEADS), ("init", init, INITS)):
            if value not in accepted:
                raise ValueError(f"{name} must be one of {accepted}, got {value!r}")
        for name, value in (("input_size", input_size), ("hidden", hidden),
                            ("output_size", output_size), ("layers", layers)):
            if int(value) != value or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout!r}")
        self.cell, self.head, self.layers, self.dropout = cell, head, layers, dropout
        self.hidden, self.dtype = hidden, np.dtype(dtype)
        rng = np.random.default_rng(seed)
        blocks = {}
        for k in range(layers):
            D = input_size if k == 0 else hidden
            W = recurrent_block(rng, init, cells.GATES[cell], D, hidden, forget_bias, cell)
            if cell == "gru":  # split the fused block: [x | 1] and [1 | h]
                blocks[f"l{k}.Wx"], blocks[f"l{k}.Wh"] = W[:, :D + 1], np.concatenate(
                    [np.zeros((3 * hidden, 1)), W[:, D + 1:]], axis=1)
            else:
                blocks[f"l{k}.W"] = W
        if init == "uniform":
            blocks["head.W"] = rng.uniform(0.0, 1.0, size=(output_size, hidden))
        else:
            blocks["head.W"] = xavier_uniform(rng, output_size, hidden)
        blocks["head.b"] = np.zeros(output_size)
        size = sum(b.size for b in blocks.values())
        self.flat = np.empty(size, dtype=self.dtype)
        self.grad_flat = np.zeros(size, dtype=self.dtype)
        self._ws = [{} for _ in range(layers)]  # per-layer buffers reused between batches
        self._head_ws = {}
        self.params, self.grads, offset = {}, {}, 0
        for name, b in blocks.items():
            self.params[name] = self.flat[offset:offset + b.size].reshape(b.shape)
            self.params[name][...] = b
            self.grads[name] = self.grad_flat[offset:offset + b.size].reshape(b.shape)
            offset += b.size

    # -- forward and backward ------------------------------------------------

    def _prepare(self, x, lengths):
        """Sort longest first and go feature-major: (T, D, N), batch_sizes, order."""
        x = np.asarray(x)
        lengths = np.asarray(lengths)
        if x.ndim != 3 or lengths.shape != x.shape[:1]:
            raise ValueError(f"x must be (N, T, D) with lengths (N,), got x {x.shape} and lengths {lengths.shape}")
        if x.shape[0] == 0:
            raise ValueError("the batch is empty: x has no sequences")
        expected_d = self.params["l0.Wx" if self.cell == "gru" else "l0.W"].shape[1] - 1 - (
            0 if self.cell == "gru" else self.hidden)
        if x.shape[2] != expected_d:
            raise ValueError(f"x has {x.shape[2]} features, the model expects {expected_d}")
        if not np.issubdtype(lengths.dtype, np.integer) or lengths.min() < 1 or lengths.max() > x.shape[1]:
            raise ValueError(f"lengths must be integers in [1, T={x.shape[1]}], got {lengths}")
        lengths = lengths.astype(np.int64)
        T = int(lengths[0]) if lengths.min() == lengths.max() else int(lengths.max())
        if lengths.size > 1 and np.any(lengths[1:] > lengths[:-1]):
            order = np.argsort(-lengths, kind="stable")
            x, lengths = x[order], lengths[order]
        else:
            order = None  # already longest first (a fixed length, say): no reordering
        xs = np.ascontiguousarray(x[:, :T].transpose(1, 2, 0), dtype=self.dtype)  # (T, D, N)
        return xs, cells.batch_sizes_from_lengths(lengths, T), order, lengths

    def _check_state(self, state, N):
        n_state = 2 if self.cell == "lstm" else 1
        shape = (self.hidden, N)
        if (len(state) != self.layers or any(len(s) != n_state for s in state)
                or any(np.shape(a) != shape for s in state for a in s)):
            raise ValueError(f"state must hold, for each of the {self.layers} layers, {n_state} arrays of "
                             f"shape (hidden, N) = {shape}")

    def _layer_forward(self, k, x, batch_sizes, state):
        if self.cell == "gru":
            return cells.gru_forward(self.params[f"l{k}.Wx"], self.params[f"l{k}.Wh"], x, batch_sizes,
                                     state, self._ws[k])
        forward = cells.lstm_forward if self.cell == "lstm" else cells.rnn_forward
        return forward(self.params[f"l{k}.W"], x, batch_sizes, state, self._ws[k])

    def _layer_backward(self, k, dh, dfinal, cache):
        """Writes the layer's weight gradients; returns dx (None for the first layer) and dstate0."""
        if self.cell == "gru":
            dx, dWx, dWh, dstate = cells.gru_backward(dh, dfinal, cache, need_dx=k > 0)
            np.copyto(self.grads[f"l{k}.Wx"], dWx)
            np.copyto(self.grads[f"l{k}.Wh"], dWh)
            return dx, dstate
        backward = cells.lstm_backward if self.cell == "lstm" else cells.rnn_backward
        dx, dW, dstate = backward(dh, dfinal, cache, need_dx=k > 0)
        np.copyto(self.grads[f"l{k}.W"], dW)
        return dx, dstate

    def forward(self, x, lengths, state=None, train=False, rng=None):
        """x (N, T, D), lengths (N,) -> logits (N, T, C) or (N, C), final states.

        ``state`` and the returned states are per layer, in the batch's own order,
        each a tuple of (H, N) arrays (h, or h and c for LSTM).
        """
        logits, states, _ = self._forward(x, lengths, state, train, rng)
        return logits, states

    def _forward(self, x, lengths, state, train, rng):
        xs, batch_sizes, order, sorted_lengths = self._prepare(x, lengths)
        if state is not None:
            self._check_state(state, xs.shape[2])
        dropout = train and self.dropout > 0 and self.layers > 1
        if dropout and rng is None:
            raise ValueError("training with dropout needs rng, a numpy Generator that draws the masks")
        caches, masks, finals = [], [], []
        h = xs
        for k in range(self.layers):
            if k > 0 and dropout:
                keep = (rng.random(h.shape) >= self.dropout) / (1.0 - self.dropout)
                masks.append(keep.astype(self.dtype))
                h = h * masks[-1]
            s = None if state is None else tuple(_cols(np.asarray(a, self.dtype), order) for a in state[k])
            h, final, cache = self._layer_forward(k, h, batch_sizes, s)
            caches.append(cache)
            finals.append(final)
        W, b = self.params["head.W"], self.params["head.b"]
        inverse = None if order is None else np.argsort(order)
        if self.head == "every":  # all steps as one (H, T*N) matrix: one GEMM
            T, H, N = h.shape
            top = h.transpose(1, 0, 2).reshape(H, T * N)  # a view of the cells' feature-major copy
            logits = np.matmul(W, top).reshape(-1, T, N)  # (C, T, N)
            logits += b[:, None, None]
            out = _cols(logits, inverse).transpose(2, 1, 0)
        else:
            top = finals[-1][0]  # (H, N)
            logits = W @ top  # (C, N)
            logits += b[:, None]
            out = _cols(logits, inverse).T
        states = [tuple(_cols(a, inverse) for a in f) for f in finals]
        return out, states, (logits, top, caches, masks, batch_sizes, order, sorted_lengths)

    def loss(self, x, lengths, y, reduction="sum", count=None, state=None, train=True, rng=None):
        """Loss and gradients (into ``grads``, overwritten) for one batch.

        y (N, T) integer labels for head ``every`` (positions past a length are
        ignored), (N,) for head ``last``. Returns (loss, logits as ``forward``).
        """
        out, _, (logits, top, caches, masks, batch_sizes, order, sorted_lengths) = self._forward(
            x, lengths, state, train, rng)
        T, N = len(batch_sizes), len(sorted_lengths)
        W = self.params["head.W"]
        C = W.shape[0]
        y = np.asarray(y)
        if not np.issubdtype(y.dtype, np.integer):
            raise ValueError(f"y must hold integer class labels, got dtype {y.dtype}")
        if self.head == "every":
            if y.ndim != 2 or y.shape[0] != N or y.shape[1] < T:
                raise ValueError(f"y must be (N, T) = ({N}, >= {T}) labels for head 'every', got {y.shape}")
            ys = _rows(y, order)[:, :T].T  # (T, N)
            ragged = sorted_lengths[-1] < T
            mask = np.arange(T)[:, None] < sorted_lengths[None, :] if ragged else None
        else:
            if y.shape != (N,):
                raise ValueError(f"y must be (N,) = ({N},) labels for head 'last', got {y.shape}")
            ys, mask = _rows(y, order), None
        valid = ys if mask is None else ys[mask]
        low, high = valid.min(), valid.max()
        if low < 0 or high >= C:
            raise ValueError(f"labels must be in [0, {C}), got values from {low} to {high}")
        if mask is not None:
            ys = np.where(mask, ys, 0)  # whatever the padding holds
        # every gradient below is written, not added to: no need to zero grad_flat
        if self.head == "every":
            loss, dl = softmax_cross_entropy(logits, ys, mask, reduction, count)  # dl (C, T, N)
            dl = dl.reshape(C, T * N)
            np.matmul(dl, top.T, out=self.grads["head.W"])
            dl.sum(axis=1, out=self.grads["head.b"])
            dhT = cells._buffer(self._head_ws, "dhT", (self.hidden, T * N), self.dtype, zero=False)
            np.matmul(W.T, dl, out=dhT)
            dh = dhT.reshape(self.hidden, T, N).transpose(1, 0, 2)  # (T, H, N)
            dfinal = None
        else:
            loss, dl = softmax_cross_entropy(logits, ys, mask, reduction, count)
            self.grads["head.W"][...] = dl @ top.T
            self.grads["head.b"][...] = dl.sum(axis=1)
            dh = cells._buffer(self._head_ws, "dh", (T, self.hidden, N), self.dtype, zero=True)
            dfinal = (W.T @ dl,)
        for k in range(self.layers - 1, -1, -1):
            dx, _ = self._layer_backward(k, dh, dfinal, caches[k])
            dfinal = None
            if k > 0:
                dh = dx * masks[k - 1] if masks else dx
        return loss, out

    def n_params(self):
        return self.flat.size
