"""Checks for chapter 6, backpropagation (book/06_backpropagation.ipynb).

6.1 ``Value``: a scalar autograd class with ``+``, ``*`` (numbers on either side) and ``backward()``.
6.2 ``topo_sort(root)``: every node ``root`` depends on, once each, each after all of its inputs.
6.3 ``mlp_grads(X, y, W1, b1, W2, b2)``: the gradients of a relu two-layer network with the loss
    L = 1/(2B) Σ_i ||ŷ_i − y_i||², by hand in numpy, compared with central differences.

Every reference is computed here, from the check's own inputs: 6.1 with central differences of
plain-float functions, 6.2 from the check's own graphs, 6.3 with numerical gradients from
:mod:`mathdl.gradcheck` and an analytic reference (to name the likely mistake).
"""

from __future__ import annotations

from mathdl.exercises import _trusted as T
from mathdl.exercises.registry import Wrong, exercise

np = T.np
_enumerate, _dict, _set, _id = enumerate, dict, set, id   # captured at import, like mathdl.exercises._trusted


# --------------------------------------------------------------------------------------
# 6.1  Value with + and *
# --------------------------------------------------------------------------------------
_SEED_HINT = "backward() must start with self.grad = 1.0 (dL/dL = 1) before walking the graph"
_ORDER_HINT = ("the gradient did not reach the inputs: walk the nodes in REVERSE topological order "
               "(the output first) and call each node's backward rule with its own grad")
_ACCUMULATE_HINT = ("a Value used twice must receive the SUM of its contributions: use `+=` in the "
                    "backward rules, not `=`")
_MUL_HINT = "the local derivatives of a*b are swapped: d(ab)/da = b, so a.grad += g * b.data"
_VISITED_HINT = ("your `+=` is right, but a node reached along two paths is processed twice: it is listed twice "
                 "in your order, so its rule runs twice and its inputs receive its gradient twice. Keep a "
                 "visited set in the topological sort, so that every node is listed once")
_TOPO_HINT = ("your `+=` is right, but backward() runs a node's rule before all of its consumers have added "
              "their contributions to its grad: a plain recursion (or queue) from the output is not a "
              "topological order. Build the order first (a depth-first search that appends a node after its "
              "inputs) and walk it reversed")
_REUSE_HINTS = {
    "assign": _ACCUMULATE_HINT,
    "no_visited": _VISITED_HINT,
    "preorder": _TOPO_HINT,
    "preorder_no_visited": _TOPO_HINT + "; keep a visited set too, so that each node is processed once",
    "bfs": _TOPO_HINT,
}


class _Ref:
    """The check's own scalar engine, with the realistic mistakes of a hand-written one as modes.

    ``mode``: "ok" (the right engine), "assign" (`=` instead of `+=` in the local rules), "no_visited"
    (the topological sort without a visited set: shared nodes listed twice), "preorder" (a recursion from
    the output that runs each node's rule when it is first reached), "preorder_no_visited" (the same,
    without a visited set) and "bfs" (a queue from the output, each node processed once).
    """

    __slots__ = ("data", "grad", "inputs", "rule", "mode")

    def __init__(self, data, inputs=(), rule=None, mode="ok"):
        self.data = T.float(data)
        self.grad = 0.0
        self.inputs = inputs
        self.rule = rule
        self.mode = mode

    def _wrap(self, other):
        return other if T.isinstance(other, _Ref) else _Ref(other, mode=self.mode)

    def __add__(self, other):
        other = self._wrap(other)
        return _Ref(self.data + other.data, (self, other), "add", self.mode)

    def __mul__(self, other):
        other = self._wrap(other)
        return _Ref(self.data * other.data, (self, other), "mul", self.mode)

    __radd__ = __add__
    __rmul__ = __mul__

    def _pass(self):
        if self.rule is None:
            return
        a, b = self.inputs
        g = self.grad
        da, db = (g, g) if self.rule == "add" else (g * b.data, g * a.data)
        if self.mode == "assign":
            a.grad = da
            b.grad = db
        else:
            a.grad += da
            b.grad += db

    def backward(self):
        self.grad = 1.0
        mode = self.mode
        if mode in ("preorder", "preorder_no_visited"):
            seen = _set()

            def go(n):
                n._pass()
                for p in n.inputs:
                    if mode == "preorder_no_visited" or _id(p) not in seen:
                        seen.add(_id(p))
                        go(p)
            seen.add(_id(self))
            go(self)
            return
        if mode == "bfs":
            queue, seen = [self], {_id(self)}
            while queue:
                n = queue.pop(0)
                n._pass()
                for p in n.inputs:
                    if _id(p) not in seen:
                        seen.add(_id(p))
                        queue.append(p)
            return
        order, seen = [], _set()

        def visit(n):
            if mode != "no_visited":
                if _id(n) in seen:
                    return
                seen.add(_id(n))
            for p in n.inputs:
                visit(p)
            order.append(n)
        visit(self)
        for n in order[::-1]:
            n._pass()


