"""Benchmark: big lists. 5,000 jobs and 5,000 files in an emulator; the real FtdeckApp (driven
headless by Textual's Pilot at 120x40) renders its panes, filters the files pane with `/` as you
type, clears the filter, and refreshes every 2 s; against a plain Textual app with two DataTables
holding the same rows (filtering by clearing and re-adding the matching rows, the obvious way).

Seeding: creating 10,000 resources through the API takes minutes, so they are written straight
into the emulator's store (`emulator/` functions, one transaction) before the emulator serves
them: 5,000 small, valid training files and 5,000 finished jobs cloned from one real job.

Timings: "render" runs from the moment the app handles the refresh's results (its `Loaded`
message, seen by run_test's message hook; the reference's own message likewise) until every row
is in the tables, measured (a DataTable sizes its columns when idle), and the screen has been
composited; a keystroke from the key event until the pane shows the filtered rows, measured, and
the screen has been composited. Automatic refresh is paused while typing, so a refresh does not
land on a keystroke; the refresh's own cost is measured separately, as the longest the UI could
not answer (event-loop stall) while refreshing.

    .venv/bin/python bench/big_lists.py [--small] [--json]     (--small: 200 of each)
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from pathlib import Path
from typing import Callable

from harness import EmulatorProcess, Result, median, options, pointed_at, report

QUERY = "dataset-0042"  # typed one key at a time into the files pane's filter
TARGET_MS = 100.0
TRAINING = (
    '{"messages": [{"role": "user", "content": "Where is my invoice?"}, {"role": "assistant", "content": "Under Billing."}]}\n' * 10
).encode()


def seed(data_dir: Path, n_jobs: int, n_files: int) -> None:
    """n_files training files and n_jobs finished jobs, written straight into the emulator's store."""
    from emulator import files, jobs
    from emulator.resources import new_id
    from emulator.service import Emulator, Settings

    emu = Emulator(Settings(data_dir=data_dir))
    with emu.store.transaction():
        made = [files.create(emu, f"dataset-{i:05d}.jsonl", "fine-tune", TRAINING, immediately=True) for i in range(n_files)]
    real = jobs.create(emu, {"model": "gpt-4o-mini-2024-07-18", "training_file": made[0]["id"], "seed": 1}, preview=True)
    template = jobs.cancel(emu, real["id"])
    statuses = ("succeeded", "failed", "cancelled")
    with emu.store.transaction():
        for i in range(n_jobs - 1):
            body = {**template, "id": new_id("ftjob-"), "status": statuses[i % 3], "training_file": made[i % n_files]["id"],
                    "created_at": template["created_at"] - 60 * (n_jobs - i), "suffix": f"run-{i:05d}"}
            if body["status"] == "succeeded":
                body["fine_tuned_model"] = f"gpt-4o-mini-2024-07-18.ft-{new_id('')}-run-{i:05d}"
            emu.store.add_job(body, {"phase": "done", "next_at": float("inf")})
    emu.store.close()


class LoopStalls:
    """The longest the event loop (the UI) was busy without answering, sampled every 5 ms."""

    def __init__(self) -> None:
        self.worst = 0.0
        self._task = asyncio.get_running_loop().create_task(self._watch())

    async def _watch(self) -> None:
        while True:
            start = time.perf_counter()
            await asyncio.sleep(0.005)
            self.worst = max(self.worst, time.perf_counter() - start - 0.005)

    def stop(self) -> float:
        self._task.cancel()
        return self.worst


def key_event(key: str):
    """A key press as the terminal driver delivers it (what Pilot.press sends, without its waits)."""
    import unicodedata

    from textual import events
    from textual.keys import REPLACED_KEYS, _character_to_key, _get_unicode_name_from_key

    if len(key) == 1 and not key.isalnum():
        key = _character_to_key(key)
    try:
        char = unicodedata.lookup(_get_unicode_name_from_key(REPLACED_KEYS.get(key, key)))
    except KeyError:
        char = key if len(key) == 1 else None
    return events.Key(key, char)


