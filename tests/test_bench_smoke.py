"""The benchmarks run, at smoke-test sizes, and report results of the right shape. They are not
timed tests: the figures are not checked, only that every benchmark measured something."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent / "bench"
sys.path.insert(0, str(BENCH))

from harness import Result, markdown  # noqa: E402
from run import BENCHMARKS  # noqa: E402


def check(result: dict) -> None:
    assert result["bench"] and result["measure"] and result["unit"] and result["reference_name"], result
    assert math.isfinite(result["ftdeck"]) and result["ftdeck"] >= 0, result
    assert math.isfinite(result["reference"]) and result["reference"] >= 0, result
    assert result["met"] in (True, False, None) and (result["met"] is None) == (result["target"] == ""), result
    if result["unit"] in ("s", "ms"):
        assert result["ftdeck"] > 0 and result["reference"] > 0 and result["ratio"] > 0, result


def test_every_benchmark_runs_at_small_sizes_and_reports_ratios():
    """One after another, so the suite's other workers share the CPUs with one benchmark, not five
    (only the results' shape is checked, never a figure)."""
    reports = {}
    for name in BENCHMARKS:
        done = subprocess.run([sys.executable, str(BENCH / f"{name}.py"), "--small", "--json"], cwd=BENCH.parent,
                              capture_output=True, text=True, timeout=240)
        assert done.returncode == 0, f"{name}: {done.stderr[-3000:]}"
        reports[name] = json.loads(done.stdout)
    assert {r["bench"] for report in reports.values() for r in report["results"]} == {"start-up", "cli listing", "data validation", "big lists", "live tail", "streaming chat"}
    for report in reports.values():
        assert report["machine"]["cpus"] and "Python" in report["machine"]["python"]
        assert report["results"]
        for result in report["results"]:
            check(result)


def test_run_gathers_the_results_in_one_table():
    done = subprocess.run([sys.executable, str(BENCH / "run.py"), "--small", "--only", "data_validation"],
                          capture_output=True, text=True, cwd=BENCH.parent, timeout=120)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("machine: ") and "CPUs" in lines[0] and "smoke-test sizes" in lines[0]
    assert "| benchmark | measure | ftdeck | reference | ratio | target | met |" in lines
    assert any(line.startswith("| data validation | validate 2,000 examples") for line in lines)
    unknown = subprocess.run([sys.executable, str(BENCH / "run.py"), "--only", "nope"], capture_output=True, text=True, timeout=60)
    assert unknown.returncode == 2 and "unknown benchmark nope" in unknown.stderr


def test_the_table_shows_each_result_with_its_ratio_and_target():
    table = markdown([
        Result("start-up", "first frame", "s", 0.65, 0.5, "minimal Textual app", "≤ 1.3x", True),
        Result("live tail", "requests per minute", "requests/min", 180, 90, "same TUI idle"),
        Result("big lists", "filter", "ms", 0, 0, "plain DataTables", "< 100 ms", False),
    ]).splitlines()
    assert table[0].startswith("| benchmark | measure | ftdeck | reference | ratio | target | met |")
    assert table[2] == "| start-up | first frame | 0.65 s | 0.5 s (minimal Textual app) | 1.30x | ≤ 1.3x | yes |"
    assert "| 2.00x |" in table[3] and table[3].endswith("|  |  |")
    assert "| - | < 100 ms | **no** |" in table[4]
