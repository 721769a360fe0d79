"""Checks for chapter 11, training a network from scratch (book/11_training_from_scratch.ipynb).

11.1 ``accuracy(logits, y)``: the fraction of rows whose largest logit is at the true class.
11.2 ``confusion_matrix(y_true, y_pred, num_classes)``: counts, rows = true class, columns = predicted.
11.3 ``minibatches(X, y, batch_size, rng)``: the shuffled mini-batches of one epoch.
11.4 ``train_epoch(model, optimizer, batches)``: one epoch of zero_grad / forward / backward / step.

Every reference is computed here from the check's own inputs; 11.4 replays the epoch with
mathdl's own Linear, cross_entropy and SGD on a tiny problem (12 examples in batches of UNEQUAL
sizes 5, 4 and 3, < 50 ms) and also replays the usual mistakes, to name the one that matches; the
unequal batches separate the epoch's average loss (weighted by batch size) from the plain mean of
the batch losses.
"""

from __future__ import annotations

from mathdl.exercises import _trusted as T
from mathdl.exercises.registry import Wrong, exercise

np = T.np


def _quiet(fn, *args, **kwargs):
    with T.errstate(all="ignore"):
        return fn(*args, **kwargs)


# --------------------------------------------------------------------------------------
# 11.1  accuracy
# --------------------------------------------------------------------------------------
_ARGMAX_HINT = ("you compared the logits' VALUES with the labels: the prediction is the INDEX of the largest "
                "logit, logits.argmax(axis=1)")
_AXIS_HINT = ("argmax over the wrong axis: each ROW is one example, so take logits.argmax(axis=1) "
              "(axis=0 gives the best example for each class)")
_COUNT_HINT = ("you returned the number of correct predictions: divide by the number of examples "
               "(or use .mean()) to get a fraction")
_PERCENT_HINT = "return a fraction between 0 and 1, not a percentage"
_ARGMIN_HINT = "you took the index of the SMALLEST logit (argmin): the prediction is the largest, argmax(axis=1)"
_THRESHOLD_HINT = ("a row is correct when its LARGEST logit is at the true class, not when the true class's "
                   "probability exceeds 1/2 (or its logit is positive): compare logits.argmax(axis=1) with y")
_FLAT_HINT = ("argmax without an axis gives ONE index into the flattened array: take logits.argmax(axis=1), "
              "one prediction per row")


def _accuracy_candidates(Z, y):
    """(value, hint) pairs of frequent mistakes, for logits Z (B, C) and labels y (B,)."""
    out = []
    B = Z.shape[0]
    correct = T.float((Z.argmax(axis=1) == y).sum())
    out.append((correct, _COUNT_HINT))
    out.append((100.0 * correct / B, _PERCENT_HINT))
    if Z.shape[0] == Z.shape[1]:
        out.append((T.float((Z.argmax(axis=0) == y).mean()), _AXIS_HINT))
        out.append((T.float((Z.argmax(axis=0) == y).sum()), _AXIS_HINT))
        out.append((T.float((Z == y).mean()), _ARGMAX_HINT))
    Zs = Z - Z.max(axis=1, keepdims=True)
    P = T.np.exp(Zs) / T.np.exp(Zs).sum(axis=1, keepdims=True)
    rows = T.np.arange(B)
    out.append((T.float((P[rows, y] > 0.5).mean()), _THRESHOLD_HINT))
    out.append((T.float((Z[rows, y] > 0).mean()), _THRESHOLD_HINT))
    out.append((T.float((Z.argmin(axis=1) == y).mean()), _ARGMIN_HINT))
    out.append((T.float((Z.argmax() == y).mean()), _FLAT_HINT))
    out.append((T.float((Z.max(axis=1) == y).mean()), _ARGMAX_HINT))
    out.append((T.float((T.np.round(Z.max(axis=1)) == y).mean()), _ARGMAX_HINT))
    return out


