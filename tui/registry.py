"""Every ftdeck command, declared once: its key, its `/` name and arguments, what it does, which
rows it applies to and whether it writes.

The key bindings, `check_action`, the footer, the command palette, `?` help, `/help`, the
console's parsing and Tab completion and README's key tables all come from COMMANDS (harlequin's
single action registry is the model). Adding a command is one entry here and the deck method it
names (tui/actions.py).
"""

from __future__ import annotations

import re
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
    tool: bool = False  # also a tool the assistant may call (reading ones run at once, writes ask first)

    @property
    def usage(self) -> str:
        """How to type it in the console: '/deploy [NAME MODEL_OR_CHECKPOINT]'."""
        return f"/{self.slash} {self.args}".rstrip()

    @property
    def arguments(self) -> list[tuple[str, bool]]:
        """(NAME, required) for each argument of `args`: `PATH [MODEL]` is PATH required, MODEL not."""
        found = []
        for group in re.findall(r"\[[^\]]*\]|\S+", self.args):
            found += [(word, not group.startswith("[")) for word in group.strip("[]").split()]
        return found

    def parse(self, words: list[str]) -> tuple[str, ...] | None:
        """The arguments for `run` from what followed the `/` name, or None when they do not fit.
        A [..] group is all or nothing: `[NAME MODEL]` takes 0 or 2 words, `PATH [MODEL]` 1 or 2."""
        if self.rest:
            return (" ".join(words),)
        fits, count = set(), 0
        for group in re.findall(r"\[[^\]]*\]|\S+", self.args):
            if group.startswith("["):
                fits.add(count)
            count += len(group.strip("[]").split())
        fits.add(count)
        return tuple(words) if len(words) in fits else None

    @property
    def tool_name(self) -> str:
        """Its name as a tool: Azure/OpenAI allow only ^[a-zA-Z0-9_-]{1,64}$, so `job.cancel` is `job_cancel`."""
        return self.id.replace(".", "_")

    def tool_schema(self) -> dict:
        """The tool as chat completions take it: name, what it does, and a JSON schema of the same
        arguments the `/` command takes."""
        properties, required = {}, []
        for word, needed in self.arguments:
            kind, described = ARGUMENTS.get(word, ("string", word.lower().replace("_", " ")))
            properties[word.lower()] = {"type": kind, "description": described}
            if needed:
                required.append(word.lower())
        parameters = {"type": "object", "properties": properties, "required": required, "additionalProperties": False}
        return {"type": "function", "function": {"name": self.tool_name, "description": self.help, "parameters": parameters}}


# What each argument word of the registry means, for the tools' JSON schemas (and the chooser that
# fills them from the user's words).
ARGUMENTS = {
    "JOB": ("string", "a fine-tuning job id (ftjob-...); leave out for the selected job"),
    "N": ("integer", "how many of the newest jobs to compare"),
    "PATH": ("string", "a local training file path, such as ./train.jsonl"),
    "MODEL": ("string", "a base model to fine-tune, such as gpt-4.1-mini"),
    "NAME": ("string", "the new deployment's name (as NAME)"),
    "MODEL_OR_CHECKPOINT": ("string", "what to deploy: a fine-tuned model (ft...), a checkpoint (ftchkpt-...), "
                                      "or a job (ftjob-...: its best checkpoint)"),
    "KIND": ("string", "job, file, deployment or model"),
    "ID": ("string", "the id or name of the job, file (file-...), deployment or model to delete"),
    "DEPLOYMENT": ("string", "a deployment's name"),
}


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
            writes=True, footer=7, tool=True),
    Command("job.pause", "Pause/resume", "pause the selected running job, or resume it when paused",
            "action_pause_or_resume_job", key="s", panes=frozenset({JOBS}),
            applies=lambda job: job["status"] in ("running", "paused"), writes=True, footer=7),
    Command("job.pause-only", "Pause job", "pause a running job (default: the followed one)", "pause_job", slash="pause", args="[JOB]", writes=True,
            tool=True),
    Command("job.resume", "Resume job", "resume a paused job (default: the followed one)", "resume_job", slash="resume", args="[JOB]", writes=True,
            tool=True),
    Command("deploy", "Deploy", "deploy the selected model, or MODEL_OR_CHECKPOINT as NAME", "action_deploy", key="d",
            slash="deploy", args="[NAME MODEL_OR_CHECKPOINT]", panes=frozenset({JOBS, CHECKPOINTS}), applies=_trained,
            writes=True, footer=2, tool=True),
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
            applies=lambda item: item.get("status") not in ACTIVE, writes=True, footer=8, tool=True),
    Command("copy", "Copy id", "copy the selected id to the clipboard (OSC 52, works over SSH)", "action_copy_id", key="y",
            slash="copy", applies=lambda item: True, footer=13),
    Command("raw", "JSON", "show the selected row's JSON as the service sent it", "action_raw_json", key="v",
            applies=lambda item: True, footer=14),
    Command("calls", "API calls", "show or hide the log of API calls", "toggle_calls", slash="calls"),
    Command("theme", "Theme", "switch theme (no name lists them)", "switch_theme", slash="theme", args="[NAME]"),
    # Reading commands: `/` commands and the assistant's tools alike (services/assistant_tools.py answers them).
    Command("job.show", "Show job", "why a job failed or how it is going: its status, error with ftdeck's explanation and "
            "fix, settings, results and latest events (default: the selected job, else the newest)", "run_reading",
            slash="show", args="[JOB]", bound=("job.show",), tool=True),
    Command("job.events", "Events", "a job's latest events, what happened when (default: the selected job, else the newest)",
            "run_reading", slash="events", args="[JOB]", bound=("job.events",), tool=True),
    Command("jobs.compare", "Compare", "compare the newest finished jobs (runs) by their results: which has the lowest "
            "validation loss, with training loss and accuracy (default: every recent one)", "run_reading",
            slash="compare", args="[N]", bound=("jobs.compare",), tool=True),
    Command("data.validate", "Validate", "check whether a local training file is ready for a model: its problems, "
            "tokens and the training cost estimate (offline)", "run_reading", slash="validate", args="PATH [MODEL]",
            bound=("data.validate",), tool=True),
    Command("training.suggest", "Suggest", "suggest what learning rate multiplier, epochs and batch size to try, from "
            "the training file's size and the docs' defaults (default: the newest job's training file)", "run_reading",
            slash="suggest", args="[PATH]", bound=("training.suggest",), tool=True),
    # The assistant (console text that does not start with /).
    Command("assistant.context", "Context", "what the assistant was last sent about the deck", "assistant_context", slash="context"),
    Command("assistant.new", "New conversation", "start the assistant's conversation over", "assistant_new", slash="new"),
    Command("assistant.deployment", "Assistant", "show or change the deployment the assistant asks", "assistant_deployment",
            slash="assistant", args="[DEPLOYMENT]"),
)
BY_ID = {command.id: command for command in COMMANDS}
BY_SLASH = {command.slash: command for command in COMMANDS if command.slash}
# No palette entry: Esc is a key, not something to look for.
NOT_IN_PALETTE = {"back"}


TOOLS = tuple(command for command in COMMANDS if command.tool)


def tools(read_only: bool) -> list:
    """The tools the assistant is offered (services.assistant.Tool): read-only profiles get no
    changing ones at all."""
    from services.assistant import Tool

    return [Tool(c.id, c.tool_schema(), c.writes) for c in TOOLS if not (c.writes and read_only)]


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
