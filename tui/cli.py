"""The `ftdeck` command: the TUI by default, and subcommands for everything else.

Heavy imports (Textual, openai, uvicorn) happen inside the command that needs them, so
`ftdeck --help` and small commands stay fast.
"""

from __future__ import annotations

import argparse
import gc
import sys

from tui.commands import COMMANDS


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ftdeck",
        description="A terminal deck for Azure OpenAI fine-tuning. With no command, opens the TUI "
        "(on the built-in emulator when no Azure resource is configured).",
    )
    parser.add_argument("--profile", default=None, help="config profile to use (default: FTDECK_PROFILE, the file's default, the environment, or the built-in emulator)")
    parser.add_argument("--read-only", action="store_true", help="open the TUI without any way to change things")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in COMMANDS:
        command.register(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command:
        try:
            return args.handler(args)
        except BrokenPipeError:  # `ftdeck files list | head` is fine
            sys.stderr.close()
            return 0
    # Start-up makes objects that live as long as the app; collecting while making them only
    # costs time before the first frame. The app freezes them and turns collection back on.
    gc.disable()
    from tui.app import run_app

    return run_app(args.profile, read_only=args.read_only)


if __name__ == "__main__":
    sys.exit(main())
