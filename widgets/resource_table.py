"""A table of one kind of resource (jobs, files, ...), keyed by id so refreshes keep the cursor.

Thousands of rows come and go at each filter keystroke, so rows are set in DataTable's own
structures in one go rather than by clear() and add_row(), and, every row being one line high,
where a row is on screen is its index rather than a sum over the rows above it. That leans on
DataTable's internals: Textual is pinned, and tests/test_resource_table.py draws the same rows
in a plain DataTable to check that both measure and draw them alike.
"""

from __future__ import annotations

from typing import NamedTuple, Sequence

from rich.text import Text
from textual._two_way_dict import TwoWayDict
from textual.binding import Binding
from textual.coordinate import Coordinate
from textual.geometry import Region
from textual.render import measure
from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey, Row, RowKey

from widgets.markup import literal_line, markup


class Line(NamedTuple):
    """One resource's row as DataTable keeps it, built once and reused while its values stay."""

    key: RowKey
    row: Row
    cells: dict[ColumnKey, object]
    text: str  # the cells as one lower-case string, for the filter
    widths: tuple[int, ...]  # each cell's width on screen


def literal_cell(value: object) -> Text:
    """A cell as DataTable would show the value, but never read as markup."""
    return literal_line(f"{value:.2f}" if isinstance(value, float) else value)


class OneLinePerRow:
    """DataTable's `_y_offsets` (for each line: the row's key, the line within the row), looked
    up rather than listed again for thousands of rows at each change: every row is one line."""

    def __init__(self, table: DataTable) -> None:
        self.table = table

    def __len__(self) -> int:
        return self.table.row_count

    def __getitem__(self, y: int) -> tuple[RowKey, int]:
        if not 0 <= y < self.table.row_count:
            raise IndexError(y)
        return self.table._row_locations.get_key(y), 0

    def clear(self) -> None:
        """DataTable.clear() empties the list; here there is nothing to empty."""


