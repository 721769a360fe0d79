r"""Small data sets that need no download, a seeded split, and a mini-batch iterator.

* :func:`load_digits` reads the UCI optical handwritten digits (1797 images of 8×8 pixels,
  10 classes; Alpaydin & Kaynak, 1998; CC BY 4.0), shipped with the package.
* :func:`train_val_test_split` splits a data set into training, validation and test sets,
  stratified by class by default, with an explicit ``rng``.
* :func:`minibatches` yields shuffled mini-batches ``(X_b, y_b)``, one epoch per call
  (the job of PyTorch's ``DataLoader(..., shuffle=True)``).
* :func:`make_spirals` draws a seeded two-dimensional toy problem (interleaved spirals) for
  figures that need a non-linear decision boundary.

All randomness comes from an explicit ``rng`` (a ``np.random.Generator``). Everything returns
numpy arrays: features as float64 ``X`` of shape ``(n, d)``, class labels as int64 ``y`` of
shape ``(n,)``, ready for :func:`mathdl.functional.cross_entropy`.
"""

from __future__ import annotations

import gzip
import io
import numbers
from importlib import resources

import numpy as np

__all__ = ["load_digits", "train_val_test_split", "minibatches", "make_spirals"]

_DIGITS_FILE = "digits.csv.gz"
_digits_cache = None


def _read_digits():
    global _digits_cache
    if _digits_cache is None:
        raw = resources.files("mathdl").joinpath("_datafiles", _DIGITS_FILE).read_bytes()
        with gzip.open(io.BytesIO(raw), "rt") as fh:
            table = np.loadtxt(fh, delimiter=",", dtype=np.int64)
        if table.shape != (1797, 65):  # pragma: no cover - guards a corrupted install
            raise RuntimeError(
                f"load_digits: {_DIGITS_FILE} has shape {table.shape}, expected (1797, 65)"
            )
        table.setflags(write=False)
        _digits_cache = table
    return _digits_cache


def load_digits(scale=True, return_images=False):
    r"""The UCI optical handwritten digits: ``X`` (1797, 64) float64 and ``y`` (1797,) int64.

    Each row of ``X`` is an 8×8 grey-scale image read row by row. The raw pixels are integers
    0..16, the number of "on" pixels in a 4×4 block of a 32×32 bitmap of a handwritten digit
    (Alpaydin & Kaynak, 1998). These 1797 images are the UCI *test* set, written by 13 people;
    30 other people (43 in all) wrote the separate 3823-image UCI training set, which is not
    shipped. The file does not record who wrote each image, so a random split puts the same 13
    writers in every part. ``y`` holds the digit, 0..9; the classes are close to balanced (174
    to 183 images each).

    **Scaling.** With ``scale=True`` (default) the pixels are divided by 16, so ``X`` lies in
    :math:`[0, 1]`: a fixed, data-independent map that keeps zero as "no ink" and is the same
    for every split. Per-feature standardization (mean 0, variance 1) depends on the data and
    must be fitted on the training set only; that is left to the caller (chapter 11 shows
    how). ``scale=False`` returns the raw counts 0..16 (still as float64).

    Parameters
    ----------
    scale : bool
        Divide the pixels by 16 (default True).
    return_images : bool
        Also return the images as an array of shape (1797, 8, 8) (a view of ``X``).

    Returns
    -------
    tuple
        ``(X, y)``, or ``(X, y, images)`` with ``return_images=True``. Fresh arrays on each
        call: modifying them does not affect later calls.

    Notes
    -----
    Data: E. Alpaydin and C. Kaynak (1998), *Optical Recognition of Handwritten Digits*, UCI
    Machine Learning Repository, https://doi.org/10.24432/C50P49, licensed CC BY 4.0. The
    shipped file is the copy distributed with scikit-learn (``mathdl/_datafiles/README.md``).
    """
    table = _read_digits()
    X = table[:, :64].astype(np.float64)
    if scale:
        X /= 16.0
    y = table[:, 64].copy()
    if return_images:
        return X, y, X.reshape(-1, 8, 8)
    return X, y


