"""The batch grader: a folder of submitted notebooks -> grades.csv + Gradescope-format JSON.

    python -m mathdl.exercises grade submissions/ --out grades/ [--chapter N] [--timeout 60]
        [--memory 2048] [--jobs 2] [--checks EXTRA_DIR] [--files DATA_DIR] [--resume]

For each submission (each regular file found; folders are searched recursively):
1. its bytes are read once and hashed; a non-notebook file or corrupt JSON gets the status
   ``invalid notebook`` (a row with zeros and the reason);
2. the copy is executed by ``_runner.py`` in a new process in a temporary folder, under a
   wall-clock timeout, an address-space limit (RLIMIT_AS), a file-size limit, capped captured
   output, a reduced environment, and Landlock (read only the Python installation, write only
   the temporary folder, no TCP) where the kernel has it;
3. the objects the exercises ask for are passed (cloudpickled) to ``_judge.py``, a fresh process
   that imported the checks and captured numpy's functions BEFORE it loads any learner object,
   and runs each check in a forked, limited child;
4. the file is hashed again (an input that changed is reported), the row is written to
   ``grades.csv`` and ``<submission>.json`` at once (an interrupted batch keeps what it graded;
   ``--resume`` skips submissions already graded with the same content and settings).
Exit status: 0 when the batch was graded (whatever the scores); 2 for usage errors.
"""

from __future__ import annotations

import argparse
import collections
import concurrent.futures as futures
import csv
import dataclasses
import hashlib
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

STATUSES = ("ok", "timeout", "crashed", "invalid notebook", "empty notebook", "wrong chapter", "error")
CHECK_CALL = re.compile(r"""\bcheck\(\s*["'](?P<id>\d+\.\d+)["']""")
PROMPT = re.compile(r"Exercise[ \t]+(?P<id>\d+\.\d+)")
SAFE_ENV = ("PATH", "LANG", "LANGUAGE", "LC_ALL", "LC_CTYPE", "TZ", "PYTHONPATH", "VIRTUAL_ENV",
            "CONDA_PREFIX", "SYSTEMROOT")
SKIP_NAMES = (".DS_Store", "Thumbs.db")


class UsageError(Exception):
    pass


@dataclasses.dataclass
class Settings:
    out: str
    timeout: float = 60.0
    memory_mb: float = 2048.0
    jobs: int = 2
    checks: tuple = ()
    files: tuple = ()
    resume: bool = False
    chapter: int | None = None
    check_timeout: float = 10.0
    output_cap: int = 20000
    landlock: bool = True
    ids: tuple = ()

    def key(self) -> dict:  # what a resumed result must have been graded with
        return {"ids": list(self.ids), "timeout": self.timeout, "memory_mb": self.memory_mb,
                "checks": [os.path.realpath(c) for c in self.checks]}


@dataclasses.dataclass
class Submission:
    path: str      # absolute
    rel: str       # as shown in the CSV
    key: str       # file-system-safe name of its JSON


# --- finding submissions ---------------------------------------------------------------------
def _safe_key(rel: str) -> str:
    stem = rel[:-6] if rel.endswith(".ipynb") else rel
    key = re.sub(r"[^A-Za-z0-9._-]+", "_", stem.replace(os.sep, "__")).strip("._") or "submission"
    return key


def discover(inputs, out_dir) -> list[Submission]:
    out_real = os.path.realpath(out_dir)
    subs, seen = [], set()
    for arg in inputs:
        if not os.path.lexists(arg):
            raise UsageError(f"{arg}: no such file or folder")
        real = os.path.realpath(arg)
        if os.path.isdir(arg):
            if out_real == real or out_real.startswith(real + os.sep):
                raise UsageError(f"--out {out_dir} is inside the submissions folder {arg}: the grader never "
                                 f"writes into the submissions; choose another folder")
            for root, dirs, files in os.walk(arg):
                dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != "__MACOSX"
                                 and os.path.realpath(os.path.join(root, d)) != out_real)
                for f in sorted(files):
                    if f.startswith(".") or f in SKIP_NAMES:
                        continue
                    full = os.path.join(root, f)
                    subs.append((os.path.abspath(full), os.path.relpath(full, arg)))
        else:
            subs.append((os.path.abspath(arg), os.path.basename(arg)))
    out = []
    for full, rel in subs:
        if full in seen:
            continue
        seen.add(full)
        key = _safe_key(rel)
        n, base = 2, key
        while key in {s.key for s in out} or key == "grades":
            key, n = f"{base}-{n}", n + 1
        out.append(Submission(full, rel, key))
    if not out:
        raise UsageError("no submissions found in " + ", ".join(inputs))
    return out


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _file_sha(path) -> str | None:
    try:
        with open(path, "rb") as fh:
            return _sha256(fh.read())
    except OSError:
        return None


