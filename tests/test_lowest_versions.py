"""The lowest versions that requirements.txt allows really work.

A fresh virtual environment gets, for every requirement with a lower bound (``numpy>=2.0``), exactly
that lower bound (``numpy==2.0.0``; pip resolves the rest), plus the test tools. In it, the unit
tests of mathdl, the exercise checks and strict nbval of chapter 1 must pass. So a floor in
requirements.txt is a claim that can fail: if a feature the book uses came later, this test says
which. Marked ``slow`` (about 2-3 minutes, most of it pip; it needs the package index).

Without the package index the test is skipped, except under CI (``CI=true``), where that fails.
"""

from __future__ import annotations

import os
import re
import subprocess
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
TEST_TOOLS = ["pytest>=8,<10", "nbval>=0.11,<0.12", "nbclient>=0.10,<1", "nbformat>=5.9,<6",
              "hypothesis>=6.100,<7"]
# the unit tests that need only requirements.txt (not the site, a browser, Binder or torch)
UNIT_TESTS = ["tests/test_autograd.py", "tests/test_functional.py", "tests/test_nn.py",
              "tests/test_init.py", "tests/test_optim.py", "tests/test_lr_scheduler.py",
              "tests/test_gradcheck.py", "tests/test_calculus.py", "tests/test_landscape.py",
              "tests/test_data.py", "tests/test_viz.py", "tests/test_widgets.py",
              "tests/test_claims.py", "tests/test_layering.py", "tests/test_exercises_framework.py",
              "tests/exercises"]
CHAPTER = "book/01_derivatives.ipynb"
OFFLINE = ("Temporary failure in name resolution", "Failed to establish a new connection",
           "Network is unreachable", "No matching distribution found")


def floors() -> dict[str, str]:
    """{package: lowest allowed version} for each requirement of requirements.txt with a '>=' bound."""
    out = {}
    for line in (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        m = re.match(r"^([A-Za-z0-9_.\-\[\]]+)\s*>=\s*([0-9][^,;\s]*)", line)
        if m:
            out[re.sub(r"\[.*\]", "", m.group(1)).lower()] = m.group(2)
    return out


def _canonical(v: str) -> tuple[int, ...]:
    parts = [int(p) for p in re.findall(r"\d+", v)[:3]]
    return tuple(parts + [0] * (3 - len(parts)))


def test_floors_are_read_from_requirements():
    f = floors()
    assert {"numpy", "matplotlib", "ipywidgets", "myst-nb"} <= set(f), f


@pytest.mark.slow
def test_the_lowest_allowed_versions_pass_the_unit_tests_and_a_chapter(tmp_path):
    env_dir = tmp_path / "lowest"
    venv.EnvBuilder(with_pip=True, clear=True).create(env_dir)
    py = str(env_dir / "bin" / "python")
    constraints = tmp_path / "lowest.txt"
    constraints.write_text("".join(f"{name}=={version}\n" for name, version in floors().items()))
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    install = subprocess.run(
        [py, "-m", "pip", "install", "-q", "-r", "requirements.txt", "-c", str(constraints), *TEST_TOOLS],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    if install.returncode != 0:
        if any(s in install.stderr for s in OFFLINE) and not IN_CI:
            pytest.skip("the package index cannot be reached")
        pytest.fail(f"pip could not install the lowest versions:\n{install.stderr[-3000:]}", pytrace=False)

    # What was installed is really the floor of each requirement.
    listed = subprocess.run([py, "-m", "pip", "list", "--format=freeze"], env=env, capture_output=True,
                            text=True, check=True).stdout
    installed = {n.lower().replace("_", "-"): v for n, _, v in
                 (line.partition("==") for line in listed.splitlines() if "==" in line)}
    for name, version in floors().items():
        got = installed.get(name.replace("_", "-"))
        assert got is not None and _canonical(got) == _canonical(version), (name, version, got)

    run = subprocess.run(
        [py, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-x", "-m", "not slow", *UNIT_TESTS, CHAPTER],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=1200)
    lines = run.stdout.splitlines()
    failed = [line for line in lines if line.startswith(("FAILED", "ERROR"))]
    first = next((i for i, line in enumerate(lines) if line.startswith("____")), None)
    tail = "\n".join(failed + (lines[first:first + 60] if first is not None else lines[-40:]))
    assert run.returncode == 0, (f"with the lowest versions ({', '.join(f'{n}=={v}' for n, v in floors().items())}) "
                                 f"the tests fail; raise the floor in requirements.txt:\n{tail}\n{run.stderr[-2000:]}")
