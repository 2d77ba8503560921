"""An optional token embedding, stacked recurrent layers with inverted dropout
between them, and a linear head (classes with softmax cross-entropy, or
regression outputs with squared error) at every step or at the last one.

Parameters and gradients live in two flat buffers; ``params`` and ``grads`` are
dicts of views into them with the same keys, so a gradient check can walk the
dicts while an optimiser or an all-reduce touches one contiguous array.
"""

import numpy as np

from lstm_xor.nn import cells, slips
from lstm_xor.nn.init import INITS, head_block, hidden_bias, recurrent_block
from lstm_xor.nn.losses import softmax_cross_entropy, squared_error

HEADS = ("every", "last", "mean")  # a prediction at every step, from the last step, or from the mean over steps
OUTPUTS = ("classes", "regression")  # C classes (softmax CE) or K real outputs (squared error)


def _cols(a, index):
    """a[..., index], or a itself when index is None (the identity)."""
    return a if index is None else a[..., index]


def _valid_steps(T, lengths):
    """(T, 1, N) bool: step t is within sequence n's length."""
    return (np.arange(T)[:, None] < lengths[None, :])[:, None, :]


def _mean_over_steps(h, lengths):
    """h (T, H, N) -> (H, N): each sequence's mean over its own steps (what lies past a length never counts)."""
    return np.where(_valid_steps(h.shape[0], lengths), h, 0).sum(axis=0) / lengths.astype(h.dtype)


def _rows(a, index):
    return a if index is None else a[index]


