"""CLI subcommands: each module adds its parser with `register(subparsers)` and sets `handler`
(a function taking the parsed args and returning an exit code)."""

from tui.commands import ask, chat, config, data, deployments, emulator, files, jobs, serve

COMMANDS = [config, data, files, jobs, deployments, chat, ask, emulator, serve]
