"""Checks for chapter 5, linear layers (book/05_linear_layers.ipynb).

5.1 ``linear(X, W, b)``: the batched layer Z = XW + b, raising ValueError on bad shapes.
5.2 ``gradient_shapes(B, d, m)``: the shape of Z and of every gradient of a linear layer.
5.3 ``linear_backward(X, W, g)``: (∂L/∂X, ∂L/∂W, ∂L/∂b) from the adjoint g = ∂L/∂Z.
5.4 ``mse_linear_grads(X, W, b, Y)``: (∂L/∂W, ∂L/∂b) for L = mean((XW + b − Y)²).

Every reference is computed here, from the check's own inputs.
"""

from __future__ import annotations

from mathdl.exercises import _trusted as T
from mathdl.exercises.registry import Wrong, exercise

np = T.np

# A right answer computed in float32 (eps 6e-8, sums of a few products of O(1) numbers) is off by ~1e-7:
# accept it. Every mistake the hints name (a transpose, a missing bias, 1/B twice, a factor 2, a mean for a
# sum) is off by a factor or by O(1) amounts, far outside these tolerances.
_RTOL = 1e-5
_ATOL = 1e-6


def _data(B, d, m, seed):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(B, d)), rng.normal(size=(d, m)), rng.normal(size=m), rng.normal(size=(B, m))


def _shape(t):
    return "(" + ", ".join(str(s) for s in t) + ("," if len(t) == 1 else "") + ")"


def _first_match(got, candidates, *args):
    """The hint of the first wrong-answer candidate that ``got`` matches (same shape and values), else None.

    A candidate is ``(value, hint)``; ``value`` may be a function, called on ``args`` (computed lazily,
    skipped when the wrong formula is impossible for these shapes), or None (skipped).
    """
    for value, hint in candidates:
        if T.callable(value):
            try:
                value = value(*args)
            except ValueError:  # e.g. X @ W.T with non-square W: that mistake cannot produce `got`
                continue
        if value is not None and T.close(got, value, rtol=_RTOL, atol=_ATOL):
            return hint
    return None


def _expect(got, ref, what, hint=None):
    """Like T.expect_close, but a shape mismatch also carries ``hint`` (the likely mistake)."""
    if hint is not None and got.shape != ref.shape:
        raise Wrong(f"{what} has shape {_shape(got.shape)}, expected {_shape(ref.shape)}", hint=hint)
    T.expect_close(got, ref, what, rtol=_RTOL, atol=_ATOL, hint=hint)


def _as_tuple(result, n, name):
    if not T.isinstance(result, (T.tuple, T.list)) or T.len(result) != n:
        kind = T.type(result).__name__
        size = f" of length {T.len(result)}" if T.isinstance(result, (T.tuple, T.list)) else ""
        raise Wrong(f"{name} returned a {kind}{size}, expected a tuple of {n} arrays",
                    hint=f"end with `return {', '.join(['...'] * n)}`")
    return result


_ORIENTATION = ("Z = XW + b multiplies (B, d) by (d, m): write X @ W. X @ W.T or W @ X only work "
                "when the shapes happen to allow them, and then give the wrong numbers")


