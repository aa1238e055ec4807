"""The assistant in the console (mixed into FtdeckApp): a line in plain words goes to
services/assistant.py in a worker; its answer streams into the console as Markdown, each tool call
on one line (`→ job.show ftjob-...`), then the tokens and estimated cost. A changing tool call opens
the dialog its key would (typed confirmation on production profiles) and waits for the user.

Also the reading `/` commands (/show, /events, /compare, /validate, /suggest: the same functions the
tools call) and /context, /new, /assistant."""

from __future__ import annotations

import threading
import time
from collections import Counter

from textual import work

from widgets.console import Console

NEWEST_SHOWN = 3
STREAM_REDRAW_SECONDS = 0.1


class AssistantConsole:
    _conversation = None  # services.assistant.Conversation, loaded once connected

    @property
    def conversation(self):
        from services.assistant import Conversation

        if self._conversation is None:
            self._conversation = Conversation.load(self.workspace.profile_name)
        return self._conversation

    # ------------------------------------------------------------ what the assistant is told

    def selected_for_assistant(self) -> dict | None:
        """The selected row, as the assistant is told it: ids, states, names; what "it" is."""
        from tui.registry import model_of

        chosen = self.selected()
        if chosen is None:
            return None
        pane, row_id, item = chosen
        facts = {"pane": pane, "id": row_id}
        for key in ("status", "model", "filename", "state", "sku"):
            if isinstance(item.get(key), (str, int, float)):
                facts[key] = item[key]
        if trained := model_of(item):
            facts["trained_model"] = trained
        return facts

    def deck_context(self) -> dict:
        """The selected row and a short summary of the panes: never a key, never a file's content."""
        jobs = list(self.resources["jobs"].values())
        return {
            "where": "ftdeck TUI", "profile": self.workspace.profile_name, "current_pane": self.current_pane,
            "selected": self.selected_for_assistant(),
            "panes": {
                "jobs": {"count": len(jobs), "by_status": dict(Counter(j.get("status") for j in jobs)),
                         "newest": [{"id": j["id"], "status": j.get("status"), "model": j.get("model")} for j in jobs[:NEWEST_SHOWN]]},
                "checkpoints_of_followed_job": len(self.resources["checkpoints"]),
                "files": len(self.resources["files"]),
                "deployments": [{"name": d.get("name"), "model": d.get("model"), "state": d.get("state")}
                                for d in list(self.resources["deployments"].values())[:10]],
            },
        }

    # ------------------------------------------------------------ a question

    def on_console_question(self, message: Console.Question) -> None:
        if self.workspace is None:
            self.say("not connected yet", "warning")
            return
        if any(w.group == "assistant" and w.is_running for w in self.workers):
            self.say("the assistant is still answering; ask again when it is done", "warning")
            return
        self.screen.add_class("-assistant")  # the console grows for the answer; Esc gives the room back
        self.ask_assistant(message.text, self.deck_context())

    @work(thread=True, group="assistant", exit_on_error=False)
    def ask_assistant(self, question: str, context: dict) -> None:
        from services.assistant import ask, choose_deployment, model_of_deployment
        from services.errors import FtdeckError
        from tui.registry import tools

        conversation, ws = self.conversation, self.workspace
        try:
            deployment, why = choose_deployment(ws, conversation)
        except FtdeckError as exc:
            self.call_from_thread(self.say, str(exc), "warning")
            return
        if getattr(self, "_told_deployment", None) != deployment:
            self._told_deployment = deployment
            self.call_from_thread(self.say, f"the assistant asks {deployment} ({why}); /assistant NAME changes it")
        selected = context.get("selected")
        written, shown_at = [""], [0.0]

        def on_text(delta: str) -> None:
            written[0] += delta
            if time.monotonic() - shown_at[0] >= STREAM_REDRAW_SECONDS:  # Markdown redrawn a few times a second, not per token
                shown_at[0] = time.monotonic()
                self.call_from_thread(self.query_one(Console).stream, written[0])

        def on_call(call) -> None:
            if written[0]:  # words said before the call stay above its line
                self.call_from_thread(self.query_one(Console).answered, written[0])
                written[0] = ""
            self.call_from_thread(self.say, call.line(), "tool")

        def read(call) -> dict:
            from services.assistant_tools import read

            return read(ws, call.command, call.arguments, selected)

        def change(call) -> dict:
            return self.confirm_change(call, selected)

        try:
            answer = ask(ws, deployment, conversation, question, context, tools(self.read_only), read=read, change=change,
                         on_text=on_text, on_call=on_call, model=model_of_deployment(ws, deployment))
        except FtdeckError as exc:
            self.call_from_thread(self.query_one(Console).answered, written[0])
            self.call_from_thread(self.say, f"the assistant could not answer: {exc}", "error")
            return
        self.call_from_thread(self.query_one(Console).answered, written[0] if not answer.stopped else answer.text)
        self.call_from_thread(self.say, answer.stats(), "stats")

    def confirm_change(self, call, selected: dict | None) -> dict:
        """A changing tool call (worker thread): the dialog its key opens, and the change only when
        the user says yes. The answer goes back to the model as the tool's result."""
        from services.assistant_tools import carry_out, propose
        from services.errors import FtdeckError

        if self.read_only:  # never offered; a model that calls one anyway gets nothing
            return {"done": False, "error": "read-only profile: nothing can be changed"}
        try:
            proposal = propose(self.workspace, call.command, call.arguments, selected)
        except FtdeckError as exc:
            return {"done": False, "error": str(exc)}
        done, box = threading.Event(), {}

        def answered(value) -> None:
            box["value"] = value
            done.set()

        self.call_from_thread(self.open_proposal, proposal, answered)
        while not done.wait(0.5):
            if not self.is_running:
                return {"done": False, "summary": "ftdeck closed before the user answered; nothing changed"}
        value = box.get("value")
        if proposal.command == "deploy":  # the form deployed it (or was left)
            if not value:
                return {"done": False, "summary": "The user refused: nothing was deployed."}
            self.call_from_thread(self.deployed, value)
            state = (value.get("properties") or {}).get("provisioningState")
            return {"done": True, "summary": f"Deployed {proposal.arguments['model_or_checkpoint']} as {value.get('name')}: {state}."}
        if not value:
            self.call_from_thread(self.say, f"refused: {proposal.line()}; nothing changed", "warning")
            return {"done": False, "summary": "The user refused: nothing was changed."}
        result = carry_out(self.workspace, proposal)
        self.call_from_thread(self.say, result["summary"], "ok")
        self.call_from_thread(self.action_refresh)
        return result

    def open_proposal(self, proposal, answered) -> None:
        """The same dialog the key opens: the deploy form for deploy, else the yes/no question
        (typed on production profiles), both naming exactly what will be done."""
        from tui.screens.confirm import Confirm
        from tui.screens.deploy import DeployScreen

        if proposal.command == "deploy":
            args = proposal.arguments
            self.push_screen(DeployScreen(self.workspace, args["model_or_checkpoint"], name=args["name"]), answered)
            return
        production = self.workspace.profile.production
        detail = " ".join([*(f"This is {note}." for note in proposal.notes), proposal.detail, "The assistant proposed it."])
        self.push_screen(Confirm(proposal.question, detail, typed=proposal.typed if production else None), answered)

    # ------------------------------------------------------------ the reading / commands, /context, /new, /assistant

    def run_reading(self, command_id: str, *words: str) -> None:
        """/show, /events, /compare, /validate, /suggest: the tool's answer, in the console."""
        from tui.registry import BY_ID

        if self.workspace is None:
            self.say("not connected yet", "warning")
            return
        names = [word.lower() for word, _ in BY_ID[command_id].arguments]
        self.read_in_console(command_id, dict(zip(names, words)), self.selected_for_assistant())

    @work(thread=True, group="reading", exit_on_error=False)
    def read_in_console(self, command_id: str, args: dict, selected: dict | None) -> None:
        from services.assistant_tools import read

        result = read(self.workspace, command_id, args, selected)
        text = result.get("summary") or result.get("error") or "(nothing)"
        self.call_from_thread(self.say, text, "error" if "error" in result else "info")

    def assistant_context(self) -> None:
        """/context: what the assistant was last sent about the deck (or would be sent now)."""
        import json

        if self.workspace is None:
            return
        sent = self.conversation.last_context
        self.say(("last sent: " if sent else "nothing sent yet; it would be: ") + json.dumps(sent or self.deck_context(), indent=1, default=str))

    def assistant_new(self) -> None:
        if self.workspace is not None:
            self.conversation.new()
            self.say("the assistant's conversation starts over", "ok")

    def assistant_deployment(self, name: str | None = None) -> None:
        """/assistant: which deployment answers; /assistant NAME: that one from now on (this profile)."""
        if self.workspace is None:
            return
        if name:
            self.conversation.deployment = name
            self.conversation.save()
            self.say(f"the assistant now asks {name}", "ok")
        else:
            self.show_assistant_deployment()

    @work(thread=True, group="assistant-deployment", exit_on_error=False)
    def show_assistant_deployment(self) -> None:
        from services.assistant import choose_deployment
        from services.errors import FtdeckError

        try:
            deployment, why = choose_deployment(self.workspace, self.conversation)
            self.call_from_thread(self.say, f"the assistant asks {deployment} ({why}); /assistant NAME changes it")
        except FtdeckError as exc:
            self.call_from_thread(self.say, str(exc), "warning")
