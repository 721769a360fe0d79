"""mathdl.claims: a claim fails when the observation misses, AND when its alternative would pass;
glue stores rounded values; the messages say what failed."""

from __future__ import annotations

import math

import numpy as np
import pytest

from mathdl.claims import ClaimFailed, claim, fmt, glue, round_sig

KW = dict(source="derived in §1", why="a test tolerance")


def test_a_true_discriminating_claim_passes_and_prints_one_line(capsys):
    claim("order one", 1.0034, 1.0, tol=0.05, rules_out=2.0, **KW)
    out = capsys.readouterr().out
    assert out.startswith("✓ claim: order one: observed 1.00, predicted 1.00 ± 0.0500; rules out 2.00")


def test_a_missed_prediction_fails_with_the_values_and_the_tolerance():
    with pytest.raises(ClaimFailed) as err:
        claim("order one", 1.5, 1.0, tol=0.05, rules_out=2.0, **KW)
    msg = str(err.value)
    assert "'order one'" in msg and "FAILED" in msg and "observed 1.5" in msg and "predicted 1" in msg
    assert "0.05" in msg and "derived in §1" in msg and "a test tolerance" in msg
    assert isinstance(err.value, AssertionError)  # nbval and pytest report it as a failed assertion


def test_a_claim_too_loose_to_reject_its_alternative_cannot_pass():
    # 1 ± 2 would also accept the alternative 2: the claim cannot fail as written
    with pytest.raises(ClaimFailed, match="CANNOT FAIL"):
        claim("loose", 1.0, 1.0, tol=2.0, rules_out=2.0, **KW)


def test_the_alternative_is_tried_in_place_of_the_prediction_too():
    # the observation 1.4 is within 0.5 of the prediction 1 AND of the alternative 1.8
    with pytest.raises(ClaimFailed, match="CANNOT FAIL"):
        claim("between", 1.4, 1.0, tol=0.5, rules_out=1.8, **KW)


def test_each_of_several_alternatives_must_be_rejected():
    claim("order", 2.0, 2.0, tol=0.1, rules_out=[1.0, 3.0], **KW)
    with pytest.raises(ClaimFailed, match="rules_out=2.05"):
        claim("order", 2.0, 2.0, tol=0.1, rules_out=[1.0, 2.05], **KW)


@pytest.mark.parametrize("test, observed, predicted, tol, alt, ok", [
    ("rel", 101.0, 100.0, 0.02, 110.0, True),
    ("rel", 103.0, 100.0, 0.02, 110.0, False),
    ("factor", 2.5, 1.0, 3.0, 10.0, True),
    ("factor", 0.2, 1.0, 3.0, 10.0, False),
    ("below", 3.2, 100.0, None, 1e6, True),
    ("below", 104.86, 100.0, None, 1e6, False),   # the spike that sat next to its threshold
    ("above", 0.97, 0.9, None, 0.1, True),
    ("equal", 5, 5, None, 6, True),
    ("equal", "Nesterov", "Nesterov", None, "Adam", True),
    ("equal", (3, 4), (3, 4), None, (4, 3), True),
    ("equal", 4, 5, None, 6, False),
])
def test_the_tests(test, observed, predicted, tol, alt, ok):
    kwargs = dict(test=test, rules_out=alt, show=False, **KW)
    if tol is not None:
        kwargs["tol"] = tol
    if ok:
        claim("c", observed, predicted, **kwargs)
    else:
        with pytest.raises(ClaimFailed, match="FAILED"):
            claim("c", observed, predicted, **kwargs)


def test_one_sided_claims_need_an_alternative_on_the_other_side():
    with pytest.raises(ClaimFailed, match="CANNOT FAIL"):
        claim("no spike", 3.2, 100.0, test="below", rules_out=50.0, show=False, **KW)


def test_arrays_are_compared_elementwise():
    g = np.array([1.0, -2.0, 3.0])
    claim("gradient", g + 1e-9, g, tol=1e-6, rules_out=-g, show=False, **KW)
    with pytest.raises(ClaimFailed):
        claim("gradient", g + np.array([0, 0, 1e-3]), g, tol=1e-6, rules_out=-g, show=False, **KW)
    with pytest.raises(ClaimFailed, match="claim .gradient. .*cannot be checked: observed has shape"):
        claim("gradient", np.ones(2), np.ones(3), tol=1e-6, rules_out=np.zeros(3), show=False, **KW)