def parse_notebook(data: bytes, name: str):
    """(notebook, None) or (None, reason) for the bytes of a submission. The notebook is
    ``{"cells": [{"cell_type": ..., "source": str}, ...]}`` (parsed with plain json)."""
    from ._runner import notebook_cells
    if not name.lower().endswith(".ipynb"):
        return None, f"not a notebook file ({os.path.splitext(name)[1] or 'no extension'}); hand in the .ipynb"
    if not data.strip():
        return None, "the file is empty (0 bytes)"
    try:
        cells = notebook_cells(data)
    except UnicodeDecodeError:
        return None, "the file is not UTF-8 text (a binary file renamed .ipynb?)"
    except json.JSONDecodeError as exc:
        return None, f"corrupt notebook JSON ({str(exc)[:200]})"
    except ValueError as exc:  # valid JSON, but not a notebook
        return None, str(exc)[:200]
    except RecursionError:
        return None, "corrupt notebook JSON (nested too deeply)"
    return {"cells": [{"cell_type": k, "source": s} for k, s in cells]}, None


def notebook_ids(nb) -> list[str]:
    ids = []
    for c in nb.get("cells", []):
        src = c.get("source", "")
        rx = CHECK_CALL if c.get("cell_type") == "code" else PROMPT
        ids += [m.group("id") for m in rx.finditer(src)]
    return list(dict.fromkeys(ids))


# --- grading one submission --------------------------------------------------------------------
def _env(work: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k in SAFE_ENV or k.startswith("LC_")}
    env.update(HOME=work, TMPDIR=os.path.join(work, "tmp"), MPLCONFIGDIR=os.path.join(work, ".mpl"),
               MPLBACKEND="Agg", IPYTHONDIR=os.path.join(work, ".ipython"), PYTHONDONTWRITEBYTECODE="1",
               PYTHONHASHSEED="0", OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1",
               PYTHONIOENCODING="utf-8", PYTHONNOUSERSITE="1")
    import mathdl
    pkg_parent = os.path.dirname(os.path.dirname(os.path.abspath(mathdl.__file__)))
    env["PYTHONPATH"] = os.pathsep.join([pkg_parent] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p])
    return env


_FONT_CACHE = None


def _font_cache() -> list[str]:
    global _FONT_CACHE
    if _FONT_CACHE is None:
        try:
            import matplotlib
            d = matplotlib.get_cachedir()
            _FONT_CACHE = [os.path.join(d, f) for f in os.listdir(d) if f.startswith("fontlist")]
        except Exception:  # noqa: BLE001 - matplotlib optional
            _FONT_CACHE = []
    return _FONT_CACHE


def _prepare(work: str, data: bytes, settings: Settings):
    for d in ("tmp", ".mpl", ".ipython", "_grader/objects"):
        os.makedirs(os.path.join(work, d), exist_ok=True)
    for f in _font_cache():
        shutil.copy(f, os.path.join(work, ".mpl"))
    for d in settings.files:
        for name in os.listdir(d):
            src = os.path.join(d, name)
            dst = os.path.join(work, name)
            if os.path.isdir(src):
                shutil.copytree(src, dst, dirs_exist_ok=True)
            else:
                shutil.copy(src, dst)
    with open(os.path.join(work, "submission.ipynb"), "wb") as fh:
        fh.write(data)


def _kill_group(proc):
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


_LIVE: set = set()          # running child processes, killed if the batch is interrupted
_LIVE_LOCK = threading.Lock()
_STOPPING = threading.Event()


