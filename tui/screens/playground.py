"""The playground: chat with one deployment, or the same prompt to two side by side (A/B), with the
system message the fine-tuned one was trained with; blind votes; turns saved as training examples.

Nothing is lost: the conversation and the prompt being typed are saved as they change, reopening
restores the last conversation, and a request that fails or is cancelled puts its prompt back.

It is a ModalScreen only so that the deck's own keys (c cancels a job, digits switch panes) do not
fire underneath; it fills the terminal like any screen. Workers call services and post messages;
handlers change the widgets.
"""

from __future__ import annotations

import copy
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.timer import Timer
from textual.widgets import Checkbox, Footer, Input, Label, Select, Static, TextArea

from services import playground
from services.errors import FtdeckError
from services.outside_text import inert
from widgets.chat_pane import ChatPane
from widgets.markup import literal_line, markup

if TYPE_CHECKING:
    from services.chat import Reply
    from services.playground import Conversation, SystemMessages
    from services.workspace import Workspace

SAVE_DELAY = 0.4  # typing is saved this long after the last key
VOTE = Binding.Group("Vote")
REGENERATE = Binding.Group("Regen")


class Delta(Message):
    """A piece of a streamed reply (never coalesced: every piece is text)."""

    def __init__(self, side: int, text: str) -> None:
        super().__init__()
        self.side, self.text = side, text


class Generated(Message):
    def __init__(self, turn: int, sides: list[int], replies: list[Reply], new_turn: bool) -> None:
        super().__init__()
        self.turn, self.sides, self.replies, self.new_turn = turn, sides, replies, new_turn


class TrainingFound(Message):
    def __init__(self, deployment: str, found: SystemMessages) -> None:
        super().__init__()
        self.deployment, self.found = deployment, found