def _check_accuracy_on(accuracy, Z, y, what):
    ref = T.float((Z.argmax(axis=1) == y).mean())
    try:
        got = _quiet(accuracy, Z.copy(), y.copy())
    except (ValueError, IndexError) as exc:
        if Z.shape[0] != Z.shape[1]:
            # argmax(axis=0) has shape (C,), which does not broadcast against y (B,)
            raise Wrong(f"accuracy({what}) raised {type(exc).__name__}: {exc}",
                        hint="the shapes of your comparison do not match: the prediction of each row is the "
                             "INDEX of the largest logit, logits.argmax(axis=1), of shape (B,) like y. Either the "
                             "argmax is over the wrong axis (axis 0 has shape (C,)), or the logits themselves "
                             "were compared with the labels") from None
        raise
    got = T.as_float(got, f"accuracy({what})", allow_nonfinite=True)
    if T.isclose_scalar(got, ref, rel_tol=1e-12, abs_tol=1e-12):
        return
    msg = f"accuracy({what}) = {got:.6g}, expected {ref:.6g}"
    for value, hint in _accuracy_candidates(Z, y):
        if T.isclose_scalar(got, value, rel_tol=1e-12, abs_tol=1e-12):
            raise Wrong(msg, hint=hint)
    raise Wrong(msg, hint="accuracy = mean over the rows of (logits.argmax(axis=1) == y)")


@exercise("11.1", target="accuracy", title="Accuracy", points=1)
def _check_accuracy(accuracy):
    T.require_callable(accuracy, "accuracy")
    # a hand-made batch (6 examples, 4 classes) on which the usual mistakes all give different numbers: the
    # reference 4/6, argmax of the flattened array 3/6 (the global maximum sits in column 2), argmin 1/6,
    # the rounded largest logit 2/6, the largest logit's value 0
    Z = np.array([[0.1, 0.3, 2.7, -0.4],
                  [0.2, -0.6, 1.3, 0.4],
                  [-0.3, 0.9, 0.1, -0.8],
                  [1.1, -0.7, 0.2, 0.6],
                  [0.3, -0.2, -0.9, 1.4],
                  [-0.6, 0.4, 2.6, 0.7]])
    _check_accuracy_on(accuracy, Z, np.array([2, 1, 1, 2, 3, 2]), "logits of shape (6, 4)")
    # a square batch (B = C = 5): the wrong axis runs without error but gives another number.
    # Pick (deterministically) logits for which the right answer is 0.6 and axis 0 gives a different,
    # non-zero fraction, so that every mistake below has its own value.
    for seed in T.range(1101, 1301):
        rng = np.random.default_rng(seed)
        Z = rng.normal(size=(5, 5))
        y = Z.argmax(axis=1).copy()
        y[[1, 3]] = (y[[1, 3]] + 1) % 5                 # 3 of 5 correct
        if T.float((Z.argmax(axis=0) == y).mean()) not in (0.2, 0.4):
            continue
        # every mistake that is told apart by its own hint must have its own value (the probability-above-1/2
        # mistake coincided with the wrong axis on the first seeds and got the wrong axis's hint)
        by_value = {}
        for value, hint in _accuracy_candidates(Z, y):
            by_value.setdefault(value, set()).add(hint)
        if 0.6 not in by_value and all(T.len(h) == 1 for h in by_value.values()):
            break
    _check_accuracy_on(accuracy, Z, y, "logits of shape (5, 5), 5 classes")
    # a taller batch of 12 examples and 4 classes, 9 correct
    rng = np.random.default_rng(1102)
    Z = rng.normal(size=(12, 4)) * 3
    y = Z.argmax(axis=1).copy()
    y[[0, 5, 7]] = (y[[0, 5, 7]] + 1) % 4
    _check_accuracy_on(accuracy, Z, y, "logits of shape (12, 4)")
    # all correct, and probabilities instead of logits: the argmax is the same
    P = np.exp(Z) / np.exp(Z).sum(axis=1, keepdims=True)
    _check_accuracy_on(accuracy, P, Z.argmax(axis=1), "probabilities of shape (12, 4), all correct")
    return "fractions of correct argmax predictions on square and tall batches"