def _check_rng(rng, op):
    if rng is None:
        return np.random.default_rng()
    if not isinstance(rng, np.random.Generator):
        raise TypeError(
            f"{op}: rng must be a numpy.random.Generator (np.random.default_rng(seed)), "
            f"got {type(rng).__name__}"
        )
    return rng


def _check_Xy(X, y, op):
    X = np.asarray(X)
    y = np.asarray(y)
    if X.ndim < 1 or y.ndim != 1 or X.shape[0] != y.shape[0]:
        raise ValueError(
            f"{op}: X and y must have the same number of rows and y must be 1-D, "
            f"got X {X.shape} and y {y.shape}"
        )
    return X, y


def _counts(fractions, n, op):
    """Turn fractions (summing to 1) or integer sizes (summing to n) into three counts."""
    fractions = tuple(fractions)
    if len(fractions) != 3:
        raise ValueError(f"{op}: need three fractions or sizes (train, val, test), got {fractions!r}")
    if all(isinstance(f, numbers.Integral) and not isinstance(f, bool) for f in fractions):
        sizes = [int(f) for f in fractions]
        if min(sizes) < 0 or sum(sizes) != n:
            raise ValueError(f"{op}: sizes {sizes} must be non-negative and sum to n = {n}")
        return sizes
    f = np.asarray(fractions, dtype=float)
    if np.any(f < 0) or abs(f.sum() - 1.0) > 1e-9:
        raise ValueError(
            f"{op}: fractions {fractions!r} must be non-negative and sum to 1 "
            "(or give three integer sizes summing to n)"
        )
    n_val, n_test = (int(round(x)) for x in f[1:] * n)
    return [n - n_val - n_test, n_val, n_test]


def train_val_test_split(X, y, fractions=(0.6, 0.2, 0.2), rng=None, stratify=True):
    """Split ``(X, y)`` at random into training, validation and test sets.

    The training set fits the parameters; the validation set chooses hyperparameters and
    when to stop; the test set is looked at once, at the end, to report the result.

    With ``stratify=True`` (default) each class is split in the same proportions, so the
    three sets have (almost exactly) the class frequencies of the whole set: the examples of
    each class are shuffled with ``rng`` and dealt out by the largest-remainder rule. With
    ``stratify=False`` one permutation of all rows is cut into three pieces. Within each set
    the rows are in random order.

    Parameters
    ----------
    X : np.ndarray
        Features, shape ``(n, ...)``.
    y : np.ndarray
        Labels, shape ``(n,)`` (any values usable as dictionary keys when stratifying).
    fractions : tuple
        ``(train, val, test)``: three fractions summing to 1, or three ints summing to ``n``.
    rng : np.random.Generator
        Source of the shuffling; None means an unseeded generator.
    stratify : bool
        Keep the class proportions in every set (default True).

    Returns
    -------
    tuple
        ``((X_train, y_train), (X_val, y_val), (X_test, y_test))``, copies of the rows.
    """
    op = "train_val_test_split"
    X, y = _check_Xy(X, y, op)
    rng = _check_rng(rng, op)
    n = y.shape[0]
    n_train, n_val, n_test = _counts(fractions, n, op)
    if not stratify:
        perm = rng.permutation(n)
        parts = [perm[:n_train], perm[n_train:n_train + n_val], perm[n_train + n_val:]]
    else:
        classes, y_idx = np.unique(y, return_inverse=True)
        y_idx = y_idx.reshape(-1)
        members = [rng.permutation(np.flatnonzero(y_idx == k)) for k in range(len(classes))]
        sizes = np.array([len(m) for m in members])
        # per set, the counts of each class: floor of the ideal share, then hand out the
        # remaining rows to the classes with the largest remainders (ties: smaller class index)
        parts = [[] for _ in range(3)]
        remaining = sizes.copy()
        for s, n_s in enumerate((n_train, n_val)):
            total_left = remaining.sum()
            ideal = remaining * (n_s / total_left) if total_left else remaining * 0.0
            take = np.floor(ideal).astype(int)
            short = n_s - take.sum()
            order = np.lexsort((np.arange(len(sizes)), -(ideal - take)))
            for k in order[:short]:
                take[k] += 1
            start = sizes - remaining
            for k in range(len(sizes)):
                parts[s].append(members[k][start[k]:start[k] + take[k]])
            remaining = remaining - take
        start = sizes - remaining
        for k in range(len(sizes)):
            parts[2].append(members[k][start[k]:])
        parts = [rng.permutation(np.concatenate(p)) if p else np.array([], dtype=np.intp)
                 for p in parts]
    return tuple((X[p].copy(), y[p].copy()) for p in parts)


