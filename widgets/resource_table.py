"""A table of one kind of resource (jobs, files, ...), keyed by id so refreshes keep the cursor."""

from __future__ import annotations

from typing import Sequence

from textual.widgets import DataTable


class ResourceTable(DataTable):
    DEFAULT_CSS = """
    ResourceTable { border: round $panel-lighten-2; height: 1fr; scrollbar-size-horizontal: 1; }
    ResourceTable:focus { border: round $accent; }
    """

    def __init__(self, title: str, columns: Sequence[str], **kwargs) -> None:
        super().__init__(cursor_type="row", **kwargs)
        self.border_title = title
        self.title = title
        self.column_names = tuple(columns)
        self.rows_by_id: dict[str, tuple] = {}
        self._text: dict[str, str] = {}  # each row's cells as one lower-case string, for the filter
        self.filter_text = ""

    def on_mount(self) -> None:
        self.add_columns(*self.column_names)

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
        changed = {key for key, values in new.items() if old.get(key) != values}
        if not changed and list(new) == list(old):
            return
        for key in changed:
            self._text[key] = " ".join(str(v) for v in new[key]).lower()
        self._show(changed)

    def set_filter(self, text: str) -> None:
        self.filter_text = text.lower()
        self._show(set())

    def _show(self, changed: set[str]) -> None:
        wanted = [key for key in self.rows_by_id if not self.filter_text or self.filter_text in self._text[key]]
        if wanted == [key.value for key in self.rows]:  # same rows: update the changed cells in place
            for key in changed.intersection(wanted):
                for column, value in zip(self.columns, self.rows_by_id[key]):
                    self.update_cell(key, column, value)
        else:  # rows came or went: rebuild, keeping the cursor on the same id
            selected = self.selected_id
            self.clear()
            for key in wanted:
                self.add_row(*self.rows_by_id[key], key=key)
            if selected in wanted:
                self.move_cursor(row=wanted.index(selected))
        total = len(self.rows_by_id)
        self.border_subtitle = f"{len(wanted)}/{total} match '{self.filter_text}'" if self.filter_text else str(total)
