"""Strict nbval really catches a stale output.

The book's promise is that what the text shows is what the code computes. CI re-executes every
notebook under strict nbval (pyproject.toml: ``--nbval``, never ``--nbval-lax``) and compares each
stored output with a fresh one. These tests prove the mechanism on a copy of a real chapter:
the untouched copy passes, and a copy with one printed number changed fails, in that cell.
"""

from __future__ import annotations

import copy
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    tomllib = None

nbformat = pytest.importorskip("nbformat")
pytest.importorskip("nbval")

ROOT = Path(__file__).resolve().parent.parent
SANITIZE = ROOT / "tests" / "nbval_sanitize.cfg"
CHAPTER = ROOT / "book" / "01_derivatives.ipynb"
IGNORE_MARKERS = ("NBVAL_IGNORE_OUTPUT", "NBVAL_SKIP", "NBVAL_RAISES_EXCEPTION")
IGNORE_TAGS = {"nbval-ignore-output", "nbval-skip", "raises-exception"}


def _sanitize(text: str) -> str:
    patterns = re.findall(r"^regex: (.*)$\n^replace: (.*)$", SANITIZE.read_text(), flags=re.M)
    for regex, replace in patterns:
        text = re.sub(regex, replace, text)
    return text


def _compared_text(output) -> tuple[str, str] | None:
    """The (kind, text) of an output that strict nbval compares, if it is plain text."""
    if output.output_type == "stream" and output.get("name") == "stdout":
        return "stream", output.text
    if output.output_type == "execute_result" and "text/plain" in output.get("data", {}):
        return "text/plain", output.data["text/plain"]
    return None


def _bump_first_digit(text: str) -> str:
    match = re.search(r"\d", text)
    digit = int(match.group())
    return text[: match.start()] + str((digit + 1) % 10) + text[match.end():]


def _find_editable_cell(nb) -> tuple[int, int] | None:
    """(cell index, output index) of the first compared output with a digit in it."""
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or not cell.get("outputs"):
            continue
        first_line = cell.source.lstrip().splitlines()[0] if cell.source.strip() else ""
        tags = set(cell.get("metadata", {}).get("tags", []))
        if any(m in first_line for m in IGNORE_MARKERS) or tags & IGNORE_TAGS:
            continue
        for j, output in enumerate(cell.outputs):
            found = _compared_text(output)
            if found and re.search(r"\d", found[1]):
                edited = _bump_first_digit(found[1])
                if _sanitize(edited) != _sanitize(found[1]):
                    return i, j
    return None


def _tiny_notebook():
    """A notebook with stored outputs, used until chapter 1 exists.

    Its cells also exercise the sanitize file: a numpy scalar stored with numpy 1's repr and an
    object stored with a different memory address must both still pass.
    """
    v4 = nbformat.v4
    cells = [
        v4.new_code_cell("x = 1 / 3"),
        v4.new_code_cell('print(f"{x:.6f}")',
                         outputs=[v4.new_output("stream", name="stdout", text="0.333333\n")]),
        v4.new_code_cell("import numpy as np\nnp.float64(0.5) * 3",
                         outputs=[v4.new_output("execute_result", data={"text/plain": "1.5"},
                                                execution_count=3)]),
        v4.new_code_cell("object()",
                         outputs=[v4.new_output("execute_result", data={
                             "text/plain": "<object at 0x7f00deadbeef>"},
                             execution_count=4)]),
    ]
    for count, cell in enumerate(cells, start=1):
        cell.execution_count = count  # nbval rejects stored outputs of a cell that never ran
    nb = v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    return nb


def _run_nbval(workdir: Path, *notebooks: Path) -> dict[str, str]:
    """Run strict nbval on notebooks in a subprocess; return {testcase name: outcome}."""
    (workdir / "pytest.ini").write_text("[pytest]\n")  # isolate from the repository's addopts
    report = workdir / "report.xml"
    cmd = [sys.executable, "-m", "pytest", "--nbval", "--nbval-current-env",
           f"--nbval-sanitize-with={SANITIZE}", "--nbval-cell-timeout=120",
           "-p", "no:cacheprovider", "-p", "no:xdist", "-q", f"--junitxml={report}",
           *[str(p) for p in notebooks]]
    proc = subprocess.run(cmd, cwd=workdir, capture_output=True, text=True, timeout=600,
                          stdin=subprocess.DEVNULL)
    assert report.exists(), f"nbval did not run:\n{proc.stdout}\n{proc.stderr}"
    print(proc.stdout[-5000:])  # shown by pytest if an assertion below fails
    outcomes = {}
    for case in ET.parse(report).getroot().iter("testcase"):
        name = f"{case.get('classname')}::{case.get('name')}"
        kind = next((child.tag for child in case
                     if child.tag in ("failure", "error", "skipped")), "passed")
        outcomes[name] = kind
    return outcomes