# --------------------------------------------------------------------------------------
# 5.1  the batched linear layer, with shape checks
# --------------------------------------------------------------------------------------
@exercise("5.1", target="linear", title="A batched linear layer", points=1)
def _check_linear(linear):
    T.require_callable(linear, "linear")
    for B, d, m, seed in ((4, 3, 2, 1), (3, 3, 3, 2), (1, 5, 4, 3)):
        X, W, b, _ = _data(B, d, m, seed)
        call = f"linear(X {_shape(X.shape)}, W {_shape(W.shape)}, b {_shape(b.shape)})"
        try:
            got = linear(X.copy(), W.copy(), b.copy())
        except NotImplementedError:
            raise
        except (ValueError, TypeError) as exc:
            raise Wrong(f"{call} raised {T.type(exc).__name__} ({exc}), but these shapes are valid",
                        hint=_ORIENTATION) from None
        got = T.as_float_array(got, call, shape=(B, m))
        ref = X @ W + b
        if T.close(got, ref, rtol=_RTOL, atol=_ATOL):
            continue
        hint = _first_match(got, [
            (lambda X, W, b: X @ W, "you forgot the bias: Z = XW + b, with b added to every row"),
            (lambda X, W, b: X @ W.T + b, "W is transposed: " + _ORIENTATION),
            (lambda X, W, b: W @ X + b, "the product is in the wrong order: " + _ORIENTATION),
            (lambda X, W, b: X @ W - b, "the bias is added, not subtracted"),
        ], X, W, b)
        _expect(got, ref, call, hint)

    # inputs that must be refused with a ValueError naming the shapes
    rng = np.random.default_rng(5)
    bad = [
        (rng.normal(size=(4, 3)), rng.normal(size=(5, 2)), rng.normal(size=2), None,
         "the inner dimensions differ (X is (4, 3), W is (5, 2))"),
        (rng.normal(size=(2, 3)), rng.normal(size=(3, 2)), rng.normal(size=(2, 1)), (2, 1),
         "b has shape (2, 1) instead of (2,); numpy would silently broadcast it to a (2, 2) result"),
        (rng.normal(size=3), rng.normal(size=(3, 2)), rng.normal(size=2), (3,),
         "X has shape (3,): a batch must be 2-D, (B, d), even when B = 1"),
        (rng.normal(size=(3, 3)), rng.normal(size=3), rng.normal(size=3), (3,),
         "W has shape (3,): the weights must be 2-D, (d, m); X @ W silently returns a (3,) vector here"),
    ]
    for X, W, b, shown, why in bad:
        call = f"linear(X {_shape(X.shape)}, W {_shape(W.shape)}, b {_shape(b.shape)})"
        try:
            out = linear(X, W, b)
        except NotImplementedError:
            raise
        except ValueError as exc:
            if shown is not None and T.str(shown) not in T.str(exc):
                raise Wrong(f"{call} raised ValueError({str(exc)!r}), whose message does not show the "
                            f"offending shape {shown}",
                            hint="name the shapes in the message, e.g. "
                                 "f\"linear: b has shape {b.shape}, expected ({W.shape[1]},)\"") from None
            continue
        except AssertionError:
            raise Wrong(f"{call} raised AssertionError; expected ValueError",
                        hint="check inputs with `if ...: raise ValueError(...)`, not `assert` "
                             "(asserts are for bugs in your own code, and vanish under python -O)") from None
        except Exception as exc:  # noqa: BLE001 - any other learner exception
            raise Wrong(f"{call} raised {T.type(exc).__name__}; expected ValueError",
                        hint="raise ValueError for arguments of the wrong shape") from None
        got_shape = T.getattr(out, "shape", None)
        raise Wrong(f"{call} returned a result{'' if got_shape is None else ' of shape ' + _shape(got_shape)} "
                    f"instead of raising ValueError: {why}",
                    hint="check X.ndim, W.ndim, X.shape[1] == W.shape[0] and b.shape == (W.shape[1],) "
                         "yourself before computing")
    return "right Z for 3 batches; ValueError for 4 bad shapes"


# --------------------------------------------------------------------------------------
# 5.2  the shape of every gradient
# --------------------------------------------------------------------------------------
_KEYS_52 = ("Z", "dZ", "dW", "db", "dX")


