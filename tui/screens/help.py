"""Every key that works on the screen below, grouped by where it comes from, and the console's
commands: read from the live bindings, so a remapped key (App.set_keymap) shows as remapped."""

from __future__ import annotations

from textual.app import App
from textual.binding import Binding
from textual.content import Content
from textual.dom import DOMNode
from textual.keys import format_key
from textual.screen import Screen

from tui.screens.text_box import TextBox
from widgets.markup import lines, literal, markup

KEY_WIDTH = 20  # at most; narrower when every key is short
SSH_SAFE = (
    "ftdeck's keys are letters, digits, punctuation and ctrl+letter: every terminal sends them over "
    "SSH and through tmux or screen unchanged. Where one is swallowed (ctrl+s and ctrl+q are flow "
    "control on some terminals: the create-job form takes F2 too; tmux and mosh keep a few for themselves), the console (:) does the "
    "same things with / commands, and ctrl+p opens the command palette."
)


def key_name(key: str) -> str:
    """How to type a key: 'ctrl+r', '/', 'esc' (words for modifiers: '^r' puzzles people)."""
    *modifiers, key = key.split("+")
    return "+".join([*modifiers, format_key(key)])


def origin(node: DOMNode, focused: DOMNode | None) -> str:
    if isinstance(node, App):
        return "Everywhere"
    if isinstance(node, Screen):
        return "On this screen"
    # The title as shown (border_title gives it back as markup, which does not read back as it was).
    title = getattr(node, "_border_title", None)
    name = title.plain if title else type(node).__name__
    return f"{name} (focused)" if node is focused else f"Around {name}"


def listing(below: Screen, commands: dict[str, str]) -> Content:
    groups: dict[str, dict[str, tuple[list[str], Binding]]] = {}
    for node, binding, _enabled, _tooltip in below.active_bindings.values():
        if binding.system:
            continue
        actions = groups.setdefault(origin(node, below.focused), {})
        keys, _ = actions.setdefault(binding.description or binding.action, ([], binding))  # ctrl+q, q: Quit
        keys.append(key_name(binding.key))  # several keys for one action share a line
    # ftdeck's own keys first; the focused table's cursor keys are the ones people know already.
    order = sorted(groups, key=lambda title: (title != "Everywhere", title != "On this screen"))
    rows = {title: [(", ".join(keys), binding.description or binding.action) for keys, binding in groups[title].values()]
            for title in order}
    rows["Console (: then a command; Tab completes)"] = list(commands.items())
    width = min(KEY_WIDTH, max((len(keys) for group in rows.values() for keys, _ in group), default=0))
    shown = []
    for title, group in rows.items():
        shown.append(markup("[b]$title[/b]", title=title))
        shown += [markup("  [b $accent]$keys[/] $text", keys=keys.ljust(width), text=text) for keys, text in group]
        shown.append(literal(""))
    shown += [markup("[b]Over SSH[/b]"), literal(SSH_SAFE)]
    return lines(*shown)


class HelpScreen(TextBox):
    DEFAULT_CSS = "HelpScreen > VerticalScroll { max-width: 90; }"
    BINDINGS = [Binding("question_mark", "close", "Close", id="help.close")]
    box_title = "Keys"
    text_id = "help-text"

    def __init__(self, commands: dict[str, str]) -> None:
        """`commands`: the console's / commands, as typed (/deploy [NAME MODEL]) to what they do."""
        super().__init__()
        self.commands = commands

    def text(self) -> Content:
        stack = self.app.screen_stack
        below = stack[stack.index(self) - 1]  # the screen whose keys are wanted
        return listing(below, self.commands)
