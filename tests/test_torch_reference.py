"""Forward values and gradients against torch.nn.LSTM, GRU and RNN (tanh) in float64.

Weight mapping (torch -> ours), per layer:
    lstm  W rows in cells.LSTM_GATE_ORDER; torch's rows are i, f, g, o.
          W = [W_ih | b_ih + b_hh | W_hh]
    rnn   W = [W_ih | b_ih + b_hh | W_hh]
    gru   rows r, z, n in both; Wx = [W_ih | b_ih], Wh = [b_hh | W_hh]
"""

import numpy as np
import pytest
import torch
from conftest import n_states

from lstm_xor.nn import cells
from lstm_xor.nn.model import HEADS, Model

TOL = {"rtol": 1e-10, "atol": 1e-10}
TORCH_LSTM_ORDER = "ifgo"


def _module(cell, D, H, layers, seed):
    torch.manual_seed(seed)
    kind = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}[cell]
    kw = {"nonlinearity": "tanh"} if cell == "rnn" else {}
    module = kind(D, H, num_layers=layers, **kw).double()
    with torch.no_grad():
        for p in module.parameters():  # wider than the default init, so every part matters
            p.uniform_(-0.6, 0.6)
    return module


def _rows(cell, H):
    """For each of our gate blocks, the slice of torch's rows it takes."""
    if cell != "lstm":
        return [slice(k * H, (k + 1) * H) for k in range(cells.GATES[cell])]
    return [slice(TORCH_LSTM_ORDER.index(g) * H, (TORCH_LSTM_ORDER.index(g) + 1) * H) for g in cells.LSTM_GATE_ORDER]


def _ours_from_torch(cell, module, k, grad=False):
    """Layer k's weights in our layout (or, with grad, torch's gradients in our layout)."""
    get = (lambda name: getattr(module, f"{name}_l{k}").grad.numpy()) if grad else (
        lambda name: getattr(module, f"{name}_l{k}").detach().numpy())
    w_ih, w_hh, b_ih, b_hh = get("weight_ih"), get("weight_hh"), get("bias_ih"), get("bias_hh")
    H = w_hh.shape[1]
    order = np.concatenate([np.arange(w_ih.shape[0])[s] for s in _rows(cell, H)])
    w_ih, w_hh, b_ih, b_hh = w_ih[order], w_hh[order], b_ih[order], b_hh[order]
    if cell == "gru":
        return np.concatenate([w_ih, b_ih[:, None]], 1), np.concatenate([b_hh[:, None], w_hh], 1)
    if grad:  # d/db_ih = d/db_hh = d/d(our bias column)
        np.testing.assert_allclose(b_ih, b_hh, rtol=1e-13, atol=1e-13)
        return (np.concatenate([w_ih, b_ih[:, None], w_hh], 1),)
    return (np.concatenate([w_ih, (b_ih + b_hh)[:, None], w_hh], 1),)


def _torch_state(cell, states):
    """Our per-layer tuples of (H, N) -> torch's (layers, N, H), h or (h, c)."""
    stacked = [torch.tensor(np.stack([s[j].T for s in states]), requires_grad=True) for j in range(n_states(cell))]
    return stacked, (tuple(stacked) if cell == "lstm" else stacked[0])


def _stack_forward(cell, weights, x, batch_sizes, states):
    out, finals, caches = x, [], []
    for w, s in zip(weights, states, strict=True):
        fw = {"rnn": cells.rnn_forward, "lstm": cells.lstm_forward, "gru": cells.gru_forward}[cell]
        out, final, cache = fw(*w, out, batch_sizes, s)
        finals.append(final)
        caches.append(cache)
    return out, finals, caches


def _stack_backward(cell, dh, dfinals, caches):
    bw = {"rnn": cells.rnn_backward, "lstm": cells.lstm_backward, "gru": cells.gru_backward}[cell]
    dweights, dstates = [None] * len(caches), [None] * len(caches)
    for k in range(len(caches) - 1, -1, -1):
        res = bw(dh, dfinals[k], caches[k])
        dh, dweights[k], dstates[k] = res[0], res[1:-1], res[-1]
    return dh, dweights, dstates


