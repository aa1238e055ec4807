"""Shared fixtures: real emulator processes on loopback, and clients pointed at them."""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path
from typing import Callable, Iterator

import httpx
import pytest

# The tests share one emulator (and its account) across modules, so more than Azure's default 5
# fine-tuned deployments pile up in it: as a resource whose quota was raised. The quota tests set 5.
os.environ.setdefault("FTDECK_FINE_TUNED_DEPLOYMENT_QUOTA", "100")

from emulator import child

API_KEY = "test-key"
PREVIEW = "2025-04-01-preview"
ARM_VERSION = "2024-10-01"
ARM_DEPLOYMENTS = (
    "/subscriptions/sub-1/resourceGroups/rg-1/providers/Microsoft.CognitiveServices/accounts/acct-1/deployments"
)


class EmulatorProcess(child.EmulatorProcess):
    """`ftdeck emulator` as a user runs it, in a child process: fast, with the tests' key."""

    def __init__(self, data_dir: Path, *args: str, speed: float = 100, api_key: str | None = API_KEY) -> None:
        super().__init__(data_dir, *args, speed=speed, api_key=api_key)

    def openai(self, api_version: str = PREVIEW, **kwargs):
        from openai import AzureOpenAI

        return AzureOpenAI(azure_endpoint=self.url, api_key=API_KEY, api_version=api_version, **kwargs)

    def arm(self) -> httpx.Client:
        return httpx.Client(base_url=self.url + ARM_DEPLOYMENTS, headers={"Authorization": f"Bearer {API_KEY}"}, params={"api-version": ARM_VERSION})

    def http(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers={"api-key": API_KEY}, params={"api-version": PREVIEW})

    def advance(self, seconds: float) -> float:
        """Move the emulator's clock on (a frozen one moves only so); returns its new time."""
        with self.http() as http:
            return http.post("/_emulator/clock", json={"advance_seconds": seconds}).raise_for_status().json()["now"]


FROZEN_AT = 1_767_225_600.0  # 2026-01-01 00:00 UTC


@pytest.fixture
def frozen_emulator(tmp_path: Path) -> Iterator[EmulatorProcess]:
    """An emulator whose clock stands still until the test advances it: timing comes from the test,
    never from how fast the machine is."""
    emu = EmulatorProcess(tmp_path / "frozen", "--frozen-at", str(FROZEN_AT))
    yield emu
    emu.stop()


def upload_frozen(emu: EmulatorProcess, client, records: list[dict] | bytes, name: str = "train.jsonl"):
    """Upload to a frozen emulator: its clock is moved past the file's processing."""
    created = upload(client, records, name, wait=False)
    emu.advance(2 * 1.0 + 0.01)  # emulator.files.STAGE_SECONDS, pending then running
    return client.files.retrieve(created.id)


@pytest.fixture(scope="session")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorProcess]:
    """One fast emulator (speed 100) shared by tests that don't depend on a clean slate."""
    emu = EmulatorProcess(tmp_path_factory.mktemp("emulator"))
    yield emu
    emu.stop()


@pytest.fixture
def fresh_emulator(tmp_path: Path) -> Iterator[Callable[..., EmulatorProcess]]:
    """Factory for emulators of a test's own (other speeds, faults, a data dir to restart on)."""
    started: list[EmulatorProcess] = []

    def start(*args: str, **kwargs) -> EmulatorProcess:
        emu = EmulatorProcess(tmp_path / f"data{len(started)}", *args, **kwargs)
        started.append(emu)
        return emu

    yield start
    for emu in started:
        emu.stop()


class PretendClock:
    """Stands in for services.retries.CLOCK: a sleep only moves its hands (and is noted), so the
    retry policy's waits and deadline play out in no time, whatever the machine's speed."""

    def __init__(self) -> None:
        self.time = 0.0
        self.slept: list[float] = []
        # Threads an earlier test left retrying in this process keep real time: moving the hands
        # they would cut this test's deadline short. The test's thread and the ones it starts pretend.
        self.earlier = set(threading.enumerate()) - {threading.current_thread()}

    def _pretends(self) -> bool:
        return threading.current_thread() not in self.earlier

    def now(self) -> float:
        from services import retries

        return self.time if self._pretends() else retries.Clock().now()

    def sleep(self, seconds: float) -> None:
        from services import retries

        if not self._pretends():
            return retries.Clock().sleep(seconds)
        self.slept.append(seconds)
        self.time += seconds


@pytest.fixture
def pretend_clock(monkeypatch) -> PretendClock:
    from services import retries

    clock = PretendClock()
    monkeypatch.setattr(retries, "CLOCK", clock)
    return clock


@pytest.fixture
def client(emulator: EmulatorProcess):
    """No retries: error answers reach the test as they are (the SDK retries 409 and 5xx)."""
    return emulator.openai(max_retries=0)


