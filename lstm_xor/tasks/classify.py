"""Classifying whole sequences (report 002: RNN vs LSTM on speech and pen trajectories).

One label per sequence, predicted from the last step or from the mean over
steps (``pool``). The data sets ship with the package (``lstm_xor.data``):
JapaneseVowels with its standard split, the Free Spoken Digit Dataset's MFCCs
with a stratified split, and a synthetic stand-in for the report's pen
trajectories; ``dataset='pen_files'`` reads the report's own pen files from
``pen_root``. The validation part, which early stopping watches, is a fold of the
training part (``folds`` > 0) or a stratified share of it. Features are
standardised with statistics of the training part alone.
"""

import functools

import numpy as np

from lstm_xor.data.pen import normalise, read_pen_tree, synthetic_pen
from lstm_xor.data.sequences import feature_stats, pack, standardise, stratified_fold, stratified_split
from lstm_xor.data.speech import load_fsdd, load_japanese_vowels
from lstm_xor.tasks.base import Batch, ModelSpec, Param, Splits, Task, check_choice

DATASETS = ("vowels", "digits", "pen", "pen_files")
# The synthetic pen set: 5 classes, as the report's chance level of 0.20-0.21 suggests its HW set had
# (a guess), 80 strokes each of 20-50 points, so a batch-1 epoch costs about what JapaneseVowels' does.
PEN = dict(n_per_class=80, classes=("V", "U", "Z", "N", "S"), min_points=20, max_points=50)
POOLS = ("last", "mean")


@functools.lru_cache(maxsize=4)
def load(dataset, pen_root="", test_fraction=0.2, seed=0):
    """(train, test) before standardisation: the standard split, or a stratified one with ``seed``."""
    if dataset == "vowels":
        return load_japanese_vowels()
    if dataset == "digits":
        data = load_fsdd()
    elif dataset == "pen":
        data = synthetic_pen(seed=seed, **PEN)
    else:
        raw = read_pen_tree(pen_root)
        data = pack([normalise(x[:n]) for x, n in zip(raw.x, raw.lengths, strict=True)], raw.y, raw.classes)
    train, test = stratified_split(data.y, test_fraction, seed)
    return data.subset(train), data.subset(test)


class Classify(Task):
    name = "classify"
    params = (
        Param("dataset", str, "vowels", "vowels (JapaneseVowels), digits (spoken digits, FSDD MFCCs), pen "
              "(SYNTHETIC pen strokes), pen_files (the report's pen files under pen_root)"),
        Param("pen_root", str, "", "for dataset pen_files: a folder per class of pen files (count, then x y pairs)"),
        Param("pool", str, "last", "the head reads the last step (last) or the mean over the steps (mean)"),
        Param("folds", int, 0, "k-fold cross-validation of the training part: the validation part is fold `fold` "
              "of `folds`; 0 holds out valid_fraction instead"),
        Param("fold", int, 0, "which fold validates, 0 .. folds - 1"),
        Param("valid_fraction", float, 0.2, "the share that validates: of the training part (classify, without "
              "folds, stratified), of the series before the test period (forecast)"),
        Param("test_fraction", float, 0.2, "share held out for testing"),  # shared with parity: same type and default
    )
    about = ("A recurrent net reads a whole sequence and names its class, as in report 002 (RNN vs LSTM on speech "
             "and pen trajectories). The head reads the top layer's last step (`pool='last'`) or its mean over the "
             "steps (`pool='mean'`). Data: `vowels` is JapaneseVowels (12 LPC cepstra, 9 speakers, the standard "
             "270/370 split); `digits` the Free Spoken Digit Dataset (13 MFCCs with deltas and their deltas, 10 "
             "digits, a stratified split: the same speakers in both parts); `pen` a SYNTHETIC stand-in for the "
             "report's pen trajectories (drawn glyphs, not recorded handwriting). Features are standardised with "
             "the training part's statistics; the validation part is watched by early stopping (`patience`). "
             "Metrics: accuracy, accuracy per class and the confusion matrix.")
    history_metrics = ("accuracy",)
    primary = "accuracy"
    extra_name = "set"

    def validate(self, config):
        check_choice("dataset", config.dataset, DATASETS)
        check_choice("pool", config.pool, POOLS)
        if config.dataset == "pen_files" and not config.pen_root:
            raise ValueError("bad parameter pen_root='': expected the folder of the report's pen files with "
                             "dataset=pen_files")
        if config.folds == 1 or config.folds < 0:
            raise ValueError(f"bad parameter folds={config.folds!r}: expected 0 (no cross-validation) or >= 2")
        if not 0 <= config.fold < max(config.folds, 1):
            raise ValueError(f"bad parameter fold={config.fold!r}: expected 0 <= fold < folds "
                             f"({config.folds}){' (fold 0 without folds)' if not config.folds else ''}")
        for name in ("valid_fraction", "test_fraction"):
            if not 0 < getattr(config, name) < 1:
                raise ValueError(f"bad parameter {name}={getattr(config, name)!r}: expected a fraction strictly "
                                 "between 0 and 1")

    def splits(self, config):
        whole, test = load(config.dataset, config.pen_root, config.test_fraction, config.seed)
        if config.folds:
            train, valid = stratified_fold(whole.y, config.fold, config.folds, config.seed)
        else:
            train, valid = stratified_split(whole.y, config.valid_fraction, config.seed)
        train, valid = whole.subset(train), whole.subset(valid)
        mean, std = feature_stats(train)
        return Splits(*(standardise(part, mean, std) for part in (train, valid, test)))

    def model_spec(self, config):
        train, _ = load(config.dataset, config.pen_root, config.test_fraction, config.seed)
        return ModelSpec("dense", train.x.shape[2], len(train.classes), head=config.pool)

    def batch(self, config, data, index, dtype, step=None):
        lengths = data.lengths[index]
        return Batch(data.x[index, :int(lengths.max())].astype(dtype, copy=False), lengths, data.y[index])

    def tally_size(self, config, data):
        return 1 + len(data.classes) ** 2

    def tally(self, outputs, batch):
        """[sequences, then the confusion matrix (true class, predicted class) row by row]."""
        C = outputs.shape[-1]
        confusion = np.bincount(batch.y * C + outputs.argmax(axis=-1), minlength=C * C)
        return np.concatenate([[len(batch.y)], confusion]).astype(float)

    def metrics(self, totals):
        n = int(totals[0])
        C = int(round(np.sqrt(len(totals) - 1)))
        confusion = totals[1:].reshape(C, C)
        per_class = np.diag(confusion) / np.maximum(confusion.sum(axis=1), 1)
        return {"accuracy": float(np.trace(confusion) / n), "correct": int(np.trace(confusion)), "n": n,
                "class_accuracy": [float(v) for v in per_class],
                "confusion": [[int(v) for v in row] for row in confusion]}

    def summary(self, test):
        return f"{test['correct']}/{test['n']} right ({100 * test['accuracy']:.2f}%)"

    def summary_rows(self, test):
        worst = int(np.argmin(test["class_accuracy"]))
        return [("right", f"{test['correct']} / {test['n']} ({100 * test['accuracy']:.2f}%)"),
                ("weakest class", f"class {worst}: {100 * test['class_accuracy'][worst]:.1f}%")]


TASK = Classify()
