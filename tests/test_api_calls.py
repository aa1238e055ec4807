"""The API-call log: every request on both planes, retries and failures included, nothing secret;
and its widget."""

from __future__ import annotations

import dataclasses
import socket
import threading
import time

import openai
import pytest
from textual.app import App, ComposeResult

from services.api_calls import Call
from services.deployments import list_deployments
from services.errors import FtdeckError
from services.files import list_files
from services.jobs import list_jobs
from services.workspace import open_workspace
from tests.conftest import API_KEY, ARM_VERSION, PREVIEW, wait_until
from widgets.api_log import ApiLog


def fields(call: Call) -> str:
    return " ".join(str(v) for v in dataclasses.astuple(call))


def test_calls_on_both_planes_are_recorded_without_secrets(configured):
    ws = open_workspace()
    heard: list[Call] = []
    ws.calls.subscribe(heard.append)
    ws.calls.subscribe(lambda call: 1 / 0)  # a broken listener must not break the calls
    try:
        list_jobs(ws)
        list_files(ws, purpose="fine-tune")
        list_deployments(ws)
    finally:
        ws.close()

    calls = ws.calls.recent()
    assert heard == calls
    # On a busy machine a pooled connection the emulator has just closed is sent again, and
    # recorded as such; every other call is a first attempt that was answered.
    answered = [c for c in calls if c.status is not None]
    dropped = [c for c in calls if c.status is None]
    assert all(c.error and c.attempt == 0 for c in dropped), calls
    assert all(c.attempt == 0 or c.path in {d.path for d in dropped} for c in answered), calls
    jobs, files, deployments = answered
    assert (jobs.plane, jobs.method, jobs.path, jobs.status, jobs.api_version) == ("data", "GET", "/openai/fine_tuning/jobs", 200, "2024-10-21")
    assert files.path == "/openai/files"  # the query (purpose=...) is dropped, the api-version kept apart
    assert (deployments.plane, deployments.method, deployments.status, deployments.api_version) == ("management", "GET", 200, ARM_VERSION)
    assert deployments.path.startswith("/subscriptions/sub-1/") and deployments.path.endswith("/accounts/acct-1/deployments")
    for call in answered:
        assert 0 < call.seconds < 10 and abs(call.when - time.time()) < 60
        assert call.error is None
    for call in calls:
        assert API_KEY not in fields(call) and "Bearer" not in fields(call)


def test_each_throttled_attempt_is_recorded_with_its_retry_after(configured, fresh_emulator, monkeypatch, pretend_clock):
    throttling = fresh_emulator("--faults", "429=1")
    monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", throttling.url)
    monkeypatch.setenv("FTDECK_RETRY_DEADLINE", "5")
    ws = open_workspace()
    try:
        with pytest.raises(openai.RateLimitError):
            ws.openai().fine_tuning.jobs.list()
    finally:
        ws.close()

    calls = ws.calls.recent()  # each attempt, after waiting the 1 s asked, until the 5 s deadline
    assert [(c.status, c.attempt, c.retry_after) for c in calls] == [(429, n, 1.0) for n in range(6)]
    assert pretend_clock.slept == [1.0] * 5
    assert all(API_KEY not in fields(c) for c in calls)


def test_a_request_without_an_answer_is_recorded_with_no_status(configured, monkeypatch):
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{s.getsockname()[1]}"
    monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", closed)
    monkeypatch.setenv("FTDECK_MANAGEMENT_ENDPOINT", closed)
    ws = open_workspace()
    try:
        with pytest.raises(openai.APIConnectionError):
            ws.openai().with_options(max_retries=0).files.list()
        with pytest.raises(FtdeckError, match="cannot reach the management endpoint"):
            list_deployments(ws)
    finally:
        ws.close()

    data, management = ws.calls.recent()
    assert (data.plane, data.status, management.plane, management.status) == ("data", None, "management", None)
    assert "ConnectError" in data.error and "ConnectError" in management.error


# --- the widget --------------------------------------------------------------------------------


def call(path: str = "/openai/fine_tuning/jobs", status: int | None = 200, **kwargs) -> Call:
    return Call(when=time.time(), plane="data", method="GET", path=path, api_version=PREVIEW, status=status, seconds=0.038, **kwargs)


class Host(App):
    def compose(self) -> ComposeResult:
        yield ApiLog(max_lines=100)


async def test_api_log_counts_while_collapsed_and_shows_the_latest_lines_when_opened():
    app = Host()
    async with app.run_test(size=(100, 30)) as pilot:
        log = app.query_one(ApiLog)
        assert log.collapsed and log.count == 0

        def worker() -> None:  # calls are recorded on the threads that make them
            for _ in range(2000):
                log.record(call())
            log.record(call(status=429, retry_after=1.0, attempt=1))
            log.record(call(status=None, error="ConnectError: [Errno 111] Connection refused"))
            log.record(call("/subscriptions/s/resourceGroups/g/providers/Microsoft.CognitiveServices/accounts/a/deployments/d"))

        thread = threading.Thread(target=worker)
        thread.start()
        await wait_until(pilot, lambda: log.count == 2003)
        thread.join()
        assert log.count == 2003 and not log.lines.lines  # nothing rendered while closed

        log.collapsed = False
        await wait_until(pilot, lambda: len(log.lines.lines) == 100)
        text = [line.text.rstrip() for line in log.lines.lines]
        # The status and the latency apart ("200 · 38 ms", never "20038 ms"), before the path.
        assert text[0].endswith(" 200 · 38 ms  GET /openai/fine_tuning/jobs")
        assert text[-3].endswith(" 429 · 38 ms  GET /openai/fine_tuning/jobs (retry 1) retry in 1 s")
        assert text[-2].endswith(" no answer · 38 ms  GET /openai/fine_tuning/jobs ConnectError: [Errno 111] Connection refused")
        assert text[-1].endswith(" 200 · 38 ms  GET …/deployments/d")

        log.add(call(status=500))  # once open, lines are written as calls arrive
        await pilot.pause()
        assert " 500 · 38 ms  GET " in log.lines.lines[-1].text
