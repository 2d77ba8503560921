"""Progress of a run on engines: rank 0 writes a short summary of each finished epoch to a file; the
notebook's process reads it and shows it (a bar in Jupyter, a line per epoch in an executed notebook)."""

import json

from lstm_xor.records import atomic_write, load_checkpoint, read_json_or_none
from lstm_xor.tasks import get_task
from lstm_xor.train.progress import Display, choose


def epoch_writer(path):
    """An ``on_epoch(record)`` for rank 0 that writes the summaries of every epoch finished so far to ``path``
    (atomically): a reader that polls slower than epochs end still shows each one."""
    done = []

    def on_epoch(record):
        h = record["history"]
        done.append({"epoch": record["epochs_completed"], "epoch_loss": h["epoch_loss"][-1],
                     "epoch_seconds": h["epoch_seconds"][-1], "test": record["test"]})
        atomic_write(path, lambda f: f.write(json.dumps(done).encode()))
    return on_epoch


def read_summaries(path, after):
    """The summaries rank 0 wrote of the epochs after epoch ``after``, oldest first."""
    return [s for s in read_json_or_none(path) or [] if s["epoch"] > after]


def first_epoch(launch):
    """The epoch a run starts from: the checkpoint's with ``resume``, else 0."""
    if not launch.resume:
        return 0
    try:
        return int(load_checkpoint(launch.checkpoint_dir)[2]["epoch"])
    except ValueError:
        return 0


def engines_display(config, launch, first, progress=None):
    """A display of whole epochs from ``first`` on (the notebook's process hears of nothing finer)."""
    return Display(choose(progress), config.epochs, get_task(config.task).primary, steps=False, first=first,
                   desc=f"{launch.engines} engines")