def _short(text: str, width: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _home(path: Path) -> str:
    home = str(Path.home())
    return "~" + str(path)[len(home):] if str(path).startswith(home) else str(path)


class EditAnswer(ModalScreen[str | None]):
    """Edit an answer before it is appended to the dataset as a chat example."""

    DEFAULT_CSS = """
    EditAnswer { align: center middle; }
    EditAnswer > Vertical { width: 90%; height: 80%; border: thick $accent; background: $surface; padding: 0 1; }
    EditAnswer TextArea { height: 1fr; }
    """
    BINDINGS = [
        Binding("ctrl+s", "save", "Save example", id="playground.example.save"),
        Binding("escape", "cancel", "Cancel", id="playground.example.cancel"),
    ]

    def __init__(self, answer: str, who: str, where: str) -> None:
        super().__init__()
        self.answer, self.who, self.where = answer, who, where

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(markup("[b]The answer of $who to train on[/b] (edit it if you like), appended to $where",
                                who=self.who, where=self.where))
            yield TextArea(inert(self.answer), soft_wrap=True, id="answer")  # a TextArea prints controls as they are
            yield Footer()

    def action_save(self) -> None:
        self.dismiss(self.query_one(TextArea).text)

    def action_cancel(self) -> None:
        self.dismiss(None)


class PlaygroundScreen(ModalScreen[None]):
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide")]
    CSS = """
    PlaygroundScreen, PlaygroundScreen:ansi { background: $background; }
    #title { height: 1; background: $panel; padding: 0 1; }
    #settings { height: auto; }
    .settings { height: auto; width: 1fr; border: round $panel-lighten-2; padding: 0 1; }
    .settings:focus-within { border: round $accent; }
    .settings Horizontal { height: auto; }
    .settings Label { width: auto; color: $text-muted; padding: 0 1 0 0; }
    .system { height: auto; max-height: 3; padding: 0; scrollbar-size-vertical: 1; }
    .system:focus { background: $boost; }
    .params Input { width: 10; margin-right: 2; }
    .warning { color: $text-warning; height: auto; }
    .warning.-ok { color: $text-muted; }
    #settings-1 { display: none; }
    #sides { height: 1fr; }
    .side { width: 1fr; height: 1fr; }
    .side-head { height: 1; }
    .side-label { width: 4; padding: 0 1; text-style: bold; background: $panel; }
    .picker { width: 1fr; }
    #prompt { border: round $panel-lighten-2; }
    #prompt:focus { border: round $accent; }
    PlaygroundScreen.-unlinked #settings-1 { display: block; }
    PlaygroundScreen.-single #settings-1, PlaygroundScreen.-single #side-1 { display: none; }
    PlaygroundScreen.-single .side-label, PlaygroundScreen.-single #linked, PlaygroundScreen.-blind .picker { display: none; }
    PlaygroundScreen.-blind .side-label { width: 1fr; }
    PlaygroundScreen Footer.-compact FooterLabel { margin: 0 1 0 0; }  /* "Vote" then " x Swap", not "Votex Swap" */
    PlaygroundScreen.-unlinked .params Input { width: 7; margin-right: 1; }
    PlaygroundScreen.-narrow {
        #settings, #sides { layout: vertical; }
        .settings { border: none; padding: 0; background: $boost; }
        .params Input { width: 7; margin-right: 1; }
        .system { max-height: 2; }
        ChatPane { border: none; border-left: outer $panel; padding: 0 1 0 0; }
        ChatPane:focus { border: none; border-left: outer $accent; }
        #prompt { border: none; height: 1; background: $boost; }
    }
    """
    BINDINGS = [
        Binding("enter", "send", "Send", priority=True, id="playground.send"),
        Binding("escape", "cancel", "Cancel", id="playground.cancel"),
        Binding("escape", "leave_box", "Keys", id="playground.keys"),
        Binding("escape", "type", "Type", id="playground.type"),
        Binding("r", "regenerate(False)", "side", group=REGENERATE, id="playground.regenerate"),
        Binding("R", "regenerate(True)", "both", group=REGENERATE, id="playground.regenerate-both"),
        Binding("1", "vote('1')", "1", group=VOTE, id="playground.vote-1"),
        Binding("2", "vote('2')", "2", group=VOTE, id="playground.vote-2"),
        Binding("0", "vote('0')", "tie", group=VOTE, id="playground.vote-tie"),
        Binding("x", "swap", "Swap", id="playground.swap"),
        Binding("b", "blind", "Blind", id="playground.blind"),
        Binding("a", "compare", "A/B", id="playground.compare"),
        Binding("a", "why_not_compare", "A/B", show=False, id="playground.compare-refused"),  # says why, takes no footer room
        Binding("t", "training_system", "Sys msg", id="playground.training-system"),
        Binding("y", "save_chat", "Save", id="playground.save-chat"),
        Binding("d", "save_preference", "DPO", id="playground.save-dpo"),
        Binding("m", "export", "Export", id="playground.export"),
        Binding("n", "new", "New", id="playground.new"),
        Binding("q", "close", "Back", id="playground.close"),
        Binding("question_mark", "app.help", "Help", show=False, id="playground.help"),  # the footer is full: ? is known
    ]
    KEYS_WHILE_TYPING = {"send", "cancel", "leave_box"}

    def __init__(self, workspace: Workspace, deployments: list[str], left: str | None = None, right: str | None = None) -> None:
        super().__init__()
        self.workspace = workspace
        self.deployments = list(deployments)
        self.conversation = self._restore(left, right)
        self.training: dict[str, SystemMessages] = {}
        self.busy = False
        self.cancel = threading.Event()
        self.reveal = ""  # the last blind result, shown until something else changes
        self._save_timer: Timer | None = None

    def _restore(self, left: str | None, right: str | None) -> Conversation:
        """The last conversation, unless other deployments were asked for."""
        last = playground.load_last()
        asked = [name for name in (left, right) if name]
        if last and set(asked) <= {side.deployment for side in last.sides}:
            return last
        return playground.new_conversation(asked or self.deployments[:1])

    # ------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        sides = [s.deployment for s in self.conversation.sides]
        names = list(dict.fromkeys(self.deployments + sides))
        yield Static(id="title")
        with Horizontal(id="settings"):
            for i in (0, 1):
                with Vertical(id=f"settings-{i}", classes="settings"):
                    with Horizontal():
                        yield Label("System", id=f"system-label-{i}")
                        yield TextArea(id=f"system-{i}", classes="system", soft_wrap=True, compact=True)
                    yield Static(id=f"warning-{i}", classes="warning")
                    with Horizontal(classes="params"):
                        for name, kind in (("temperature", "number"), ("max_tokens", "integer"), ("seed", "integer")):
                            yield Label(name.replace("_", " "))
                            yield Input(type=kind, placeholder="default", compact=True, id=f"{name}-{i}")
                        if not i:
                            yield Checkbox("same for A and B", self.conversation.linked, compact=True, id="linked")
        with Horizontal(id="sides"):
            for i in (0, 1):
                with Vertical(id=f"side-{i}", classes="side"):
                    with Horizontal(classes="side-head"):
                        yield Static("AB"[i], id=f"label-{i}", classes="side-label")
                        yield Select([(literal_line(n), n) for n in names], value=(sides + names)[i] if names else Select.BLANK, allow_blank=not names,
                                     compact=True, id=f"picker-{i}", classes="picker")
                    yield ChatPane(id=f"pane-{i}")
        yield Input(placeholder="Message: Enter sends, Esc cancels or leaves the box for the keys below", id="prompt")
        yield Footer(compact=True)

    async def on_mount(self) -> None:
        for box in self.query("TextArea, Input"):
            box.cursor_blink = False  # no animation: calm over SSH
        if not self.deployments and not self.conversation.sides:
            self.notify("No deployments to chat with: deploy a model first.", severity="warning")
            self.dismiss()
            return
        if self.conversation.recover_interrupted():  # ftdeck stopped while the last turn was being answered
            self.save_now()
        self.query_one("#prompt", Input).value = self.conversation.draft
        self.load_settings()
        await self.render_panes()
        self.query_one("#prompt", Input).focus()
        for side in self.conversation.sides:
            self.look_up_training(side.deployment)

    def load_settings(self) -> None:
        """Put the conversation's deployments, system messages and parameters into the widgets."""
        conversation = self.conversation
        self.set_class(len(conversation.sides) == 1, "-single")
        self.set_class(not conversation.linked, "-unlinked")
        self.set_class(conversation.blind, "-blind")
        with self.prevent(Checkbox.Changed, Select.Changed, TextArea.Changed, Input.Changed):  # not the user's doing
            self.query_one("#linked", Checkbox).value = conversation.linked
            for i, side in enumerate(conversation.sides):
                self.query_one(f"#picker-{i}", Select).value = side.deployment
                system = self.query_one(f"#system-{i}", TextArea)
                if system.text != inert(side.system):  # training data's: no control reaches the terminal
                    system.load_text(inert(side.system))
                for name in playground.PARAMETERS:
                    value = getattr(side, name)
                    self.query_one(f"#{name}-{i}", Input).value = "" if value is None else str(value)
        self.show_state()

    def side_at(self, position: int) -> int:
        """The side shown at a position: in blind mode, in the random order."""
        return self.conversation.blind_order[position] if self.conversation.blind else position

    def pane_of(self, side: int) -> ChatPane:
        position = self.conversation.blind_order.index(side) if self.conversation.blind else side
        return self.query_one(f"#pane-{position}", ChatPane)

    async def render_panes(self) -> None:
        for position in range(len(self.conversation.sides)):
            side = self.side_at(position)
            await self.query_one(f"#pane-{position}", ChatPane).show([(t.prompt, t.replies[side]) for t in self.conversation.shown_turns()])
        self.show_state()

    def show_state(self) -> None:
        """Titles, warnings, tally: everything derived from the conversation."""
        conversation = self.conversation
        two = len(conversation.sides) == 2
        for position in (0, 1):
            self.query_one(f"#label-{position}", Static).update(str(position + 1) if conversation.blind else "AB"[position])
        for block in (0, 1):
            linked_title = "Both sides" if two else "Settings"
            self.query_one(f"#settings-{block}").border_title = "B" if block else (linked_title if conversation.linked else "A")
            self.query_one(f"#system-label-{block}", Label).update("System" if conversation.linked else "AB"[block] + " system")
            text, ok = self.training_note(block)
            warning = self.query_one(f"#warning-{block}", Static)
            warning.update(Text(inert(text)))
            warning.set_class(ok, "-ok")
            warning.display = bool(text)
        mode = "A/B" if two else "chat"
        if conversation.blind:
            tally = conversation.tally()
            counts = " ".join(f"{p + 1}:{tally['AB'[self.side_at(p)]]}" for p in (0, 1))
            mode = f"A/B blind · votes {counts} tie:{tally['tie']}"
        vote = conversation.turns[-1].vote if conversation.turns and two else None
        chosen = f" · last turn: {self._label(vote)}" if vote else ""
        busy = " · [b]answering…[/b] (Esc cancels)" if self.busy else ""
        where = self.reveal or f"saved in {_home(playground.playground_dir())}"
        self.query_one("#title", Static).update(markup(f"[b]Playground[/b] {mode}{chosen}{busy} · $where", where=where))
        self.refresh_bindings()

    def _label(self, vote: str) -> str:
        if vote == "tie":
            return "tie"
        side = "AB".index(vote)
        return f"{self.conversation.blind_order.index(side) + 1} better" if self.conversation.blind else f"{vote} better"

    def training_note(self, block: int) -> tuple[str, bool]:
        """The warning (or the all-clear) for a settings block: does its system message match training?"""
        conversation = self.conversation
        sides = range(len(conversation.sides)) if conversation.linked else [block]
        if block >= len(conversation.sides) or (block and conversation.linked) or conversation.blind:
            return "", True  # blind: a note names the deployment (shown again at the reveal)
        lines, ok = [], True
        for i in sides:
            s = conversation.settings(i)
            found = self.training.get(s.deployment)
            if not found or not found.examples:
                continue
            if found.differs(s.system):
                ok = False
                trained = f"“{_short(found.most_common)}”" if found.most_common else "no system message"
                lines.append(f"⚠ differs from training: {s.deployment} was trained with {trained} "
                             f"({found.count}/{found.examples} examples); t restores it")
            else:
                lines.append(f"✓ the system message {s.deployment} was trained with ({found.count}/{found.examples} examples)")
            if found.others:
                others = "; ".join(f"“{_short(text, 30)}” ×{n}" if text else f"none ×{n}" for text, n in found.others)
                lines.append(f"  also in its training data: {others}")
        return "\n".join(lines), ok

    # ------------------------------------------------------------ the training system message

    @work(thread=True, group="playground-training", exit_on_error=False)
    def look_up_training(self, deployment: str) -> None:
        if deployment in self.training:
            return
        try:
            found = playground.training_system_messages(self.workspace, deployment)
        except FtdeckError as exc:  # no management plane, a deleted deployment: chat works without it
            found = playground.SystemMessages(None, source=str(exc))
        self.post_message(TrainingFound(deployment, found))

    @on(TrainingFound)
    def training_found(self, message: TrainingFound) -> None:
        self.training[message.deployment] = message.found
        conversation = self.conversation
        for i, side in enumerate(conversation.sides):
            target = 0 if conversation.linked else i
            if side.deployment == message.deployment and message.found.most_common and not conversation.turns \
                    and not conversation.sides[target].system:
                conversation.sides[target].system = message.found.most_common  # a new conversation: pre-fill
                self.load_settings()
                self.save_now()
        self.show_state()

    def action_training_system(self) -> None:
        """Use the training system message wherever the one in use differs."""
        conversation = self.conversation
        for i in range(len(conversation.sides)):
            found = self.training.get(conversation.settings(i).deployment)
            if found and found.differs(conversation.settings(i).system):
                conversation.sides[0 if conversation.linked else i].system = found.most_common or ""
        self.load_settings()
        self.save_now()

    # ------------------------------------------------------------ editing settings and the prompt

    @on(TextArea.Changed, ".system")
    def system_changed(self, event: TextArea.Changed) -> None:
        side = int(event.text_area.id.rsplit("-", 1)[1])
        if side < len(self.conversation.sides) and self.conversation.sides[side].system != event.text_area.text:
            self.conversation.sides[side].system = event.text_area.text
            self.show_state()
            self.save_soon()

    @on(Input.Changed, ".params Input")
    def parameter_changed(self, event: Input.Changed) -> None:
        name, side = event.input.id.rsplit("-", 1)
        if int(side) >= len(self.conversation.sides):
            return
        try:
            value = None if not event.value.strip() else (float(event.value) if name == "temperature" else int(event.value))
        except ValueError:
            return  # half-typed ("1.", "-"): keep the last good value
        setattr(self.conversation.sides[int(side)], name, value)
        self.save_soon()

    @on(Select.Changed, ".picker")
    def deployment_picked(self, event: Select.Changed) -> None:
        side = int(event.select.id.rsplit("-", 1)[1])
        if side < len(self.conversation.sides) and event.value != self.conversation.sides[side].deployment:
            self.conversation.sides[side].deployment = str(event.value)
            self.look_up_training(str(event.value))
            self.show_state()
            self.save_now()

    @on(Input.Changed, "#prompt")
    def draft_changed(self, event: Input.Changed) -> None:
        self.conversation.draft = event.value
        self.save_soon()

    def save_soon(self) -> None:
        if self._save_timer is not None:
            self._save_timer.stop()
        self._save_timer = self.set_timer(SAVE_DELAY, self.save_now)

    def save_now(self) -> None:
        if self._save_timer is not None:
            self._save_timer.stop()
            self._save_timer = None
        playground.save(self.conversation)

    # ------------------------------------------------------------ sending and streaming

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        """Letter keys are for when no text box has focus; others only where they make sense."""
        conversation, typing = self.conversation, isinstance(self.focused, (Input, TextArea))
        two, turns = len(conversation.sides) == 2, bool(conversation.shown_turns())
        if typing and action not in self.KEYS_WHILE_TYPING:
            return False
        if action == "training_system":
            return any(not self.training_note(block)[1] for block in (0, 1))
        last_vote = conversation.turns[-1].vote if turns else None
        both = bool(parameters and parameters[0])
        return {
            "send": not self.busy and getattr(self.focused, "id", "") == "prompt",
            "cancel": self.busy,
            "leave_box": typing and not self.busy,
            "type": not typing and not self.busy,
            "regenerate": turns and not self.busy and (two or not both),
            "vote": two and turns and not self.busy,
            "swap": two and not conversation.blind and not self.busy,
            "blind": two and not self.busy,
            "compare": not self.busy and not conversation.blind and not (two and any(t.replies[1] for t in conversation.turns)),
            "why_not_compare": not self.busy and two and any(t.replies[1] for t in conversation.turns),
            "save_chat": turns and not self.busy,
            "save_preference": two and last_vote in ("A", "B") and not self.busy,
            "export": turns,
            "new": not self.busy,
        }.get(action, True)

    def action_send(self) -> None:
        # Keys typed just before this Enter may still wait in the box's queue (over SSH, fast typing
        # arrives in one burst, and Enter, a priority key, is seen first): send once it has them.
        self.query_one("#prompt", Input).call_later(self.send)

    async def send(self) -> None:
        box = self.query_one("#prompt", Input)
        prompt = box.value.strip()
        if self.busy or not prompt:
            box.focus()
            return
        conversation = self.conversation
        conversation.turns.append(playground.Turn(prompt, [None] * len(conversation.sides)))
        conversation.draft = box.value = ""
        self.save_now()
        sides = list(range(len(conversation.sides)))
        for side in sides:
            await self.pane_of(side).begin(prompt)
        if not self.is_attached:
            return  # closed meanwhile: the turn was saved unanswered; reopened, its prompt is back in the box
        self.start(len(conversation.turns) - 1, sides, new_turn=True)

    async def action_regenerate(self, both: bool) -> None:
        focused = self.focused
        if both or not isinstance(focused, ChatPane):
            sides = list(range(len(self.conversation.sides)))
        else:
            sides = [self.side_at(int(focused.id.rsplit("-", 1)[1]))]
        for side in sides:
            await self.pane_of(side).begin(None)
        self.start(len(self.conversation.turns) - 1, sides, new_turn=False)

    def start(self, turn: int, sides: list[int], new_turn: bool) -> None:
        conversation = self.conversation
        self.busy, self.cancel, self.reveal = True, threading.Event(), ""
        requests = [(conversation.sides[i].deployment, conversation.messages(i, turn), conversation.settings(i).params()) for i in sides]
        self.generate(turn, sides, requests, new_turn)
        self.show_state()

    @work(thread=True, exclusive=True, group="playground", exit_on_error=False)
    def generate(self, turn: int, sides: list[int], requests: list[tuple], new_turn: bool) -> None:
        deployments, messages, params = (list(column) for column in zip(*requests))
        replies = playground.compare(self.workspace, deployments, messages, params,
                                     lambda k, delta: self.post_message(Delta(sides[k], delta)), self.cancel)
        self.post_message(Generated(turn, sides, replies, new_turn))

    @on(Delta)
    async def stream_piece(self, message: Delta) -> None:
        await self.pane_of(message.side).write(message.text)

    @on(Generated)
    async def generated(self, message: Generated) -> None:
        self.busy = False
        turn = self.conversation.turns[message.turn]
        results = list(zip(message.sides, message.replies))
        lost = [reply.error or reply.cancelled for reply in message.replies]
        if message.new_turn and all(lost):  # nothing came of it: the prompt goes back in the box
            self.conversation.turns.pop()
            box = self.query_one("#prompt", Input)
            box.value = self.conversation.draft = box.value or turn.prompt
        for (side, reply), failed in zip(results, lost):
            if message.new_turn or not failed or turn.replies[side] is None:  # a failed regeneration keeps the old answer
                turn.replies[side] = reply
        if message.new_turn and not all(lost):
            for side, reply in results:
                await self.pane_of(side).end(reply)
        else:
            await self.render_panes()
            for side, reply in results:
                if reply.error:
                    self.pane_of(side).note(f"error: {reply.error}")
        for reply in message.replies:
            if reply.error:
                self.notify(f"{reply.deployment}: {reply.error}", severity="error", timeout=8)
        self.save_now()
        self.show_state()

    def action_cancel(self) -> None:
        self.cancel.set()
        self.notify("Cancelling…", timeout=2)

    def action_leave_box(self) -> None:
        self.query_one("#pane-0", ChatPane).focus()

    def action_type(self) -> None:
        self.query_one("#prompt", Input).focus()

    # ------------------------------------------------------------ A/B, blind mode and votes

    def action_vote(self, label: str) -> None:
        choice = "tie" if label == "0" else "AB"[self.side_at(int(label) - 1)]
        self.conversation.vote(len(self.conversation.turns) - 1, choice)
        self.save_now()
        self.show_state()

    async def action_swap(self) -> None:
        self.conversation.swap()
        self.save_now()
        self.load_settings()
        await self.render_panes()

    async def action_blind(self) -> None:
        conversation = self.conversation
        if conversation.blind:
            tally = conversation.tally()
            labels = {conversation.blind_order[p]: str(p + 1) for p in (0, 1)}
            self.reveal = "revealed: " + ", ".join(
                f"{labels[i]} was {'AB'[i]} {side.deployment} ({tally['AB'[i]]})" for i, side in enumerate(conversation.sides)
            ) + f", tie ({tally['tie']})"
            self.notify(self.reveal, title="Blind comparison", timeout=15)
        conversation.set_blind(not conversation.blind)
        self.save_now()
        self.load_settings()
        await self.render_panes()

    def action_why_not_compare(self) -> None:
        self.notify("A/B stays: side B has replies in this conversation; n starts a new one", severity="warning")

    async def action_compare(self) -> None:
        conversation = self.conversation
        if len(conversation.sides) == 2:
            try:
                conversation.remove_side()
            except FtdeckError as exc:
                self.notify(str(exc), severity="warning")
                return
        else:
            first = conversation.sides[0].deployment
            conversation.add_side(next((n for n in self.deployments if n != first), first))
            self.look_up_training(conversation.sides[1].deployment)
        self.save_now()
        self.load_settings()
        await self.render_panes()

    @on(Checkbox.Changed, "#linked")
    def link_changed(self, event: Checkbox.Changed) -> None:
        if event.value == self.conversation.linked:
            return
        self.conversation.set_linked(event.value)
        self.save_now()
        self.load_settings()
        self.notify("Both sides share side A's system message and parameters." if self.conversation.linked
                    else "Unlinked: each side has its own system message and parameters.", timeout=4)

    # ------------------------------------------------------------ training examples, export, new

    def _chosen_side(self) -> int:
        """The side voted better on the last turn, else the focused one, else A."""
        focused, vote = self.focused, self.conversation.turns[-1].vote
        if vote in ("A", "B"):
            return "AB".index(vote)
        return self.side_at(int(focused.id.rsplit("-", 1)[1])) if isinstance(focused, ChatPane) else 0

    def action_save_chat(self) -> None:
        turn, side = len(self.conversation.turns) - 1, self._chosen_side()
        reply = self.conversation.turns[turn].replies[side]
        path = playground.chat_dataset_path()

        def save(answer: str | None) -> None:
            if answer is None:
                return
            try:
                playground.append_chat_example(path, self.conversation, turn, side, None if reply and answer == reply.text else answer)
            except (FtdeckError, OSError) as exc:
                self.notify(str(exc), severity="error")
                return
            self.notify(f"Chat example appended to {_home(path)}", timeout=6)

        blind = self.conversation.blind
        who = f"side {self.conversation.blind_order.index(side) + 1}" if blind else f"{'AB'[side]} ({self.conversation.sides[side].deployment})"
        self.app.push_screen(EditAnswer(reply.text if reply else "", who, _home(path)), save)

    def action_save_preference(self) -> None:
        turn = len(self.conversation.turns) - 1
        path = playground.preference_dataset_path()
        try:
            playground.append_preference_example(path, self.conversation, turn, "AB".index(self.conversation.turns[turn].vote))
        except (FtdeckError, OSError) as exc:
            self.notify(str(exc), severity="error")
            return
        self.notify(f"DPO example appended to {_home(path)}", timeout=6)

    def action_export(self) -> None:
        self.notify(f"Exported to {_home(playground.save_markdown(self.conversation))}", timeout=8)

    async def action_new(self) -> None:
        """A fresh conversation with the same deployments and settings (the old one stays saved)."""
        self.save_now()
        old = self.conversation
        self.conversation = playground.new_conversation([s.deployment for s in old.sides])
        self.conversation.sides, self.conversation.linked = copy.deepcopy(old.sides), old.linked
        self.reveal = ""
        self.save_now()
        self.load_settings()
        await self.render_panes()

    def action_close(self) -> None:
        self.save_now()
        self.dismiss()

    def on_unmount(self) -> None:
        self.cancel.set()
        if self._save_timer is not None:
            self.save_now()