# --------------------------------------------------------------------------------------
# 11.2  confusion matrix
# --------------------------------------------------------------------------------------
@exercise("11.2", target="confusion_matrix", title="A confusion matrix", points=1)
def _check_confusion_matrix(confusion_matrix):
    T.require_callable(confusion_matrix, "confusion_matrix")
    C = 4
    # class 3 never occurs (neither true nor predicted): the matrix must still be 4 x 4
    y_true = np.array([0, 0, 0, 1, 1, 2, 2, 2, 2, 0, 1, 2])
    y_pred = np.array([0, 1, 0, 1, 2, 2, 2, 0, 2, 0, 1, 1])
    ref = np.zeros((C, C))
    for t, p in zip(y_true, y_pred, strict=True):
        ref[t, p] += 1
    got = _quiet(confusion_matrix, y_true.copy(), y_pred.copy(), C)
    arr = T.as_float_array(got, "confusion_matrix(y_true, y_pred, 4)", allow_nonfinite=True)
    if arr.shape != (C, C):
        hint = None
        if arr.shape == (3, 3):
            hint = ("the matrix must be num_classes x num_classes even when a class never occurs: "
                    "use num_classes, not the largest label, for its size")
        elif arr.ndim == 2 and arr.shape[0] == arr.shape[1]:
            hint = (f"a {arr.shape[0]} x {arr.shape[1]} matrix for num_classes = 4: the size must come from the "
                    "num_classes argument, np.zeros((num_classes, num_classes)), not a fixed number of classes")
        raise Wrong(f"confusion_matrix(y_true, y_pred, 4) has shape {arr.shape}, expected (4, 4)", hint=hint)
    if T.close(arr, ref):
        if not T.close(arr, T.np.round(arr)):  # pragma: no cover - equal to integer counts
            raise Wrong("the entries should be counts")
        return "counts with rows = true class and columns = predicted class"
    msg = "confusion_matrix(y_true, y_pred, 4) does not match the counts"
    if T.close(arr, ref.T):
        raise Wrong(msg, hint="the matrix is transposed: by the book's convention (and scikit-learn's) ROWS are "
                              "the true class and COLUMNS the predicted class, M[true, pred] += 1")
    rows = ref.sum(axis=1, keepdims=True)
    with T.errstate(all="ignore"):
        normed = T.np.where(rows > 0, ref / T.np.where(rows > 0, rows, 1), 0)
    if T.close(arr, normed) or T.close(arr, ref / ref.sum()):
        raise Wrong(msg, hint="return the raw COUNTS, not fractions (normalise later, when plotting)")
    if T.close(arr.sum(), 1.0 * (y_true == y_pred).sum()) and T.close(arr, T.np.diag(T.np.diag(ref))):
        raise Wrong(msg, hint="only the correct predictions were counted: add 1 at [true, pred] for EVERY "
                              "example, also the mistakes")
    if T.close(arr, T.np.minimum(ref, 1)):
        raise Wrong(msg, hint="M[t, p] = 1 sets the entry instead of counting: use M[t, p] += 1 "
                              "(or np.add.at(M, (y_true, y_pred), 1); M[y_true, y_pred] += 1 does NOT count "
                              "repeated pairs)")
    where = T.unravel_index(T.argmax(T.absolute(arr - ref)), ref.shape)
    raise Wrong(f"{msg}: entry [{where[0]}, {where[1]}] is {arr[where]:g}, expected {ref[where]:g}",
                hint="M[i, j] = the number of examples whose true class is i and whose predicted class is j")


# --------------------------------------------------------------------------------------
# 11.3  mini-batches
# --------------------------------------------------------------------------------------
def _collect(minibatches, X, y, batch_size, seed, what):
    rng = np.random.default_rng(seed)
    X_in, y_in = X.copy(), y.copy()
    out = _quiet(minibatches, X_in, y_in, batch_size, rng)
    if out is None:
        raise Wrong(f"{what} returned None",
                    hint="yield the batches (or return a list of (X_b, y_b) pairs)")
    try:
        items = T.list(out)
    except TypeError:
        raise Wrong(f"{what} returned {type(out).__name__}, which is not iterable",
                    hint="yield (X_b, y_b) pairs, or return a list of them") from None
    batches = []
    for k, item in enumerate(items):
        try:
            X_b, y_b = item
        except (TypeError, ValueError):
            raise Wrong(f"batch {k} of {what} is not a pair (X_b, y_b)",
                        hint="yield X[idx], y[idx] for each batch of indices idx") from None
        X_b = T.as_float_array(X_b, f"X_b of batch {k}")
        y_b = T.as_float_array(y_b, f"y_b of batch {k}")
        if y_b.shape[:1] == (0,) or X_b.shape[:1] == (0,):
            raise Wrong(f"batch {k} of {what} is EMPTY",
                        hint="an empty last batch: with range(n // batch_size + 1) batches there is one too many "
                             "when batch_size divides n; loop over start in range(0, n, batch_size)")
        if y_b.ndim == 2 and 1 in y_b.shape and X_b.ndim == 2 and X_b.shape[0] == y_b.size:
            raise Wrong(f"batch {k}: y_b has shape {y_b.shape}, expected ({X_b.shape[0]},)",
                        hint="y_b must be 1-D like y: index it with the same indices, y[idx]")
        if X_b.ndim != 2 or y_b.ndim != 1 or X_b.shape[0] != y_b.shape[0] or X_b.shape[1] != X.shape[1]:
            raise Wrong(f"batch {k}: X_b has shape {X_b.shape} and y_b {y_b.shape}, expected (B, "
                        f"{X.shape[1]}) and (B,) with the same B")
        batches.append((X_b, y_b))
    if not (T.array_equal(X_in, X) and T.array_equal(y_in, y)):
        raise Wrong(f"{what} changed the arrays X and y it was given",
                    hint="you shuffled X and y in place (rng.shuffle or X[:] = X[perm]): the caller's data "
                         "must stay as it was; index with a permutation, X[idx], y[idx], which makes copies")
    return batches