@pytest.mark.parametrize("kwargs, fragment", [
    (dict(tol=0.1, rules_out=2.0, source="", why="w"), "source"),
    (dict(tol=0.1, rules_out=2.0, source="s", why=" "), "why"),
    (dict(tol=0.1, rules_out=None, source="s", why="w"), "rules_out"),
    (dict(tol=None, rules_out=2.0, source="s", why="w"), "tol"),
    (dict(tol=-1.0, rules_out=2.0, source="s", why="w"), "tol"),
    (dict(tol=0.5, test="factor", rules_out=2.0, source="s", why="w"), "factor > 1"),
    (dict(tol=0.1, test="close", rules_out=2.0, source="s", why="w"), "unknown test 'close'"),
    (dict(tol=0.1, test="below", rules_out=2.0, source="s", why="w"), "takes no tol"),
])
def test_bad_arguments_are_named(kwargs, fragment):
    with pytest.raises(ValueError, match=fragment.replace("(", r"\(")):
        claim("c", 1.0, 1.0, **kwargs)


def test_a_non_number_is_named():
    with pytest.raises(TypeError, match="observed must be a number"):
        claim("c", object(), 1.0, tol=0.1, rules_out=2.0, **KW)


def test_round_sig():
    assert round_sig(0.7795816090299033, 4) == 0.7796
    assert round_sig(7.477980932677757e19, 2) == 7.5e19
    assert round_sig(-0.09005038431135663, 3) == -0.0901
    assert round_sig(np.float32(0.1), 3) == 0.1 and type(round_sig(np.float32(0.1), 3)) is float
    assert round_sig(7, 2) == 7 and round_sig("x", 2) == "x" and round_sig(True, 2) is True
    assert round_sig(np.array([1.23456, 2.0]), 2) == [1.2, 2.0]
    assert math.isnan(round_sig(float("nan"))) and round_sig(0.0) == 0.0
    with pytest.raises(ValueError, match="digits"):
        round_sig(1.0, 0)


def test_fmt_keeps_the_digits_it_shows():
    assert fmt(1.0034) == "1.00" and fmt(100.0) == "100" and fmt(2.5e-9) == "2.50e-09"
    assert fmt(7) == "7" and fmt((3, 4)) == "(3, 4)" and fmt(True) == "True"
    assert fmt(np.arange(10.0)) == "[0 … 9.00] (10 values)"


def test_glue_stores_the_rounded_value(monkeypatch):
    import myst_nb
    seen = {}
    monkeypatch.setattr(myst_nb, "glue", lambda name, value, display=True: seen.update({name: value}))
    glue("ch10_loss", 0.7795816090299033)
    glue("ch11_big", 7.477980932677757e19, digits=2)
    glue("n", 12)
    assert seen == {"ch10_loss": 0.7796, "ch11_big": 7.5e19, "n": 12}
    with pytest.raises(TypeError, match="one number at a time"):
        glue("v", np.ones(3))


def test_round_off_observations_can_be_recorded_by_their_bound_only(capsys):
    claim("hvp error", 3.2e-15, 1e-12, test="below", rules_out=1.2e-4, show_observed=False, **KW)
    assert "observed ≤ 1.00e-12" in capsys.readouterr().out
    with pytest.raises(ClaimFailed, match="observed 1.20000e-05"):   # the exact value still decides
        claim("hvp error", 1.2e-5, 1e-12, test="below", rules_out=1.2e-4, show_observed=False, **KW)
    with pytest.raises(ValueError, match="inexact"):
        claim("count", 3, 3, test="equal", rules_out=4, show_observed=False, **KW)


def test_a_true_false_verdict_is_refused():
    for observed, predicted, alt in ((True, True, False), (np.bool_(True), True, False),
                                     (np.array([True, True]), np.array([True, True]), 0.0)):
        with pytest.raises(TypeError, match="True/False"):
            claim("verdict", observed, predicted, test="equal", rules_out=alt, show=False, **KW)


def test_rel_of_arrays_is_norm_wise():
    # max|o - p| <= tol * max|p|: a round-off error in a near-zero entry is judged against the whole
    claim("gradients", np.array([1e-12, 3.04]), np.array([0.0, 3.04]), test="rel", tol=1e-9,
          rules_out=np.array([0.0, 3.1]), show=False, **KW)
    with pytest.raises(ClaimFailed, match="relative difference"):
        claim("gradients", np.array([1e-6, 3.04]), np.array([0.0, 3.04]), test="rel", tol=1e-9,
              rules_out=np.array([0.0, 3.1]), show=False, **KW)


def test_a_factor_claim_needs_a_positive_alternative():
    with pytest.raises(ValueError, match="positive alternative"):
        claim("noise", 0.0317, 0.0411, test="factor", tol=2.0, rules_out=0.0, show=False, **KW)
