"""The book's proof holds on every machine, and every claim can fail.

What strict nbval cannot see on the machine that stored the outputs, read from the notebooks:

* **Stable precision.** No output that strict nbval compares holds a float with more than
  ``MAX_SIG`` significant digits: the last digits of a float that went through BLAS or SIMD code
  differ between CPUs. (A second nbval pass under ``scripts/other_cpu.py`` catches the rest.)
* **One glue helper.** Numbers reach the prose only through ``mathdl.claims.glue``, which stores
  them rounded; no notebook imports myst-nb's own ``glue``.
* **Claims.** Every cell tagged ``claim`` checks its claims with ``mathdl.claims.claim`` (with
  ``rules_out=``, ``source=`` and ``why=``), asserts nothing bare, and stores the records that the
  claims page is made from; the page (book/claims.md) is up to date and in the table of contents.
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BOOK = ROOT / "book"
NOTEBOOKS = sorted(BOOK.glob("*.ipynb"))
CLAIM_MIME = "application/vnd.mathdl.claim+json"
IGNORE_MARKERS = ("NBVAL_IGNORE_OUTPUT", "NBVAL_SKIP")
MAX_SIG = 8
# a decimal number with a fraction or an exponent (integers such as 274877906944 are exact)
NUMBER = re.compile(r"(?<![\w.])[-+]?(?:\d+\.\d*|\.\d+)(?:[eE][-+]?\d+)?|(?<![\w.])[-+]?\d+[eE][-+]?\d+")


def _significant(token: str) -> int:
    mantissa = re.split(r"[eE]", token.lstrip("+-"))[0].replace(".", "")
    return len(mantissa.strip("0")) if mantissa.strip("0") else 1


def _cells(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    return [(i, c) for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code"]


def _source(cell) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def _compared_texts(cell):
    """The texts of a cell's outputs that strict nbval compares (images and widget views are not)."""
    src = _source(cell)
    first = src.lstrip().splitlines()[0] if src.strip() else ""
    if any(m in first for m in IGNORE_MARKERS):
        return
    for out in cell.get("outputs", []):
        if out["output_type"] == "stream":
            yield "stream", "".join(out["text"]) if isinstance(out["text"], list) else out["text"]
        for mime, value in out.get("data", {}).items():
            if mime.startswith("image/") or mime == "application/vnd.jupyter.widget-view+json":
                continue
            if isinstance(value, list):
                value = "".join(value)
            yield mime, value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_stored_outputs_hold_only_stable_digits(path):
    bad = []
    for i, cell in _cells(path):
        for mime, text in _compared_texts(cell):
            if "base64" in mime or mime == "text/html" and len(text) > 5000:
                continue  # figures and precomputed slider frames (nbval sanitizes base64 runs)
            for m in NUMBER.finditer(text):
                if _significant(m.group()) > MAX_SIG:
                    bad.append(f"cell {i} ({mime}): {m.group()}")
    assert not bad, (f"{path.name}: outputs hold floats with more than {MAX_SIG} significant digits, "
                     f"whose last digits depend on the CPU; format them, or glue with "
                     f"mathdl.claims.glue:\n  " + "\n  ".join(bad[:40]))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_numbers_are_glued_through_the_rounding_helper(path):
    for i, cell in _cells(path):
        src = _source(cell)
        assert not re.search(r"from\s+myst_nb\s+import[^\n]*\bglue\b|myst_nb\.glue\(", src), (
            f"{path.name} cell {i}: glue with mathdl.claims.glue (it stores the rounded value), "
            f"not myst_nb's glue")


def _calls(tree, name):
    return [n for n in ast.walk(tree) if isinstance(n, ast.Call)
            and (getattr(n.func, "id", None) == name or getattr(n.func, "attr", None) == name)]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_claim_cell_calls_the_claims_helper(path):
    claim_cells = [(i, c) for i, c in _cells(path) if "claim" in c.get("metadata", {}).get("tags", [])]
    if path.stem[:2].isdigit():
        assert claim_cells, f"{path.name}: a chapter without claim cells"
    for i, cell in claim_cells:
        src = _source(cell)
        tree = ast.parse("\n".join(line for line in src.splitlines() if not line.lstrip().startswith(("%", "!"))))
        where = f"{path.name} cell {i}"
        asserts = [n for n in ast.walk(tree) if isinstance(n, ast.Assert)]
        assert not asserts, (f"{where}: a bare assert (line {asserts[0].lineno}) in a claim cell; "
                             f"check it with claim(...), which says what failed")
        calls = _calls(tree, "claim")
        assert calls, f"{where}: a cell tagged 'claim' that does not call claim(...)"
        for call in calls:
            keywords = {k.arg for k in call.keywords}
            missing = {"rules_out", "source", "why"} - keywords
            assert not missing, f"{where}, line {call.lineno}: claim(...) without {sorted(missing)}"
        records = [o for o in cell.get("outputs", []) if CLAIM_MIME in o.get("data", {})]
        assert records, f"{where}: no stored claim record; re-execute the notebook"
        tags = set(cell.get("metadata", {}).get("tags", []))
        assert tags & {"remove-cell", "remove-input"}, f"{where}: claim cells are hidden on the site"


def test_claim_records_outside_claim_cells_are_not_hidden_claims():
    """claim(...) is called only from cells tagged 'claim' (so the reader of the notebook sees
    which cells prove the text, and the site hides exactly those)."""
    for path in NOTEBOOKS:
        for i, cell in _cells(path):
            tags = cell.get("metadata", {}).get("tags", [])
            if "claim" in tags:
                continue
            assert not any(CLAIM_MIME in o.get("data", {}) for o in cell.get("outputs", [])), (
                f"{path.name} cell {i} records a claim but is not tagged 'claim'")


def test_claims_page_is_up_to_date_and_in_the_toc():
    out = subprocess.run([sys.executable, str(ROOT / "scripts" / "claims_page.py"), "--check"],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert re.search(r"^\s*-\s*file:\s*book/claims\s*$", (ROOT / "_toc.yml").read_text(), flags=re.M)
    page = (BOOK / "claims.md").read_text(encoding="utf-8")
    n_records = sum(1 for p in NOTEBOOKS for _, c in _cells(p) for o in c.get("outputs", [])
                    if CLAIM_MIME in o.get("data", {}))
    assert f"**{n_records} claims**" in page