@pytest.mark.parametrize("mixed", [False, True], ids=["fixed", "packed"])
@pytest.mark.parametrize("layers", [1, 2])
@pytest.mark.parametrize("cell", cells.CELLS)
def test_cells_against_torch(cell, layers, mixed):
    rng = np.random.default_rng([layers, mixed, len(cell)])
    T, D, H, N = 6, 3, 5, 4
    module = _module(cell, D, H, layers, seed=layers)
    lengths = np.array([6, 5, 3, 1]) if mixed else np.full(N, T)  # sorted, longest first
    x = rng.standard_normal((T, N, D))  # torch's (T, N, D)
    states = [tuple(rng.standard_normal((H, N)) for _ in range(n_states(cell))) for _ in range(layers)]
    R = rng.standard_normal((T, N, H)) * (np.arange(T)[:, None] < lengths[None, :])[..., None]
    R_final = [tuple(rng.standard_normal((H, N)) for _ in range(n_states(cell))) for _ in range(layers)]

    # torch
    xt = torch.tensor(x, requires_grad=True)
    state_leaves, state_t = _torch_state(cell, states)
    inp = torch.nn.utils.rnn.pack_padded_sequence(xt, torch.tensor(lengths)) if mixed else xt
    out_t, final_t = module(inp, state_t)
    if mixed:
        out_t, _ = torch.nn.utils.rnn.pad_packed_sequence(out_t, total_length=T)
    finals_t = final_t if cell == "lstm" else (final_t,)
    loss = (out_t * torch.tensor(R)).sum()
    for j, f in enumerate(finals_t):
        loss = loss + (f * torch.tensor(np.stack([r[j].T for r in R_final]))).sum()
    loss.backward()

    # ours
    weights = [_ours_from_torch(cell, module, k) for k in range(layers)]
    batch_sizes = cells.batch_sizes_from_lengths(lengths, T)
    h, finals, caches = _stack_forward(cell, weights, x.transpose(0, 2, 1), batch_sizes, states)
    np.testing.assert_allclose(h.transpose(0, 2, 1), out_t.detach().numpy(), **TOL)
    for k in range(layers):
        for j in range(n_states(cell)):
            np.testing.assert_allclose(finals[k][j].T, finals_t[j][k].detach().numpy(), **TOL)
    dx, dweights, dstates = _stack_backward(cell, R.transpose(0, 2, 1), R_final, caches)
    np.testing.assert_allclose(dx.transpose(0, 2, 1), xt.grad.numpy(), **TOL)
    for k in range(layers):
        for ours, theirs in zip(dweights[k], _ours_from_torch(cell, module, k, grad=True), strict=True):
            np.testing.assert_allclose(ours, theirs, **TOL)
        for j in range(n_states(cell)):
            np.testing.assert_allclose(dstates[k][j].T, state_leaves[j].grad[k].numpy(), **TOL)


def _layer_names(cell, k):
    return [f"l{k}.Wx", f"l{k}.Wh"] if cell == "gru" else [f"l{k}.W"]


def _load(model, module, linear, embedding=None):
    """Copy torch's weights into the model (embedding.weight is embed.W as it is: (V, E) both)."""
    for k in range(model.layers):
        for name, w in zip(_layer_names(model.cell, k), _ours_from_torch(model.cell, module, k), strict=True):
            model.params[name][...] = w
    model.params["head.W"][...] = linear.weight.detach().numpy()
    model.params["head.b"][...] = linear.bias.detach().numpy()
    if embedding is not None:
        model.params["embed.W"][...] = embedding.weight.detach().numpy()


def _assert_grads(model, module, linear, embedding=None):
    """Every gradient of the model against torch's."""
    checked = set()
    for k in range(model.layers):
        names = _layer_names(model.cell, k)
        for name, g in zip(names, _ours_from_torch(model.cell, module, k, grad=True), strict=True):
            np.testing.assert_allclose(model.grads[name], g, **TOL, err_msg=name)
        checked.update(names)
    np.testing.assert_allclose(model.grads["head.W"], linear.weight.grad.numpy(), **TOL)
    np.testing.assert_allclose(model.grads["head.b"], linear.bias.grad.numpy(), **TOL)
    checked.update(["head.W", "head.b"])
    if embedding is not None:
        np.testing.assert_allclose(model.grads["embed.W"], embedding.weight.grad.numpy(), **TOL)
        checked.add("embed.W")
    assert checked == set(model.grads)


