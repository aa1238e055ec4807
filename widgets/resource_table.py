"""A table of one kind of resource (jobs, files, ...), keyed by id so refreshes keep the cursor.

Built on Textual's public Line API (a `ScrollView` whose `render_line` returns a `Strip` of Rich
`Segment`s), not on DataTable. Thousands of rows come and go at each filter keystroke; DataTable
does per-row bookkeeping in add_row() and sums row heights to place a row, so ftdeck used to
replace ~15 of its internals (`_y_offsets`, `_row_locations`, `textual._two_way_dict`...) to keep
a keystroke under 100 ms, and every Textual upgrade risked a rewrite. The alternatives, weighed:
- textual-fastdatatable (0.19.5, maintained, allows textual>=7.3): it pulls in pyarrow (tens of
  MB, slower start) and imports `textual._segment_tools` and `textual._context` itself, so the
  internals dependence would only move into someone else's package.
- a DataTable subclass on its public methods (clear() + add_rows()): the slow path, 0.5 s a key
  at 5,000 rows (bench/big_lists.py measures it as the reference).
A pane only needs one-line rows of plain text, a row cursor, a header and a filter: drawn here,
a row's place on screen is its index, and only the visible lines are drawn. They are drawn as
DataTable draws them (colours, padding, the cursor's row across the width), so screenshots are
alike; not drawn: DataTable's mouse-hover highlight. Columns fit the widest row held, filtered
out or not, and narrow when it goes (DataTable's never narrow).

The reading side keeps DataTable's names (`rows`, `row_count`, `get_row`, `get_row_at`,
`cursor_row`, `move_cursor`) so tests and panes read as they did; the messages are this widget's
own (`ResourceTable.RowHighlighted`, `ResourceTable.RowSelected`). Cells are outside text: shown
as they are, on one line, never read as markup (cell_text).
"""

from __future__ import annotations

from typing import NamedTuple, Sequence

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widgets.data_table import RowKey  # a string key with .value, as DataTable's rows are read

from services.outside_text import inert_line
from widgets.markup import markup

PADDING = 1  # blank cells either side of each column, as DataTable's


class Line(NamedTuple):
    """One resource's row, built once and reused while its values stay."""

    cells: tuple[str, ...]  # as shown: plain text on one line (Text objects cost more than the rest)
    text: str  # the cells as one lower-case string, for the filter
    widths: tuple[int, ...]  # each cell's width on screen


def cell_text(value: object) -> str:
    """A cell as DataTable would show the value, on one line, controls removed; drawn as plain
    text, never read as markup."""
    return inert_line(f"{value:.2f}" if isinstance(value, float) else value)


def literal_cell(value: object) -> Text:
    """A cell as a Rich Text, as `get_row` hands it out."""
    return Text(cell_text(value), end="")


def cell_width(text: str) -> int:
    """Cells on screen; plain ASCII (controls are gone) is its length."""
    return len(text) if text.isascii() else cell_len(text)


def padded(texts: Sequence[str], widths: Sequence[int]) -> list[str]:
    """Each cell padded (or cut) to its column's width."""
    pad = " " * PADDING
    return [pad + set_cell_size(text, width) + pad for text, width in zip(texts, widths)]


