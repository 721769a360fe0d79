"""Every exercise of the book has its table of wrong answers (at least 5, each failing with the
hint that names its mistake) and at least 1 right answer written differently (it must pass).

The tables live in tests/exercises/test_chNN.py (conftest.py explains their shape); this test only
counts them against the registered exercises, so a new exercise without a table fails here.
"""

from __future__ import annotations

import importlib

import pytest

from mathdl.exercises import exercises

from .conftest import MIN_RIGHT, MIN_WRONG, Right, Wrong

BOOK_EXERCISES = [ex.id for ex in exercises()]


def _module(chapter: int):
    return importlib.import_module(f"{__package__}.test_ch{chapter:02d}")


def test_the_registered_exercises_are_the_books():
    """The ids checked in the chapters' notebooks are exactly the registered ones (so a chapter whose
    checks fail to load, or an exercise without a check, cannot leave this table short)."""
    import json
    import re
    from pathlib import Path

    book = Path(__file__).resolve().parents[2] / "book"
    in_notebooks = set()
    for path in book.glob("*.ipynb"):
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            if cell["cell_type"] == "code":
                in_notebooks |= set(re.findall(r"^\s*check\(\s*[\"'](\d+\.\d+)[\"']", "".join(cell["source"]), re.M))
    assert in_notebooks and in_notebooks == set(BOOK_EXERCISES), (sorted(in_notebooks), BOOK_EXERCISES)


@pytest.mark.parametrize("ex_id", BOOK_EXERCISES)
def test_every_exercise_has_its_tables(ex_id):
    module = _module(int(ex_id.split(".")[0]))
    wrong = getattr(module, "WRONG_ANSWERS", {}).get(ex_id, [])
    right = getattr(module, "RIGHT_ANSWERS", {}).get(ex_id, [])
    assert len(wrong) >= MIN_WRONG, (f"exercise {ex_id}: {len(wrong)} wrong answers in "
                                     f"{module.__name__}.WRONG_ANSWERS, at least {MIN_WRONG} needed")
    assert len(right) >= MIN_RIGHT, (f"exercise {ex_id}: {len(right)} right answers in "
                                     f"{module.__name__}.RIGHT_ANSWERS, at least {MIN_RIGHT} needed")
    assert all(isinstance(w, Wrong) and w.hint.strip() for w in wrong), ex_id
    assert all(isinstance(r, Right) for r in right), ex_id
    # The tables are turned into tests by the module's two standard test functions.
    assert hasattr(module, "test_wrong_answers_get_their_hint"), module.__name__
    assert hasattr(module, "test_right_answers_written_differently_pass"), module.__name__
    # each wrong answer names a distinct mistake
    mistakes = [w.mistake for w in wrong]
    assert len(set(mistakes)) == len(mistakes), f"exercise {ex_id}: a mistake is listed twice: {mistakes}"
