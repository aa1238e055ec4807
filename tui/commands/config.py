"""`ftdeck config path|show|check|set|remove`: where the config lives, what is in force, whether it
works, and editing its profiles (secrets from stdin or a prompt, never from the command line)."""

from __future__ import annotations

import argparse
import sys

from tui.commands.output import add_json_flag, fail, print_json

# Profile settings given as `--name VALUE`: (metavar, help).
TEXT_SETTINGS = {
    "endpoint": ("URL", "the data plane, https://<resource>.openai.azure.com"),
    "api_version": ("VERSION", "data-plane api-version: a date (2024-10-21), or v1 for the v1 API"),
    "subscription_id": ("ID", "subscription of the resource (management plane)"),
    "resource_group": ("GROUP", "resource group of the resource"),
    "account": ("NAME", "the Azure OpenAI resource's name"),
    "management_endpoint": ("URL", "ARM base URL (default https://management.azure.com)"),
    "management_api_version": ("VERSION", "management-plane api-version"),
    "theme": ("NAME", "Textual theme for this profile"),
    "accent": ("COLOUR", "accent colour for this profile"),
    "assistant_deployment": ("DEPLOYMENT", "the deployment the assistant asks (default: the first deployed base chat model that takes tools)"),
}
# Secrets: read from stdin or asked for, so that they are never in `ps` or the shell's history.
SECRET_SETTINGS = {"api_key": "the resource's key", "management_token": "a bearer token for ARM"}
SWITCHES = {"read_only": "hide and refuse every change", "production": "typed confirmations, a red accent"}
UNSETTABLE = ["auth", "api", *SECRET_SETTINGS, *(k for k in TEXT_SETTINGS if k != "endpoint"), *SWITCHES]


def register(commands: argparse._SubParsersAction) -> None:
    config = commands.add_parser("config", help="where configuration lives, what is in force, whether it works; edit profiles")
    actions = config.add_subparsers(dest="action", metavar="ACTION", required=True)
    for name, help_text, handler in (
        ("path", "print the config file's path", run_path),
        ("show", "the profile in force (secrets hidden)", run_show),
        ("check", "reach both planes and say what works and what is missing", run_check),
    ):
        parser = actions.add_parser(name, help=help_text)
        add_json_flag(parser)
        parser.set_defaults(handler=handler)
    register_set(actions)
    remove = actions.add_parser("remove", help="remove a profile from the config file")
    remove.add_argument("name", metavar="PROFILE")
    add_json_flag(remove)
    remove.set_defaults(handler=run_remove)


def register_set(actions) -> None:
    # Every dest is prefixed: the global --profile and --read-only share this namespace.
    parser = actions.add_parser(
        "set", help="create or change a profile in the config file (comments and other profiles kept; written 0600)",
        description="Create or change profile PROFILE in the config file, keeping its comments and other profiles. "
        "Secrets never go on the command line: --api-key-stdin reads the key's line from standard input, "
        "--api-key-prompt asks for it on the terminal (the same for --management-token-*).",
    )
    parser.add_argument("name", metavar="PROFILE")
    parser.add_argument("--auth", dest="set_auth", choices=["key", "entra"], help="a key, or Entra ID (DefaultAzureCredential)")
    parser.add_argument("--api", dest="set_api", choices=["versioned", "v1"],
                        help="the data plane's surface: v1 (/openai/v1/, no api-version) or versioned (default)")
    for key, (metavar, help_text) in TEXT_SETTINGS.items():
        parser.add_argument(f"--{key.replace('_', '-')}", dest=f"set_{key}", metavar=metavar, help=help_text)
    for key, help_text in SECRET_SETTINGS.items():
        source = parser.add_mutually_exclusive_group()
        flag = key.replace("_", "-")
        source.add_argument(f"--{flag}-stdin", dest=f"{key}_from", action="store_const", const="stdin",
                            help=f"{help_text}: read its line from standard input")
        source.add_argument(f"--{flag}-prompt", dest=f"{key}_from", action="store_const", const="prompt",
                            help=f"{help_text}: ask for it on the terminal, not echoed")
    for key, help_text in SWITCHES.items():
        parser.add_argument(f"--{key.replace('_', '-')}", dest=f"set_{key}", action=argparse.BooleanOptionalAction,
                            default=None, help=help_text)
    parser.add_argument("--unset", action="append", default=[], choices=UNSETTABLE, metavar="SETTING",
                        help=f"remove a setting (back to its default); repeatable: {', '.join(UNSETTABLE)}")
    parser.add_argument("--default", dest="make_default", action="store_true", help="make it the default profile")
    add_json_flag(parser)
    parser.set_defaults(handler=run_set)


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
    if profile.is_v1:  # nothing is sent as api-version on the v1 API
        data["api_version"] = None
    for key in SECRET_SETTINGS:
        data[key] = "set (hidden)" if data[key] else "not set"
    return data


