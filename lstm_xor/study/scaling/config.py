"""The study's run, its fixed sizes, and the JSON file its numbers go to (one section per measurement)."""

import json
import os

from lstm_xor.config import RunConfig
from lstm_xor.records import atomic_write

GLOBAL_BATCH = 160  # the report's 5 engines x 32
WARMUP_STEPS = 5  # steps left out of a run's seconds-per-step (fresh buffers, cold caches)


def study_config(**overrides):
    """The study's run: the report's task (lengths 1..50, prefix labels), hidden 100, global batch 160."""
    values = dict(n_samples=100_000, hidden=100, batch_size=GLOBAL_BATCH, dtype="float32", lr=0.01)
    values.update(overrides)
    return RunConfig(**values)


def int_list(value):
    """A list of ints from a list or from text such as '1,2,4' or '[1, 2, 4]' (papermill's -p gives text)."""
    if isinstance(value, str):
        value = [v for v in value.strip().strip("[]").replace(",", " ").split() if v]
    return [int(float(v)) for v in value]


def record_section(json_path, section, value):
    """Put ``value`` under ``section`` in the JSON at ``json_path`` (other sections kept); atomic."""
    if not json_path:
        return value
    data = load_results(json_path) if os.path.exists(json_path) else {}
    data[section] = value
    atomic_write(json_path, lambda f: f.write((json.dumps(data, indent=1) + "\n").encode()))
    return value


def load_results(json_path):
    with open(json_path) as f:
        return json.load(f)


def machine():
    """What the numbers were measured on."""
    from lstm_xor.comm import SerialComm
    from lstm_xor.launch import cores
    from lstm_xor.train.loop import environment
    env = environment(1, SerialComm())
    return {"cpu": env["cpu"], "cores": cores(), "numpy": env["numpy"], "python": env["python"],
            "lstm_xor": env["lstm_xor"], "load_average": list(os.getloadavg())}
