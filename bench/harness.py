"""What the benchmarks share: a result is one row of the results table (ftdeck against a reference
measured in the same run), the machine it ran on, an emulator process to point ftdeck at, and a
program run under a pseudo-terminal as a user runs it.

Each benchmark script prints its own table, or with `--json` its results for `bench/run.py`.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import platform
import re
import select
import signal
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Sequence

from emulator import child

ARM_DEPLOYMENTS = "/subscriptions/sub-1/resourceGroups/rg-1/providers/Microsoft.CognitiveServices/accounts/acct-1/deployments"
API_KEY = "bench-key"
ANSI = re.compile(rb"\x1b(\[[0-9;?]*[ -/]*[@-~]|\][^\x07]*\x07|[PX^_][^\x1b]*\x1b\\|.)")


@dataclass
class Result:
    """One measure: ftdeck's value, the reference's (same unit, same run), and the target."""

    bench: str  # "start-up"
    measure: str  # "first frame"
    unit: str  # "s", "ms", "MB", "% of a core", "requests/min"
    ftdeck: float
    reference: float
    reference_name: str  # what the reference is: "minimal Textual app"
    target: str = ""  # in words, e.g. "≤ 1.3x the reference"
    met: bool | None = None  # None: no target for this measure
    note: str = ""

    @property
    def ratio(self) -> float:
        """ftdeck / reference: below 1 is faster (or smaller) than the reference."""
        return self.ftdeck / self.reference if self.reference else float("inf")

    def to_json(self) -> dict:
        return {**asdict(self), "ratio": round(self.ratio, 3) if self.reference else None}


def machine() -> dict[str, object]:
    cpu = next((line.split(":", 1)[1].strip() for line in _read("/proc/cpuinfo").splitlines() if line.startswith("model name")), "")
    return {
        "cpus": os.cpu_count(),
        "cpu": cpu or platform.processor() or platform.machine(),
        "arch": platform.machine(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "os": f"{platform.system()} {platform.release()}",
    }


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def describe_machine(info: dict[str, object]) -> str:
    return f"{info['arch']}, {info['cpus']} CPUs ({info['cpu']}), {info['python']}, {info['os']}"


def number(value: float) -> str:
    if value == 0 or abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.2f}" if abs(value) >= 1 else f"{value:.3g}"


def markdown(results: Sequence[Result]) -> str:
    lines = [
        "| benchmark | measure | ftdeck | reference | ratio | target | met |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results:
        ratio = f"{r.ratio:.2f}x" if r.reference else "-"
        met = {None: "", True: "yes", False: "**no**"}[r.met]
        note = f" ({r.note})" if r.note else ""
        lines.append(
            f"| {r.bench} | {r.measure}{note} | {number(r.ftdeck)} {r.unit} | {number(r.reference)} {r.unit} ({r.reference_name}) "
            f"| {ratio} | {r.target} | {met} |"
        )
    return "\n".join(lines)


def options(description: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--small", action="store_true", help="smoke-test sizes: runs in seconds, measures little")
    parser.add_argument("--json", action="store_true", help="print the results as JSON (what bench/run.py reads)")
    return parser.parse_args()


def report(results: Sequence[Result], as_json: bool) -> None:
    info = machine()
    if as_json:
        print(json.dumps({"machine": info, "results": [r.to_json() for r in results]}))
    else:
        print(f"machine: {describe_machine(info)}")
        print(markdown(results))


def median(values: Sequence[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


# ---------------------------------------------------------------- an emulator to point ftdeck at


class EmulatorProcess(child.EmulatorProcess):
    """`ftdeck emulator` in a child process, on a free loopback port, with the benchmarks' key."""

    def __init__(self, data_dir: Path, *args: str, speed: float = 1.0) -> None:
        super().__init__(data_dir, *args, speed=speed, api_key=API_KEY)


def pointed_at(url: str, home: Path) -> dict[str, str]:
    """The environment of a user whose exported variables name this endpoint (and nothing else of
    theirs: config and data dirs under `home`)."""
    parts = ARM_DEPLOYMENTS.split("/")
    return {
        **clean_environment(home),
        "AZURE_OPENAI_ENDPOINT": url,
        "AZURE_OPENAI_API_KEY": API_KEY,
        "FTDECK_MANAGEMENT_ENDPOINT": url,
        "FTDECK_MANAGEMENT_TOKEN": API_KEY,
        "AZURE_SUBSCRIPTION_ID": parts[2],
        "AZURE_RESOURCE_GROUP": parts[4],
        "AZURE_OPENAI_ACCOUNT": parts[8],
    }


