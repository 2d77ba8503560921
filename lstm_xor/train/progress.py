"""How a run shows its progress: an interactive bar, plain lines, or nothing.

An executed notebook keeps what its cells printed: a widget bar would leave its
state (hundreds of KB) in the notebook and show frozen ("0/12"), so a notebook run
by papermill or nbconvert writes one plain line per epoch that ends with the final
count ("epoch 12/12: loss 0.0123, sequence accuracy 1, 41 s"). The bar is for a
terminal and for Jupyter. The mode is chosen by the caller (``progress='bar'``,
``'text'``, ``'none'``), else by $LSTM_XOR_PROGRESS, else detected: in a kernel,
a bar only when Jupyter Server started it (it names each kernel's session in
$JPY_SESSION_NAME; papermill and nbconvert do not); elsewhere, a bar on a terminal.
tqdm is imported only for a bar, so training needs NumPy alone.
"""

import os
import sys

from lstm_xor.tasks.base import check_choice

MODES = ("bar", "text", "none")


def choose(progress=None):
    """The display mode: ``progress`` itself ('bar', 'text', 'none'; False is 'none'), else detected."""
    if progress is False:
        return "none"
    if isinstance(progress, str):
        check_choice("progress", progress, MODES)
        return progress
    chosen = os.environ.get("LSTM_XOR_PROGRESS")
    if chosen:
        check_choice("LSTM_XOR_PROGRESS", chosen, MODES)
        return chosen
    if "ipykernel" in sys.modules:
        return "bar" if os.environ.get("JPY_SESSION_NAME") else "text"
    return "bar" if sys.stderr.isatty() else "text"


def epoch_line(epoch, epochs, loss, seconds, metric="", value=None):
    """'epoch 3/12: loss 0.0123, sequence accuracy 0.98, 41 s'."""
    figure = f", {metric.replace('_', ' ')} {value:.4g}" if metric and value is not None else ""
    return f"epoch {epoch}/{epochs}: loss {loss:.4g}{figure}, {seconds:.0f} s"


class Display:
    """A run's progress, epoch by epoch: ``bar`` (tqdm), ``text`` (a line per epoch) or ``none``.

    ``steps``: the bar counts each epoch's optimiser steps (one bar per epoch, as in
    the loop); otherwise it counts epochs (a launcher that hears of whole epochs only).
    """

    def __init__(self, mode, epochs, metric="", steps=True, first=0, desc=""):
        self.mode, self.epochs, self.metric, self.steps, self.desc = mode, epochs, metric, steps, desc
        self.bar = None
        if mode == "bar" and not steps:
            self.bar = _tqdm(total=epochs, initial=first, desc=desc, unit="epoch")

    def start_epoch(self, epoch, iterations):
        """Epoch ``epoch`` (from 0) begins, with this many optimiser steps."""
        if self.mode == "bar" and self.steps:
            self.bar = _tqdm(total=iterations, desc=f"epoch {epoch + 1}/{self.epochs}", leave=False)

    def step(self, iteration, loss):
        if self.mode == "bar" and self.steps:
            self.bar.update(1)
            if iteration % 100 == 0:
                self.bar.set_postfix(loss=f"{loss:.4g}")

    def end_epoch(self, epoch, loss, seconds, test):
        """Epoch ``epoch`` (counted from 1) is done: its loss, seconds and test metrics."""
        value = (test or {}).get(self.metric)
        if self.mode == "text":
            print(epoch_line(epoch, self.epochs, loss, seconds, self.metric, value), flush=True)
        elif self.mode == "bar" and self.steps:
            self.close()
        elif self.mode == "bar":
            self.bar.update(epoch - self.bar.n)
            self.bar.set_postfix({"loss": f"{loss:.4g}", **({self.metric: f"{value:.4f}"} if value is not None
                                                             else {})})

    def note(self, text):
        """A line that ends the run's progress early (it diverged), in text mode."""
        self.close()
        if self.mode == "text":
            print(text, flush=True)

    def close(self):
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def _tqdm(**kwargs):
    from tqdm.auto import tqdm
    return tqdm(mininterval=1.0, **kwargs)
