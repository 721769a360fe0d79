"""A Gradescope autograder bundle that runs the same grader.

    python -m mathdl.exercises gradescope --chapter 1 --out autograder.zip [--checks EXTRA_DIR]

The zip holds ``setup.sh`` (installs the notebooks' run-time requirements), ``run_autograder``
(grades the notebook(s) in ``/autograder/submission`` and writes
``/autograder/results/results.json``), a copy of the ``mathdl`` package, the extra checks and
``config.json``.  ``run_autograder`` honours ``AUTOGRADER_ROOT`` (default ``/autograder``) and
``PYTHON`` (default ``python3``), which is how the tests run it against a fake layout.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import zipfile

REQUIREMENTS = """numpy>=1.24,<3
matplotlib>=3.7,<4
ipython>=8
ipywidgets>=8.1,<9
myst-nb>=1.1,<2
cloudpickle>=2.1
"""

SETUP_SH = """#!/usr/bin/env bash
# Gradescope runs this once when it builds the autograder image.
set -euo pipefail
cd /autograder/source
if ! command -v python3 >/dev/null; then apt-get update && apt-get install -y python3 python3-pip; fi
python3 -m pip install --upgrade pip
python3 -m pip install -r requirements.txt
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Gradescope runs this for every submission; it writes $ROOT/results/results.json.
set -uo pipefail
ROOT="${AUTOGRADER_ROOT:-/autograder}"
PY="${PYTHON:-python3}"
export PYTHONPATH="$ROOT/source${PYTHONPATH:+:$PYTHONPATH}"
cd "$ROOT/source"
exec "$PY" -m mathdl.exercises gradescope-run --root "$ROOT"
"""


def write_bundle(out, *, chapter: int, timeout: float = 60.0, memory_mb: float = 2048.0, checks=()) -> str:
    from . import exercises, load_checks_from
    from .grader import UsageError
    for d in checks:
        if not os.path.isdir(d):
            raise UsageError(f"--checks {d}: not a folder")
        load_checks_from(d)
    if not exercises(chapter):
        raise UsageError(f"no exercises registered for chapter {chapter}")
    import mathdl
    pkg = os.path.dirname(os.path.abspath(mathdl.__file__))
    out = os.fspath(out)
    tmp = out + ".tmp"
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as z:
        def add_text(name, text, mode=0o644):
            info = zipfile.ZipInfo(name)
            info.external_attr = (0o100000 | mode) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, text)
        add_text("setup.sh", SETUP_SH, 0o755)
        add_text("run_autograder", RUN_AUTOGRADER, 0o755)
        add_text("requirements.txt", REQUIREMENTS)
        add_text("config.json", json.dumps({"chapter": chapter, "timeout": timeout, "memory_mb": memory_mb,
                                            "checks": [f"extra_checks/{i}" for i in range(len(checks))]},
                                           indent=1))
        for root, dirs, files in os.walk(pkg):
            dirs[:] = [d for d in dirs if d != "__pycache__"]
            for f in files:
                if f.endswith((".pyc", ".pyo")):
                    continue
                full = os.path.join(root, f)
                z.write(full, os.path.join("mathdl", os.path.relpath(full, pkg)))
        for i, d in enumerate(checks):
            for f in sorted(os.listdir(d)):
                if f.endswith(".py"):
                    z.write(os.path.join(d, f), f"extra_checks/{i}/{f}")
    os.replace(tmp, out)
    return out


def run(root: str) -> int:
    """What ``run_autograder`` does: grade ``root/submission`` into ``root/results/results.json``."""
    from .grader import Settings, UsageError, grade
    src = os.path.join(root, "source")
    with open(os.path.join(src, "config.json"), encoding="utf-8") as fh:
        cfg = json.load(fh)
    results_dir = os.path.join(root, "results")
    os.makedirs(results_dir, exist_ok=True)
    sub_dir = os.path.join(root, "submission")
    notebooks = []
    for r, _dirs, files in os.walk(sub_dir):
        notebooks += [os.path.join(r, f) for f in files if f.endswith(".ipynb") and not f.startswith(".")]
    result = {"score": 0.0, "output": "", "tests": []}
    if not notebooks:
        result["output"] = "No .ipynb file was found in your submission: upload your notebook file."
    else:
        out = tempfile.mkdtemp(prefix="mathdl-gs-")
        try:
            settings = Settings(out=out, timeout=float(cfg["timeout"]), memory_mb=float(cfg["memory_mb"]), jobs=1,
                                chapter=int(cfg["chapter"]),
                                checks=tuple(os.path.join(src, c) for c in cfg.get("checks", [])))
            rows = grade(sorted(notebooks), settings)
        except UsageError as exc:
            result["output"] = f"The autograder could not run: {exc}"
            rows = []
        finally:
            shutil.rmtree(out, ignore_errors=True)
        if rows:
            best = max(rows, key=lambda r: r["score"])
            result = best
            if len(rows) > 1:
                result["output"] = (f"{len(rows)} notebooks were submitted; graded each and kept the best "
                                    f"({best['extra_data']['submission']}).\n" + result["output"])
    with open(os.path.join(results_dir, "results.json"), "w", encoding="utf-8") as fh:
        json.dump(result, fh, indent=1, ensure_ascii=False)
    return 0


def add_cli(sub):
    p = sub.add_parser("gradescope-run", help="(used by the Gradescope bundle's run_autograder)")
    p.add_argument("--root", default="/autograder")
    p.set_defaults(func=lambda args: run(args.root))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(run(sys.argv[1] if len(sys.argv) > 1 else "/autograder"))