class ResourceTable(ScrollView, can_focus=True):
    # Rows are what a pane lists: Home and End go to the first and last row (as in k9s and lazygit).
    BINDINGS = [
        Binding("enter", "select_row", "Select", show=False),
        Binding("up", "cursor_up", "Cursor up", show=False),
        Binding("down", "cursor_down", "Cursor down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("home,ctrl+home", "first_row", "First row", show=False),
        Binding("end,ctrl+end", "last_row", "Last row", show=False),
        Binding("left", "scroll_left", "Scroll left", show=False),
        Binding("right", "scroll_right", "Scroll right", show=False),
    ]
    COMPONENT_CLASSES = {"resource-table--header", "resource-table--cursor"}
    # DataTable's look (its colours for the header and the focused or blurred cursor).
    DEFAULT_CSS = """
    ResourceTable {
        background: $surface; color: $foreground;
        border: round $panel-lighten-2; height: 1fr;
        scrollbar-size-horizontal: 0;  /* a row shown beats a scrollbar: ←/→ still scroll */
        & > .resource-table--header { text-style: bold; background: $panel; color: $foreground; }
        &:ansi > .resource-table--header { background: ansi_bright_blue; color: ansi_default; }
        & > .resource-table--cursor {
            background: $block-cursor-blurred-background; color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
        &:focus {
            border: round $accent; background-tint: $foreground 5%;
            & > .resource-table--header { background-tint: $foreground 5%; }
            & > .resource-table--cursor {
                background: $block-cursor-background; color: $block-cursor-foreground;
                text-style: $block-cursor-text-style;
            }
        }
    }
    """

    class RowMessage(Message):
        def __init__(self, table: ResourceTable, row_id: str) -> None:
            super().__init__()
            self.table = table
            self.row_id = row_id

        @property
        def control(self) -> ResourceTable:
            return self.table

    class RowHighlighted(RowMessage):
        """Another row is under the cursor (moved, or the rows changed under it)."""

    class RowSelected(RowMessage):
        """Enter (or a click) on the row under the cursor."""

    def __init__(self, title: str, columns: Sequence[str], **kwargs) -> None:
        super().__init__(**kwargs)
        self.border_title = title
        self.title = title
        self.column_names = tuple(columns)
        self.column_widths = tuple(map(cell_width, self.column_names))
        self.rows_by_id: dict[str, tuple] = {}
        self.filter_text = ""
        self._lines: dict[str, Line] = {}
        self._shown: list[str] = []  # the ids on screen, in order: the rows matching the filter
        self._cursor = 0
        self._announced: str | None = None  # the row id last said to be highlighted

    # ------------------------------------------------------------ reading (DataTable's names)

    @property
    def selected_id(self) -> str | None:
        return self._shown[self._cursor] if self._shown else None

    @property
    def cursor_row(self) -> int:
        return self._cursor

    @property
    def row_count(self) -> int:
        return len(self._shown)

    @property
    def rows(self) -> list[RowKey]:
        """The shown rows' keys, in order (`key.value` is the resource id)."""
        return [RowKey(key) for key in self._shown]

    def get_row(self, key: RowKey | str) -> list[Text]:
        return [Text(cell, end="") for cell in self._lines[key].cells]

    def get_row_at(self, index: int) -> list[Text]:
        return self.get_row(self._shown[index])

    # ------------------------------------------------------------ rows in

    def sync(self, rows: Sequence[tuple[str, tuple]]) -> None:
        """Show these rows (id, values), in this order. Unchanged rows cost nothing: a refresh of
        thousands of rows must not stall the screen."""
        new = dict(rows)
        old, self.rows_by_id = self.rows_by_id, new
        if new == old and list(new) == list(old):
            return
        for key in old.keys() - new.keys():
            del self._lines[key]
        changed = [key for key, values in new.items() if old.get(key) != values]
        for key in changed:
            self._lines[key] = self._line(key, new[key])
        if changed or len(new) < len(old):
            self._measure()
        self._show()

    def set_filter(self, text: str) -> None:
        self.filter_text = text.lower()
        self._show()

    def _line(self, key: str, values: tuple) -> Line:
        # Cells come from the service: each is shown as it is, on one line, never read as markup.
        cells = tuple(map(cell_text, values))
        text = " ".join([key, *cells]).lower()  # the whole id too, shown or not
        return Line(cells, text, tuple(map(cell_width, cells)))

    def _measure(self) -> None:
        """Each column as wide as its widest cell among all rows, filtered out or not (so columns
        stay put while typing a filter), and at least as wide as its name."""
        widths = [cell_width(name) for name in self.column_names]
        for index, column in enumerate(zip(*(line.widths for line in self._lines.values()))):
            widths[index] = max(widths[index], *column)
        self.column_widths = tuple(widths)

    def _show(self) -> None:
        """The rows matching the filter, the cursor on the same id at the same height on screen
        (else on the first row)."""
        selected, old_index = self.selected_id, self._cursor
        wanted = self.filter_text
        self._shown = [key for key in self.rows_by_id if wanted in self._lines[key].text] if wanted else list(self.rows_by_id)
        try:
            index = self._shown.index(selected) if selected is not None else None
        except ValueError:
            index = None
        self._cursor = index or 0
        width = sum(self.column_widths) + 2 * PADDING * len(self.column_widths)
        self.virtual_size = Size(width, len(self._shown) + 1)  # the header, then a line a row
        scroll_y = 0 if index is None else self.scroll_offset.y + index - old_index
        self.scroll_to(y=max(0, min(scroll_y, self.max_scroll_y)), animate=False, immediate=True)
        self._cursor_into_view()
        self.refresh()
        self._announce()
        total = len(self.rows_by_id)
        self.border_subtitle = markup("$shown/$total match '$filter'", shown=len(self._shown), total=total, filter=wanted) \
            if wanted else str(total)  # what was typed is shown as typed

    # ------------------------------------------------------------ the cursor

    def move_cursor(self, *, row: int) -> None:
        self._cursor = max(0, min(row, len(self._shown) - 1))
        self._cursor_into_view()
        self.refresh()
        self._announce()

    def select(self, row_id: str) -> bool:
        """Put the cursor on this row; False when it is not shown (unknown, or filtered out)."""
        if row_id not in self._shown:
            return False
        self.move_cursor(row=self._shown.index(row_id))
        return True

    def _announce(self) -> None:
        selected = self.selected_id
        if selected is not None and selected != self._announced:
            self.post_message(self.RowHighlighted(self, selected))
        self._announced = selected

    def _visible_rows(self) -> int:
        return max(1, self.scrollable_content_region.height - 1)  # below the header

    def _cursor_into_view(self) -> None:
        top, rows = self.scroll_offset.y, self._visible_rows()
        if self._cursor < top:
            self.scroll_to(y=self._cursor, animate=False, immediate=True)
        elif self._cursor >= top + rows:
            self.scroll_to(y=self._cursor - rows + 1, animate=False, immediate=True)

    def action_cursor_up(self) -> None:
        self.move_cursor(row=self._cursor - 1)

    def action_cursor_down(self) -> None:
        self.move_cursor(row=self._cursor + 1)

    def action_page_up(self) -> None:
        self.move_cursor(row=self._cursor - self._visible_rows())

    def action_page_down(self) -> None:
        self.move_cursor(row=self._cursor + self._visible_rows())

    def action_first_row(self) -> None:
        self.move_cursor(row=0)

    def action_last_row(self) -> None:
        self.move_cursor(row=len(self._shown) - 1)

    def action_select_row(self) -> None:
        if self.selected_id is not None:
            self.post_message(self.RowSelected(self, self.selected_id))

    def on_click(self, event: events.Click) -> None:
        """As in DataTable: a click moves the cursor to the row; a click on the cursor's row selects it."""
        offset = event.get_content_offset(self)
        if offset is None or offset.y < 1:
            return  # the header or the border
        index = self.scroll_offset.y + offset.y - 1
        if index < len(self._shown):
            if index == self._cursor:
                self.action_select_row()
            else:
                self.move_cursor(row=index)

    # ------------------------------------------------------------ drawing

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        base = self.rich_style
        if y == 0:
            index = -1
            cells, style = padded(self.column_names, self.column_widths), base + self.get_component_rich_style("resource-table--header")
        else:
            index = self.scroll_offset.y + y - 1
            if index >= len(self._shown):
                return Strip.blank(width, base)
            line = self._lines[self._shown[index]]
            cells = padded(line.cells, self.column_widths)
            style = base + self.get_component_rich_style("resource-table--cursor") if index == self._cursor else base
        scroll_x = self.scroll_offset.x
        # As DataTable draws it, so that screenshots of either are alike: a segment a cell (its row
        # and column in its metadata keep it apart), the header and the cursor's row the whole width.
        segments = [Segment(cell, style + Style.from_meta({"row": index, "column": column})) for column, cell in enumerate(cells)]
        rest = max(0, width - self.virtual_size.width)
        segments.append(Segment(" " * rest, style + Style.from_meta({"row": index, "column": 0, "out_of_bounds": True})))
        return Strip(segments).crop(scroll_x, scroll_x + width).adjust_cell_length(width, style)
