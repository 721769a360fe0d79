#!/usr/bin/env python
"""Re-execute the book's notebooks in place, storing their outputs and widget state.

    python scripts/refresh_notebooks.py                        # every notebook under book/
    python scripts/refresh_notebooks.py book/01_derivatives.ipynb [more.ipynb ...]
    python scripts/refresh_notebooks.py --timeout 300 book/11_training_from_scratch.ipynb

Each notebook runs top to bottom in a fresh ``python3`` kernel whose working directory is
``book/`` (as under ``jupyter lab book/`` and under nbval), with the state of its ipywidgets
stored in the notebook. The result replaces the notebook atomically: it is written to a
temporary file next to it, then renamed over it. If a cell fails (or the run is interrupted),
the original notebook is left untouched and the failing cell is reported.

CI re-executes every notebook under strict nbval and compares each output with the stored one,
so run this after every edit of a chapter and commit the refreshed notebook. It then rewrites
book/claims.md (scripts/claims_page.py) from the claim records stored in the notebooks.

Exit status: 0 if every notebook was refreshed, 1 if any failed, 2 on a usage error.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BOOK = ROOT / "book"
SKIP_PARTS = {".ipynb_checkpoints", "_build"}


def book_notebooks() -> list[Path]:
    """Every notebook under book/ (the set nbval checks), sorted by path."""
    return sorted(
        p for p in BOOK.rglob("*.ipynb") if not SKIP_PARTS.intersection(p.relative_to(BOOK).parts)
    )


def _cell_summary(cell) -> str:
    first = next((line for line in cell.source.splitlines() if line.strip()), "")
    return first if len(first) <= 70 else first[:67] + "..."


def refresh(path: Path, timeout: int, kernel_name: str) -> tuple[bool, float, str]:
    """Execute one notebook and replace it atomically. Returns (ok, seconds, message)."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    start = time.perf_counter()
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception as exc:  # unreadable JSON, wrong format, ...
        return False, 0.0, f"cannot read the notebook: {type(exc).__name__}: {exc}"

    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name=kernel_name,
        resources={"metadata": {"path": str(BOOK)}},  # cwd of the kernel = book/
        store_widget_state=True,
        record_timing=False,  # no per-cell timestamps in the stored notebook (clean diffs)
        allow_errors=False,
    )
    # The cell being executed, for the error message (nbclient's hook receives it).
    current = {}

    def on_cell_start(cell, cell_index, **_):
        current["index"], current["cell"] = cell_index, cell

    client.on_cell_start = on_cell_start
    try:
        client.execute()
    except (CellExecutionError, CellTimeoutError, DeadKernelError) as exc:
        where = ""
        if "index" in current:
            where = f"cell {current['index']} ({_cell_summary(current['cell'])!r}): "
        if isinstance(exc, CellExecutionError):
            why = f"{exc.ename}: {exc.evalue}"
        elif isinstance(exc, CellTimeoutError):
            why = f"timed out after {timeout} s (raise it with --timeout)"
        else:
            why = f"the kernel died ({exc})"
        return False, time.perf_counter() - start, where + why

    nbformat.validate(nb)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            nbformat.write(nb, f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, path.stat().st_mode & 0o777)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return True, time.perf_counter() - start, "refreshed"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description="Re-execute notebooks in place (outputs and widget state stored).",
    )
    parser.add_argument("notebooks", nargs="*", type=Path,
                        help="notebooks to refresh (default: every notebook under book/)")
    parser.add_argument("--timeout", type=int, default=120,
                        help="seconds allowed per cell (default: 120)")
    parser.add_argument("--kernel", default="python3", help="kernel name (default: python3)")
    args = parser.parse_args(argv)

    paths = [p.resolve() for p in args.notebooks] if args.notebooks else book_notebooks()
    bad = [p for p in paths if p.suffix != ".ipynb" or not p.is_file()]
    if bad:
        parser.error("not a notebook file: " + ", ".join(str(p) for p in bad))
    if not paths:
        print("no notebooks under book/")
        return 0

    failures = 0
    total = time.perf_counter()
    for path in paths:
        shown = os.path.relpath(path)
        print(f"{shown} ...", end=" ", flush=True)
        ok, seconds, message = refresh(path, args.timeout, args.kernel)
        if ok:
            print(f"{message} in {seconds:.1f} s", flush=True)
        else:
            failures += 1
            print(f"FAILED after {seconds:.1f} s, file left unchanged\n    {message}", flush=True)
    print(f"{len(paths) - failures}/{len(paths)} notebooks refreshed "
          f"in {time.perf_counter() - total:.1f} s")
    # The page "Claims checked in this book" is made from the claim records stored in the notebooks.
    sys.path.insert(0, str(ROOT / "scripts"))
    import claims_page
    claims_page.main([])
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