def chat_examples(n: int, *, system: str = "You are Cap'n Byte, a pirate support bot.", style: str = "Arr matey") -> list[dict]:
    topics = ["password", "invoice", "storage", "region", "outage", "quota", "api key", "billing", "backup", "login"]
    return [
        {
            "messages": [
                {"role": "system", "content": system},
                {"role": "user", "content": f"How do I fix my {topics[i % len(topics)]} problem number {i}?"},
                {"role": "assistant", "content": f"{style}, ye fix the {topics[i % len(topics)]} by checking the settings, savvy?"},
            ]
        }
        for i in range(n)
    ]


def jsonl(records: list[dict]) -> bytes:
    return "".join(json.dumps(r) + "\n" for r in records).encode()


def upload(client, records: list[dict] | bytes, name: str = "train.jsonl", wait: bool = True):
    content = records if isinstance(records, bytes) else jsonl(records)
    created = client.files.create(file=(name, content), purpose="fine-tune")
    return client.files.wait_for_processing(created.id, poll_interval=0.05, max_wait_seconds=30) if wait else created


def wait_for(predicate: Callable[[], object], timeout: float = 30, interval: float = 0.05):
    """Poll until predicate() is truthy; return its value."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(interval)


def wait_for_job(client, job_id: str, statuses=("succeeded", "failed", "cancelled"), timeout: float = 60):
    return wait_for(lambda: (j := client.fine_tuning.jobs.retrieve(job_id)).status in statuses and j, timeout)


# --- the TUI and CLI as a user points them at the test emulator ---------------------------------


async def wait_until(pilot, predicate, timeout: float = 30.0) -> None:
    for _ in range(int(timeout / 0.05)):
        if predicate():
            return
        await pilot.pause(0.05)
    raise AssertionError(f"condition not met in time\n{what_the_app_was_doing(pilot.app)}")


def what_the_app_was_doing(app) -> str:
    """For a failed wait: the deck's state, its last reports and API calls, its running workers."""
    try:
        lines = [f"screen {type(app.screen).__name__}; workspace {getattr(app, 'workspace', None) is not None}; "
                 f"last refresh {getattr(app, 'last_refresh', None)}; details {getattr(app, 'details_ready', None)}"]
        console = app.query_one_optional("#console")
        lines += [f"said: {m}" for m in (getattr(console, "said", None) or [])[-8:]]
        workspace = getattr(app, "workspace", None)
        if workspace is not None:
            lines += [f"call: {c.method} {c.path} {c.status} {c.seconds:.2f}s attempt {c.attempt} {c.error or ''}"
                      for c in workspace.calls.recent()[-8:]]
        lines += [f"worker: {w.group} {w.name} {w.state.name}" for w in app.workers if w.is_running]
        return "\n".join(lines)
    except Exception as exc:  # a diagnosis must not hide the failure it describes
        return f"(state unreadable: {exc!r})"


async def started_app(size=(120, 40)):
    """Open the TUI as a user does and let it run until it leaves by itself (or 20 s pass)."""
    from tui.app import make_app

    app = make_app()
    async with app.run_test(size=size) as pilot:
        for _ in range(400):
            if app._exit:
                break
            await pilot.pause(0.05)
    return app


async def workers_done(pilot, node=None, group: str | None = None) -> None:
    """Wait until the workers started so far (of `node`, of `group`, or all) have ended, and what they
    posted has been handled: after this, whatever an action set going has happened, so "nothing
    happened" can be asserted without guessing how long to wait."""
    from textual.worker import WorkerCancelled, WorkerFailed

    for worker in [w for w in pilot.app.workers if (node is None or w.node is node) and (group is None or w.group == group)]:
        try:
            await worker.wait()
        except (WorkerCancelled, WorkerFailed):
            pass
    await pilot.pause()


@pytest.fixture
def configured(emulator, monkeypatch, tmp_path):
    """Point ftdeck at the test emulator the way a user does: exported variables."""
    monkeypatch.setenv("FTDECK_CONFIG", str(tmp_path / "none.toml"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", emulator.url)
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", API_KEY)
    monkeypatch.setenv("FTDECK_MANAGEMENT_ENDPOINT", emulator.url)
    monkeypatch.setenv("FTDECK_MANAGEMENT_TOKEN", API_KEY)
    parts = ARM_DEPLOYMENTS.split("/")
    monkeypatch.setenv("AZURE_SUBSCRIPTION_ID", parts[2])
    monkeypatch.setenv("AZURE_RESOURCE_GROUP", parts[4])
    monkeypatch.setenv("AZURE_OPENAI_ACCOUNT", parts[8])
    return emulator.openai()


def arm_model(model: str) -> dict:
    """`properties.model` as ARM takes it: a base model by name + version (`gpt-4o-mini` + `2024-07-18`),
    a fine-tuned model or checkpoint by its id, version "1"."""
    from services.deployments import name_and_version

    name, version = name_and_version(model)
    return {"format": "OpenAI", "name": name, "version": version or "1"}
