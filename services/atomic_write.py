"""Every file ftdeck writes whole is written here: to a temporary file in the same folder, flushed
to disk, then renamed over the old one. A crash, a full disk or an interrupt leaves the old file
(or none) and never a half-written one, nor the temporary file."""

from __future__ import annotations

import errno
import os
import secrets
import stat
from pathlib import Path


def write_atomically(path: str | os.PathLike, data: bytes | str, *, mode: int | None = None,
                     overwrite: bool = True) -> Path:
    """Replace `path` with `data` (str is written as UTF-8).

    mode: the file's permissions (0o600 for secrets); by default a replaced file keeps its own and a
    new one is an ordinary file (0o666 less the umask). overwrite=False raises FileExistsError
    rather than replace anything, also when the file appears while this one is being written."""
    path = Path(path)
    folder = path.parent
    payload = data.encode("utf-8") if isinstance(data, str) else data
    if mode is None and overwrite:
        try:
            mode = stat.S_IMODE(os.stat(path).st_mode)
        except OSError:
            pass
    temporary = folder / f".{path.name[:64]}.{secrets.token_hex(4)}.tmp"
    # Created private when a mode is set; else as any new file, so the umask applies.
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0),
                 0o600 if mode is not None else 0o666)
    try:
        with open(fd, "wb") as file:
            file.write(payload)
            file.flush()
            os.fsync(file.fileno())
        if mode is not None:
            os.chmod(temporary, mode)
        if overwrite:
            os.replace(temporary, path)
        else:
            _place_new(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    _sync_folder(folder)
    return path


def _place_new(temporary: Path, path: Path) -> None:
    """Move `temporary` to `path` only if nothing is there: a hard link fails when the name is taken."""
    try:
        os.link(temporary, path)
    except FileExistsError:
        raise
    except OSError:  # a file system without hard links: check, then rename
        if os.path.lexists(path):
            raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), str(path)) from None
        os.replace(temporary, path)
        return
    temporary.unlink()


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable (where the system allows opening a folder)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
