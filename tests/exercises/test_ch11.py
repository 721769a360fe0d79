"""The checks of chapter 11: reference answers pass, stubs are 'not attempted', realistic mistakes get their hint."""

import time

import numpy as np

import mathdl as mdl
import mathdl.functional as F
from mathdl.exercises import check, get_exercise, run_check


def run(ex_id, *objs):
    return run_check(get_exercise(ex_id), objs)


def expect_hint(ex_id, fn, fragment):
    res = run(ex_id, fn)
    assert res.status == "failed", res.line()
    assert res.hint and fragment in res.hint, res.line()
    return res


def _stub(*args, **kwargs):
    raise NotImplementedError("Exercise 11.k: not yet")


# ---- 11.1 accuracy ---------------------------------------------------------------------------------
def accuracy(logits, y):
    return float(np.mean(np.argmax(logits, axis=1) == y))


def test_111_reference_passes(capsys):
    assert check("11.1", accuracy).passed
    assert "✅ Exercise 11.1 passed" in capsys.readouterr().out


def test_111_stub_not_attempted():
    assert run("11.1", _stub).status == "not attempted"


def test_111_count_instead_of_fraction():
    expect_hint("11.1", lambda logits, y: int(np.sum(np.argmax(logits, axis=1) == y)), "number of correct")


def test_111_percentage():
    expect_hint("11.1", lambda logits, y: 100 * np.mean(np.argmax(logits, axis=1) == y), "percentage")


def test_111_wrong_axis():
    expect_hint("11.1", lambda logits, y: float(np.mean(np.argmax(logits, axis=0) == y)), "wrong axis")


def test_111_compares_logits_not_argmax():
    expect_hint("11.1", lambda logits, y: float(np.mean(np.max(logits, axis=1) == y)), "INDEX of the largest")


def test_111_compares_raw_logits():
    expect_hint("11.1", lambda logits, y: float(np.mean(logits == y)), "INDEX of the largest")


# ---- 11.2 confusion matrix -------------------------------------------------------------------------
def confusion_matrix(y_true, y_pred, num_classes):
    M = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(M, (y_true, y_pred), 1)
    return M


def test_112_reference_passes():
    assert check("11.2", confusion_matrix).passed


def test_112_stub_not_attempted():
    assert run("11.2", _stub).status == "not attempted"


def test_112_transposed():
    expect_hint("11.2", lambda t, p, C: confusion_matrix(t, p, C).T, "transposed")


def test_112_ignores_num_classes():
    def cm(t, p, C):
        k = int(max(t.max(), p.max())) + 1
        return confusion_matrix(t, p, k)
    expect_hint("11.2", cm, "num_classes")


def test_112_fancy_index_does_not_count():
    def cm(t, p, C):
        M = np.zeros((C, C))
        M[t, p] += 1
        return M
    expect_hint("11.2", cm, "+= 1")


def test_112_normalised():
    def cm(t, p, C):
        M = confusion_matrix(t, p, C).astype(float)
        s = M.sum(axis=1, keepdims=True)
        return np.where(s > 0, M / np.where(s > 0, s, 1), 0)
    expect_hint("11.2", cm, "COUNTS")


# ---- 11.3 mini-batches -----------------------------------------------------------------------------
def minibatches(X, y, batch_size, rng):
    perm = rng.permutation(len(y))
    for start in range(0, len(y), batch_size):
        idx = perm[start:start + batch_size]
        yield X[idx], y[idx]


def test_113_reference_passes():
    assert check("11.3", minibatches).passed


def test_113_package_version_passes():
    assert check("11.3", lambda X, y, B, rng: mdl.data.minibatches(X, y, B, rng=rng)).passed


def test_113_stub_not_attempted():
    assert run("11.3", _stub).status == "not attempted"


def test_113_not_shuffled():
    def mb(X, y, B, rng):
        return [(X[s:s + B], y[s:s + B]) for s in range(0, len(y), B)]
    expect_hint("11.3", mb, "did not shuffle")


def test_113_drops_last():
    def mb(X, y, B, rng):
        perm = rng.permutation(len(y))
        return [(X[perm[s:s + B]], y[perm[s:s + B]]) for s in range(0, len(y) - B + 1, B)]
    expect_hint("11.3", mb, "dropped")


def test_113_different_permutations():
    def mb(X, y, B, rng):
        px, py = rng.permutation(len(y)), rng.permutation(len(y))
        return [(X[px[s:s + B]], y[py[s:s + B]]) for s in range(0, len(y), B)]
    expect_hint("11.3", mb, "SAME permutation")


def test_113_with_replacement():
    def mb(X, y, B, rng):
        out = []
        for s in range(0, len(y), B):
            idx = rng.integers(0, len(y), size=min(B, len(y) - s))
            out.append((X[idx], y[idx]))
        return out
    expect_hint("11.3", mb, "ONE permutation")


def test_113_global_rng():
    def mb(X, y, B, rng):
        perm = np.random.permutation(len(y))
        return [(X[perm[s:s + B]], y[perm[s:s + B]]) for s in range(0, len(y), B)]
    expect_hint("11.3", mb, "rng argument")


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


def test_114_reference_passes():
    t0 = time.perf_counter()
    assert check("11.4", train_epoch).passed
    assert time.perf_counter() - t0 < 1.0


def test_114_stub_not_attempted():
    assert run("11.4", _stub).status == "not attempted"


def test_114_forgot_zero_grad():
    def te(model, optimizer, batches):
        losses = []
        for X_b, y_b in batches:
            loss = F.cross_entropy(model(mdl.tensor(X_b)), y_b)
            loss.backward()
            optimizer.step()
            losses.append(float(loss.data))
        return float(np.mean(losses))
    expect_hint("11.4", te, "never reset")


def test_114_step_before_backward():
    def te(model, optimizer, batches):
        losses = []
        for X_b, y_b in batches:
            optimizer.zero_grad()
            loss = F.cross_entropy(model(mdl.tensor(X_b)), y_b)
            optimizer.step()
            loss.backward()
            losses.append(float(loss.data))
        return float(np.mean(losses))
    expect_hint("11.4", te, "before loss.backward()")


def test_114_only_first_batch():
    def te(model, optimizer, batches):
        X_b, y_b = batches[0]
        optimizer.zero_grad()
        loss = F.cross_entropy(model(mdl.tensor(X_b)), y_b)
        loss.backward()
        optimizer.step()
        return float(loss.data)
    expect_hint("11.4", te, "ALL the batches")


def test_114_sum_reduction():
    def te(model, optimizer, batches):
        losses = []
        for X_b, y_b in batches:
            optimizer.zero_grad()
            loss = F.cross_entropy(model(mdl.tensor(X_b)), y_b, reduction="sum")
            loss.backward()
            optimizer.step()
            losses.append(float(loss.data))
        return float(np.mean(losses))
    expect_hint("11.4", te, "reduction='sum'")


def test_114_returns_last_loss():
    def te(model, optimizer, batches):
        for X_b, y_b in batches:
            optimizer.zero_grad()
            loss = F.cross_entropy(model(mdl.tensor(X_b)), y_b)
            loss.backward()
            optimizer.step()
        return float(loss.data)
    expect_hint("11.4", te, "LAST batch")


def test_114_returns_none():
    def te(model, optimizer, batches):
        train_epoch(model, optimizer, batches)
    expect_hint("11.4", te, "average training loss")
