"""Figures and tables that the notebooks and the book show (matplotlib imported lazily)."""

import numpy as np


def plot_history(record, smooth=50):
    """Loss per iteration (raw and smoothed), loss per epoch, test accuracy per epoch."""
    import matplotlib.pyplot as plt
    h = record["history"]
    fig, axes = plt.subplots(1, 3, figsize=(14, 3.6))
    it = np.asarray(h["iteration_loss"], dtype=float)
    axes[0].plot(it, lw=0.5, alpha=0.4, label="per iteration")
    if len(it) >= smooth:
        axes[0].plot(np.arange(smooth - 1, len(it)), np.convolve(it, np.ones(smooth) / smooth, "valid"),
                     lw=1.5, label=f"mean of {smooth}")
    axes[0].set(xlabel="iteration", ylabel=f"loss ({record['config']['loss_reduction']})", yscale="log",
                title="training loss per iteration")
    axes[0].legend()
    epochs = np.arange(1, len(h["epoch_loss"]) + 1)
    axes[1].plot(epochs, h["epoch_loss"], "o-")
    axes[1].set(xlabel="epoch", ylabel="sum of iteration losses", yscale="log", title="training loss per epoch")
    axes[2].plot(epochs, h["test_last_bit_accuracy"], "o-", label="last bit")
    axes[2].plot(epochs, h["test_sequence_accuracy"], "s-", label="whole string")
    axes[2].set(xlabel="epoch", ylabel="test accuracy", ylim=(-0.02, 1.02), title="test accuracy")
    axes[2].legend()
    fig.tight_layout()
    return fig


def summary_markdown(record):
    """The report's two metrics as counts and percentages, plus status and time."""
    t = record["test"]
    rows = [("status", record["status"]), ("epochs", record["epochs_completed"]),
            ("wall time", f"{record['wall_seconds']:.1f} s")]
    if t:
        rows += [("last bit right", f"{t['correct_last_bit']} / {t['n']} ({100 * t['last_bit_accuracy']:.3f}%)"),
                 ("whole string right", f"{t['correct_sequences']} / {t['n']} ({100 * t['sequence_accuracy']:.3f}%)"),
                 ("test loss", f"{t['loss']:.6g}")]
    if record.get("min_iteration_loss") is not None:
        rows.append(("min iteration loss", f"{record['min_iteration_loss']:.6g}"))
    for length, r in (record.get("long_strings") or {}).items():
        rows.append((f"length {length}: last bit / whole string",
                     f"{100 * r['last_bit_accuracy']:.2f}% / {100 * r['sequence_accuracy']:.2f}%"))
    return "| | |\n|---|---|\n" + "\n".join(f"| {k} | {v} |" for k, v in rows)
