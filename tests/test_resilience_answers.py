"""Resilience, continued: what a server answers is checked before it is believed, and the one retry
policy reads what it is asked to wait.

Against a hostile server of the test's own (tests/hostile_server.py) that answers what Azure never
does, the real CLI (in process, through `tui.cli.main`) says in one line which endpoint answered
what, and exits non-zero: a sign-in page with a 200, an HTML 500, a redirect on ARM or on an
upload (not followed: the POST would come back a GET and "create" nothing), a created file without
an id, timestamps no clock can show, a results.csv that is not numbers. The retry policy honours
`retry-after-ms`, then `retry-after` as seconds or as an HTTP date, treats a negative one as 0
(ARM's `-5` crashed), and reports each wait on stderr, under --json too. Waits pass on a pretend
clock (tests/conftest.py), never the machine's.
"""

from __future__ import annotations

import email.utils
import json
import time
from pathlib import Path

import pytest

from tests.conftest import API_KEY, ARM_DEPLOYMENTS, chat_examples, jsonl
from tests.hostile_server import DROP, Answer, HostileServer, json_answer, listing, page
from tests.test_resilience import is_wait_report
from tui.cli import main

FILES = "/openai/files"
JOBS = "/openai/fine_tuning/jobs"
SIGN_IN = "<html><head><title>Sign in to your account</title></head><body>\n<form>...</form></body></html>"


def a_file(file_id: str = "file-1", **fields) -> dict:
    return {"id": file_id, "object": "file", "bytes": 10, "created_at": 1_700_000_000, "filename": "train.jsonl",
            "purpose": "fine-tune", "status": "processed", **fields}


def a_job(job_id: str = "ftjob-1", **fields) -> dict:
    return {"id": job_id, "object": "fine_tuning.job", "model": "gpt-4o-mini-2024-07-18", "status": "succeeded",
            "created_at": 1_700_000_000, "training_file": "file-1", "hyperparameters": {}, "result_files": ["file-r"],
            "fine_tuned_model": None, **fields}


@pytest.fixture
def hostile(monkeypatch, tmp_path, pretend_clock):
    """Point ftdeck at a hostile server answering with `answers(method, path)`."""
    started: list[HostileServer] = []

    def serve(answers) -> HostileServer:
        server = HostileServer(answers)
        started.append(server)
        parts = ARM_DEPLOYMENTS.split("/")
        for name, value in {"FTDECK_CONFIG": str(tmp_path / "none.toml"), "XDG_DATA_HOME": str(tmp_path / "data"),
                            "AZURE_OPENAI_ENDPOINT": server.url, "AZURE_OPENAI_API_KEY": API_KEY,
                            "FTDECK_MANAGEMENT_ENDPOINT": server.url, "FTDECK_MANAGEMENT_TOKEN": API_KEY,
                            "AZURE_SUBSCRIPTION_ID": parts[2], "AZURE_RESOURCE_GROUP": parts[4],
                            "AZURE_OPENAI_ACCOUNT": parts[8]}.items():
            monkeypatch.setenv(name, value)
        return server

    yield serve
    for server in started:
        server.close()


def ftdeck(capsys, *args: str) -> tuple[int, str, list[str]]:
    """Exit code, stdout, and the stderr lines that are not wait reports."""
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, [line for line in err.splitlines() if not is_wait_report(line)]


def said_once(err: list[str], *parts: str) -> str:
    assert len(err) == 1 and err[0].startswith("ftdeck: "), err
    for part in parts:
        assert part in err[0], err[0]
    return err[0]


# ---------------------------------------------------------------- answers no service gives


@pytest.mark.parametrize("command", [["files", "list"], ["jobs", "list", "--json"], ["deployments", "list"]])
def test_a_sign_in_page_with_a_200_is_named_not_parsed(hostile, capsys, command):
    server = hostile(lambda method, path: page(SIGN_IN))
    code, out, err = ftdeck(capsys, *command)
    path = ARM_DEPLOYMENTS if command[0] == "deployments" else "/openai/" + {"files": "files", "jobs": "fine_tuning/jobs"}[command[0]]
    said_once(err, f"GET {server.url}{path} answered 200 text/html ('Sign in to your account'): not JSON")
    assert code == 1 and out == ""


