"""The deck's main screen: the panes, the detail, the console, and the keys that act on them
(posting's MainScreen is the model). Other screens (the playground, the forms) are pushed over it
and have their own keys; only help and quit are bound everywhere.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import ContentSwitcher, Footer, Static, Tab, Tabs
from textual.widgets._footer import FooterKey

from tui.panes import PANES
from tui.registry import BY_ID, COMMANDS, bindings
from widgets.console import Console
from widgets.resource_table import ResourceTable

WIDE = 100  # columns from which panes and detail sit side by side
TALL = 34  # rows from which the four panes stack with rows to show; below, they are tabs
PALETTE_KEY = 14  # what the command palette's key takes on the right of the footer


DECK_CSS = """
    #status { height: 1; background: $accent 35%; padding: 0 1; }
    #left { width: 1fr; }
    #detail { width: 1fr; }
    #filter { dock: bottom; display: none; }
    #filter.-on { display: block; }
    #pane-tabs { display: none; }
    .-narrow #pane-tabs { display: block; }
    .-narrow #left ResourceTable { display: none; }
    .-narrow #left ResourceTable.-current { display: block; }
    .-narrow Console { height: 9; }  /* several lines of reports, and the command line */
    .-short #pane-tabs { display: block; }  /* too short to stack four panes: one at a time */
    .-short #left ResourceTable { display: none; }
    .-short #left ResourceTable.-current { display: block; }
    .-short Console { height: 9; }
    /* The API calls open beside the transcript when wide, under it when narrow: reports stay in sight. */
    .-wide #console-body { layout: horizontal; }
    .-wide #api-log { width: 1fr; height: 1fr; border-left: vkey $panel-lighten-2; }
    .-wide #api-log.-collapsed { width: auto; }
    .-calls Console { height: 40%; }  /* the panes keep a row or two each */
    .-calls.-short Console { height: 13; }
    .-narrow.-calls.-tall Console { height: 1fr; }
    .-assistant Console { height: 50%; }  /* a question was asked: room for the answer (Esc gives it back) */
    .-narrow #detail { display: none; }
    .-narrow.-detail #detail { display: block; width: 100%; }
    .-narrow.-detail #left { display: none; }
    .-narrow.-detail Console { display: none; }  /* 24 rows: the chart needs them more */
    """


class DeckFooter(Footer):
    """The footer shows what applies now, most wanted first, as many as fit the width; the rest
    are in `?` and the palette. A write in read-only mode is not offered (its key says why)."""

    def compose(self) -> ComposeResult:
        if not self._bindings_ready:
            return
        app = self.app
        offered = []
        for _node, binding, enabled, _tooltip in self.screen.active_bindings.values():
            command = BY_ID.get(binding.id or "")
            if binding.show and enabled and command is not None and command.footer is not None and app.offers(command):
                offered.append((command, binding))
        room = app.size.width - PALETTE_KEY
        for _command, binding in sorted(offered, key=lambda pair: pair[0].footer):
            width = len(app.get_key_display(binding)) + len(binding.description) + 3
            if width <= room:
                room -= width
                yield FooterKey(binding.key, app.get_key_display(binding), binding.description,
                                binding.action).data_bind(compact=Footer.compact)
        palette = self.screen.active_bindings.get(app.COMMAND_PALETTE_BINDING)
        if palette and self.show_command_palette:
            _node, binding, _enabled, _tooltip = palette
            yield FooterKey(binding.key, app.get_key_display(binding), binding.description, binding.action,
                            classes="-command-palette")

    def on_resize(self) -> None:
        if self._bindings_ready:
            self.call_after_refresh(self.recompose)


class MainScreen(Screen):
    """The deck: its layout is in DECK_CSS (the App's stylesheet: the classes -narrow, -detail
    and -calls are on this screen itself)."""

    BINDINGS = bindings(everywhere=False)

    def compose(self) -> ComposeResult:
        app = self.app
        yield Static("connecting…", id="status")
        if app.size.width < WIDE or app.size.height < TALL:  # only they show them (others get them after the first frame)
            yield self.pane_tabs()
        with Horizontal():
            with Vertical(id="left"):
                for name, pane in PANES.items():
                    yield ResourceTable(f"{pane.key} {pane.title}", pane.columns, id=name, classes="-current" if name == "jobs" else "")
            yield ContentSwitcher(id="detail")  # the current pane's selected row: see FtdeckApp.add_details
        yield Console([f"/{c.slash}" for c in COMMANDS if c.slash], clock=lambda: app.now(), id="console")
        yield DeckFooter()

    def on_mount(self) -> None:
        self.query_one("#jobs", ResourceTable).focus()
        self.call_after_refresh(self.app.connect)  # after the first frame: see FtdeckApp.add_details

    def pane_tabs(self) -> Tabs:
        """The panes as tabs, for narrow screens, where one pane shows at a time."""
        tabs = [Tab(f"{p.key} {p.title}", id=f"tab-{name}") for name, p in PANES.items()]
        return Tabs(*tabs, active=f"tab-{self.app.current_pane}", id="pane-tabs")

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if action == "run":
            command = BY_ID[parameters[0]]
            # A row's write key on a row it does not apply to (x on a running job) says why, rather
            # than nothing (Actions._chosen); the footer and the palette still offer only what applies.
            row_write = command.writes and command.applies is not None and self.app.current_pane in (command.panes or ())
            return self.app.can_run(command) or row_write
        return True

    def action_run(self, command_id: str) -> None:
        self.app.run_command(BY_ID[command_id])