def _kill_all():
    _STOPPING.set()
    with _LIVE_LOCK:
        for proc in list(_LIVE):
            _kill_group(proc)


def _run(cmd, work, env, timeout, log_path, capture=False):
    """Run ``cmd`` in its own session; (returncode, killed_on_timeout, stdout bytes)."""
    if _STOPPING.is_set():
        raise KeyboardInterrupt
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd, cwd=work, env=env, stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE if capture else log, stderr=log, start_new_session=True)
        with _LIVE_LOCK:
            _LIVE.add(proc)
        try:
            try:
                out, _ = proc.communicate(timeout=timeout)
                killed = False
            except subprocess.TimeoutExpired:
                _kill_group(proc)
                out, _ = proc.communicate()
                killed = True
        finally:
            with _LIVE_LOCK:
                _LIVE.discard(proc)
        _kill_group(proc)  # strays the notebook may have started in its session
    return proc.returncode, killed, out or b""


def _tail(path, n=1500) -> str:
    try:
        with open(path, "rb") as fh:
            fh.seek(0, 2)
            size = fh.tell()
            fh.seek(max(0, size - n))
            return fh.read().decode("utf-8", "replace")
    except OSError:
        return ""


def _read_json(path, limit=5_000_000):
    try:
        if os.path.getsize(path) > limit:
            return None
        with open(path, encoding="utf-8") as fh:
            value = json.load(fh)
        return value if isinstance(value, dict) else None
    except (OSError, ValueError):
        return None


def _defining_cells(nb, name) -> list[int]:
    rx = re.compile(rf"^\s*(?:def|class)\s+{re.escape(name)}\b|^\s*{re.escape(name)}\s*=", re.M)
    found = []
    for i, c in enumerate(nb.get("cells", [])):
        if c.get("cell_type") == "code" and rx.search(c.get("source", "")):
            found.append(i + 1)
    return found


def grade_one(sub: Submission, settings: Settings, exercises: dict) -> dict:
    """Grade one submission; never raises (an internal failure becomes status "error")."""
    t0 = time.monotonic()
    try:
        res = _grade_one(sub, settings, exercises, t0)
    except KeyboardInterrupt:
        raise
    except Exception as exc:  # noqa: BLE001 - one bad submission must not stop the batch
        import traceback
        tb = traceback.format_exc(limit=3)
        res = _result(sub, settings, exercises, {}, "error", f"internal grader error: {type(exc).__name__}: "
                      f"{exc}", t0, _file_sha(sub.path), extra={"traceback": tb})
    if _file_sha(sub.path) != res["extra_data"]["sha256"]:  # the sandbox should make this impossible
        res["extra_data"]["input_changed"] = True
        res["extra_data"]["message"] = ("WARNING: the input file changed during grading; "
                                        + (res["extra_data"]["message"] or ""))
    return res


def _result(sub, settings, exercises, per_ex, status, message, t0, sha, extra=None) -> dict:
    tests, total = [], 0.0
    for ex_id, ex in exercises.items():
        r = per_ex.get(ex_id) or {"status": "failed", "message": message or status}
        score = float(r.get("score") or 0.0) if r.get("status") == "passed" else 0.0
        total += score
        text = r.get("message") or ""
        if r.get("hint"):
            text += f"\nHint: {r['hint']}"
        tests.append({"name": f"Exercise {ex_id}: {ex.title}", "number": ex_id, "score": score,
                      "max_score": ex.points, "status": "passed" if r.get("status") == "passed" else "failed",
                      "output": f"[{r.get('status', 'failed')}] {text}".strip(), "visibility": "visible"})
    max_total = sum(ex.points for ex in exercises.values())
    summary = f"{sub.rel}: {status}" + (f" — {message}" if message else "") + f"; score {total:g}/{max_total:g}"
    return {
        "score": total,
        "execution_time": round(time.monotonic() - t0, 2),
        "output": summary,
        "stdout_visibility": "hidden",
        "tests": tests,
        "extra_data": {"submission": sub.rel, "status": status, "message": message, "sha256": sha,
                       "max_score": max_total, "settings": settings.key(), **(extra or {})},
    }


