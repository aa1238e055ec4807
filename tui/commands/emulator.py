"""`ftdeck emulator`: serve the local Azure OpenAI fine-tuning emulator in the foreground."""

from __future__ import annotations

import argparse
import os
from pathlib import Path


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
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1; others need --api-key)")
    parser.add_argument("--port", type=port_number, default=0, help="port (default 0: a free one, printed on the first line)")
    parser.add_argument("--data-dir", type=Path, default=None, help="where its state lives (default: the user data dir)")
    parser.add_argument(
        "--api-key",
        default=os.environ.get("FTDECK_EMULATOR_API_KEY"),
        help="key clients must send (default: none needed; env FTDECK_EMULATOR_API_KEY)",
    )
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
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from emulator.server import serve
    from services.paths import emulator_data_dir

    return serve(
        host=args.host,
        port=args.port,
        data_dir=args.data_dir or emulator_data_dir(),
        api_key=args.api_key,
        speed=args.speed,
        faults=args.faults,
        demo=args.demo,
        frozen_at=args.frozen_at,
        seed=args.seed,
    )
