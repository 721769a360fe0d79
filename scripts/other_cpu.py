#!/usr/bin/env python
"""Run a command as if on another CPU: numpy and OpenBLAS take other kernels, so last digits differ.

    python scripts/other_cpu.py pytest -n 2 --dist loadfile book/     # strict nbval, second pass
    python scripts/other_cpu.py --show                                 # what it sets, and proof

The stored outputs of the book must not depend on the CPU that made them. On another machine
(AVX2 instead of AVX-512, another BLAS kernel) vectorised exp/log/sin and matrix products round
their last digits differently; strict nbval then fails wherever a notebook stores such digits.
CI runs on the machine that stored the outputs, so it re-runs nbval under a different numeric
configuration to see that:

* ``NPY_DISABLE_CPU_FEATURES`` lists every CPU feature numpy dispatches to at run time (read from
  this numpy: ``X86_V3 X86_V4 AVX512_ICL ...`` in numpy 2.4, ``AVX2 FMA3 AVX512F ...`` in numpy
  1.x). numpy then runs its baseline SIMD loops, whatever the machine has. (Feature names from
  another numpy version are silently ignored, which is why they are read, not written down.)
* ``OPENBLAS_CORETYPE=Nehalem`` (x86-64) or ``ARMV8`` (arm64) makes OpenBLAS use an old generic
  kernel for its matrix products instead of the one tuned for this CPU.

Before running the command, the script checks in a child process that the configuration really
changes rounding here (exp, tanh and a matrix product differ in some last digit). If it does not,
it says so, and exits 3 without running the command, so a CI pass can never be vacuous.

Exit status: the command's, 2 on a usage error, 3 if the configuration changes nothing here.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys

PROBE = r"""
import hashlib, numpy as np
x = np.linspace(0.01, 10.0, 20001)
A = np.random.default_rng(0).standard_normal((257, 255))
parts = [np.exp(x), np.log(x), np.tanh(x), np.sin(x), A @ A.T]
print(hashlib.sha256(b"".join(p.tobytes() for p in parts)).hexdigest())
"""


def dispatched_features() -> list[str]:
    """The CPU features this numpy dispatches to at run time (above its compiled baseline)."""
    out = subprocess.run(
        [sys.executable, "-c",
         "import numpy as np\n"
         "try:\n    m = np._core._multiarray_umath\n"
         "except AttributeError:\n    m = np.core._multiarray_umath\n"
         "print(' '.join(m.__cpu_dispatch__))"],
        capture_output=True, text=True, check=True, env={**os.environ, "NPY_DISABLE_CPU_FEATURES": ""})
    return out.stdout.split()


def other_cpu_env() -> dict[str, str]:
    env = dict(os.environ)
    env["NPY_DISABLE_CPU_FEATURES"] = " ".join(dispatched_features())
    machine = platform.machine().lower()
    if machine in ("x86_64", "amd64", "i686"):
        env["OPENBLAS_CORETYPE"] = "Nehalem"
    elif machine in ("aarch64", "arm64"):
        env["OPENBLAS_CORETYPE"] = "ARMV8"
    env["MATHDL_OTHER_CPU"] = "1"
    return env


def probe(env: dict[str, str]) -> str:
    return subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True,
                          env=env).stdout.strip()


def main(argv: list[str]) -> int:
    show = argv[:1] == ["--show"]
    command = argv[1:] if show else argv
    if not command and not show:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        print("usage: python scripts/other_cpu.py COMMAND [ARGS...] | --show", file=sys.stderr)
        return 2
    env = other_cpu_env()
    default_env = {k: v for k, v in os.environ.items()
                   if k not in ("NPY_DISABLE_CPU_FEATURES", "OPENBLAS_CORETYPE")}
    same = probe(default_env) == probe(env)
    print(f"other_cpu: NPY_DISABLE_CPU_FEATURES={env['NPY_DISABLE_CPU_FEATURES']!r} "
          f"OPENBLAS_CORETYPE={env.get('OPENBLAS_CORETYPE', '(unset)')!r}: last digits of exp, log, "
          f"tanh, sin and matmul {'UNCHANGED' if same else 'changed'} on this machine", flush=True)
    if same:
        print("other_cpu: this configuration rounds exactly as the default here, so a second pass "
              "would prove nothing; not running it", file=sys.stderr)
        return 3
    if show:
        return 0
    return subprocess.call(command, env=env)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