def batch_size_of(sizes):
    return T.max(sizes) if sizes else 1


@exercise("11.3", target="minibatches", title="A mini-batch iterator", points=1)
def _check_minibatches(minibatches):
    T.require_callable(minibatches, "minibatches")
    # n = 23, B = 5: a last, smaller batch; then n = 20, B = 4: B divides n (no empty batch), and another
    # batch size (a hard-coded 5 fails)
    _check_minibatches_on(minibatches, 23, 5)
    _check_minibatches_on(minibatches, 20, 4)
    return "each example once per epoch, pairs kept, shuffled by rng, last batch kept"


def _check_minibatches_on(minibatches, n, B):
    y = np.arange(n) * 1.0 + 100.0                     # labels 100..122: the row's identity
    X = np.stack([y, -2.0 * y], axis=1)                # row i is (y_i, -2 y_i): pairs are checkable
    what = f"minibatches(X, y, {B}, rng) with n = {n}"
    batches = _collect(minibatches, X, y, B, 0, what)
    sizes = [T.int(b[1].shape[0]) for b in batches]
    seen = np.concatenate([b[1] for b in batches]) if batches else np.zeros(0)
    for X_b, y_b in batches:
        if not (T.close(X_b[:, 0], y_b) and T.close(X_b[:, 1], -2.0 * y_b)):
            raise Wrong(f"in a batch of {what}, the rows of X_b do not belong to the labels y_b",
                        hint="shuffle X and y with the SAME permutation: idx = perm[start:start + B], then "
                             "X[idx], y[idx]")
    if T.sorted(seen.tolist()) != y.tolist():
        counts = T.len(seen)
        if counts == n - n % B and T.len(T.np.unique(seen)) == counts:
            raise Wrong(f"{what} gave {counts} examples in batches of sizes {sizes}, expected all {n}",
                        hint=f"the last, smaller batch ({n % B} examples) was dropped: loop with "
                             "range(0, n, batch_size) and keep the remainder")
        if counts == -(-n // batch_size_of(sizes)) * batch_size_of(sizes) and T.len(T.np.unique(seen)) == n:
            raise Wrong(f"{what} gave {counts} examples in batches of sizes {sizes}, expected each of the {n} once",
                        hint="the last batch was padded (wrapped around to the first examples) to a full batch: "
                             "keep the last, smaller batch as it is")
        if T.len(T.np.unique(seen)) < counts or counts != n:
            raise Wrong(f"{what} gave {counts} examples ({T.len(T.np.unique(seen))} distinct), expected "
                        f"each of the {n} exactly once",
                        hint="draw ONE permutation of range(n) per epoch (rng.permutation(n)) and cut it into "
                             "batches; sampling indices with replacement repeats some examples and misses others")
        raise Wrong(f"{what} does not visit each example exactly once")
    expected = [B] * (n // B) + ([n % B] if n % B else [])
    if sizes != expected:
        if T.len(sizes) == 1 or T.all(sz == sizes[0] for sz in sizes[:-1]) and sizes[0] != B:
            raise Wrong(f"{what} gave batches of sizes {sizes}, expected {expected}",
                        hint="batch_size was ignored: cut the permutation into pieces of batch_size indices, "
                             "perm[start:start + batch_size]")
        raise Wrong(f"{what} gave batches of sizes {sizes}, expected {expected}",
                    hint="consecutive slices perm[start:start + batch_size] for start = 0, B, 2B, ...")
    if T.close(seen, y):
        raise Wrong(f"{what} visits the examples in their original order",
                    hint="you did not shuffle: draw a permutation with rng.permutation(n) and index X and y "
                         "with it")
    again = _collect(minibatches, X, y, B, 0, what)
    other = _collect(minibatches, X, y, B, 1, what)
    seen_again = np.concatenate([b[1] for b in again])
    seen_other = np.concatenate([b[1] for b in other])
    if not T.close(seen_again, seen) or T.close(seen_other, seen):
        raise Wrong(f"{what}: the order does not follow the `rng` argument (same seed -> same order, another "
                    "seed -> another order)",
                    hint="draw the permutation from the rng argument, rng.permutation(n), not from np.random "
                         "(the global generator)")


# --------------------------------------------------------------------------------------
# 11.4  one epoch of training
# --------------------------------------------------------------------------------------
def _tiny_problem():
    rng = np.random.default_rng(1104)
    X = rng.normal(size=(12, 3))
    y = np.array([0, 1, 2, 2, 1, 0, 0, 2, 1, 1, 2, 0])
    # UNEQUAL batch sizes (5, 4, 3): the epoch's average loss weights each batch by its size, and a
    # plain mean of the batch losses gives another number
    batches = [(X[a:b].copy(), y[a:b].copy()) for a, b in ((0, 5), (5, 9), (9, 12))]
    return batches


def _tiny_model_and_opt():
    import mathdl as mdl  # the package's own layers: trusted, not the learner's code

    model = mdl.nn.MLP([3, 4, 3], rng=np.random.default_rng(11))
    opt = mdl.optim.SGD(model.parameters(), lr=0.2, momentum=0.9)
    return model, opt


def _replay(batches, variant):
    """Run one epoch the reference way, or with one of the usual mistakes. Returns (params, loss)."""
    import mathdl as mdl
    import mathdl.functional as F

    model, opt = _tiny_model_and_opt()
    losses, sizes = [], []
    if variant == "reversed order":
        batches = batches[::-1]
    for k, (X_b, y_b) in enumerate(batches):
        if variant == "one batch" and k > 0:
            break
        if variant != "no zero_grad":
            opt.zero_grad()
        reduction = "sum" if variant == "sum loss" else "mean"
        loss = F.cross_entropy(model(mdl.tensor(X_b)), y_b, reduction=reduction)
        if variant == "step before backward":
            opt.step()
            loss.backward()
        else:
            loss.backward()
            opt.step()
        losses.append(T.float(loss.data))
        sizes.append(T.int(T.len(y_b)))
    if variant == "last loss":
        value = losses[-1]
    elif variant == "sum of losses":
        value = T.float(T.sum(losses))
    elif variant == "equal batches":  # sum(B_k L_k) / (K * B_1): as if every batch had the first one's size
        value = T.float(T.sum(L * B for L, B in zip(losses, sizes, strict=True)) / (T.len(sizes) * sizes[0]))
    elif variant == "unweighted mean":
        value = T.float(T.sum(losses) / T.len(losses))
    else:  # the reference: batch losses weighted by batch size
        value = T.float(T.sum(L * B for L, B in zip(losses, sizes, strict=True)) / T.sum(sizes))
    return [p.data.copy() for p in model.parameters()], value


_VARIANT_HINTS = {
    "no zero_grad": ("the gradients were never reset: backward() ADDS to .grad, so without "
                     "optimizer.zero_grad() at the start of each step every update uses the sum of all "
                     "gradients so far"),
    "step before backward": ("no update happened: optimizer.step() was called before loss.backward() (or the "
                             "gradients were cleared between backward and step). Order: zero_grad, forward, "
                             "loss, backward, step"),
    "one batch": "only the first batch was used: loop over ALL the batches of the epoch",
    "reversed order": ("the batches were not taken in the order given (reversed or shuffled): with momentum the "
                       "order changes the result; the batches are already shuffled, loop over them as they are"),
    "sum loss": ("the loss was summed over the batch (reduction='sum'): use the mean, "
                 "F.cross_entropy(logits, y_b), so that the step size does not grow with the batch size"),
}


# Tolerances: float32 inputs (a right answer) round X_b to 24 bits, 6e-8 relative, and move the parameters of this
# epoch by up to 3e-9 and the loss by ~1e-8 relative; every mistake below moves them by more than 1e-3.
_RTOL, _ATOL = 1e-6, 1e-9


def _params_close(a, b):
    return T.len(a) == T.len(b) and T.all(T.close(x, y, rtol=_RTOL, atol=_ATOL) for x, y in zip(a, b, strict=True))


@exercise("11.4", target="train_epoch", title="One epoch of training", points=2)
def _check_train_epoch(train_epoch):
    T.require_callable(train_epoch, "train_epoch")
    batches = _tiny_problem()
    ref_params, ref_loss = _replay(batches, "reference")
    model, opt = _tiny_model_and_opt()
    start = [p.data.copy() for p in model.parameters()]
    got_loss = _quiet(train_epoch, model, opt, [(X_b.copy(), y_b.copy()) for X_b, y_b in batches])
    got_params = [p.data.copy() for p in model.parameters()]
    what = "after train_epoch on a tiny problem (MLP [3, 4, 3], SGD with momentum, batches of 5, 4 and 3)"
    if not _params_close(got_params, ref_params):
        if _params_close(got_params, start):
            raise Wrong(f"the parameters are unchanged {what}", hint=_VARIANT_HINTS["step before backward"])
        for variant, hint in _VARIANT_HINTS.items():
            if _params_close(got_params, _replay(batches, variant)[0]):
                raise Wrong(f"the parameters {what} differ from the reference", hint=hint)
        errs = [T.float(T.max_(T.absolute(g - r))) for g, r in zip(got_params, ref_params, strict=True)]
        raise Wrong(f"the parameters {what} differ from the reference by up to {T.max(errs):.2e}",
                    hint="for each batch, in this order: optimizer.zero_grad(); loss = "
                         "F.cross_entropy(model(mdl.tensor(X_b)), y_b); loss.backward(); optimizer.step()")
    if got_loss is None:
        raise Wrong("train_epoch returned None; the parameters are updated correctly",
                    hint="return the average training loss of the epoch as a float")
    cls = T.type(got_loss)
    if cls.__name__ == "Tensor" and (cls.__module__ or "").startswith("mathdl"):
        raise Wrong("train_epoch returned a mathdl Tensor, not a float",
                    hint="add float(loss.data) of each batch, not the Tensor loss: summing Tensors builds a graph "
                         "through every batch of the epoch (and keeps it in memory); return a Python float")
    got_loss = T.as_float(got_loss, "the returned loss", allow_nonfinite=True)
    if not T.isclose_scalar(got_loss, ref_loss, rel_tol=_RTOL, abs_tol=_ATOL):
        msg = f"train_epoch returned {got_loss:.6g}, expected the epoch's average batch loss {ref_loss:.6g}"
        if T.isclose_scalar(got_loss, _replay(batches, "last loss")[1], rel_tol=_RTOL):
            raise Wrong(msg, hint="you returned the loss of the LAST batch: average the losses of all batches "
                                  "(weighted by batch size)")
        if T.isclose_scalar(got_loss, _replay(batches, "unweighted mean")[1], rel_tol=_RTOL):
            raise Wrong(msg, hint="you took the plain mean of the batch losses: the batches have unequal sizes "
                                  "(5, 4, 3), so weight each batch loss by its batch size, "
                                  "sum(B_k * L_k) / sum(B_k)")
        if T.isclose_scalar(got_loss, _replay(batches, "equal batches")[1], rel_tol=_RTOL):
            raise Wrong(msg, hint="you divided by (number of batches) x (size of the first batch): the batches have "
                                  "unequal sizes (5, 4, 3); divide the sum of B_k * L_k by the number of examples")
        if T.isclose_scalar(got_loss, _replay(batches, "sum of losses")[1], rel_tol=_RTOL):
            raise Wrong(msg, hint="you summed the batch losses: return their average (weighted by batch size)")
        raise Wrong(msg, hint="record float(loss.data) of each batch BEFORE the step and average them")
    return "same parameters and loss as the reference epoch (unequal batches), to 1e-6"
