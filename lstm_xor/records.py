"""Run records (JSON) and checkpoints (npz), both written atomically: a crash
leaves the previous file or none, never half of one."""

import json
import math
import os
import tempfile
import zipfile

import numpy as np

CHECKPOINT_FORMAT = 1


def atomic_write(path, write):
    """Call write(file_object) on a temporary file beside path, then rename it."""
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=os.path.basename(path))
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes it private; the file it replaces is readable by all, like the repo's
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def check_destination(name, path, folder=False):
    """ValueError naming the parameter ``name`` when ``path`` (a file's, or with ``folder`` a folder's) cannot be
    written: said before a run trains, not after."""
    directory = path if folder else os.path.dirname(os.path.abspath(path))
    try:
        os.makedirs(directory, exist_ok=True)
        with tempfile.TemporaryFile(dir=directory):
            pass
    except OSError as e:
        raise ValueError(f"{name} {path!r} cannot be written: {e.strerror} ({e.filename})") from None


def json_safe(value):
    """value with every non-finite float replaced by None: bare NaN and Infinity are not JSON."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    return value


def write_record(path, record):
    """The record as strict JSON (non-finite numbers as null), written atomically."""
    text = json.dumps(json_safe(record), indent=1, allow_nan=False)
    atomic_write(path, lambda f: f.write((text + "\n").encode()))


def read_record(path):
    with open(path) as f:
        return json.load(f)


def read_json_or_none(path):
    """A JSON file's content, or None while it is missing or unreadable (being written, say)."""
    try:
        return read_record(path)
    except (OSError, ValueError):
        return None


def checkpoint_path(directory):
    return os.path.join(directory, "checkpoint.npz")


def save_checkpoint(directory, params, optimizer_state, meta, keep_as=()):
    """params and optimizer arrays, plus meta (config, epoch, history) as JSON.

    ``keep_as``: also keep copies under these names (the latest is always checkpoint.npz).
    """
    meta = json.dumps(json_safe(dict(meta, format=CHECKPOINT_FORMAT)), allow_nan=False)
    arrays = {"params": params, "meta": np.array(meta)}
    arrays.update({f"opt_{k}": np.asarray(v) for k, v in optimizer_state.items()})
    atomic_write(checkpoint_path(directory), lambda f: np.savez(f, **arrays))
    for name in keep_as:
        atomic_write(os.path.join(directory, name), lambda f: np.savez(f, **arrays))


def load_checkpoint(directory, name="checkpoint.npz"):
    """(params, optimizer_state, meta); ValueError if the file is not a sound checkpoint."""
    path = os.path.join(directory, name)
    if not os.path.exists(path):
        raise ValueError(f"no checkpoint at {path}")
    try:
        with np.load(path, allow_pickle=False) as z:
            meta = json.loads(str(z["meta"]))
            params = z["params"]
            state = {k[4:]: z[k] for k in z.files if k.startswith("opt_")}
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, json.JSONDecodeError, EOFError) as e:
        raise ValueError(f"checkpoint {path} is truncated or corrupt, or not an lstm_xor checkpoint ({e})") from None
    if meta.get("format") != CHECKPOINT_FORMAT:
        raise ValueError(f"checkpoint {path} has format {meta.get('format')!r}, expected {CHECKPOINT_FORMAT}")
    return params, state, meta
