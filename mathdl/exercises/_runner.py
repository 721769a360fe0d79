"""The grader's executor: runs ONE submitted notebook in this (fresh, limited) process.

    python -m mathdl.exercises._runner WORKDIR CONFIG_JSON

WORKDIR holds ``submission.ipynb`` (a copy) and is the only folder this process may write
(Landlock). The cells run in an IPython ``InteractiveShell`` (magics and ``display`` work, no
Jupyter kernel, no sockets). An error in a cell does not stop the run (like nbclient's
``allow_errors``). After every cell, the objects named by the exercises' ``target`` that the
cell (re)defined are cloudpickled to ``WORKDIR/_grader/objects/NAME.pkl``, so a notebook that
later hangs or kills its process keeps what it had defined. Nothing here decides a grade: the
checks run later in a separate, trusted judge process (``_judge.py``).
"""

from __future__ import annotations

import io
import json
import os
import signal
import sys
import time


class _Timeout(BaseException):
    pass


class CappedWriter(io.TextIOBase):
    """A text stream that keeps the first ``cap`` characters and counts the rest."""

    def __init__(self, raw, cap: int):
        self.raw, self.cap, self.kept, self.dropped = raw, cap, 0, 0

    def writable(self):
        return True

    def write(self, s):
        s = str(s)
        room = self.cap - self.kept
        if room > 0:
            part = s[:room]
            try:
                self.raw.write(part)
                self.raw.flush()
            except (OSError, ValueError):
                pass
            self.kept += len(part)
            self.dropped += len(s) - len(part)
        else:
            self.dropped += len(s)
        return len(s)

    def flush(self):
        pass

    def isatty(self):
        return False

    @property
    def encoding(self):
        return "utf-8"


def notebook_cells(data: bytes) -> list[tuple[str, str]]:
    """[(cell_type, source)] of a notebook's JSON (nbformat 4, or 3's worksheets); ValueError if it
    is not one.  Plain json: nbformat's import alone costs seconds (jsonschema)."""
    nb = json.loads(data.decode("utf-8"))
    if not isinstance(nb, dict):
        raise ValueError("the JSON is not a notebook (not an object)")
    cells = nb.get("cells")
    if cells is None and isinstance(nb.get("worksheets"), list):  # nbformat 3
        cells = [c for ws in nb["worksheets"] if isinstance(ws, dict) for c in ws.get("cells", [])]
    if not isinstance(cells, list):
        raise ValueError("the JSON is not a notebook (no list of cells)")
    out = []
    for c in cells:
        if not isinstance(c, dict):
            raise ValueError("the JSON is not a notebook (a cell is not an object)")
        src = c.get("source", c.get("input", ""))
        if isinstance(src, list):
            src = "".join(str(x) for x in src)
        if not isinstance(src, str):
            raise ValueError("the JSON is not a notebook (a cell's source is not text)")
        out.append((str(c.get("cell_type", "")), src))
    return out


