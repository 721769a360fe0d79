"""Checks for chapter 9, initialization (book/09_initialization.ipynb).

9.1 ``xavier_uniform_bound(n_in, n_out)``: the bound a of Glorot's U[-a, a], a = sqrt(6 / (n_in + n_out)).
9.2 ``he_normal(n_in, n_out, rng)``: an array of shape (n_in, n_out) drawn from N(0, 2 / n_in) with ``rng``.
9.3 ``predicted_second_moment(q0, n_in, var_w, D, activation="relu")``: the predicted E[z_D^2] of the
    pre-activations of layer D of a plain stack (ReLU or linear) from E[x^2] = q0.

Every reference is computed here from the check's own inputs. Statistics of the learner's
samples are computed with ndarray methods on a private float64 copy (not with numpy functions
a learner could have replaced).
"""

from __future__ import annotations

from mathdl.exercises import _trusted as T
from mathdl.exercises.registry import Wrong, exercise

np = T.np
_sqrt = np.sqrt  # captured at import; only applied to the check's own numbers


def _num(x, what):
    return T.as_float(x, what)


# --------------------------------------------------------------------------------------
# 9.1  Xavier/Glorot uniform bound
# --------------------------------------------------------------------------------------
_XAVIER_CASES = ((300, 100), (64, 64), (10, 1000), (512, 128))


@exercise("9.1", target="xavier_uniform_bound", title="The Xavier uniform bound", points=1)
def _check_xavier_uniform_bound(xavier_uniform_bound):
    T.require_callable(xavier_uniform_bound, "xavier_uniform_bound")
    for n_in, n_out in _XAVIER_CASES:
        what = f"xavier_uniform_bound({n_in}, {n_out})"
        got = _num(xavier_uniform_bound(n_in, n_out), what)
        ref = T.float(_sqrt(6.0 / (n_in + n_out)))
        # 1e-6: a float32 answer (3e-8 off) is right; the nearest mistake, sqrt(3/(n_in+n_out)), is 29% off
        if T.isclose_scalar(got, ref, rel_tol=1e-6):
            continue
        s = n_in + n_out
        wrong = (
            (T.float(_sqrt(1.0 / n_in)),
             "this is the 'standard' bound 1/sqrt(n_in) (Var = 1/(3 n_in)); Glorot's bound is sqrt(6/(n_in + n_out))"),
            (T.float(_sqrt(2.0 / s)),
             "that is Xavier's standard deviation sqrt(2/(n_in + n_out)), not the bound: U[-a, a] has "
             "Var = a^2/3, so a = sqrt(3) * std = sqrt(6/(n_in + n_out))"),
            (6.0 / s, "you forgot the square root: the bound is sqrt(6/(n_in + n_out))"),
            (2.0 / s, "that is Xavier's variance 2/(n_in + n_out); the bound of U[-a, a] is a = sqrt(3 * Var)"),
            (T.float(_sqrt(3.0 / n_in)),
             "Xavier averages fan-in and fan-out: use n_in + n_out, not n_in alone (sqrt(3/n_in) is LeCun's bound)"),
            (T.float(_sqrt(6.0 / n_in)), "Xavier averages fan-in and fan-out: use n_in + n_out, not n_in alone"),
            (T.float(_sqrt(6.0 / n_out)), "Xavier averages fan-in and fan-out: use n_in + n_out, not n_out alone"),
            (T.float(_sqrt(3.0 / s)), "the average fan is (n_in + n_out)/2, so the bound is sqrt(3 / ((n_in + n_out)/2)) "
                                      "= sqrt(6/(n_in + n_out))"),
        )
        for cand, hint in wrong:
            if T.isclose_scalar(got, cand, rel_tol=1e-6):
                raise Wrong(f"{what} = {got:.6g}, expected {ref:.6g}", hint=hint)
        raise Wrong(f"{what} = {got:.6g}, expected {ref:.6g}",
                    hint="Var[U(-a, a)] = a^2/3 and Xavier's variance is 2/(n_in + n_out)")
    return "exact for 4 layer shapes"


# --------------------------------------------------------------------------------------
# 9.2  He (Kaiming) normal initialiser
# --------------------------------------------------------------------------------------
def _moments(arr):
    """Mean, variance and kurtosis of a float64 ndarray, with ndarray methods only."""
    x = arr.reshape(-1)
    m = x.sum() / x.size
    d = x - m
    v = (d * d).sum() / x.size
    k = ((d * d) * (d * d)).sum() / x.size / (v * v) if v > 0 else T.float("nan")
    return T.float(m), T.float(v), T.float(k)


def _he_call(he_normal, n_in, n_out, seed):
    return he_normal(n_in, n_out, np.random.default_rng(seed))


