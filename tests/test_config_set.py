"""`ftdeck config set` / `config remove`: profiles written the way users expect of a tool that holds
their keys.

- The profile written is the one `config show` and every command then use.
- The key comes from stdin or a prompt, never from the command line, and is never printed.
- The file is 0600 in a 0700 folder, written atomically: a refusal or a failure at any point leaves
  the old file byte for byte, and no temporary file.
- The user's comments, layout and other profiles survive.
- `config show` / `check` warn, as ssh does, when a file holding a key is readable by others.

Most cases run in-process through `tui.cli.main` (the installed script's entry point); one runs
`python -m tui` as a real process, key piped in, against the test emulator.
"""

from __future__ import annotations

import io
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from services.config import resolve_profile
from tests.conftest import API_KEY
from tui.cli import main

SECRET = "sk-config-set-SECRET-7d1e0b"  # distinctive, so any leak is found by a plain search

COMMENTED = """\
# my ftdeck profiles
default_profile = "home"   # the usual one

# the work resource (EU)
[profiles.work]
endpoint = "https://work.openai.azure.com"  # EU
auth = "entra"

# at home
[profiles.home]
endpoint = "https://home.openai.azure.com"
api_key = "sk-home-OLD"
"""


@pytest.fixture
def config(monkeypatch, tmp_path) -> Path:
    """FTDECK_CONFIG in a folder that does not exist yet, and no Azure variables to override it."""
    for name in [n for n in os.environ if n.startswith(("AZURE_", "FTDECK_", "OPENAI_"))]:
        monkeypatch.delenv(name)
    path = tmp_path / "ftdeck" / "config.toml"
    monkeypatch.setenv("FTDECK_CONFIG", str(path))
    return path


@pytest.fixture
def ftdeck(monkeypatch, capsys):
    """`ftdeck ARGS` in this process, with `stdin` as its standard input (a terminal when `tty`):
    (exit code, stdout, stderr)."""
    def run(*args: str, stdin: str = "", tty: bool = False) -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "stdin", Terminal(stdin) if tty else io.StringIO(stdin))
        code = main(list(args))
        out, err = capsys.readouterr()
        assert SECRET not in out + err, args
        assert "Traceback" not in err
        return code, out, err

    return run


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_set_writes_a_private_profile_that_show_and_commands_then_use(config, ftdeck):
    code, out, err = ftdeck("config", "set", "work", "--endpoint", "https://work.openai.azure.com",
                            "--api-key-stdin", "--account", "workres", "--default", stdin=SECRET + "\n")
    assert code == 0 and err == ""
    assert "created profile work, now the default profile," in out and "set (hidden)" in out
    assert mode(config) == 0o600 and mode(config.parent) == 0o700
    assert leftovers(config.parent) == []

    name, profile = resolve_profile()
    assert name == "work" and profile.endpoint == "https://work.openai.azure.com" and profile.account == "workres"
    assert profile.api_key.get_secret_value() == SECRET  # the line's newline is not part of the key

    code, out, err = ftdeck("config", "show", "--json")
    shown = json.loads(out)
    assert code == 0 and err == "" and shown["profile"] == "work" and shown["api_key"] == "set (hidden)"


def test_without_ftdeck_config_the_file_goes_in_the_user_config_folder(config, ftdeck, monkeypatch, tmp_path):
    monkeypatch.delenv("FTDECK_CONFIG")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    default = tmp_path / "xdg" / "ftdeck" / "config.toml"
    assert ftdeck("config", "path")[1].strip() == str(default)
    code, out, err = ftdeck("config", "set", "work", "--endpoint", "https://w.openai.azure.com", "--api-key-stdin", stdin=SECRET)
    assert code == 0 and mode(default) == 0o600 and mode(default.parent) == 0o700
    assert resolve_profile("work")[1].api_key.get_secret_value() == SECRET