def code_cells_of(data: bytes) -> list[tuple[int, str]]:
    return [(i, src) for i, (kind, src) in enumerate(notebook_cells(data)) if kind == "code"]


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    work, cfg = argv[0], json.loads(argv[1])
    ctl = os.path.join(work, "_grader")
    objdir = os.path.join(ctl, "objects")
    os.makedirs(objdir, exist_ok=True)
    os.chdir(work)

    # Heavy imports BEFORE the limits, so the address-space limit is about the student's code.
    import cloudpickle
    from IPython.core.interactiveshell import InteractiveShell
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot  # noqa: F401
    except Exception:
        pass
    import numpy  # noqa: F401

    # jsonschema (imported by the chapters' `from myst_nb import glue`, through nbformat) builds the
    # grammar of the optional rfc3987_syntax package at import: 1.7 s of every submission's run, for
    # IRI format checks nothing here uses. Without it jsonschema just skips the "iri" formats.
    sys.modules.setdefault("rfc3987_syntax", None)

    from ._sandbox import landlock, runtime_read_paths, set_limits

    notes = {}
    notes["sandbox"] = landlock(runtime_read_paths(), [work]) if cfg.get("landlock", True) else "off"
    set_limits(cfg.get("memory_mb"), file_mb=cfg.get("file_mb", 64), cpu_s=cfg.get("cpu_s"))

    with open("submission.ipynb", "rb") as fh:
        cells_in = code_cells_of(fh.read())
    cap = int(cfg.get("output_cap", 20000))
    out_file = open(os.path.join(ctl, "output.txt"), "w", encoding="utf-8", errors="replace")
    writer = CappedWriter(out_file, cap)
    targets = list(cfg.get("targets", []))
    from traitlets.config import Config
    config = Config()
    config.HistoryManager.enabled = False       # no sqlite file, faster start
    config.HistoryManager.hist_file = ":memory:"
    shell = InteractiveShell.instance(config=config)
    shell.colors = "NoColor"
    # Grading reads what the notebook prints and the objects the exercises name, never what it
    # displays: rich forms (PNGs, the slider figures' precomputed frames) are not computed, only
    # text. This makes a chapter with sliders several seconds faster to grade.
    shell.display_formatter.active_types = ["text/plain"]
    shell.display_formatter.mimebundle_formatter.enabled = False
    shell.display_formatter.ipython_display_formatter.enabled = False
    sys.stdout = sys.stderr = writer
    shell.user_ns["__file__"] = os.path.join(work, "submission.ipynb")

    deadline = time.monotonic() + float(cfg.get("timeout", 60))
    state = {"timed_out": False}

    def on_alarm(signum, frame):
        state["timed_out"] = True
        signal.setitimer(signal.ITIMER_REAL, 1.0)  # again in 1 s, in case the cell swallows it
        raise _Timeout()

    signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, max(deadline - time.monotonic(), 0.01))

    max_pickle = int(cfg.get("file_mb", 64)) * 2**20 // 2
    saved_ids: dict[str, int] = {}
    pickle_errors: dict[str, str] = {}
    cells = []

    def checkpoint():
        for name in targets:
            obj = shell.user_ns.get(name)
            if obj is None or saved_ids.get(name) == id(obj):
                continue
            saved_ids[name] = id(obj)
            try:
                data = cloudpickle.dumps(obj)
            except BaseException as exc:  # noqa: BLE001 - unpicklable object: report, go on
                pickle_errors[name] = f"{type(exc).__name__}: {str(exc)[:200]}"
                data = None
            if data is not None and len(data) > max_pickle:
                pickle_errors[name] = f"it is {len(data) / 2**20:.0f} MB pickled (limit {max_pickle / 2**20:.0f} MB)"
                data = None
            if data is None:  # never grade a stale earlier definition
                try:
                    os.remove(os.path.join(objdir, name + ".pkl"))
                except OSError:
                    pass
                continue
            pickle_errors.pop(name, None)
            tmp = os.path.join(objdir, name + ".tmp")
            try:
                with open(tmp, "wb") as fh:
                    fh.write(data)
                os.replace(tmp, os.path.join(objdir, name + ".pkl"))
            except OSError as exc:  # disk full, file-size limit, folder removed by the notebook...
                pickle_errors[name] = f"could not be saved ({exc.strerror or exc})"

    code_cells = cells_in
    for i, source in code_cells:
        with open(os.path.join(ctl, "progress"), "w") as fh:
            fh.write(str(i + 1))
        entry = {"cell": i + 1}
        t0 = time.monotonic()
        try:
            res = shell.run_cell(source, store_history=False, silent=False)
            err = res.error_before_exec or res.error_in_exec
            if err is not None:
                entry["error"] = f"{type(err).__name__}: {str(err)[:300]}"
        except _Timeout:
            state["timed_out"] = True
        entry["seconds"] = round(time.monotonic() - t0, 3)
        if state["timed_out"]:
            entry["error"] = "timeout"
            cells.append(entry)
            break
        cells.append(entry)
        try:
            checkpoint()
        except _Timeout:
            state["timed_out"] = True
            break
    signal.setitimer(signal.ITIMER_REAL, 0)
    signal.signal(signal.SIGALRM, signal.SIG_IGN)
    sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__
    try:
        checkpoint()
    except BaseException:  # noqa: BLE001
        pass
    report = {"cells": cells, "timed_out": state["timed_out"], "n_code_cells": len(code_cells),
              "output_chars": writer.kept + writer.dropped, "output_dropped": writer.dropped,
              "pickle_errors": pickle_errors, **notes}
    with open(os.path.join(ctl, "run.json"), "w") as fh:
        json.dump(report, fh)
    out_file.close()
    return 0


if __name__ == "__main__":
    os._exit(main())  # no atexit handlers the notebook may have registered
