#!/usr/bin/env python
"""Time one training step of small ReLU MLPs: mathdl vs hand-written numpy vs PyTorch (CPU).

One step = forward pass, softmax cross-entropy loss (mean over the batch), backward pass and
a plain SGD update of every parameter. Models and batches (issue 2, item 10):

    2-16-16-2       on 100 points
    64-128-10       at batch 64 and at batch 1797 (the size of the digits data set)
    784-512-256-10  at batch 256 (MNIST-sized)

Implementations: ``mathdl`` (``nn.MLP``, ``functional.cross_entropy``, ``backward()``,
``optim.SGD``), ``numpy`` (the same step with hand-derived gradients) and ``torch``
(``nn.Sequential``, ``F.cross_entropy``, ``backward()``, ``optim.SGD``) where installed; each
in float32 and float64, with one BLAS/OpenMP thread and with the library default.

How it measures
    * Thread counts must be fixed before numpy/torch are imported, so the script re-runs
      itself in a subprocess per setting: ``OMP_NUM_THREADS``, ``OPENBLAS_NUM_THREADS``,
      ``MKL_NUM_THREADS`` = 1 and ``torch.set_num_threads(1)`` for "1"; the variables
      unset for "default".
    * glibc's allocator returns numpy's multi-MB temporaries to the OS and faults them back
      every step (shared/PITFALLS.md). Each setting is therefore run twice: with the
      environment's malloc settings ("as-is"), and with
      ``MALLOC_MMAP_THRESHOLD_=MALLOC_TRIM_THRESHOLD_=1073741824`` ("tuned"). Both tables
      are printed, with minor page faults per step.
    * Before timing, the three implementations are checked to compute the same loss and
      parameters after one step (float64, from the same initial weights).
    * Timing is interleaved: each sample times ``inner`` consecutive steps of one
      implementation, cycling through the implementations; the medians of the samples are
      compared, so ``mathdl/numpy`` and ``mathdl/torch`` come from the same run.

Usage::

    python benchmarks/training_step.py            # full run, a few minutes
    python benchmarks/training_step.py --quick    # smoke run (seconds)
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

CONFIGS = [
    # name, layer sizes, batch, steps per timed sample
    ("2-16-16-2 B=100", (2, 16, 16, 2), 100, 20),
    ("64-128-10 B=64", (64, 128, 10), 64, 20),
    ("64-128-10 B=1797", (64, 128, 10), 1797, 2),
    ("784-512-256-10 B=256", (784, 512, 256, 10), 256, 1),
]
SMALL = ("2-16-16-2 B=100", "64-128-10 B=64")
LARGEST = "784-512-256-10 B=256"
THREAD_VARS = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "BLIS_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
)
MALLOC_VARS = ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_")
TUNED_MALLOC = "1073741824"  # 1 GiB
LR = 1e-3


# ---------------------------------------------------------------------------------------
# The three implementations. Each builder returns a zero-argument `step` function.
# ---------------------------------------------------------------------------------------


def initial_weights(sizes, dtype, seed=0):
    """PyTorch-default-like initial weights in the book's layout W: (n_in, n_out)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    params = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True):
        bound = 1 / np.sqrt(n_in)
        params.append(rng.uniform(-bound, bound, size=(n_in, n_out)).astype(dtype))
        params.append(rng.uniform(-bound, bound, size=n_out).astype(dtype))
    return params


