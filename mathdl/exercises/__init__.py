"""Exercise checks for the book's notebooks, the student edition, and the batch grader.

In a notebook::

    from mathdl.exercises import check
    check("1.2", central_difference)      # prints one line, returns a CheckResult

prints ``✅ Exercise 1.2 passed: ...``, ``❌ Exercise 1.2 failed: ...`` plus a hint
naming the likely mistake, or ``⏳ Exercise 1.2: not yet attempted ...`` for a
stub that still raises ``NotImplementedError``.

From a shell::

    python -m mathdl.exercises student book/ student/          # write the student edition
    python -m mathdl.exercises grade submissions/ --out grades/  # batch-grade notebooks
    python -m mathdl.exercises list                              # the registered exercises

How to write a check: see :mod:`mathdl.exercises._trusted` (its docstring is the
check-writing guide) and :mod:`mathdl.exercises.registry`.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import pkgutil
import signal
import sys
import sysconfig
import threading
import time

# Import the trusted references FIRST: they are captured now, before learner code can patch numpy.
from . import _trusted  # noqa: F401  (import for its side effect: the capture)
from .registry import REGISTRY, CheckResult, Exercise, Wrong, exercise

__all__ = ["check", "run_check", "get_exercise", "exercises", "load_checks", "load_checks_from",
           "CheckResult", "Exercise", "Wrong", "exercise", "REGISTRY", "UnknownExercise",
           "DEFAULT_TIMEOUT", "NOT_ATTEMPTED"]

DEFAULT_TIMEOUT = 5.0  # seconds a single check (learner code included) may take
NOT_ATTEMPTED = "not yet attempted — replace the `raise NotImplementedError` with your solution"
_MAX_TEXT = 300

_LOADED = False
LOAD_ERRORS: dict[str, str] = {}       # check module name -> "ExcType: message"
_TRUSTED_DIRS: list[str] = []          # code in these files is "ours"; any other frame is the learner's


class UnknownExercise(LookupError):
    """``check`` was given an exercise id that has no registered check."""

    def __str__(self):  # LookupError/KeyError would repr-quote the message
        return str(self.args[0]) if self.args else ""


class CheckTimeout(BaseException):
    """Raised by the alarm inside a check that runs too long (BaseException: `except Exception` can't eat it)."""


# --- loading -----------------------------------------------------------------------
def _init_trusted_dirs():
    if _TRUSTED_DIRS:
        return
    here = os.path.dirname(os.path.abspath(__file__))
    roots = {os.path.dirname(here)}  # the mathdl package
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        try:
            roots.add(sysconfig.get_paths()[key])
        except KeyError:
            pass
    import numpy
    roots.add(os.path.dirname(os.path.abspath(numpy.__file__)))
    _TRUSTED_DIRS.extend(sorted(os.path.realpath(r) + os.sep for r in roots if r))


def load_checks(force: bool = False) -> dict[str, Exercise]:
    """Import every ``mathdl/exercises/checks/ch*.py`` (once). A module that fails to import is
    recorded in ``LOAD_ERRORS`` (its exercises then report status "error"); the others still load."""
    global _LOADED
    if _LOADED and not force:
        return REGISTRY
    _init_trusted_dirs()
    from . import checks as pkg
    for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda m: m.name):
        if not info.name.startswith("ch"):
            continue
        name = f"{pkg.__name__}.{info.name}"
        try:
            if force and name in sys.modules:
                importlib.reload(sys.modules[name])
            else:
                importlib.import_module(name)
            LOAD_ERRORS.pop(info.name, None)
        except Exception as exc:  # a chapter's checks being broken must not break the others
            LOAD_ERRORS[info.name] = f"{type(exc).__name__}: {exc}"
    _LOADED = True
    return REGISTRY


def load_checks_from(directory) -> list[str]:
    """Import every ``*.py`` in ``directory`` (an instructor's extra checks, e.g. hidden tests).

    Each file registers checks with ``@exercise`` exactly like the book's checks. Returns the ids
    that were added. Errors propagate (an instructor wants to know at once).
    """
    load_checks()
    directory = os.path.realpath(os.fspath(directory))
    if not os.path.isdir(directory):
        raise NotADirectoryError(f"--checks: {directory} is not a directory")
    before = set(REGISTRY)
    if directory + os.sep not in _TRUSTED_DIRS:
        _TRUSTED_DIRS.append(directory + os.sep)
    for fname in sorted(os.listdir(directory)):
        if not fname.endswith(".py") or fname.startswith("_"):
            continue
        modname = "mathdl_extra_checks_" + "".join(c if c.isalnum() else "_" for c in fname[:-3])
        spec = importlib.util.spec_from_file_location(modname, os.path.join(directory, fname))
        module = importlib.util.module_from_spec(spec)
        sys.modules[modname] = module
        spec.loader.exec_module(module)
    return sorted(set(REGISTRY) - before, key=_id_key)


def _id_key(ex_id: str):
    import re
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"[.\-_]|(?<=\d)(?=[a-z])", ex_id) if p)


def exercises(chapter: int | None = None) -> list[Exercise]:
    """The registered exercises (of one chapter), in order."""
    load_checks()
    found = [ex for ex in REGISTRY.values() if chapter is None or ex.chapter == chapter]
    return sorted(found, key=lambda ex: _id_key(ex.id))


