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
        self.filter_text = ""

    def on_mount(self) -> None:
        self.add_columns(*self.column_names)

    @property
    def selected_id(self) -> str | None:
        if self.row_count == 0:
            return None
        return self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value

    def sync(self, rows: Sequence[tuple[str, tuple]]) -> None:
        """Show these rows (id, values), in this order."""
        self.rows_by_id = dict(rows)
        self._show()

    def set_filter(self, text: str) -> None:
        self.filter_text = text.lower()
        self._show()

    def _show(self) -> None:
        wanted = [(k, v) for k, v in self.rows_by_id.items() if self._matches(v)]
        shown = [key.value for key in self.rows]
        if [k for k, _ in wanted] == shown:  # same rows: update cells in place
            for key, values in wanted:
                for column, value in zip(self.columns, values):
                    self.update_cell(key, column, value)
        else:  # rows came or went: rebuild, keeping the cursor on the same id
            selected = self.selected_id
            self.clear()
            for key, values in wanted:
                self.add_row(*values, key=key)
            ids = [k for k, _ in wanted]
            if selected in ids:
                self.move_cursor(row=ids.index(selected))
        self.border_subtitle = f"{len(wanted)}/{len(self.rows_by_id)} match '{self.filter_text}'" if self.filter_text else str(len(wanted))

    def _matches(self, values: tuple) -> bool:
        return not self.filter_text or self.filter_text in " ".join(str(v) for v in values).lower()
