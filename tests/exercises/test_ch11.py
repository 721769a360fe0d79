"""The checks of chapter 11: reference answers pass, stubs are 'not attempted', and the plausible wrong answers of
WRONG_ANSWERS fail with the hint that names their mistake, while the right answers of RIGHT_ANSWERS, written
differently from the reference, pass (tests/exercises/conftest.py)."""

import time

import numpy as np

import mathdl as mdl
import mathdl.functional as F
from mathdl.exercises import check

from .conftest import Right, Wrong, expect_hint, run, stub


# ---- 11.1 accuracy ---------------------------------------------------------------------------------
def accuracy(logits, y):
    return float(np.mean(np.argmax(logits, axis=1) == y))


def accuracy_loop(logits, y):
    correct = 0
    for row, label in zip(logits, y, strict=False):
        best = 0
        for j in range(1, len(row)):
            if row[j] > row[best]:
                best = j
        correct += int(best == label)
    return correct / len(y)


def accuracy_float32(logits, y):
    return float((np.asarray(logits, dtype=np.float32).argmax(axis=1) == np.asarray(y)).sum() / len(y))


def test_111_reference_passes(capsys):
    assert check("11.1", accuracy).passed
    assert "✅ Exercise 11.1 passed" in capsys.readouterr().out


def test_111_stub_not_attempted():
    assert run("11.1", stub).status == "not attempted"


# ---- 11.2 confusion matrix -------------------------------------------------------------------------
def confusion_matrix(y_true, y_pred, num_classes):
    M = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(M, (y_true, y_pred), 1)
    return M


def cm_loop(y_true, y_pred, num_classes):
    M = np.zeros((num_classes, num_classes), dtype=int)
    for t, p in zip(y_true, y_pred, strict=False):
        M[t, p] += 1
    return M


def cm_bincount(y_true, y_pred, num_classes):
    flat = np.asarray(y_true) * num_classes + np.asarray(y_pred)
    return np.bincount(flat, minlength=num_classes * num_classes).reshape(num_classes, num_classes)


def cm_ignores_num_classes(t, p, C):
    k = int(max(t.max(), p.max())) + 1
    return confusion_matrix(t, p, k)


def cm_fancy_index(t, p, C):
    M = np.zeros((C, C))
    M[t, p] += 1
    return M


def cm_row_normalised(t, p, C):
    M = confusion_matrix(t, p, C).astype(float)
    s = M.sum(axis=1, keepdims=True)
    return np.where(s > 0, M / np.where(s > 0, s, 1), 0)


def cm_total_normalised(t, p, C):
    M = confusion_matrix(t, p, C)
    return M / M.sum()


def cm_diagonal_only(t, p, C):
    M = np.zeros((C, C), dtype=int)
    for a, b in zip(t, p, strict=False):
        if a == b:
            M[a, b] += 1
    return M


def cm_off_by_one(t, p, C):
    M = np.zeros((C, C), dtype=int)
    for a, b in zip(t[:-1], p[:-1], strict=False):         # range(len(t) - 1): the last example is lost
        M[a, b] += 1
    return M


def test_112_reference_passes():
    assert check("11.2", confusion_matrix).passed


def test_112_stub_not_attempted():
    assert run("11.2", stub).status == "not attempted"


# ---- 11.3 mini-batches -----------------------------------------------------------------------------
def minibatches(X, y, batch_size, rng):
    perm = rng.permutation(len(y))
    for start in range(0, len(y), batch_size):
        idx = perm[start:start + batch_size]
        yield X[idx], y[idx]


