"""Benchmark the batch grader: N copies of a chapter (half the book's solutions, half its student
edition) graded with --jobs J; prints seconds per submission.

    python benchmarks/grading.py [--chapter 1] [--copies 30] [--jobs 2]

Also prints, from the same run, how long grading one submission alone takes (--jobs 1) and how long
the chapter takes to execute in a Jupyter kernel (nbclient, as a reader's "Run all"): the figure the
target "under 5 s per submission for a chapter that executes in 3 s" is relative to.
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _grade(folder, out, chapter, jobs):
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "mathdl.exercises", "grade", str(folder), "--out", str(out),
                           "--chapter", str(chapter), "--jobs", str(jobs), "--timeout", "120"],
                          capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(proc.stderr)
    with open(Path(out) / "grades.csv", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    return wall, rows


def _execute(nb, folder):
    """Wall time of running ``nb`` top to bottom in a fresh python3 kernel (kernel start included)."""
    import copy

    from nbclient import NotebookClient

    folder.mkdir()
    t0 = time.perf_counter()
    NotebookClient(copy.deepcopy(nb), timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(folder)}}).execute()
    return time.perf_counter() - t0


def main(argv=None):
    import nbformat

    from mathdl.exercises.student import student_notebook
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--chapter", type=int, default=1)
    ap.add_argument("--copies", type=int, default=30)
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args(argv)
    book = sorted((ROOT / "book").glob(f"{args.chapter:02d}_*.ipynb"))
    if not book:
        raise SystemExit(f"no notebook for chapter {args.chapter} in book/")
    nb = nbformat.read(book[0], as_version=4)
    student, _ = student_notebook(nb)
    with tempfile.TemporaryDirectory() as tmp:
        one = Path(tmp, "one")
        one.mkdir()
        nbformat.write(nb, one / "solution.ipynb")
        single, _ = _grade(one, Path(tmp, "out1"), args.chapter, 1)
        subs = Path(tmp, "subs")
        subs.mkdir()
        for i in range(args.copies):
            nbformat.write(nb if i % 2 == 0 else student, subs / f"student{i:03d}.ipynb")
        wall, rows = _grade(subs, Path(tmp, "out"), args.chapter, args.jobs)
        executed = _execute(nb, Path(tmp, "exec"))
    statuses = sorted({r["status"] for r in rows})
    full = sum(1 for r in rows if r["total"] == r["max_total"])
    print(f"chapter {args.chapter} ({book[0].name}): executing it in a Jupyter kernel (nbclient): "
          f"{executed:.2f} s wall")
    print(f"chapter {args.chapter} ({book[0].name}): one submission alone (--jobs 1): {single:.2f} s wall")
    print(f"{args.copies} submissions ({full} full marks, {args.copies - full} not attempted; statuses "
          f"{statuses}) with --jobs {args.jobs}: {wall:.1f} s, {wall / args.copies:.2f} s per submission "
          f"on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