def make_numpy_step(weights, X, y):
    """SGD step of a ReLU MLP with softmax cross-entropy, gradients derived by hand.

    Forward: Z_l = A_{l-1} W_l + b_l, A_l = relu(Z_l), logits Z_D.
    Loss: L = mean_b (logsumexp(z_b) - z_{b, y_b}).
    Backward: G_D = (softmax(Z_D) - onehot(y)) / B; for each layer
    dW_l = A_{l-1}^T G_l, db_l = sum_b G_l, G_{l-1} = (G_l W_l^T) * [Z_{l-1} > 0].
    """
    import numpy as np

    params = [w.copy() for w in weights]
    Ws, bs = params[0::2], params[1::2]
    B = X.shape[0]
    rows = np.arange(B)

    def step():
        activations = [X]
        A = X
        for W, b in zip(Ws[:-1], bs[:-1], strict=True):
            A = np.maximum(A @ W + b, 0)
            activations.append(A)
        Z = A @ Ws[-1] + bs[-1]
        Z_max = Z.max(axis=1, keepdims=True)
        E = np.exp(Z - Z_max)
        S = E.sum(axis=1, keepdims=True)
        loss = np.mean(np.log(S[:, 0]) + Z_max[:, 0] - Z[rows, y])
        G = E / S
        G[rows, y] -= 1
        G /= B
        for k in range(len(Ws) - 1, -1, -1):
            A_prev = activations[k]
            dW = A_prev.T @ G
            db = G.sum(axis=0)
            if k > 0:
                G = (G @ Ws[k].T) * (A_prev > 0)
            Ws[k] -= LR * dW
            bs[k] -= LR * db
        return loss

    return step, params


def make_mathdl_step(weights, X, y):
    import mathdl as mdl

    sizes = [weights[0].shape[0]] + [w.shape[1] for w in weights[0::2]]
    model = mdl.nn.MLP(sizes, dtype=weights[0].dtype, rng=__import__("numpy").random.default_rng(0))
    for p, w in zip(model.parameters(), weights, strict=True):
        p.data[...] = w
    opt = mdl.optim.SGD(model.parameters(), lr=LR)
    cross_entropy = mdl.functional.cross_entropy
    Xt = mdl.tensor(X)

    def step():
        opt.zero_grad()
        loss = cross_entropy(model(Xt), y)
        loss.backward()
        opt.step()
        return loss

    return step, [p.data for p in model.parameters()]


def make_torch_step(weights, X, y):
    import torch

    layers = []
    Ws = weights[0::2]
    for k, W in enumerate(Ws):
        layers.append(torch.nn.Linear(W.shape[0], W.shape[1]))
        if k < len(Ws) - 1:
            layers.append(torch.nn.ReLU())
    dtype = torch.float64 if weights[0].dtype.itemsize == 8 else torch.float32
    model = torch.nn.Sequential(*layers).to(dtype)
    with torch.no_grad():
        for p, w in zip(model.parameters(), weights, strict=True):
            p.copy_(torch.from_numpy(w.T.copy() if w.ndim == 2 else w))
    opt = torch.optim.SGD(model.parameters(), lr=LR)
    cross_entropy = torch.nn.functional.cross_entropy
    Xt = torch.from_numpy(X)
    yt = torch.from_numpy(y)

    def step():
        opt.zero_grad()
        loss = cross_entropy(model(Xt), yt)
        loss.backward()
        opt.step()
        return loss

    def current():
        return [
            p.detach().numpy().T if p.ndim == 2 else p.detach().numpy() for p in model.parameters()
        ]

    return step, current


# ---------------------------------------------------------------------------------------
# Child process: one thread setting, one malloc setting, all configurations.
# ---------------------------------------------------------------------------------------


