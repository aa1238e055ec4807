"""The `reset` fault drops the connection without an answer. It reaches the socket through a uvicorn
internal (the transport the request cycle keeps), so this proves it still does on the uvicorn
pyproject.toml allows: were the internal gone, clients would get a 500 instead."""

from __future__ import annotations

import httpx
import openai
import pytest


def test_a_reset_drops_the_connection_on_both_planes_without_an_answer(fresh_emulator):
    emu = fresh_emulator("--faults", "reset=1")
    with emu.http() as data_plane, emu.arm() as management_plane:
        for send in (lambda: data_plane.get("/openai/files"),
                     lambda: data_plane.post("/openai/fine_tuning/jobs", json={"model": "m", "training_file": "f"}),
                     lambda: management_plane.get("any-deployment")):
            with pytest.raises(httpx.TransportError):  # RemoteProtocolError: disconnected without a response
                response = send()
                pytest.fail(f"an answer came: {response.status_code} {response.text[:200]}")
    with pytest.raises(openai.APIConnectionError):
        emu.openai(max_retries=0).files.list()
