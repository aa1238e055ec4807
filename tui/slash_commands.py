"""The console's `/` commands: each runs the same action as its key, or a scriptable variant."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tui.app import FtdeckApp

COMMANDS = {
    "help": "list the commands (? lists every key)",
    "refresh": "refresh every pane now",
    "upload": "upload a training file: /upload [PATH]",
    "create": "create a fine-tuning job (a form): /create [FROM_MODEL]",
    "cancel": "cancel a job: /cancel [JOB] (default: the selected one)",
    "pause": "pause a running job: /pause [JOB]",
    "resume": "resume a paused job: /resume [JOB]",
    "deploy": "deploy the selected model: /deploy [NAME MODEL_OR_CHECKPOINT]",
    "delete": "delete the selected row, or: /delete job|file|deployment|model ID",
    "results": "save the selected job's results.csv here: /results [JOB]",
    "chat": "open the playground: /chat [DEPLOYMENT]",
    "copy": "copy the selected id to the clipboard (OSC 52, works over SSH)",
    "filter": "filter the current pane: /filter TEXT (no text clears it)",
    "theme": "switch theme: /theme NAME (no name lists them)",
    "calls": "show or hide the log of API calls",
    "quit": "leave ftdeck",
}


def run_command(app: "FtdeckApp", name: str, args: list[str]) -> None:
    say = app.say
    if name == "help":
        for command, text in COMMANDS.items():
            say(f"/{command:8} {text}")
    elif name == "refresh":
        app.action_refresh()
        say("refreshing")
    elif name in ("cancel", "pause", "resume"):
        job = args[0] if args else app.followed_job
        if not job:
            say(f"/{name} needs a job: select one or give its id", "warning")
        elif app._writable():
            app.change_job(f"{name}_job", job)
    elif name == "upload":
        app.action_upload(args[0] if args else None)
    elif name == "create":
        app.action_new_job(start_from=args[0] if args else None)
    elif name == "deploy":
        if len(args) == 1:
            say("/deploy NAME MODEL_OR_CHECKPOINT, or /deploy alone for the selected row", "warning")
        else:
            app.action_deploy(*args[:2])
    elif name == "delete":
        if len(args) == 2 and args[0] in ("job", "file", "deployment", "model"):
            app.action_delete(args[0], args[1])
        elif args:
            say("/delete job|file|deployment|model ID, or /delete alone for the selected row", "warning")
        else:
            app.action_delete()
    elif name == "results":
        if args:
            app.download_results(args[0])
        else:
            app.action_results()
    elif name == "chat":
        app.action_playground(args[0] if args else None)
    elif name == "copy":
        app.action_copy_id()
    elif name == "filter":
        app.query_one(f"#{app.current_pane}").set_filter(" ".join(args))
    elif name == "theme":
        if args and args[0] in app.available_themes:
            app.theme = args[0]
        else:
            say("themes: " + ", ".join(sorted(app.available_themes)), "warning" if args else "info")
    elif name == "calls":
        app.toggle_calls()
    elif name == "quit":
        app.exit()
    else:
        say(f"unknown command /{name}; /help lists them", "error")
