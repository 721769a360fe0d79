"""``python -m mathdl.exercises COMMAND ...``: the student edition, the batch grader, the exercise list."""

from __future__ import annotations

import argparse
import sys


def _cmd_list(args) -> int:
    from . import LOAD_ERRORS, exercises, load_checks_from
    for d in args.checks or []:
        load_checks_from(d)
    for ex in exercises(args.chapter):
        print(f"{ex.id:10s} {ex.points:g} pt  {', '.join(ex.target):28s} {ex.title}")
    for mod, err in sorted(LOAD_ERRORS.items()):
        print(f"warning: checks module {mod} failed to import: {err}", file=sys.stderr)
    return 0


def _cmd_student(args) -> int:
    from .student import StudentEditionError, make_student_edition
    try:
        report = make_student_edition(args.book, args.out, force=args.force)
    except StudentEditionError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(report.summary(args.out))
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mathdl.exercises",
                                     description="Exercises of 'The Mathematics of Deep Learning'.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("student", help="write the student edition (solutions replaced by stubs)")
    p.add_argument("book", help="folder of the book's notebooks, e.g. book/")
    p.add_argument("out", help="output folder, e.g. student/ (empty, or a previous student edition)")
    p.add_argument("--force", action="store_true",
                   help="overwrite files of a previous edition even if they were edited since")
    p.set_defaults(func=_cmd_student)

    p = sub.add_parser("list", help="list the registered exercises")
    p.add_argument("--chapter", type=int, default=None)
    p.add_argument("--checks", action="append", metavar="DIR", help="also load extra checks from DIR")
    p.set_defaults(func=_cmd_list)

    try:
        from . import grader
    except ImportError:  # the grader is optional: the rest works without it
        grader = None
    if grader is not None and hasattr(grader, "add_cli"):
        grader.add_cli(sub)

    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