def _engine_mistakes(build, point, grads):
    """The modes of _Ref whose gradients on this expression are the learner's (none if the case cannot tell)."""
    found = []
    for mode in _REUSE_HINTS:
        leaves = [_Ref(x, mode=mode) for x in point]
        build(*leaves).backward()
        if all(T.isclose_scalar(g, v.grad, rel_tol=1e-9, abs_tol=1e-12) for g, v in zip(grads, leaves, strict=True)):
            found.append(mode)
    return found


def _fd(f, xs, h=1e-6):
    """Central-difference partial derivatives of the plain-float function f at the point xs."""
    out = []
    for i in range(T.len(xs)):
        up = T.list(xs)
        dn = T.list(xs)
        up[i] += h
        dn[i] -= h
        out.append((f(*up) - f(*dn)) / (2 * h))
    return out


def _grad(v, what):
    g = T.getattr(v, "grad", None)
    if g is None:
        raise Wrong(f"{what} has no attribute `grad` (or it is None)",
                    hint="set self.grad = 0.0 in __init__; backward() adds into it")
    return T.as_float(g, f"{what}.grad")


def _data(v, what):
    if not T.hasattr(v, "data"):
        raise Wrong(f"{what} has no attribute `data`", hint="store the number in self.data")
    return T.as_float(v.data, f"{what}.data")


def _build(expr_text, build, leaves):
    try:
        return build(*leaves)
    except TypeError as exc:
        hint = None
        if "unsupported operand" in T.str(exc) or "can't multiply" in T.str(exc):
            hint = ("a plain number on the left calls __radd__ / __rmul__ of your Value: define them "
                    "(e.g. `def __rmul__(self, other): return self * other`)")
        raise Wrong(f"computing `{expr_text}` with your Value raised TypeError: {exc}", hint=hint) from None


def _shared_diamond(a, b):
    u = a * b              # one node, used twice below: needs both contributions
    return (u + a) * u


def _shared_first(a, b):
    u = a * b              # u is reached first directly, then again through u + a: only a topological
    return u * (u + a)     # order runs u's rule after both contributions have arrived


def _shape(t):
    return "(" + ", ".join(T.str(i) for i in t) + ("," if T.len(t) == 1 else "") + ")"


# Each case: text, builder(*leaves) -> output (with the learner's Values), the same function on floats,
# the point, and a tag naming what the case exercises.
_CASES = (
    ("a * b", lambda a, b: a * b, lambda a, b: a * b, (2.0, -3.0), "mul"),
    ("a + b", lambda a, b: a + b, lambda a, b: a + b, (1.5, 4.0), "add"),
    ("(a * b + c) * e", lambda a, b, c, e: (a * b + c) * e, lambda a, b, c, e: (a * b + c) * e,
     (2.0, -3.0, 4.0, 0.5), "chain"),
    ("x * x", lambda x: x * x, lambda x: x * x, (3.0,), "reuse"),
    ("x + x", lambda x: x + x, lambda x: x + x, (-1.25,), "reuse"),
    ("u = a * b; (u + a) * u", _shared_diamond, lambda a, b: (a * b + a) * (a * b), (2.0, -3.0), "reuse"),
    ("u = a * b; u * (u + a)", _shared_first, lambda a, b: (a * b) * (a * b + a), (1.5, 0.5), "reuse"),
    ("2 * x + 1", lambda x: 2 * x + 1, lambda x: 2 * x + 1, (0.75,), "const"),
    ("1 + x * 3", lambda x: 1 + x * 3, lambda x: 1 + x * 3, (-2.0,), "const"),
    ("x * y * x + y + 0.5 * x", lambda x, y: x * y * x + y + 0.5 * x, lambda x, y: x * y * x + y + 0.5 * x,
     (1.5, -0.5), "reuse"),
)


