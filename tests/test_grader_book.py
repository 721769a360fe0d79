"""The batch grader on the real book (issue 7, "done when"): grading a chapter's own solutions gives
full marks; grading its student edition gives zeros with "not yet attempted"; inputs unchanged."""

from __future__ import annotations

import csv
import hashlib
import json
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from mathdl.exercises.student import student_notebook

pytestmark = pytest.mark.slow
BOOK = Path(__file__).resolve().parents[1] / "book"
CHECK_CALL = re.compile(r"""\bcheck\(\s*["'](\d+\.\d+)["']""")


def _chapters():
    out = []
    for p in sorted(BOOK.glob("[0-9][0-9]_*.ipynb")):
        cells = json.loads(p.read_text(encoding="utf-8"))["cells"]
        if any(CHECK_CALL.search("".join(c["source"])) for c in cells if c["cell_type"] == "code"):
            out.append(p)
    return out


@pytest.mark.parametrize("path", _chapters() or [pytest.param(None, marks=pytest.mark.skip("no chapters"))],
                         ids=lambda p: p.stem if p else "none")
def test_grade_book_solutions_and_student_edition(path, tmp_path):
    chapter = int(path.name[:2])
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "solutions.ipynb").write_bytes(path.read_bytes())
    st, ids = student_notebook(nbformat.read(path, as_version=4))
    nbformat.write(st, subs / "student.ipynb")
    before = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in subs.iterdir()}
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "mathdl.exercises", "grade", str(subs), "--out", str(out),
                           "--chapter", str(chapter), "--jobs", "2", "--timeout", "180"],
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-2000:]
    rows = {r["submission"]: r for r in csv.DictReader(open(out / "grades.csv", encoding="utf-8"))}
    sol, stu = rows["solutions.ipynb"], rows["student.ipynb"]
    detail = json.loads((out / "solutions.json").read_text())
    assert sol["status"] == "ok" and float(sol["total"]) == float(sol["max_total"]) > 0, (
        sol, [t["output"] for t in detail["tests"] if t["status"] != "passed"])
    assert stu["status"] == "ok" and float(stu["total"]) == 0, stu
    tests = json.loads((out / "student.json").read_text())["tests"]
    assert sorted(t["number"] for t in tests) == sorted(ids)
    assert all("not yet attempted" in t["output"] for t in tests), [t["output"] for t in tests]
    assert {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in subs.iterdir()} == before


def test_guide_extra_check_example_works(tmp_path):
    """The extra-checks example in book/instructors.md registers and judges as documented."""
    import mathdl.exercises as mx
    guide = (BOOK / "instructors.md").read_text(encoding="utf-8")
    m = re.search(r"```python\n(# hidden/ch01_hidden.py\n.*?)```", guide, re.S)
    assert m, "the guide's extra-check example is missing"
    (tmp_path / "ch01_hidden.py").write_text(m.group(1))
    try:
        assert mx.load_checks_from(tmp_path) == ["1.2-hidden"]

        def central_difference(f, x, h):
            return (f(x + h) - f(x - h)) / (2 * h)

        def forward(f, x, h):
            return (f(x + h) - f(x)) / h

        assert mx.run_check(mx.REGISTRY["1.2-hidden"], [central_difference]).passed
        bad = mx.run_check(mx.REGISTRY["1.2-hidden"], [forward])
        assert bad.status == "failed" and "forward difference" in bad.hint
    finally:
        mx.REGISTRY.pop("1.2-hidden", None)