class ResourceTable(DataTable):
    # Rows are what a pane lists: Home and End go to the first and last row (as in k9s and
    # lazygit), not to the first and last column as DataTable's do.
    BINDINGS = [Binding("home", "scroll_top", "First row", show=False), Binding("end", "scroll_bottom", "Last row", show=False)]
    DEFAULT_CSS = """
    ResourceTable { border: round $panel-lighten-2; height: 1fr; scrollbar-size-horizontal: 0; }  /* a row shown beats a scrollbar: ←/→ still scroll */
    ResourceTable:focus { border: round $accent; }
    """

    def __init__(self, title: str, columns: Sequence[str], **kwargs) -> None:
        super().__init__(cursor_type="row", **kwargs)
        self.border_title = title
        self.title = title
        self.column_names = tuple(columns)
        self.rows_by_id: dict[str, tuple] = {}
        self.filter_text = ""
        self._lines: dict[str, Line] = {}
        self._unmeasured: set[str] = set()  # ids whose cells have not widened the columns yet

    def on_mount(self) -> None:
        self.add_columns(*self.column_names)

    @property
    def _y_offsets(self) -> OneLinePerRow:
        return OneLinePerRow(self)

    def _get_row_region(self, row_index: int) -> Region:
        """As DataTable's, but a row's y is its index (past the header), not a sum over the rows above."""
        if not self.is_valid_row_index(row_index):
            return Region(0, 0, 0, 0)
        width = sum(column.get_render_width(self) for column in self.columns.values()) + self._row_label_column_width
        return Region(0, row_index + (self.header_height if self.show_header else 0), max(self.size.width, width), 1)

    @property
    def selected_id(self) -> str | None:
        if self.row_count == 0:
            return None
        return self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value

    def sync(self, rows: Sequence[tuple[str, tuple]]) -> None:
        """Show these rows (id, values), in this order. Unchanged rows cost nothing: a refresh of
        thousands of rows must not stall the screen."""
        new = dict(rows)
        old, self.rows_by_id = self.rows_by_id, new
        if new == old and list(new) == list(old):
            return
        changed = {key for key, values in new.items() if old.get(key) != values}
        for key in old.keys() - new.keys():
            self._lines.pop(key, None)
        for key in changed:
            self._lines.pop(key, None)  # built again when shown
        self._unmeasured = (self._unmeasured & new.keys()) | changed
        self._show(changed)

    def set_filter(self, text: str) -> None:
        self.filter_text = text.lower()
        self._show(set())

    def _line(self, key: str) -> Line:
        line = self._lines.get(key)
        if line is None:
            values = self.rows_by_id[key]
            row_key = RowKey(key)
            # Cells come from the service: each is shown as it is, on one line, never read as markup.
            cells = dict(zip((column.key for column in self.ordered_columns), map(literal_cell, values)))
            text = " ".join([key, *(cell.plain for cell in cells.values())]).lower()  # the whole id too, shown or not
            line = self._lines[key] = Line(row_key, Row(row_key, 1), cells, text, tuple(map(self._width, cells.values())))
        return line

    def _width(self, cell: Text) -> int:
        """What DataTable measures a cell at; plain ASCII is its length."""
        if cell.plain.isascii():
            return len(cell.plain)
        return measure(self.app.console, cell, 1)

    def _show(self, changed: set[str]) -> None:
        lines = [self._line(key) for key in self.rows_by_id]
        wanted = [line for line in lines if self.filter_text in line.text] if self.filter_text else lines
        if [line.key for line in wanted] != list(self.rows):
            self._replace_rows(wanted)
        else:  # same rows: only the changed ones have new cells
            fresh = [self._lines[key] for key in changed if self._lines[key].key in self.rows]
            if fresh:
                self._data.update((line.key, line.cells) for line in fresh)
                self._forget_rendering()
                self._measure()
        total = len(self.rows_by_id)
        self.border_subtitle = markup("$shown/$total match '$filter'", shown=len(wanted), total=total, filter=self.filter_text) \
            if self.filter_text else str(total)  # what was typed is shown as typed

    def _replace_rows(self, wanted: list[Line]) -> None:
        """What DataTable.clear() and one add_row() per row would leave, built in one go: with
        thousands of rows, add_row's per-row bookkeeping (and measuring rows already measured)
        took most of a second. The cursor stays on the same id, at the same height on screen."""
        selected, old_index = self.selected_id, self.cursor_row
        self._data = {line.key: line.cells for line in wanted}
        self.rows = {line.key: line.row for line in wanted}
        self._row_locations = TwoWayDict({line.key: index for index, line in enumerate(wanted)})
        self._forget_rendering()
        self._measure()  # the new height first, so the cursor can be scrolled to
        index = next((i for i, line in enumerate(wanted) if line.key.value == selected), None)
        scroll_y = 0 if index is None else self.scroll_y + index - old_index
        self.scroll_target_y = self.scroll_y = max(0, min(scroll_y, self.max_scroll_y))
        moved_to = Coordinate(index or 0, self.cursor_column)
        if moved_to != self.cursor_coordinate:
            self.cursor_coordinate = moved_to  # highlights the row and scrolls it into view
            return
        if self.selected_id != selected:
            self._highlight_cursor()  # another row under an unmoved cursor: say so, as a move would
        self._scroll_cursor_into_view()

    def _forget_rendering(self) -> None:
        self._update_count += 1
        self._clear_caches()
        self.refresh()

    def _measure(self) -> None:
        """Widen the columns for the shown rows not measured yet (columns never narrow, as in
        DataTable) and size the table to its rows, now rather than when idle."""
        lines = [self._lines[key] for key in self._unmeasured if key in self._lines and self._lines[key].key in self.rows]
        self._unmeasured.difference_update(line.key.value for line in lines)
        for column, widths in zip(self.ordered_columns, zip(*(line.widths for line in lines))):
            column.content_width = max(column.content_width, *widths)
        new_rows = self._new_rows.copy()  # rows added the DataTable way, if any: it measures those
        self._new_rows.clear()
        self._require_update_dimensions = False
        self._update_dimensions(new_rows)
