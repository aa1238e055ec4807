"""How commands print: JSON for scripts (`--json`), short aligned text for people, errors on stderr.

Whatever a command prints goes through `InertStream` (tui/cli.py puts it on stdout and stderr), so
no text from the service, a file or a model reaches the terminal with a control character in it."""

from __future__ import annotations

import contextlib
import sys
from typing import Any, Iterable, Iterator, Sequence, TextIO

from services.outside_text import inert, inert_json, inert_line


class InertStream:
    """A text stream that writes everything without control characters (newline and tab stay)."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def write(self, text: str) -> int:
        self.stream.write(inert(text))
        return len(text)

    def __getattr__(self, name: str) -> Any:  # flush, isatty, fileno, encoding...
        return getattr(self.stream, name)


@contextlib.contextmanager
def inert_output() -> Iterator[None]:
    """stdout and stderr as InertStreams while a command runs."""
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = InertStream(sys.stdout), InertStream(sys.stderr)  # type: ignore[assignment]
    try:
        yield
    finally:
        sys.stdout, sys.stderr = saved


def print_json(data: Any) -> None:
    print(inert_json(data))  # every character of the service's strings kept, the control ones escaped


def print_table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """A plain aligned table (no colours: it must read well in logs and over SSH); one line a row,
    whatever newlines a name holds."""
    rows = [["" if v is None else inert_line(v) for v in row] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(headers)]
    print("  ".join(h.upper().ljust(w) for h, w in zip(headers, widths)).rstrip())
    for row in rows:
        print("  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip())
    if not rows:
        print("(none)")


def fail(message: str, code: int = 1) -> int:
    print(f"ftdeck: {message}", file=sys.stderr)
    return code


def print_deletion(args, key: str, name: str, outcome: str) -> int:
    """What a delete did: "deleted", "gone" (a retry found nothing: the attempt whose answer was lost
    deleted it) or "absent" (there was none); `key` names it in the JSON ("id", "name")."""
    if args.json:
        print_json({key: name, "deleted": outcome != "absent", "outcome": outcome})
    elif outcome == "gone":
        print(f"deleted {name} (the answer to the delete was lost; asked again, the service no longer has it)")
    else:
        print(f"deleted {name}" if outcome == "deleted" else f"{name} did not exist")
    return 0


def add_json_flag(parser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON for scripts")


def with_workspace(args, action) -> int:
    """Open the chosen profile's workspace, run `action(ws)` (which returns an exit code), and turn
    ftdeck's errors into one line on stderr."""
    from services.errors import FtdeckError
    from services.workspace import open_workspace

    try:
        ws = open_workspace(getattr(args, "profile", None))
    except FtdeckError as exc:
        return fail(str(exc), exc.exit_code)
    # Each wait before sending a request again, as it happens (under --json too: stdout stays JSON).
    ws.on_wait(lambda wait: print(f"ftdeck: {wait}", file=sys.stderr, flush=True))
    try:
        return action(ws)
    except FtdeckError as exc:
        return fail(str(exc), exc.exit_code)
    except KeyboardInterrupt:
        return fail("interrupted", 130)
    finally:
        ws.close()


def progress(args):
    """Status lines for people on a terminal; silent under --json or when piped."""
    if getattr(args, "json", False) or not sys.stderr.isatty():
        return lambda message: None
    return lambda message: print(f"  {message}", file=sys.stderr)


def when(timestamp: object) -> str:
    from services.timestamps import local_time

    return local_time(timestamp)


def add_action(actions, name: str, help_text: str, run, *positionals: str):
    """A subcommand that takes `positionals`, has --json, and runs `run(ws, args)` on the workspace.
    Returns its parser for any further options."""
    parser = actions.add_parser(name, help=help_text)
    for positional in positionals:
        parser.add_argument(positional)
    add_json_flag(parser)
    parser.set_defaults(handler=lambda args: with_workspace(args, lambda ws: run(ws, args)))
    return parser
