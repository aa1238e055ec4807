"""Benchmark: live tail. The TUI follows a running job that has already produced 10,000 metric
events (and keeps producing one every 10 steps of 1.5 s, Azure's cadence); we measure its CPU and the requests it makes per
minute, against the same TUI idle: the same job and history, cancelled, so nothing moves.

The job's history is trained for real, in-process and on a fast-forwarded emulator clock (about
a millisecond a step), before the emulator serves it at normal speed. That emulator runs inside
this script, behind a small ASGI wrapper that counts requests and reads every events page it
sends: an event sent twice is a refetch (the tail re-reads at most a few known events per poll,
to find where the new ones end; never the history). The TUI is `python -m tui` on a
pseudo-terminal of 120x40, pointed at the emulator through the usual environment variables; its
CPU comes from /proc.

    .venv/bin/python bench/live_tail.py [--small] [--json]     (--small: 100 events, 3 s windows)
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import httpx

from harness import API_KEY, Result, Terminal, options, pointed_at, report

BASE = "gpt-4o-mini-2024-07-18"
CPU_TARGET = 5.0  # % of one core above idle
SUFFIX = "live-tail"
STEP_SECONDS = 1.5  # the emulator's step on its clock (emulator/jobs.py)
EVENT_EVERY_STEPS = 10  # a metrics event every 10 steps, as Azure logs them (emulator/jobs.py)
PANE_TITLES = ("Jobs", "Files", "Deployments")
LOOK_BACK = 5  # known events a poll may re-read to find where the new ones end (services/jobs.py EventTail)


def training_data(n: int) -> bytes:
    topics = ["password", "invoice", "storage", "region", "outage", "quota", "api key", "billing", "backup", "login"]
    return "".join(
        json.dumps({"messages": [
            {"role": "system", "content": "You are Cap'n Byte, a pirate support bot."},
            {"role": "user", "content": f"How do I fix my {topics[i % 10]} problem number {i}?"},
            {"role": "assistant", "content": f"Arr matey, ye fix the {topics[i % 10]} by checking the settings, savvy?"},
        ]}) + "\n"
        for i in range(n)
    ).encode()


def train_history(data_dir: Path, events: int, examples: int) -> tuple[str, int]:
    """A job with at least `events` events logged and many more steps to go: its id and how many
    events it holds."""
    from emulator import files, jobs
    from emulator.service import Emulator, Settings

    emu = Emulator(Settings(data_dir=data_dir))
    training = files.create(emu, "pirate.jsonl", "fine-tune", training_data(examples), immediately=True)
    job = jobs.create(emu, {"model": BASE, "training_file": training["id"], "suffix": SUFFIX, "seed": 3,
                            "hyperparameters": {"n_epochs": 50, "batch_size": 1}}, preview=True)
    while emu.store.job_progress(job["id"])["steps_done"] < events * EVENT_EVERY_STEPS:
        emu.clock.advance(jobs.STEP_SECONDS * 10)
        emu.runner.tick()
    held = len(emu.store.list_events(job["id"], None, 10**9)[0])
    emu.store.close()
    return job["id"], held


class RequestCounter:
    """ASGI wrapper: counts data- and management-plane requests and the events each events page
    holds, and notes every event sent more than once."""

    def __init__(self, app) -> None:
        self.app = app
        self.lock = threading.Lock()
        self.requests = Counter()  # "GET events", ... -> count
        self.sent: set[str] = set()
        self.resent = 0
        self.history_pages = 0  # pages that re-sent more than a poll's look-back of known events
        self.most_resent_in_a_page = 0

    def snapshot(self) -> tuple[int, int]:
        with self.lock:
            return sum(self.requests.values()), self.resent

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        path = scope["path"]
        kind = path.rsplit("/", 1)[-1] if "/fine_tuning/jobs/" in path else path.split("/")[2] if path.startswith("/openai/") else "deployments"
        with self.lock:
            self.requests[f"{scope['method']} {kind}"] += 1
        if not path.endswith("/events"):
            return await self.app(scope, receive, send)
        body = bytearray()

        async def keep(message) -> None:
            if message["type"] == "http.response.body":
                body.extend(message.get("body", b""))
                if not message.get("more_body"):
                    self._count_events(bytes(body))
            await send(message)

        await self.app(scope, receive, keep)

    def _count_events(self, body: bytes) -> None:
        try:
            ids = [event["id"] for event in json.loads(body)["data"]]
        except (ValueError, KeyError, TypeError):
            return
        with self.lock:
            again = sum(1 for i in ids if i in self.sent)
            self.resent += again
            self.most_resent_in_a_page = max(self.most_resent_in_a_page, again)
            self.history_pages += again > LOOK_BACK
            self.sent.update(ids)


def serve(data_dir: Path) -> tuple[str, RequestCounter, "object"]:
    """The emulator on a loopback port, served from a thread of this process, behind the counter."""
    import uvicorn

    from emulator.app import build_app
    from emulator.server import bind, url_of
    from emulator.service import Emulator, Settings

    counter = RequestCounter(build_app(Emulator(Settings(data_dir=data_dir, api_key=API_KEY))))
    server = uvicorn.Server(uvicorn.Config(counter, log_level="warning", access_log=False, lifespan="on"))
    server.config.install_signal_handlers = False  # type: ignore[attr-defined]
    sock = bind("127.0.0.1", 0)
    threading.Thread(target=lambda: asyncio.run(server.serve(sockets=[sock])), daemon=True).start()
    while not server.started:
        time.sleep(0.01)
    return url_of(sock), counter, server


def window(terminal: Terminal, counter: RequestCounter, seconds: float) -> tuple[float, float, int]:
    """(% of one core, requests per minute, events sent again) over `seconds`."""
    cpu, (requests, resent), start = terminal.cpu_seconds(), counter.snapshot(), time.perf_counter()
    time.sleep(seconds)
    elapsed = time.perf_counter() - start
    requests_after, resent_after = counter.snapshot()
    return (terminal.cpu_seconds() - cpu) / elapsed * 100, (requests_after - requests) / elapsed * 60, resent_after - resent


def settle(counter: RequestCounter, seconds: float) -> None:
    """Wait until the history is read (events pages come only at the polling rate), then a little more
    for the log and the first chart to be drawn: the windows measure following, not catching up."""
    pause = min(3.0, seconds / 2)
    while True:
        before = counter.requests["GET events"]
        time.sleep(pause)
        if counter.requests["GET events"] - before <= pause:  # about a page every 2 s, or less
            break
    time.sleep(pause)


def measure(events: int, seconds: float) -> list[Result]:
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        job_id, events = train_history(home / "emulator", events, examples=500 if events > 1000 else 40)
        url, counter, server = serve(home / "emulator")
        try:
            with Terminal([sys.executable, "-m", "tui"], pointed_at(url, home), [PANE_TITLES]) as terminal:
                terminal.wait_for(PANE_TITLES)
                deadline = time.monotonic() + 120
                while len(counter.sent) < events:  # the job (the only one, so followed) has its history read
                    if time.monotonic() > deadline:
                        raise TimeoutError(f"the TUI read {len(counter.sent)} of {events} events in 2 minutes")
                    time.sleep(0.1)
                settle(counter, seconds)  # the rest of the history read, the first chart and log drawn
                live = window(terminal, counter, seconds)
                http = httpx.Client(base_url=url, headers={"api-key": API_KEY}, params={"api-version": "2024-10-21"})
                assert http.get(f"/openai/fine_tuning/jobs/{job_id}").json()["status"] == "running", "the job stopped early"
                http.post(f"/openai/fine_tuning/jobs/{job_id}/cancel").raise_for_status()
                time.sleep(min(3.0, seconds / 2 + 1))  # the TUI sees the job end, then nothing moves
                idle = window(terminal, counter, seconds)
                terminal.quit()
        finally:
            server.should_exit = True  # type: ignore[attr-defined]
    history = f"{events:,} events held"
    return [
        Result("live tail", f"CPU following a running job ({history}; a new event every {STEP_SECONDS * EVENT_EVERY_STEPS:g} s)", "% of a core",
               live[0], idle[0], "same TUI idle", f"< {CPU_TARGET:g} points above idle", live[0] - idle[0] < CPU_TARGET,
               f"{seconds:g} s windows"),
        Result("live tail", "requests per minute", "requests/min", live[1], idle[1], "same TUI idle"),
        Result("live tail", "known events fetched again per minute", "events/min", live[2] / seconds * 60, idle[2] / seconds * 60,
               "same TUI idle", f"never the history (≤ {LOOK_BACK} a page)", counter.history_pages == 0,
               f"whole run: {counter.history_pages} pages re-sent over {LOOK_BACK} known events, at most "
               f"{counter.most_resent_in_a_page} in one"),
    ]


def main() -> None:
    args = options(__doc__.splitlines()[0])
    report(measure(100, 3.0) if args.small else measure(2_000, 30.0), args.json)


if __name__ == "__main__":
    main()