@pytest.mark.parametrize("head", HEADS)
@pytest.mark.parametrize("layers", [1, 2])
@pytest.mark.parametrize("cell", cells.CELLS)
def test_model_loss_against_torch(cell, layers, head):
    """Model.loss (mixed lengths, unsorted) against the torch module + Linear + cross-entropy on a packed batch."""
    rng = np.random.default_rng([layers, len(head), len(cell)])
    N, T, D, H, C = 5, 7, 2, 4, 2
    module = _module(cell, D, H, layers, seed=7)
    linear = torch.nn.Linear(H, C).double()
    lengths = np.array([3, 7, 1, 5, 7])
    x = rng.standard_normal((N, T, D))
    y = rng.integers(0, C, size=(N, T) if head == "every" else N)

    model = Model(cell, D, H, C, layers, head=head, dtype=np.float64)
    _load(model, module, linear)
    loss, logits, _ = model.loss(x, lengths, y, reduction="sum")

    packed = torch.nn.utils.rnn.pack_padded_sequence(torch.tensor(x), torch.tensor(lengths), batch_first=True,
                                                     enforce_sorted=False)
    out, final = module(packed)
    if head == "every":
        out, _ = torch.nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=T)
        z = linear(out)  # (N, T, C)
        valid = torch.tensor(np.arange(T)[None, :] < lengths[:, None])
        loss_t = torch.nn.functional.cross_entropy(z[valid], torch.tensor(y)[valid], reduction="sum")
        np.testing.assert_allclose(logits[valid.numpy()], z[valid].detach().numpy(), **TOL)
    else:
        if head == "last":
            pooled = (final[0] if cell == "lstm" else final)[-1]  # (N, H)
        else:  # the mean over each sequence's own steps (the padding is zeros in pad_packed_sequence)
            out, _ = torch.nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=T)
            pooled = out.sum(dim=1) / torch.tensor(lengths, dtype=out.dtype)[:, None]
        z = linear(pooled)  # (N, C)
        loss_t = torch.nn.functional.cross_entropy(z, torch.tensor(y), reduction="sum")
        np.testing.assert_allclose(logits, z.detach().numpy(), **TOL)
    loss_t.backward()
    assert loss == pytest.approx(loss_t.item(), rel=1e-12)
    _assert_grads(model, module, linear)