def clean_environment(home: Path) -> dict[str, str]:
    """No Azure variables, no profile, config and data under `home`: ftdeck picks the built-in emulator."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AZURE_", "FTDECK_", "OPENAI_", "TEXTUAL_"))}
    env.update(
        FTDECK_CONFIG=str(home / "config.toml"), XDG_CONFIG_HOME=str(home / "config"), XDG_DATA_HOME=str(home / "data"),
        TERM="xterm-256color", COLORTERM="truecolor",
    )
    return as_installed(env)


def as_installed(env: dict[str, str]) -> dict[str, str]:
    """`env` with Python's bytecode cache on, as a user has it after `pip install` (which compiles
    every module). CI machines often set PYTHONDONTWRITEBYTECODE: each run would then compile
    ftdeck's own modules again (an editable install has no compiled copy), tens of ms that the
    reference, made of compiled site-packages, never pays. The cache goes to a directory of its
    own, not into the source tree; each benchmark's untimed first run fills it."""
    env = {k: v for k, v in env.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(Path(tempfile.gettempdir()) / "ftdeck-bench-bytecode")
    return env


# ---------------------------------------------------------------- programs under a pseudo-terminal


class Terminal:
    """A program on a pseudo-terminal of its own (`size` columns x rows), as a user runs it. What it
    draws is read all the time (a program whose output is not read blocks), and the moment each of
    the `watch` groups of texts is first all on screen is noted, with escape sequences stripped."""

    def __init__(self, argv: Sequence[str], env: dict[str, str], watch: Sequence[Sequence[str]] = (), *, size: tuple[int, int] = (120, 40)) -> None:
        self.argv = list(argv)
        self.master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", size[1], size[0], 0, 0))
        self._pending = [tuple(group) for group in watch]
        self.seen: dict[tuple[str, ...], float] = {}  # group -> seconds from launch
        self._screen = bytearray()
        self._changed = threading.Condition()
        self.closed = False
        self.started = time.perf_counter()
        env = {**env, "COLUMNS": str(size[0]), "LINES": str(size[1])}  # Textual believes these over the terminal (pytest sets 80x24)
        self.process = subprocess.Popen(self.argv, stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True, close_fds=True)
        os.close(slave)
        self._reader = threading.Thread(target=self._read, daemon=True, name="terminal-reader")
        self._reader.start()

    def _read(self) -> None:
        while True:
            ready, _, _ = select.select([self.master], [], [], 0.05)
            if not ready:
                if self.process.returncode is not None:
                    break
                continue
            try:
                data = os.read(self.master, 1 << 16)
            except OSError:  # EIO: the program closed the terminal
                data = b""
            now = time.perf_counter()
            with self._changed:
                if not data:
                    self.closed = True
                    self._changed.notify_all()
                    return
                self._screen.extend(data)
                del self._screen[: max(0, len(self._screen) - (1 << 18))]  # the recent screens are enough
                if self._pending:
                    text = self.text()
                    for group in list(self._pending):
                        if all(marker in text for marker in group):
                            self.seen[group] = now - self.started
                            self._pending.remove(group)
                self._changed.notify_all()

    def text(self) -> str:
        """What was drawn lately, without escape sequences (a pane title is drawn in one piece)."""
        return ANSI.sub(b"", bytes(self._screen)).decode("utf-8", "replace")

    def wait_for(self, group: Sequence[str], timeout: float = 60.0) -> float:
        """Seconds from launch until every text of `group` was on screen. A group not among `watch`
        is looked for from now on, in what was drawn lately too (its time is then when it was found)."""
        group, deadline = tuple(group), time.monotonic() + timeout
        with self._changed:
            if group not in self.seen and group not in self._pending:
                if all(marker in self.text() for marker in group):
                    self.seen[group] = time.perf_counter() - self.started
                else:
                    self._pending.append(group)
            while group not in self.seen:
                if self.closed or self._exited():
                    raise RuntimeError(f"{' '.join(self.argv)} exited before showing {list(group)}: {self.text()[-1500:]}")
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{' '.join(self.argv)}: {list(group)} not on screen after {timeout:.0f} s: {self.text()[-800:]}")
                self._changed.wait(0.05)
        return self.seen[group]

    def _exited(self) -> bool:
        """Whether the program ended, without reaping it (so quit() still gets its resource usage)."""
        try:
            return os.waitid(os.P_PID, self.process.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
        except ChildProcessError:
            return True

    def cpu_seconds(self) -> float:
        """User + system CPU time the program has used so far (Linux /proc)."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def press(self, keys: bytes) -> None:
        os.write(self.master, keys)

    def quit(self, timeout: float = 15.0) -> "TerminalRun":
        """Press ctrl+q (which quits any Textual app); kill it if it does not go. Its resource usage
        comes from wait4, as /usr/bin/time -v reports it."""
        try:
            self.press(b"\x11")
        except OSError:
            pass
        deadline, usage = time.monotonic() + timeout, None
        while usage is None:
            pid, status, rusage = os.wait4(self.process.pid, os.WNOHANG)
            if pid:
                self.process.returncode, usage = os.waitstatus_to_exitcode(status), rusage
            elif time.monotonic() > deadline:
                os.killpg(self.process.pid, signal.SIGKILL)
                deadline = float("inf")
            else:
                time.sleep(0.02)
        self._reader.join(timeout=2)
        os.close(self.master)
        return TerminalRun(dict(self.seen), usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime)

    def kill(self) -> None:
        if self.process.returncode is None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.process.wait()

    def __enter__(self) -> "Terminal":
        return self

    def __exit__(self, *_: object) -> None:
        self.kill()


@dataclass
class TerminalRun:
    seen: dict[tuple[str, ...], float]  # group of texts -> seconds from launch to its first appearance
    peak_rss_mb: float  # of the whole run
    cpu_seconds: float  # user + system, of the whole run