def child(args):
    import gc
    import resource

    import numpy as np

    try:
        import torch
    except ImportError:
        torch = None
    if torch is not None and args.threads == "1":
        torch.set_num_threads(1)

    impls = {"numpy": make_numpy_step, "mathdl": make_mathdl_step}
    if torch is not None and not args.no_torch:
        impls["torch"] = make_torch_step

    out = {
        "threads": args.threads,
        "malloc": args.malloc,
        "torch_threads": torch.get_num_threads() if torch is not None else None,
        "results": [],
    }
    configs = [c for c in CONFIGS if not args.only or args.only in c[0]]
    for name, sizes, batch, inner in configs:
        rng = np.random.default_rng(1)
        X64 = rng.normal(size=(batch, sizes[0]))
        y = rng.integers(0, sizes[-1], size=batch)
        # correctness check, float64: one step from the same weights gives the same result
        w64 = initial_weights(sizes, np.float64)
        after = {}
        losses = {}
        for impl, make in impls.items():
            step, current = make(w64, X64, y)
            losses[impl] = float(step())
            params = current() if callable(current) else current
            after[impl] = [np.array(p, dtype=np.float64) for p in params]
        check = max(abs(losses[i] - losses["numpy"]) for i in impls)
        for impl in impls:
            for a, b in zip(after[impl], after["numpy"], strict=True):
                check = max(check, float(np.abs(a - b).max()))
        for dtype in (np.float32, np.float64):
            X = X64.astype(dtype)
            weights = initial_weights(sizes, dtype)
            steps = {impl: make(weights, X, y)[0] for impl, make in impls.items()}
            for s in steps.values():  # warm-up
                for _ in range(max(2, inner)):
                    s()
            samples = {impl: [] for impl in steps}
            cpu_samples = {impl: [] for impl in steps}
            faults = {impl: 0 for impl in steps}
            order = list(steps)
            for rep in range(args.repeat):
                for impl in order[rep % len(order) :] + order[: rep % len(order)]:
                    s = steps[impl]
                    f0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
                    c0 = time.process_time()
                    t0 = time.perf_counter()
                    for _ in range(inner):
                        s()
                    t1 = time.perf_counter()
                    c1 = time.process_time()
                    faults[impl] += resource.getrusage(resource.RUSAGE_SELF).ru_minflt - f0
                    samples[impl].append((t1 - t0) / inner)
                    cpu_samples[impl].append((c1 - c0) / inner)
            del steps
            gc.collect()
            n_steps = args.repeat * inner
            out["results"].append(
                {
                    "config": name,
                    "dtype": np.dtype(dtype).name,
                    "check": check,
                    "median_ms": {i: 1e3 * statistics.median(v) for i, v in samples.items()},
                    "cpu_median_ms": {
                        i: 1e3 * statistics.median(v) for i, v in cpu_samples.items()
                    },
                    "faults_per_step": {i: faults[i] / n_steps for i in faults},
                }
            )
    print("RESULT " + json.dumps(out), flush=True)


# ---------------------------------------------------------------------------------------
# Parent process
# ---------------------------------------------------------------------------------------


def child_env(threads, malloc):
    env = dict(os.environ)
    for var in THREAD_VARS:
        env.pop(var, None)
    if threads == "1":
        for var in THREAD_VARS:
            env[var] = "1"
    if malloc == "tuned":
        for var in MALLOC_VARS:
            env[var] = TUNED_MALLOC
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    return env


def run_child(threads, malloc, args):
    cmd = [
        sys.executable,
        os.path.abspath(__file__),
        "--child",
        "--threads",
        threads,
        "--malloc",
        malloc,
        "--repeat",
        str(args.repeat),
    ]
    if args.no_torch:
        cmd.append("--no-torch")
    if args.only:
        cmd += ["--only", args.only]
    proc = subprocess.run(
        cmd, env=child_env(threads, malloc), capture_output=True, text=True, timeout=3600
    )
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout + proc.stderr)
        raise SystemExit(f"benchmark child ({threads} thread(s), malloc {malloc}) failed")
    line = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")][-1]
    return json.loads(line[len("RESULT ") :])