@exercise("6.1", target="Value", title="Value.backward for + and ×", points=2)
def _check_value(Value):
    T.require_callable(Value, "Value")
    try:
        probe = Value(2.0)
    except NotImplementedError:
        raise
    except Exception as exc:
        raise Wrong(f"Value(2.0) raised {T.type(exc).__name__}: {exc}",
                    hint="the constructor must accept one number: Value(data)") from None
    if not T.isclose_scalar(_data(probe, "Value(2.0)"), 2.0):
        raise Wrong("Value(2.0).data is not 2.0")
    if _grad(probe, "Value(2.0)") != 0.0:
        raise Wrong("a new Value should start with grad = 0.0")

    checked = 0
    for text, build, plain, point, tag in _CASES:
        leaves = [Value(x) for x in point]
        out = _build(text, build, leaves)
        want = plain(*point)
        got = _data(out, f"the result of `{text}`")
        if not T.isclose_scalar(got, want, rel_tol=1e-12, abs_tol=1e-12):
            raise Wrong(f"`{text}` at {point}: forward value {got:.6g}, expected {want:.6g}",
                        hint="the forward value of a + b is a.data + b.data, of a * b is a.data * b.data")
        try:
            out.backward()
        except NotImplementedError:
            raise
        except AttributeError as exc:
            raise Wrong(f"`({text}).backward()` raised AttributeError: {exc}",
                        hint="a number on either side must be wrapped in a Value before it is used "
                             "in the graph") from None
        seed = _grad(out, f"the output of `{text}`")
        grads = [_grad(v, f"input {i + 1} of `{text}`") for i, v in _enumerate(leaves)]
        ref = _fd(plain, point)
        ok = all(T.isclose_scalar(g, r, rel_tol=1e-6, abs_tol=1e-8) for g, r in zip(grads, ref, strict=True))
        if ok:
            checked += 1
            continue
        detail = ", ".join(f"{g:.6g}" for g in grads)
        expect = ", ".join(f"{r:.6g}" for r in ref)
        msg = f"`{text}` at {point}: gradients of the inputs are ({detail}), expected ({expect})"
        if seed == 0.0:
            raise Wrong(msg, hint=_SEED_HINT)
        if all(g == 0.0 for g in grads):
            raise Wrong(msg, hint=_ORDER_HINT)
        if any(g == 0.0 and T.abs(r) > 1e-9 for g, r in zip(grads, ref, strict=True)):
            raise Wrong(msg, hint=_ORDER_HINT)
        if tag == "mul" and T.isclose_scalar(grads[0], point[0]) and T.isclose_scalar(grads[1], point[1]):
            raise Wrong(msg, hint=_MUL_HINT)
        # which hand-written-engine mistake gives exactly these gradients? (the check's own engine, _Ref)
        mistakes = _engine_mistakes(build, point, grads)
        if mistakes:
            hints = []
            for m in mistakes:
                if _REUSE_HINTS[m] not in hints:
                    hints.append(_REUSE_HINTS[m])
            raise Wrong(msg, hint=" — or: ".join(hints))
        if tag == "reuse":
            raise Wrong(msg, hint="a Value used twice must receive the SUM of its contributions, each node's rule "
                                  "must run once, and only after all of its consumers: check the `+=` in the "
                                  "rules, the visited set and the reverse topological order")
        if tag == "const":
            raise Wrong(msg, hint="with a number on the left (2 * x), __rmul__/__radd__ must build the same "
                                  "graph as x * 2 / x + 2")
        raise Wrong(msg, hint="check each local rule: d(a+b)/da = 1, d(ab)/da = b; and that backward() visits "
                              "every node once, output first")

    # A long chain: every node visited, in order, exactly once.
    x = Value(0.5)
    y = x
    for _ in T.range(60):
        y = y * 1.01 + 0.0
    y.backward()
    want = 1.01 ** 60
    got = _grad(x, "x")
    if not T.isclose_scalar(got, want, rel_tol=1e-9):
        raise Wrong(f"for y = x * 1.01 * 1.01 ... (60 times), dy/dx = {got:.6g}, expected {want:.6g}",
                    hint=_ORDER_HINT)
    return f"gradients match central differences on {checked} expressions, with reuse and constants"


