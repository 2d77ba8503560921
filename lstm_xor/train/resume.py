"""Checkpoints after each epoch, and a run resumed from one as if it had never stopped."""

import math

import numpy as np

from lstm_xor.config import RESUMABLE, RunConfig
from lstm_xor.optim import lr_at
from lstm_xor.records import check_destination, load_checkpoint, save_checkpoint
from lstm_xor.tasks.base import positive_ints

BEST = "best.npz"  # the checkpoint of the epoch with the best validation loss, beside checkpoint.npz


def saved_config(meta):
    """A checkpoint's configuration, every field: one it predates ran as that field's default (a parameter
    is added with a default that keeps the numbers as they were)."""
    return {**RunConfig().to_dict(), **meta.get("config", {})}


def check_destinations(launch):
    """ValueError naming the parameter when the record's folder or the checkpoint folder cannot be written."""
    if launch.metrics_path:
        check_destination("metrics_path", launch.metrics_path)
    if launch.checkpoint_dir:
        check_destination("checkpoint_dir", launch.checkpoint_dir, folder=True)


def restore(config, launch, model, optimizer, schedule):
    """Load ``launch.checkpoint_dir`` into the model and optimiser; returns (history, epochs done, wall
    seconds so far, the best epoch's parameters or None). ValueError when it is not this run's."""
    where = launch.checkpoint_dir
    params, state, meta = load_checkpoint(where)
    saved = saved_config(meta)
    mismatched = sorted(k for k, v in config.to_dict().items() if k not in RESUMABLE and saved[k] != v)
    if mismatched:
        raise ValueError(f"checkpoint in {where} was made with other parameters: "
                         + ", ".join(f"{k}={saved.get(k)!r} (now {getattr(config, k)!r})" for k in mismatched))
    if params.shape != model.flat.shape:
        raise ValueError(f"checkpoint in {where} holds {params.size} parameters, the model has {model.flat.size}")
    if not np.all(np.isfinite(params)):
        raise ValueError(f"checkpoint in {where} holds non-finite parameters")
    done = meta["history"]["lr"]
    if any(lr_at(schedule, e) != lr for e, lr in enumerate(done)):
        raise ValueError(f"checkpoint in {where} was trained with learning rates {done} per epoch, "
                         f"which this run's lr/lr_schedule does not reproduce")
    model.flat[...] = params
    optimizer.load_state(state)
    history = meta["history"]
    history["iteration_loss"] = [math.nan if v is None else v for v in history["iteration_loss"]]
    epoch = int(meta["epoch"])
    best = load_checkpoint(where, BEST)[0] if config.patience and epoch else None
    return history, epoch, float(meta.get("wall", 0.0)), best


def save(config, launch, trainer, history, wall, best_now):
    """The checkpoint after the epoch just done; also kept as checkpoint-<epoch>.npz when ``keep_epochs``
    names it, and as best.npz when it is early stopping's best so far."""
    epoch = len(history["epoch_loss"])
    keep = [f"checkpoint-{epoch}.npz"] if epoch in positive_ints("keep_epochs", launch.keep_epochs) else []
    if best_now:
        keep.append(BEST)
    save_checkpoint(launch.checkpoint_dir, trainer.model.flat, trainer.optimizer.state(),
                    {"config": config.to_dict(), "epoch": epoch, "history": history, "wall": wall}, keep_as=keep)