def warn_if_exposed() -> None:
    """Say on stderr when the config file holds a secret that other users can read (as ssh does)."""
    from services.config_file import exposure

    if warning := exposure():
        print(f"ftdeck: warning: {warning}", file=sys.stderr)


def run_show(args: argparse.Namespace) -> int:
    from services.config import LOCAL

    warn_if_exposed()
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
    from services.deployments import list_deployments
    from services.errors import FtdeckError
    from services.api_versions import pages_files
    from services.workspace import calling, open_workspace

    checks: dict[str, dict] = {}
    warn_if_exposed()
    try:
        ws = open_workspace(args.profile)
    except FtdeckError as exc:
        return fail(str(exc), exc.exit_code)
    try:
        try:
            with calling():
                # `limit` only where Files_List declares it (2024-10-21 takes only `purpose`; v1 pages)
                ws.openai().files.list(**({"limit": 1} if ws.profile.is_v1 or pages_files(ws.profile.api_version) else {}))
            api = "the v1 API" if ws.profile.is_v1 else f"api-version {ws.profile.api_version}"
            checks["data_plane"] = {"ok": True, "detail": f"{ws.endpoint} answers ({api})"}
        except FtdeckError as exc:
            checks["data_plane"] = {"ok": False, "detail": str(exc)}
        try:
            count = len(list_deployments(ws))
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


def run_set(args: argparse.Namespace) -> int:
    from services.config import ConfigError
    from services.config_file import check_name, set_profile

    values = {key: getattr(args, f"set_{key}") for key in ["auth", "api", *TEXT_SETTINGS, *SWITCHES]}
    values = {key: value for key, value in values.items() if value is not None}
    sources = {key: getattr(args, f"{key}_from") for key in SECRET_SETTINGS}
    if list(sources.values()).count("stdin") > 1:
        return fail("one secret at a time from stdin: run `ftdeck config set` once for each", 2)
    if both := set(args.unset) & (set(values) | {k for k, v in sources.items() if v}):
        return fail(f"{', '.join(sorted(both))}: both set and unset", 2)
    try:
        check_name(args.name)  # before asking for a secret that would then be thrown away
        for key, source in sources.items():
            if source:
                values[key] = read_secret(key, source, args.name)
        saved = set_profile(args.name, values, args.unset, args.make_default)
    except ConfigError as exc:
        return fail(str(exc), 2)
    return print_saved(saved, args.json)


def read_secret(key: str, source: str, profile: str) -> str:
    """Secret `key`'s value from stdin's first line or a prompt that does not echo it."""
    from services.config import ConfigError

    flag, what = f"--{key.replace('_', '-')}", key.replace("_", " ")
    if source == "prompt":
        if not sys.stdin.isatty():
            raise ConfigError(f"{flag}-prompt needs a terminal: pipe the {what} to {flag}-stdin instead; nothing written")
        import getpass

        try:
            value = getpass.getpass(f"{what} for profile {profile} (not shown): ")
        except (EOFError, KeyboardInterrupt):
            value = ""
    else:
        value = sys.stdin.readline()
    if not value.strip():
        raise ConfigError(f"{flag}-{source}: no {what} given: nothing written")
    return value.strip()


def run_remove(args: argparse.Namespace) -> int:
    from services.config import ConfigError
    from services.config_file import remove_profile

    try:
        saved = remove_profile(args.name)
    except ConfigError as exc:
        return fail(str(exc), 2)
    return print_saved(saved, args.json)


def print_saved(saved, as_json: bool) -> int:
    """What `config set` / `remove` did; secrets only as whether they are set."""
    settings = shown(saved.settings) if saved.settings else None
    if as_json:
        print_json({"path": str(saved.path), "profile": saved.profile, "created": saved.created, "removed": saved.removed,
                    "changed": saved.changed, "default_profile": saved.default_profile,
                    "default_changed": saved.default_changed, "settings": settings,
                    "notes": saved.notes})
        return 0
    if saved.removed:
        print(f"removed profile {saved.profile} from {saved.path}")
    else:
        what = "created" if saved.created else "changed" if saved.changed else "kept"
        default = ", now the default profile," if saved.default_changed else ""
        print(f"{what} profile {saved.profile}{default} in {saved.path}")
        for key, value in settings.items():
            mark = "*" if key in saved.changed else " "
            print(f"{mark} {key:23} {'-' if value is None else value}")
    for note in saved.notes:
        print(f"note: {note}")
    return 0
