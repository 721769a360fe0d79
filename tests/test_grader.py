"""The batch grader (issue 7): one folder with every adversarial case, graded in ONE run; each case
asserts its status and score, and every input file is byte-identical afterwards.

The cases use two synthetic chapters (96, 97) whose checks are passed with ``--checks`` (which
also tests the extra-checks format); ``test_grader_book.py`` grades the real book's notebooks.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

CHECKS_97 = '''
from mathdl.exercises.registry import exercise, Wrong
from mathdl.exercises import _trusted as T

@exercise("97.1", target="double", title="Double it", points=1)
def _check_double(double):
    T.require_callable(double, "double")
    x = T.np.array([1.0, -2.0, 3.5])
    got = double(x)
    if T.close(got, x):
        raise Wrong("double(x) returned x unchanged", hint="multiply by 2")
    T.expect_close(got, 2 * x, "double(x)")
    return "doubles a vector"

@exercise("97.2", target="square", title="Square it", points=2)
def _check_square(square):
    T.expect_close(square(3.0), 9.0, "square(3)")
'''

# an instructor's hidden check: a new id with a suffix, same target as a book exercise
HIDDEN_97 = '''
from mathdl.exercises.registry import exercise, Wrong
from mathdl.exercises import _trusted as T

@exercise("97.2-hidden", target="square", title="Square it (hidden inputs)", points=1)
def _hidden_square(square):
    for x in (-1.5, 0.0, 1e3):
        T.expect_close(square(x), x * x, f"square({x})", rtol=1e-12)
'''

CHECKS_96 = '''
from mathdl.exercises.registry import exercise
from mathdl.exercises import _trusted as T

@exercise("96.1", target="triple", title="Triple it")
def _check_triple(triple):
    T.expect_close(triple(2.0), 6.0, "triple(2)")
'''

HEAD = "import numpy as np\nfrom mathdl.exercises import check"
DOUBLE = "def double(x):\n    return 2 * x"
SQUARE = "def square(x):\n    return x * x"
CHECK1, CHECK2 = 'check("97.1", double)', 'check("97.2", square)'
STUB_DOUBLE = 'def double(x):\n    raise NotImplementedError("Exercise 97.1: Double it")'
STUB_SQUARE = 'def square(x):\n    raise NotImplementedError("Exercise 97.2: Square it")'
FULL = 1 + 2 + 1  # 97.1 + 97.2 + 97.2-hidden
# modules that would forge a full score if the judge imported them (it starts elsewhere, own HOME)
PLANT = r'''import os
fake = "import os\nos.write(1, b'{\"results\": {\"97.1\": {\"status\": \"passed\", \"score\": 1}}}\\n')\nos._exit(0)\n"
for name in ['pickle.py', 'json.py', 'select.py', 'cloudpickle.py', 'sitecustomize.py']:
    open(name, 'w').write(fake)
site = os.path.expanduser('~/.local/lib/python3.11/site-packages')
os.makedirs(site, exist_ok=True)
open(os.path.join(site, 'usercustomize.py'), 'w').write(fake)'''


def notebook(cells) -> str:
    return json.dumps({
        "cells": [{"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
                   "source": src} if not src.startswith("MD:") else
                  {"cell_type": "markdown", "metadata": {}, "source": src[3:]} for src in cells],
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
        "nbformat": 4, "nbformat_minor": 5}, indent=1)


def cases(subs: Path) -> dict:
    """name -> (file content, expected status, expected total score)."""
    orig = subs / "writes_everywhere.ipynb"
    return {
        "solutions.ipynb": (notebook([HEAD, "MD:Exercise 97.1 — Double it", DOUBLE, CHECK1, SQUARE, CHECK2]),
                            "ok", FULL),
        "student_edition.ipynb": (notebook([HEAD, STUB_DOUBLE, CHECK1, STUB_SQUARE, CHECK2,
                                            "y = double(np.ones(2))"]), "ok", 0),
        "infinite_loop.ipynb": (notebook([HEAD, DOUBLE, "while True:\n    pass", SQUARE]), "timeout", 1),
        "loop_swallows_timeout.ipynb": (notebook([HEAD, DOUBLE, "while True:\n    try:\n        while True:\n"
                                                  "            pass\n    except BaseException:\n        pass",
                                                  SQUARE]), "timeout", 1),
        "sys_exit.ipynb": (notebook([HEAD, DOUBLE, "import sys\nsys.exit(1)", SQUARE]), "ok", FULL),
        "os_exit.ipynb": (notebook([HEAD, DOUBLE, "import os\nos._exit(0)", SQUARE]), "crashed", 1),
        "kernel_death.ipynb": (notebook([HEAD, DOUBLE, "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)",
                                         SQUARE]), "crashed", 1),
        "alloc_50gb.ipynb": (notebook([HEAD, DOUBLE, "big = np.ones(50 * 2**30 // 8)", SQUARE]), "ok", FULL),
        "alloc_in_function.ipynb": (notebook([HEAD, "def double(x):\n    np.ones(50 * 2**30 // 8)\n"
                                              "    return 2 * x", SQUARE]), "ok", 3),
        "print_100mb.ipynb": (notebook([HEAD, DOUBLE, "print('x' * 100_000_000)",
                                        "import os\nos.write(1, b'y' * 100_000_000)", SQUARE]), "ok", FULL),
        "redefines_check.ipynb": (notebook([HEAD, "def check(*args):\n    print('✅ Exercise passed')",
                                            "def double(x):\n    return x", CHECK1,
                                            "def square(x):\n    return 0.0", CHECK2]), "ok", 0),
        "monkeypatch.ipynb": (notebook([
            HEAD,
            "import builtins, math\nnp.allclose = lambda *a, **k: True\nnp.isclose = lambda *a, **k: True\n"
            "np.abs = lambda x: 0 * x\nbuiltins.abs = lambda x: 0\nmath.isclose = lambda *a, **k: True\n"
            "import mathdl.exercises as mx\nimport mathdl.exercises._trusted as T\n"
            "T.close = lambda *a, **k: True\nT.expect_close = lambda *a, **k: None\n"
            "mx.run_check = lambda *a, **k: None",
            "def double(x):\n    return x", "def square(x):\n    return 1.0"]), "ok", 0),
        "tampers_while_checked.ipynb": (notebook([
            HEAD, "def double(x):\n    import mathdl.exercises._trusted as T\n"
                  "    T.close = lambda *a, **k: False\n    T.expect_close = lambda *a, **k: None\n    return x",
            "def square(x):\n    import numpy\n    numpy.allclose = lambda *a, **k: True\n    return x * x"]),
            "ok", 0),
        "plants_modules.ipynb": (notebook([HEAD, PLANT, "def double(x):\n    return x",
                                           "def square(x):\n    return 0.0"]), "ok", 0),
        "deleted_cells.ipynb": (notebook([HEAD, SQUARE, CHECK2]), "ok", 3),
        "truncated.ipynb": (notebook([HEAD, DOUBLE])[:150], "invalid notebook", 0),
        "zero_bytes.ipynb": ("", "invalid notebook", 0),
        "not_a_notebook.txt": ("my answers are in the pdf", "invalid notebook", 0),
        "json_not_notebook.ipynb": ('{"hello": [1, 2]}', "invalid notebook", 0),
        "empty.ipynb": (notebook([]), "empty notebook", 0),
        "other_chapter.ipynb": (notebook([HEAD, "def triple(x):\n    return 3 * x", 'check("96.1", triple)']),
                                "wrong chapter", 0),
        "writes_everywhere.ipynb": (notebook([
            HEAD, DOUBLE,
            textwrap.dedent(f"""\
                import os, pathlib
                for p in [{str(orig)!r}, {str(subs / 'solutions.ipynb')!r}, {str(subs / 'new_file.txt')!r},
                          '/tmp/mathdl_grader_escape.txt', os.path.expanduser('~/../escape.txt')]:
                    try:
                        with open(p, 'w') as fh:
                            fh.write('tampered')
                    except OSError as exc:
                        print('blocked', p, exc.errno)
                for p in [{str(orig)!r}, {str(subs / 'solutions.ipynb')!r}]:
                    try:
                        os.remove(p)
                    except OSError as exc:
                        print('blocked remove', p, exc.errno)
                open('local.txt', 'w').write('fine: my own temporary folder')"""),
            SQUARE]), "ok", FULL),
    }


def _hashes(folder: Path) -> dict:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _cli(*args, **kw):
    return subprocess.run([sys.executable, "-m", "mathdl.exercises", *args], capture_output=True, text=True,
                          timeout=900, **kw)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("grading")
    checks = root / "checks"
    checks.mkdir()
    (checks / "ch97.py").write_text(CHECKS_97)
    (checks / "ch97_hidden.py").write_text(HIDDEN_97)
    (checks / "ch96.py").write_text(CHECKS_96)
    subs = root / "submissions"
    subs.mkdir()
    expected = {}
    for name, (content, status, score) in cases(subs).items():
        (subs / name).write_text(content)
        expected[name] = (status, score)
    os.chmod(subs / "solutions.ipynb", 0o444)  # read-only inputs must be fine too
    before = _hashes(subs)
    out = root / "out"
    proc = _cli("grade", str(subs), "--out", str(out), "--checks", str(checks), "--chapter", "97",
                "--timeout", "8", "--memory", "1536", "--jobs", "2", "--check-timeout", "5")
    return {"root": root, "subs": subs, "out": out, "proc": proc, "before": before, "expected": expected,
            "checks": checks}


def _rows(out: Path) -> dict:
    with open(out / "grades.csv", newline="", encoding="utf-8") as fh:
        return {r["submission"]: r for r in csv.DictReader(fh)}


def test_batch_exit_and_csv_shape(graded):
    proc = graded["proc"]
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = _rows(graded["out"])
    assert set(rows) == set(graded["expected"]), "one row per submission, none missing"
    header = next(csv.reader(open(graded["out"] / "grades.csv", encoding="utf-8")))
    assert header == ["submission", "97.1", "97.2", "97.2-hidden", "total", "max_total", "status", "message"]
    assert f"graded {len(graded['expected'])} submission(s)" in proc.stderr


def test_inputs_byte_identical(graded):
    assert _hashes(graded["subs"]) == graded["before"]
    assert not (graded["subs"] / "new_file.txt").exists()
    assert not Path("/tmp/mathdl_grader_escape.txt").exists()


@pytest.mark.parametrize("name", sorted(cases(Path("/x"))))
def test_case(graded, name):
    status, score = graded["expected"][name]
    row = _rows(graded["out"])[name]
    assert (row["status"], float(row["total"])) == (status, score), row
    assert row["max_total"] == str(FULL)
    key = name[:-6] if name.endswith(".ipynb") else name
    data = json.loads((graded["out"] / f"{key}.json").read_text())
    # Gradescope's results format
    assert data["score"] == score and isinstance(data["tests"], list) and len(data["tests"]) == 3
    for t in data["tests"]:
        assert set(t) >= {"name", "score", "max_score", "output"} and t["status"] in ("passed", "failed")
    assert data["extra_data"]["status"] == status
    if status != "ok":
        assert row["message"], "every non-ok status is explained"
    for t in data["tests"]:
        assert t["output"], "every zero is explained"


def _tests(graded, name):
    key = name[:-6]
    return {t["number"]: t for t in json.loads((graded["out"] / f"{key}.json").read_text())["tests"]}


def test_explanations(graded):
    st = _tests(graded, "student_edition.ipynb")
    assert all("not yet attempted" in t["output"] for t in st.values())
    dc = _tests(graded, "deleted_cells.ipynb")
    assert "`double` is not defined" in dc["97.1"]["output"] and "deleted or renamed" in dc["97.1"]["output"]
    lp = _rows(graded["out"])["infinite_loop.ipynb"]
    assert "stopped after 8 s at cell 3" in lp["message"]
    oe = _rows(graded["out"])["os_exit.ipynb"]
    assert "ended at cell 3" in oe["message"]
    kd = _rows(graded["out"])["kernel_death.ipynb"]
    assert "signal 9" in kd["message"]
    al = _rows(graded["out"])["alloc_50gb.ipynb"]
    assert "MemoryError" in al["message"]
    af = _tests(graded, "alloc_in_function.ipynb")
    assert "MemoryError" in af["97.1"]["output"]
    pr = _rows(graded["out"])["print_100mb.ipynb"]
    assert "printed" in pr["message"] and "kept the first" in pr["message"]
    assert (graded["out"] / "print_100mb.json").stat().st_size < 100_000
    tw = _tests(graded, "tampers_while_checked.ipynb")
    assert tw["97.1"]["output"].startswith("[tampering]") and "_trusted.close" in tw["97.1"]["output"]
    assert tw["97.2"]["output"].startswith("[tampering]") and "numpy.allclose" in tw["97.2"]["output"]
    oc = _rows(graded["out"])["other_chapter.ipynb"]
    assert "chapter 96" in oc["message"] and "chapter 97" in oc["message"]
    we = json.loads((graded["out"] / "writes_everywhere.json").read_text())
    assert "blocked" in we["output"]
    mp = _tests(graded, "monkeypatch.ipynb")
    assert "returned x unchanged" in mp["97.1"]["output"]
    assert _rows(graded["out"])["not_a_notebook.txt"]["message"].startswith("not a notebook file (.txt)")
    assert "corrupt notebook JSON" in _rows(graded["out"])["truncated.ipynb"]["message"]


def test_sandbox_reported(graded):
    data = json.loads((graded["out"] / "solutions.json").read_text())
    sandbox = data["extra_data"]["sandbox"]
    from mathdl.exercises._sandbox import landlock_abi
    if landlock_abi() > 0:
        assert sandbox.startswith("landlock ABI")


def test_resume_skips_graded(graded, tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    content = cases(graded["subs"])
    for name in ("solutions.ipynb", "student_edition.ipynb"):
        (subs / name).write_text(content[name][0])
    out = tmp_path / "out"
    common = ["--out", str(out), "--checks", str(graded["checks"]), "--chapter", "97", "--timeout", "20"]
    first = _cli("grade", str(subs), *common)
    assert first.returncode == 0, first.stderr
    (subs / "deleted_cells.ipynb").write_text(content["deleted_cells.ipynb"][0])
    second = _cli("grade", str(subs), *common, "--resume")
    assert second.returncode == 0, second.stderr
    assert "grading 1 submission(s)" in second.stderr and "2 already graded" in second.stderr
    rows = _rows(out)
    assert set(rows) == {"solutions.ipynb", "student_edition.ipynb", "deleted_cells.ipynb"}
    assert float(rows["solutions.ipynb"]["total"]) == FULL


@pytest.mark.parametrize("args, msg", [
    (["grade", "/nonexistent/folder", "--out", "{tmp}/o"], "no such file"),
    (["grade", "{tmp}", "--out", "{tmp}/inside"], "inside the submissions folder"),
    (["grade", "{tmp}", "--out", "{tmp}2", "--jobs", "0"], "--jobs"),
    (["grade", "{tmp}/empty", "--out", "{tmp}2"], "no submissions"),
])
def test_usage_errors(tmp_path, args, msg):
    (tmp_path / "empty").mkdir()
    (tmp_path / "a.ipynb").write_text(notebook([HEAD]))
    proc = _cli(*[a.replace("{tmp}", str(tmp_path)) for a in args])
    assert proc.returncode == 2 and msg in proc.stderr and "Traceback" not in proc.stderr


def test_gradescope_bundle(graded, tmp_path):
    bundle = tmp_path / "autograder.zip"
    proc = _cli("gradescope", "--chapter", "97", "--out", str(bundle), "--checks", str(graded["checks"]),
                "--timeout", "20")
    assert proc.returncode == 0, proc.stderr
    root = tmp_path / "autograder"
    with zipfile.ZipFile(bundle) as z:
        names = z.namelist()
        assert {"setup.sh", "run_autograder", "requirements.txt", "config.json",
                "mathdl/exercises/grader.py"} <= set(names)
        z.extractall(root / "source")
    (root / "submission").mkdir()
    (root / "submission" / "hw.ipynb").write_text(cases(graded["subs"])["solutions.ipynb"][0])
    env = dict(os.environ, AUTOGRADER_ROOT=str(root), PYTHON=sys.executable)
    run = subprocess.run(["bash", str(root / "source" / "run_autograder")], env=env, capture_output=True,
                         text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    res = json.loads((root / "results" / "results.json").read_text())
    assert res["score"] == FULL and len(res["tests"]) == 3
    assert all(t["status"] == "passed" for t in res["tests"])
    # the bundle graded with its own copy of mathdl, not the repository's
    assert "mathdl.exercises" in (root / "source" / "run_autograder").read_text()


def test_without_landlock_a_changed_input_is_reported(graded, tmp_path):
    """The fallback where Landlock is missing: the grader cannot prevent the write, but re-hashes
    every input after its run and reports the change (row message and command summary)."""
    subs = tmp_path / "subs"
    subs.mkdir()
    victim = subs / "self_writer.ipynb"
    victim.write_text(notebook([HEAD, DOUBLE, f"open({str(victim)!r}, 'a').write(' ')", SQUARE]))
    out = tmp_path / "out"
    proc = _cli("grade", str(subs), "--out", str(out), "--checks", str(graded["checks"]), "--chapter", "97",
                "--timeout", "20", "--no-landlock")
    assert proc.returncode == 0, proc.stderr
    row = _rows(out)["self_writer.ipynb"]
    assert row["message"].startswith("WARNING: the input file changed during grading")
    assert "input files changed during grading: self_writer.ipynb" in proc.stderr


def test_interrupted_batch_keeps_results_and_resumes(graded, tmp_path):
    import signal
    import time
    subs = tmp_path / "subs"
    subs.mkdir()
    for i in range(4):
        (subs / f"s{i}.ipynb").write_text(notebook([HEAD, DOUBLE, "import time\ntime.sleep(3)", SQUARE]))
    out = tmp_path / "out"
    args = [sys.executable, "-m", "mathdl.exercises", "grade", str(subs), "--out", str(out), "--checks",
            str(graded["checks"]), "--chapter", "97", "--jobs", "1", "--timeout", "30"]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    while time.time() < deadline:
        if list(out.glob("s*.json")):
            break
        time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "interrupted" in err and "--resume" in err
    done = {p.stem for p in out.glob("s*.json")}
    assert 1 <= len(done) < 4 and len(_rows(out)) == len(done)
    again = subprocess.run(args + ["--resume"], capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    assert f"grading {4 - len(done)} submission(s)" in again.stderr
    rows = _rows(out)
    assert len(rows) == 4 and all(float(r["total"]) == FULL for r in rows.values())
