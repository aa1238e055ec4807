"""Resilience: the CLI against a misbehaving service, bad input, and secrets kept.

- Faults: with the emulator's `--faults` at high rates (429 with retry-after, 500, dropped
  connections, slow answers) on both planes, every command, deployments' included, completes or
  fails with one clear line (exit code not 0, no traceback), and `jobs create` never creates a job
  twice, also when an answer is lost after the service acted (here a network that loses answers;
  tests/test_resilience_faults.py has the emulator's own `lost` fault).
- Bad input to `data validate` and `files upload`: a clear error naming the problem (and the line),
  exit code not 0, no traceback, nothing uploaded.
- Secrets: keys never in `config show`, error messages, the emulator's log or anything ftdeck
  writes; the emulator refuses a non-loopback bind without a key.

Most commands run as real processes. The bad-input cases run through the same entry point
in-process (`tui.cli.main`), which is ten times cheaper; a few of them run as processes too.
"""

from __future__ import annotations

import json
import os
import random
import stat
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from services.errors import STATUS_UNKNOWN
from tests.conftest import arm_model, API_KEY, ARM_DEPLOYMENTS, EmulatorProcess, chat_examples, jsonl, upload, wait_for
from tui.cli import main

BASE = "gpt-4o-mini-2024-07-18"
# High enough that most commands meet several faults, low enough that the SDK's retries (two, after
# the retry-after or a backoff) let most of them through. A slow answer takes 3 s.
FAULTS = "429=0.1,500=0.1,reset=0.1,slow=0.02"
SECRET_KEY = "sk-resilience-SECRET-4f9c2a"  # distinctive, so any leak is found by a plain search


def cli_env(url: str, tmp_path: Path, key: str = API_KEY) -> dict[str, str]:
    parts = ARM_DEPLOYMENTS.split("/")
    return {
        **os.environ,
        "FTDECK_CONFIG": str(tmp_path / "none.toml"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "AZURE_OPENAI_ENDPOINT": url,
        "AZURE_OPENAI_API_KEY": key,
        "FTDECK_MANAGEMENT_ENDPOINT": url,
        "FTDECK_MANAGEMENT_TOKEN": key,
        "AZURE_SUBSCRIPTION_ID": parts[2],
        "AZURE_RESOURCE_GROUP": parts[4],
        "AZURE_OPENAI_ACCOUNT": parts[8],
        "FTDECK_RETRY_DEADLINE": "5",  # seconds of retrying: enough for these faults, short when nothing answers
    }


def run_all(env: dict[str, str], commands: list[list[str]]) -> list[subprocess.CompletedProcess]:
    """Each command as its own `ftdeck` process, a few at a time (they mostly wait on retries)."""
    def run(args: list[str]) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "tui", *args], env=env, capture_output=True, text=True, timeout=120)

    with ThreadPoolExecutor(max_workers=4) as pool:
        return list(pool.map(run, commands))


def assert_completed_or_said_why(result: subprocess.CompletedProcess, *secrets: str) -> None:
    """Exit 0 with its JSON, or not 0 with one line on stderr; never a traceback, never a secret."""
    where = f"{' '.join(result.args[3:])}: exit {result.returncode}\n{result.stderr}"
    assert "Traceback" not in result.stderr, where
    for secret in secrets:
        assert secret not in result.stdout + result.stderr, where
    if result.returncode == 0:
        json.loads(result.stdout)
    else:
        lines = [line for line in result.stderr.strip().splitlines() if not is_wait_report(line)]
        assert len(lines) == 1 and lines[0].startswith("ftdeck: ") and len(lines[0]) < 600, where


def assert_made_once_or_said_why(result: subprocess.CompletedProcess, made: int, maybe: str | None = None) -> None:
    """What a command that makes (or removes) one thing left on the service, `made` times found
    there after it: exit 0 made exactly one; any other exit said why in one line and changed
    nothing, unless an answer was lost after the service acted and the line says so (`maybe`)."""
    where = f"{' '.join(result.args[3:])}: exit {result.returncode}, made {made}\n{result.stderr}"
    assert_completed_or_said_why(result)
    if result.returncode == 0:
        assert made == 1, where
    elif made:
        assert made == 1 and maybe is not None and maybe in result.stderr, where


