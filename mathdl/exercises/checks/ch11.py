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
        if T.float((Z.argmax(axis=0) == y).mean()) in (0.2, 0.4):
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
        if X_b.ndim != 2 or y_b.ndim != 1 or X_b.shape[0] != y_b.shape[0] or X_b.shape[1] != X.shape[1]:
            raise Wrong(f"batch {k}: X_b has shape {X_b.shape} and y_b {y_b.shape}, expected (B, "
                        f"{X.shape[1]}) and (B,) with the same B")
        batches.append((X_b, y_b))
    if not (T.array_equal(X_in, X) and T.array_equal(y_in, y)):
        raise Wrong(f"{what} changed the arrays X and y it was given",
                    hint="you shuffled X and y in place (rng.shuffle or X[:] = X[perm]): the caller's data "
                         "must stay as it was; index with a permutation, X[idx], y[idx], which makes copies")
    return batches


@exercise("11.3", target="minibatches", title="A mini-batch iterator", points=1)
def _check_minibatches(minibatches):
    T.require_callable(minibatches, "minibatches")
    n, B = 23, 5
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
        if counts == 20 and T.len(T.np.unique(seen)) == 20:
            raise Wrong(f"{what} gave {counts} examples in batches of sizes {sizes}, expected all {n}",
                        hint="the last, smaller batch (3 examples) was dropped: loop with "
                             "range(0, n, batch_size) and keep the remainder")
        if T.len(T.np.unique(seen)) < counts or counts != n:
            raise Wrong(f"{what} gave {counts} examples ({T.len(T.np.unique(seen))} distinct), expected "
                        f"each of the {n} exactly once",
                        hint="draw ONE permutation of range(n) per epoch (rng.permutation(n)) and cut it into "
                             "batches; sampling indices with replacement repeats some examples and misses others")
        raise Wrong(f"{what} does not visit each example exactly once")
    if sizes != [5, 5, 5, 5, 3]:
        if T.len(sizes) == 1:
            raise Wrong(f"{what} gave one batch of {sizes[0]} examples, expected sizes [5, 5, 5, 5, 3]",
                        hint="batch_size was ignored: cut the permutation into pieces of batch_size indices, "
                             "perm[start:start + batch_size]")
        raise Wrong(f"{what} gave batches of sizes {sizes}, expected [5, 5, 5, 5, 3]",
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
    return "each example once per epoch, pairs kept, shuffled by rng, last batch kept"


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
    "sum loss": ("the loss was summed over the batch (reduction='sum'): use the mean, "
                 "F.cross_entropy(logits, y_b), so that the step size does not grow with the batch size"),
}


def _params_close(a, b):
    return T.len(a) == T.len(b) and T.all(T.close(x, y, rtol=1e-10, atol=1e-13) for x, y in zip(a, b, strict=True))


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
    got_loss = T.as_float(got_loss, "the returned loss", allow_nonfinite=True)
    if not T.isclose_scalar(got_loss, ref_loss, rel_tol=1e-10, abs_tol=1e-12):
        msg = f"train_epoch returned {got_loss:.6g}, expected the epoch's average batch loss {ref_loss:.6g}"
        if T.isclose_scalar(got_loss, _replay(batches, "last loss")[1], rel_tol=1e-10):
            raise Wrong(msg, hint="you returned the loss of the LAST batch: average the losses of all batches "
                                  "(weighted by batch size)")
        if T.isclose_scalar(got_loss, _replay(batches, "unweighted mean")[1], rel_tol=1e-10):
            raise Wrong(msg, hint="you took the plain mean of the batch losses: the batches have unequal sizes "
                                  "(5, 4, 3), so weight each batch loss by its batch size, "
                                  "sum(B_k * L_k) / sum(B_k)")
        if T.isclose_scalar(got_loss, _replay(batches, "sum of losses")[1], rel_tol=1e-10):
            raise Wrong(msg, hint="you summed the batch losses: return their average (weighted by batch size)")
        raise Wrong(msg, hint="record float(loss.data) of each batch BEFORE the step and average them")
    return "same parameters and loss as the reference epoch (unequal batches), to 1e-10"