def _grade_one(sub, settings, exercises, t0) -> dict:
    with open(sub.path, "rb") as fh:
        data = fh.read()
    sha = _sha256(data)
    if os.path.islink(sub.path):
        return _result(sub, settings, exercises, {}, "invalid notebook", "a symbolic link, not a file", t0, sha)
    nb, reason = parse_notebook(data, sub.rel)
    if nb is None:
        return _result(sub, settings, exercises, {}, "invalid notebook", reason, t0, sha)
    code = [c for c in nb["cells"] if c["cell_type"] == "code" and c["source"].strip()]
    if not code:
        return _result(sub, settings, exercises, {}, "empty notebook", "the notebook has no code cells", t0, sha)
    own = notebook_ids(nb)
    chapters = {int(i.split(".")[0]) for i in own}
    wanted = {ex.chapter for ex in exercises.values()}
    notes = []
    if chapters and wanted and not (chapters & wanted):
        notes.append(f"this notebook has the exercises of chapter {', '.join(map(str, sorted(chapters)))} "
                     f"({', '.join(own[:6])}), the assignment is chapter {', '.join(map(str, sorted(wanted)))}")

    work = tempfile.mkdtemp(prefix="mathdl-grade-")
    private = tempfile.mkdtemp(prefix="mathdl-grade-log-")
    try:
        _prepare(work, data, settings)
        env = _env(work)
        targets = sorted({t for ex in exercises.values() for t in ex.target})
        cfg = {"timeout": settings.timeout, "memory_mb": settings.memory_mb, "output_cap": settings.output_cap,
               "targets": targets, "landlock": settings.landlock, "file_mb": 64,
               "cpu_s": int(settings.timeout * 2 + 30)}
        rc, killed, _ = _run([sys.executable, "-m", "mathdl.exercises._runner", work, json.dumps(cfg)], work, env,
                             settings.timeout + 15, os.path.join(private, "runner.log"))
        run = _read_json(os.path.join(work, "_grader", "run.json")) or {}
        progress = ""
        try:
            with open(os.path.join(work, "_grader", "progress")) as fh:
                progress = fh.read(20).strip()
        except OSError:
            pass
        status, message = "ok", ""
        if killed or run.get("timed_out"):
            status = "timeout"
            message = (f"stopped after {settings.timeout:g} s at cell {progress or '?'} "
                       f"(an infinite loop, or far more work than asked?); graded what was defined before")
        elif not run:
            status = "crashed"
            how = f"signal {-rc}" if rc is not None and rc < 0 else f"exit code {rc}"
            tail = _tail(os.path.join(private, "runner.log"), 300).strip().splitlines()
            message = (f"the notebook's process ended at cell {progress or '?'} ({how}"
                       + (f": {tail[-1][:150]}" if tail else "") + "); graded what was defined before")
        # run.json was written by the process that ran student code: trust its shape, not its word
        # (it only ever explains; scores come from the judge).
        cells_run = run.get("cells") if isinstance(run.get("cells"), list) else []
        errors = [{"cell": c["cell"], "error": c["error"]} for c in cells_run
                  if isinstance(c, dict) and isinstance(c.get("cell"), int) and isinstance(c.get("error"), str)
                  and c["error"] != "timeout"]
        for key in ("output_chars", "output_dropped"):
            if not isinstance(run.get(key), int):
                run[key] = 0
        if not isinstance(run.get("pickle_errors"), dict):
            run["pickle_errors"] = {}

        jcfg = {"ids": list(exercises), "checks": [os.path.realpath(c) for c in settings.checks],
                "memory_mb": settings.memory_mb, "check_timeout": settings.check_timeout,
                "landlock": settings.landlock}
        jtimeout = len(exercises) * (settings.check_timeout + 4) + 30
        # The judge starts in the grader's private folder with its own HOME: nothing the notebook wrote
        # (a pickle.py next to it, a usercustomize.py, a matplotlibrc) is on its path or in its config.
        judge_home = os.path.join(private, "home")
        os.makedirs(os.path.join(judge_home, "tmp"), exist_ok=True)
        jrc, jkilled, jout = _run([sys.executable, "-m", "mathdl.exercises._judge", work, json.dumps(jcfg)],
                                  judge_home, _env(judge_home), jtimeout, os.path.join(private, "judge.log"),
                                  capture=True)
        try:
            judged = json.loads(jout.decode().strip().splitlines()[-1])
            per_ex = judged["results"]
        except (ValueError, IndexError, KeyError):
            tail = _tail(os.path.join(private, "judge.log"), 600)
            return _result(sub, settings, exercises, {}, "error",
                           f"internal grader error: the judge failed (exit {jrc}{', killed' if jkilled else ''}): "
                           f"{tail.strip().splitlines()[-1] if tail.strip() else ''}", t0, sha)
        for ex_id, r in per_ex.items():
            if not isinstance(r, dict):
                continue
            if r.get("status") in ("missing", "unloadable"):
                name = r.get("name", "?")
                if r["status"] == "missing":
                    text = f"`{name}` is not defined in the notebook"
                    cells = _defining_cells(nb, name)
                    errs = [e for e in errors if e.get("cell") in cells]
                    if errs:
                        text += f": its cell {errs[0]['cell']} raised {errs[0]['error']}"
                    elif not cells:
                        text += " (no cell defines it: deleted or renamed?)"
                    elif status in ("timeout", "crashed"):
                        text += " (the run stopped before its cell)"
                    pe = run["pickle_errors"].get(name)
                    if pe:
                        text = f"`{name}` could not be passed to the checker ({str(pe)[:200]})"
                else:
                    text = f"`{name}` could not be loaded by the checker ({r.get('error')})"
                per_ex[ex_id] = {"status": "failed", "message": text}
        if notes and status == "ok":
            status, message = "wrong chapter", notes[0]
        if status == "ok":
            bits = [f"cell {e['cell']} raised {e['error'][:120]}" for e in errors[:2]]
            if len(errors) > 2:
                bits.append(f"{len(errors) - 2} more cell error(s)")
            if run.get("output_dropped"):
                bits.append(f"printed {run.get('output_chars', 0):,} characters, kept the first "
                            f"{settings.output_cap:,}")
            message = "; ".join(bits)
        extra = {"sandbox": str(run.get("sandbox", "?"))[:100], "judge_sandbox": judged.get("sandbox"),
                 "cell_errors": errors[:20], "output_chars": run.get("output_chars", 0),
                 "output_dropped": run.get("output_dropped", 0)}
        res = _result(sub, settings, exercises, per_ex, status, message, t0, sha, extra)
        res["output"] += _output_excerpt(work, settings.output_cap)
        return res
    finally:
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(private, ignore_errors=True)