def test_json_that_does_not_parse_is_named(hostile, capsys):
    server = hostile(lambda method, path: Answer(200, b'{"data": [', {"content-type": "application/json"}))
    code, _, err = ftdeck(capsys, "files", "list")
    said_once(err, f"GET {server.url}/openai/files answered 200 application/json", "JSON that does not parse")
    assert code == 1


def test_an_html_500_is_named_as_a_page_not_the_services_error(hostile, capsys, monkeypatch):
    monkeypatch.setenv("FTDECK_RETRY_DEADLINE", "0")  # a 5xx is retried; here the first is the last
    server = hostile(lambda method, path: page("<html><title>502 Bad Gateway</title><h1>nginx</h1></html>", 500))
    code, _, err = ftdeck(capsys, "files", "list")
    said_once(err, f"GET {server.url}/openai/files answered 500 text/html ('502 Bad Gateway'): not the service's error")
    assert code == 1
    code, _, err = ftdeck(capsys, "deployments", "list")
    said_once(err, f"{ARM_DEPLOYMENTS} answered 500 text/html ('502 Bad Gateway')")


def test_a_redirect_on_arm_is_not_followed(hostile, capsys):
    server = hostile(lambda method, path: Answer(302, b"", {"location": "https://login.example.com/sso?token=SECRET"}))
    code, _, err = ftdeck(capsys, "deployments", "list")
    line = said_once(err, f"GET {server.url}{ARM_DEPLOYMENTS} answered 302", "a redirect to https://login.example.com/sso")
    assert code == 1 and "SECRET" not in line and server.requests == [("GET", ARM_DEPLOYMENTS)]


def test_a_redirected_upload_is_not_followed_nor_called_a_success(hostile, capsys, tmp_path):
    path = tmp_path / "train.jsonl"
    path.write_bytes(jsonl(chat_examples(10)))
    server = hostile(lambda method, path_: Answer(302, b"", {"location": "/elsewhere"}) if method == "POST" else listing())
    code, out, err = ftdeck(capsys, "files", "upload", str(path), "--reuse", "no")
    said_once(err, f"POST {server.url}/openai/files answered 302", "redirect")
    assert code == 1 and "uploaded" not in out
    assert ("GET", "/elsewhere") not in server.requests and server.requests.count(("POST", FILES)) == 1


def test_a_created_file_without_an_id_is_not_believed(hostile, capsys, tmp_path):
    path = tmp_path / "train.jsonl"
    path.write_bytes(jsonl(chat_examples(10)))
    hostile(lambda method, path_: json_answer({"object": "file"}) if method == "POST" else listing())
    code, out, err = ftdeck(capsys, "files", "upload", str(path), "--reuse", "no")
    said_once(err, "POST /openai/files answered without the new file's id")
    assert code == 1 and out == ""


@pytest.mark.parametrize("created_at", [1e20, "yesterday", -1e300])
def test_a_time_no_clock_can_show_is_shown_as_it_came(hostile, capsys, created_at):
    hostile(lambda method, path: listing(a_file(created_at=created_at)) if path == FILES else listing(a_job(created_at=created_at)))
    for command in (["files", "list"], ["jobs", "list"]):
        code, out, err = ftdeck(capsys, *command)
        assert code == 0 and not err and "?(" in out, out


async def test_the_tui_shows_a_time_no_clock_can_show_and_carries_on(hostile):
    from tests.conftest import wait_until
    from tui.app import make_app

    hostile(lambda method, path: listing(a_file(created_at=1e20)) if path == FILES
            else listing(a_job(created_at="yesterday")) if path == JOBS else json_answer({"value": []}))
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: "file-1" in app.resources["files"])
        await pilot.press("3")  # the files pane: its detail shows when the file was created
        await wait_until(pilot, lambda: "?(1e+20)" in str(app.query_one("#files-detail").render()) or
                         any("?(1e+20)" in str(w.render()) for w in app.query_one("#files-detail").query("*")))
        assert app.is_running