class Model:
    """cell in CELLS; input D features (or, with embed > 0, ``slots`` tokens per step
    from a vocabulary of input_size, each embedded in ``embed`` dimensions and
    concatenated); hidden H; output_size C classes or K outputs; head in HEADS."""

    def __init__(self, cell="lstm", input_size=2, hidden=100, output_size=2, layers=1,
                 dropout=0.0, head="every", init="orthogonal", forget_bias=1.0,
                 dtype=np.float32, seed=0, embed=0, slots=1, output="classes"):
        for name, value, accepted in (("cell", cell, cells.CELLS), ("head", head, HEADS), ("init", init, INITS),
                                      ("output", output, OUTPUTS)):
            if value not in accepted:
                raise ValueError(f"{name} must be one of {accepted}, got {value!r}")
        for name, value, low in (("input_size", input_size, 1), ("hidden", hidden, 1), ("output_size", output_size, 1),
                                 ("layers", layers, 1), ("embed", embed, 0), ("slots", slots, 1)):
            if int(value) != value or value < low:
                raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout!r}")
        self.cell, self.head, self.layers, self.dropout = cell, head, layers, dropout
        self.hidden, self.dtype, self.output = hidden, np.dtype(dtype), output
        self.vocabulary, self.embed, self.slots = (input_size, embed, slots) if embed else (0, 0, 0)
        self.input_size = embed * slots if embed else input_size  # D, what the first layer reads
        rng = np.random.default_rng(seed)
        blocks = {}
        for k in range(layers):
            D = self.input_size if k == 0 else hidden
            W = recurrent_block(rng, init, cells.GATES[cell], D, hidden, forget_bias, cell)
            b_hh = hidden_bias(rng, init, cells.GATES[cell], hidden)
            if cell == "gru":  # split the fused block: [x | 1] and [1 | h]
                blocks[f"l{k}.Wx"], blocks[f"l{k}.Wh"] = W[:, :D + 1], np.concatenate([b_hh, W[:, D + 1:]], axis=1)
            else:
                W[:, D] += b_hh[:, 0]
                blocks[f"l{k}.W"] = W
        blocks["head.W"], blocks["head.b"] = head_block(rng, init, output_size, hidden)
        if embed:  # drawn last, so the other blocks are the same as without an embedding
            blocks["embed.W"] = rng.standard_normal((input_size, embed))  # (V, E), as torch.nn.Embedding
        size = sum(b.size for b in blocks.values())
        self.flat = np.empty(size, dtype=self.dtype)
        self.grad_flat = np.zeros(size, dtype=self.dtype)
        self._ws = [{} for _ in range(layers)]  # per-layer buffers reused between batches
        self._head_ws = {}
        self._dstate = None  # after a backward: (d loss / d initial state per layer, batch order), see state_grads
        self.params, self.grads, offset = {}, {}, 0
        for name, b in blocks.items():
            self.params[name] = self.flat[offset:offset + b.size].reshape(b.shape)
            self.params[name][...] = b
            self.grads[name] = self.grad_flat[offset:offset + b.size].reshape(b.shape)
            offset += b.size

    # -- inputs ----------------------------------------------------------------

    def _prepare(self, x, lengths):
        """Sort longest first and go feature-major: (T, D, N) inputs, batch_sizes, order, lengths, tokens."""
        x = np.asarray(x)
        lengths = np.asarray(lengths)
        want = "(N, T) or (N, T, slots) integer tokens" if self.embed else "(N, T, D)"
        if x.ndim not in ((2, 3) if self.embed else (3,)) or lengths.shape != x.shape[:1]:
            raise ValueError(f"x must be {want} with lengths (N,), got x {x.shape} and lengths {lengths.shape}")
        if x.shape[0] == 0:
            raise ValueError("the batch is empty: x has no sequences")
        if not np.issubdtype(lengths.dtype, np.integer) or lengths.min() < 1 or lengths.max() > x.shape[1]:
            raise ValueError(f"lengths must be integers in [1, T={x.shape[1]}], got {lengths}")
        if self.embed:
            x = x if x.ndim == 3 else x[..., None]
            if x.shape[2] != self.slots or not np.issubdtype(x.dtype, np.integer):
                raise ValueError(f"x must hold {self.slots} integer token(s) per step, got {x.shape} of {x.dtype}")
        elif x.shape[2] != self.input_size:
            raise ValueError(f"x has {x.shape[2]} features, the model expects {self.input_size}")
        lengths = lengths.astype(np.int64)
        T = int(lengths.max())
        if lengths.size > 1 and np.any(lengths[1:] > lengths[:-1]):
            order = np.argsort(-lengths, kind="stable")
            x, lengths = x[order], lengths[order]
        else:
            order = None  # already longest first (a fixed length, say): no reordering
        batch_sizes = cells.batch_sizes_from_lengths(lengths, T)
        if not self.embed:
            xs = np.ascontiguousarray(x[:, :T].transpose(1, 2, 0), dtype=self.dtype)  # (T, D, N)
            return xs, batch_sizes, order, lengths, None
        tokens = x[:, :T].transpose(1, 2, 0)  # (T, S, N)
        tokens = np.where(np.arange(T)[:, None, None] < lengths, tokens, 0)  # padding may hold anything
        if tokens.min() < 0 or tokens.max() >= self.vocabulary:
            raise ValueError(f"tokens must be in [0, {self.vocabulary}), got values from {tokens.min()} "
                             f"to {tokens.max()}")
        table = self.params["embed.W"]
        xs = table[tokens].transpose(0, 1, 3, 2).reshape(T, self.input_size, -1)  # (T, S*E, N)
        return np.ascontiguousarray(xs), batch_sizes, order, lengths, tokens

    def _check_state(self, state, N):
        n_state = 2 if self.cell == "lstm" else 1
        shape = (self.hidden, N)
        if (len(state) != self.layers or any(len(s) != n_state for s in state)
                or any(np.shape(a) != shape for s in state for a in s)):
            raise ValueError(f"state must hold, for each of the {self.layers} layers, {n_state} arrays of "
                             f"shape (hidden, N) = {shape}")

    def dropout_masks(self, rng, N, T):
        """Inverted-dropout keep masks for a batch of N sequences of T steps: (layers - 1, N, T, H).

        Drawn for a whole (global) batch in its own order, so that a shard of it
        (rows ``[:, shard]``) gets the same masks whichever rank computes it.
        """
        keep = rng.random((self.layers - 1, N, T, self.hidden)) >= self.dropout
        return (keep / (1.0 - self.dropout)).astype(self.dtype)

    # -- forward and backward ------------------------------------------------

    def _layer_forward(self, k, x, batch_sizes, state):
        if self.cell == "gru":
            return cells.gru_forward(self.params[f"l{k}.Wx"], self.params[f"l{k}.Wh"], x, batch_sizes,
                                     state, self._ws[k])
        forward = cells.lstm_forward if self.cell == "lstm" else cells.rnn_forward
        return forward(self.params[f"l{k}.W"], x, batch_sizes, state, self._ws[k])

    backprop_slips = frozenset()  # slips.CELL_SLIPS the backward makes on purpose (none: the fast cells)

    def _layer_backward(self, k, dh, dfinal, cache, need_dx, carry):
        """Writes the layer's weight gradients; returns dx (None without need_dx) and dstate0."""
        if self.backprop_slips:
            dx, dW, dstate = slips.BACKWARDS[self.cell](dh, dfinal, cache, self.backprop_slips, need_dx, carry)
            np.copyto(self.grads[f"l{k}.W"], dW)
            return dx, dstate
        if self.cell == "gru":
            dx, dWx, dWh, dstate = cells.gru_backward(dh, dfinal, cache, need_dx=need_dx, carry=carry)
            np.copyto(self.grads[f"l{k}.Wx"], dWx)
            np.copyto(self.grads[f"l{k}.Wh"], dWh)
            return dx, dstate
        backward = cells.lstm_backward if self.cell == "lstm" else cells.rnn_backward
        dx, dW, dstate = backward(dh, dfinal, cache, need_dx=need_dx, carry=carry)
        np.copyto(self.grads[f"l{k}.W"], dW)
        return dx, dstate

    def forward(self, x, lengths, state=None, train=False, keep=None):
        """x (N, T, D) or tokens (N, T[, S]), lengths (N,) -> outputs (N, T, C) or (N, C), final states.

        ``state`` and the returned states are per layer, in the batch's own order,
        each a tuple of (H, N) arrays (h, or h and c for LSTM). ``keep``: dropout
        masks (layers - 1, N, T', H) from :meth:`dropout_masks`, needed when
        training with dropout.
        """
        out, states, _ = self._forward(x, lengths, state, train, keep)
        return out, states

    def _forward(self, x, lengths, state, train, keep):
        xs, batch_sizes, order, sorted_lengths, tokens = self._prepare(x, lengths)
        T, _, N = xs.shape
        if state is not None:
            self._check_state(state, N)
        dropout = train and self.dropout > 0 and self.layers > 1
        if dropout and (keep is None or np.shape(keep)[:2] != (self.layers - 1, N) or np.shape(keep)[2] < T):
            raise ValueError(f"training with dropout needs keep masks of shape ({self.layers - 1}, {N}, >= {T}, "
                             f"{self.hidden}) from Model.dropout_masks")
        caches, masks, finals = [], [], []
        h = xs
        for k in range(self.layers):
            if k > 0 and dropout:
                masks.append(np.ascontiguousarray(_rows(keep[k - 1], order)[:, :T].transpose(1, 2, 0)))
                h = h * masks[-1]
            s = None if state is None else tuple(_cols(np.asarray(a, self.dtype), order) for a in state[k])
            h, final, cache = self._layer_forward(k, h, batch_sizes, s)
            caches.append(cache)
            finals.append(final)
        W, b = self.params["head.W"], self.params["head.b"]
        inverse = None if order is None else np.argsort(order)
        if self.head == "every":  # all steps as one (H, T*N) matrix: one GEMM
            H = h.shape[1]
            top = h.transpose(1, 0, 2).reshape(H, T * N)  # a view of the cells' feature-major copy
            logits = np.matmul(W, top).reshape(-1, T, N)  # (C, T, N)
            logits += b[:, None, None]
            out = _cols(logits, inverse).transpose(2, 1, 0)
        else:
            top = finals[-1][0] if self.head == "last" else _mean_over_steps(h, sorted_lengths)  # (H, N)
            logits = W @ top  # (C, N)
            logits += b[:, None]
            out = _cols(logits, inverse).T
        states = [tuple(_cols(a, inverse) for a in f) for f in finals]
        return out, states, (logits, top, caches, masks, batch_sizes, order, sorted_lengths, tokens)

    def _targets(self, y, mask, order, sorted_lengths, T, N):
        """Targets and loss mask, sorted and feature-major: (T, N) / (K, T, N) or (N,) / (K, N), mask or None."""
        C = self.params["head.W"].shape[0]
        y = np.asarray(y)
        every = self.head == "every"
        if self.output == "classes":
            if not np.issubdtype(y.dtype, np.integer):
                raise ValueError(f"y must hold integer class labels, got dtype {y.dtype}")
            shape, want = ((N, T), f"(N, T) = ({N}, >= {T})") if every else ((N,), f"(N,) = ({N},)")
        else:
            if not np.issubdtype(y.dtype, np.floating):
                raise ValueError(f"y must hold float targets for a regression head, got dtype {y.dtype}")
            shape, want = ((N, T, C), f"(N, T, K) = ({N}, >= {T}, {C})") if every else ((N, C), f"(N, K) = ({N}, {C})")
        if y.ndim != len(shape) or y.shape[0] != N or (every and y.shape[1] < T) or y.shape[2 if every else 1:] != \
                shape[2 if every else 1:]:
            raise ValueError(f"y must be {want} for head '{self.head}', got {y.shape}")
        if mask is not None:
            mask = np.asarray(mask)
            if mask.dtype != bool or mask.shape[0] != N or mask.ndim != (2 if every else 1) or (
                    every and mask.shape[1] < T):
                raise ValueError(f"mask must be a boolean {'(N, >= T)' if every else '(N,)'} array, got "
                                 f"{mask.shape} of {mask.dtype}")
            mask = _rows(mask, order)
            mask = mask[:, :T].T if every else mask
        if every:
            ys = _rows(y, order)[:, :T]
            ys = ys.T if self.output == "classes" else ys.transpose(2, 1, 0)  # (T, N) or (K, T, N)
            if sorted_lengths[-1] < T:
                valid = np.arange(T)[:, None] < sorted_lengths[None, :]
                mask = valid if mask is None else mask & valid
        else:
            ys = _rows(y, order)
            ys = ys if self.output == "classes" else ys.T
        if self.output == "classes":
            valid = ys if mask is None else ys[mask]
            if valid.size and (valid.min() < 0 or valid.max() >= C):
                raise ValueError(f"labels must be in [0, {C}), got values from {valid.min()} to {valid.max()}")
            if mask is not None:
                ys = np.where(mask, ys, 0)  # whatever the padding holds
        return ys, mask

    def loss(self, x, lengths, y, mask=None, reduction="sum", count=None, state=None, train=True, keep=None,
             backward=True, carry=1.0):
        """Loss and gradients (into ``grads``, overwritten) for one batch.

        y: class labels (N, T) / (N,), or targets (N, T, K) / (N, K) for a
        regression head; positions past a length never count. ``mask`` (N, T) or
        (N,) bool, optional: the positions that carry a loss. ``count``: the
        number of loss positions the ``mean`` divides by (this batch's own when
        None). Returns (loss, outputs as ``forward``, final states as ``forward``);
        ``backward=False`` leaves ``grads`` alone (evaluation). ``carry`` scales the
        gradient carried from each step to the one before (randomized truncation's
        compensation; 1 is plain BPTT). After a backward, ``state_grads`` holds the
        loss's gradient with respect to ``state``, per layer as ``state``.
        """
        out, states, (logits, top, caches, masks, batch_sizes, order, sorted_lengths, tokens) = self._forward(
            x, lengths, state, train, keep)
        T, N = len(batch_sizes), len(sorted_lengths)
        ys, mask = self._targets(y, mask, order, sorted_lengths, T, N)
        W = self.params["head.W"]
        C = W.shape[0]
        objective = softmax_cross_entropy if self.output == "classes" else squared_error
        loss, dl = objective(logits, ys, mask, reduction, count)  # dl (C, T, N) or (C, N)
        if not backward:
            return loss, out, states
        # every gradient below is written, not added to: no need to zero grad_flat
        if self.head == "every":
            dl = dl.reshape(C, T * N)
            np.matmul(dl, top.T, out=self.grads["head.W"])
            dl.sum(axis=1, out=self.grads["head.b"])
            dhT = cells.buffer(self._head_ws, "dhT", (self.hidden, T * N), self.dtype, zero=False)
            np.matmul(W.T, dl, out=dhT)
            dh = dhT.reshape(self.hidden, T, N).transpose(1, 0, 2)  # (T, H, N)
            dfinal = None
        else:
            self.grads["head.W"][...] = dl @ top.T
            self.grads["head.b"][...] = dl.sum(axis=1)
            dh = cells.buffer(self._head_ws, "dh", (T, self.hidden, N), self.dtype, zero=True)
            dtop = W.T @ dl  # (H, N)
            if self.head == "last":
                dfinal = (dtop,)
            else:  # each valid step gets an equal share of the mean's gradient
                dh += (dtop / sorted_lengths.astype(self.dtype))[None] * _valid_steps(T, sorted_lengths)
                dfinal = None
        dstates = [None] * self.layers
        for k in range(self.layers - 1, -1, -1):
            dx, dstates[k] = self._layer_backward(k, dh, dfinal, caches[k], k > 0 or bool(self.embed), carry)
            dfinal = None
            if k > 0:
                dh = dx * masks[k - 1] if masks else dx
        if self.embed:  # each token's row gathers the gradient of every place it was read
            self._embed_backward(dx, tokens)
        self._dstate = (dstates, order)
        return loss, out, states

    @property
    def state_grads(self):
        """The last backward's gradient with respect to the initial state, per layer as ``state``, in the batch's
        own order (None before any backward); reordered here, not on every training step."""
        if self._dstate is None:
            return None
        dstates, order = self._dstate
        inverse = None if order is None else np.argsort(order)
        return [tuple(_cols(a, inverse) for a in layer) for layer in dstates]

    def _embed_backward(self, dx, tokens, chunk=64):
        """dx (T, S*E, N), tokens (T, S, N) -> the embedding table's gradient (V, E).

        For each (step, slot), dx's (E, N) block times the tokens' one-hot (N, V) is that
        block's share of the table gradient: one batched GEMM instead of np.add.at's
        slow scattered adds. The one-hot is built ``chunk`` tokens of the
        vocabulary at a time, so its memory stays bounded for a large vocabulary.
        """
        T, _, N = dx.shape
        blocks = dx.reshape(T * self.slots, self.embed, N)  # (T*S, E, N)
        ids = tokens.reshape(T * self.slots, N, 1)
        dtable = self.grads["embed.W"]
        for v in range(0, self.vocabulary, chunk):
            onehot = (ids == np.arange(v, min(v + chunk, self.vocabulary))).astype(self.dtype)  # (T*S, N, chunk)
            dtable[v:v + chunk] = np.matmul(blocks, onehot).sum(axis=0).T

    def n_params(self):
        return self.flat.size
