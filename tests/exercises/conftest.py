"""Shared scaffolding of the exercise-check tests (tests/exercises/test_chNN.py).

Every chapter's test module imports its helpers from here::

    from .conftest import Right, Wrong, expect_hint, run, stub

and declares, for each of its exercises, a table of answers a student would plausibly write:

    WRONG_ANSWERS = {"1.1": [Wrong(fn, "central difference", "the central difference"), ...]}
    RIGHT_ANSWERS = {"1.1": [Right(fn, "a loop instead of vectorised code"), ...]}

``Wrong(objs, hint, mistake)``: ``objs`` is what the learner defines (one object, or a tuple of
them when the exercise has several targets); the check must FAIL and its hint must contain the
fragment ``hint``, the words that name the mistake. ``Right(objs, how)``: a correct answer written
differently from the reference (a loop, float32, another formula); it must PASS.

The module then holds two lines that turn the tables into tests::

    def test_wrong_answers_get_their_hint(wrong_answer): wrong_answer.assert_fails()
    def test_right_answers_written_differently_pass(right_answer): right_answer.assert_passes()

``pytest_generate_tests`` below parametrizes those fixtures from the module's tables, and
``test_tables.py`` requires at least 5 wrong answers and 1 right answer for every exercise.
"""

from __future__ import annotations

import dataclasses

from mathdl.exercises import get_exercise, run_check

MIN_WRONG = 5   # the issue "every proof must be able to fail": at least 5 plausible wrong answers
MIN_RIGHT = 1   # ...and at least one right answer written differently from the reference


def run(ex_id: str, *objs):
    """Run exercise ``ex_id``'s check on the learner's object(s); the CheckResult."""
    return run_check(get_exercise(ex_id), objs)


def stub(*args, **kwargs):
    """What the student edition holds in place of a solution."""
    raise NotImplementedError("Exercise N.k: not yet")


def expect_hint(ex_id: str, objs, fragment: str):
    """The check of ``ex_id`` fails on ``objs`` with a hint that contains ``fragment``."""
    objs = objs if isinstance(objs, tuple) else (objs,)
    res = run(ex_id, *objs)
    assert res.status == "failed", f"expected a failure with a hint about {fragment!r}, got: {res.line()}"
    assert res.hint and fragment in res.hint, f"expected a hint containing {fragment!r}, got: {res.line()}"
    return res


@dataclasses.dataclass(frozen=True)
class Wrong:
    objs: object            # the learner's object, or a tuple of objects (several targets)
    hint: str               # a fragment the hint must contain: the words that name the mistake
    mistake: str            # what the student got wrong, for the test id and the message
    ex_id: str = ""

    def assert_fails(self):
        return expect_hint(self.ex_id, self.objs, self.hint)


@dataclasses.dataclass(frozen=True)
class Right:
    objs: object
    how: str                # how it differs from the reference ("a loop", "float32 input", ...)
    ex_id: str = ""

    def assert_passes(self):
        objs = self.objs if isinstance(self.objs, tuple) else (self.objs,)
        res = run(self.ex_id, *objs)
        assert res.passed, f"a right answer ({self.how}) was rejected: {res.line()}"
        return res


def _cases(table: dict, kind: str):
    out, ids = [], []
    for ex_id, entries in table.items():
        for k, entry in enumerate(entries):
            out.append(dataclasses.replace(entry, ex_id=ex_id))
            label = entry.mistake if kind == "wrong" else entry.how
            ids.append(f"{ex_id}-{k}-{label[:40]}")
    return out, ids


def pytest_generate_tests(metafunc):
    for fixture, attr, kind in (("wrong_answer", "WRONG_ANSWERS", "wrong"),
                                ("right_answer", "RIGHT_ANSWERS", "right")):
        if fixture in metafunc.fixturenames:
            table = getattr(metafunc.module, attr, None)
            if not table:
                raise AssertionError(f"{metafunc.module.__name__} uses {fixture} but defines no {attr}")
            cases, ids = _cases(table, kind)
            metafunc.parametrize(fixture, cases, ids=ids)
