"""Resilience, continued: the emulator's faults on both planes, and answers lost after the work.

- Faults strike the management plane (ARM deployments) as they strike the data plane, each in its
  own error shape with retry-after, and never the /_emulator controls.
- `lost` carries the request out, then drops the connection unanswered: the case where a client
  that sends a POST again makes two jobs or two files.
"""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import API_KEY, ARM_DEPLOYMENTS, ARM_VERSION, EmulatorProcess, chat_examples, jsonl
from tests.test_resilience import BASE


def deployment_names(emu: EmulatorProcess) -> list[str]:
    with httpx.Client(headers={"Authorization": f"Bearer {API_KEY}"}, params={"api-version": ARM_VERSION}) as arm:
        return [d["name"] for d in arm.get(emu.url + ARM_DEPLOYMENTS).json()["value"]]


# ---------------------------------------------------------------- the emulator's faults


def test_faults_strike_both_planes_each_in_its_own_shape_and_spare_the_controls(fresh_emulator):
    emu = fresh_emulator("--faults", "429=0.5,500=0.5")  # every plane request fails
    with emu.http() as data, emu.arm() as arm:
        for _ in range(10):
            answer = data.get("/openai/files")
            error = answer.json()["error"]
            assert answer.status_code in (429, 500) and set(error) == {"code", "message"}
            if answer.status_code == 429:
                assert answer.headers["retry-after"] == "1" and "retry after 1 second" in error["message"]

            answer = arm.get("/any-deployment")
            assert answer.status_code in (429, 500)
            assert set(answer.json()["error"]) == {"code", "message", "target", "details"}  # ARM's error body
            if answer.status_code == 429:
                assert answer.headers["retry-after"] == "1" and answer.json()["error"]["code"] == "TooManyRequests"

            assert data.get("/_emulator/health").json() == {"status": "ok"}
            assert data.post("/_emulator/clock", json={"advance_seconds": 1}).status_code == 200


def test_lost_carries_the_request_out_then_drops_the_answer(fresh_emulator):
    emu = fresh_emulator("--faults", "lost=1")
    content = jsonl(chat_examples(10))
    with emu.http() as data, pytest.raises(httpx.RemoteProtocolError):
        data.post("/openai/files", files={"file": ("lost.jsonl", content)}, data={"purpose": "fine-tune"})
    with emu.arm() as arm, pytest.raises(httpx.RemoteProtocolError):
        arm.put("/lost-deployment", json={"sku": {"name": "standard", "capacity": 1},
                                          "properties": {"model": {"format": "OpenAI", "name": BASE, "version": "1"}}})
    emu.stop()

    with EmulatorProcess(emu.data_dir) as again:  # the same state, no faults: what did the service do?
        files = [f for f in again.openai().files.list() if f.filename == "lost.jsonl"]
        assert [f.bytes for f in files] == [len(content)]
        assert again.openai().files.content(files[0].id).content == content
        assert deployment_names(again) == ["lost-deployment"]
