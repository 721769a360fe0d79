"""The grader's judge: runs the checks on the objects a submission defined, outside its kernel.

    python -m mathdl.exercises._judge WORKDIR CONFIG_JSON     -> one JSON line on stdout

Order matters, and is the point of this module:
1. a FRESH interpreter imports ``mathdl.exercises`` (``_trusted`` captures numpy's and Python's
   functions now) and loads the book's checks and the instructor's extra checks;
2. it restricts itself with Landlock (read the Python installation and the submission's pickled
   objects; write nothing; no network);
3. for each exercise it forks; the CHILD snapshots the identity of every function in numpy,
   builtins, math and mathdl, and only then unpickles the learner's objects (unpickling and
   calling them runs learner code), runs the check with a time limit and a memory limit, and
   compares the snapshot: if learner code replaced any of those functions while being checked,
   the exercise scores 0 with status "tampering"; the child reports through a pipe and exits.
So a notebook's own ``check``, its monkeypatching of numpy/builtins and its edits of mathdl in
its kernel never reach the checks; learner code that tampers while it is being checked only
affects its own exercise, and is detected for the common cases.  What this does NOT stop (see
the instructors' guide): learner code inspecting the check's frames or memory in its own child.
"""

from __future__ import annotations

import json
import os
import pickle
import select
import signal
import sys
import time

_WATCHED = ("builtins", "numpy", "math", "operator", "functools", "mathdl", "pickle", "copyreg", "json",
            "os", "posix")
_dumps, _write = json.dumps, os.write  # captured before any learner code: the report channel


def fingerprint() -> dict:
    """(module, name) -> identity of the value (and of its code) for the modules checks rely on."""
    snap = {}
    for modname, mod in list(sys.modules.items()):
        if mod is None or not modname.startswith(_WATCHED) or modname.startswith("mathdl_extra"):
            continue
        d = getattr(mod, "__dict__", None)
        if not isinstance(d, dict):
            continue
        for key, value in list(d.items()):
            if key.startswith("__") and key != "__import__":
                continue
            snap[(modname, key)] = (id(value), id(getattr(value, "__code__", None)))
    return snap


def _changed(before: dict) -> list[str]:
    now = fingerprint()
    return sorted(f"{m}.{k}" for (m, k), v in before.items() if now.get((m, k), v) != v)


def _child(ex, objdir, cfg, wfd, devnull, snap):
    from . import run_check
    from ._sandbox import set_limits
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    set_limits(cfg.get("memory_mb"), file_mb=1)

    def send(obj):
        _write(wfd, _dumps(obj).encode())

    objs = []
    for name in ex.target:
        path = os.path.join(objdir, name + ".pkl")
        if not os.path.isfile(path):
            send({"status": "missing", "name": name})
            return
        try:
            with open(path, "rb") as fh:
                objs.append(pickle.loads(fh.read()))
        except BaseException as exc:  # noqa: BLE001 - learner objects can fail to load in any way
            send({"status": "unloadable", "name": name, "error": f"{type(exc).__name__}: {str(exc)[:200]}"})
            return
    res = run_check(ex, objs, timeout=cfg.get("check_timeout", 10))
    changed = _changed(snap)
    out = res.to_dict()
    if changed:
        out.update(status="tampering", score=0.0,
                   message="your code replaced " + ", ".join(changed[:5]) + " while it was being checked",
                   hint="graded 0: do not modify numpy, builtins or mathdl from your functions")
    send(out)


def judge(work: str, cfg: dict) -> dict:
    import mathdl.exercises as mx

    from ._sandbox import landlock, runtime_read_paths
    mx.load_checks()
    for d in cfg.get("checks", []):
        mx.load_checks_from(d)
    objdir = os.path.join(work, "_grader", "objects")
    devnull = os.open(os.devnull, os.O_RDWR)
    sandbox = landlock(runtime_read_paths([objdir]), []) if cfg.get("landlock", True) else "off"
    import cloudpickle  # noqa: F401 - imported before the snapshot (unpickling needs it)
    snap = fingerprint()
    results = {}
    limit = float(cfg.get("check_timeout", 10)) + 3.0
    for ex_id in cfg["ids"]:
        ex = mx.REGISTRY.get(ex_id)
        if ex is None:
            results[ex_id] = {"status": "error", "message": f"no check registered for {ex_id}"}
            continue
        r, w = os.pipe()
        sys.stdout.flush()
        pid = os.fork()
        if pid == 0:  # child
            try:
                os.close(r)
                signal.signal(signal.SIGALRM, signal.SIG_DFL)
                _child(ex, objdir, cfg, w, devnull, snap)
            except BaseException:  # noqa: BLE001
                pass
            finally:
                os._exit(0)
        os.close(w)
        data, deadline, killed = b"", time.monotonic() + limit, False
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                os.kill(pid, signal.SIGKILL)
                killed = True
                break
            ready, _, _ = select.select([r], [], [], left)
            if ready:
                chunk = os.read(r, 65536)
                if not chunk:
                    break
                data += chunk
                if len(data) > 1_000_000:
                    os.kill(pid, signal.SIGKILL)
                    break
        os.close(r)
        _, status = os.waitpid(pid, 0)
        try:
            results[ex_id] = json.loads(data.decode()) if data else None
        except ValueError:
            results[ex_id] = None
        if results[ex_id] is None:
            if killed:
                results[ex_id] = {"status": "failed", "message": f"took longer than {limit:g} s while being checked",
                                  "hint": "is there a loop that never ends?"}
            else:
                how = (f"signal {os.WTERMSIG(status)}" if os.WIFSIGNALED(status)
                       else f"exit code {os.WEXITSTATUS(status)}")
                results[ex_id] = {"status": "failed",
                                  "message": f"your code ended the checking process ({how})",
                                  "hint": "do not call sys.exit/os._exit or allocate huge arrays in your functions"}
    return {"results": results, "sandbox": sandbox}


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    out = judge(argv[0], json.loads(argv[1]))
    sys.stdout.write(json.dumps(out) + "\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    os._exit(main())
