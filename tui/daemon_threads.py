"""Where the TUI's thread workers run: each on a daemon thread of its own.

Textual runs thread workers in the event loop's default executor, a ThreadPoolExecutor, which
both the loop's shutdown and the interpreter's exit wait for: a worker blocked in a call to an
endpoint that never answers kept the process alive, screen blanked, for as long as the call
lasted (and ctrl+c then printed a traceback). With this executor, `q` ends the process at once:
nothing is lost, as what ftdeck keeps (playground turns, config) is written atomically as it goes.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Callable


class DaemonThreads(ThreadPoolExecutor):
    """A ThreadPoolExecutor (asyncio accepts no other as the default) that never pools: its own
    threads would be joined at exit."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        future: Future = Future()

        def run() -> None:
            if not future.set_running_or_notify_cancel():
                return
            try:
                future.set_result(fn(*args, **kwargs))
            except BaseException as exc:  # handed to whoever awaits the future, as ThreadPoolExecutor does
                future.set_exception(exc)

        threading.Thread(target=run, daemon=True, name="ftdeck-worker").start()
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Waits for nothing: a worker still running is one blocked on the network."""
