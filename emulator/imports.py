"""Where `POST /openai/files/import` may read from, and how much.

Azure imports from a blob storage URL (spec section 4). The emulator stands in with a folder the
operator names (`--import-dir`, none by default) and, only when the operator allows it
(`--allow-url-import`), https URLs. Nothing else: a request must never make the emulator read a
file of its machine, or reach a host, that the operator did not choose.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from urllib.parse import urlparse
from urllib.request import url2pathname

import anyio.to_thread
import httpx

# Spec section 4: files under 512 MB through /files; Azure takes bigger ones (up to 8 GB) from blob
# storage, but the emulator keeps a file whole in one SQLite blob (1 GB at most), so it applies the
# /files limit to imports too: the stricter reading.
MAX_IMPORT_BYTES = 512 * 1024 * 1024
DOWNLOAD_TIMEOUT = 60.0


def shown_url(url: str) -> str:
    """The URL as it may appear in an answer or a log: a SAS token (the query) and any user:password
    are secrets, never echoed."""
    parsed = urlparse(url)
    host = parsed.hostname or ""
    if parsed.port:
        host += f":{parsed.port}"
    return f"{parsed.scheme}://{host}{parsed.path}" + ("?<SAS token hidden>" if parsed.query else "")


class ImportRefused(Exception):
    """Why a content_url cannot be imported (shown to the caller)."""


async def read_source(content_url: str, import_dir: Path | None, allow_url: bool) -> bytes:
    """The bytes at `content_url`, read off the event loop; ImportRefused when they may not be read."""
    parsed = urlparse(content_url)
    if parsed.scheme == "file":
        return await anyio.to_thread.run_sync(_read_file, parsed.netloc, parsed.path, import_dir)
    if parsed.scheme == "https":
        if not allow_url:
            raise ImportRefused("this emulator imports no URLs; start it with --allow-url-import to import https:// URLs")
        return await _download(content_url)
    raise ImportRefused("only file:// URLs inside the import folder (--import-dir) and https:// URLs (--allow-url-import) can be imported")


def _read_file(host: str, url_path: str, import_dir: Path | None) -> bytes:
    if import_dir is None:
        raise ImportRefused("this emulator imports from no folder; start it with --import-dir DIR to import file:// URLs from DIR")
    if host not in ("", "localhost"):
        raise ImportRefused(f"file:// URLs name this machine only, not '{host}'")
    folder = import_dir.resolve()
    # Resolved first (symlinks and '..' included), so a path is judged by where it really leads.
    path = Path(url2pathname(url_path)).resolve()
    if not path.is_relative_to(folder):
        raise ImportRefused("the file is outside the import folder")
    try:
        # O_NOFOLLOW: a symlink swapped in after the check is refused; O_NONBLOCK: a FIFO cannot hang it.
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as exc:
        raise ImportRefused(f"cannot open the file: {exc.strerror}") from None
    with os.fdopen(fd, "rb") as f:
        facts = os.fstat(fd)
        if not stat.S_ISREG(facts.st_mode):
            raise ImportRefused("only regular files can be imported")
        _check_size(facts.st_size)
        content = f.read(MAX_IMPORT_BYTES + 1)  # the file may have grown since
    _check_size(len(content))
    return content


async def _download(url: str) -> bytes:
    try:
        async with httpx.AsyncClient(timeout=DOWNLOAD_TIMEOUT, follow_redirects=False) as client:
            async with client.stream("GET", url) as response:
                response.raise_for_status()  # a redirect too: it could lead anywhere
                declared = response.headers.get("content-length", "")
                if declared.isdigit():
                    _check_size(int(declared))
                content = bytearray()
                async for chunk in response.aiter_bytes():
                    content += chunk
                    _check_size(len(content))
                return bytes(content)
    except httpx.HTTPError as exc:
        # httpx's text names the URL, SAS token included: say what failed without it.
        status = f"HTTP {exc.response.status_code}" if isinstance(exc, httpx.HTTPStatusError) else type(exc).__name__
        raise ImportRefused(f"the download failed ({status})") from None


def _check_size(size: int) -> None:
    if size > MAX_IMPORT_BYTES:
        raise ImportRefused(f"the file holds more than {MAX_IMPORT_BYTES // (1024 * 1024)} MB, the most a file may hold")
