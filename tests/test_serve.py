"""`ftdeck serve` (issue 16 §3): the deck as a web page. A real process serves it; the test fetches
the page and sees it would run ftdeck; a non-loopback bind needs saying so."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time

import aiohttp
import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def first_frame(port: int) -> bytes:
    """What the page's terminal receives once it connects: ftdeck drawing its panes."""
    received = b""
    async with aiohttp.ClientSession() as session, session.ws_connect(f"http://127.0.0.1:{port}/ws?width=120&height=40") as ws:
        while b"Jobs" not in received:
            message = await asyncio.wait_for(ws.receive(), 60)
            assert message.type in (aiohttp.WSMsgType.BINARY, aiohttp.WSMsgType.TEXT), message
            received += message.data if isinstance(message.data, bytes) else message.data.encode()
    return received


def test_serve_answers_the_page_that_opens_the_deck(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AZURE_", "FTDECK_"))}
    env |= {"FTDECK_CONFIG": str(tmp_path / "none.toml"), "XDG_DATA_HOME": str(tmp_path / "data"), "XDG_CONFIG_HOME": str(tmp_path)}
    server = subprocess.Popen([sys.executable, "-m", "tui", "serve", "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
    try:
        page = None
        for _ in range(300):  # until it listens
            try:
                page = httpx.get(f"http://127.0.0.1:{port}/", timeout=2)
                break
            except httpx.TransportError:
                assert server.poll() is None, server.stderr.read()
                time.sleep(0.1)
        assert page is not None and page.status_code == 200
        assert f"ws://127.0.0.1:{port}/ws" in page.text and "xterm" in page.text  # the terminal that runs ftdeck
        assert httpx.get(f"http://127.0.0.1:{port}/static/js/textual.js", timeout=5).status_code == 200  # served, not fetched
        assert b"Jobs" in asyncio.run(first_frame(port))  # the page's terminal runs ftdeck
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_serve_refuses_a_public_bind_without_being_told():
    result = subprocess.run([sys.executable, "-m", "tui", "serve", "--host", "0.0.0.0", "--port", "0"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "--allow-remote" in result.stderr and "Traceback" not in result.stderr
