"""The exploration notebook's views (notebooks/explore.ipynb): one string step by step, the units that carry the
parity, and widgets over both, for a fresh small network or a committed run's.

The numbers are lstm_xor.study.probe's; this module draws them and wires the controls. Matplotlib, IPython and
ipywidgets are imported lazily, so the package imports without them. Every view is a function of (a network,
a string, the units its head no longer reads), so the notebook's static cells (what papermill runs) and its
widgets show the same thing.
"""

from dataclasses import dataclass, field

import numpy as np

from lstm_xor.study import probe


@dataclass
class Source:
    """A network to explore, its test strings, and its units ordered by |correlation with the parity| (computed
    on first use)."""
    name: str
    model: object
    test: object
    _units: tuple | None = field(default=None, repr=False)

    def units(self):
        """(units by |correlation|, strongest first; their correlations)."""
        if self._units is None:
            corr = probe.parity_correlation(self.model, self.test)
            order = np.argsort(-np.abs(corr))
            self._units = (order, corr[order])
        return self._units

    def accuracy(self, ablated=()):
        """The share of test steps predicted right with the head no longer reading ``ablated``."""
        with probe.without_units(self.model, ablated):
            return probe.step_accuracy(self.model, self.test)


def plot_trace(model, bits, upto=None, ablated=()):
    """The running parity, P(label 1) and the top layer's states over a string's first ``upto`` steps (all by
    default), the head reading every unit but ``ablated``."""
    import matplotlib.pyplot as plt
    with probe.without_units(model, ablated):
        p1, h, c = probe.trace(model, bits)
    upto = len(bits) if upto is None else upto
    steps, label = np.arange(len(bits)), probe.running_parity(bits)
    panels = 3 if c is not None else 2
    fig, axes = plt.subplots(panels, 1, figsize=(max(6, 0.45 * len(bits)), 2.2 + 2.2 * panels), sharex=True)
    axes[0].step(steps, label, where="mid", color="k", label="running parity")
    axes[0].plot(steps[:upto], p1[:upto], "o-", label="P(label 1)")
    wrong = np.flatnonzero((p1[:upto] > 0.5) != label[:upto])
    axes[0].plot(wrong, p1[wrong], "x", color="tab:red", ms=10, label="wrong")
    ablation = f", head not reading units {', '.join(map(str, ablated))}" if len(ablated) else ""
    axes[0].set(ylim=(-0.1, 1.1), title=f"bits {bits}: step {upto} of {len(bits)}{ablation}")
    axes[0].legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    for ax, states, name in zip(axes[1:], (h, c), ("hidden state h", "cell state c"), strict=False):
        shown = np.where(np.arange(len(bits))[:, None] < upto, states[:, -1], np.nan)
        scale = np.abs(states).max() or 1.0
        image = ax.imshow(shown.T, aspect="auto", cmap="RdBu_r", vmin=-scale, vmax=scale)
        ax.set(ylabel=f"{name}\n(unit)")
        fig.colorbar(image, ax=ax, fraction=0.03)
    axes[-1].set(xticks=steps, xticklabels=list(bits), xlabel="input bit")
    fig.tight_layout()
    return fig


def plot_correlations(order, corr, ablated=()):
    """Each unit's correlation with the running parity, strongest first; the ablated ones in red."""
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(min(14, max(7, 0.12 * len(corr))), 3))
    colors = ["tab:red" if u in set(ablated) else "tab:blue" for u in order]
    ax.bar(np.arange(len(corr)), corr, color=colors)
    shown = np.arange(0, len(order), max(1, len(order) // 25))  # at most ~25 labels: 100 units stay legible
    ax.set(xticks=shown, xticklabels=order[shown], xlabel="unit (by |correlation|, strongest first)",
           ylabel="correlation with the parity")
    fig.tight_layout()
    return fig


def ablation_lines(full, rows):
    """The ablations in words: every unit read, then without the k most and the k least correlated."""
    lines = [f"every unit read: {full:.3f} of the steps right"]
    lines += [f"without the {k} most correlated: {strongest:.3f}; without the {k} least: {weakest:.3f}"
              for k, strongest, weakest in rows]
    return "\n".join(lines)


def _show(out, fig):
    """Draw fig into an Output widget and close it, so the inline backend does not draw it a second time."""
    import matplotlib.pyplot as plt
    from IPython.display import display
    with out:
        out.clear_output(wait=True)
        display(fig)
    plt.close(fig)


def explorer(sources, bits, load=None):
    """Widgets: choose a network, type a bit string and step through it, pick units the head no longer reads.

    sources: {name: Source}; load: {name: a function returning a Source}, for networks loaded on first choice
    (a committed run's). Returns the widget box (display it).
    """
    import ipywidgets as w
    load = dict(load or {})
    names = list(sources) + [n for n in load if n not in sources]
    pick = w.Dropdown(options=names, value=names[0], description="network")
    text = w.Text(value=bits, description="bits", continuous_update=False)
    step = w.IntSlider(value=len(bits), min=1, max=len(bits), description="step")
    play = w.Play(value=len(bits), min=1, max=len(bits), interval=400)
    w.jslink((play, "value"), (step, "value"))
    units = w.SelectMultiple(description="ablate", rows=8)
    status, trace_out, units_out = w.HTML(), w.Output(), w.Output()

    busy = []  # set while a handler runs: the controls it moves do not redraw a second time

    def once(handler):
        def run(*_):
            if busy:
                return
            busy.append(handler)
            try:
                handler()
            finally:
                busy.pop()
        return run

    def source():
        if pick.value not in sources:
            status.value = f"loading {pick.value} ..."
            sources[pick.value] = load[pick.value]()
        return sources[pick.value]

    def draw():
        s, chosen = source(), tuple(units.value)
        try:
            string = probe.read_bits(text.value)
        except ValueError as e:
            status.value = f"<b>{e}</b>"
            return
        step.max = play.max = len(string)
        full, without = s.accuracy(), s.accuracy(chosen)
        status.value = (f"{s.name}: {full:.3f} of the test steps right; without units "
                        f"{', '.join(map(str, chosen)) or '(none)'}: {without:.3f}")
        _show(trace_out, plot_trace(s.model, string, step.value, chosen))
        order, corr = s.units()
        _show(units_out, plot_correlations(order, corr, chosen))

    def new_network():
        order, corr = source().units()
        units.options = [(f"unit {u} ({r:+.2f})", int(u)) for u, r in zip(order, corr, strict=True)]
        draw()

    def new_bits():
        if set(text.value) <= {"0", "1"} and text.value:  # a new string is shown whole; a bad one is named by draw
            step.max = play.max = len(text.value)
            step.value = play.value = len(text.value)
        draw()

    pick.observe(once(new_network), "value")
    text.observe(once(new_bits), "value")
    for control in (step, units):
        control.observe(once(draw), "value")
    once(new_network)()
    return w.VBox([w.HBox([pick, text]), w.HBox([play, step]), units, status, trace_out, units_out])