def _output_excerpt(work, cap) -> str:
    path = os.path.join(work, "_grader", "output.txt")
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            text = fh.read(min(cap, 4000))
    except OSError:
        return ""
    return f"\n\n--- notebook output (first {len(text)} characters) ---\n{text}" if text.strip() else ""


# --- the batch -----------------------------------------------------------------------------------
def select_exercises(settings: Settings, notebooks: dict) -> dict:
    """The exercises to grade: those of ``--chapter``, else of the chapter most submissions have."""
    from . import exercises, load_checks, load_checks_from
    load_checks()
    for d in settings.checks:
        load_checks_from(d)
    chapter = settings.chapter
    if chapter is None:
        votes = collections.Counter()
        for nb in notebooks.values():
            for ch in {int(i.split(".")[0]) for i in notebook_ids(nb)}:
                votes[ch] += 1
        known = {ex.chapter for ex in exercises()}
        votes = collections.Counter({c: n for c, n in votes.items() if c in known})
        if not votes:
            raise UsageError("cannot tell which chapter these submissions are (no check(\"N.k\", ...) calls "
                             "found); pass --chapter N")
        chapter = max(sorted(votes), key=lambda c: votes[c])
    chosen = exercises(chapter)
    if not chosen:
        raise UsageError(f"no exercises registered for chapter {chapter}")
    return {ex.id: ex for ex in chosen}