def import_times(n, bytecode_caches=True, torch=False):
    """Median wall time of fresh interpreters importing numpy, mathdl, and mathdl's stack
    (and torch, for comparison, if ``torch``).

    With ``bytecode_caches`` (what a reader normally sees) the .pyc caches are written first
    and then used. Without, mathdl is imported from a copy that has no caches, under
    PYTHONDONTWRITEBYTECODE=1, so every start compiles mathdl's sources again (as in an
    environment that sets that variable and never wrote the caches); numpy keeps its caches.
    """
    import shutil
    import tempfile

    snippets = {
        "numpy": "import numpy",
        "mathdl": "import numpy, mathdl",
        "mathdl+nn+optim": "import numpy, mathdl; mathdl.nn; mathdl.optim; mathdl.functional",
    }
    if torch:
        snippets["torch"] = "import torch"
    env = child_env("default", "as-is")
    with tempfile.TemporaryDirectory() as tmp:
        cwd = None
        if bytecode_caches:
            env.pop("PYTHONDONTWRITEBYTECODE", None)
        else:
            cwd = tmp  # `python -c` looks in the working directory first
            shutil.copytree(
                os.path.join(ROOT, "mathdl"),
                os.path.join(tmp, "mathdl"),
                ignore=shutil.ignore_patterns("__pycache__"),
            )
            env["PYTHONPATH"] = tmp
            env["PYTHONDONTWRITEBYTECODE"] = "1"
        for code in snippets.values():  # warm-up (writes the caches if allowed)
            subprocess.run([sys.executable, "-c", code], env=env, cwd=cwd, check=True)
        samples = {k: [] for k in snippets}
        for _ in range(n):
            for key, code in snippets.items():
                t0 = time.perf_counter()
                subprocess.run([sys.executable, "-c", code], env=env, cwd=cwd, check=True)
                samples[key].append(time.perf_counter() - t0)
    return {k: 1e3 * statistics.median(v) for k, v in samples.items()}


def fmt(x, spec="8.3f"):
    return format(x, spec) if x is not None else " " * (int(spec.split(".")[0]) - 1) + "-"


def print_table(res):
    head = (
        f"{'config':22s} {'dtype':8s} {'numpy ms':>9s} {'mathdl ms':>9s} {'torch ms':>9s} "
        f"{'mathdl/numpy':>12s} {'mathdl/torch':>12s} | {'cpu: m/np':>9s} {'m/torch':>7s} "
        f"| faults/step (np, mdl, torch)  check"
    )
    print(head)
    print("-" * len(head))
    for r in res["results"]:
        m, c = r["median_ms"], r["cpu_median_ms"]
        t = m.get("torch")
        f = r["faults_per_step"]
        faults = ", ".join(f"{f[i]:.0f}" for i in ("numpy", "mathdl", "torch") if i in f)
        print(
            f"{r['config']:22s} {r['dtype']:8s} {m['numpy']:9.3f} {m['mathdl']:9.3f} "
            f"{fmt(t, '9.3f')} {m['mathdl'] / m['numpy']:12.2f} "
            f"{fmt(m['mathdl'] / t if t else None, '12.2f')} | "
            f"{c['mathdl'] / c['numpy']:9.2f} "
            f"{fmt(c['mathdl'] / c['torch'] if t else None, '7.2f')} | {faults:28s}  "
            f"{r['check']:.0e}"
        )