# --------------------------------------------------------------------------------------
# 6.2  topological sort
# --------------------------------------------------------------------------------------
class _Node:
    """A node of the check's own graphs: a name and a tuple of inputs (no __eq__: identity)."""

    __slots__ = ("name", "inputs")

    def __init__(self, name, *inputs):
        self.name = name
        self.inputs = T.tuple(inputs)

    def __repr__(self):
        return f"<node {self.name}>"


def _graphs():
    g = []
    a = _Node("a")
    g.append(("a single leaf", a))
    a = _Node("a")
    b = _Node("b", a)
    g.append(("the chain a -> b -> c", _Node("c", b)))
    a = _Node("a")
    b, c = _Node("b", a), _Node("c", a)
    g.append(("the diamond d(b(a), c(a))", _Node("d", b, c)))
    x1, w1, x2, w2, bb = (_Node(n) for n in ("x1", "w1", "x2", "w2", "b"))
    m1, m2 = _Node("m1", x1, w1), _Node("m2", x2, w2)
    s1 = _Node("s1", m1, m2)
    s2 = _Node("s2", s1, bb)
    g.append(("the neuron tanh(w1*x1 + w2*x2 + b)", _Node("t", s2)))
    a = _Node("a")
    b = _Node("b", a, a)            # like x * x: the same input twice
    c = _Node("c", b, a)
    g.append(("the graph d(c(b(a, a), a), b)", _Node("d", c, b)))
    a = _Node("a")
    b = _Node("b", a)
    c = _Node("c", a, b)
    g.append(("the graph d(c(a, b(a)), a)", _Node("d", c, a)))
    return g


def _reachable(root):
    seen, stack, order = set(), [root], []
    while stack:
        n = stack.pop()
        if id(n) in seen:
            continue
        seen.add(id(n))
        order.append(n)
        stack.extend(n.inputs)
    return order


def _valid(seq):
    pos = {_id(n): i for i, n in _enumerate(seq)}
    for i in T.range(T.len(seq)):
        for p in seq[i].inputs:
            if pos.get(id(p), -1) >= i:
                return (seq[i], p)
    return None


@exercise("6.2", target="topo_sort", title="Topological sort", points=1)
def _check_topo_sort(topo_sort):
    T.require_callable(topo_sort, "topo_sort")
    results = []
    for desc, root in _graphs():
        nodes = _reachable(root)
        result = topo_sort(root)
        if result is None:
            raise Wrong(f"topo_sort returned None for {desc}", hint="did you forget `return order`?")
        try:
            seq = T.list(result)
        except TypeError:
            raise Wrong(f"topo_sort returned a {T.type(result).__name__}, expected a list of nodes") from None
        known = {id(n) for n in nodes}
        strangers = [x for x in seq if id(x) not in known]
        if strangers:
            raise Wrong(f"for {desc} the list contains {strangers[0]!r}, which is not a node of the graph",
                        hint="return the node objects themselves (not their names or values)")
        counts = {}
        for x in seq:
            counts[id(x)] = counts.get(id(x), 0) + 1
        dups = [x for x in nodes if counts.get(id(x), 0) > 1]
        if dups:
            raise Wrong(f"for {desc} node '{dups[0].name}' appears {counts[id(dups[0])]} times",
                        hint="a node reached along two paths was added twice: keep a set of visited nodes "
                             "and skip a node you have already placed")
        missing = [x for x in nodes if counts.get(id(x), 0) == 0]
        if missing:
            raise Wrong(f"for {desc} the list misses node(s) {', '.join(n.name for n in missing)}",
                        hint="visit the inputs recursively: every node the root depends on, not only its "
                             "direct inputs")
        results.append((desc, root, seq))

    bad = [(desc, root, seq, _valid(seq)) for desc, root, seq in results]
    bad = [b for b in bad if b[3] is not None]
    if bad:
        desc, root, seq, (node, parent) = bad[0]
        names = "[" + ", ".join(n.name for n in seq) + "]"
        msg = f"for {desc} you returned {names}: '{node.name}' comes before its input '{parent.name}'"
        if all(_valid(b[2][::-1]) is None for b in bad):
            raise Wrong(msg, hint="your list is reversed (root first). The convention here is inputs first, "
                                  "root last — the order of the forward pass; backward() walks it reversed")
        if all(b[2][0] is b[1] for b in bad):
            raise Wrong(msg, hint="you append a node BEFORE visiting its inputs (pre-order); append it "
                                  "after the recursive calls on its inputs (post-order)")
        raise Wrong(msg, hint="every node must come after all of its inputs: a depth-first search that "
                              "appends a node after visiting its inputs gives such an order")
    for desc, root, seq in results:
        if seq[-1] is not root:  # pragma: no cover - implied by a valid order of root's ancestors
            raise Wrong(f"for {desc} the root is not last")
    return "valid orders, each node once, on 6 graphs with shared nodes"