def get_exercise(id: str) -> Exercise:
    """The registered exercise ``id``, or UnknownExercise listing the known ids of its chapter."""
    load_checks()
    id = str(id).strip()
    if id in REGISTRY:
        return REGISTRY[id]
    try:
        chapter = int(id.split(".")[0])
    except ValueError:
        chapter = None
    same = [ex.id for ex in exercises(chapter)] if chapter is not None else []
    broken = [f"{m} ({err})" for m, err in LOAD_ERRORS.items()
              if chapter is not None and m[2:].isdigit() and int(m[2:]) == chapter]
    if broken:
        raise UnknownExercise(f"no check for exercise {id!r}: the checks of chapter {chapter} failed to load: "
                              + "; ".join(broken))
    if same:
        raise UnknownExercise(f"no exercise {id!r}; chapter {chapter} has exercises {', '.join(same)}")
    chapters = sorted({ex.chapter for ex in REGISTRY.values()})
    raise UnknownExercise(f"no exercise {id!r}: ids look like 'N.k' (chapter N, exercise k); "
                          f"chapters with checks: {', '.join(map(str, chapters)) or 'none yet'}")


# --- running one check --------------------------------------------------------------
def _is_trusted(filename: str) -> bool:
    if filename.startswith("<frozen"):
        return True
    if filename.startswith("<"):
        return False
    real = os.path.realpath(filename)
    return any(real.startswith(d) for d in _TRUSTED_DIRS)


def _short(text: str) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= _MAX_TEXT else text[: _MAX_TEXT - 1] + "…"


def _frames(tb):
    while tb is not None:
        yield tb.tb_frame.f_code, tb.tb_lineno
        tb = tb.tb_next


def _learner_frame(exc: BaseException):
    """The deepest frame of ``exc``'s traceback that is the learner's code, or None."""
    found = None
    for code, lineno in _frames(exc.__traceback__):
        if not _is_trusted(code.co_filename):
            found = (code.co_name, lineno)
    return found


def _describe(exc: BaseException) -> str:
    msg = str(exc)
    return f"{type(exc).__name__}: {msg}" if msg else type(exc).__name__


def _alarm(signum, frame):
    raise CheckTimeout()


def run_check(ex: Exercise, objs, timeout: float | None = DEFAULT_TIMEOUT) -> CheckResult:
    """Run ``ex``'s check on the learner's ``objs`` and classify what happens. Prints nothing."""
    _init_trusted_dirs()

    def result(status, message, hint=None, score=0.0):
        return CheckResult(exercise=ex.id, status=status, score=score, max_score=ex.points,
                           message=_short(message), hint=_short(hint) if hint else None, title=ex.title)

    use_alarm = (timeout is not None and timeout > 0 and hasattr(signal, "setitimer")
                 and threading.current_thread() is threading.main_thread())
    old_handler = old_timer = None
    started = time.monotonic()
    if use_alarm:
        old_handler = signal.signal(signal.SIGALRM, _alarm)
        old_timer = signal.setitimer(signal.ITIMER_REAL, timeout)
        if 0 < old_timer[0] < timeout:  # never outlive an outer deadline
            signal.setitimer(signal.ITIMER_REAL, old_timer[0])
    try:
        try:
            detail = ex.check(*objs)
        finally:
            if use_alarm:
                signal.setitimer(signal.ITIMER_REAL, 0)
                signal.signal(signal.SIGALRM, old_handler)
                if old_timer and old_timer[0] > 0:  # an outer alarm (e.g. the grader's): re-arm what is left
                    left = max(old_timer[0] - (time.monotonic() - started), 0.001)
                    signal.setitimer(signal.ITIMER_REAL, left, old_timer[1])
    except CheckTimeout:
        return result("failed", f"took longer than {timeout:g} s",
                      hint="is there a loop that never ends, or a much larger computation than asked?")
    except Wrong as w:
        return result("failed", w.message, w.hint)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # noqa: BLE001 - everything the learner's code can raise
        where = _learner_frame(exc)
        if where is None:
            code, lineno = list(_frames(exc.__traceback__))[-1] if exc.__traceback__ else (None, 0)
            loc = f" at {os.path.basename(code.co_filename)}:{lineno}" if code else ""
            return result("error", f"the check itself raised {_describe(exc)}{loc} — a bug in the check, "
                                   f"not in your code; please report it")
        if isinstance(exc, NotImplementedError):
            return result("not attempted", NOT_ATTEMPTED)
        name, lineno = where
        if name == "<module>":
            place = f"your code (line {lineno})"
        else:
            place = f"your function `{name}` (line {lineno} of its cell)"
        hint = None
        if isinstance(exc, RecursionError):
            hint = "a function that calls itself without reaching a base case"
        elif isinstance(exc, (TypeError, ValueError)) and ("shape" in str(exc) or "dimension" in str(exc)):
            hint = "check the shapes of the arrays you combine"
        return result("failed", f"{place} raised {_describe(exc)}", hint)
    detail = detail if isinstance(detail, str) and detail else ex.title
    return result("passed", detail, score=ex.points)


def check(id: str, *objs, timeout: float | None = DEFAULT_TIMEOUT) -> CheckResult:
    """Check the learner's answer to exercise ``id``: print one line and return the CheckResult.

    ``objs`` are the objects the exercise asks for, in the order its prompt names them
    (``check("1.2", central_difference)``). ``timeout`` bounds the whole check in seconds.
    """
    ex = get_exercise(id)
    if len(objs) != len(ex.target):
        names = ", ".join(ex.target)
        raise TypeError(f"check({id!r}, ...) takes {len(ex.target)} object(s) after the id: {names}; "
                        f"got {len(objs)}")
    res = run_check(ex, objs, timeout=timeout)
    print(res.line())
    from .registry import _get_ipython
    ip = _get_ipython()
    if ip is not None:
        res._shown_in = ip.execution_count
    return res
