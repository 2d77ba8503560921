"""Report 002's data layer: the padded container, deltas, standardisation, stratified folds and splits,
the vendored speech files and the .ts reader."""

import hashlib
import re

import numpy as np
import pytest

from lstm_xor.data import speech
from lstm_xor.data.sequences import deltas, feature_stats, frames, pack, standardise, stratified_fold, stratified_split


def _toy(lengths=(3, 1, 4), D=2, seed=0):
    rng = np.random.default_rng(seed)
    return pack([rng.standard_normal((n, D)) for n in lengths], np.arange(len(lengths)) % 2, ["a", "b"])


def test_pack_pads_with_zeros_and_subset_trims_to_its_longest():
    data = _toy()
    assert data.x.shape == (3, 4, 2) and data.x.dtype == np.float32 and len(data) == 3
    assert not data.x[1, 1:].any() and not data.x[0, 3:].any() and data.x[2, 3].any()
    part = data.subset(np.array([0, 1]))
    assert part.x.shape == (2, 3, 2) and part.lengths.tolist() == [3, 1] and part.y.tolist() == [0, 1]
    assert part.classes == ("a", "b") and not part.synthetic
    np.testing.assert_array_equal(part.x[0], data.x[0, :3])


def test_deltas_by_the_regression_formula_on_a_hand_example():
    c = np.array([1.0, 2.0, 4.0, 8.0])
    # width 1: (c[t+1] - c[t-1]) / 2 with the end frames repeated
    x = np.zeros((2, 6, 1))
    x[0, :4, 0] = c
    x[0, 4:, 0] = [100.0, -100.0]  # padding: must not leak in
    x[1, :2, 0] = [3.0, 5.0]
    lengths = np.array([4, 2])
    np.testing.assert_allclose(deltas(x, lengths, 1)[0, :, 0], [0.5, 1.5, 3.0, 2.0, 0, 0])
    # width 2: sum_n n (c[t+n] - c[t-n]) / (2 (1 + 4))
    d = deltas(x, lengths, 2)
    np.testing.assert_allclose(d[0, :, 0], [0.7, 1.7, 2.0, 1.6, 0, 0])
    np.testing.assert_allclose(d[1, :, 0], [0.6, 0.6, 0, 0, 0, 0])  # (1 (5-3) + 2 (5-3)) / 10


def test_standardisation_uses_the_training_part_only_and_ignores_padding():
    train, test = _toy(seed=1), _toy(lengths=(2, 5), seed=2)
    mean, std = feature_stats(train)
    valid = np.concatenate([train.x[i, :n] for i, n in enumerate(train.lengths)]).astype(np.float64)
    np.testing.assert_allclose(mean, valid.mean(axis=0))
    np.testing.assert_allclose(std, valid.std(axis=0))
    out = standardise(test, mean, std)
    np.testing.assert_allclose(out.x[0, :2], (test.x[0, :2] - mean) / std, rtol=1e-6)
    assert not out.x[0, 2:].any()
    # another test part, one sequence changed: the unchanged one is transformed exactly as before
    changed = test.subset(np.arange(2))
    changed.x = changed.x.copy()
    changed.x[1] += 1000
    np.testing.assert_array_equal(standardise(changed, mean, std).x[0], out.x[0])
    # garbage in the training padding changes nothing
    padded = train.subset(np.arange(3))
    padded.x = padded.x.copy()
    padded.x[~frames(padded.lengths, padded.x.shape[1])] = 1e6
    np.testing.assert_array_equal(feature_stats(padded)[0], mean)


def test_a_constant_feature_is_kept_at_zero_not_nan():
    data = pack([np.ones((3, 1)), np.ones((2, 1))], [0, 0], ["a"])
    mean, std = feature_stats(data)
    assert std[0] == 1.0
    assert not standardise(data, mean, std).x.any()


def test_folds_partition_the_data_and_are_stratified():
    y = np.repeat(np.arange(3), [10, 7, 5])
    tests = []
    for fold in range(5):
        train, test = stratified_fold(y, fold, 5, seed=3)
        assert np.intersect1d(train, test).size == 0 and len(train) + len(test) == len(y)
        per_class = np.bincount(y[test], minlength=3)
        assert (np.abs(per_class - np.array([10, 7, 5]) / 5) < 1).all()
        tests.append(test)
    np.testing.assert_array_equal(np.sort(np.concatenate(tests)), np.arange(len(y)))
    assert max(map(len, tests)) - min(map(len, tests)) <= 1
    np.testing.assert_array_equal(stratified_fold(y, 2, 5, seed=3)[1], tests[2])  # fixed by the seed
    assert not np.array_equal(stratified_fold(y, 2, 5, seed=4)[1], tests[2])


def test_fold_errors_name_the_parameter():
    y = np.repeat(np.arange(2), [5, 2])
    with pytest.raises(ValueError, match=r"bad parameter fold=3: expected 0 <= fold < folds \(3\)"):
        stratified_fold(y, 3, 3)
    with pytest.raises(ValueError, match=r"bad parameter fold=-1"):
        stratified_fold(y, -1, 2)
    with pytest.raises(ValueError, match=r"bad parameter folds=1: expected an integer >= 2"):
        stratified_fold(y, 0, 1)
    with pytest.raises(ValueError, match=r"bad parameter folds=3: class 1 has only 2 sequences"):
        stratified_fold(y, 0, 3)


