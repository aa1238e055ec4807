"""`ftdeck config path|show|check`: where the config lives, what is in force, and whether it works."""

from __future__ import annotations

import argparse

from tui.commands.output import add_json_flag, fail, print_json


def register(commands: argparse._SubParsersAction) -> None:
    config = commands.add_parser("config", help="where configuration lives, what is in force, whether it works")
    actions = config.add_subparsers(dest="action", metavar="ACTION", required=True)
    for name, help_text, handler in (
        ("path", "print the config file's path", run_path),
        ("show", "the profile in force (secrets hidden)", run_show),
        ("check", "reach both planes and say what works and what is missing", run_check),
    ):
        parser = actions.add_parser(name, help=help_text)
        add_json_flag(parser)
        parser.set_defaults(handler=handler)


def run_path(args: argparse.Namespace) -> int:
    from services.config import config_path

    path = config_path()
    print_json({"path": str(path), "exists": path.exists()}) if args.json else print(path)
    return 0


def _profile(args):
    from services.config import ConfigError, resolve_profile

    try:
        return resolve_profile(args.profile)
    except ConfigError as exc:
        return exc


def shown(profile) -> dict:
    """The profile with every secret replaced by whether it is set."""
    data = profile.model_dump()
    for key in ("api_key", "management_token"):
        data[key] = "set (hidden)" if data[key] else "not set"
    return data


def run_show(args: argparse.Namespace) -> int:
    from services.config import LOCAL

    resolved = _profile(args)
    if isinstance(resolved, Exception):
        return fail(str(resolved), 2)
    name, profile = resolved
    data = {"profile": name, **shown(profile)}
    if name == LOCAL:
        data["endpoint"] = "built-in emulator (started by ftdeck)"
    if args.json:
        print_json(data)
    else:
        for key, value in data.items():
            print(f"{key:23} {'-' if value is None else value}")
    return 0


def run_check(args: argparse.Namespace) -> int:
    from services.errors import FtdeckError
    from services.workspace import calling, open_workspace

    checks: dict[str, dict] = {}
    try:
        ws = open_workspace(args.profile)
    except FtdeckError as exc:
        return fail(str(exc), exc.exit_code)
    try:
        try:
            with calling():
                ws.openai().files.list(limit=1)
            checks["data_plane"] = {"ok": True, "detail": f"{ws.endpoint} answers (api-version {ws.profile.api_version})"}
        except FtdeckError as exc:
            checks["data_plane"] = {"ok": False, "detail": str(exc)}
        try:
            count = len(ws.list_deployments())
            checks["management_plane"] = {"ok": True, "detail": f"{count} deployments visible"}
        except FtdeckError as exc:
            checks["management_plane"] = {"ok": False, "detail": str(exc)}
    finally:
        ws.close()
    if args.json:
        print_json({"profile": ws.profile_name, **checks})
    else:
        print(f"profile {ws.profile_name}")
        for plane, result in checks.items():
            print(f"  {plane.replace('_', ' '):17} {'ok' if result['ok'] else 'FAILED'}: {result['detail']}")
    return 0 if all(c["ok"] for c in checks.values()) else 1
