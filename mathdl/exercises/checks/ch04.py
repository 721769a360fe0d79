"""Checks for chapter 4, the chain rule (book/04_chain_rule.ipynb).

4.1 ``dh(x)``: the derivative of h(x) = sin(x²).
4.2 ``dloss_dw(w, x, b, t)``: the derivative of ℓ(w) = (σ(w·x + b) − t)² with respect to w.
4.3 ``grad_f(x, y)``: both partial derivatives of f(x, y) = x·sin(x·y).
4.4 ``reverse_sweep(tape, num_nodes)``: reverse accumulation of adjoints over a tape.

Every reference is computed here, from the check's own inputs.
"""

from __future__ import annotations

from mathdl.exercises import _trusted as T
from mathdl.exercises.registry import Wrong, exercise

np = T.np

# A right answer computed in float32 (eps 6e-8) is off by a few 1e-8 relative, and by 4e-7 for 4.1 at
# x = -1.2, where cos(x²) = 0.13 amplifies the rounding of x² tenfold; every mistake named below is off
# by 1e-2 or more. So 1e-6 relative (and 1e-7 absolute, for adjoints near 0) accepts float32 and
# rejects every mistake.
_RTOL = 1e-6
_ATOL = 1e-7


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def _call_scalar(fn, name, *args):
    return T.as_float(fn(*args), f"{name}({', '.join(f'{a:g}' for a in args)})")


def _first_match(got, candidates):
    """The hint of the first wrong-answer candidate that ``got`` matches, else None."""
    for value, hint in candidates:
        if T.close(got, value, rtol=1e-9, atol=1e-12):
            return hint
    return None


# --------------------------------------------------------------------------------------
# 4.1  h(x) = sin(x²)
# --------------------------------------------------------------------------------------
_XS_41 = (0.3, 0.9, 1.7, -1.2, 2.5)


@exercise("4.1", target="dh", title="Derivative of a composite", points=1)
def _check_dh(dh):
    T.require_callable(dh, "dh")
    for x in _XS_41:
        got = _call_scalar(dh, "dh", x)
        ref = 2 * x * np.cos(x**2)
        if T.close(got, ref, rtol=_RTOL, atol=_ATOL):
            continue
        hint = _first_match(got, [
            (np.cos(x**2),
             "you differentiated the outer function but did not multiply by the inner derivative 2x"),
            (2 * x * np.cos(x),
             "the outer derivative cos must be evaluated at the inner value u = x², not at x: cos(x²)"),
            (np.cos(x**2) + 2 * x,
             "along a chain the local derivatives are multiplied, not added: cos(x²) · 2x"),
            (-2 * x * np.sin(x**2),
             "the derivative of sin is cos (−sin is the derivative of cos)"),
            (2 * x * np.sin(x**2),
             "you kept sin as the outer function; its derivative is cos"),
            (x * np.cos(x**2),
             "the inner derivative is d(x²)/dx = 2x, not x: the factor 2 is missing"),
        ])
        raise Wrong(f"dh({x:g}) = {got:.6g}, expected h'({x:g}) = {ref:.6g}", hint=hint)
    return f"h'(x) = 2x·cos(x²) at {len(_XS_41)} points"


# --------------------------------------------------------------------------------------
# 4.2  ℓ(w) = (σ(w·x + b) − t)²: a three-deep chain
# --------------------------------------------------------------------------------------
_CASES_42 = ((0.5, 1.5, -0.2, 1.0), (-1.3, 2.0, 0.4, 0.0), (2.0, -0.7, 0.1, 0.3), (0.8, 3.0, -1.0, 0.9))


@exercise("4.2", target="dloss_dw", title="A three-deep chain: one neuron's squared error", points=1)
def _check_dloss_dw(dloss_dw):
    T.require_callable(dloss_dw, "dloss_dw")
    for w, x, b, t in _CASES_42:
        got = _call_scalar(dloss_dw, "dloss_dw", w, x, b, t)
        z = w * x + b
        s = _sigmoid(z)
        ds = s * (1 - s)
        ref = 2 * (s - t) * ds * x
        if T.close(got, ref, rtol=_RTOL, atol=_ATOL):
            continue
        sw = _sigmoid(w)
        hint = _first_match(got, [
            (2 * (s - t) * ds,
             "you stopped one link early: multiply by the innermost derivative ∂z/∂w = x"),
            (2 * (s - t) * x,
             "the sigmoid's derivative σ'(z) = σ(z)(1 − σ(z)) is missing from the product"),
            ((s - t) * ds * x,
             "the derivative of u² is 2u: the factor 2 is missing"),
            (2 * (s - t) * s * x,
             "σ'(z) is σ(z)(1 − σ(z)), not σ(z)"),
            (2 * (s - t) * sw * (1 - sw) * x,
             "σ' must be evaluated at the pre-activation z = w·x + b, not at w"),
            (2 * (t - s) * ds * x,
             "sign error: the derivative of (s − t)² with respect to s is 2(s − t)"),
            (2 * (s - t) + ds + x,
             "along a chain the local derivatives are multiplied, not added"),
            (2 * (_sigmoid(w * x) - t) * _sigmoid(w * x) * (1 - _sigmoid(w * x)) * x,
             "the bias is part of the pre-activation: evaluate σ and σ' at z = w·x + b, not at w·x"),
            (2 * (s - t) * ds * w,
             "the innermost derivative is ∂z/∂w = x (z = w·x + b is linear in w with slope x), not w"),
        ])
        raise Wrong(f"dloss_dw(w={w:g}, x={x:g}, b={b:g}, t={t:g}) = {got:.6g}, expected {ref:.6g}",
                    hint=hint)
    return f"matches 2(σ(z) − t)·σ(z)(1 − σ(z))·x in {len(_CASES_42)} cases"


