"""Settings are checked where they are read: a bad endpoint or emulator variable is one line naming
the variable (or the profile key and the config file) and a good value, exit 2 (a configuration
error, as `config set` refuses), never a traceback, a 404 or the local demo by surprise.

The CLI runs in-process through `tui.cli.main` (one case as a real process), the TUI through
`run_test`: it leaves at once with the same line rather than sitting on "connecting…".
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import started_app

from tui.cli import main

BAD_ENDPOINTS = {
    "no scheme": ("myres.openai.azure.com", "https://myres.openai.azure.com"),
    "a path": ("https://myres.openai.azure.com/openai/deployments", "https://myres.openai.azure.com"),
    "a port that is no number": ("http://127.0.0.1:abc", "after ':'"),
    "set but empty": ("", "unset AZURE_OPENAI_ENDPOINT"),
}
BAD_EMULATOR_SETTINGS = {
    "speed not a number": ("FTDECK_EMULATOR_SPEED", "fast", "FTDECK_EMULATOR_SPEED=50"),
    "speed zero": ("FTDECK_EMULATOR_SPEED", "0", "FTDECK_EMULATOR_SPEED=50"),
    "frozen at a word": ("FTDECK_EMULATOR_FROZEN_AT", "yesterday", "FTDECK_EMULATOR_FROZEN_AT=1767225600"),
    "seed not whole": ("FTDECK_EMULATOR_SEED", "1.5", "FTDECK_EMULATOR_SEED=7"),
}


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    """No Azure or ftdeck variables, no config file, a data folder of the test's own."""
    for name in [n for n in os.environ if n.startswith(("AZURE_", "FTDECK_", "OPENAI_"))]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("FTDECK_CONFIG", str(tmp_path / "config.toml"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    return monkeypatch


def one_error_line(capsys) -> str:
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


@pytest.mark.parametrize("value, fix", BAD_ENDPOINTS.values(), ids=BAD_ENDPOINTS)
def test_a_bad_endpoint_variable_is_one_line_naming_it(clean_env, capsys, value, fix):
    clean_env.setenv("AZURE_OPENAI_ENDPOINT", value)
    assert main(["files", "list"]) == 2
    line = one_error_line(capsys)
    assert line.startswith("ftdeck: AZURE_OPENAI_ENDPOINT=") and fix in line


def test_a_bad_endpoint_in_a_profile_names_the_key_and_the_file(clean_env, capsys, tmp_path):
    config = tmp_path / "config.toml"
    config.write_text('default_profile = "work"\n[profiles.work]\nendpoint = "https://w.openai.azure.com/openai/v1"\n')
    assert main(["jobs", "list"]) == 2
    line = one_error_line(capsys)
    assert str(config) in line and "profiles.work.endpoint" in line and "https://w.openai.azure.com" in line


def test_a_trailing_slash_is_only_tidied(clean_env, capsys):
    clean_env.setenv("AZURE_OPENAI_ENDPOINT", "https://myres.cognitiveservices.azure.com/")
    assert main(["config", "show", "--json"]) == 0
    assert '"endpoint": "https://myres.cognitiveservices.azure.com"' in capsys.readouterr().out


def test_config_set_refuses_a_path_too(clean_env, capsys, tmp_path):
    assert main(["config", "set", "work", "--endpoint", "https://w.openai.azure.com/openai/deployments/x"]) == 2
    assert "has a path" in one_error_line(capsys) and not (tmp_path / "config.toml").exists()


@pytest.mark.parametrize("name, value, good", BAD_EMULATOR_SETTINGS.values(), ids=BAD_EMULATOR_SETTINGS)
def test_a_bad_emulator_variable_is_one_line_naming_it(clean_env, capsys, name, value, good):
    clean_env.setenv(name, value)
    assert main(["files", "list"]) == 2
    line = one_error_line(capsys)
    assert line.startswith(f"ftdeck: {name}={value!r}") and good in line


def test_as_a_real_process(clean_env, tmp_path):
    env = {**os.environ, "AZURE_OPENAI_ENDPOINT": "http://127.0.0.1:abc"}
    done = subprocess.run([sys.executable, "-m", "tui", "jobs", "list"], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines() == [done.stderr.strip()] and "AZURE_OPENAI_ENDPOINT='http://127.0.0.1:abc'" in done.stderr


@pytest.mark.parametrize("name, value", [("AZURE_OPENAI_ENDPOINT", ""), ("FTDECK_EMULATOR_SEED", "seven")])
async def test_the_tui_leaves_with_the_line_rather_than_connecting_forever(clean_env, name, value):
    clean_env.setenv(name, value)
    app = await started_app()
    assert app.return_code == 2 and app.cannot_start and app.cannot_start.startswith(f"{name}=")