def test_set_json_says_what_changed_without_the_key(config, ftdeck):
    ftdeck("config", "set", "work", "--endpoint", "https://work.openai.azure.com")
    code, out, err = ftdeck("config", "set", "work", "--api-key-stdin", "--production", "--json", stdin=SECRET)
    saved = json.loads(out)
    assert code == 0 and saved["created"] is False and saved["changed"] == ["api_key", "production"]
    assert saved["settings"]["api_key"] == "set (hidden)" and saved["settings"]["production"] is True
    assert saved["path"] == str(config) and saved["default_profile"] is None and saved["notes"] == []


def test_editing_keeps_comments_layout_and_other_profiles(config, ftdeck):
    config.parent.mkdir()
    config.write_text(COMMENTED)
    config.chmod(0o600)
    code, out, err = ftdeck("config", "set", "work", "--account", "workres", "--read-only", "--theme", "nord")
    assert code == 0, err
    text = config.read_text()
    # Every line the user wrote is still there, in its order; the new settings follow work's own
    # last line, before the comment that introduces the next profile.
    added = ['account = "workres"', 'theme = "nord"', "read_only = true"]
    lines = COMMENTED.splitlines()
    at = lines.index('auth = "entra"') + 1
    assert text.splitlines() == lines[:at] + added + lines[at:]

    code, out, err = ftdeck("config", "set", "work", "--no-read-only", "--unset", "theme")
    assert code == 0 and 'theme = "nord"' not in config.read_text() and "read_only = false" in config.read_text()
    assert "# at home" in config.read_text() and "# EU" in config.read_text()
    _, work = resolve_profile("work")
    _, home = resolve_profile()
    assert work.read_only is False and work.theme is None and work.auth == "entra"
    assert home.api_key.get_secret_value() == "sk-home-OLD"  # the other profile, untouched


def test_default_profile_and_secrets_can_change_and_go(config, ftdeck):
    config.parent.mkdir()
    config.write_text(COMMENTED)
    code, out, err = ftdeck("config", "set", "work", "--auth", "key", "--api-key-stdin", "--default", stdin=SECRET + "\n\n")
    assert code == 0 and resolve_profile()[0] == "work" and 'default_profile = "work"   # the usual one' in config.read_text()
    assert resolve_profile()[1].api_key.get_secret_value() == SECRET
    code, out, err = ftdeck("config", "set", "home", "--unset", "api_key", "--management-token-stdin", stdin=SECRET + "-arm\n")
    _, home = resolve_profile("home")
    assert code == 0 and home.api_key is None and home.management_token.get_secret_value() == SECRET + "-arm"
    assert "sk-home-OLD" not in config.read_text()


def test_remove_drops_the_profile_and_the_default_naming_it(config, ftdeck):
    config.parent.mkdir()
    config.write_text(COMMENTED)
    code, out, err = ftdeck("config", "remove", "home", "--json")
    removed = json.loads(out)
    assert code == 0 and removed["removed"] is True and removed["default_profile"] is None
    assert any("was the default profile" in note for note in removed["notes"])
    text = config.read_text()
    assert "[profiles.home]" not in text and "sk-home-OLD" not in text and "default_profile" not in text
    assert "# my ftdeck profiles" in text and 'endpoint = "https://work.openai.azure.com"  # EU' in text
    assert resolve_profile("work")[1].auth == "entra"
    code, out, err = ftdeck("config", "remove", "home")
    assert code == 2 and out == "" and "No profile 'home'" in err and "Profiles there: work" in err