@exercise("9.2", target="he_normal", title="A He initializer", points=1)
def _check_he_normal(he_normal):
    T.require_callable(he_normal, "he_normal")
    for n_in, n_out in ((800, 200), (200, 800)):
        what = f"he_normal({n_in}, {n_out}, rng)"
        raw = _he_call(he_normal, n_in, n_out, 90)
        arr = T.as_float_array(raw, what)
        if arr.shape == (n_out, n_in):
            raise Wrong(f"{what} has shape ({n_out}, {n_in}), expected ({n_in}, {n_out})",
                        hint="mathdl stores W with shape (n_in, n_out) (Z = XW); PyTorch's (n_out, n_in) is the "
                             "transpose")
        arr = T.as_float_array(arr, what, shape=(n_in, n_out))
        ref_var = 2.0 / n_in
        mean, var, kurt = _moments(arr.copy())
        if not var > 1e-12 * (var + mean * mean):
            raise Wrong(f"{what} has variance {var:.3g}: all entries are equal",
                        hint="draw independent random numbers, e.g. rng.normal(0.0, std, size=(n_in, n_out))")
        # independent draws from a continuous distribution are (nearly) all distinct: a row or column drawn once
        # and repeated (np.tile, broadcasting a (1, n_out) draw) repeats 99% of its entries, whatever its variance;
        # float32 draws collide now and then (195 of 160,000 here) and clipping repeats its edges (5%), hence the 50% allowance
        flat = arr.reshape(-1).copy()
        flat.sort()
        repeats = T.int((flat[1:] == flat[:-1]).sum())
        if repeats > arr.size // 2:
            raise Wrong(f"{what}: {repeats} of its {arr.size} entries repeat an earlier one",
                        hint="the entries must be drawn independently: draw the whole (n_in, n_out) array at once, "
                             "rng.normal(0.0, std, size=(n_in, n_out)), not one row or column repeated")
        # the shape of the distribution first: a uniform or a truncated normal must not get a variance hint
        if kurt < 2.6:
            raise Wrong(f"{what}: the kurtosis of the samples is {kurt:.2f}; a normal distribution has 3 "
                        f"(a uniform one 1.8, a normal cut or clipped at 2 standard deviations about 2.4)",
                        hint="these are not normal (uniform, or a normal truncated or clipped): draw from "
                             "rng.normal(0.0, std, size) and keep every draw")
        if kurt > 3.4:
            raise Wrong(f"{what}: the kurtosis of the samples is {kurt:.2f}; a normal distribution has 3",
                        hint="draw from a normal distribution, rng.normal(0.0, std, size)")
        if T.abs(var / ref_var - 1) > 0.05:
            ratio = var / ref_var
            wrong = (
                (2.0 / n_out, "you used n_out (fan-out); He's forward rule divides by the fan-in n_in: Var = 2/n_in"),
                (1.0 / n_in, "you forgot the factor 2 that makes up for the ReLU zeroing half of the units: "
                             "Var = 2/n_in"),
                ((2.0 / n_in) ** 2, "you passed the variance 2/n_in as numpy's `scale`, which is the standard "
                                    "deviation: use scale=sqrt(2/n_in)"),
                (2.0 / (n_in + n_out), "that is Xavier's variance 2/(n_in + n_out); He uses 2/n_in"),
                (1.0 / n_out, "you used n_out and forgot the factor 2: Var = 2/n_in"),
                ((1.0 / n_in) ** 2, "numpy's `scale` is the standard deviation sqrt(2/n_in), not a variance"),
                (4.0 / n_in, "the variance is 2/n_in, not 4/n_in: did you square a gain of 2 instead of sqrt(2)?"),
            )
            for cand, hint in wrong:
                if T.abs(var / cand - 1) < 0.05:
                    raise Wrong(f"{what}: sample variance {var:.4g}, expected 2/n_in = {ref_var:.4g} "
                                f"(ratio {ratio:.3g})", hint=hint)
            raise Wrong(f"{what}: sample variance {var:.4g}, expected 2/n_in = {ref_var:.4g} (ratio {ratio:.3g})",
                        hint="He's normal initialisation draws from N(0, 2/n_in): std = sqrt(2/n_in)")
        if T.abs(mean) > 5 * (ref_var / arr.size) ** 0.5 + 1e-12:
            raise Wrong(f"{what}: the sample mean is {mean:.3g}, expected 0 (within {5 * (ref_var / arr.size) ** 0.5:.1g})",
                        hint="the weights must have mean zero: N(0, 2/n_in)")
    # the rng argument must be the source of randomness: same seed, same array; other seed, other array
    a = T.as_float_array(_he_call(he_normal, 30, 20, 5), "he_normal(30, 20, rng)", shape=(30, 20))
    b = T.as_float_array(_he_call(he_normal, 30, 20, 5), "he_normal(30, 20, rng)", shape=(30, 20))
    c = T.as_float_array(_he_call(he_normal, 30, 20, 6), "he_normal(30, 20, rng)", shape=(30, 20))
    if not T.array_equal(a, b) or T.array_equal(a, c):
        raise Wrong("two calls with generators seeded alike gave different arrays (or different seeds the same)",
                    hint="draw with the generator you are given (rng.normal(...)), not with np.random")
    return "shape (n_in, n_out), variance 2/n_in within 5%, normal, drawn with rng"