@pytest.mark.parametrize("csv, says", [
    ("step,train_loss\n1,0.5\n2,abc\n", "line 3, column 'train_loss': 'abc' is not a finite number"),
    ("train_loss,valid_loss\n0.5,0.6\n", "has no 'step' column"),
    ("step,train_loss\n1,inf\n", "'inf' is not a finite number"),
    ("step,train_loss\n1,nan\n", "'nan' is not a finite number"),
])
def test_a_malformed_results_file_is_refused_in_one_line(hostile, capsys, csv, says):
    hostile(lambda method, path: Answer(200, csv.encode(), {"content-type": "application/octet-stream"})
            if path.endswith("/content") else json_answer(a_job()))
    code, out, err = ftdeck(capsys, "results", "ftjob-1", "--json")
    said_once(err, "the results.csv of ftjob-1", says)
    assert code == 1 and out == ""


# ---------------------------------------------------------------- what the retry policy is asked


def throttled_then(status_answers: list[Answer]):
    """Each request gets the next answer of the list; the last one forever."""
    answers = iter(status_answers)
    last: list[Answer] = []

    def answer(method: str, path: str) -> Answer:
        last[:] = [next(answers, last[0] if last else status_answers[-1])]
        return last[0]

    return answer


def test_retry_after_ms_is_honoured_before_retry_after(hostile, capsys, pretend_clock):
    hostile(throttled_then([json_answer({"error": {"code": "429"}}, 429, **{"retry-after-ms": "250", "retry-after": "9"}), listing()]))
    code, _, err = ftdeck(capsys, "files", "list", "--json")
    assert code == 0 and not err and pretend_clock.slept == [0.25]


def test_retry_after_as_an_http_date_is_honoured(hostile, capsys, pretend_clock):
    later = email.utils.formatdate(time.time() + 20, usegmt=True)
    hostile(throttled_then([json_answer({"error": {"code": "429"}}, 429, **{"retry-after": later}), listing()]))
    code, _, _ = ftdeck(capsys, "files", "list")
    assert code == 0 and len(pretend_clock.slept) == 1 and 15 < pretend_clock.slept[0] <= 20


def test_a_negative_retry_after_on_arm_waits_nothing_and_tries_again(hostile, capsys, pretend_clock):
    hostile(throttled_then([json_answer({"error": {"code": "TooManyRequests", "message": "slow down"}}, 429, **{"retry-after": "-5"}),
                            json_answer({"value": []})]))
    code, out, _ = ftdeck(capsys, "deployments", "list", "--json")
    assert code == 0 and json.loads(out) == [] and pretend_clock.slept == [0.0]


def test_each_wait_is_reported_on_stderr_under_json_too(hostile, capsys, pretend_clock):
    hostile(throttled_then([json_answer({}, 503, **{"retry-after": "2"}), DROP, listing()]))
    code = main(["files", "list", "--json"])
    out, err = capsys.readouterr()
    assert code == 0 and json.loads(out) == []
    first, second = err.splitlines()
    assert first == "ftdeck: GET /openai/files answered 503; retrying in 2.0 s (attempt 2)"
    assert second.startswith("ftdeck: GET /openai/files no answer (RemoteProtocolError") and "(attempt 3)" in second
    assert pretend_clock.slept[0] == 2.0


def test_a_wait_longer_than_the_deadline_is_not_sat_through(hostile, capsys, pretend_clock):
    server = hostile(lambda method, path: json_answer({"error": {"code": "429", "message": "quota spent"}}, 429, **{"retry-after": "86400"}))
    code, _, err = ftdeck(capsys, "files", "list")
    said_once(err, "throttled (429), retry after 86400 s: quota spent")
    assert code == 3 and pretend_clock.slept == [] and len(server.requests) == 1


def test_retrying_ends_at_the_deadline(hostile, capsys, pretend_clock, monkeypatch):
    monkeypatch.setenv("FTDECK_RETRY_DEADLINE", "30")
    server = hostile(lambda method, path: json_answer({"error": {"code": "500", "message": "boom"}}, 500))
    code, _, err = ftdeck(capsys, "files", "list")
    said_once(err, "500")
    assert code == 3 and sum(pretend_clock.slept) <= 30 and len(server.requests) == len(pretend_clock.slept) + 1 > 5