def write_csv(path, rows: list[dict], exercises: dict):
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    max_total = sum(ex.points for ex in exercises.values())
    w.writerow(["submission", *exercises, "total", "max_total", "status", "message"])
    for r in rows:
        scores = {t["number"]: t["score"] for t in r["tests"]}
        e = r["extra_data"]
        w.writerow([e["submission"], *(f"{scores.get(i, 0):g}" for i in exercises), f"{r['score']:g}",
                    f"{max_total:g}", e["status"], (e.get("message") or "").replace("\n", " ")])
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8", newline="") as fh:
        fh.write(buf.getvalue())
    os.replace(tmp, path)


def _write_json(path, obj):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(obj, fh, indent=1, ensure_ascii=False)
    os.replace(tmp, path)


class _Progress:
    def __init__(self, total):
        self.total, self.done, self.bar = total, 0, None
        self.tty = sys.stderr.isatty()
        if self.tty:
            try:
                from tqdm import tqdm
                self.bar = tqdm(total=total, unit="nb", file=sys.stderr, desc="grading")
            except ImportError:
                self.bar = None

    def update(self, name, status, score, max_score):
        self.done += 1
        if self.bar is not None:
            self.bar.set_postfix_str(f"{name[:30]} {status}", refresh=False)
            self.bar.update(1)
        elif self.tty:
            width = 30
            filled = int(width * self.done / self.total)
            sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total} "
                             f"{name[:30]:30s} {status:16s}")
            sys.stderr.flush()
        else:
            sys.stderr.write(f"[{self.done}/{self.total}] {name}: {status}, {score:g}/{max_score:g}\n")

    def close(self):
        if self.bar is not None:
            self.bar.close()
        elif self.tty:
            sys.stderr.write("\n")


def grade(inputs, settings: Settings) -> list[dict]:
    """Grade every submission under ``inputs`` into ``settings.out``; returns the rows."""
    if settings.jobs < 1:
        raise UsageError("--jobs must be at least 1")
    if settings.timeout <= 0 or settings.memory_mb <= 0:
        raise UsageError("--timeout and --memory must be positive")
    for d in settings.checks:
        if not os.path.isdir(d):
            raise UsageError(f"--checks {d}: not a folder")
    for d in settings.files:
        if not os.path.isdir(d):
            raise UsageError(f"--files {d}: not a folder")
    subs = discover(inputs, settings.out)
    out_real = os.path.realpath(settings.out)
    for s in subs:
        if os.path.realpath(s.path).startswith(out_real + os.sep):
            raise UsageError(f"{s.rel} is inside --out {settings.out}")
    notebooks = {}
    for s in subs:
        try:
            with open(s.path, "rb") as fh:
                nb, _ = parse_notebook(fh.read(), s.rel)
        except OSError:
            nb = None
        if nb is not None:
            notebooks[s.key] = nb
    exercises = select_exercises(settings, notebooks)
    settings.ids = tuple(exercises)
    os.makedirs(settings.out, exist_ok=True)

    rows: dict[str, dict] = {}
    todo = []
    for s in subs:
        old = _read_json(os.path.join(settings.out, s.key + ".json")) if settings.resume else None
        if (old and old.get("extra_data", {}).get("sha256") == _file_sha(s.path)
                and old.get("extra_data", {}).get("settings") == json.loads(json.dumps(settings.key()))
                and old["extra_data"].get("status") != "error"):
            rows[s.key] = old
        else:
            todo.append(s)
    order = [s.key for s in subs]
    csv_path = os.path.join(settings.out, "grades.csv")
    lock = threading.Lock()
    progress = _Progress(len(todo))
    print(f"grading {len(todo)} submission(s) against exercises {', '.join(exercises)}"
          + (f" ({len(rows)} already graded, --resume)" if rows else "")
          + f" with --jobs {settings.jobs}, --timeout {settings.timeout:g} s, --memory {settings.memory_mb:g} MB",
          file=sys.stderr)

    def finish(sub, res):
        with lock:
            _write_json(os.path.join(settings.out, sub.key + ".json"), res)
            rows[sub.key] = res
            write_csv(csv_path, [rows[k] for k in order if k in rows], exercises)
            e = res["extra_data"]
            progress.update(sub.rel, e["status"], res["score"], e["max_score"])

    write_csv(csv_path, [rows[k] for k in order if k in rows], exercises)
    pool = futures.ThreadPoolExecutor(max_workers=settings.jobs)
    try:
        jobs = {pool.submit(grade_one, s, settings, exercises): s for s in todo}
        for fut in futures.as_completed(jobs):
            finish(jobs[fut], fut.result())
    except KeyboardInterrupt:
        pool.shutdown(wait=False, cancel_futures=True)
        _kill_all()
        progress.close()
        print(f"\ninterrupted: {len(rows)} graded and saved in {settings.out}; rerun with --resume",
              file=sys.stderr)
        raise
    pool.shutdown()
    progress.close()
    return [rows[k] for k in order if k in rows]