# --------------------------------------------------------------------------------------
# 9.3  predicted second moment after D layers
# --------------------------------------------------------------------------------------
_CASES_93 = (
    (3.0, 100, 1.0 / 300, 5, "relu"),
    (1.0, 256, 2.0 / 256, 30, "relu"),
    (0.5, 50, 0.03, 7, "relu"),
    (2.0, 50, 0.03, 7, "linear"),
    (1.5, 64, 1.0 / 64, 1, "relu"),
    (0.25, 40, 0.05, 3, "linear"),
)


def _ref_93(q0, n, v, D, act):
    k = n * v
    return q0 * k ** D * (0.5 ** (D - 1) if act == "relu" else 1.0)


@exercise("9.3", target="predicted_second_moment", title="The second moment after D layers", points=1)
def _check_predicted_second_moment(predicted_second_moment):
    T.require_callable(predicted_second_moment, "predicted_second_moment")
    for q0, n, v, D, act in _CASES_93:
        what = f"predicted_second_moment({q0:g}, {n}, {v:.4g}, {D}, {act!r})"
        try:
            raw = predicted_second_moment(q0, n, v, D, act)
        except TypeError as exc:
            raise Wrong(f"{what} raised TypeError: {exc}",
                        hint="use the signature predicted_second_moment(q0, n_in, var_w, D, activation='relu')") from None
        got = _num(raw, what)
        ref = _ref_93(q0, n, v, D, act)
        # 1e-5: float32 arithmetic over 30 layers is 2e-6 off and right; every mistake is a factor >= 2 off
        if T.isclose_scalar(got, ref, rel_tol=1e-5):
            continue
        k = n * v
        if act == "relu":
            wrong = (
                (q0 * (k / 2) ** D,
                 "off by one: the input x does not pass through a ReLU, so z_D has seen D - 1 ReLUs; halve "
                 "D - 1 times, not D (that would be E[a_D^2])"),
                (q0 * k ** D, "you forgot the ReLU: it zeroes half of a symmetric z, so E[relu(z)^2] = E[z^2]/2 "
                              "at every layer after the first"),
                (q0 * (k / 2) ** (D - 1), "off by one: each of the D layers multiplies by n_in * var_w; only the "
                                          "ReLUs (D - 1 of them) halve"),
                (q0 * k ** (D - 1) * 0.5 ** (D - 1), "off by one: each of the D layers multiplies by n_in * var_w"),
                (q0 * (n * v * v) ** D * 0.5 ** (D - 1), "var_w is already a variance: multiply by n_in * var_w, "
                                                       "not n_in * var_w^2"),
                (q0 * (n * v ** 0.5) ** D * 0.5 ** (D - 1), "var_w is a variance, not a standard deviation: the "
                                                           "factor is n_in * var_w"),
                (q0 * k ** D * 0.5 ** D, "off by one: the input x does not pass through a ReLU; halve D - 1 times"),
            )
        else:
            wrong = (
                (q0 * k ** D * 0.5 ** (D - 1), "a linear network has no ReLU: nothing halves, E[z_D^2] = (n_in var_w)^D q0"),
                (q0 * k ** D * 0.5 ** D, "a linear network has no ReLU: nothing halves, E[z_D^2] = (n_in var_w)^D q0"),
                (q0 * k ** (D - 1), "off by one: each of the D layers multiplies by n_in * var_w"),
                (q0 * k ** (D + 1), "off by one: D layers multiply D times by n_in * var_w"),
                (q0 * (n * v * v) ** D, "var_w is already a variance: the factor is n_in * var_w"),
            )
        for cand, hint in wrong:
            if T.isclose_scalar(got, cand, rel_tol=1e-5):
                raise Wrong(f"{what} = {got:.6g}, expected {ref:.6g}", hint=hint)
        raise Wrong(f"{what} = {got:.6g}, expected {ref:.6g}",
                    hint="E[z_1^2] = n_in var_w q0; each further layer multiplies by n_in var_w, and by 1/2 for "
                         "the ReLU in front of it")
    return "exact for 6 stacks (ReLU and linear, depths 1 to 30)"
