"""Binder: the launch links on the site, and what repo2docker builds from this repository.

(a) Every chapter page of the built site (``_build/html``; the README's test command builds it
    before pytest) has exactly one Binder launch link, and it is exactly the URL that
    ``_config.yml`` implies (``repository.url``, ``repository.branch``, ``repository.path_to_book``,
    ``launch_buttons.binderhub_url`` and ``launch_buttons.notebook_interface``), opening that
    chapter's notebook, which exists in the repository.
(b) repo2docker's inputs work (marked ``slow``, about 1.5-2 minutes): the files that a clone would
    hold (``git ls-files`` plus untracked files that are not ignored, i.e. what a commit would
    add) are copied to a temporary directory; there, as repo2docker does, a fresh virtual
    environment gets ``pip install -r requirements.txt`` (run in the repository's root, since it
    holds ``-e .``) and then ``./postBuild`` runs. The student edition it writes must be complete,
    and chapter 1 must execute in that environment's kernel without error, its checks passing.
    Nothing is written into the working tree.

Without a built site, or without git, the tests are skipped, except under CI (``CI=true``), where
that is a failure.
"""

from __future__ import annotations

import functools
import html.parser
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

import pytest

yaml = pytest.importorskip("yaml")

ROOT = Path(__file__).resolve().parent.parent
HTML = Path(os.environ.get("MATHDL_SITE_DIR") or ROOT / "_build" / "html")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

# The chapter that (b) executes in the Binder environment: the fastest one.
CHAPTER = "book/01_derivatives.ipynb"
PASS_LINE = re.compile(r"✅ Exercise (\d+\.\d+) passed: ")  # mathdl.exercises CheckResult.line()
CHECK_CELL = re.compile(r"^\s*check\(\s*[\"'](\d+\.\d+)[\"']", re.M)
OFFLINE = ("Temporary failure in name resolution", "Failed to establish a new connection",
           "Network is unreachable", "No route to host")