def is_wait_report(line: str) -> bool:
    """A line that says a request will be sent again (services/retries.py Wait), not the outcome."""
    return line.startswith("ftdeck: ") and "; retrying in " in line


# ---------------------------------------------------------------- faults


def deploy_through_faults(emu: EmulatorProcess, name: str, model: str) -> None:
    """PUT until an answer comes (setting up on an emulator whose faults may strike it)."""
    body = {"sku": {"name": "standard", "capacity": 1}, "properties": {"model": arm_model(model)}}
    with emu.arm() as arm:
        for _ in range(30):
            try:
                if arm.put(f"/{name}", json=body).status_code in (200, 201):
                    return
            except httpx.TransportError:
                continue
    raise AssertionError(f"could not deploy {name}")


@pytest.fixture(scope="module")
def faulty(tmp_path_factory) -> EmulatorProcess:
    emu = EmulatorProcess(tmp_path_factory.mktemp("faulty"), "--faults", FAULTS)
    yield emu
    emu.stop()


@pytest.fixture(scope="module")
def patient(faulty):
    """A client that outlasts the faults, to set things up and to check the outcome."""
    return faulty.openai(max_retries=10)


@pytest.fixture(scope="module")
def training_file(patient) -> str:
    return upload(patient, chat_examples(10)).id


def test_every_command_completes_or_fails_in_one_clear_line(faulty, patient, training_file, tmp_path):
    job = patient.fine_tuning.jobs.create(model=BASE, training_file=training_file, suffix="faulty-show")
    for name in ("faulty-shown", "faulty-deleted"):
        deploy_through_faults(faulty, name, BASE)
    dataset = tmp_path / "every-command.jsonl"  # a name no other upload has
    dataset.write_bytes(jsonl(chat_examples(12, style="Ahoy")))
    commands = [
        ["files", "list", "--json"],
        ["files", "upload", str(dataset), "--reuse", "no", "--json"],
        ["jobs", "list", "--json"],
        ["jobs", "create", "--model", BASE, "--training-file", training_file, "--suffix", "faulty-create", "--json"],
        ["jobs", "show", job.id, "--json"],
        ["jobs", "events", job.id, "--json"],
        ["deployments", "list", "--json"],  # the management plane, which the faults strike too
        ["deployments", "show", "faulty-shown", "--json"],
        ["deployments", "create", "faulty-created", "--model", BASE, "--json"],
        ["deployments", "delete", "faulty-deleted", "--json"],
    ]
    results = run_all(cli_env(faulty.url, tmp_path), commands)
    for result in results:
        assert_completed_or_said_why(result, API_KEY)
    assert any(r.returncode == 0 for r in results)  # the faults slow things down, they do not stop everything
    # These faults strike before the service acts: a command that failed changed nothing, one that
    # succeeded did what it said.
    result = dict(zip((" ".join(command[:2]) for command in commands), results))
    stored = [f for f in patient.files.list() if f.filename == dataset.name]
    assert all(f.bytes == dataset.stat().st_size for f in stored)  # whole
    upload_ = result["files upload"]
    if upload_.returncode == STATUS_UNKNOWN:  # uploaded, then its status could not be read: the line names it
        assert [f"uploaded as {f.id}; status unknown" in upload_.stderr for f in stored] == [True], upload_.stderr
    else:
        assert_made_once_or_said_why(upload_, len(stored))
    if upload_.returncode == 0:
        assert json.loads(upload_.stdout)["id"] == stored[0].id and json.loads(upload_.stdout)["status"] == "processed"
    made = [j for j in patient.fine_tuning.jobs.list(limit=100).data if j.suffix == "faulty-create"]  # type: ignore[attr-defined]
    assert_made_once_or_said_why(result["jobs create"], len(made))
    with faulty.arm() as arm:
        names = _patiently(lambda: [d["name"] for d in arm.get(faulty.url + ARM_DEPLOYMENTS).raise_for_status().json()["value"]])
    # ARM accepted it, then following its progress failed: the line says so (exit 4).
    accepted = "accepted, but its progress could not be read"
    assert_made_once_or_said_why(result["deployments create"], names.count("faulty-created"), accepted)
    assert_made_once_or_said_why(result["deployments delete"], 1 - names.count("faulty-deleted"), accepted)  # removed once, or still there


