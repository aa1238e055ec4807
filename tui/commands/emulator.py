"""`ftdeck emulator`: serve the local Azure OpenAI fine-tuning emulator in the foreground."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from tui.opening import STOP_WHEN_STDIN_CLOSES


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"'{text}' must be above 0")
    return value


def port_number(text: str) -> int:
    if not text.isdigit() or not 0 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"'{text}' is not a port number (0-65535; 0 picks a free one)")
    return int(text)


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "emulator",
        help="run the local Azure OpenAI fine-tuning emulator",
        description="Serve a local, persistent emulator of the Azure OpenAI fine-tuning API "
        "(data plane under /openai, deployments under /subscriptions/...).",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1; others need a key)")
    parser.add_argument("--port", type=port_number, default=0, help="port (default 0: a free one, printed on the first line)")
    parser.add_argument("--data-dir", type=Path, default=None, help="where its state lives (default: the user data dir)")
    key = parser.add_mutually_exclusive_group()
    key.add_argument(
        "--api-key",
        default=None,
        metavar="KEY",
        help="key clients must send (default: none needed); every user of this machine sees it in `ps`: "
        "prefer FTDECK_EMULATOR_API_KEY or --api-key-stdin",
    )
    key.add_argument("--api-key-stdin", action="store_true", help="read the key clients must send from the first line of stdin")
    parser.add_argument("--import-dir", type=Path, default=None, metavar="DIR",
                        help="the only folder POST /openai/files/import may read file:// URLs from (default: none)")
    parser.add_argument("--allow-url-import", action="store_true",
                        help="let POST /openai/files/import download https:// URLs (default: refused)")
    parser.add_argument("--speed", type=positive_float, default=1.0, help="clock speed: 100 makes jobs finish 100 times sooner")
    parser.add_argument(
        "--faults",
        default=None,
        metavar="SPEC",
        help="misbehave on purpose on that share of the requests to either plane (never /_emulator): 429 (with "
        "retry-after), 500, reset (connection dropped unanswered), slow (a 3 s delay), or lost (the request is "
        'carried out, then the connection is dropped unanswered); e.g. "429=0.2,500=0.1,reset=0.05,slow=0.1,lost=0.05"',
    )
    parser.add_argument("--frozen-at", type=float, default=None, metavar="UNIX_TIME",
                        help="stop the clock at this time; only POST /_emulator/clock moves it (reproducible runs)")
    parser.add_argument("--seed", type=int, default=None, help="make ids (and which requests --faults strikes) repeat from run to run")
    parser.add_argument("--demo", action="store_true", help="seed the demo workspace (datasets, jobs, deployments) once")
    parser.add_argument(STOP_WHEN_STDIN_CLOSES, action="store_true", help=argparse.SUPPRESS)  # the TUI's own (tui/opening.py)
    parser.add_argument("--print-env", action="store_true",
                        help="after the first line, print the exports that point ftdeck at this emulator (both planes)")
    parser.set_defaults(handler=run)


def api_key(args: argparse.Namespace) -> str | None:
    """The key from --api-key-stdin, FTDECK_EMULATOR_API_KEY or --api-key (warned about: `ps` shows it)."""
    if args.api_key_stdin:
        return sys.stdin.readline().strip() or None
    if args.api_key is not None:
        print("ftdeck emulator: warning: --api-key shows the key to every user of this machine (ps); "
              "use FTDECK_EMULATOR_API_KEY or --api-key-stdin.", file=sys.stderr)
        return args.api_key or None
    return os.environ.get("FTDECK_EMULATOR_API_KEY") or None


def run(args: argparse.Namespace) -> int:
    from emulator.server import serve
    from emulator.store import DatabaseUnusable
    from services.paths import emulator_data_dir

    key = api_key(args)
    if args.api_key_stdin and key is None:
        print("ftdeck emulator: --api-key-stdin read no key (an empty first line).", file=sys.stderr)
        return 2
    try:
        return serve(
            host=args.host,
            port=args.port,
            data_dir=args.data_dir or emulator_data_dir(),
            api_key=key,
            import_dir=args.import_dir,
            allow_url_import=args.allow_url_import,
            speed=args.speed,
            faults=args.faults,
            demo=args.demo,
            frozen_at=args.frozen_at,
            seed=args.seed,
            print_env=args.print_env,
            stop_when_stdin_closes=args.stop_when_stdin_closes,
        )
    except DatabaseUnusable as exc:
        print(f"ftdeck emulator: {exc}", file=sys.stderr)
        return 2