@pytest.mark.parametrize("head", ["every", "last"])
@pytest.mark.parametrize("layers", [1, 2])
@pytest.mark.parametrize("cell", cells.CELLS)
def test_token_model_against_torch(cell, layers, head):
    """Two token slots per step: torch.nn.Embedding, the two embeddings concatenated, the module on a
    packed unsorted batch with an initial state, Linear and cross-entropy (sum); every gradient, the
    embedding's too, and the final states."""
    rng = np.random.default_rng([layers, len(head), len(cell), 2])
    N, T, V, E, H, C = 4, 5, 6, 2, 3, 3
    torch.manual_seed(layers)
    embedding = torch.nn.Embedding(V, E).double()
    module = _module(cell, 2 * E, H, layers, seed=11)
    linear = torch.nn.Linear(H, C).double()
    lengths = np.array([3, 5, 1, 4])
    pad = np.arange(T)[None, :] >= lengths[:, None]
    x = rng.integers(0, V, size=(N, T, 2))
    y = rng.integers(0, C, size=(N, T) if head == "every" else N)
    states = [tuple(rng.standard_normal((H, N)) for _ in range(n_states(cell))) for _ in range(layers)]

    model = Model(cell, V, H, C, layers, head=head, dtype=np.float64, embed=E, slots=2)
    _load(model, module, linear, embedding)
    x_ours = x.copy()
    x_ours[pad] = V + 3  # ours ignores the padding; torch.nn.Embedding would reject it
    loss, logits, finals = model.loss(x_ours, lengths, y, state=states)

    emb = embedding(torch.tensor(x)).reshape(N, T, 2 * E)  # per step [slot 0 | slot 1]
    packed = torch.nn.utils.rnn.pack_padded_sequence(emb, torch.tensor(lengths), batch_first=True,
                                                     enforce_sorted=False)
    _, state_t = _torch_state(cell, states)
    out, final = module(packed, state_t)
    finals_t = final if cell == "lstm" else (final,)
    if head == "every":
        out, _ = torch.nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=T)
        z = linear(out)
        valid = torch.tensor(~pad)
        loss_t = torch.nn.functional.cross_entropy(z[valid], torch.tensor(y)[valid], reduction="sum")
        np.testing.assert_allclose(logits[~pad], z[valid].detach().numpy(), **TOL)
    else:
        z = linear(finals_t[0][-1])
        loss_t = torch.nn.functional.cross_entropy(z, torch.tensor(y), reduction="sum")
        np.testing.assert_allclose(logits, z.detach().numpy(), **TOL)
    loss_t.backward()
    assert loss == pytest.approx(loss_t.item(), rel=1e-12)
    for k in range(layers):
        for j in range(n_states(cell)):
            np.testing.assert_allclose(finals[k][j].T, finals_t[j][k].detach().numpy(), **TOL)
    assert np.any(model.grads["embed.W"] != 0)
    _assert_grads(model, module, linear, embedding)


@pytest.mark.parametrize("reduction", ["sum", "mean"])
@pytest.mark.parametrize("head", ["every", "last"])
@pytest.mark.parametrize("cell", cells.CELLS)
def test_regression_against_torch(cell, head, reduction):
    """output="regression" against the module + Linear + MSELoss on a packed unsorted batch, NaN in the padding."""
    rng = np.random.default_rng([len(head), len(cell), len(reduction)])
    N, T, D, H, K, layers = 4, 5, 2, 3, 2, 2
    module = _module(cell, D, H, layers, seed=5)
    linear = torch.nn.Linear(H, K).double()
    lengths = np.array([2, 5, 4, 1])
    pad = np.arange(T)[None, :] >= lengths[:, None]
    x = rng.standard_normal((N, T, D))
    y = rng.standard_normal((N, T, K) if head == "every" else (N, K))

    model = Model(cell, D, H, K, layers, head=head, dtype=np.float64, output="regression")
    _load(model, module, linear)
    y_ours = y.copy()
    if head == "every":
        y_ours[pad] = np.nan
    loss, outputs, _ = model.loss(x, lengths, y_ours, reduction=reduction)

    packed = torch.nn.utils.rnn.pack_padded_sequence(torch.tensor(x), torch.tensor(lengths), batch_first=True,
                                                     enforce_sorted=False)
    out, final = module(packed)
    mse = torch.nn.MSELoss(reduction=reduction)
    if head == "every":
        out, _ = torch.nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=T)
        valid = torch.tensor(~pad)
        z = linear(out)[valid]
        loss_t = mse(z, torch.tensor(y)[valid])
        np.testing.assert_allclose(outputs[~pad], z.detach().numpy(), **TOL)
    else:
        z = linear((final[0] if cell == "lstm" else final)[-1])
        loss_t = mse(z, torch.tensor(y))
        np.testing.assert_allclose(outputs, z.detach().numpy(), **TOL)
    loss_t.backward()
    assert loss == pytest.approx(loss_t.item(), rel=1e-12)
    _assert_grads(model, module, linear)


