"""Benchmark: streaming chat. How long a streamed piece of a reply takes from arriving (the SSE
chunk parsed, on the worker thread) to being in the playground's reply widget, against a plain
Static that is re-set to the whole text at each piece (the obvious way).

Both run headless under Textual's Pilot at 120x40. A feeder thread hands over pieces at 200 a
second (a fast model); a watcher on the UI loop, every 2 ms, notes when each piece's text first
shows in the widget (Markdown's source for ftdeck's ChatPane, the Static's text for the
reference). No network: this isolates the UI's share of the delay.

    .venv/bin/python bench/streaming_chat.py [--small] [--json]     (--small: 60 pieces, else 1,000)
"""

from __future__ import annotations

import asyncio
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from harness import Result, median, options, report  # noqa: E402

PIECES_PER_SECOND = 200


def pieces(n: int) -> list[str]:
    words = "Ahoy! Ye **parcel** be sailin' to port, matey; check `Orders` for the tracking number.".split()
    return [("\n\n" if i and i % 40 == 0 else " ") + words[i % len(words)] for i in range(n)]


async def measure(make_widget, write, shown_text, n: int) -> list[float]:
    """Seconds from each piece's arrival to its text being in the widget."""
    from textual.app import App
    from textual.message import Message

    class Piece(Message):
        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    class Host(App):
        """Pieces come as messages from the feeder thread, as the playground's Delta do."""

        def compose(self):
            yield make_widget()

        async def on_piece(self, message: Piece) -> None:
            await write(self.screen.children[0], message.text)

    app = Host()
    chunks = pieces(n)
    arrived: list[float] = [0.0] * n
    seen: list[float | None] = [None] * n
    async with app.run_test(size=(120, 40)) as pilot:
        widget = app.screen.children[0]
        await pilot.pause()

        def feed() -> None:
            for i, chunk in enumerate(chunks):
                arrived[i] = time.perf_counter()
                app.post_message(Piece(chunk))
                time.sleep(1 / PIECES_PER_SECOND)

        feeder = threading.Thread(target=feed)
        feeder.start()
        ends = [len("".join(chunks[: i + 1]).strip()) for i in range(n)]
        done = 0
        while done < n:
            await asyncio.sleep(0.002)
            length = len(shown_text(widget).strip())
            now = time.perf_counter()
            while done < n and length >= ends[done] and arrived[done]:
                seen[done] = now
                done += 1
        feeder.join()
    return [s - a for s, a in zip(seen, arrived)]  # type: ignore[operator]


async def ours(n: int) -> list[float]:
    from widgets.chat_pane import ChatPane

    async def write(pane, chunk):
        if pane._stream is None:
            await pane.begin("Where be me parcel?")
        await pane.write(chunk)

    return await measure(ChatPane, write, lambda pane: pane._reply.source if pane._reply is not None else "", n)


async def reference(n: int) -> list[float]:
    from textual.widgets import Static

    text: list[str] = []

    async def write(static, chunk):
        text.append(chunk)
        static.update("".join(text))

    return await measure(Static, write, lambda static: str(static.render()), n)


def main() -> None:
    args = options(__doc__.splitlines()[0])
    n = 60 if args.small else 1000
    ftdeck = asyncio.run(ours(n))
    plain = asyncio.run(reference(n))
    p95 = lambda xs: sorted(xs)[int(0.95 * (len(xs) - 1))]  # noqa: E731
    results = [
        Result("streaming chat", f"piece arrived → in the reply widget, median of {n}", "ms",
               median(ftdeck) * 1000, median(plain) * 1000, "plain Static re-set to the whole text"),
        Result("streaming chat", "piece arrived → in the reply widget, p95", "ms",
               p95(ftdeck) * 1000, p95(plain) * 1000, "plain Static re-set to the whole text"),
    ]
    report(results, args.json)


if __name__ == "__main__":
    main()