def test_stratified_split_keeps_class_shares_and_its_seed():
    y = np.repeat(np.arange(3), [20, 10, 3])
    train, test = stratified_split(y, 0.2, seed=5)
    assert np.bincount(y[test]).tolist() == [4, 2, 1]
    np.testing.assert_array_equal(np.sort(np.concatenate([train, test])), np.arange(len(y)))
    np.testing.assert_array_equal(stratified_split(y, 0.2, seed=5)[1], test)
    with pytest.raises(ValueError, match=r"bad parameter test_fraction=1.0"):
        stratified_split(y, 1.0)
    with pytest.raises(ValueError, match=r"class 2 has only one sequence"):
        stratified_split(np.array([0, 0, 1, 1, 2]), 0.5)


def test_checksums_agree_with_sources_md_and_the_files():
    sources = (speech.FILES / "SOURCES.md").read_text()
    for name, digest in speech.CHECKSUMS.items():
        assert re.search(rf"`{re.escape(name)}` \| \d+ \| `{digest}`", sources), name
        assert hashlib.sha256(speech.vendored(name).read_bytes()).hexdigest() == digest


def test_a_missing_or_altered_vendored_file_is_named(tmp_path, monkeypatch):
    monkeypatch.setattr(speech, "FILES", tmp_path)
    with pytest.raises(FileNotFoundError, match=r"JapaneseVowels_TRAIN.ts: vendored data file missing; expected "
                                                r"one with sha256 68a430ea"):
        speech.load_japanese_vowels()
    (tmp_path / "fsdd_digits_mfcc.npz").write_bytes(b"not the file")
    with pytest.raises(ValueError, match=r"fsdd_digits_mfcc.npz: sha256 [0-9a-f]{64}, expected 27a701a4"):
        speech.load_fsdd()


def test_fsdd_has_3000_utterances_of_ten_digits_with_deltas():
    data = speech.load_fsdd()
    assert data.x.shape == (3000, 92, 39) and data.x.dtype == np.float32
    assert data.lengths.min() == 6 and data.lengths.max() == 92 and data.lengths.sum() == 53999
    assert data.classes == tuple("0123456789") and np.bincount(data.y).tolist() == [300] * 10
    assert not data.x[~frames(data.lengths, 92)].any()
    plain = speech.load_fsdd(delta_width=0)
    assert plain.x.shape == (3000, 92, 13)
    np.testing.assert_array_equal(data.x[..., :13], plain.x)
    np.testing.assert_allclose(data.x[..., 13:26], deltas(plain.x, plain.lengths, 2), rtol=1e-5, atol=1e-4)


def test_japanese_vowels_train_and_test():
    train, test = speech.load_japanese_vowels()
    assert (len(train), len(test)) == (270, 370)
    assert train.x.shape[2] == test.x.shape[2] == 12
    assert train.classes == test.classes == tuple("123456789")
    assert np.bincount(train.y).tolist() == [30] * 9 and np.bincount(test.y, minlength=9).min() >= 24
    lengths = np.concatenate([train.lengths, test.lengths])
    assert lengths.min() == 7 and lengths.max() == 29
    # the first case's first and last values of dimension 0, as in the file
    assert train.x[0, 0, 0] == np.float32(1.860936) and train.lengths[0] == 20
    assert train.x[0, 19, 0] == np.float32(1.261441)


TS_HEADER = """# a comment
@problemName Toy
@timeStamps false
@univariate false
@dimensions 2
@equalLength false
@classLabel true up down
@data
"""


def _ts(tmp_path, body, header=TS_HEADER):
    path = tmp_path / "toy.ts"
    path.write_text(header + body)
    return path


def test_ts_reader_on_a_small_file(tmp_path):
    data = speech.read_ts(_ts(tmp_path, "1,2,3:4,5,6:down\n\n0.5,-1:2,2:up\n"))
    assert data.classes == ("up", "down") and data.y.tolist() == [1, 0] and data.lengths.tolist() == [3, 2]
    np.testing.assert_array_equal(data.x[0], [[1, 4], [2, 5], [3, 6]])
    np.testing.assert_array_equal(data.x[1], [[0.5, 2], [-1, 2], [0, 0]])


@pytest.mark.parametrize(("body", "header", "message"), [
    ("1,2:3,4:up\n1,2:up\n", TS_HEADER, r"toy.ts line 10: 1 dimensions, expected 2"),
    ("1,2:3,4,5:up\n", TS_HEADER, r"toy.ts line 9: dimensions of lengths \[2, 3\]; expected one length"),
    ("1,2:3,4:sideways\n", TS_HEADER, r"toy.ts line 9: label 'sideways' is not one of @classLabel \(up down\)"),
    ("1,?:3,4:up\n", TS_HEADER, r"toy.ts line 9: missing value '\?'"),
    ("1,x:3,4:up\n", TS_HEADER, r"toy.ts line 9: not a number"),
    ("1,2:3,4:up\n", TS_HEADER.replace("@data\n", ""), r"toy.ts: no @data line"),
    ("", TS_HEADER, r"toy.ts: no cases after @data"),
    ("1,2:3,4:up\n", TS_HEADER.replace("true up down", "false"), r"toy.ts: expected '@classLabel true'"),
    ("1,2:3,4:up\n", TS_HEADER.replace("@timeStamps false", "@timeStamps true"), r"@timeStamps true is not"),
])
def test_ts_reader_names_the_file_line_and_problem(tmp_path, body, header, message):
    with pytest.raises(ValueError, match=message):
        speech.read_ts(_ts(tmp_path, body, header))