def unavailable(reason: str):
    """Skip locally; under CI a missing prerequisite is a failure, never a silent skip."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: this test must run in CI)", pytrace=False)
    pytest.skip(reason)


def _config() -> dict:
    return yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))


def _toc_files() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    files = [toc["root"]]

    def walk(entries):
        for entry in entries or []:
            if "file" in entry:
                files.append(entry["file"])
            walk(entry.get("sections"))

    for part in toc.get("parts", []):
        walk(part.get("chapters"))
    walk(toc.get("chapters"))
    return files


@functools.lru_cache(maxsize=1)
def _repo_files() -> tuple[str, ...]:
    """The files a clone of the repository would hold once the working tree is committed."""
    if shutil.which("git") is None:
        unavailable("git is not installed")
    proc = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                          cwd=ROOT, capture_output=True, text=True)
    if proc.returncode != 0:
        unavailable(f"{ROOT} is not a git working tree: {proc.stderr.strip()}")
    return tuple(f for f in proc.stdout.split("\0") if f and (ROOT / f).is_file())


# ---- (a) the launch links --------------------------------------------------------------------
def expected_binder_url(config: dict, notebook: str) -> str:
    """The Binder URL that ``_config.yml`` implies for ``notebook`` (a path relative to the book's
    root), in the form the BinderHub API takes: ``{hub}/v2/{provider}/{spec}/{ref}?urlpath=...``.
    """
    repo = config["repository"]
    url = repo["url"].strip().rstrip("/").removesuffix(".git")
    branch = repo.get("branch") or "main"
    hub = config["launch_buttons"]["binderhub_url"].strip().rstrip("/")
    interface = config["launch_buttons"].get("notebook_interface", "classic")
    ui = {"classic": "tree", "jupyterlab": "lab/tree"}[interface]
    book = (repo.get("path_to_book") or "").strip("/")
    path = f"{book}/{notebook}" if book else notebook
    parts = urlsplit(url)
    owner_repo = parts.path.strip("/")
    if parts.netloc == "github.com":
        spec = f"gh/{owner_repo}"
    elif parts.netloc == "gitlab.com":
        spec = "gl/" + owner_repo.replace("/", "%2F")
    else:
        spec = f"git/{quote(url)}"
    return f"{hub}/v2/{spec}/{branch}?urlpath={ui}/{path}"


class _Links(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.links: list[dict] = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self.links.append(dict(attrs))


def _chapter_pages() -> list[str]:
    return [f for f in _toc_files() if (ROOT / f"{f}.ipynb").is_file()]


def test_expected_url_form():
    config = {"repository": {"url": "https://github.com/owner/repo", "branch": "dev"},
              "launch_buttons": {"binderhub_url": "https://mybinder.org/", "notebook_interface": "jupyterlab"}}
    assert (expected_binder_url(config, "book/01_x.ipynb")
            == "https://mybinder.org/v2/gh/owner/repo/dev?urlpath=lab/tree/book/01_x.ipynb")
    config["launch_buttons"]["notebook_interface"] = "classic"
    config["repository"]["path_to_book"] = "docs/"
    assert (expected_binder_url(config, "x.ipynb")
            == "https://mybinder.org/v2/gh/owner/repo/dev?urlpath=tree/docs/x.ipynb")


def test_config_launches_binder():
    config = _config()
    hub = (config.get("launch_buttons") or {}).get("binderhub_url", "")
    assert hub.startswith("https://"), f"_config.yml launch_buttons.binderhub_url is {hub!r}"
    assert urlsplit(config["repository"]["url"]).netloc == "github.com", (
        "repository.url must be a GitHub repository (Binder and Colab buttons)")
    assert config["launch_buttons"].get("notebook_interface") in ("classic", "jupyterlab")
    assert _chapter_pages(), "no notebook in _toc.yml"


@pytest.mark.parametrize("page", _chapter_pages())
def test_chapter_page_has_the_configured_binder_link(page):
    if not (HTML / "index.html").is_file():
        unavailable(f"no built site at {HTML}: build it first with `jupyter-book build . -W -n --keep-going`")
    config = _config()
    notebook = f"{page}.ipynb"
    expected = expected_binder_url(config, notebook)
    built = HTML / f"{page}.html"
    assert built.is_file(), f"{built} is missing: rebuild the site"
    parser = _Links()
    parser.feed(built.read_text(encoding="utf-8"))
    hub = config["launch_buttons"]["binderhub_url"].strip().rstrip("/")
    binder = [a.get("href", "") for a in parser.links
              if a.get("href", "").startswith(hub + "/") or "Binder" in (a.get("title") or "")]
    assert binder == [expected], (
        f"{built.relative_to(HTML)}: Binder links {binder}, expected exactly [{expected}] "
        f"(from _config.yml's repository and launch_buttons)")
    # the link's parts, once more, as BinderHub reads them
    parts = urlsplit(binder[0])
    assert parts.scheme == "https" and parts.fragment == ""
    query = parse_qs(parts.query)
    assert list(query) == ["urlpath"] and len(query["urlpath"]) == 1, parts.query
    book = (config["repository"].get("path_to_book") or "").strip("/")
    target = query["urlpath"][0].split("/tree/", 1)[-1].removeprefix("tree/")
    in_repo = target.removeprefix(f"{book}/") if book else target
    assert in_repo == notebook and notebook in _repo_files(), (
        f"{page}: the Binder link opens {target!r}, which is not this chapter's notebook in the repository")


# ---- (b) repo2docker's inputs in a fresh environment -----------------------------------------
def _run(cmd, *, cwd, env, timeout, what):
    t0 = time.monotonic()
    try:
        proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode(errors="replace") if isinstance(exc.stdout, bytes) else exc.stdout or ""
        pytest.fail(f"{what} did not finish within {timeout} s:\n{out[-3000:]}", pytrace=False)
    seconds = time.monotonic() - t0
    if proc.returncode != 0:
        output = (proc.stdout + proc.stderr)[-6000:]
        if what.startswith("pip") and any(s in output for s in OFFLINE):
            unavailable(f"{what}: no package index reachable:\n{output[-1500:]}")
        pytest.fail(f"{what} failed (exit status {proc.returncode}, {seconds:.0f} s):\n{output}",
                    pytrace=False)
    return proc, seconds


class BinderEnv:
    def __init__(self, repo: Path, venv: Path, env: dict, timings: dict):
        self.repo, self.venv, self.env, self.timings = repo, venv, env, timings


@pytest.fixture(scope="module")
def binder_env(tmp_path_factory):
    files = _repo_files()
    for needed in ("requirements.txt", "postBuild"):
        assert needed in files, f"{needed} is not in the repository (repo2docker builds from it)"
    for other in ("binder/", ".binder/", "environment.yml", "Pipfile", "runtime.txt", "Dockerfile"):
        # with a binder/ folder, an environment.yml or a Dockerfile, repo2docker would ignore (or
        # not reach) the root requirements.txt and postBuild; runtime.txt would pick the Python
        assert not any(f == other or f.startswith(other) for f in files), (
            f"{other} in the repository changes what repo2docker builds; update this test")
    tmp = tmp_path_factory.mktemp("binder")
    try:
        repo, venv = tmp / "repo", tmp / "venv"
        for f in files:
            dest = repo / f
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / f, dest, follow_symlinks=False)
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("PYTHON", "VIRTUAL_ENV", "JUPYTER", "CONDA", "PYTEST", "MPLBACKEND"))}
        env.update(PATH=os.pathsep.join([str(venv / "bin"), os.environ.get("PATH", "")]),
                   VIRTUAL_ENV=str(venv), PYTHONNOUSERSITE="1", PIP_DISABLE_PIP_VERSION_CHECK="1",
                   # no kernelspec or config of this machine's user may leak into the environment
                   JUPYTER_CONFIG_DIR=str(tmp / "jupyter-config"), JUPYTER_DATA_DIR=str(tmp / "jupyter-data"),
                   JUPYTER_RUNTIME_DIR=str(tmp / "jupyter-runtime"))
        timings = {}
        _, timings["python -m venv"] = _run([sys.executable, "-m", "venv", str(venv)], cwd=tmp, env=env,
                                            timeout=300, what="python -m venv")
        # repo2docker: `pip install --no-cache-dir -r requirements.txt` in ${REPO_DIR}
        _, timings["pip install -r requirements.txt"] = _run(
            [str(venv / "bin" / "python"), "-m", "pip", "install", "-r", "requirements.txt"],
            cwd=repo, env=env, timeout=1200, what="pip install -r requirements.txt")
        # repo2docker: `RUN chmod +x postBuild` then `RUN ./postBuild` in ${REPO_DIR}
        (repo / "postBuild").chmod(0o755)
        _, timings["./postBuild"] = _run(["./postBuild"], cwd=repo, env=env, timeout=600, what="./postBuild")
        print("binder environment: " + ", ".join(f"{k} {v:.0f} s" for k, v in timings.items()))
        yield BinderEnv(repo, venv, env, timings)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)  # about 0.5 GB; pytest would keep three runs' worth


def _code_cells(nb: dict) -> list[dict]:
    return [c for c in nb["cells"] if c["cell_type"] == "code"]


def _text(value) -> str:
    return "".join(value) if isinstance(value, list) else value


@pytest.mark.slow
def test_requirements_install_mathdl_from_the_repository(binder_env):
    proc, _ = _run([str(binder_env.venv / "bin" / "python"), "-c",
                    "import mathdl, sys, ipywidgets, matplotlib, myst_nb, jupyterlab; "
                    "print(mathdl.__file__); print(sys.prefix)"],
                   cwd=binder_env.repo, env=binder_env.env, timeout=120, what="import mathdl")
    module, prefix = proc.stdout.split()[-2:]
    assert Path(module).resolve().is_relative_to(binder_env.repo.resolve()), (
        f"mathdl imported from {module}, not from the repository (`-e .` in requirements.txt)")
    assert Path(prefix).resolve() == binder_env.venv.resolve()


@pytest.mark.slow
def test_postbuild_writes_the_student_edition(binder_env):
    book = sorted((binder_env.repo / "book").glob("*.ipynb"))
    student = binder_env.repo / "student"
    assert student.is_dir(), "postBuild did not write student/"
    missing = [p.name for p in book if not (student / p.name).is_file()]
    assert not missing, f"postBuild's student edition lacks {missing}"
    stubs = 0
    for path in sorted(student.glob("*.ipynb")):
        nb = json.loads(path.read_text(encoding="utf-8"))
        for cell in _code_cells(nb):
            src = _text(cell["source"])
            assert "### BEGIN SOLUTION" not in src, f"student/{path.name}: a solution was left in"
            assert not cell.get("outputs"), f"student/{path.name}: outputs were not cleared"
            stubs += src.count('raise NotImplementedError("Exercise ')
    assert stubs >= len(book) - 1, f"only {stubs} exercise stubs in the student edition"
    ch = json.loads((student / Path(CHAPTER).name).read_text(encoding="utf-8"))
    assert any('raise NotImplementedError("Exercise 1.' in _text(c["source"]) for c in _code_cells(ch))


@pytest.mark.slow
def test_a_chapter_runs_in_the_binder_environment(binder_env, tmp_path):
    nb = json.loads((binder_env.repo / CHAPTER).read_text(encoding="utf-8"))
    # one more cell: which interpreter and which mathdl the kernel really used
    nb["cells"].append({"cell_type": "code", "execution_count": None, "id": "binder-test-probe",
                        "metadata": {}, "outputs": [],
                        "source": "import sys, mathdl\nprint(sys.prefix)\nprint(mathdl.__file__)"})
    src = binder_env.repo / "book" / "binder_probe.ipynb"  # next to the chapter: same cwd and paths
    src.write_text(json.dumps(nb), encoding="utf-8")
    out = tmp_path / "executed.ipynb"
    _, seconds = _run([str(binder_env.venv / "bin" / "jupyter"), "nbconvert", "--to", "notebook", "--execute",
                       "--ExecutePreprocessor.timeout=300", "--ExecutePreprocessor.kernel_name=python3",
                       f"--output={out}", str(src)],
                      cwd=binder_env.repo, env=binder_env.env, timeout=600,
                      what=f"jupyter nbconvert --execute {CHAPTER}")
    print(f"{CHAPTER} executed in the Binder environment in {seconds:.0f} s")
    done = json.loads(out.read_text(encoding="utf-8"))
    cells = _code_cells(done)
    errors = [o for c in cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors, f"{CHAPTER}: {[(e['ename'], e['evalue']) for e in errors]}"
    assert all(c.get("execution_count") for c in cells), f"{CHAPTER}: not every cell ran"
    checks = 0
    for c in cells:
        m = CHECK_CELL.search(_text(c["source"]))
        if m:
            checks += 1
            text = "".join(_text(o.get("text", "")) for o in c["outputs"] if o["output_type"] == "stream")
            assert PASS_LINE.findall(text) == [m[1]], f"{CHAPTER}: check({m[1]!r}) printed {text!r}"
    assert checks, f"{CHAPTER}: no check(...) cell"
    probe = "".join(_text(o.get("text", "")) for o in cells[-1]["outputs"]).split()
    assert Path(probe[0]).resolve() == binder_env.venv.resolve(), (
        f"the kernel ran in {probe[0]}, not in the fresh environment {binder_env.venv}")
    assert Path(probe[1]).resolve().is_relative_to(binder_env.repo.resolve()), probe