# --------------------------------------------------------------------------------------
# 6.3  gradients of a two-layer relu network by hand
# --------------------------------------------------------------------------------------
_B, _D, _H, _M = 5, 3, 4, 2
_KEYS = ("W1", "b1", "W2", "b2")


def _mlp_data(seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(_B, _D))
    y = rng.normal(size=(_B, _M))
    W1 = rng.normal(size=(_D, _H))
    b1 = rng.normal(size=_H) * 0.5
    W2 = rng.normal(size=(_H, _M))
    b2 = rng.normal(size=_M)
    return X, y, W1, b1, W2, b2


def _mlp_loss(X, y, W1, b1, W2, b2):
    H = np.maximum(X @ W1 + b1, 0.0)
    y_hat = H @ W2 + b2
    return 0.5 * float(((y_hat - y) ** 2).sum()) / X.shape[0]


def _mlp_reference(X, y, W1, b1, W2, b2, *, mask=True, scale=1.0, batch=True):
    B = X.shape[0]
    Z = X @ W1 + b1
    H = np.maximum(Z, 0.0)
    g = scale * (H @ W2 + b2 - y) / (B if batch else 1)
    if mask == "no_bias":                   # the relu mask of X W1, without the bias b1
        g_Z = (g @ W2.T) * (X @ W1 > 0)
    else:
        g_Z = (g @ W2.T) * (Z > 0) if mask else g @ W2.T
    return {"W1": X.T @ g_Z, "b1": g_Z.sum(axis=0), "W2": H.T @ g, "b2": g.sum(axis=0)}


def _numerical(X, y, W1, b1, W2, b2):
    """Central differences of the loss with respect to each parameter (mathdl.gradcheck if present)."""
    params = {"W1": W1, "b1": b1, "W2": W2, "b2": b2}
    out = {}
    try:
        from mathdl.gradcheck import numerical_grad
    except ImportError:  # pragma: no cover - mathdl.gradcheck is part of the package
        numerical_grad = None
    for k in _KEYS:
        def f(p, k=k):
            args = _dict(params)
            args[k] = p
            return _mlp_loss(X, y, args["W1"], args["b1"], args["W2"], args["b2"])
        if numerical_grad is not None:
            out[k] = np.asarray(numerical_grad(f, params[k].copy()), dtype=float)
        else:
            p = params[k].copy()
            gr = np.zeros_like(p)
            for idx in np.ndindex(p.shape):
                old = p[idx]
                p[idx] = old + 1e-6
                up = f(p)
                p[idx] = old - 1e-6
                dn = f(p)
                p[idx] = old
                gr[idx] = (up - dn) / 2e-6
            out[k] = gr
    return out


_SHAPE_HINTS = {
    "W1": "∂L/∂W1 = Xᵀ Ḡ_Z has the shape of W1, (d, hidden); a transposed result usually comes from "
          "Ḡᵀ X instead of Xᵀ Ḡ",
    "W2": "∂L/∂W2 = Hᵀ Ḡ has the shape of W2, (hidden, m); a transposed result usually comes from "
          "Ḡᵀ H instead of Hᵀ Ḡ",
    "b1": "the bias is added to every row, so its gradient sums the adjoint over the batch axis: "
          "g_Z.sum(axis=0)",
    "b2": "the bias is added to every row, so its gradient sums the adjoint over the batch axis: "
          "g.sum(axis=0)",
}


