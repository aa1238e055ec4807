"""ftdeck installs as users install it: a wheel built from the source, installed into a fresh venv,
run from a folder that is not the source tree (which would otherwise hide a missing file).

The venv gets the wheel alone (--no-deps); its dependencies come from the environment running the
tests, through a .pth file. Such a path line does not run that environment's own .pth files, so
an editable install of ftdeck there cannot stand in for the wheel."""

from __future__ import annotations

import os
import shutil
import site
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from importlib.metadata import version
from pathlib import Path

import pytest

SOURCE = Path(__file__).resolve().parent.parent
PACKAGES = ("tui", "widgets", "services", "emulator")
NOT_SOURCE = shutil.ignore_patterns(".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", "*.pyc",
                                    ".pytest_cache", ".hypothesis", "tests", "bench", "screenshots")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("packaging")
    shutil.copytree(SOURCE, work / "source", ignore=NOT_SOURCE)  # builds leave build/ and egg-info behind
    options = ["--no-build-isolation"] if _modern_setuptools() else []  # else pip fetches setuptools from the index
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", *options, "-w", str(work / "dist"),
                    str(work / "source")], check=True, capture_output=True, timeout=300)
    return next((work / "dist").glob("ftdeck-*.whl"))


@pytest.fixture(scope="module")
def installed(wheel: Path) -> Path:
    """A fresh venv holding the wheel; returns its bin folder."""
    venv = wheel.parent.parent / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / ("Scripts" if os.name == "nt" else "bin") / "python"
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps", "--no-index",
                    str(wheel)], check=True, capture_output=True, timeout=300)
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             check=True, capture_output=True, text=True).stdout.strip()
    ours = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    ours |= {path for path in [site.getusersitepackages()] if path in sys.path}  # a `pip install --user`
    Path(purelib, "dependencies-from-the-test-environment.pth").write_text("\n".join(sorted(ours)) + "\n")
    return python.parent


def _modern_setuptools() -> bool:
    try:
        return tuple(int(part) for part in version("setuptools").split(".")[:2]) >= (70, 1)
    except Exception:  # noqa: BLE001 - not installed, or an unusual version string: let pip fetch one
        return False


def test_the_wheel_holds_every_module_and_data_file(wheel):
    inside = set(zipfile.ZipFile(wheel).namelist())
    wanted = {path.relative_to(SOURCE).as_posix() for package in PACKAGES for path in (SOURCE / package).rglob("*")
              if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"}
    assert {"tui/commands/jobs.py", "tui/screens/playground.py", "emulator/base_corpus.txt",
            "emulator/demo/pirate-support.jsonl"} <= wanted
    assert wanted - inside == set()


def test_the_installed_command_runs_from_anywhere(installed, tmp_path):
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PYTHON", "FTDECK_", "AZURE_"))}
    env.update(HOME=str(tmp_path), XDG_CONFIG_HOME=str(tmp_path / "config"), XDG_DATA_HOME=str(tmp_path / "data"))

    def ftdeck(*args: str) -> str:
        done = subprocess.run([str(installed / "ftdeck"), *args], cwd=tmp_path, env=env, capture_output=True,
                              text=True, timeout=120)
        assert done.returncode == 0 and "Traceback" not in done.stderr, f"ftdeck {' '.join(args)}: {done.stderr}"
        return done.stdout

    where = subprocess.run([str(installed / "python"), "-c", "import tui.commands, tui.screens; print(tui.__file__)"],
                           cwd=tmp_path, env=env, capture_output=True, text=True, check=True).stdout
    assert Path(where).is_relative_to(installed.parent), f"imported from {where}, not the installed wheel"
    expected = tomllib.loads((SOURCE / "pyproject.toml").read_text())["project"]["version"]
    assert ftdeck("--version").strip() == f"ftdeck {expected}"
    assert "COMMAND" in ftdeck("--help")
    assert "--training-file" in ftdeck("jobs", "create", "--help") and "ACTION" in ftdeck("jobs", "--help")
    assert "--faults" in ftdeck("emulator", "--help")
    assert str(tmp_path / "config") in ftdeck("config", "path")