def test_jobs_create_under_faults_never_creates_a_job_twice(fresh_emulator, tmp_path):
    """With answers also lost after the service acted (the `lost` fault), a POST sent again blindly
    makes a second job: eight creates meet several such losses."""
    losing = fresh_emulator("--faults", "429=0.1,500=0.1,reset=0.05,lost=0.35")
    patient = losing.openai(max_retries=30)  # reads through lost answers
    training_file = _patiently(lambda: upload(patient, chat_examples(10)).id)
    suffixes = [f"once-{i}" for i in range(8)]
    results = run_all(cli_env(losing.url, tmp_path), [
        ["jobs", "create", "--model", BASE, "--training-file", training_file, "--suffix", suffix, "--json"] for suffix in suffixes
    ])
    listed = [j.suffix for j in patient.fine_tuning.jobs.list(limit=100).data]  # type: ignore[attr-defined]
    for suffix, result in zip(suffixes, results):
        assert_completed_or_said_why(result, API_KEY)
        # Failed, yet made (every look at the job list lost too): the line must not let a script think it was not.
        assert_made_once_or_said_why(result, listed.count(suffix), maybe="the job may have been created")
        if result.returncode == 0:
            assert json.loads(result.stdout)["suffix"] == suffix


def _patiently(read):
    """Read through dropped connections and lost answers (a GET is safe to send again)."""
    for _ in range(30):
        try:
            return read()
        except (httpx.TransportError, httpx.HTTPStatusError):
            continue
    raise AssertionError("no answer in 30 tries")


class LoseAnswers(httpx.HTTPTransport):
    """A network that drops the first `n` answers to POST `path` (jobs by default): after the
    service has acted (`after=True`), or before the request reaches it."""

    def __init__(self, n: int, after: bool, path: str = "/fine_tuning/jobs") -> None:
        super().__init__()
        self.left, self.after, self.path = n, after, path

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        creating = request.method == "POST" and request.url.path.endswith(self.path)
        if creating and self.left and not self.after:  # (a refused connection is not sent again: a wrong endpoint)
            self.left -= 1
            raise httpx.RemoteProtocolError("connection dropped before the request reached the service")
        response = super().handle_request(request)
        if creating and self.left:
            self.left -= 1
            response.read()
            raise httpx.ReadError("connection reset before the answer arrived")
        return response


@pytest.mark.parametrize("after", [True, False], ids=["answer-lost-after-creating", "request-lost-before"])
def test_create_is_sent_again_only_when_the_job_was_not_created(emulator, client, after):
    from openai import AzureOpenAI

    from services import jobs
    from services.config import Profile
    from services.workspace import Workspace

    training = upload(client, chat_examples(10)).id
    suffix = f"lost-{'after' if after else 'before'}"
    ws = Workspace("test", Profile(endpoint=emulator.url, api_key=API_KEY, api_version="2024-10-21"))
    ws._data = httpx.Client(transport=LoseAnswers(2, after))  # the SDK's requests and the listings'
    ws._openai = AzureOpenAI(azure_endpoint=emulator.url, api_key=API_KEY, api_version="2024-10-21", http_client=ws._data)
    said: list[str] = []
    job = jobs.create_job(ws, jobs.JobRequest(model=BASE, training_file=training, suffix=suffix, seed=5), on_status=said.append)
    created = [j.id for j in client.fine_tuning.jobs.list(limit=100).data if j.suffix == suffix]  # type: ignore[attr-defined]
    assert created == [job["id"]]
    if after:
        assert any("the answer was lost, but the job was created" in line for line in said)
    else:
        assert sum("the job was not created, sending it again" in line for line in said) == 2