def mb_split(X, y, batch_size, rng):
    perm = rng.permutation(len(y))
    n_batches = -(-len(y) // batch_size)
    cuts = [batch_size * k for k in range(1, n_batches)]
    return [(X[idx], y[idx]) for idx in np.split(perm, cuts)]


def mb_not_shuffled(X, y, B, rng):
    return [(X[s:s + B], y[s:s + B]) for s in range(0, len(y), B)]


def mb_drops_last(X, y, B, rng):
    perm = rng.permutation(len(y))
    return [(X[perm[s:s + B]], y[perm[s:s + B]]) for s in range(0, len(y) - B + 1, B)]


def mb_off_by_one(X, y, B, rng):
    perm = rng.permutation(len(y))
    return [(X[perm[s:s + B]], y[perm[s:s + B]]) for s in range(0, len(y) - B, B)]


def mb_two_permutations(X, y, B, rng):
    px, py = rng.permutation(len(y)), rng.permutation(len(y))
    return [(X[px[s:s + B]], y[py[s:s + B]]) for s in range(0, len(y), B)]


def mb_with_replacement(X, y, B, rng):
    out = []
    for s in range(0, len(y), B):
        idx = rng.integers(0, len(y), size=min(B, len(y) - s))
        out.append((X[idx], y[idx]))
    return out


def mb_global_rng(X, y, B, rng):
    perm = np.random.permutation(len(y))
    return [(X[perm[s:s + B]], y[perm[s:s + B]]) for s in range(0, len(y), B)]


def mb_in_place(X, y, B, rng):
    perm = rng.permutation(len(y))
    X[:] = X[perm]
    y[:] = y[perm]
    return [(X[s:s + B], y[s:s + B]) for s in range(0, len(y), B)]


def mb_ignores_batch_size(X, y, B, rng):
    perm = rng.permutation(len(y))
    return [(X[perm[s:s + 32]], y[perm[s:s + 32]]) for s in range(0, len(y), 32)]


def test_113_reference_passes():
    assert check("11.3", minibatches).passed


def test_113_package_version_passes():
    assert check("11.3", lambda X, y, B, rng: mdl.data.minibatches(X, y, B, rng=rng)).passed


def test_113_stub_not_attempted():
    assert run("11.3", stub).status == "not attempted"


# ---- 11.4 one epoch of training --------------------------------------------------------------------
def train_epoch(model, optimizer, batches):
    total, count = 0.0, 0
    for X_b, y_b in batches:
        optimizer.zero_grad()
        loss = F.cross_entropy(model(mdl.tensor(X_b)), y_b)
        loss.backward()
        optimizer.step()
        total += float(loss.data) * len(y_b)
        count += len(y_b)
    return total / count


def _epoch(model, optimizer, batches, *, zero_grad=True, step_first=False, reduction="mean", first_only=False):
    losses, sizes = [], []
    for X_b, y_b in batches[:1] if first_only else batches:
        if zero_grad:
            optimizer.zero_grad()
        loss = F.cross_entropy(model(mdl.tensor(X_b)), y_b, reduction=reduction)
        if step_first:
            optimizer.step()
            loss.backward()
        else:
            loss.backward()
            optimizer.step()
        losses.append(float(loss.data))
        sizes.append(len(y_b))
    return losses, sizes


def te_model_zero_grad_np_average(model, optimizer, batches):
    losses, sizes = [], []
    for X_b, y_b in batches:
        for p in model.parameters():          # zero the gradients by hand instead of optimizer.zero_grad()
            p.grad = None
        logits = model(mdl.tensor(np.asarray(X_b)))
        loss = F.cross_entropy(logits, np.asarray(y_b))
        loss.backward()
        optimizer.step()
        losses.append(float(loss.data))
        sizes.append(len(y_b))
    return float(np.average(losses, weights=sizes))


def te_sum_reduction_then_divide(model, optimizer, batches):
    total, count = 0.0, 0
    for X_b, y_b in batches:
        optimizer.zero_grad()
        loss = F.cross_entropy(model(mdl.tensor(X_b)), y_b)
        loss.backward()
        optimizer.step()
        total += loss.item() * y_b.shape[0] if hasattr(loss, "item") else float(loss.data) * y_b.shape[0]
        count += y_b.shape[0]
    return total / count


def te_no_zero_grad(model, optimizer, batches):
    losses, sizes = _epoch(model, optimizer, batches, zero_grad=False)
    return float(np.average(losses, weights=sizes))


def te_step_before_backward(model, optimizer, batches):
    losses, sizes = _epoch(model, optimizer, batches, step_first=True)
    return float(np.average(losses, weights=sizes))


def te_first_batch_only(model, optimizer, batches):
    losses, _ = _epoch(model, optimizer, batches, first_only=True)
    return losses[0]


def te_sum_reduction(model, optimizer, batches):
    losses, sizes = _epoch(model, optimizer, batches, reduction="sum")
    return float(np.sum(losses) / np.sum(sizes))


def te_last_loss(model, optimizer, batches):
    return _epoch(model, optimizer, batches)[0][-1]


def te_unweighted_mean(model, optimizer, batches):
    return float(np.mean(_epoch(model, optimizer, batches)[0]))


def te_sum_of_losses(model, optimizer, batches):
    return float(np.sum(_epoch(model, optimizer, batches)[0]))


def te_returns_none(model, optimizer, batches):
    train_epoch(model, optimizer, batches)


def test_114_reference_passes():
    t0 = time.perf_counter()
    assert check("11.4", train_epoch).passed
    assert time.perf_counter() - t0 < 1.0


def test_114_stub_not_attempted():
    assert run("11.4", stub).status == "not attempted"


def test_114_batches_have_unequal_sizes():
    """The weak check of issue 13: with equal batches, the plain mean of the batch losses equals the weighted one."""
    from mathdl.exercises.checks.ch11 import _tiny_problem
    sizes = [len(y_b) for _, y_b in _tiny_problem()]
    assert len(set(sizes)) == len(sizes), sizes
    expect_hint("11.4", te_unweighted_mean, "plain mean of the batch losses")


def accuracy_threshold(logits, y):
    z = logits - logits.max(axis=1, keepdims=True)
    P = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    return float(np.mean(P[np.arange(len(y)), y] > 0.5))       # "correct" = true-class probability above 1/2


def cm_fixed_ten(t, p, C):
    M = np.zeros((10, 10), dtype=int)                             # the digits' 10 classes, hard-coded
    np.add.at(M, (t, p), 1)
    return M


def mb_empty_last(X, y, B, rng):
    perm = rng.permutation(len(y))
    return [(X[perm[k * B:(k + 1) * B]], y[perm[k * B:(k + 1) * B]]) for k in range(len(y) // B + 1)]


def mb_padded(X, y, B, rng):
    n = len(y)
    idx = np.resize(rng.permutation(n), -(-n // B) * B)          # wraps around to fill the last batch
    return [(X[idx[s:s + B]], y[idx[s:s + B]]) for s in range(0, len(idx), B)]


def mb_hard_coded_5(X, y, B, rng):
    perm = rng.permutation(len(y))
    return [(X[perm[s:s + 5]], y[perm[s:s + 5]]) for s in range(0, len(y), 5)]


def mb_column_labels(X, y, B, rng):
    perm = rng.permutation(len(y))
    return [(X[perm[s:s + B]], y[perm[s:s + B]][:, None]) for s in range(0, len(y), B)]


def mb_choice(X, y, B, rng):
    perm = rng.choice(len(y), size=len(y), replace=False)
    out, start = [], 0
    while start < len(y):
        idx = perm[start:start + B]
        out.append((X[idx], y[idx]))
        start += B
    return out


def _loop(model, optimizer, batches, *, to_f32=False, zero_grad_last=False, order=None, tensor_total=False,
          divide=None):
    total, count = 0.0, 0
    for X_b, y_b in (batches if order is None else order(batches)):
        if not zero_grad_last:
            optimizer.zero_grad()
        X_in = X_b.astype(np.float32) if to_f32 else X_b
        loss = F.cross_entropy(model(mdl.tensor(X_in)), y_b)
        loss.backward()
        optimizer.step()
        if zero_grad_last:
            optimizer.zero_grad()
        total = total + (loss * len(y_b) if tensor_total else float(loss.data) * len(y_b))
        count += len(y_b)
    return total / (divide(batches) if divide else count)


def te_float32_inputs(model, optimizer, batches):
    return _loop(model, optimizer, batches, to_f32=True)


def te_zero_grad_after_step(model, optimizer, batches):
    return _loop(model, optimizer, batches, zero_grad_last=True)


def te_reversed(model, optimizer, batches):
    return _loop(model, optimizer, batches, order=lambda b: b[::-1])


def te_tensor_total(model, optimizer, batches):
    return _loop(model, optimizer, batches, tensor_total=True)


def te_equal_batches(model, optimizer, batches):
    return _loop(model, optimizer, batches, divide=lambda b: len(b) * len(b[0][1]))


def te_loss_after_step(model, optimizer, batches):
    total, count = 0.0, 0
    for X_b, y_b in batches:
        optimizer.zero_grad()
        loss = F.cross_entropy(model(mdl.tensor(X_b)), y_b)
        loss.backward()
        optimizer.step()
        with mdl.no_grad():
            total += float(F.cross_entropy(model(mdl.tensor(X_b)), y_b).data) * len(y_b)
        count += len(y_b)
    return total / count


# ---- the tables ------------------------------------------------------------------------------------
WRONG_ANSWERS = {
    "11.1": [
        Wrong(lambda logits, y: int(np.sum(np.argmax(logits, axis=1) == y)), "number of correct",
              "the count of correct predictions, not the fraction"),
        Wrong(lambda logits, y: 100 * np.mean(np.argmax(logits, axis=1) == y), "percentage",
              "a percentage instead of a fraction"),
        Wrong(lambda logits, y: float(np.mean(np.argmax(logits, axis=0) == y)), "wrong axis",
              "argmax over axis 0 (the best example per class)"),
        Wrong(lambda logits, y: float(np.mean(np.max(logits, axis=1) == y)), "INDEX of the largest",
              "compares the largest logit's value with the label"),
        Wrong(lambda logits, y: float(np.mean(logits == y)), "INDEX of the largest",
              "compares the raw logits with the labels"),
        Wrong(lambda logits, y: float(np.mean(np.argmin(logits, axis=1) == y)), "SMALLEST logit",
              "argmin instead of argmax"),
        Wrong(lambda logits, y: float(np.mean(np.argmax(logits) == y)), "flattened array",
              "argmax without an axis (one index of the flattened array)"),
        Wrong(accuracy_threshold, "probability exceeds 1/2", "true-class probability above 1/2 counted as correct"),
        Wrong(lambda logits, y: float(np.mean(logits[np.arange(len(y)), y] > 0)), "logit is positive",
              "true-class logit above 0 counted as correct"),
    ],
    "11.2": [
        Wrong(lambda t, p, C: confusion_matrix(t, p, C).T, "transposed", "rows = predicted (transposed)"),
        Wrong(cm_ignores_num_classes, "num_classes", "size from the largest label, ignoring num_classes"),
        Wrong(cm_fancy_index, "+= 1", "M[y_true, y_pred] += 1 (repeated pairs counted once)"),
        Wrong(cm_row_normalised, "COUNTS", "rows normalised to fractions"),
        Wrong(cm_total_normalised, "COUNTS", "divided by the total number of examples"),
        Wrong(cm_diagonal_only, "only the correct predictions", "counts only the correct predictions"),
        Wrong(cm_off_by_one, "M[i, j] = the number of examples", "off by one: the last example is not counted"),
        Wrong(cm_fixed_ten, "num_classes argument", "a hard-coded 10 x 10 matrix"),
    ],
    "11.3": [
        Wrong(mb_not_shuffled, "did not shuffle", "no shuffling"),
        Wrong(mb_drops_last, "dropped", "drops the last, smaller batch"),
        Wrong(mb_off_by_one, "dropped", "off by one: range(0, n - B, B) loses the last batch"),
        Wrong(mb_two_permutations, "SAME permutation", "X and y shuffled with different permutations"),
        Wrong(mb_with_replacement, "ONE permutation", "indices drawn with replacement"),
        Wrong(mb_global_rng, "rng argument", "the global np.random instead of the rng argument"),
        Wrong(mb_in_place, "in place", "shuffles the caller's X and y in place"),
        Wrong(mb_ignores_batch_size, "batch_size was ignored", "ignores batch_size (hard-coded 32)"),
        Wrong(mb_hard_coded_5, "batch_size was ignored", "hard-codes the test's batch size 5"),
        Wrong(mb_empty_last, "empty last batch", "range(n // B + 1) batches: an empty one when B divides n"),
        Wrong(mb_padded, "padded", "last batch wrapped around to a full batch"),
        Wrong(mb_column_labels, "1-D like y", "y_b of shape (B, 1)"),
    ],
    "11.4": [
        Wrong(te_no_zero_grad, "never reset", "no zero_grad"),
        Wrong(te_step_before_backward, "before loss.backward()", "step before backward"),
        Wrong(te_first_batch_only, "ALL the batches", "only the first batch"),
        Wrong(te_sum_reduction, "reduction='sum'", "summed loss over the batch (reduction='sum')"),
        Wrong(te_last_loss, "LAST batch", "returns the last batch's loss"),
        Wrong(te_unweighted_mean, "plain mean of the batch losses", "unweighted mean over unequal batches"),
        Wrong(te_sum_of_losses, "summed the batch losses", "returns the sum of the batch losses"),
        Wrong(te_returns_none, "average training loss", "returns nothing"),
        Wrong(te_reversed, "order given", "the batches in reversed order"),
        Wrong(te_tensor_total, "not the Tensor loss", "returns the accumulated Tensor (a graph over the epoch)"),
        Wrong(te_equal_batches, "unequal sizes", "divides by (number of batches) x (first batch size)"),
        Wrong(te_loss_after_step, "BEFORE the step", "records the loss after the step"),
    ],
}

RIGHT_ANSWERS = {
    "11.1": [Right(accuracy_loop, "a loop over the rows, argmax by hand"),
             Right(accuracy_float32, "float32 logits, count divided by B")],
    "11.2": [Right(cm_loop, "a Python loop with M[t, p] += 1"),
             Right(cm_bincount, "np.bincount of t * C + p, reshaped")],
    "11.3": [Right(mb_split, "np.split of the permutation, returning a list"),
             Right(lambda X, y, B, rng: mdl.data.minibatches(X, y, B, rng=rng), "mathdl's own minibatches"),
             Right(mb_choice, "rng.choice without replacement, a while loop")],
    "11.4": [Right(te_model_zero_grad_np_average, "gradients reset by hand, np.average with weights"),
             Right(te_sum_reduction_then_divide, "the total of B_k * L_k divided by the count"),
             Right(te_float32_inputs, "float32 inputs"),
             Right(te_zero_grad_after_step, "zero_grad at the end of each step")],
}


def test_wrong_answers_get_their_hint(wrong_answer): wrong_answer.assert_fails()
def test_right_answers_written_differently_pass(right_answer): right_answer.assert_passes()
