"""The tasks the loop can train: the built-in ones, and any module named in $LSTM_XOR_TASKS.

Each task module defines ``TASK``, a :class:`lstm_xor.tasks.base.Task`. A task
outside the package (a user's, or the tests' own) joins by naming its module in
the environment variable ``LSTM_XOR_TASKS`` (comma-separated, importable
names): its parameters then join ``RunConfig``, the CLI and the notebook, in
this process and in every process it starts (papermill kernels, MPI ranks).
"""

import importlib
import os

BUILTIN = ("lstm_xor.tasks.parity", "lstm_xor.tasks.adder", "lstm_xor.tasks.classify", "lstm_xor.tasks.forecast")


def _load():
    modules = list(BUILTIN) + [m.strip() for m in os.environ.get("LSTM_XOR_TASKS", "").split(",") if m.strip()]
    tasks = {}
    for name in modules:
        try:
            task = importlib.import_module(name).TASK
        except (ImportError, AttributeError) as e:
            raise ImportError(f"task module {name!r} (from LSTM_XOR_TASKS) cannot be loaded: {e}") from e
        tasks[task.name] = task
    return tasks


TASKS = _load()


def get_task(name):
    """The task called ``name``; ValueError naming the accepted ones otherwise."""
    if name not in TASKS:
        raise ValueError(f"bad parameter task={name!r}: expected one of {', '.join(TASKS)}")
    return TASKS[name]