@pytest.mark.parametrize("after", [True, False], ids=["answer-lost-after-storing", "request-lost-before"])
def test_upload_is_sent_again_only_when_the_file_did_not_arrive(emulator, client, tmp_path, after):
    from openai import AzureOpenAI

    from services import files
    from services.config import Profile
    from services.workspace import Workspace

    path = tmp_path / f"lost-{'after' if after else 'before'}-{time.time_ns()}.jsonl"
    path.write_bytes(jsonl(chat_examples(10)))
    ws = Workspace("test", Profile(endpoint=emulator.url, api_key=API_KEY, api_version="2024-10-21"))
    ws._data = httpx.Client(transport=LoseAnswers(2, after, "/files"))  # the SDK's requests and the listings'
    ws._openai = AzureOpenAI(azure_endpoint=emulator.url, api_key=API_KEY, api_version="2024-10-21", http_client=ws._data)
    said: list[str] = []
    uploaded = files.upload_file(ws, path, wait=False, on_status=said.append)
    arrived = [f.id for f in client.files.list() if f.filename == path.name]
    assert arrived == [uploaded.file["id"]]
    if after:
        assert any("the answer was lost, but the file arrived" in line for line in said)


def test_an_unreachable_endpoint_fails_each_command_in_one_line(tmp_path):
    env = cli_env("http://127.0.0.1:9", tmp_path, key=SECRET_KEY)  # nothing listens on the discard port
    for result in run_all(env, [["files", "list"], ["jobs", "create", "--model", BASE, "--training-file", "file-x"]]):
        assert result.returncode == 3  # could not reach the service
        assert_completed_or_said_why(result, SECRET_KEY)
        assert "cannot reach the endpoint" in result.stderr


# ---------------------------------------------------------------- bad input

GOOD = {"messages": [{"role": "user", "content": "Where is my invoice?"}, {"role": "assistant", "content": "Under Billing."}]}


def lines(*records: object) -> bytes:
    return "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records).encode()


def bad_line(message: dict) -> bytes:
    """Nine good examples, then one with `message` in place of the assistant's reply (line 10)."""
    return lines(*[GOOD] * 9, {"messages": [GOOD["messages"][0], message]})


TEN_MB = "The quick brown fox jumps over the lazy dog; café, 東京. " * 185_000
BAD_DATA = {
    # name: (content, exit code of `data validate`, what its report must say, the line it must name)
    "truncated-json": (lines(*[GOOD] * 10, json.dumps(GOOD)[:40]), 1, "invalid JSON", 11),
    "invalid-json": (lines(GOOD, "{messages: []}", *[GOOD] * 9), 1, "invalid JSON", 2),
    "wrong-types": (lines(*[GOOD] * 3, {"messages": "hello"}, *[GOOD] * 8), 1, "must be a non-empty list", 4),
    "content-not-text": (bad_line({"role": "assistant", "content": 42}), 1, "needs 'content'", 10),
    "unknown-role": (bad_line({"role": "bot", "content": "Beep."}), 1, 'role "bot"', 10),
    "weight-2": (bad_line({"role": "assistant", "content": "Under Billing.", "weight": 2}), 1, "weight 2", 10),
    "empty-messages": (lines(*[GOOD] * 4, {"messages": []}, *[GOOD] * 7), 1, "must be a non-empty list", 5),
    "empty-reply": (bad_line({"role": "assistant", "content": " "}), 1, "empty content", 10),
    "non-utf8": (lines(*[GOOD] * 5) + '{"messages": [{"role": "user", "content": "café"}]}\n'.encode("latin-1") + lines(*[GOOD] * 5),
                 1, "not UTF-8", 6),
    "utf-16": (lines(*[GOOD] * 10).decode().encode("utf-16"), 1, "UTF-16", None),
    "zero-bytes": (b"", 1, "no examples", None),
    "binary": (b"\x89PNG\r\n\x1a\n" + random.Random(6).randbytes(3000), 1, "not UTF-8", 1),
    "very-long-line": (lines(*[GOOD] * 10) + b"x" * 3_000_000 + b"\n", 1, "invalid JSON", 11),
    "10-mb-example": (lines({"messages": [GOOD["messages"][0], {"role": "assistant", "content": TEN_MB}]}) + b"not json\n", 1,
                      "invalid JSON", 2),
}
UNREADABLE = {"directory": "is a directory", "missing": "no such file"}


