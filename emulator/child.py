"""`ftdeck emulator` in a child process on a free loopback port, started as a user starts it: the
tests and the benchmarks point ftdeck at one."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

LISTENING = re.compile(r"^ftdeck emulator listening on (http://127\.0\.0\.1:(\d+))$")


class EmulatorProcess:
    def __init__(self, data_dir: Path, *args: str, speed: float = 1.0, api_key: str | None = None) -> None:
        self.data_dir = data_dir
        self.args = ["--speed", str(speed), "--data-dir", str(data_dir), *args]
        self.api_key = api_key  # handed over in the environment, where `ps` does not show it
        self.start()

    def start(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.log = self.data_dir / "stderr.log"  # read it when something fails
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tui", "emulator", "--port", "0", *self.args],
            stdout=subprocess.PIPE,
            stderr=self.log.open("a"),
            text=True,
            env=self.environment(),
        )
        self.first_line = self.process.stdout.readline().rstrip("\n")  # type: ignore[union-attr]
        match = LISTENING.match(self.first_line)
        if not match:
            self.process.kill()
            raise RuntimeError(f"emulator did not start: {self.first_line!r} {self.log.read_text()[-2000:]}")
        self.url = match.group(1)

    def environment(self) -> dict[str, str]:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        env.pop("FTDECK_EMULATOR_API_KEY", None)
        if self.api_key:
            env["FTDECK_EMULATOR_API_KEY"] = self.api_key
        return env

    def kill(self) -> None:
        """The hardest stop: no chance to clean up."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()

    def __enter__(self) -> "EmulatorProcess":
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()
