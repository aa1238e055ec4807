"""One process owns an emulator's data folder at a time.

The owner holds an OS lock on `owner.lock` in the folder for its whole life (the OS drops it when
the process ends, however it ends) and, once it serves, writes `owner.json` (its url, pid and key;
0600) so that other ftdeck processes find it and talk to it over HTTP instead of opening the
database themselves. Only the owner seeds the demo and runs jobs. The folder is 0700 and every
file in it 0600: it holds training data, and the key next to the data it guards.
"""

from __future__ import annotations

import fcntl
import json
import os
from dataclasses import dataclass
from pathlib import Path

LOCK_FILE = "owner.lock"
OWNER_FILE = "owner.json"


def private_folder(path: Path) -> Path:
    """Create the folder (or tighten an existing one) so only this user can enter it."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(path, 0o700)
    return path


def private_file(path: Path) -> Path:
    """Create the file (or tighten an existing one) so only this user can read it."""
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    os.chmod(path, 0o600)
    return path


@dataclass(frozen=True)
class Owner:
    """What `owner.json` says about the process serving a folder."""

    url: str
    pid: int
    api_key: str | None  # None: the owner takes any key (loopback, no --api-key)


class Claim:
    """A data folder's lock, held until `release()` or the end of the process."""

    def __init__(self, folder: Path, fd: int) -> None:
        self.folder = folder
        self._fd: int | None = fd

    def announce(self, url: str, api_key: str | None) -> None:
        """Tell other processes where this owner serves (written whole, then renamed into place)."""
        temporary = self.folder / f".{OWNER_FILE}.{os.getpid()}"
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump({"url": url, "pid": os.getpid(), "api_key": api_key}, f)
        os.replace(temporary, self.folder / OWNER_FILE)

    def release(self) -> None:
        if self._fd is None:
            return
        owner = read_owner(self.folder)
        if owner is not None and owner.pid == os.getpid():
            (self.folder / OWNER_FILE).unlink(missing_ok=True)
        os.close(self._fd)  # closing the only descriptor drops the lock
        self._fd = None


def claim(folder: Path) -> Claim | None:
    """Take ownership of the folder, or None when another process (or another emulator of this
    one) holds it. A stale owner.json, left by an owner that died, is removed at once."""
    private_folder(folder)
    fd = os.open(folder / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        # flock locks an open file description: a second open in this very process conflicts too.
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    (folder / OWNER_FILE).unlink(missing_ok=True)
    return Claim(folder, fd)


def read_owner(folder: Path) -> Owner | None:
    """What owner.json says, or None when it is missing or unreadable."""
    try:
        data = json.loads((folder / OWNER_FILE).read_text())
        owner = Owner(url=data["url"], pid=data["pid"], api_key=data["api_key"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not (isinstance(owner.url, str) and isinstance(owner.pid, int) and isinstance(owner.api_key, (str, type(None)))):
        return None
    return owner


def live_owner(folder: Path) -> Owner | None:
    """The owner named in owner.json while its process still runs, else None."""
    owner = read_owner(folder)
    if owner is None:
        return None
    try:
        os.kill(owner.pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass  # it exists, under another user
    return owner