@pytest.fixture(scope="module")
def bad_files(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("bad-input")
    paths = {}
    for name, (content, *_) in BAD_DATA.items():
        paths[name] = folder / f"{name}.jsonl"
        paths[name].write_bytes(content)
    (folder / "a-folder.jsonl").mkdir()
    paths["directory"] = folder / "a-folder.jsonl"
    paths["missing"] = folder / "not-there.jsonl"
    return paths


def cli(capsys, *args: str) -> tuple[int, str, str]:
    """`ftdeck ARGS` through the same entry point as the installed script, in this process."""
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("name", list(BAD_DATA))
def test_data_validate_names_each_problem_and_its_line(bad_files, capsys, name):
    content, code, says, line = BAD_DATA[name]
    exit_code, out, err = cli(capsys, "data", "validate", str(bad_files[name]))
    assert exit_code == code and err == ""
    errors = [l for l in out.splitlines() if l.strip().startswith("error")]
    assert any(says in l for l in errors), out
    if line is not None:
        assert any(l.split(None, 1)[1].startswith(f"line {line}: ") and says in l for l in errors), out
    assert all(len(l) < 400 for l in out.splitlines()), "a report line echoes the data"
    if name == "10-mb-example":
        assert "over the 65536-token limit" in out


@pytest.mark.parametrize("name", list(UNREADABLE))
def test_data_validate_refuses_what_is_not_a_file(bad_files, capsys, name):
    exit_code, out, err = cli(capsys, "data", "validate", str(bad_files[name]))
    assert exit_code == 2 and out == "" and UNREADABLE[name] in err and len(err.strip().splitlines()) == 1


def test_upload_refuses_every_bad_file_and_uploads_nothing(configured, bad_files, capsys):
    client = configured
    before = {f.id for f in client.files.list()}
    for name in [*BAD_DATA, *UNREADABLE]:
        exit_code, out, err = cli(capsys, "files", "upload", str(bad_files[name]), "--reuse", "no")
        expected = UNREADABLE.get(name) or BAD_DATA[name][2]
        assert exit_code == (2 if name in UNREADABLE else 1) and out == "", (name, err)
        assert err.startswith("ftdeck: ") and len(err.strip().splitlines()) == 1 and expected in err, (name, err)
        line = BAD_DATA.get(name, (None,) * 4)[3]
        if line is not None:
            assert f"line {line}: " in err, (name, err)
        if name not in UNREADABLE:
            assert "nothing uploaded" in err
    assert {f.id for f in client.files.list()} == before


def test_bad_input_as_real_processes_exits_without_a_traceback(emulator, bad_files, tmp_path):
    env = cli_env(emulator.url, tmp_path)
    results = run_all(env, [
        ["data", "validate", str(bad_files["binary"])],
        ["data", "validate", str(bad_files["directory"])],
        ["files", "upload", str(bad_files["non-utf8"]), "--reuse", "no"],
        ["files", "upload", str(bad_files["missing"]), "--reuse", "no"],
    ])
    assert [r.returncode for r in results] == [1, 2, 1, 2]
    for result in results:
        assert "Traceback" not in result.stderr + result.stdout


# ---------------------------------------------------------------- secrets


def test_config_show_and_errors_never_print_the_key(monkeypatch, tmp_path, capsys):
    config = tmp_path / "config.toml"
    config.write_text(f'default_profile = "work"\n[profiles.work]\nendpoint = "http://127.0.0.1:9"\napi_key = "{SECRET_KEY}"\n')
    for name in [n for n in os.environ if n.startswith(("AZURE_", "FTDECK_"))]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("FTDECK_CONFIG", str(config))
    monkeypatch.setenv("FTDECK_MANAGEMENT_TOKEN", SECRET_KEY + "-arm")
    for args in (["config", "show"], ["config", "show", "--json"]):
        code, out, err = cli(capsys, *args)
        assert code == 0 and "set (hidden)" in out and SECRET_KEY not in out + err
    code, out, err = cli(capsys, "files", "list")  # nothing listens there
    assert code == 3 and "cannot reach" in err and SECRET_KEY not in out + err


def test_the_emulator_logs_no_key_and_ftdeck_writes_none_to_disk(fresh_emulator, tmp_path, capsys, monkeypatch):
    emu = fresh_emulator("--faults", "429=0.2,500=0.2", api_key=SECRET_KEY)
    monkeypatch.setenv("FTDECK_CONFIG", str(tmp_path / "none.toml"))
    for name, value in cli_env(emu.url, tmp_path, key=SECRET_KEY).items():
        if name.startswith(("AZURE_", "FTDECK_", "XDG_")):
            monkeypatch.setenv(name, value)
    arm = httpx.Client(base_url=emu.url + ARM_DEPLOYMENTS, headers={"Authorization": f"Bearer {SECRET_KEY}"}, params={"api-version": "2024-10-01"})
    arm.put("/resilience-base", json={"sku": {"name": "standard", "capacity": 1},
                                      "properties": {"model": arm_model(BASE)}})
    for args in (["files", "list"], ["jobs", "list"], ["deployments", "list"], ["chat", "resilience-base", "hello", "--max-tokens", "5"],
                 ["config", "show"]):
        code, out, err = cli(capsys, *args)
        assert SECRET_KEY not in out + err, args
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", SECRET_KEY + "-wrong")
    for _ in range(10):  # a fault may answer first; the key check comes on a clean try
        code, out, err = cli(capsys, "files", "list")
        assert code == 1 and SECRET_KEY not in err
        if "refused the credentials" in err:
            break
    assert "refused the credentials" in err
    httpx.get(emu.url + "/openai/files", params={"api-version": "2024-10-21"}, headers={"api-key": SECRET_KEY + "-header"})
    emu.stop()

    assert SECRET_KEY not in emu.first_line and SECRET_KEY not in emu.log.read_text()
    for path in emu.data_dir.rglob("*"):  # the emulator's SQLite state holds no key either
        if path.is_file():
            assert SECRET_KEY.encode() not in path.read_bytes(), path
    written = [p for p in (tmp_path / "config").rglob("*")] + [p for p in (tmp_path / "data").rglob("*")]
    for path in written:
        if path.is_file():
            assert SECRET_KEY.encode() not in path.read_bytes(), path
            if (tmp_path / "config") in path.parents:  # ftdeck writes no config file today; if it does, private
                assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.10"])
def test_the_emulator_refuses_a_non_loopback_bind_without_a_key(monkeypatch, tmp_path, capsys, host):
    monkeypatch.delenv("FTDECK_EMULATOR_API_KEY", raising=False)
    code, out, err = cli(capsys, "emulator", "--host", host, "--data-dir", str(tmp_path / "emu"))
    assert code == 2 and out == "" and "--api-key" in err
    assert not (tmp_path / "emu").exists()  # refused before anything was created


def test_killing_ftdeck_mid_upload_and_mid_create_leaves_no_half_state(emulator, client, tmp_path):
    """SIGKILL `files upload` and `jobs create` while the service is taking in the file: the
    service holds none of it (never half), and no job."""
    from tests.test_resilience_kills import receiving_an_upload

    path = tmp_path / f"killed-{time.time_ns()}.jsonl"
    path.write_bytes(jsonl(chat_examples(40_000)))  # about 10 MB: the service takes a moment over it
    env = cli_env(emulator.url, tmp_path)
    suffix = f"killed{time.time_ns() % 10**8}"
    for args in (["files", "upload", str(path), "--no-validate", "--no-wait", "--reuse", "no"],
                 ["jobs", "create", "--model", BASE, "--training-file", str(path), "--suffix", suffix]):
        for _ in range(5):  # a machine can send it all before a look finds it arriving: try again
            process = subprocess.Popen([sys.executable, "-m", "tui", *args], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            while process.poll() is None and not receiving_an_upload(emulator):
                time.sleep(0.002)
            killed = process.poll() is None
            process.kill()
            process.wait(timeout=10)
            if killed:
                break
            for f in client.files.list():  # it got through whole: not this test's case
                if f.filename == path.name:
                    client.files.delete(f.id)
        else:
            raise AssertionError(f"ftdeck {args[0]} {args[1]} was never caught mid-upload")
        wait_for(lambda: not receiving_an_upload(emulator))  # what the service was receiving is dropped
    assert [f for f in client.files.list() if f.filename == path.name] == [], "a file cut off mid-upload was stored"
    assert [j for j in client.fine_tuning.jobs.list(limit=100).data if j.suffix == suffix] == []
