"""The book's proof: claims that can fail, and glued numbers that do not depend on the machine.

Every quantitative statement of a chapter (a bound, a rate, an order of convergence, a paper's
number) is checked by a cell tagged ``claim`` that calls :func:`claim`::

    claim("forward difference is first order",
          observed=p_fwd, predicted=1.0, tol=0.05,
          source="derived in §1.4 (Taylor's theorem)",
          rules_out=2.0,          # the central difference's order: the nearest false value
          why="a least-squares slope over three decades; the next Taylor term moves it by < 0.01")

A claim fails (raises :class:`ClaimFailed`, an ``AssertionError``, with the claim, the observed
and predicted values and the tolerance in its message) when

* the observation disagrees with the prediction, or
* the claim cannot tell the truth from its alternative: ``rules_out``, the nearest plausible
  false value (the other regime, the naive formula, the neighbouring constant), would have passed
  the same test, in place of either the observation or the prediction. A tolerance too loose to
  separate the two is a bug of the claim, found when the notebook runs.

The tests (``test=``):

* ``"abs"`` (the default): ``|observed − predicted| ≤ tol``;
* ``"rel"``: ``|observed − predicted| ≤ tol · |predicted|``; for arrays in the max norm,
  ``max|o − p| ≤ tol · max|p|`` (the norm-wise error of numerical analysis: entries much smaller
  than the largest are held only to ``tol · max|p|``; claim them separately if they matter);
* ``"factor"``: ``1/tol ≤ observed / predicted ≤ tol``, for orders of magnitude (``tol > 1``);
* ``"below"``: ``observed ≤ predicted``, where predicted is a bound; ``rules_out`` must exceed it;
* ``"above"``: ``observed ≥ predicted``; ``rules_out`` must fall short of it;
* ``"equal"``: ``observed == predicted``, for exact facts (counts, shapes, ints, tuples, names).

True/False is refused: a verdict cannot say what it rules out. Claim the quantity (the error
against its bound, the count) instead.

Each passing claim displays one line (✓ ...) and a machine-readable record
(``application/vnd.mathdl.claim+json``). Strict nbval compares both, so their numbers are
formatted to ``digits`` significant digits (3 by default): digits that stay the same on every
CPU and BLAS. The site's page "Claims checked in this book" (``book/claims.md``) is generated
from these stored records by ``scripts/claims_page.py``.

:func:`glue` is the one way the chapters put computed numbers into the prose: it stores the value
rounded to ``digits`` significant digits (default 4), never the full ``repr`` of a float whose
last digits depend on the CPU's vector instructions or the BLAS kernel.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

__all__ = ["claim", "ClaimFailed", "glue", "round_sig", "fmt", "CLAIM_MIME", "TESTS", "RECORDS"]

CLAIM_MIME = "application/vnd.mathdl.claim+json"
TESTS = ("abs", "rel", "factor", "below", "above", "equal")
RECORDS: list[dict] = []  # the claims checked in this process, in order (what the page lists)


class ClaimFailed(AssertionError):
    """A claim of the book does not hold, or cannot fail as stated."""


# --- numbers that do not depend on the machine -----------------------------------------------
def round_sig(x, digits: int = 4):
    """``x`` rounded to ``digits`` significant digits (floats, numpy scalars, lists, arrays).

    ``round_sig(0.7795816090299033, 4) == 0.7796``. ints, bools and strings are returned as they
    are; nan and ±inf too. A numpy array becomes a list of rounded Python floats.
    """
    if isinstance(digits, bool) or not isinstance(digits, numbers.Integral) or not 1 <= digits <= 15:
        raise ValueError(f"round_sig: digits must be an integer from 1 to 15, got {digits!r}")
    if isinstance(x, (bool, np.bool_, str, numbers.Integral)) or x is None:
        return x.item() if isinstance(x, np.generic) else x
    if isinstance(x, np.ndarray):
        return [round_sig(v, digits) for v in x.tolist()]
    if isinstance(x, (list, tuple)):
        return type(x)(round_sig(v, digits) for v in x)
    if isinstance(x, numbers.Real):
        v = float(x)
        if v == 0.0 or not math.isfinite(v):
            return v
        return float(f"{v:.{digits - 1}e}")
    raise TypeError(f"round_sig: expected a number, a list or an array, got {type(x).__name__}")


def fmt(x, digits: int = 3) -> str:
    """A short, machine-independent text for a number: ``digits`` significant digits."""
    if isinstance(x, (bool, np.bool_)):
        return str(bool(x))
    if isinstance(x, numbers.Integral):
        return str(int(x))
    if isinstance(x, str):
        return x
    if isinstance(x, (tuple, list)) and all(isinstance(v, numbers.Integral) for v in x):
        return str(tuple(int(v) for v in x))
    arr = np.asarray(x)
    if arr.ndim > 0:
        if arr.size == 0:
            return "[]"
        flat = arr.astype(float).ravel()
        if flat.size <= 4:
            return "[" + ", ".join(fmt(v, digits) for v in flat) + "]"
        return f"[{fmt(flat.min(), digits)} … {fmt(flat.max(), digits)}] ({flat.size} values)"
    v = float(arr)
    if v == 0.0:
        return "0"
    if not math.isfinite(v):
        return str(v)
    text = f"{v:#.{digits}g}"           # '#': keep trailing zeros, 1.00 not 1 (they are digits shown)
    mantissa, e, exponent = text.partition("e")
    return mantissa.rstrip(".") + (e + exponent if e else "")


def glue(name: str, value, digits: int = 4, display: bool = False):
    """myst-nb's ``glue``, storing ``value`` rounded to ``digits`` significant digits.

    The prose shows it with a format of its own (``{glue:text}`name:.2f```); the rounding makes
    what is stored in the notebook, and so what strict nbval compares, independent of the last
    digits that differ between CPUs. ints and strings are glued as they are.
    """
    if not isinstance(name, str) or not name:
        raise ValueError(f"glue: the name must be a non-empty string, got {name!r}")
    from myst_nb import glue as _glue  # imported here: myst-nb is only needed in notebooks

    if isinstance(value, (np.ndarray, list, tuple)):
        raise TypeError(f"glue({name!r}): glue one number at a time, got {type(value).__name__}")
    return _glue(name, round_sig(value, digits), display=display)


# --- claims ---------------------------------------------------------------------------------
def _as_value(x, what: str, name: str):
    if isinstance(x, (bool, np.bool_)) or (isinstance(x, np.ndarray) and x.dtype == bool):
        raise TypeError(f"claim {name!r}: {what} is True/False, and a verdict cannot say what it rules "
                        f"out; claim the quantity itself (an error against its bound with test='below', "
                        f"show_observed=False if it is at round-off level; a count with test='equal')")
    if isinstance(x, (str, numbers.Integral)):
        return x
    if isinstance(x, tuple) and all(isinstance(v, numbers.Integral) for v in x):
        return x
    try:
        arr = np.asarray(x, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"claim {name!r}: {what} must be a number or an array of numbers, "
                        f"got {type(x).__name__}") from None
    return float(arr) if arr.ndim == 0 else arr


def _holds(test: str, observed, predicted, tol) -> tuple[bool, str]:
    """(does the test pass, what was compared) for one (observed, predicted) pair."""
    if test == "equal":
        ok = (np.array_equal(observed, predicted) if isinstance(observed, np.ndarray)
              else observed == predicted)
        return bool(ok), "exact"
    o = np.asarray(observed, dtype=float)
    p = np.asarray(predicted, dtype=float)
    if o.shape != p.shape and p.ndim and o.ndim:
        try:
            np.broadcast_shapes(o.shape, p.shape)
        except ValueError:
            raise ClaimFailed(f"observed has shape {o.shape}, predicted {p.shape}") from None
    if test == "abs":
        d = float(np.max(np.abs(o - p)))
        return d <= tol, f"|observed − predicted| = {fmt(d)} {'≤' if d <= tol else '>'} {fmt(tol)}"
    if test == "rel":
        scale = float(np.max(np.abs(p)))
        d = float(np.max(np.abs(o - p)))
        r = d / scale if scale > 0 else (0.0 if d == 0 else math.inf)
        return r <= tol, f"relative difference {fmt(r)} {'≤' if r <= tol else '>'} {fmt(tol)}"
    if test == "factor":
        with np.errstate(divide="ignore", invalid="ignore"):
            q = o / p
        if not np.all(q > 0):
            return False, "observed / predicted is not positive"
        worst = float(np.max(np.maximum(q, 1 / q)))
        return worst <= tol, f"off by a factor {fmt(worst)} {'≤' if worst <= tol else '>'} {fmt(tol)}"
    if test == "below":
        ok = bool(np.all(o <= p))
        return ok, f"max observed {fmt(float(np.max(o)))} {'≤' if ok else '>'} bound {fmt(float(np.max(p)))}"
    if test == "above":
        ok = bool(np.all(o >= p))
        return ok, f"min observed {fmt(float(np.min(o)))} {'≥' if ok else '<'} bound {fmt(float(np.min(p)))}"
    raise AssertionError(test)  # unreachable: validated by claim()


def claim(name: str, observed, predicted, *, tol=None, test: str = "abs", source: str,
          rules_out, why: str, digits: int = 3, show_observed: bool = True,
          show: bool = True) -> None:
    """Check one claim of the book; raise :class:`ClaimFailed` if it fails or cannot fail.

    Parameters
    ----------
    name : str
        What is claimed, in words ("the central difference is second order").
    observed : scalar or array_like
        The measured value (for ``test="equal"`` also an int, a tuple of ints or a string;
        never True/False).
    predicted : scalar or array_like
        The value the claim predicts, or the bound for the tests ``"below"`` and ``"above"``.
    tol : float
        The tolerance of the tests ``"abs"``, ``"rel"`` and ``"factor"`` (the others take none).
    test : str
        How observed and predicted are compared: ``"abs"``, ``"rel"``, ``"factor"``,
        ``"below"``, ``"above"`` or ``"equal"`` (see the module's description).
    source : str
        Where the claim comes from: a citation key ("Kingma2015 §3") or "derived in §…".
    rules_out : scalar, array_like or list
        The nearest plausible false value, or a list of them. Each must FAIL the same test in
        place of the observed value and, for the symmetric tests, in place of the predicted one.
    why : str
        Why the tolerance is what it is: the mathematics, or a measured spread.
    digits : int
        Significant digits of the numbers displayed and recorded (machine-independent).
    show_observed : bool
        False for an observation at round-off level (an error of 3e-15 against a bound of 1e-12),
        whose digits differ between CPUs: the record then says only that it passed ("≤ 1e-12"),
        while the test, and its rules_out, use the exact value.
    show : bool
        Display the ✓ line and the record (the claims page is made from them).

    Returns
    -------
    None
        The record (a dict of strings) is appended to ``RECORDS``.
    """
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"claim: name must be a non-empty string, got {name!r}")
    if test not in TESTS:
        raise ValueError(f"claim {name!r}: unknown test {test!r}; the tests are {', '.join(TESTS)}")
    for what, text in (("source", source), ("why", why)):
        if not isinstance(text, str) or not text.strip():
            raise ValueError(f"claim {name!r}: {what} must say something (a non-empty string), got {text!r}")
    if test in ("abs", "rel", "factor"):
        if tol is None or isinstance(tol, bool) or not isinstance(tol, numbers.Real) or not math.isfinite(tol):
            raise ValueError(f"claim {name!r}: test {test!r} needs a finite number tol, got {tol!r}")
        if tol < 0 or (test == "factor" and tol <= 1):
            need = "a factor > 1" if test == "factor" else "≥ 0"
            raise ValueError(f"claim {name!r}: tol must be {need} for test {test!r}, got {tol!r}")
        tol = float(tol)
    elif tol is not None:
        raise ValueError(f"claim {name!r}: test {test!r} takes no tol (got {tol!r})")
    observed = _as_value(observed, "observed", name)
    predicted = _as_value(predicted, "predicted", name)
    alternatives = list(rules_out) if isinstance(rules_out, list) else [rules_out]
    if not alternatives or any(a is None for a in alternatives):
        raise ValueError(f"claim {name!r}: rules_out must name the nearest plausible false value")
    alternatives = [_as_value(a, "rules_out", name) for a in alternatives]
    if test == "factor" and any(not np.all(np.asarray(a, dtype=float) > 0) for a in alternatives):
        raise ValueError(f"claim {name!r}: test 'factor' fails on any value ≤ 0 by itself, so rules_out "
                         f"must be a positive alternative (got {', '.join(fmt(a) for a in alternatives)})")

    tol_text = "exact" if test == "equal" else (fmt(tol) if tol is not None else test)
    head = f"claim {name!r} ({source})"
    try:
        ok, detail = _holds(test, observed, predicted, tol)
    except ClaimFailed as exc:  # shapes that cannot be compared
        raise ClaimFailed(f"{head} cannot be checked: {exc}") from None
    if not ok:
        how = f"test {test!r}" + ("" if test in ("below", "above") else f" with tolerance {tol_text}")
        raise ClaimFailed(f"{head} FAILED: observed {fmt(observed, 6)}, predicted {fmt(predicted, 6)}, "
                          f"{how}: {detail}. Tolerance: {why}")
    for alt in alternatives:
        as_observed, d1 = _holds(test, alt, predicted, tol)
        as_predicted, d2 = (False, "")
        if test in ("abs", "rel", "factor", "equal"):
            as_predicted, d2 = _holds(test, observed, alt, tol)
        if as_observed or as_predicted:
            which = d1 if as_observed else d2
            how = f"test {test!r}" + ("" if test in ("below", "above") else f", tolerance {tol_text}")
            raise ClaimFailed(f"{head} CANNOT FAIL as stated: the false value rules_out={fmt(alt, 6)} "
                              f"would pass the same test ({how}: {which}). "
                              f"Tighten the tolerance or name a different alternative.")

    if show_observed:
        observed_text = fmt(observed, digits)
    elif test == "equal":
        raise ValueError(f"claim {name!r}: show_observed=False is for inexact tests; an exact one shows its value")
    else:
        observed_text = {"below": "≤ ", "above": "≥ "}.get(test, "within the tolerance of ")
        observed_text += fmt(predicted, digits)
    record = {
        "name": name,
        "source": source,
        "observed": observed_text,
        "predicted": fmt(predicted, digits),
        "test": test,
        "tolerance": tol_text,
        "rules_out": ", ".join(fmt(a, digits) for a in alternatives),
        "why": why,
    }
    RECORDS.append(record)
    if show:
        _display(record)


def _line(r: dict) -> str:
    rel = {"abs": "±", "rel": "± rel.", "factor": "× within"}.get(r["test"])
    if r["test"] == "below":
        pred = f"≤ {r['predicted']}"
    elif r["test"] == "above":
        pred = f"≥ {r['predicted']}"
    elif r["test"] == "equal":
        pred = f"= {r['predicted']}"
    else:
        pred = f"{r['predicted']} {rel} {r['tolerance']}"
    return f"✓ claim: {r['name']}: observed {r['observed']}, predicted {pred}; rules out {r['rules_out']}"


def _display(record: dict) -> None:
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:  # plain Python: the line is enough
        print(_line(record))
        return
    if get_ipython() is None:
        print(_line(record))
        return
    display({"text/plain": _line(record), CLAIM_MIME: record}, raw=True)