# --- command line ----------------------------------------------------------------------------------
def add_cli(sub):
    p = sub.add_parser("grade", help="grade a folder of submitted notebooks (CSV + Gradescope JSON)",
                       description=__doc__.split("\n\n")[0])
    p.add_argument("inputs", nargs="+", metavar="SUBMISSION_OR_FOLDER")
    p.add_argument("--out", required=True, help="output folder for grades.csv and one JSON per submission")
    p.add_argument("--chapter", type=int, default=None,
                   help="the assignment's chapter (default: the chapter most submissions belong to)")
    p.add_argument("--timeout", type=float, default=60.0, help="wall-clock seconds per notebook (default 60)")
    p.add_argument("--memory", type=float, default=2048.0, help="address-space limit in MB (default 2048)")
    p.add_argument("--jobs", type=int, default=2, help="submissions graded in parallel (default 2)")
    p.add_argument("--checks", action="append", default=[], metavar="EXTRA_DIR",
                   help="folder of extra (e.g. hidden) checks, *.py using @exercise; repeatable")
    p.add_argument("--files", action="append", default=[], metavar="DATA_DIR",
                   help="folder whose files are copied next to every submission (data it reads)")
    p.add_argument("--check-timeout", type=float, default=10.0, help="seconds per check (default 10)")
    p.add_argument("--resume", action="store_true", help="skip submissions already graded in --out")
    p.add_argument("--no-landlock", action="store_true", help=argparse.SUPPRESS)
    p.set_defaults(func=_cmd_grade)

    from . import gradescope
    gradescope.add_cli(sub)

    p = sub.add_parser("gradescope", help="write a Gradescope autograder bundle (zip)")
    p.add_argument("--out", required=True, help="the zip to write, e.g. autograder.zip")
    p.add_argument("--chapter", type=int, required=True)
    p.add_argument("--timeout", type=float, default=60.0)
    p.add_argument("--memory", type=float, default=2048.0)
    p.add_argument("--checks", action="append", default=[], metavar="EXTRA_DIR")
    p.set_defaults(func=_cmd_gradescope)


def _cmd_grade(args) -> int:
    settings = Settings(out=args.out, timeout=args.timeout, memory_mb=args.memory, jobs=args.jobs,
                        checks=tuple(args.checks), files=tuple(args.files), resume=args.resume,
                        chapter=args.chapter, check_timeout=args.check_timeout, landlock=not args.no_landlock)
    try:
        rows = grade(args.inputs, settings)
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    counts = collections.Counter(r["extra_data"]["status"] for r in rows)
    print(f"graded {len(rows)} submission(s): " + ", ".join(f"{n} {s}" for s, n in counts.most_common())
          + f"; wrote {os.path.join(args.out, 'grades.csv')}", file=sys.stderr)
    changed = [r["extra_data"]["submission"] for r in rows if r["extra_data"].get("input_changed")]
    if changed:
        print("warning: input files changed during grading: " + ", ".join(changed), file=sys.stderr)
    return 0


def _cmd_gradescope(args) -> int:
    from .gradescope import write_bundle
    try:
        path = write_bundle(args.out, chapter=args.chapter, timeout=args.timeout, memory_mb=args.memory,
                            checks=args.checks)
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {path}: upload it as the assignment's autograder on Gradescope", file=sys.stderr)
    return 0