@pytest.mark.skipif(tomllib is None, reason="needs tomllib (Python 3.11+)")
def test_pytest_config_is_strict_nbval():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]
    addopts = " ".join(config["addopts"])
    assert "--nbval " in addopts + " " and "--nbval-lax" not in addopts
    assert "nbval_sanitize.cfg" in addopts
    assert "book" in config["testpaths"]


@pytest.mark.slow
def test_stale_output_fails_and_fresh_output_passes(tmp_path):
    if CHAPTER.exists():
        nb = nbformat.read(CHAPTER, as_version=4)
        found = _find_editable_cell(nb)
        assert found, f"{CHAPTER.name} has no compared output with a number in it to edit"
        cell_index, output_index = found
        # Only the cells up to the edited one matter; dropping the rest keeps the test fast.
        nb.cells = nb.cells[: cell_index + 1]
    else:
        nb = _tiny_notebook()
        cell_index, output_index = 1, 0

    stale = copy.deepcopy(nb)
    output = stale.cells[cell_index].outputs[output_index]
    if output.output_type == "stream":
        output.text = _bump_first_digit(output.text)
    else:
        output.data["text/plain"] = _bump_first_digit(output.data["text/plain"])

    nbformat.write(nb, tmp_path / "fresh.ipynb")
    nbformat.write(stale, tmp_path / "stale.ipynb")
    outcomes = _run_nbval(tmp_path, tmp_path / "fresh.ipynb", tmp_path / "stale.ipynb")

    fresh = {k: v for k, v in outcomes.items() if "fresh" in k}
    stale_results = {k: v for k, v in outcomes.items() if "stale" in k}
    assert fresh and all(v == "passed" for v in fresh.values()), (
        f"the unedited copy must pass strict nbval: {fresh}")
    failed = [k for k, v in stale_results.items() if v == "failure"]
    assert len(failed) == 1, f"exactly the edited cell must fail: {stale_results}"
    # nbval numbers the code cells only.
    code_index = sum(c.cell_type == "code" for c in nb.cells[:cell_index])
    assert failed[0].endswith(f"Cell {code_index}"), (failed, code_index)


@pytest.mark.slow
def test_refresh_makes_outputs_fresh_and_never_half_writes(tmp_path):
    """scripts/refresh_notebooks.py: stale outputs become fresh (nbval passes afterwards);
    a notebook with a failing cell is left byte-identical, and the failing cell is named."""
    stale = _tiny_notebook()
    stale.cells[1].outputs[0].text = "0.999999\n"  # a stale stored output
    nbformat.write(stale, tmp_path / "good.ipynb")
    broken = _tiny_notebook()
    broken.cells.append(nbformat.v4.new_code_cell("# divide\n1 / 0"))
    nbformat.write(broken, tmp_path / "broken.ipynb")
    before = (tmp_path / "broken.ipynb").read_bytes()

    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "refresh_notebooks.py"),
         str(tmp_path / "good.ipynb"), str(tmp_path / "broken.ipynb")],
        capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "cell 4 ('# divide'): ZeroDivisionError" in proc.stdout, proc.stdout
    assert (tmp_path / "broken.ipynb").read_bytes() == before
    assert not list(tmp_path.glob(".*.tmp")), "a temporary file was left behind"

    refreshed = nbformat.read(tmp_path / "good.ipynb", as_version=4)
    assert refreshed.cells[1].outputs[0].text == "0.333333\n"
    outcomes = _run_nbval(tmp_path, tmp_path / "good.ipynb")
    assert outcomes and all(v == "passed" for v in outcomes.values()), outcomes