@exercise("5.2", target="gradient_shapes", title="The shape of every gradient", points=1)
def _check_gradient_shapes(gradient_shapes):
    T.require_callable(gradient_shapes, "gradient_shapes")
    for B, d, m in ((5, 4, 3), (32, 784, 10), (1, 2, 7)):
        got = gradient_shapes(B, d, m)
        if not T.isinstance(got, dict):
            raise Wrong(f"gradient_shapes({B}, {d}, {m}) returned a {T.type(got).__name__}, expected a dict",
                        hint="return {'Z': ..., 'dZ': ..., 'dW': ..., 'db': ..., 'dX': ...}")
        missing = [k for k in _KEYS_52 if k not in got]
        if missing:
            raise Wrong(f"gradient_shapes({B}, {d}, {m}) has no key(s) {', '.join(map(repr, missing))}",
                        hint="the dict needs the keys 'Z', 'dZ', 'dW', 'db', 'dX'")
        ref = {"Z": (B, m), "dZ": (B, m), "dW": (d, m), "db": (m,), "dX": (B, d)}
        wrong_hints = {
            "dW": {(m, d): "a gradient has the shape of what it differentiates: W is (d, m), so is ∂L/∂W "
                           "(PyTorch's Linear stores the transpose, (m, d), but our W is (d, m))",
                   (B, m): "∂L/∂W has the shape of W, (d, m); (B, m) is the shape of Z and of ∂L/∂Z"},
            "db": {(B, m): "b has one entry per output, so ∂L/∂b has shape (m,): the B rows are summed",
                   (1, m): "b has shape (m,), so ∂L/∂b has shape (m,), not (1, m)",
                   (B,): "b has one entry per OUTPUT: the sum runs over the batch axis, leaving (m,)"},
            "dX": {(d, B): "∂L/∂X has the shape of X, (B, d)"},
            "dZ": {(m, B): "∂L/∂Z has the shape of Z, (B, m)"},
            "Z": {(m, B): "Z = XW + b is (B, d)(d, m) = (B, m)"},
        }
        for key in _KEYS_52:
            value = got[key]
            try:
                shape = T.tuple(T.int(s) for s in value)
            except Exception:  # noqa: BLE001 - anything that is not a sequence of integers
                raise Wrong(f"gradient_shapes({B}, {d}, {m})[{key!r}] = {value!r} is not a shape",
                            hint="a shape is a tuple of integers, e.g. (B, m)") from None
            if shape != ref[key]:
                hint = wrong_hints.get(key, {}).get(shape)
                if key == "db" and shape == () and hint is None:
                    hint = "∂L/∂b is a vector with one entry per output: shape (m,), written (m,) in Python"
                raise Wrong(f"with B={B}, d={d}, m={m} the shape of {key} is {_shape(ref[key])}, "
                            f"you gave {_shape(shape)}", hint=hint)
    return "all five shapes right for 3 layer sizes"


# --------------------------------------------------------------------------------------
# 5.3  the backward pass of a linear layer
# --------------------------------------------------------------------------------------
@exercise("5.3", target="linear_backward", title="The backward pass of a linear layer", points=2)
def _check_linear_backward(linear_backward):
    T.require_callable(linear_backward, "linear_backward")
    for B, d, m, seed in ((5, 4, 3, 7), (6, 3, 3, 8), (1, 2, 4, 9)):
        X, W, _, g = _data(B, d, m, seed)
        call = f"linear_backward(X {_shape(X.shape)}, W {_shape(W.shape)}, g {_shape(g.shape)})"
        try:
            result = linear_backward(X.copy(), W.copy(), g.copy())
        except NotImplementedError:
            raise
        except ValueError as exc:
            raise Wrong(f"{call} raised ValueError ({exc})",
                        hint="one of your matrix products has mismatched inner dimensions. Write the shape "
                             "under each factor: ∂L/∂W = Xᵀ Ḡ is (d, B)(B, m) = (d, m) and "
                             "∂L/∂X = Ḡ Wᵀ is (B, m)(m, d) = (B, d)") from None
        dX, dW, db = _as_tuple(result, 3, call)
        ref_dX, ref_dW, ref_db = g @ W.T, X.T @ g, g.sum(axis=0)

        got = T.as_float_array(dW, f"dW from {call}")
        hint = None
        if got.shape == (m, d) and d != m:
            hint = "dW is transposed: Ḡᵀ X has shape (m, d); ∂L/∂W = Xᵀ Ḡ has the shape of W, (d, m)"
        elif got.shape == (d, m):
            hint = _first_match(got, [
                (X.T @ g / B, "you divided by B: if L is a mean, the 1/B is already inside g = ∂L/∂Z; "
                              "here ∂L/∂W = Xᵀ g exactly"),
                ((g.T @ X) if d == m else None,
                 "dW is transposed: you computed Ḡᵀ X; ∂L/∂W = Xᵀ Ḡ"),
            ])
        _expect(got, ref_dW, f"dW from {call}", hint)

        got = T.as_float_array(db, f"db from {call}")
        hint = None
        if got.shape == (B, m) and B > 1:
            hint = ("db is not summed over the batch: b was added to every one of the B rows, so each row "
                    "contributes, and ∂L/∂b = g.sum(axis=0), shape (m,)")
        elif got.shape == (B,) and B != m:
            hint = "db was summed over the wrong axis: sum over the batch (axis=0) to get shape (m,)"
        elif got.shape == (1, m):
            hint = "db must have the shape of b, (m,): use g.sum(axis=0) (without keepdims)"
        elif got.shape == (m,):
            hint = _first_match(got, [
                (g.mean(axis=0) if B > 1 else None,
                 "you took the mean over the batch: b is copied into all B rows, and each copy passes its "
                 "gradient back in full, so ∂L/∂b is the SUM of g's rows"),
            ])
        _expect(got, ref_db, f"db from {call}", hint)

        got = T.as_float_array(dX, f"dX from {call}")
        hint = None
        if got.shape == (d, B) and d != B:
            hint = "dX is transposed: ∂L/∂X has the shape of X, (B, d): Ḡ Wᵀ"
        elif got.shape == (B, d):
            hint = _first_match(got, [
                (g @ W if d == m else None, "W is not transposed: ∂L/∂X = Ḡ Wᵀ, i.e. g @ W.T"),
            ])
        _expect(got, ref_dX, f"dX from {call}", hint)
    return "dX, dW and db right for 3 layer sizes"


