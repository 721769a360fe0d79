"""Write the student edition of the book: solutions replaced by stubs, outputs cleared.

    python -m mathdl.exercises student book/ student/

* Every ``### BEGIN SOLUTION`` … ``### END SOLUTION`` block in a code cell becomes
  ``raise NotImplementedError("Exercise N.k: Title")`` at the indentation of the
  BEGIN line, so a function keeps its signature and docstring.  The exercise id
  and title come from the exercise prompt above the cell
  (```` ```{exercise} Exercise N.k — Title ````) or from the ``check("N.k", ...)``
  call below it (title then from the registered check).
* All outputs and execution counts are cleared; widget state and execution
  timing metadata are removed; the solution cells lose their ``hide-input`` tag
  (students should see the stub); ``{solution}`` directives in markdown are removed.
* Files the notebooks need (images, data) are copied; site-only files
  (``*.md``, ``*.bib``, ``_build/``) are not.  A short README.md is written.
* The source folder is only read.  The command refuses to write into it, and
  refuses a non-empty output folder that is not a previous student edition.
  Regenerating over a previous edition replaces the files it wrote, except
  files a student has changed since (kept, and reported), unless ``force``.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
import os
import re

MARKER = ".mathdl-student-edition.json"  # manifest: {relative path: sha256 as written}

BEGIN = re.compile(r"^(?P<indent>[ \t]*)#+\s*BEGIN SOLUTION\b.*$")
END = re.compile(r"^[ \t]*#+\s*END SOLUTION\b.*$")
MARKERS = re.compile(r"^[ \t]*#+\s*(?:BEGIN|END) SOLUTION\b", re.MULTILINE)
CHECK_CALL = re.compile(r"""\bcheck\(\s*["'](?P<id>\d+\.\d+)["']""")
DIRECTIVE = re.compile(r"\{exercise\}[ \t]*Exercise[ \t]+(?P<id>\d+\.\d+)[ \t]*(?:[—–:-]+[ \t]*(?P<title>[^\n]*))?")
HEADING = re.compile(r"^#+[ \t]*Exercise[ \t]+(?P<id>\d+\.\d+)[ \t]*(?:[—–:-]+[ \t]*(?P<title>[^\n]*))?", re.M)
SOLUTION_DIRECTIVE = re.compile(r"^(?P<fence>`{3,}|:{3,})\{solution(?:-start)?\}.*?^(?P=fence)[ \t]*$\n?",
                                re.M | re.S)
SKIP_DIRS = {"_build", ".ipynb_checkpoints", "__pycache__", ".git", ".jupyter_cache", "jupyter_execute"}
SITE_ONLY = {".md", ".bib", ".rst", ".yml", ".yaml", ".py", ".pyc"}
WIDGET_KEYS = ("widgets",)
CELL_META_DROP = ("execution", "collapsed", "scrolled", "widgets")


class StudentEditionError(Exception):
    """A clear, user-facing error of the student-edition generator."""


@dataclasses.dataclass
class Report:
    notebooks: dict = dataclasses.field(default_factory=dict)   # rel path -> [exercise ids stubbed]
    copied: list = dataclasses.field(default_factory=list)
    kept: list = dataclasses.field(default_factory=list)        # edited by a student since: not overwritten

    def summary(self, out_dir) -> str:
        n_ex = sum(len(v) for v in self.notebooks.values())
        lines = [f"wrote the student edition to {out_dir}: {len(self.notebooks)} notebook(s), "
                 f"{n_ex} exercise stub(s), {len(self.copied)} other file(s)"]
        for rel, ids in sorted(self.notebooks.items()):
            lines.append(f"  {rel}: {', '.join(ids) if ids else 'no exercises'}")
        for rel in self.kept:
            lines.append(f"  kept {rel}: changed since the last generation (use --force to overwrite)")
        return "\n".join(lines)


# --- one notebook ---------------------------------------------------------------------
def _source(cell) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def _prompt(md: str):
    """(id, title) of the last exercise prompt in a markdown cell, or None."""
    found = None
    for rx in (DIRECTIVE, HEADING):
        for m in rx.finditer(md):
            found = (m.group("id"), (m.group("title") or "").strip().rstrip("`").strip() or None)
        if found:
            return found
    return None


def _find_id_title(cells, index):
    """(id, title) for the solution cell at ``index``: the check call below decides the id, the
    prompt above gives the title (else the registered check's title)."""
    prompt = None
    for j in range(index - 1, -1, -1):
        kind, src = cells[j].get("cell_type"), _source(cells[j])
        if kind == "markdown" and _prompt(src):
            prompt = _prompt(src)
            break
        if kind == "code" and CHECK_CALL.search(src):  # the previous exercise's check: stop
            break
    check_id = None
    for j in range(index, len(cells)):
        if cells[j].get("cell_type") == "code":
            m = CHECK_CALL.search(_source(cells[j]))
            if m:
                check_id = m.group("id")
                break
        elif cells[j].get("cell_type") == "markdown" and _prompt(_source(cells[j])):
            break  # the next exercise's prompt: this solution has no check of its own
    ex_id = check_id or (prompt[0] if prompt else None)
    title = prompt[1] if prompt and prompt[0] == ex_id else None
    if ex_id is not None and not title:
        try:
            from . import get_exercise
            title = get_exercise(ex_id).title
        except Exception:
            title = None
    return ex_id, title


def stub_source(src: str, label: str, where: str = "") -> tuple[str, int]:
    """Replace every BEGIN/END SOLUTION block of ``src`` by a NotImplementedError stub."""
    lines = src.split("\n")
    out, n, i = [], 0, 0
    while i < len(lines):
        m = BEGIN.match(lines[i])
        if not m:
            if END.match(lines[i]):
                raise StudentEditionError(f"{where}: '### END SOLUTION' without a BEGIN (line {i + 1})")
            out.append(lines[i])
            i += 1
            continue
        j = i + 1
        while j < len(lines) and not END.match(lines[j]):
            if BEGIN.match(lines[j]):
                raise StudentEditionError(f"{where}: nested '### BEGIN SOLUTION' (line {j + 1})")
            j += 1
        if j == len(lines):
            raise StudentEditionError(f"{where}: '### BEGIN SOLUTION' (line {i + 1}) has no '### END SOLUTION'")
        out.append(f"{m.group('indent')}raise NotImplementedError({json.dumps(label, ensure_ascii=False)})")
        n += 1
        i = j + 1
    return "\n".join(out), n


def student_notebook(nb: dict, where: str = "notebook") -> tuple[dict, list[str]]:
    """The student version of notebook ``nb`` (a dict in nbformat 4), and the ids it stubbed."""
    nb = copy.deepcopy(nb)
    cells = nb.get("cells", [])
    ids: list[str] = []
    for index, cell in enumerate(cells):
        kind = cell.get("cell_type")
        if kind == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
            meta = cell.setdefault("metadata", {})
            for key in CELL_META_DROP:
                meta.pop(key, None)
            src = _source(cell)
            if MARKERS.search(src):
                ex_id, title = _find_id_title(cells, index)
                if ex_id is None:
                    label = "Exercise: write your solution here"
                else:
                    label = f"Exercise {ex_id}: {title}" if title else f"Exercise {ex_id}"
                    ids.append(ex_id)
                cell["source"], _ = stub_source(src, label, f"{where}, cell {index + 1}")
                tags = [t for t in meta.get("tags", []) if t not in ("hide-input", "remove-input",
                                                                      "hide-cell", "remove-cell")]
                if tags:
                    meta["tags"] = tags
                else:
                    meta.pop("tags", None)
                jup = meta.get("jupyter")
                if isinstance(jup, dict):
                    jup.pop("source_hidden", None)
                    if not jup:
                        meta.pop("jupyter", None)
        elif kind == "markdown":
            src = _source(cell)
            if "{solution" in src:
                cell["source"] = SOLUTION_DIRECTIVE.sub("", src)
        if kind != "code":
            cell.pop("outputs", None)
            cell.pop("execution_count", None)
    meta = nb.setdefault("metadata", {})
    for key in WIDGET_KEYS:
        meta.pop(key, None)
    return nb, list(dict.fromkeys(ids))


def read_notebook(path) -> dict:
    """Read and validate a notebook, or StudentEditionError naming the file."""
    import nbformat
    try:
        nb = nbformat.read(os.fspath(path), as_version=4)
    except Exception as exc:  # JSON errors, schema errors, encoding errors
        raise StudentEditionError(f"{path}: not a readable notebook ({type(exc).__name__}: "
                                  f"{str(exc).splitlines()[0] if str(exc) else ''})") from None
    return nb


# --- the whole book ---------------------------------------------------------------------
def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _walk(src_dir):
    for root, dirs, files in os.walk(src_dir):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith("."))
        for f in sorted(files):
            if f.startswith("."):
                continue
            full = os.path.join(root, f)
            yield os.path.relpath(full, src_dir), full


README = """# Student edition — The Mathematics of Deep Learning

These notebooks are the book's chapters with the exercise solutions removed.

1. Install once: `pip install -r requirements.txt` from the book's repository
   (it installs `mathdl`, JupyterLab, ipywidgets, matplotlib and myst-nb).
2. Open the notebooks: `jupyter lab` in this folder.
3. Each exercise has a cell whose body is
   `raise NotImplementedError("Exercise N.k: ...")`: replace that line with your solution,
   run the cell, then run the `check("N.k", ...)` cell below it. It prints

       ✅ Exercise N.k passed: ...                 you are done
       ❌ Exercise N.k failed: ...  Hint: ...      what went wrong, and the likely mistake
       ⏳ Exercise N.k: not yet attempted — ...    the stub is still there

Hand in the notebook files themselves (File > Save, then upload the .ipynb).
Generated by `python -m mathdl.exercises student`; do not edit this README.
"""


def make_student_edition(src_dir, out_dir, *, force: bool = False) -> Report:
    """Write the student edition of the notebooks under ``src_dir`` into ``out_dir``."""
    import nbformat
    src_dir, out_dir = os.fspath(src_dir), os.fspath(out_dir)
    if not os.path.isdir(src_dir):
        raise StudentEditionError(f"{src_dir} is not a folder of notebooks")
    src_real, out_real = os.path.realpath(src_dir), os.path.realpath(out_dir)
    if out_real == src_real or out_real.startswith(src_real + os.sep):
        raise StudentEditionError(f"refusing to write the student edition into the book itself "
                                  f"({out_dir} is inside {src_dir}); choose another folder, e.g. student/")
    if src_real.startswith(out_real + os.sep):
        raise StudentEditionError(f"refusing to write into {out_dir}: it contains the book ({src_dir})")
    manifest_path = os.path.join(out_dir, MARKER)
    previous: dict = {}
    if os.path.isdir(out_dir) and os.listdir(out_dir):
        if not os.path.isfile(manifest_path):
            raise StudentEditionError(f"{out_dir} is not empty and is not a previous student edition "
                                      f"(no {MARKER}); refusing to overwrite it — choose an empty folder")
        try:
            with open(manifest_path, encoding="utf-8") as fh:
                previous = json.load(fh).get("files", {})
        except (OSError, ValueError) as exc:
            raise StudentEditionError(f"{manifest_path}: unreadable ({exc}); remove {out_dir} by hand") from None
    elif os.path.exists(out_dir) and not os.path.isdir(out_dir):
        raise StudentEditionError(f"{out_dir} exists and is not a folder")

    # Build everything in memory first: a corrupt notebook stops the run before anything is written.
    planned: dict[str, bytes] = {}
    report = Report()
    for rel, full in _walk(src_dir):
        ext = os.path.splitext(rel)[1].lower()
        if ext == ".ipynb":
            nb = read_notebook(full)
            student, ids = student_notebook(nb, where=full)
            try:
                nbformat.validate(student)
            except Exception as exc:
                raise StudentEditionError(f"{full}: the student version is not a valid notebook ({exc})") from None
            planned[rel] = (nbformat.writes(student) + "\n").encode("utf-8")
            report.notebooks[rel] = ids
        elif ext in SITE_ONLY or os.path.basename(rel) in ("_config.yml", "_toc.yml"):
            continue
        else:
            with open(full, "rb") as fh:
                planned[rel] = fh.read()
            report.copied.append(rel)
    planned["README.md"] = README.encode("utf-8")

    written: dict[str, str] = {}
    for rel, data in planned.items():
        dest = os.path.join(out_dir, rel)
        if os.path.exists(dest) and not force:
            with open(dest, "rb") as fh:
                current = _sha(fh.read())
            if current != previous.get(rel) and current != _sha(data):
                report.kept.append(rel)
                written[rel] = previous.get(rel, current)
                continue
        os.makedirs(os.path.dirname(dest) or ".", exist_ok=True)
        tmp = dest + ".tmp-mathdl"
        with open(tmp, "wb") as fh:
            fh.write(data)
        os.replace(tmp, dest)
        written[rel] = _sha(data)
    for rel in previous:   # files of the previous edition the book no longer has, unchanged since
        dest = os.path.join(out_dir, rel)
        if rel not in planned and os.path.isfile(dest):
            with open(dest, "rb") as fh:
                if _sha(fh.read()) == previous[rel]:
                    os.remove(dest)
    with open(manifest_path, "w", encoding="utf-8") as fh:
        json.dump({"generator": "python -m mathdl.exercises student", "files": written}, fh, indent=1,
                  sort_keys=True)
    return report


def copy_tree_readonly_check(src_dir) -> dict[str, str]:
    """sha256 of every file under ``src_dir`` (tests use it to prove the book is untouched)."""
    out = {}
    for root, _dirs, files in os.walk(src_dir):
        for f in files:
            p = os.path.join(root, f)
            with open(p, "rb") as fh:
                out[os.path.relpath(p, src_dir)] = _sha(fh.read())
    return out


__all__ = ["make_student_edition", "student_notebook", "stub_source", "read_notebook", "Report",
           "StudentEditionError", "MARKER"]
