"""Smoke test of benchmarks/training_step.py: it runs and prints its ratio lines.

No timing assertions: timings depend on the machine and its load.
"""

import pathlib
import subprocess
import sys

import pytest

SCRIPT = pathlib.Path(__file__).resolve().parents[1] / "benchmarks" / "training_step.py"


@pytest.mark.slow
def test_benchmark_quick_runs_and_prints_ratios():
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick", "--repeat", "1"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    assert "mathdl/numpy" in out
    for config in ("2-16-16-2 B=100", "64-128-10 B=64", "64-128-10 B=1797", "784-512-256-10 B=256"):
        for dtype in ("float32", "float64"):
            assert any(line.startswith(config) and dtype in line for line in out.splitlines()), (
                config,
                dtype,
            )
    assert "target (wall) mathdl/numpy at the small sizes <= 1.3" in out
    assert "import time" in out