def minibatches(X, y, batch_size, rng=None, shuffle=True, drop_last=False):
    """Yield the mini-batches ``(X_b, y_b)`` of one epoch.

    With ``shuffle=True`` (default) the rows are visited in the order of one random
    permutation drawn from ``rng``, so every example is used exactly once per epoch and the
    batches differ from epoch to epoch. The last batch is smaller when ``batch_size`` does
    not divide ``n``, unless ``drop_last=True``. (PyTorch: ``DataLoader(TensorDataset(X, y),
    batch_size, shuffle=True, drop_last=False)``.)

    Parameters
    ----------
    X : np.ndarray
        Features, shape ``(n, ...)``.
    y : np.ndarray
        Labels or targets, shape ``(n, ...)``.
    batch_size : int
        Rows per batch :math:`B`, at least 1.
    rng : np.random.Generator
        Source of the permutation; None means an unseeded generator.
    shuffle : bool
        Visit the rows in random order (default True); False keeps the given order.
    drop_last : bool
        Drop a final batch smaller than ``batch_size`` (default False).

    Yields
    ------
    tuple
        ``(X_b, y_b)`` with ``B`` rows each (the last one possibly fewer).
    """
    op = "minibatches"
    X = np.asarray(X)
    y = np.asarray(y)
    if X.ndim < 1 or y.ndim < 1 or X.shape[0] != y.shape[0]:
        raise ValueError(f"{op}: X and y must have the same number of rows, got {X.shape} and {y.shape}")
    if isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral) or batch_size < 1:
        raise ValueError(f"{op}: batch_size must be a positive int, got {batch_size!r}")
    n = X.shape[0]
    order = _check_rng(rng, op).permutation(n) if shuffle else np.arange(n)
    stop = n - n % batch_size if drop_last else n
    for start in range(0, stop, batch_size):
        idx = order[start:start + batch_size]
        yield X[idx], y[idx]


def make_spirals(n_per_class=100, num_classes=2, noise=0.2, turns=1.0, rng=None):
    r"""Interleaved spiral arms in the plane, one arm per class: ``X`` (n, 2), ``y`` (n,).

    Arm :math:`k` consists of the points :math:`r(\cos\phi, \sin\phi)` with radius
    :math:`r = t` and angle :math:`\phi = 2\pi(\text{turns}\cdot t + k/C)` for :math:`t`
    evenly spaced in :math:`[0.05, 1]`, plus Gaussian noise of standard deviation
    ``noise``·0.1 on each coordinate. No linear model separates them; a small MLP does.

    Parameters
    ----------
    n_per_class : int
        Points per arm (default 100).
    num_classes : int
        Number of arms :math:`C` (default 2).
    noise : float
        Noise level (default 0.2; 0 gives exact spirals).
    turns : float
        Revolutions of each arm (default 1.0).
    rng : np.random.Generator
        Source of the noise; None means an unseeded generator.

    Returns
    -------
    tuple
        ``(X, y)``: float64 points of shape ``(C * n_per_class, 2)`` and int64 labels,
        ordered by class.
    """
    op = "make_spirals"
    for name, value in (("n_per_class", n_per_class), ("num_classes", num_classes)):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
            raise ValueError(f"{op}: {name} must be a positive int, got {value!r}")
    if not isinstance(noise, numbers.Real) or noise < 0:
        raise ValueError(f"{op}: noise must be a non-negative number, got {noise!r}")
    rng = _check_rng(rng, op)
    t = np.linspace(0.05, 1.0, n_per_class)
    X, y = [], []
    for k in range(num_classes):
        phi = 2 * np.pi * (turns * t + k / num_classes)
        X.append(np.stack([t * np.cos(phi), t * np.sin(phi)], axis=1))
        y.append(np.full(n_per_class, k, dtype=np.int64))
    X = np.concatenate(X)
    X += 0.1 * noise * rng.standard_normal(X.shape)
    return X, np.concatenate(y)