# --------------------------------------------------------------------------------------
# 4.3  f(x, y) = x·sin(x·y): x reaches f along two paths
# --------------------------------------------------------------------------------------
_CASES_43 = ((0.5, -1.5), (1.0, 2.0), (-1.2, 0.7), (2.0, 0.3))   # x ≠ 1 first: x·y·cos(xy) ≠ y·cos(xy)


@exercise("4.3", target="grad_f", title="Partials through a two-input graph", points=1)
def _check_grad_f(grad_f):
    T.require_callable(grad_f, "grad_f")
    for x, y in _CASES_43:
        got = T.as_float_array(grad_f(x, y), f"grad_f({x:g}, {y:g})", shape=(2,))
        a = x * y
        dfdx = np.sin(a) + x * y * np.cos(a)
        dfdy = x * x * np.cos(a)
        if T.close(got, np.array([dfdx, dfdy]), rtol=_RTOL, atol=_ATOL):
            continue
        gx, gy = float(got[0]), float(got[1])
        if T.close(gx, dfdy, rtol=1e-9) and T.close(gy, dfdx, rtol=1e-9):
            raise Wrong(f"grad_f({x:g}, {y:g}) = ({gx:.6g}, {gy:.6g}), expected ({dfdx:.6g}, {dfdy:.6g})",
                        hint="the two entries are swapped: return (∂f/∂x, ∂f/∂y) in that order")
        if not T.close(gx, dfdx, rtol=_RTOL, atol=_ATOL):
            hint = _first_match(gx, [
                (np.sin(a),
                 "x reaches f along two paths (directly, and through a = x·y); you kept only the direct "
                 "one — sum the contributions of both paths"),
                (x * y * np.cos(a),
                 "x reaches f along two paths (directly, and through a = x·y); you kept only the path "
                 "through a — add the direct one, sin(x·y)"),
                (y * np.cos(a),
                 "you kept only one path, and dropped the factor x of the outer product: sum the path "
                 "through a = x·y (x·cos(a)·y) and the direct one (sin(a))"),
                (np.sin(a) + y * np.cos(a),
                 "both paths, but on the path x → a → s → f you dropped the local derivative ∂f/∂s = x "
                 "of f = x·s: that path contributes x·cos(a)·y"),
            ])
            raise Wrong(f"∂f/∂x at ({x:g}, {y:g}) is {gx:.6g}, expected {dfdx:.6g}", hint=hint)
        hint = _first_match(gy, [
            (x * np.cos(a),
             "along the path y → a → sin(a) → f, multiply ALL local derivatives: ∂a/∂y = x, "
             "then cos(a), then ∂f/∂(sin a) = x"),
            (x * y * np.cos(a),
             "the local derivative ∂(x·y)/∂y is x, not y"),
            (y * np.cos(a),
             "along y → a → s → f the local derivatives are ∂a/∂y = x (not y), cos(a), and ∂f/∂s = x"),
        ])
        raise Wrong(f"∂f/∂y at ({x:g}, {y:g}) is {gy:.6g}, expected {dfdy:.6g}", hint=hint)
    return f"both partials match at {len(_CASES_43)} points"


