"""The registry of exercise checks, and the result every check returns.

A check is a plain function registered with :func:`exercise`. It receives the
learner's object(s) (a function, a class, an array...), exercises them on
inputs of its own, compares with references it computes itself, and either
returns (pass) or raises :class:`Wrong` with a message and a hint that names
the likely mistake.

Checks must compare with the helpers in :mod:`mathdl.exercises._trusted`,
which hold references to numpy's and Python's functions taken when mathdl was
imported, so that a learner who monkeypatches ``np.allclose`` or ``abs`` does
not change what a check decides.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable

# "N.k" for the book's exercises; instructors' extra checks may add a suffix ("1.2-hidden", "1.2b").
_ID = re.compile(r"^\d+\.\d+(?:[a-z]|[-_.][A-Za-z0-9_]+)?$")


class Wrong(Exception):
    """Raised by a check: what is wrong, and a hint naming the likely mistake."""

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint


@dataclasses.dataclass(frozen=True)
class Exercise:
    id: str                 # "N.k": chapter N, exercise k
    title: str
    target: tuple[str, ...]  # the names the learner defines, in the order the check takes them
    points: float
    check: Callable

    @property
    def chapter(self) -> int:
        return int(self.id.split(".")[0])


@dataclasses.dataclass
class CheckResult:
    """What :func:`mathdl.exercises.check` returns (and prints)."""

    exercise: str
    status: str             # "passed" | "failed" | "not attempted" | "error" (grader also: "tampering")
    score: float
    max_score: float
    message: str
    hint: str | None = None
    title: str = ""
    _shown_in: object = dataclasses.field(default=None, repr=False, compare=False)

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    def __bool__(self) -> bool:
        return self.passed

    def line(self) -> str:
        """The one- or two-line text shown to the learner."""
        if self.passed:
            return f"✅ Exercise {self.exercise} passed: {self.message}"
        if self.status == "not attempted":
            return f"⏳ Exercise {self.exercise}: {self.message}"
        mark = "⚠️" if self.status == "error" else "❌"
        text = f"{mark} Exercise {self.exercise} {self.status}: {self.message}"
        if self.hint:
            text += f"\n   Hint: {self.hint}"
        return text

    def __str__(self) -> str:
        return self.line()

    def __repr__(self) -> str:
        return f"CheckResult(exercise={self.exercise!r}, status={self.status!r}, score={self.score}/{self.max_score})"

    def _ipython_display_(self):
        # check() has already printed the line in this cell: show nothing more (one clean
        # output, deterministic under nbval).  Displayed in a later cell: print the line.
        ip = _get_ipython()
        if ip is not None and self._shown_in is not None and self._shown_in == ip.execution_count:
            return
        print(self.line())

    def to_dict(self) -> dict:
        return {"exercise": self.exercise, "title": self.title, "status": self.status, "score": self.score,
                "max_score": self.max_score, "message": self.message, "hint": self.hint}


def _get_ipython():
    import sys
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return None
    try:
        return ipython.get_ipython()
    except Exception:
        return None


REGISTRY: dict[str, Exercise] = {}


def exercise(id: str, *, target: str | tuple[str, ...], title: str, points: float = 1.0):
    """Register the decorated function as the check of exercise ``id``.

    ``target`` names what the learner defines in the notebook (e.g.
    ``"central_difference"``); the batch grader looks these names up in the
    executed notebook, and ``check(id, obj)`` passes ``obj`` in their place.
    """
    if not _ID.match(id):
        raise ValueError(f"exercise id must look like 'N.k' (or 'N.k-suffix' for extra checks), got {id!r}")
    names = (target,) if isinstance(target, str) else tuple(target)

    def register(fn: Callable) -> Callable:
        if id in REGISTRY and REGISTRY[id].check.__qualname__ != fn.__qualname__:
            raise ValueError(f"exercise {id} is registered twice ({REGISTRY[id].check.__qualname__} and {fn.__qualname__})")
        REGISTRY[id] = Exercise(id=id, title=title, target=names, points=float(points), check=fn)
        return fn

    return register
