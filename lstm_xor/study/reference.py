"""The plain reference LSTM and its Adam: one string and one step at a time, a matrix per gate, float64.

Written as a first from-scratch LSTM is: input weights Wi, Wf, Wo, Wc, recurrent Ui, Uf, Uo, Uc and
biases, matrix-vector products, a list of per-step caches, backpropagation through time step by step,
and Adam over a dict of arrays. The network, the loss (mean cross-entropy of the running parity over
every position of the batch), the clipping and the Adam step are those of the tuned
:class:`lstm_xor.nn.model.Model` and :class:`lstm_xor.optim.Adam`, so the two compute the same numbers
(tests/test_reference.py) and only the way of computing differs. The scaling study times it as the
naive sequential version.
"""

import math

import numpy as np

from lstm_xor.nn.cells import LSTM_GATE_ORDER

GATES = ("i", "f", "o", "c")  # c is the candidate, the tuned code's gate g


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def _rows(W, H, gate):
    """The tuned model's row block of ``gate`` in its layer weights (a view)."""
    k = LSTM_GATE_ORDER.index("g" if gate == "c" else gate)
    return W[k * H:(k + 1) * H]


class NaiveLSTM:
    """One-layer LSTM with a softmax head at every step, on one-hot bits, trained by Adam."""

    def __init__(self, params, lr=0.01, clip_norm=1.0, beta1=0.9, beta2=0.999, eps=1e-8):
        self.p = {k: np.array(v, dtype=np.float64) for k, v in params.items()}
        self.lr, self.clip_norm, self.beta1, self.beta2, self.eps = lr, clip_norm, beta1, beta2, eps
        self.m = {k: np.zeros_like(v) for k, v in self.p.items()}
        self.v = {k: np.zeros_like(v) for k, v in self.p.items()}
        self.t = 0

    @classmethod
    def from_model(cls, model, **kwargs):
        """The same weights as a one-layer LSTM :class:`lstm_xor.nn.model.Model` (head at every step)."""
        if model.cell != "lstm" or model.layers != 1 or model.head != "every":
            raise ValueError("NaiveLSTM mirrors a one-layer LSTM with a prediction at every step")
        W, H = model.params["l0.W"], model.hidden
        D = W.shape[1] - 1 - H  # columns: inputs, bias, recurrent
        params = {}
        for gate in GATES:
            rows = _rows(W, H, gate)
            params[f"W{gate}"], params[f"b{gate}"], params[f"U{gate}"] = rows[:, :D], rows[:, D], rows[:, D + 1:]
        params["Wy"], params["by"] = model.params["head.W"], model.params["head.b"]
        return cls(params, **kwargs)

    def to_flat(self, model, arrays=None):
        """These weights (or ``arrays`` of their shapes, such as gradients) in ``model``'s flat layout."""
        arrays = self.p if arrays is None else arrays
        W, H = model.params["l0.W"], model.hidden
        D = W.shape[1] - 1 - H
        flat = np.empty(model.n_params())
        layer = flat[:W.size].reshape(W.shape)
        head_w = flat[W.size:W.size + arrays["Wy"].size].reshape(arrays["Wy"].shape)
        for gate in GATES:
            rows = _rows(layer, H, gate)
            rows[:, :D], rows[:, D], rows[:, D + 1:] = arrays[f"W{gate}"], arrays[f"b{gate}"], arrays[f"U{gate}"]
        head_w[...], flat[W.size + arrays["Wy"].size:] = arrays["Wy"], arrays["by"]
        return flat

    def forward(self, bits):
        """One string, step by step: a cache per step (gates, states, ``prob`` of each class, label ``y``)."""
        p = self.p
        H = p["Ui"].shape[0]
        h, c, parity, caches = np.zeros(H), np.zeros(H), 0, []
        for bit in bits:
            x = np.zeros(2)
            x[int(bit)] = 1.0
            parity = (parity + int(bit)) % 2
            i = _sigmoid(np.dot(p["Wi"], x) + np.dot(p["Ui"], h) + p["bi"])
            f = _sigmoid(np.dot(p["Wf"], x) + np.dot(p["Uf"], h) + p["bf"])
            o = _sigmoid(np.dot(p["Wo"], x) + np.dot(p["Uo"], h) + p["bo"])
            g = np.tanh(np.dot(p["Wc"], x) + np.dot(p["Uc"], h) + p["bc"])
            c_new = f * c + i * g
            h_new = o * np.tanh(c_new)
            logits = np.dot(p["Wy"], h_new) + p["by"]
            e = np.exp(logits - np.max(logits))
            caches.append({"x": x, "h_prev": h, "c_prev": c, "i": i, "f": f, "o": o, "g": g, "c": c_new,
                           "h": h_new, "prob": e / np.sum(e), "y": parity})
            h, c = h_new, c_new
        return caches

    def backward(self, caches, grads, scale):
        """Backpropagation through time over one string's ``caches``; adds ``scale`` x its gradients to ``grads``."""
        p = self.p
        H = p["Ui"].shape[0]
        dh_next, dc_next = np.zeros(H), np.zeros(H)
        for s in reversed(caches):
            dlogits = s["prob"].copy()
            dlogits[s["y"]] -= 1.0
            dlogits *= scale
            grads["Wy"] += np.outer(dlogits, s["h"])
            grads["by"] += dlogits
            dh = np.dot(p["Wy"].T, dlogits) + dh_next
            tanh_c = np.tanh(s["c"])
            do = dh * tanh_c
            dc = dh * s["o"] * (1.0 - tanh_c ** 2) + dc_next
            dc_next = dc * s["f"]
            dz = {"i": dc * s["g"] * s["i"] * (1.0 - s["i"]), "f": dc * s["c_prev"] * s["f"] * (1.0 - s["f"]),
                  "o": do * s["o"] * (1.0 - s["o"]), "c": dc * s["i"] * (1.0 - s["g"] ** 2)}
            dh_next = np.zeros(H)
            for gate in GATES:
                grads[f"W{gate}"] += np.outer(dz[gate], s["x"])
                grads[f"U{gate}"] += np.outer(dz[gate], s["h_prev"])
                grads[f"b{gate}"] += dz[gate]
                dh_next += np.dot(p[f"U{gate}"].T, dz[gate])

    def gradients(self, strings):
        """The batch's mean loss over every position and its gradients (a dict like the weights)."""
        grads = {k: np.zeros_like(v) for k, v in self.p.items()}
        scale = 1.0 / sum(len(s) for s in strings)
        loss = 0.0
        for bits in strings:
            caches = self.forward(bits)
            loss -= scale * sum(math.log(s["prob"][s["y"]]) for s in caches)
            self.backward(caches, grads, scale)
        return loss, grads

    def train_batch(self, strings):
        """One Adam step on a batch (a list of bit arrays), after global-norm clipping; returns the mean loss."""
        loss, grads = self.gradients(strings)
        norm = math.sqrt(sum(float(np.sum(g * g)) for g in grads.values()))
        if self.clip_norm and norm > self.clip_norm:
            for g in grads.values():
                g *= self.clip_norm / norm
        self.t += 1
        for k in self.p:
            self.m[k] = self.beta1 * self.m[k] + (1 - self.beta1) * grads[k]
            self.v[k] = self.beta2 * self.v[k] + (1 - self.beta2) * grads[k] ** 2
            m_hat = self.m[k] / (1 - self.beta1 ** self.t)
            v_hat = self.v[k] / (1 - self.beta2 ** self.t)
            self.p[k] -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)
        return loss