# --------------------------------------------------------------------------------------
# 4.4  reverse accumulation over a tape
# --------------------------------------------------------------------------------------
def _tapes_44():
    """The check's own tapes: (tape, num_nodes). Each entry is (i, [(j, ∂v_i/∂v_j), ...])."""
    rng = np.random.default_rng(44)
    # 1) the graph of f(x, y) = x·sin(x·y) at (x, y) = (1.0, 2.0): nodes x0, y1, a2 = x·y, s3 = sin a, f4 = x·s
    x, y = 1.0, 2.0
    a = x * y
    s = np.sin(a)
    tape1 = [(2, [(0, y), (1, x)]), (3, [(2, np.cos(a))]), (4, [(0, s), (3, x)])]
    # 2) a diamond with fan-out: v2 feeds two nodes that meet again
    tape2 = [(2, [(0, 1.5), (1, -0.5)]), (3, [(2, 2.0)]), (4, [(2, -3.0), (1, 0.25)]), (5, [(3, 0.7), (4, 1.1)])]
    # 3) a random layered graph with shared nodes
    tape3 = []
    n_in, num = 3, 9
    for i in range(n_in, num):
        k = int(rng.integers(1, min(3, i) + 1))
        parents = sorted(rng.choice(i, size=k, replace=False).tolist())
        tape3.append((i, [(int(j), float(rng.normal())) for j in parents]))
    # 4) numbered out of order: the nodes were numbered before they were computed (as a graph built
    #    from several places would be), so the output, the node of the LAST entry, is node 4 of 0..6,
    #    and decreasing node numbers are not a reverse order of computation.
    tape4 = [(6, [(0, 0.8), (1, -1.2)]), (3, [(6, 1.5), (2, 0.5)]), (5, [(6, -0.7), (3, 2.0)]),
             (4, [(3, 1.3), (5, -0.4), (2, 0.9)])]
    return [(tape1, 5), (tape2, 6), (tape3, num), (tape4, 7)]


def _reverse(tape, num_nodes, *, overwrite=False, forward_order=False, add=False, seed=1.0,
             seed_node=None, by_number=False, start=0.0, first_parent=False):
    bar = np.full(num_nodes, start)
    bar[tape[-1][0] if seed_node is None else seed_node] = seed
    order = tape if forward_order else tape[::-1]
    if by_number:
        order = T.sorted(tape, key=lambda entry: -entry[0])
    for i, parents in order:
        for j, d in (parents[:1] if first_parent else parents):
            contribution = (d + bar[i]) if add else d * bar[i]
            bar[j] = contribution if overwrite else bar[j] + contribution
    return bar


@exercise("4.4", target="reverse_sweep", title="Reverse accumulation over a tape", points=2)
def _check_reverse_sweep(reverse_sweep):
    T.require_callable(reverse_sweep, "reverse_sweep")
    for n, (tape, num_nodes) in enumerate(_tapes_44(), start=1):
        # hand the learner a copy, so that a function that mutates the tape cannot fool the reference
        learner_tape = [(i, [(j, d) for j, d in parents]) for i, parents in tape]
        ref = _reverse(tape, num_nodes)
        got = T.as_float_array(reverse_sweep(learner_tape, num_nodes), f"reverse_sweep(tape {n}, {num_nodes})",
                               shape=(num_nodes,))
        if T.close(got, ref, rtol=_RTOL, atol=_ATOL):
            continue
        hint = _first_match(got, [
            (_reverse(tape, num_nodes, overwrite=True),
             "a node that feeds several others must SUM the contributions of all paths: "
             "use bar[j] += d * bar[i], not bar[j] = d * bar[i]"),
            (_reverse(tape, num_nodes, forward_order=True),
             "walk the tape in REVERSE order (for i, parents in reversed(tape)): a node's adjoint is "
             "complete only after every node that uses it has been processed"),
            (_reverse(tape, num_nodes, seed=0.0),
             "seed the output's adjoint with 1 (∂f/∂f = 1) before the sweep; otherwise everything stays 0"),
            (_reverse(tape, num_nodes, add=True),
             "along a path the local derivatives are multiplied: the contribution is d * bar[i], not d + bar[i]"),
            (_reverse(tape, num_nodes, seed_node=num_nodes - 1),
             "seed the node of the LAST TAPE ENTRY (tape[-1][0]), not node num_nodes - 1: the output need "
             "not be the highest-numbered node"),
            (_reverse(tape, num_nodes, by_number=True),
             "process the tape in reverse TAPE order (reversed(tape)), not by decreasing node number: the "
             "numbering need not follow the order of computation"),
            (_reverse(tape, num_nodes, first_parent=True),
             "every parent of a node gets a contribution: loop over all the (j, d) pairs of the entry, not "
             "just the first"),
            (_reverse(tape, num_nodes, start=1.0),
             "start every adjoint at 0 (np.zeros) except the output's seed of 1: the adjoints accumulate "
             "only what flows back from the output"),
        ])
        raise Wrong(f"on tape {n} the adjoints differ from the reference "
                    f"(max abs error {T.max_error(got, ref):.3g}); reference {_fmt(ref)}, got {_fmt(got)}",
                    hint=hint)
    return "adjoints right on 4 tapes with shared nodes, one numbered out of order"


def _fmt(v):
    return "[" + ", ".join(f"{float(e):.4g}" for e in v) + "]"