@exercise("6.3", target="mlp_grads", title="Gradients of a two-layer network by hand", points=2)
def _check_mlp_grads(mlp_grads):
    T.require_callable(mlp_grads, "mlp_grads")
    for seed in (0, 1):
        X, y, W1, b1, W2, b2 = _mlp_data(seed)
        args = (X, y, W1, b1, W2, b2)
        result = mlp_grads(*(a.copy() for a in args))
        if not T.isinstance(result, _dict):
            raise Wrong(f"mlp_grads returned a {T.type(result).__name__}, expected a dict",
                        hint='return {"W1": ..., "b1": ..., "W2": ..., "b2": ...}')
        absent = [k for k in _KEYS if k not in result]
        if absent:
            raise Wrong(f"the dict has no key(s) {', '.join(repr(k) for k in absent)}",
                        hint='use exactly the keys "W1", "b1", "W2", "b2"')
        ref = _mlp_reference(*args)
        num = _numerical(*args)
        for k in _KEYS:  # the check's own consistency: analytic reference == central differences
            if not T.close(ref[k], num[k], rtol=1e-5, atol=1e-7):  # pragma: no cover
                raise RuntimeError(f"check 6.3: reference and numerical gradient disagree for {k}")
        got = {}
        for k in _KEYS:
            arr = T.as_float_array(result[k], f'grads["{k}"]')
            if arr.shape != ref[k].shape:
                raise Wrong(f'grads["{k}"] has shape {_shape(arr.shape)}, expected {_shape(ref[k].shape)} '
                            f'(the shape of {k})', hint=_SHAPE_HINTS[k])
            got[k] = arr
        if all(T.close(got[k], num[k], rtol=1e-5, atol=1e-7) for k in _KEYS):
            continue
        wrongs = (
            (_mlp_reference(*args, mask=False), "the relu mask is missing: multiply the adjoint of H by "
                                                "(Z > 0) before going through the first layer"),
            (_mlp_reference(*args, batch=False), "you forgot to divide by the batch size B: L is a mean, "
                                                 "so ∂L/∂ŷ = (ŷ − y) / B"),
            (_mlp_reference(*args, mask=False, batch=False), "two mistakes: no division by B, and no relu mask"),
            (_mlp_reference(*args, scale=2.0), "a factor 2 too large: the ½ in L cancels the 2 from the "
                                               "square, so ∂L/∂ŷ = (ŷ − y) / B"),
            (_mlp_reference(*args, mask="no_bias"), "the relu mask must use the pre-activation Z = X W1 + b1, "
                                                    "with its bias: (Z > 0), not (X @ W1 > 0)"),
            (_mlp_reference(*args, scale=1.0 / _M), "you divided by B·m (np.mean over every entry): L = 1/(2B) "
                                                    "Σ_i ||ŷ_i − y_i||² sums over the m outputs, so "
                                                    "∂L/∂ŷ = (ŷ − y) / B"),
            (_mlp_reference(*args, scale=-1.0), "the sign is flipped: ∂L/∂ŷ = (ŷ − y) / B, not (y − ŷ) / B"),
        )
        for cand, hint in wrongs:
            if all(T.close(got[k], cand[k], rtol=1e-6, atol=1e-9) for k in _KEYS):
                worst = max(_KEYS, key=lambda k: T.max_error(got[k], num[k]))
                raise Wrong(f'grads["{worst}"] differs from central differences by up to '
                            f'{T.max_error(got[worst], num[worst]):.2g}', hint=hint)
        for k in _KEYS:
            T.expect_close(got[k], num[k], f'grads["{k}"]', rtol=1e-5, atol=1e-7,
                           hint="compare term by term with the chain rule: g = (ŷ − y)/B, "
                                "∂L/∂W2 = Hᵀ g, g_Z = (g W2ᵀ) ⊙ [Z > 0], ∂L/∂W1 = Xᵀ g_Z")
    return "all four gradients match central differences (mathdl.gradcheck) on 2 random batches"
