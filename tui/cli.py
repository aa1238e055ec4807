"""The `ftdeck` command: the TUI by default, and subcommands for everything else.

Heavy imports (Textual, openai, uvicorn) happen inside the command that needs them, so
`ftdeck --help` and small commands stay fast.
"""

from __future__ import annotations

import argparse
import gc
import sys


def add_global_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--profile", default=None, help="config profile to use (default: FTDECK_PROFILE, the file's default, the environment, or the built-in emulator)")
    parser.add_argument("--read-only", action="store_true", help="open the TUI without any way to change things")


class ShowVersion(argparse.Action):
    """`ftdeck --version`: the installed package's version, looked up only when asked."""

    def __init__(self, option_strings: list[str], dest: str, **kwargs) -> None:
        super().__init__(option_strings, dest, nargs=0, help="print ftdeck's version and exit")

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        from importlib.metadata import PackageNotFoundError, version

        try:
            print(f"ftdeck {version('ftdeck')}")
        except PackageNotFoundError:
            print("ftdeck (version unknown: not installed; `pip install -e .` installs it)")
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    from tui.commands import COMMANDS  # not needed to open the TUI

    parser = argparse.ArgumentParser(
        prog="ftdeck",
        description="A terminal deck for Azure OpenAI fine-tuning. With no command, opens the TUI "
        "(on the built-in emulator when no Azure resource is configured).",
    )
    parser.add_argument("--version", action=ShowVersion)
    add_global_options(parser)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in COMMANDS:
        command.register(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    # Opening the TUI needs only the global options: building every command's parser would
    # cost more than drawing the first frame's panes.
    tui_only = argparse.ArgumentParser(prog="ftdeck", add_help=False)
    add_global_options(tui_only)
    opened, rest = tui_only.parse_known_args(argv)
    if not rest:
        return open_tui(opened.profile, opened.read_only)
    args = build_parser().parse_args(argv)
    if not args.command:
        return open_tui(args.profile, args.read_only)
    from tui.commands.output import inert_output

    try:
        with inert_output():  # what the service says is printed, never obeyed by the terminal
            return args.handler(args)
    except BrokenPipeError:  # `ftdeck files list | head` is fine
        sys.stderr.close()
        return 0


def open_tui(profile: str | None, read_only: bool) -> int:
    # Start-up makes objects that live as long as the app; collecting while making them only
    # costs time before the first frame. The app sets them aside and turns collection back on
    # (set_aside_what_lasts).
    gc.disable()
    from tui import opening

    emulator = opening.start_emulator_early(profile)  # gets ready while Textual is imported and draws
    from tui.app import run_app

    try:
        return run_app(profile, read_only=read_only)
    finally:
        opening.stop(emulator)


if __name__ == "__main__":
    sys.exit(main())
