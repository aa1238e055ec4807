"""Benchmark: start-up, against a minimal Textual app started the same way.

Both run as `python ...` on a fresh pseudo-terminal of 120x40, as a user starts them; the clock
runs from launch until the first frame with the four resource panes' titles is on screen (read
from the terminal, escape sequences stripped). ftdeck runs on its `local` profile: the built-in
emulator with the demo workspace, seeded by an untimed first run. We also time until the panes
show the demo's data (the emulator starts in a process of its own while the first frame is
drawn; the TUI connects and lists after it; openai is imported only once the rows are shown),
against the same minimal app's first frame, and take each process's peak RSS from wait4 (what
`/usr/bin/time -v` reports): the TUI's own, without the emulator's process. Runs alternate; each
figure is the median.

    .venv/bin/python bench/startup.py [--small] [--json]     (--small: 1 run each instead of 15)
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from harness import Result, Terminal, clean_environment, median, options, report

MINIMAL_APP = """
from textual.app import App
from textual.widgets import Footer, Static

class Minimal(App):
    def compose(self):
        yield Static("1 Jobs  2 Checkpoints  3 Files  4 Deployments")
        yield Footer()

Minimal().run()
"""
PANE_TITLES = ("Jobs", "Checkpoints", "Files", "Deployments")
DEMO_DATA = ("pirate-support.jsonl", "pirate-support")  # the demo's dataset (files pane) and deployment
TARGET = 1.3  # first frame, x the minimal app's
DATA_TARGET = 3.5  # the demo's data on screen, x the minimal app's first frame


def launch(argv: list[str], env: dict[str, str], watch: list[tuple[str, ...]]) -> tuple[list[float], float]:
    """(seconds until each group of `watch` was on screen, peak RSS in MB) of one run."""
    with Terminal(argv, env, watch) as terminal:
        times = [terminal.wait_for(group) for group in watch]
        return times, terminal.quit().peak_rss_mb


def measure(runs: int) -> list[Result]:
    with tempfile.TemporaryDirectory() as home:
        env = clean_environment(Path(home))
        ftdeck = [sys.executable, "-m", "tui"]
        minimal = [sys.executable, "-c", MINIMAL_APP]
        launch(ftdeck, env, [PANE_TITLES, DEMO_DATA])  # seeds the demo, warms the file cache
        launch(minimal, env, [PANE_TITLES])
        ours: list[tuple[list[float], float]] = []
        theirs: list[tuple[list[float], float]] = []
        for _ in range(runs):
            theirs.append(launch(minimal, env, [PANE_TITLES]))
            ours.append(launch(ftdeck, env, [PANE_TITLES, DEMO_DATA]))
    first, first_ref = median([t[0] for t, _ in ours]), median([t[0] for t, _ in theirs])
    filled = median([t[1] for t, _ in ours])
    rss, rss_ref = median([m for _, m in ours]), median([m for _, m in theirs])
    return [
        Result("start-up", "launch to first frame with the panes", "s", first, first_ref, "minimal Textual app",
               f"≤ {TARGET}x", first / first_ref <= TARGET, f"median of {runs}"),
        Result("start-up", "launch to the demo's data in the panes", "s", filled, first_ref, "minimal app's first frame",
               f"≤ {DATA_TARGET}x", filled / first_ref <= DATA_TARGET, "built-in emulator started, first refresh"),
        Result("start-up", "peak RSS", "MB", rss, rss_ref, "minimal Textual app", note="the TUI's process; the built-in emulator runs in its own"),
    ]


def main() -> None:
    args = options(__doc__.splitlines()[0])
    report(measure(1 if args.small else 15), args.json)


if __name__ == "__main__":
    main()
