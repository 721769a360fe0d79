"""mathdl.data: the shipped digits, the seeded stratified split, mini-batches, spirals."""

import numpy as np
import pytest

import mathdl as mdl
from mathdl import data


def test_load_digits_shapes_dtypes_and_scaling():
    X, y = data.load_digits()
    assert X.shape == (1797, 64) and X.dtype == np.float64
    assert y.shape == (1797,) and y.dtype == np.int64
    assert X.min() == 0.0 and X.max() == 1.0
    assert np.array_equal(np.unique(y), np.arange(10))
    assert np.bincount(y).min() == 174 and np.bincount(y).max() == 183
    X_raw, _ = data.load_digits(scale=False)
    assert np.array_equal(X_raw, X * 16) and np.array_equal(X_raw, np.round(X_raw))
    # first image of scikit-learn's copy: a zero
    assert y[0] == 0 and X_raw[0, :8].tolist() == [0, 0, 5, 13, 9, 1, 0, 0]


def test_load_digits_returns_fresh_arrays_and_images():
    X, y, images = data.load_digits(return_images=True)
    assert images.shape == (1797, 8, 8) and np.shares_memory(images, X)
    X[:] = -1
    y[:] = -1
    X2, y2 = data.load_digits()
    assert X2.min() == 0.0 and y2.min() == 0


def test_lazy_attribute():
    assert mdl.data is data


@pytest.mark.parametrize("stratify", [True, False])
def test_split_is_a_partition_and_seeded(stratify):
    X, y = data.load_digits()
    ids = np.arange(len(y))
    parts = data.train_val_test_split(ids, y, (0.6, 0.2, 0.2), rng=np.random.default_rng(0), stratify=stratify)
    got = np.concatenate([p[0] for p in parts])
    assert sorted(got.tolist()) == ids.tolist()
    assert [len(p[0]) for p in parts] == [1079, 359, 359]
    for ids_part, y_part in parts:
        assert np.array_equal(y[ids_part], y_part)
    again = data.train_val_test_split(ids, y, (0.6, 0.2, 0.2), rng=np.random.default_rng(0), stratify=stratify)
    for a, b in zip(parts, again, strict=True):
        assert np.array_equal(a[0], b[0])


def test_split_stratified_keeps_class_proportions():
    X, y = data.load_digits()
    parts = data.train_val_test_split(X, y, (0.6, 0.2, 0.2), rng=np.random.default_rng(1))
    full = np.bincount(y) / len(y)
    for _, y_part in parts:
        share = np.bincount(y_part, minlength=10) / len(y_part)
        assert np.abs(share - full).max() < 1.5 / len(y_part) + 1e-12


def test_split_integer_sizes_and_errors():
    X = np.arange(20.0).reshape(10, 2)
    y = np.array([0, 1] * 5)
    parts = data.train_val_test_split(X, y, (6, 2, 2), rng=np.random.default_rng(0))
    assert [len(p[1]) for p in parts] == [6, 2, 2]
    with pytest.raises(ValueError, match="sum to 1"):
        data.train_val_test_split(X, y, (0.5, 0.2, 0.2), rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="sum to n = 10"):
        data.train_val_test_split(X, y, (5, 2, 2), rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="same number of rows"):
        data.train_val_test_split(X, y[:5], rng=np.random.default_rng(0))
    with pytest.raises(TypeError, match="Generator"):
        data.train_val_test_split(X, y, rng=0)


def test_minibatches_cover_each_row_once():
    X = np.arange(46.0).reshape(23, 2)
    y = np.arange(23)
    batches = list(data.minibatches(X, y, 5, rng=np.random.default_rng(0)))
    assert [len(b[1]) for b in batches] == [5, 5, 5, 5, 3]
    seen = np.concatenate([b[1] for b in batches])
    assert sorted(seen.tolist()) == list(range(23)) and not np.array_equal(seen, y)
    for X_b, y_b in batches:
        assert np.array_equal(X_b, X[y_b])
    assert [len(b[1]) for b in data.minibatches(X, y, 5, rng=np.random.default_rng(0), drop_last=True)] == [5] * 4
    ordered = np.concatenate([b[1] for b in data.minibatches(X, y, 5, shuffle=False)])
    assert np.array_equal(ordered, y)
    with pytest.raises(ValueError, match="batch_size"):
        list(data.minibatches(X, y, 0))


def test_make_spirals():
    X, y = data.make_spirals(50, num_classes=3, rng=np.random.default_rng(0))
    assert X.shape == (150, 2) and y.shape == (150,) and y.dtype == np.int64
    assert np.bincount(y).tolist() == [50, 50, 50]
    X2, _ = data.make_spirals(50, num_classes=3, rng=np.random.default_rng(0))
    assert np.array_equal(X, X2)
    X0, _ = data.make_spirals(10, noise=0.0, rng=np.random.default_rng(0))
    r = np.hypot(X0[:, 0], X0[:, 1])
    assert np.allclose(r[:10], np.linspace(0.05, 1.0, 10))
    with pytest.raises(ValueError, match="n_per_class"):
        data.make_spirals(0)