def test_float32_close_to_torch():
    """The float32 path (what the benchmark times) agrees with torch to float32 precision."""
    rng = np.random.default_rng(0)
    module = _module("lstm", 2, 8, 1, seed=3).float()
    x = rng.standard_normal((20, 6, 2)).astype(np.float32)
    out_t, (h_t, c_t) = module(torch.tensor(x))
    (W,) = _ours_from_torch("lstm", module, 0)
    h, (hf, cf), _ = cells.lstm_forward(W.astype(np.float32), x.transpose(0, 2, 1), np.full(20, 6))
    assert h.dtype == np.float32
    np.testing.assert_allclose(h.transpose(0, 2, 1), out_t.detach().numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(cf.T, c_t[0].detach().numpy(), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("cell", cells.CELLS)
def test_torch_init_draws_what_torch_draws(cell):
    """init='torch': each of our blocks has the distribution of what torch's default init puts there
    (U(-k, k), k = 1/sqrt(H); the RNN's and LSTM's fused bias is b_ih + b_hh, a GRU keeps b_hh apart),
    compared by range and variance with a torch module and nn.Linear of the same sizes."""
    D, H, C = 40, 200, 30
    model = Model(cell, D, H, C, 2, init="torch", forget_bias=5.0, dtype=np.float64, seed=0)
    torch.manual_seed(0)
    kind = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}[cell]
    module, linear = kind(D, H, num_layers=2).double(), torch.nn.Linear(H, C).double()
    for k in range(2):
        theirs = {name: getattr(module, f"{name}_l{k}").detach().numpy()
                  for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")}
        fused = theirs["bias_ih"] + theirs["bias_hh"]
        if cell == "gru":
            Wx, Wh = model.params[f"l{k}.Wx"], model.params[f"l{k}.Wh"]
            pairs = [(Wx[:, :-1], theirs["weight_ih"]), (Wx[:, -1], theirs["bias_ih"]),
                     (Wh[:, 0], theirs["bias_hh"]), (Wh[:, 1:], theirs["weight_hh"])]
        else:
            W = model.params[f"l{k}.W"]
            Din = W.shape[1] - 1 - H
            pairs = [(W[:, :Din], theirs["weight_ih"]), (W[:, Din], fused), (W[:, Din + 1:], theirs["weight_hh"])]
        pairs_head = [(model.params["head.W"], linear.weight.detach().numpy()),
                      (model.params["head.b"], linear.bias.detach().numpy())]
        for ours, ref in pairs + pairs_head:
            assert ours.shape == ref.shape
            assert np.abs(ours).max() <= np.abs(ref).max() * 1.05 + 1e-12  # the same bound (no forget bias 5)
            assert np.abs(ours).max() >= np.abs(ref).max() * 0.8
            assert np.var(ours) == pytest.approx(np.var(ref), rel=0.35)


@pytest.mark.parametrize("layers", [1, 2])
@pytest.mark.parametrize("cell", cells.CELLS)
def test_regular_truncation_against_torch_with_detach(cell, layers):
    """Chunks of 3 of 8 steps, the state carried into each chunk detached (torch's truncated BPTT): the gradient
    summed over the chunks at fixed parameters, ours (lstm_xor.bptt.run_chunks) against torch's."""
    from lstm_xor.bptt import cuts, run_chunks
    from lstm_xor.tasks.base import Batch
    rng = np.random.default_rng([layers, len(cell), 3])
    N, T, D, H, C = 4, 8, 2, 4, 3
    module = _module(cell, D, H, layers, seed=11)
    linear = torch.nn.Linear(H, C).double()
    x = rng.standard_normal((N, T, D))
    y = rng.integers(0, C, size=(N, T))
    chunks = cuts(T, "regular", k=3)

    state = None
    for a, b in chunks:
        out, state = module(torch.tensor(x[:, a:b]).transpose(0, 1), state)
        z = linear(out).transpose(0, 1)  # (N, b - a, C)
        torch.nn.functional.cross_entropy(z.reshape(-1, C), torch.tensor(y[:, a:b]).reshape(-1),
                                          reduction="sum").backward()  # gradients add up over the chunks
        state = tuple(s.detach() for s in state) if cell == "lstm" else state.detach()

    model = Model(cell, D, H, C, layers, head="every", dtype=np.float64)
    _load(model, module, linear)
    batch = Batch(x, np.full(N, T), y)
    total = np.zeros_like(model.flat)
    for _ in run_chunks(model, batch, chunks, [None] * len(chunks), "sum"):
        total += model.grad_flat
    model.grad_flat[...] = total
    _assert_grads(model, module, linear)
