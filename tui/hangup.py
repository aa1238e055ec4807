"""Leaving when the terminal goes away.

A terminal can vanish without a SIGHUP: its pseudo-terminal closed by a crashed terminal emulator
or multiplexer, or by whatever started ftdeck in a session of its own. Textual (8.2) does not notice:
its input thread reads end-of-file from the hung-up terminal in a loop, at full CPU, and its writer
thread dies on the first EIO, so the app would run on for nobody, forever. A watcher thread waits
for the hangup (poll() asked for no event still reports POLLHUP, and reads no byte of input) and
then exits the app as ctrl+q does: screens unmount, the playground saves, the built-in emulator
stops.
"""

from __future__ import annotations

import os
import select
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from textual.app import App

HUNG_UP = 129  # the exit code of a process ended by SIGHUP (128 + 1), as shells report it
CHECK_MS = 500  # how often the watcher looks whether the app has ended by itself
GRACE_SECONDS = 10.0  # for the app to exit; past it (its loop stuck writing to a dead terminal) the process ends


def run_until_hangup(app: App) -> int:
    """Run `app`, exiting it when its terminal hangs up. Returns its exit code (129 after a hangup)."""
    terminals = [fd for fd in (0, 1, 2) if os.isatty(fd)]  # Textual reads fd 0 and draws on fd 2
    ended = threading.Event()
    if terminals:
        threading.Thread(target=_watch, args=(app, terminals, ended), daemon=True, name="ftdeck-hangup").start()
    try:
        app.run()
    finally:
        ended.set()
    return app.return_code or 0


def _watch(app: App, terminals: list[int], ended: threading.Event) -> None:
    poller = select.poll()
    for fd in terminals:
        poller.register(fd, 0)  # POLLHUP, POLLERR and POLLNVAL only: never consumes a key
    while not poller.poll(CHECK_MS):
        if ended.is_set():
            return
    app.call_later(app.exit, None, HUNG_UP)  # thread-safe: the app's own thread runs it
    if not ended.wait(GRACE_SECONDS):
        os._exit(HUNG_UP)  # nothing is lost: the playground and the emulator save as they go, atomically
