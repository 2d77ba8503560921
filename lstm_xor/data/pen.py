"""Pen trajectories in report 002's format, and a synthetic stand-in for its handwritten characters.

A file holds whitespace-separated numbers: the count of points, then that many
x y pairs, one stroke (pen down to pen up) of one character, coordinates
normalised to [0, 1] per character.
"""

import math
from pathlib import Path

import numpy as np

from lstm_xor.data.sequences import pack


def read_pen(path):
    """One character file -> (L, 2) float64 points, as written (no normalisation)."""
    words = Path(path).read_text().split()
    if not words:
        raise ValueError(f"{path}: empty file; expected a point count, then x y pairs")
    try:
        values = np.array(words, dtype=np.float64)
    except ValueError as e:
        raise ValueError(f"{path}: not a number ({e})") from None
    if not np.isfinite(values).all():
        raise ValueError(f"{path}: {words[np.flatnonzero(~np.isfinite(values))[0]]!r} is not a finite number")
    count, coords = values[0], values[1:]
    if count < 1 or count != int(count):
        raise ValueError(f"{path}: point count {words[0]!r}; expected a whole number >= 1")
    if len(coords) % 2:
        raise ValueError(f"{path}: {len(coords)} coordinates after the count; expected x y pairs (an even number)")
    if len(coords) != 2 * count:
        raise ValueError(f"{path}: the count says {int(count)} points, the file holds {len(coords) // 2}")
    return coords.reshape(-1, 2)


def write_pen(path, points):
    """Write (L, 2) points as read_pen reads them: the count, then one 'x y' line a point (exact decimals)."""
    lines = [str(len(points))] + [f"{x!r} {y!r}" for x, y in np.asarray(points, dtype=np.float64).tolist()]
    Path(path).write_text("\n".join(lines) + "\n")


def read_pen_tree(root, pattern="*.txt"):
    """A directory tree -> SequenceSet: root/<class>/<files matching pattern>, classes in name order.

    Every folder directly under root is a class, named by the folder; its
    sequences are its files matching ``pattern`` (a glob relative to the class
    folder, e.g. '*.txt' or 'train/*.txt' for root/<class>/train/), in name order.
    """
    root = Path(root)
    if not root.is_dir():
        raise ValueError(f"{root}: not a directory; expected one folder per class")
    folders = sorted(p for p in root.iterdir() if p.is_dir())
    if not folders:
        raise ValueError(f"{root}: no class folders; expected root/<class>/{pattern}")
    sequences, labels = [], []
    for label, folder in enumerate(folders):
        files = sorted(p for p in folder.glob(pattern) if p.is_file())
        if not files:
            raise ValueError(f"{folder}: no files matching {pattern!r}")
        sequences += [read_pen(p) for p in files]
        labels += [label] * len(files)
    return pack(sequences, labels, [p.name for p in folders])


def normalise(points):
    """(L, 2) points scaled to [0, 1] on each axis separately; a flat axis goes to 0.5."""
    low, span = points.min(axis=0), np.ptp(points, axis=0)
    return np.where(span > 0, (points - low) / np.where(span > 0, span, 1.0), 0.5)


def _arc(start, stop, k=48):
    """Points on the unit circle around (0.5, 0.5), radius 0.5, from angle start to stop (turns)."""
    a = 2 * np.pi * np.linspace(start, stop, k)
    return 0.5 + 0.5 * np.stack([np.cos(a), np.sin(a)], axis=1)


# Simple one-stroke glyphs as polylines in the unit square, y up, drawn from the first vertex.
GLYPHS = {
    "L": np.array([[0, 1], [0, 0], [0.6, 0]], dtype=float),
    "V": np.array([[0, 1], [0.5, 0], [1, 1]], dtype=float),
    "Z": np.array([[0, 1], [1, 1], [0, 0], [1, 0]], dtype=float),
    "N": np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float),
    "O": _arc(0.25, 1.25),
    "U": np.concatenate([[[0, 1]], _arc(0.5, 1.0) * [1, 0.6], [[1, 1]]]),
    "S": np.concatenate([_arc(0.05, 0.75) * 0.5 + [0.25, 0.5], _arc(0.25, -0.45) * 0.5 + [0.25, 0]]),
}


def _stroke(vertices, n, rng, noise):
    """One drawing of a glyph: random size, aspect, slant and pen speed, n points, jitter, then normalised."""
    size = rng.uniform(0.5, 1.5) * np.exp(rng.uniform(-0.2, 0.2, size=2))  # overall size, then aspect
    slant = math.tan(math.radians(rng.uniform(-20, 20)))
    v = vertices * size
    v[:, 0] += slant * v[:, 1]
    arc = np.concatenate([[0], np.cumsum(np.linalg.norm(np.diff(v, axis=0), axis=1))])
    # pen speed varies along the stroke: u(t) = t + a (sin(2 pi t + phi) - sin phi) / (2 pi) is monotone for |a| < 1
    a, phi = rng.uniform(-0.6, 0.6), rng.uniform(0, 2 * np.pi)
    t = np.linspace(0, 1, n)
    u = t + a * (np.sin(2 * np.pi * t + phi) - np.sin(phi)) / (2 * np.pi)
    s = u * arc[-1]
    points = np.stack([np.interp(s, arc, v[:, 0]), np.interp(s, arc, v[:, 1])], axis=1)
    # jitter in absolute units (a hand's tremor does not grow with the letter), so small letters are noisier
    return normalise(points + rng.normal(0, noise, size=points.shape))


def synthetic_pen(n_per_class=100, classes=tuple(GLYPHS), seed=0, noise=0.01, min_points=30, max_points=90):
    """SYNTHETIC handwriting stand-in (not report 002's data): (N, T, 2) strokes of simple glyphs, in [0, 1].

    Each drawing of a glyph in ``classes`` (names from GLYPHS) gets a random
    size, aspect, slant, pen speed along the stroke, a point count uniform in
    [min_points, max_points] and Gaussian jitter of sd ``noise``; then each axis
    is scaled to [0, 1] as the report's files are. Shuffled; the set has
    ``synthetic=True``. Deterministic per seed.
    """
    unknown = [c for c in classes if c not in GLYPHS]
    if unknown or not classes:
        raise ValueError(f"bad parameter classes={classes!r}: expected names from {', '.join(GLYPHS)}")
    if n_per_class < 1:
        raise ValueError(f"bad parameter n_per_class={n_per_class!r}: expected an integer >= 1")
    if not 2 <= min_points <= max_points:
        raise ValueError(f"bad parameter min_points={min_points!r}: expected 2 <= min_points <= max_points "
                         f"({max_points})")
    rng = np.random.default_rng([seed, 4])
    labels = rng.permutation(np.repeat(np.arange(len(classes)), n_per_class))
    strokes = [_stroke(GLYPHS[classes[k]], rng.integers(min_points, max_points + 1), rng, noise) for k in labels]
    return pack(strokes, labels, classes, synthetic=True)