def sized(table) -> bool:
    """The table has measured its rows (a DataTable does so when idle, after add_row; ftdeck's
    ResourceTable as it is given them)."""
    return not getattr(table, "_require_update_dimensions", False)


async def until(done: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.perf_counter() + timeout
    while not done():
        if time.perf_counter() > deadline:
            raise TimeoutError("the app did not get there in time")
        await asyncio.sleep(0.001)


async def timed_key(app, key: str, done: Callable[[], bool]) -> float:
    """Seconds from the key event until `done()` and the screen composited with it."""
    start = time.perf_counter()
    app._driver.send_message(key_event(key))
    await until(done)
    app.screen._on_timer_update()  # composite now, rather than on the next 60 Hz tick
    return time.perf_counter() - start


async def type_query(app, keys_done: Callable[[str], Callable[[], bool]]) -> list[float]:
    return [await timed_key(app, char, keys_done(QUERY[: i + 1])) for i, char in enumerate(QUERY)]


# ---------------------------------------------------------------- ftdeck


async def measure_ftdeck(stall_seconds: float) -> dict:
    from tui.app import make_app
    from widgets.resource_table import ResourceTable

    loaded: list[float] = []

    def hook(message) -> None:
        if type(message).__name__ == "Loaded":
            loaded.append(time.perf_counter())

    app = make_app()
    found: dict = {}
    started = time.perf_counter()
    try:
        async with app.run_test(size=(120, 40), message_hook=hook) as pilot:
            jobs_pane, files_pane = app.query_one("#jobs", ResourceTable), app.query_one("#files", ResourceTable)
            n_files = int(os.environ["BENCH_FILES"])
            await until(lambda: files_pane.row_count >= n_files and jobs_pane.row_count > 0 and sized(files_pane) and sized(jobs_pane), timeout=120)
            app.screen._on_timer_update()
            filled = time.perf_counter()
            found.update(render=filled - (loaded[0] if loaded else started), load=filled - started)
            await pilot.pause(0.2)
            found.update(jobs_shown=jobs_pane.row_count, rows=[files_pane.get_row_at(i) for i in range(files_pane.row_count)])

            stalls = LoopStalls()  # while refreshing, every 2 s, the same rows
            await asyncio.sleep(stall_seconds)
            found["stall"] = stalls.stop()

            if hasattr(app, "paused"):
                app.deck.paused = True  # no refresh landing on a keystroke
            await pilot.pause(0.5)
            await pilot.press("3", "slash")
            applied = lambda text: lambda: getattr(files_pane, "filter_text", text.lower()) == text.lower() and sized(files_pane)  # noqa: E731
            found["keys"] = await type_query(app, applied)
            found["matching"] = files_pane.row_count
            everything = len(found["rows"])
            found["clear"] = await timed_key(app, "escape", lambda: getattr(files_pane, "filter_text", "") == "" and files_pane.row_count == everything and sized(files_pane))
    except Exception as exc:
        if "clear" not in found:
            raise
        found["exit_error"] = f"{type(exc).__name__}: {exc}"  # measured; but the app failed as it closed
    return found


# ---------------------------------------------------------------- the reference: two plain DataTables


async def measure_reference(file_rows: list[tuple], n_job_rows: int, stall_seconds: float) -> dict:
    from textual import on
    from textual.app import App, ComposeResult
    from textual.message import Message
    from textual.widgets import DataTable, Input

    job_rows = [("succeeded", f"ftjob-{i:032x}", "gpt-4o-mini-2024-07-18", f"gpt-4o-mini-2024-07-18.ft-{i:032x}") for i in range(n_job_rows)]

    class Rows(Message):
        pass

    class PlainTables(App):
        CSS = "DataTable { height: 1fr; } Input { dock: bottom; }"

        def compose(self) -> ComposeResult:
            yield DataTable(id="jobs", cursor_type="row")
            yield DataTable(id="files", cursor_type="row")
            yield Input(id="filter")

        def on_mount(self) -> None:
            self.query_one("#jobs", DataTable).add_columns("status", "id", "model", "fine-tuned model")
            self.query_one("#files", DataTable).add_columns("filename", "status", "bytes", "id")
            self.applied = ""

        @on(Rows)
        def show(self) -> None:
            self.query_one("#jobs", DataTable).add_rows(job_rows)
            self.query_one("#files", DataTable).add_rows(file_rows)

        @on(Input.Changed)
        def filter(self, event: Input.Changed) -> None:
            text, table = event.value.lower(), self.query_one("#files", DataTable)
            table.clear()
            table.add_rows([row for row in file_rows if text in " ".join(map(str, row)).lower()])
            self.applied = event.value

    posted: list[float] = []
    app = PlainTables()
    async with app.run_test(size=(120, 40), message_hook=lambda m: isinstance(m, Rows) and posted.append(time.perf_counter())) as pilot:
        files_pane = app.query_one("#files", DataTable)
        await pilot.pause(0.2)
        app.post_message(Rows())
        await until(lambda: files_pane.row_count == len(file_rows) and sized(files_pane))
        app.screen._on_timer_update()
        render = time.perf_counter() - posted[0]
        stalls = LoopStalls()
        await asyncio.sleep(stall_seconds)
        idle_stall = stalls.stop()
        app.query_one("#filter", Input).focus()
        await pilot.pause(0.2)
        keys = await type_query(app, lambda text: lambda: app.applied == text and sized(files_pane))
        clear_start = time.perf_counter()
        app.query_one("#filter", Input).value = ""
        await until(lambda: app.applied == "" and files_pane.row_count == len(file_rows) and sized(files_pane))
        app.screen._on_timer_update()
        clear = time.perf_counter() - clear_start
    return {"render": render, "keys": keys, "clear": clear, "stall": idle_stall}


def measure(n: int) -> list[Result]:
    stall_seconds = 2.5 if n < 1000 else 6.5
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        seed(home / "emulator", n, n)
        with EmulatorProcess(home / "emulator") as emulator:
            environment = pointed_at(emulator.url, home)  # FtdeckApp runs here: it reads this process's variables
            os.environ.clear()
            os.environ.update(environment, BENCH_FILES=str(n))
            ours = asyncio.run(measure_ftdeck(stall_seconds))
    theirs = asyncio.run(measure_reference(ours["rows"], ours["jobs_shown"], stall_seconds))
    ms = 1000.0
    worst, worst_ref = max(ours["keys"]) * ms, max(theirs["keys"]) * ms
    shown = f"jobs pane shows {ours['jobs_shown']:,} of {n:,} jobs" if ours["jobs_shown"] < n else f"{n:,} jobs"
    what = f"{n:,} files, {shown}"
    return [
        Result("big lists", f"render the panes ({what})", "ms", ours["render"] * ms, theirs["render"] * ms, "plain DataTables, same rows",
               note=f"launch to filled: {ours['load']:.1f} s"),
        Result("big lists", f"`/` filter, slowest keystroke of {len(QUERY)}", "ms", worst, worst_ref, "plain DataTables, same rows",
               f"< {TARGET_MS:.0f} ms", worst < TARGET_MS, f"typing '{QUERY}', {ours['matching']} left"),
        Result("big lists", "`/` filter, median keystroke", "ms", median(ours["keys"]) * ms, median(theirs["keys"]) * ms, "plain DataTables, same rows"),
        Result("big lists", "clear the filter (Esc), all rows back", "ms", ours["clear"] * ms, theirs["clear"] * ms, "plain DataTables, same rows",
               note=f"then, closing, the app raised {ours['exit_error']}" if "exit_error" in ours else ""),
        Result("big lists", "longest UI stall while refreshing every 2 s", "ms", ours["stall"] * ms, theirs["stall"] * ms, "plain DataTables, idle",
               f"< {TARGET_MS:.0f} ms", ours["stall"] * ms < TARGET_MS),
    ]


def main() -> None:
    args = options(__doc__.splitlines()[0])
    report(measure(200 if args.small else 5_000), args.json)


if __name__ == "__main__":
    main()