def test_a_bad_deadline_setting_is_named(hostile, capsys, monkeypatch):
    hostile(lambda method, path: listing())
    monkeypatch.setenv("FTDECK_RETRY_DEADLINE", "soon")
    code, _, err = ftdeck(capsys, "files", "list")
    said_once(err, "FTDECK_RETRY_DEADLINE='soon' is not a number of seconds")
    assert code == 2


# ---------------------------------------------------------------- outcomes with their own exit codes


def test_an_upload_whose_status_cannot_be_read_says_its_id_and_status_unknown(hostile, capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("FTDECK_RETRY_DEADLINE", "10")
    path = tmp_path / "train.jsonl"
    path.write_bytes(jsonl(chat_examples(10)))

    def answers(method: str, path_: str) -> Answer:
        if method == "POST":
            return json_answer(a_file("file-accepted", status="pending"))
        if path_ == FILES:
            return listing()
        return json_answer({"error": {"code": "429", "message": "slow down"}}, 429, **{"retry-after": "1"})  # the status poll

    server = hostile(answers)
    code, out, err = ftdeck(capsys, "files", "upload", str(path), "--reuse", "no")
    said_once(err, "uploaded as file-accepted; status unknown", "do not upload it again")
    assert code == 4 and server.requests.count(("POST", FILES)) == 1


def test_jobs_watch_tells_an_endpoint_gone_from_a_failed_job(hostile, capsys, monkeypatch):
    monkeypatch.setenv("FTDECK_RETRY_DEADLINE", "5")
    gone: list[bool] = []

    def answers(method: str, path: str) -> Answer:
        if gone:
            return DROP
        if path.endswith("/events"):
            return listing()
        gone.append(True)  # the job is running; then nothing answers
        return json_answer(a_job(status="running"))

    hostile(answers)
    code, _, err = ftdeck(capsys, "jobs", "watch", "ftjob-1", "--interval", "0")
    said_once(err, "dropped before an answer came")
    assert code == 3

    hostile(lambda method, path: listing() if path.endswith("/events") else json_answer(a_job(status="failed")))
    code, out, err = ftdeck(capsys, "jobs", "watch", "ftjob-1", "--interval", "0")
    assert code == 1 and "status: failed" in out and not err


# ---------------------------------------------------------------- the emulator answers bad requests as Azure does


def assert_azure_error(answer, status: int, *, param: str | None = None) -> dict:
    """Azure's data-plane error envelope (spec section 9), not a 500 with a traceback."""
    assert answer.status_code == status, answer.text
    error = answer.json()["error"]
    assert isinstance(error["code"], str) and isinstance(error["message"], str)
    if param:
        assert error.get("param") == param, error
    return error


def test_the_emulator_answers_bad_requests_with_azures_error_not_a_traceback(emulator):
    import httpx

    from tests.conftest import PREVIEW, upload
    from tests.test_playground import BASE as BASE_MODEL, deploy

    with emulator.http() as http:
        # A key no terminal can type: a wrong key, answered as Azure answers any wrong key.
        wrong = httpx.get(emulator.url + "/openai/files", params={"api-version": PREVIEW}, headers={"api-key": "clé-é".encode()})
        assert_azure_error(wrong, 401)
        for path in ("/openai/files", "/openai/fine_tuning/jobs"):
            assert_azure_error(http.get(path, params={"limit": "²"}), 400, param="limit")

        training = upload(emulator.openai(), chat_examples(10)).id
        for body, param in (({"hyperparameters": "abc"}, "hyperparameters"), ({"method": "dpo"}, "method"),
                            ({"method": {"type": "supervised", "supervised": "x"}}, "method.supervised"),
                            ({"method": {"supervised": "x"}}, "method.supervised"),
                            ({"method": {"type": "supervised", "supervised": {"hyperparameters": 3}}}, "method.supervised.hyperparameters")):
            answer = http.post("/openai/fine_tuning/jobs", json={"model": BASE_MODEL, "training_file": training, **body})
            assert_azure_error(answer, 400, param=param)

        deploy(emulator.arm(), "bad-requests-base", BASE_MODEL)
        answer = http.post("/openai/deployments/bad-requests-base/chat/completions",
                           json={"messages": [{"role": "user", "content": "hi"}], "stream": True, "stream_options": "yes"})
        assert_azure_error(answer, 400, param="stream_options")
    assert "Traceback" not in emulator.log.read_text()