REFUSALS = {
    # name: (file before, arguments, what stdin holds, what the one-line error says)
    "reserved local": (COMMENTED, ["set", "local", "--endpoint", "https://x.openai.azure.com"], "", "'local' is a built-in profile"),
    "reserved env": (COMMENTED, ["set", "env", "--endpoint", "https://x.openai.azure.com"], "", "'env' is a built-in profile"),
    "remove reserved": (COMMENTED, ["remove", "local"], "", "'local' is a built-in profile"),
    "remove unknown": (COMMENTED, ["remove", "prod"], "", "No profile 'prod'"),
    "bad name": (COMMENTED, ["set", "my work", "--endpoint", "https://x.openai.azure.com"], "", "use letters, digits"),
    "not a URL": (COMMENTED, ["set", "work", "--endpoint", "work.openai.azure.com"], "", "is not an http(s) URL"),
    "not a URL (ARM)": (COMMENTED, ["set", "work", "--management-endpoint", "ftp://arm"], "", "management_endpoint 'ftp://arm' is not an http(s) URL"),
    "new without endpoint": (COMMENTED, ["set", "prod", "--auth", "entra"], "", "give its --endpoint"),
    "nothing to set": (COMMENTED, ["set", "work"], "", "nothing to set"),
    "set and unset": (COMMENTED, ["set", "work", "--theme", "nord", "--unset", "theme"], "", "theme: both set and unset"),
    "empty key": (COMMENTED, ["set", "work", "--api-key-stdin"], "\n", "no api key given"),
    "two secrets on stdin": (COMMENTED, ["set", "work", "--api-key-stdin", "--management-token-stdin"], SECRET, "one secret at a time"),
    "prompt without a terminal": (COMMENTED, ["set", "work", "--api-key-prompt"], SECRET, "--api-key-prompt needs a terminal"),
    "not TOML": (COMMENTED + "[profiles.broken\n", ["set", "work", "--account", "a"], "", "not valid TOML"),
    "invalid elsewhere": (COMMENTED + "colour = 3\n", ["set", "home", "--account", "a"], "", "colour: Extra inputs are not permitted"),
    "dotted keys": ('profiles.work.endpoint = "https://a.openai.azure.com"\nprofiles.work.auth = "key"\n',
                    ["set", "new", "--endpoint", "https://b.openai.azure.com"], "", "cannot edit this file's layout"),
}


@pytest.mark.parametrize("case", list(REFUSALS))
def test_refusals_say_why_in_one_line_and_write_nothing(config, ftdeck, case):
    before, args, stdin, says = REFUSALS[case]
    config.parent.mkdir()
    config.write_text(before)
    config.chmod(0o644)  # a refusal does not even fix the mode: the file is not touched
    written = config.stat()
    code, out, err = ftdeck("config", *args, stdin=stdin)
    assert code == 2 and out == "" and says in err, err
    assert err.startswith("ftdeck: ") and len(err.strip().splitlines()) == 1
    assert config.read_text() == before and config.stat().st_mtime_ns == written.st_mtime_ns and mode(config) == 0o644
    assert leftovers(config.parent) == []


def test_on_a_terminal_the_key_is_asked_for_without_echo(config, ftdeck, monkeypatch):
    import getpass

    asked = []
    monkeypatch.setattr(getpass, "getpass", lambda prompt: asked.append(prompt) or SECRET)
    code, out, err = ftdeck("config", "set", "work", "--endpoint", "https://w.openai.azure.com", "--management-token-prompt", tty=True)
    assert code == 0 and asked == ["management token for profile work (not shown): "]
    assert resolve_profile("work")[1].management_token.get_secret_value() == SECRET


def test_no_setting_takes_a_secret_on_the_command_line(config, ftdeck):
    with pytest.raises(SystemExit) as exited:
        ftdeck("config", "set", "work", "--endpoint", "https://w.openai.azure.com", "--api-key", SECRET)
    assert exited.value.code == 2 and not config.exists()


