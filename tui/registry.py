"""Every ftdeck command, declared once: its key, its `/` name and arguments, what it does, which
rows it applies to and whether it writes.

The key bindings, `check_action`, the footer, the command palette, `?` help, `/help`, the
console's parsing and Tab completion and README's key tables all come from COMMANDS (harlequin's
single action registry is the model). Adding a command is one entry here and the deck method it
names (tui/actions.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from textual.binding import Binding

ACTIVE = ("pending", "running", "pausing", "paused", "resuming", "validating_files", "queued")


def model_of(item: dict) -> str | None:
    """The model a job or checkpoint row stands for: a job's fine-tuned model, a checkpoint's id
    `ftchkpt-...` (what Azure deploys and trains further from; services/model_ids.py), never its name."""
    if str(item.get("id", "")).startswith("ftchkpt-"):
        return item["id"]
    return item.get("fine_tuned_model")


@dataclass(frozen=True)
class Command:
    id: str  # the binding id: what `[keymap]` in the config file remaps
    title: str  # the footer's word for it
    help: str  # what it does, for the palette, `?` and `/help`
    run: str  # the deck's method that does it, given the `/` command's arguments (none from a key)
    key: str | None = None
    slash: str | None = None  # its console name, without the "/"
    args: str = ""  # the `/` arguments as people type them; [..] is optional, all or nothing
    rest: bool = False  # the `/` arguments are one free text (/filter some words)
    panes: frozenset[str] | None = None  # the panes whose rows it applies to; None: anywhere
    applies: Callable[[dict], bool] | None = None  # ...and to which of their rows
    writes: bool = False  # changes something: refused, and hidden, in read-only mode
    footer: int | None = None  # its place in the footer (lowest first, as many as fit); None: only in `?`
    everywhere: bool = False  # bound on the App (every screen), not only on the deck's main screen
    bound: tuple[str, ...] = ()  # fixed arguments the key passes (the pane it jumps to)
    slash_run: str | None = None  # where the `/` command does something else than the key

    @property
    def usage(self) -> str:
        """How to type it in the console: '/deploy [NAME MODEL_OR_CHECKPOINT]'."""
        return f"/{self.slash} {self.args}".rstrip()

    def parse(self, words: list[str]) -> tuple[str, ...] | None:
        """The arguments for `run` from what followed the `/` name, or None when they do not fit."""
        if self.rest:
            return (" ".join(words),)
        wanted = len(self.args.strip("[]").split()) if self.args else 0
        return tuple(words) if len(words) in (0, wanted) else None


def _pane(name: str, key: str, title: str, footer: int | None = None) -> Command:
    return Command(f"pane.{name}", title, f"jump to the {title} pane" if name != "events" else "the followed job's events",
                   "action_focus_pane", key=key, bound=(name,), footer=footer)


JOBS, CHECKPOINTS, FILES, DEPLOYMENTS = "jobs", "checkpoints", "files", "deployments"
_trained = lambda item: bool(model_of(item))  # noqa: E731

COMMANDS: tuple[Command, ...] = (
    Command("help", "Help", "list every key and command", "action_help", key="question_mark", slash="help", footer=0,
            everywhere=True, slash_run="say_commands"),
    Command("quit", "Quit", "leave ftdeck", "exit", key="q", slash="quit", footer=12, everywhere=True),
    Command("console", "Console", "type a / command (Tab completes)", "action_console", key="colon", footer=1),
    Command("filter", "Filter", "filter the current pane (no text clears it)", "action_filter",
            key="slash", slash="filter", args="[TEXT]", rest=True, footer=9),
    Command("refresh", "Refresh", "refresh every pane now", "action_refresh", key="ctrl+r", slash="refresh", footer=11),
    Command("pause-refresh", "Pause refresh", "pause or restart the automatic refresh", "action_toggle_pause", key="p"),
    Command("back", "Back", "back to the panes from the console or a full-screen detail", "action_back", key="escape"),
    _pane(JOBS, "1", "Jobs"), _pane(CHECKPOINTS, "2", "Checkpoints"), _pane(FILES, "3", "Files"),
    _pane(DEPLOYMENTS, "4", "Deployments"), _pane("events", "5", "Events"),
    Command("upload", "Upload", "upload a training file", "action_upload", key="u", slash="upload",
            args="[PATH]", writes=True, footer=6),
    Command("job.new", "New job", "create a fine-tuning job (a form)", "action_new_job", key="n",
            slash="create", args="[FROM_MODEL]", writes=True, footer=5),
    Command("job.further", "Train further", "train the selected model further (a new job from it)", "action_fine_tune_further",
            key="f", panes=frozenset({JOBS, CHECKPOINTS}), applies=_trained, writes=True, footer=10),
    Command("job.cancel", "Cancel", "cancel a job (default: the selected one)", "action_cancel_job", key="c",
            slash="cancel", args="[JOB]", panes=frozenset({JOBS}), applies=lambda job: job["status"] in ACTIVE,
            writes=True, footer=7),
    Command("job.pause", "Pause/resume", "pause the selected running job, or resume it when paused",
            "action_pause_or_resume_job", key="s", panes=frozenset({JOBS}),
            applies=lambda job: job["status"] in ("running", "paused"), writes=True, footer=7),
    Command("job.pause-only", "Pause job", "pause a running job (default: the followed one)", "pause_job", slash="pause", args="[JOB]", writes=True),
    Command("job.resume", "Resume job", "resume a paused job (default: the followed one)", "resume_job", slash="resume", args="[JOB]", writes=True),
    Command("deploy", "Deploy", "deploy the selected model, or MODEL_OR_CHECKPOINT as NAME", "action_deploy", key="d",
            slash="deploy", args="[NAME MODEL_OR_CHECKPOINT]", panes=frozenset({JOBS, CHECKPOINTS}), applies=_trained,
            writes=True, footer=2),
    Command("deployment.update", "Capacity", "change the selected deployment's capacity or sku", "action_update_deployment",
            key="e", panes=frozenset({DEPLOYMENTS}), applies=lambda item: bool(item.get("sku")) and item.get("state") != "Deleting",
            writes=True, footer=15),
    Command("playground", "Playground", "chat with a deployment in the playground", "action_playground", key="g", slash="chat",
            args="[DEPLOYMENT]", panes=frozenset({DEPLOYMENTS, CHECKPOINTS, JOBS}),
            applies=lambda item: bool(item.get("sku") or model_of(item)), footer=3),
    Command("job.results", "Results.csv", "save the selected job's results.csv here", "action_results", key="o",
            slash="results", args="[JOB]", panes=frozenset({JOBS}), applies=lambda job: job["status"] == "succeeded", footer=4),
    Command("delete", "Delete", "delete the selected row, or KIND (job, file, deployment, model) ID", "action_delete",
            key="x", slash="delete", args="[KIND ID]", panes=frozenset({JOBS, FILES, DEPLOYMENTS}),
            applies=lambda item: item.get("status") not in ACTIVE, writes=True, footer=8),
    Command("copy", "Copy id", "copy the selected id to the clipboard (OSC 52, works over SSH)", "action_copy_id", key="y",
            slash="copy", applies=lambda item: True, footer=13),
    Command("raw", "JSON", "show the selected row's JSON as the service sent it", "action_raw_json", key="v",
            applies=lambda item: True, footer=14),
    Command("calls", "API calls", "show or hide the log of API calls", "toggle_calls", slash="calls"),
    Command("theme", "Theme", "switch theme (no name lists them)", "switch_theme", slash="theme", args="[NAME]"),
)
BY_ID = {command.id: command for command in COMMANDS}
BY_SLASH = {command.slash: command for command in COMMANDS if command.slash}
# No palette entry: Esc is a key, not something to look for.
NOT_IN_PALETTE = {"back"}


def bindings(everywhere: bool) -> list[Binding]:
    """The key bindings of the App (everywhere=True) or of the deck's main screen: each runs its
    command through `run(id)`, and carries the command's id so a keymap can remap it."""
    return [Binding(c.key, f"run('{c.id}')", c.title, show=c.footer is not None, id=c.id)
            for c in COMMANDS if c.key and c.everywhere == everywhere]


def slash_help() -> dict[str, str]:
    """The console's commands: usage to what they do (`/help`, `?`)."""
    return {c.usage: c.help for c in COMMANDS if c.slash}


def key_table() -> list[tuple[str, str]]:
    """(key, what it does) for README's key table, in the registry's order."""
    from tui.screens.help import key_name

    return [(key_name(c.key), c.help) for c in COMMANDS if c.key]
