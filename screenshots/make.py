"""Regenerate the screenshots in this folder from the seeded demo workspace.

    .venv/bin/python screenshots/make.py

Runs ftdeck on its built-in emulator with the clock frozen and ids seeded (the same scenes the
snapshot tests check): trains the demo's live job 60 steps (into its second epoch) once, then opens
each scene on a fresh copy of that data and saves SVGs; PNGs too when `rsvg-convert` or cairosvg is
installed.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))


async def scene(name: str, size: tuple[int, int], *keys: str) -> Path:
    from tests.test_tui_snapshots import demo_app, trained

    app = demo_app()
    async with app.run_test(size=size) as pilot:
        await trained(pilot)
        for key in keys:
            await pilot.press(key)
            await pilot.pause(0.2)
        if name.startswith("playground"):  # the demo's fine-tuned deployment against its base model
            await pilot.press(*"Where be me parcel?", "enter")
            for _ in range(300):
                await pilot.pause(0.1)
                if not app.screen.busy:
                    break
        if name.startswith("assistant"):  # a question in the console, answered by the emulator's chooser
            console = app.query_one("#console")
            app.query_one("#command").value = "which of my jobs has the lowest validation loss?"
            await pilot.press("enter")
            for _ in range(1200):  # the emulator streams the answer at its speed
                await pilot.pause(0.1)
                if any(m.startswith("tokens ") for m in console.said):
                    break
        await pilot.pause(1.0)
        return Path(app.save_screenshot(f"{name}.svg", str(HERE)))


SCENES = [
    ("main-120x40", (120, 40)),
    ("main-80x24", (80, 24)),
    ("job-detail-80x24", (80, 24), "enter"),
    ("create-job-120x40", (120, 40), "n"),
    ("console-120x40", (120, 40), "colon", *"/help", "enter", *"/calls", "enter"),
    ("file-detail-120x40", (120, 40), "3", "down", "down", "down"),
    ("playground-ab-120x40", (120, 40), "4", "g"),
    ("assistant", (120, 40), "colon"),
]


def main() -> None:
    from tests.test_tui_snapshots import FROZEN_AT, copy_demo, train_demo

    def environment(home: str) -> None:
        os.environ.update(XDG_DATA_HOME=home, XDG_CONFIG_HOME=home, FTDECK_CONFIG=f"{home}/none.toml",
                          FTDECK_EMULATOR_FROZEN_AT=str(FROZEN_AT), FTDECK_EMULATOR_SEED="7", TZ="UTC")
        time.tzset()
        for key in [k for k in os.environ if k.startswith(("AZURE_OPENAI", "FTDECK_PROFILE", "FTDECK_MANAGEMENT"))]:
            del os.environ[key]

    saved = []
    with tempfile.TemporaryDirectory() as trained:
        environment(trained)
        train_demo(Path(trained))
        for name, size, *keys in SCENES:
            with tempfile.TemporaryDirectory() as home:
                copy_demo(Path(trained), Path(home))
                environment(home)
                saved.append(asyncio.run(scene(name, size, *keys)))
    for svg in saved:
        to_png(svg)
        print(svg)


def to_png(svg: Path) -> None:
    """A PNG beside the SVG, with rsvg-convert or cairosvg, whichever is here (neither is needed to run ftdeck)."""
    if shutil.which("rsvg-convert"):
        subprocess.run(["rsvg-convert", str(svg), "-o", str(svg.with_suffix(".png"))], check=True)
        return
    try:
        import cairosvg
    except ImportError:
        print(f"no PNG for {svg.name}: install rsvg-convert or `pip install cairosvg`", file=sys.stderr)
        return
    cairosvg.svg2png(url=str(svg), write_to=str(svg.with_suffix(".png")))


if __name__ == "__main__":
    main()
