"""A run's history and the rules that end it: early stopping's best epoch, rising loss, a solved test metric."""

from lstm_xor.config import stop_rule


def new_history(task, valid):
    """Empty per-iteration and per-epoch series; test (and, with a validation set, valid) metrics per epoch."""
    history = {"iteration_loss": [], "epoch_loss": [], "epoch_seconds": [], "lr": []}
    for split in ("test", "valid") if valid else ("test",):
        history.update({f"{split}_{m}": [] for m in (*task.history_metrics, "loss")})
    return history


def add_metrics(history, split, task, metrics):
    """Append one epoch's ``metrics`` of ``split`` ('test', 'valid') to the history."""
    for key in (*task.history_metrics, "loss"):
        history[f"{split}_{key}"].append(metrics[key])


def best_epoch(losses, min_delta):
    """(index of the best epoch, epochs since it) of a validation-loss history: an epoch is
    better when its loss is lower than the best so far by more than ``min_delta`` (Keras' rule)."""
    best = 0
    for i in range(1, len(losses)):
        if losses[i] < losses[best] - min_delta:
            best = i
    return best, len(losses) - 1 - best


def rising(epoch_losses, patience):
    """Has the epoch loss risen ``patience`` epochs in a row? (never with patience 0)"""
    if patience <= 0 or len(epoch_losses) <= patience:
        return False
    tail = epoch_losses[-patience - 1:]
    return all(b > a for a, b in zip(tail, tail[1:], strict=False))


def improved(config, history):
    """With early stopping, (is this epoch the best so far, epochs since the best); (False, 0) without."""
    if not config.patience:
        return False, 0
    _, since = best_epoch(history["valid_loss"], config.min_delta)
    return since == 0, since


def stop_status(config, history, test, since):
    """After an epoch: (status, record key, epoch) when a stop rule ends the run, else None.

    'solved': the test metric of ``stop_when`` reached its value; 'stopped': the loss rose for
    ``stop_patience`` epochs, or ``patience`` epochs passed without a better validation loss.
    """
    epoch = len(history["epoch_loss"])
    if config.stop_when:
        metric, value = stop_rule(config.stop_when)
        if test[metric] >= value:
            return "solved", "solved_epoch", epoch
    if rising(history["epoch_loss"], config.stop_patience) or (config.patience and since >= config.patience):
        return "stopped", "stopped_epoch", epoch - 1
    return None
