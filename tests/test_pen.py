"""Pen trajectories (report 002's handwriting format): reader, errors, tree layout, synthetic stand-in."""

import numpy as np
import pytest

from lstm_xor.data.pen import GLYPHS, normalise, read_pen, read_pen_tree, synthetic_pen, write_pen


def test_round_trip_is_exact(tmp_path):
    points = np.random.default_rng(0).random((7, 2))
    write_pen(tmp_path / "a.txt", points)
    np.testing.assert_array_equal(read_pen(tmp_path / "a.txt"), points)


def test_reads_any_whitespace_layout(tmp_path):
    (tmp_path / "a.txt").write_text("3 0 0.5\n1 1\t0.25 0   \n")
    np.testing.assert_array_equal(read_pen(tmp_path / "a.txt"), [[0, 0.5], [1, 1], [0.25, 0]])


@pytest.mark.parametrize(("text", "message"), [
    ("", r"a.txt: empty file; expected a point count, then x y pairs"),
    ("  \n", r"a.txt: empty file"),
    ("2 0 0 x 1", r"a.txt: not a number"),
    ("2 0 0 nan 1", r"a.txt: 'nan' is not a finite number"),
    ("2.5 0 0 1 1", r"a.txt: point count '2.5'; expected a whole number >= 1"),
    ("0", r"a.txt: point count '0'"),
    ("2 0 0 1", r"a.txt: 3 coordinates after the count; expected x y pairs \(an even number\)"),
    ("3 0 0 1 1", r"a.txt: the count says 3 points, the file holds 2"),
])
def test_reader_errors_name_the_file_and_problem(tmp_path, text, message):
    (tmp_path / "a.txt").write_text(text)
    with pytest.raises(ValueError, match=message):
        read_pen(tmp_path / "a.txt")


def test_tree_one_folder_per_class(tmp_path):
    for name, files in {"ka": 2, "ga": 1}.items():
        (tmp_path / name / "train").mkdir(parents=True)
        for k in range(files):
            write_pen(tmp_path / name / f"{k}.txt", np.full((k + 2, 2), k / 4))
        write_pen(tmp_path / name / "train" / "9.txt", np.zeros((5, 2)))
    (tmp_path / "ka" / "notes.md").write_text("not a character")
    data = read_pen_tree(tmp_path)
    assert data.classes == ("ga", "ka") and data.y.tolist() == [0, 1, 1] and data.lengths.tolist() == [2, 2, 3]
    assert data.x.shape == (3, 3, 2) and data.x[2, 2, 0] == 0.25 and not data.synthetic
    nested = read_pen_tree(tmp_path, "train/*.txt")
    assert nested.lengths.tolist() == [5, 5] and nested.y.tolist() == [0, 1]


def test_tree_errors(tmp_path):
    with pytest.raises(ValueError, match=r"missing: not a directory; expected one folder per class"):
        read_pen_tree(tmp_path / "missing")
    with pytest.raises(ValueError, match=r"no class folders; expected root/<class>/\*.txt"):
        read_pen_tree(tmp_path)
    (tmp_path / "ka").mkdir()
    with pytest.raises(ValueError, match=r"ka: no files matching '\*.txt'"):
        read_pen_tree(tmp_path)
    (tmp_path / "ka" / "bad.txt").write_text("4 1 2")
    with pytest.raises(ValueError, match=r"bad.txt: the count says 4 points, the file holds 1"):
        read_pen_tree(tmp_path)


def test_normalise_scales_each_axis_and_centres_a_flat_one():
    np.testing.assert_array_equal(normalise(np.array([[2.0, 5.0], [4.0, 5.0], [3.0, 5.0]])),
                                  [[0, 0.5], [1, 0.5], [0.5, 0.5]])


def test_synthetic_set_is_labelled_deterministic_and_in_the_unit_square():
    data = synthetic_pen(n_per_class=6, classes=("L", "O", "S"), seed=1, min_points=20, max_points=40)
    assert data.synthetic and data.classes == ("L", "O", "S")
    assert np.bincount(data.y).tolist() == [6, 6, 6] and not np.array_equal(data.y, np.sort(data.y))
    assert data.lengths.min() >= 20 and data.lengths.max() <= 40 and len(set(data.lengths.tolist())) > 3
    valid = data.x[np.arange(data.x.shape[1])[None, :] < data.lengths[:, None]]
    assert valid.min() == 0 and valid.max() == 1
    for i, n in enumerate(data.lengths):  # every drawing spans both axes, as the report's normalised files do
        assert data.x[i, :n].min(axis=0).tolist() == [0, 0] and data.x[i, :n].max(axis=0).tolist() == [1, 1]
    again = synthetic_pen(n_per_class=6, classes=("L", "O", "S"), seed=1, min_points=20, max_points=40)
    np.testing.assert_array_equal(again.x, data.x)
    np.testing.assert_array_equal(again.y, data.y)
    other = synthetic_pen(n_per_class=6, classes=("L", "O", "S"), seed=2, min_points=20, max_points=40)
    assert not np.array_equal(other.lengths, data.lengths)


def test_synthetic_glyphs_keep_their_shape():
    """Each glyph's first and last heights survive size, slant and speed changes (slant moves x only)."""
    data = synthetic_pen(n_per_class=5, seed=3, noise=0.001)
    first = data.x[:, 0, 1]
    last = data.x[np.arange(len(data)), data.lengths - 1, 1]
    expect = {"L": (1, 0), "V": (1, 1), "Z": (1, 0), "N": (0, 1), "O": (1, 1), "U": (1, 1), "S": (0.83, 0.17)}
    assert set(expect) == set(GLYPHS) == set(data.classes)
    for name, (start, end) in expect.items():
        rows = data.y == data.classes.index(name)
        np.testing.assert_allclose(first[rows], start, atol=0.02)
        np.testing.assert_allclose(last[rows], end, atol=0.02)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"classes": ("L", "Q")}, r"bad parameter classes=\('L', 'Q'\): expected names from L, V, Z"),
    ({"classes": ()}, r"bad parameter classes=\(\)"),
    ({"n_per_class": 0}, r"bad parameter n_per_class=0: expected an integer >= 1"),
    ({"min_points": 50, "max_points": 40}, r"bad parameter min_points=50: expected 2 <= min_points <= max_points"),
])
def test_synthetic_bad_parameters(kwargs, message):
    with pytest.raises(ValueError, match=message):
        synthetic_pen(**kwargs)
