"""`ftdeck serve`: the deck in a browser tab (textual-serve). Each page opened runs its own ftdeck
TUI process on this machine, with this machine's settings and credentials: so it listens on
loopback only unless told otherwise (reach it over SSH with `ssh -L 8000:127.0.0.1:8000 HOST`)."""

from __future__ import annotations

import argparse
import shlex
import sys

from tui.commands.emulator import port_number


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("serve", help="serve the TUI to a browser (textual-serve)",
                                 description="Serve ftdeck's TUI as a web page: every browser tab runs its own ftdeck.")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=port_number, default=8000, help="port (default 8000)")
    parser.add_argument("--public-url", default=None, help="the URL the browser uses, when behind a proxy or tunnel")
    parser.add_argument("--allow-remote", action="store_true",
                        help="let another address than loopback bind: anyone who reaches it uses your credentials (no login)")
    parser.set_defaults(handler=run)


def tui_command(args: argparse.Namespace) -> str:
    """The command each page runs: this Python, this ftdeck, the same profile and mode."""
    command = [sys.executable, "-m", "tui"]
    if args.profile:
        command += ["--profile", args.profile]
    if args.read_only:
        command.append("--read-only")
    return shlex.join(command)


def run(args: argparse.Namespace) -> int:
    from emulator.server import is_loopback

    if not is_loopback(args.host) and not args.allow_remote:
        print(f"ftdeck serve: {args.host} would let anyone who reaches it use your credentials (there is no login); "
              "bind 127.0.0.1 and tunnel (ssh -L), or add --allow-remote.", file=sys.stderr)
        return 2
    from textual_serve.server import Server

    public_url = args.public_url or f"http://{'127.0.0.1' if args.host in ('0.0.0.0', '::') else args.host}:{args.port}"
    Server(tui_command(args), host=args.host, port=args.port, title="ftdeck", public_url=public_url).serve()
    return 0