@pytest.mark.parametrize("failing", ["replace", "fsync"])
def test_a_failed_write_leaves_the_old_file_whole_and_no_temporary_file(config, ftdeck, monkeypatch, failing):
    import services.atomic_write  # config_file writes through it

    config.parent.mkdir()
    config.write_text(COMMENTED)

    def refuse(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(services.atomic_write.os, failing, refuse)
    code, out, err = ftdeck("config", "set", "work", "--api-key-stdin", stdin=SECRET)
    assert code == 2 and "cannot be written (No space left on device): nothing written" in err
    assert config.read_text() == COMMENTED and leftovers(config.parent) == []


def test_a_config_path_that_cannot_be_a_file_is_refused(config, ftdeck, monkeypatch, tmp_path):
    a_file = tmp_path / "a-file"
    a_file.write_text("not a folder")
    monkeypatch.setenv("FTDECK_CONFIG", str(a_file / "config.toml"))
    code, out, err = ftdeck("config", "set", "work", "--endpoint", "https://w.openai.azure.com", "--api-key-stdin", stdin=SECRET)
    assert code == 2 and "cannot be written" in err and len(err.strip().splitlines()) == 1
    assert a_file.read_text() == "not a folder" and sorted(p.name for p in tmp_path.iterdir()) == ["a-file"]


def test_a_linked_config_file_is_edited_where_it_lives(config, ftdeck, tmp_path):
    real = tmp_path / "dotfiles" / "ftdeck.toml"
    real.parent.mkdir()
    real.write_text(COMMENTED)
    config.parent.mkdir()
    config.symlink_to(real)
    code, out, err = ftdeck("config", "set", "work", "--account", "workres")
    assert code == 0 and config.is_symlink() and 'account = "workres"' in real.read_text()
    assert mode(real) == 0o600


def test_show_warns_about_a_key_others_can_read_and_set_fixes_it(config, ftdeck):
    config.parent.mkdir()
    config.write_text(COMMENTED)
    config.chmod(0o644)
    code, out, err = ftdeck("config", "show")
    assert code == 0 and f"readable by other users (mode 0644): chmod 600 {config}" in err

    code, out, err = ftdeck("config", "set", "work", "--account", "workres")
    assert code == 0 and f"note: {config} was readable by other users (mode 0644): it is now 0600" in out
    assert mode(config) == 0o600
    assert ftdeck("config", "show")[2] == ""

    config.write_text("[profiles.work]\nendpoint = 'https://w.openai.azure.com'\n")  # nothing secret in it
    config.chmod(0o644)
    assert ftdeck("config", "show")[2] == ""


def test_set_from_a_pipe_in_a_real_process_then_commands_use_it(emulator, tmp_path):
    """As a user types it: `ftdeck config set dev ... --api-key-stdin < key.txt`, then plain commands."""
    config = tmp_path / "cfg" / "config.toml"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AZURE_", "FTDECK_", "OPENAI_"))}
    env |= {"FTDECK_CONFIG": str(config), "XDG_DATA_HOME": str(tmp_path / "data")}

    def ftdeck(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
        result = subprocess.run([sys.executable, "-m", "tui", *args], env=env, input=stdin, capture_output=True, text=True, timeout=120)
        assert API_KEY not in result.stdout + result.stderr and "Traceback" not in result.stderr
        return result

    saved = ftdeck("config", "set", "dev", "--endpoint", emulator.url, "--api-key-stdin", "--default", "--json", stdin=API_KEY + "\n")
    assert saved.returncode == 0, saved.stderr
    assert json.loads(saved.stdout)["settings"]["api_key"] == "set (hidden)"
    assert mode(config) == 0o600 and mode(config.parent) == 0o700

    shown = json.loads(ftdeck("config", "show", "--json").stdout)
    assert shown["profile"] == "dev" and shown["endpoint"] == emulator.url
    listed = ftdeck("files", "list", "--json")  # the emulator checks the key: it was stored whole
    assert listed.returncode == 0, listed.stderr

    config.chmod(0o640)
    check = ftdeck("config", "check")
    assert "data plane        ok" in check.stdout and f"chmod 600 {config}" in check.stderr

    removed = ftdeck("config", "remove", "dev")
    assert removed.returncode == 0 and "removed profile dev" in removed.stdout
    assert json.loads(ftdeck("config", "show", "--json").stdout)["profile"] == "local"
