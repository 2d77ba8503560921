"""The vendored speech data (report 002's MFCC stand-ins) and the .ts format that carries JapaneseVowels.

Sources, licences and citations: ``files/SOURCES.md``. Every read checks the
file's sha256 against ``CHECKSUMS`` first.
"""

import hashlib
from pathlib import Path

import numpy as np

from lstm_xor.data.sequences import deltas, pack

FILES = Path(__file__).parent / "files"
CHECKSUMS = {
    "fsdd_digits_mfcc.npz": "27a701a4462e2b0b19bfed87d51a937b24f9f1413c8cdcdb99160e23d26349fa",
    "JapaneseVowels_TRAIN.ts": "68a430eabd919cc77f40b1f5f3bc0dcafacc1486bca9260785aeb7d262cc78cd",
    "JapaneseVowels_TEST.ts": "b3d41d6a0ca3bcad3afb9ca7d4365382aa51341e2e58bae2a574babdda5b9462",
    "sunspots_yearly.csv": "f67889b1d9002cd5227f0e0ef54e35b419cdd85a31279adef6f73fb41e5c0a9b",
    "co2_weekly.csv": "16695fa2786e53414e5a6b54767a3fdf5de99cfbc68617f69d1362d92776a92f",
}


def vendored(name):
    """The path of vendored file ``name``, once its sha256 matches CHECKSUMS."""
    path = FILES / name
    if not path.is_file():
        raise FileNotFoundError(f"{path}: vendored data file missing; expected one with sha256 {CHECKSUMS[name]} "
                                "(see files/SOURCES.md)")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != CHECKSUMS[name]:
        raise ValueError(f"{path}: sha256 {digest}, expected {CHECKSUMS[name]} (see files/SOURCES.md)")
    return path


def read_ts(path):
    """A labelled multivariate .ts file (sktime/aeon format) -> SequenceSet, classes in @classLabel order.

    Reads what JapaneseVowels uses: '#' comments, the header up to @data
    (@dimensions, when given, is checked; @classLabel true names the classes),
    then one case a line, its dimensions ':'-separated, each a comma-separated
    series of one length, the label last. Refused: timestamps, missing values
    ('?'), unlabelled files.
    """
    header, cases, labels = {}, [], []
    with open(path) as f:
        lines = enumerate(f, 1)
        for _, line in lines:  # the header; the data loop below goes on from the line after @data
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            key, _, value = line.partition(" ")
            header[key.lower()] = value.split()
            if key.lower() == "@data":
                break
        if "@data" not in header:
            raise ValueError(f"{path}: no @data line")
        if header.get("@timestamps", ["false"])[0].lower() != "false":
            raise ValueError(f"{path}: @timeStamps true is not supported; expected plain comma-separated values")
        classes = header.get("@classlabel", ["false"])
        if classes[0].lower() != "true" or len(classes) < 2:
            raise ValueError(f"{path}: expected '@classLabel true' followed by the class names")
        classes = classes[1:]
        dims = int(header["@dimensions"][0]) if "@dimensions" in header else None
        for number, line in lines:
            if not line.strip():
                continue
            *fields, label = line.strip().split(":")
            dims = dims or len(fields)
            if len(fields) != dims:
                raise ValueError(f"{path} line {number}: {len(fields)} dimensions, expected {dims}")
            if label not in classes:
                raise ValueError(f"{path} line {number}: label {label!r} is not one of @classLabel "
                                 f"({' '.join(classes)})")
            if "?" in line:
                raise ValueError(f"{path} line {number}: missing value '?'; expected complete series")
            try:
                series = [np.array(field.split(","), dtype=np.float64) for field in fields]
            except ValueError as e:
                raise ValueError(f"{path} line {number}: not a number ({e})") from None
            if len({len(s) for s in series}) > 1:
                raise ValueError(f"{path} line {number}: dimensions of lengths {[len(s) for s in series]}; "
                                 "expected one length within a case")
            cases.append(np.stack(series, axis=1))
            labels.append(classes.index(label))
    if not cases:
        raise ValueError(f"{path}: no cases after @data")
    return pack(cases, labels, classes)


def load_japanese_vowels():
    """(train, test): 270 and 370 utterances, 12 LPC cepstra a frame, 7-29 frames, 9 speakers as classes."""
    return read_ts(vendored("JapaneseVowels_TRAIN.ts")), read_ts(vendored("JapaneseVowels_TEST.ts"))


def load_fsdd(delta_width=2):
    """Free Spoken Digit Dataset: 3000 utterances of the digits 0-9, 6-92 frames, no speaker ids.

    Without speaker ids a test split can only be stratified by digit
    (``stratified_split``): the same 6 speakers are in both parts.

    Features: the 13 MFCCs, their deltas and their deltas' deltas by the
    regression formula over +-delta_width frames (39 dims, like report 002's
    CV segments); delta_width=0 keeps the 13 MFCCs alone.
    """
    with np.load(vendored("fsdd_digits_mfcc.npz")) as f:
        X, lengths, y = f["X"], f["lengths"], f["y"]
    data = pack(np.split(X, np.cumsum(lengths)[:-1]), y, [str(d) for d in range(10)])
    if delta_width:
        d = deltas(data.x, data.lengths, delta_width)
        data.x = np.concatenate([data.x, d, deltas(d, data.lengths, delta_width)], axis=2).astype(np.float32)
    return data

