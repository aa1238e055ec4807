"""Resilience, continued: waiting never hangs, quitting never waits.

Against an endpoint that takes connections and never answers (tests/hostile_server.py's
SilentServer): the TUI says OFFLINE once a request has had no answer in time (the read timeout,
made short here), and `q` ends the process at once though its workers are blocked in calls that
will never return (they run on daemon threads: nothing waits for them). The quit runs as a user
runs it, `python -m tui` on a pseudo-terminal (bench/harness.py's Terminal).
"""

from __future__ import annotations

import sys
import time

import httpx
import pytest

from bench.harness import Terminal
from tests.conftest import wait_until
from tests.hostile_server import SilentServer
from tests.test_resilience import cli_env


@pytest.fixture
def silent():
    server = SilentServer()
    yield server
    server.close()


def test_q_ends_the_process_while_its_workers_wait_on_an_endpoint_that_never_answers(silent, tmp_path):
    env = {**cli_env(silent.url, tmp_path), "TERM": "xterm-256color"}
    with Terminal([sys.executable, "-m", "tui"], env) as terminal:
        terminal.wait_for(["Connected to"])  # the first refresh is now waiting on the silent endpoint
        terminal.wait_for(["3 Files"])
        deadline = time.monotonic() + 10  # generous: this waits for the exit, it does not time it
        while not silent.held:  # a request is really in flight
            assert time.monotonic() < deadline, "no request reached the silent endpoint"
            time.sleep(0.05)
        terminal.press(b"q")
        while terminal.process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert terminal.process.poll() is not None, f"still running after q: {terminal.text()[-500:]}"
        assert "Traceback" not in terminal.text()


async def test_offline_is_shown_once_a_request_has_no_answer_in_time(silent, tmp_path, monkeypatch):
    from services import workspace
    from tui.app import make_app

    for name, value in cli_env(silent.url, tmp_path).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(workspace, "TIMEOUT", httpx.Timeout(0.5, connect=0.5), raising=False)  # 30 s in use
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: "OFFLINE" in str(app.query_one("#status").render()))
        said = app.query_one("#console").said
        assert any("no answer to GET /openai/" in line and "Timeout" in line for line in said), said


async def test_the_details_and_the_call_log_come_while_the_first_listing_still_waits(silent, tmp_path, monkeypatch):
    """Details and the API-call log are mounted once the first listing is on screen, or a second
    after connecting when it is not: an endpoint that never answers still gets them."""
    from tui.app import make_app

    for name, value in cli_env(silent.url, tmp_path).items():
        monkeypatch.setenv(name, value)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: silent.held)  # the first listing is in flight, and stays so
        assert app.deck.last_refresh is None and not app.offline
        await wait_until(pilot, lambda: app.query_one_optional("#api-log") is not None, timeout=10)
        await pilot.press("colon", *"/calls", "enter")
        await wait_until(pilot, lambda: not app.query_one("#api-log").collapsed)
        assert app.query_one("#jobs-detail") and app.deck.last_refresh is None
