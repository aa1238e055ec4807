"""Regenerate the screenshots in this folder from the seeded demo workspace.

    .venv/bin/python screenshots/make.py

Runs ftdeck on its built-in emulator (a fresh data dir, clock at 20x so the demo job is mid-training)
and saves SVGs of the main screen at 120x40 and 80x24 (detail view). PNGs are made too when
`rsvg-convert` is installed.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent


async def wait_until(pilot, predicate, timeout: float = 60.0) -> None:
    for _ in range(int(timeout / 0.1)):
        if predicate():
            return
        await pilot.pause(0.1)
    raise TimeoutError("the demo did not reach the expected state")


async def shoot() -> list[Path]:
    from tui.app import FtdeckApp

    saved = []
    app = FtdeckApp()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: len(app.query_one("#loss-chart").metrics) >= 25)
        await pilot.pause(1.0)
        saved.append(Path(app.save_screenshot("main-120x40.svg", str(HERE))))
    app = FtdeckApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: len(app.query_one("#loss-chart").metrics) >= 25)
        saved.append(Path(app.save_screenshot("main-80x24.svg", str(HERE))))
        await pilot.press("d")
        await pilot.pause(1.0)
        saved.append(Path(app.save_screenshot("job-detail-80x24.svg", str(HERE))))
    return saved


def main() -> None:
    with tempfile.TemporaryDirectory() as home:
        os.environ.update(XDG_DATA_HOME=home, XDG_CONFIG_HOME=home, FTDECK_CONFIG=f"{home}/none.toml", FTDECK_EMULATOR_SPEED="20")
        for key in [k for k in os.environ if k.startswith(("AZURE_OPENAI", "FTDECK_PROFILE", "FTDECK_MANAGEMENT"))]:
            del os.environ[key]
        saved = asyncio.run(shoot())
    for svg in saved:
        if shutil.which("rsvg-convert"):
            subprocess.run(["rsvg-convert", str(svg), "-o", str(svg.with_suffix(".png"))], check=True)
        print(svg)


if __name__ == "__main__":
    main()