# --------------------------------------------------------------------------------------
# 5.4  gradients of a mean squared error through the layer
# --------------------------------------------------------------------------------------
@exercise("5.4", target="mse_linear_grads", title="Gradients of a mean squared error through a layer", points=2)
def _check_mse_linear_grads(mse_linear_grads):
    T.require_callable(mse_linear_grads, "mse_linear_grads")
    for B, d, m, seed in ((6, 4, 3, 11), (8, 2, 2, 12)):
        X, W, b, Y = _data(B, d, m, seed)
        call = (f"mse_linear_grads(X {_shape(X.shape)}, W {_shape(W.shape)}, b {_shape(b.shape)}, "
                f"Y {_shape(Y.shape)})")
        try:
            result = mse_linear_grads(X.copy(), W.copy(), b.copy(), Y.copy())
        except NotImplementedError:
            raise
        except ValueError as exc:
            raise Wrong(f"{call} raised ValueError ({exc})",
                        hint="check the shapes of your products: Ḡ = ∂L/∂Z is (B, m), ∂L/∂W = Xᵀ Ḡ is (d, m)"
                        ) from None
        dW, db = _as_tuple(result, 2, call)
        R = X @ W + b - Y                       # residuals
        G = 2 * R / (B * m)                     # ∂L/∂Z for L = mean over all B·m entries
        ref_dW, ref_db = X.T @ G, G.sum(axis=0)

        wrong = [
            (2 * R, "L is the MEAN of the B·m squared residuals, so ∂L/∂Z = 2(Z − Y)/(B·m); "
                    "you differentiated their sum"),
            (2 * R / B, "np.mean averages over all B·m entries, not only the B rows: divide by B·m"),
            (R / (B * m), "the derivative of r² is 2r: the factor 2 is missing"),
            (-G, "sign error: ∂/∂Z (Z − Y)² = 2(Z − Y), not 2(Y − Z)"),
            (2 * (X @ W - Y) / (B * m), "the forward pass must include the bias: Z = XW + b"),
            (2 * R / m, "np.mean averages over all B·m entries, not only the m outputs of a row: divide by B·m"),
            ((2 * R / (B * d)) if d != m else None,
             "you divided by B·d, the size of X; the mean runs over the B·m entries of Z (Z.size)"),
        ]
        wrong = [(Gw, h) for Gw, h in wrong if Gw is not None]   # B·d = B·m when d = m: not a mistake there
        got = T.as_float_array(dW, f"dW from {call}")
        hint = None
        if got.shape == (m, d) and m != d:
            hint = "dW is transposed: ∂L/∂W = Xᵀ Ḡ has the shape of W, (d, m)"
        else:
            hint = _first_match(got, [(X.T @ Gw, h) for Gw, h in wrong])
        _expect(got, ref_dW, f"dW from {call}", hint)

        got = T.as_float_array(db, f"db from {call}")
        hint = None
        if got.shape == (B, m):
            hint = "db is not summed over the batch: ∂L/∂b = Ḡ.sum(axis=0), shape (m,)"
        else:
            hint = _first_match(got, [(Gw.sum(axis=0), h) for Gw, h in wrong] + [
                (G.mean(axis=0), "you averaged Ḡ's rows; ∂L/∂b is their SUM (the 1/(B·m) is already in Ḡ)"),
            ])
        _expect(got, ref_db, f"db from {call}", hint)
    return "dW, db right, with Ḡ = 2(Z − Y)/(B·m)"