def summarise(all_results, key="median_ms", label="wall", short=False):
    """Worst case of each target over the tables (``key``: wall or CPU-time medians)."""
    lines = []
    worst = {"small_np": None, "large_np": None, "small_torch": None, "large_torch": None}

    def update(key, value):
        worst[key] = value if worst[key] is None else max(worst[key], value)

    for res in all_results:
        for r in res["results"]:
            m = r[key]
            ratio_np = m["mathdl"] / m["numpy"]
            ratio_t = m["mathdl"] / m["torch"] if "torch" in m else None
            size = "small" if r["config"] in SMALL else "large" if r["config"] == LARGEST else None
            if size is not None:
                update(size + "_np", ratio_np)
                if ratio_t is not None:
                    update(size + "_torch", ratio_t)
    has_torch = any("torch" in r["median_ms"] for res in all_results for r in res["results"])
    targets = [
        ("mathdl/numpy at the small sizes", worst["small_np"], 1.3),
        ("mathdl/numpy at the largest size", worst["large_np"], 1.1),
    ]
    if has_torch:
        targets += [
            ("mathdl/torch at the small sizes", worst["small_torch"], 0.5),
            ("mathdl/torch at the largest size", worst["large_torch"], 1.0),
        ]
    if short:
        return [
            f"{name.replace('mathdl/', 'm/').replace(' at the ', ' ')} "
            + ("-" if value is None else f"{value:.2f}")
            + f" {'met' if value is not None and value <= limit else 'MISSED'} (<= {limit})"
            for name, value, limit in targets
            if value is not None
        ]
    for name, value, limit in targets:
        if value is None:
            lines.append(f"target ({label}) {name} <= {limit}: not measured in this run")
            continue
        status = "met" if value <= limit else "MISSED"
        lines.append(f"target ({label}) {name} <= {limit}: worst {value:.2f} -> {status}")
    return lines


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke run: one thread setting, as-is malloc, few samples",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=None,
        help="timed samples per implementation (default 41, --quick 3)",
    )
    parser.add_argument("--threads", choices=["1", "default", "both"], default=None)
    parser.add_argument("--malloc", choices=["as-is", "tuned", "both"], default=None)
    parser.add_argument("--only", default=None, help="run only configs containing this text")
    parser.add_argument("--no-torch", action="store_true", help="skip PyTorch")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.repeat is None:
        args.repeat = 3 if args.quick else 41
    if args.child:
        child(args)
        return

    threads = args.threads or ("1" if args.quick else "both")
    malloc = args.malloc or ("as-is" if args.quick else "both")
    thread_settings = ["1", "default"] if threads == "both" else [threads]
    malloc_settings = ["as-is", "tuned"] if malloc == "both" else [malloc]

    import platform

    import numpy as np

    print(f"# {' '.join([os.path.basename(sys.executable)] + sys.argv)}")
    print(f"# python {platform.python_version()}, numpy {np.__version__}", end="")
    try:
        import importlib.metadata as md

        print(f", torch {md.version('torch')}", end="")
    except Exception:
        print(", torch not installed", end="")
    print(
        f"; {os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.1f}; "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
    )
    as_is = ", ".join(f"{v}={os.environ[v]}" for v in MALLOC_VARS if v in os.environ)
    print(
        f"# malloc 'as-is' = this environment ({as_is or 'glibc defaults'}); 'tuned' = "
        f"{'='.join(MALLOC_VARS)}={TUNED_MALLOC}"
    )
    print(
        f"# {args.repeat} interleaved samples per implementation; medians per step (wall "
        "clock); 'cpu:' ratios of process CPU-time medians, robust to other processes on a "
        "shared machine (with several threads they add up the threads' times); check = max "
        "|difference| from numpy after one float64 step"
    )
    all_results = []
    for m in malloc_settings:
        for t in thread_settings:
            res = run_child(t, m, args)
            all_results.append(res)
            tt = res["torch_threads"]
            print(f"\n## threads: {t} (torch.get_num_threads() = {tt}), malloc: {m}")
            print_table(res)
            print("targets: " + "; ".join(summarise([res], short=True)))
    print()
    for line in summarise(all_results):
        print(line)
    one_thread = [res for res in all_results if res["threads"] == "1"]
    if one_thread:
        for line in summarise(one_thread, "cpu_median_ms", "CPU time, 1 thread"):
            print(line)
    n = 3 if args.quick else 15
    print()
    for caches, label in ((True, ".pyc caches warm"), (False, "mathdl without .pyc caches")):
        with_torch = caches and importlib.util.find_spec("torch") is not None
        times = import_times(n, bytecode_caches=caches, torch=with_torch)
        print(
            f"import time (fresh interpreter, {label}, median of {n}): "
            f"numpy {times['numpy']:.0f} ms, "
            f"numpy+mathdl {times['mathdl']:.0f} ms "
            f"(+{times['mathdl'] - times['numpy']:.0f} ms), "
            f"numpy+mathdl with nn, optim, functional {times['mathdl+nn+optim']:.0f} ms "
            f"(+{times['mathdl+nn+optim'] - times['numpy']:.0f} ms)"
            + (f"; for comparison, torch {times['torch']:.0f} ms" if with_torch else "")
        )


if __name__ == "__main__":
    main()
