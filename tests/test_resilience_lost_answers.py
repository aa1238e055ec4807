"""Resilience, continued: answers lost on the way back, told truthfully by the real CLI.

- An upload whose answer was lost, when the file list then cannot be read either: ftdeck cannot
  tell whether the file arrived, so it says that it may have and to check `ftdeck files list`
  before trying again (as `jobs create` does for a job), never a bare "cannot reach"; the file
  did arrive, so a blind rerun would have made a second copy.
- A delete whose answer was lost is asked again by the retries; the retry finds nothing (404, or
  ARM's 204) because the first one deleted it: ftdeck says it is deleted, not that it never
  existed or failed. A delete of something that never existed still says so.

Between ftdeck and the emulator runs a network of the test's own (`LossyNetwork`, a small HTTP
relay on loopback) that passes each request on, or loses its answer after the emulator has acted,
or drops the connection before passing it on: the emulator's `--faults lost=R` strikes at random,
and these cases need one given request to lose its answer and the others not.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable

import httpx
import pytest

from tests.conftest import chat_examples, jsonl, upload, wait_for_job
from tests.test_playground import deploy
from tests.test_resilience import BASE, assert_completed_or_said_why, cli_env, is_wait_report, run_all

PASS, LOSE, DROP = "pass", "lose", "drop"
Rule = Callable[[str, str], str]  # (method, path) -> PASS, LOSE (the answer, after the work) or DROP (before it)
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "content-encoding", "host", "accept-encoding"}


class LossyNetwork:
    """An HTTP relay to `upstream` on a free loopback port; `rule` decides the fate of each request."""

    def __init__(self, upstream: str, rule: Rule) -> None:
        self.rule, self.fates = rule, []  # (method, path, fate) of every request, in order
        client = httpx.Client(base_url=upstream, timeout=60)
        network = self

        class Relay(BaseHTTPRequestHandler):
            def relay(self) -> None:
                body = self._body()
                path = self.path.split("?", 1)[0]
                fate = network.rule(self.command, path)
                network.fates.append((self.command, path, fate))
                if fate == DROP:
                    self.close_connection = True
                    return
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
                answer = client.request(self.command, self.path, headers=headers, content=body)
                if fate == LOSE:  # the emulator has acted; its answer goes no further
                    self.close_connection = True
                    return
                self.send_response(answer.status_code)
                for key, value in answer.headers.items():
                    if key.lower() not in HOP_BY_HOP:
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(answer.content)))
                self.end_headers()
                self.wfile.write(answer.content)

            def _body(self) -> bytes:
                if self.headers.get("transfer-encoding", "").lower() == "chunked":
                    chunks = []
                    while size := int(self.rfile.readline().split(b";")[0], 16):
                        chunks.append(self.rfile.read(size))
                        self.rfile.readline()
                    self.rfile.readline()
                    return b"".join(chunks)
                return self.rfile.read(int(self.headers.get("content-length") or 0))

            do_GET = do_POST = do_PUT = do_DELETE = relay

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Relay)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._client = client
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._client.close()


@pytest.fixture
def network(emulator):
    started: list[LossyNetwork] = []

    def between_ftdeck_and_the_emulator(rule: Rule) -> LossyNetwork:
        started.append(LossyNetwork(emulator.url, rule))
        return started[-1]

    yield between_ftdeck_and_the_emulator
    for relay in started:
        relay.close()


def first_then(first: Callable[[str, str], bool], fate: str, afterwards: str) -> Rule:
    """`fate` for the first request `first` picks out; `afterwards` for every request after it."""
    struck: list[bool] = []

    def rule(method: str, path: str) -> str:
        if struck:
            return afterwards
        if first(method, path):
            struck.append(True)
            return fate
        return PASS

    return rule


# ---------------------------------------------------------------- lost, then nothing can be read


def test_an_upload_whose_answer_was_lost_and_cannot_be_checked_says_it_may_have_arrived(emulator, network, tmp_path):
    path = tmp_path / "maybe-arrived.jsonl"
    path.write_bytes(jsonl(chat_examples(11, style="Maybe")))
    # The upload's answer is lost after the emulator stored the file; after that, nothing gets through.
    lossy = network(first_then(lambda method, p: method == "POST" and p.endswith("/files"), LOSE, DROP))
    [result] = run_all(cli_env(lossy.url, tmp_path), [["files", "upload", str(path)]])  # --reuse ask: "no" off a terminal

    assert_completed_or_said_why(result)
    assert result.returncode == 1
    assert "uploading maybe-arrived.jsonl failed (RemoteProtocolError" in result.stderr
    assert "the file may have arrived anyway; check `ftdeck files list` before trying again" in result.stderr
    assert [f.filename for f in emulator.openai().files.list()].count(path.name) == 1  # it had: a rerun would make two
    posts = [fate for method, p, fate in lossy.fates if method == "POST"]
    assert posts == [LOSE]  # sent once: never again without knowing


def test_a_job_whose_answer_was_lost_and_cannot_be_checked_says_the_same(emulator, network, tmp_path):
    training = upload(emulator.openai(), chat_examples(10)).id
    lossy = network(first_then(lambda method, p: method == "POST" and p.endswith("/fine_tuning/jobs"), LOSE, DROP))
    [result] = run_all(cli_env(lossy.url, tmp_path), [["jobs", "create", "--model", BASE, "--training-file", training,
                                                       "--suffix", "maybe-made"]])
    assert_completed_or_said_why(result)
    assert result.returncode == 1 and "creating the job failed (RemoteProtocolError" in result.stderr
    assert "the job may have been created anyway; check `ftdeck jobs list` before trying again" in result.stderr
    assert [j.suffix for j in emulator.openai().fine_tuning.jobs.list(limit=100).data].count("maybe-made") == 1


# ---------------------------------------------------------------- a delete whose answer was lost


def test_a_delete_whose_answer_was_lost_says_deleted_not_that_it_never_existed(emulator, network, tmp_path):
    client = emulator.openai()
    job = wait_for_job(client, client.fine_tuning.jobs.create(model=BASE, training_file=upload(client, chat_examples(10)).id,
                                                              suffix="lost-delete").id)
    deploy(emulator.arm(), "lost-delete-base", BASE)
    doomed = {
        "file": upload(client, chat_examples(10, style="Doomed"), name="doomed.jsonl").id,
        "job": job.id,
        "model": job.fine_tuned_model,
        "deployment": "lost-delete-base",
        "json": upload(client, chat_examples(10, style="Doomed too"), name="doomed-too.jsonl").id,
    }
    commands = {"file": ["files", "delete", doomed["file"]], "job": ["jobs", "delete", job.id],
                "model": ["models", "delete", job.fine_tuned_model], "deployment": ["deployments", "delete", "lost-delete-base"],
                "json": ["files", "delete", doomed["json"], "--json"]}
    # Each through a network of its own that loses the answer to the first DELETE, after the emulator deleted.
    lossy = {kind: network(first_then(lambda method, path: method == "DELETE", LOSE, PASS)) for kind in commands}
    results = dict(zip(commands, [run_all(cli_env(lossy[kind].url, tmp_path), [command])[0] for kind, command in commands.items()]))

    for kind, result in results.items():
        waits = result.stderr.splitlines()  # the wait before asking again is reported, nothing else
        assert result.returncode == 0 and len(waits) == 1 and is_wait_report(waits[0]), f"{kind}: {result.stderr}"
        assert [fate for method, _, fate in lossy[kind].fates if method == "DELETE"] == [LOSE, PASS]  # asked again once
        if kind != "json":
            assert result.stdout.strip() == f"deleted {doomed[kind]} (the answer to the delete was lost; asked again, " \
                                            "the service no longer has it)", kind
    assert json.loads(results["json"].stdout) == {"id": doomed["json"], "deleted": True, "outcome": "gone"}

    files = {f.id for f in client.files.list()}
    assert doomed["file"] not in files and doomed["json"] not in files  # deleted indeed, once
    assert job.id not in {j.id for j in client.fine_tuning.jobs.list(limit=100).data}
    assert job.fine_tuned_model not in {m.id for m in client.models.list()}
    assert emulator.arm().get("/lost-delete-base").status_code == 404


def test_a_delete_of_what_never_existed_still_says_so(emulator, network, tmp_path):
    clear = network(lambda method, path: PASS)  # nothing lost: a 404 (or ARM's 204) is the truth
    deployment, file = run_all(cli_env(clear.url, tmp_path), [["deployments", "delete", "never-deployed"],
                                                              ["files", "delete", "file-never-uploaded"]])
    assert deployment.returncode == 0 and deployment.stdout.strip() == "never-deployed did not exist"
    assert_completed_or_said_why(file)
    assert file.returncode == 1 and "404" in file.stderr and "deleted" not in file.stdout
