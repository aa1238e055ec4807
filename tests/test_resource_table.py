"""ResourceTable alone in a tiny host app: rows kept by id, the cursor staying on its id through
refreshes and filters, the filter's count, the keys and clicks, and cells measured and drawn as a
plain DataTable draws the same rows (its look is kept, on Textual's public Line API)."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.content import Content
from textual.widgets import DataTable

from widgets.resource_table import ResourceTable, literal_cell

COLUMNS = ("filename", "status", "bytes", "id")


class Host(App):
    CSS = "DataTable { width: 70; height: 1fr; }"

    def __init__(self) -> None:
        super().__init__()
        self.highlighted: list[str] = []
        self.selected: list[str] = []

    def compose(self) -> ComposeResult:
        yield ResourceTable("3 Files", COLUMNS, id="files")
        yield DataTable(id="plain", cursor_type="row")

    def on_mount(self) -> None:
        self.query_one("#plain", DataTable).add_columns(*COLUMNS)

    def on_resource_table_row_highlighted(self, event: ResourceTable.RowHighlighted) -> None:
        self.highlighted.append(event.row_id)

    def on_resource_table_row_selected(self, event: ResourceTable.RowSelected) -> None:
        self.selected.append(event.row_id)


def files(n: int, status: str = "processed") -> list[tuple[str, tuple]]:
    return [(f"file-{i:04d}", (f"dataset-{i:04d}.jsonl", status, f"{i * 1000:,}", f"file-{i:04d}")) for i in range(n)]


def shown(table: ResourceTable) -> list[str]:
    return [key.value for key in table.rows]


async def test_the_cursor_stays_on_its_row_as_rows_come_and_go():
    app = Host()
    async with app.run_test(size=(80, 30)) as pilot:
        table = app.query_one(ResourceTable)
        table.sync(files(100))
        await pilot.pause()
        assert shown(table) == [f"file-{i:04d}" for i in range(100)] and table.border_subtitle == "100"
        assert app.highlighted == ["file-0000"]
        table.move_cursor(row=50)
        await pilot.pause()
        line_on_screen = table.cursor_row - table.scroll_y
        assert table.selected_id == "file-0050" and table.scroll_y > 0

        app.highlighted.clear()
        table.sync([("file-new", ("new.jsonl", "pending", "1", "file-new")), *files(100)])
        await pilot.pause()
        assert table.selected_id == "file-0050" and table.cursor_row == 51
        assert table.cursor_row - table.scroll_y == line_on_screen  # the rows moved, not the cursor
        assert set(app.highlighted) <= {"file-0050"}  # no other row highlighted on the way
        assert table.border_subtitle == "101"

        app.highlighted.clear()
        table.sync([row for row in files(100) if row[0] != "file-0050"])
        await pilot.pause()
        assert table.selected_id == "file-0000" and app.highlighted == ["file-0000"]

        table.sync([])
        await pilot.pause()
        assert table.row_count == 0 and table.selected_id is None and table.border_subtitle == "0"


async def test_filter_shows_the_matching_rows_and_clearing_brings_all_back():
    app = Host()
    async with app.run_test(size=(80, 30)) as pilot:
        table = app.query_one(ResourceTable)
        table.sync(files(300))
        table.move_cursor(row=42)
        await pilot.pause()

        table.set_filter("Dataset-004")  # any case
        await pilot.pause()
        assert shown(table) == [f"file-{i:04d}" for i in range(40, 50)]
        assert table.border_subtitle == "10/300 match 'dataset-004'"
        assert table.selected_id == "file-0042" and table.cursor_row == 2

        table.sync([*files(300), ("file-late", ("dataset-0049-late.jsonl", "pending", "5", "file-late"))])  # a refresh meanwhile
        await pilot.pause()
        assert shown(table)[-1] == "file-late" and table.border_subtitle == "11/301 match 'dataset-004'"

        table.set_filter("")
        await pilot.pause()
        assert table.row_count == 301 and table.border_subtitle == "301"
        assert table.selected_id == "file-0042" and table.cursor_row == 42

        app.highlighted.clear()
        table.set_filter("dataset-001")  # the selected row is not among them: the first match is selected
        await pilot.pause()
        assert table.selected_id == "file-0010" and app.highlighted[-1] == "file-0010"

        table.set_filter("nothing like it")
        await pilot.pause()
        assert table.row_count == 0 and table.border_subtitle == "0/301 match 'nothing like it'"


async def test_changed_rows_are_redrawn_in_place_and_widen_their_column():
    app = Host()
    async with app.run_test(size=(80, 30)) as pilot:
        table = app.query_one(ResourceTable)
        table.sync(files(3, "pending"))
        table.move_cursor(row=1)
        await pilot.pause()
        assert table.column_widths[1] == len("pending")

        rows = files(3, "pending")
        rows[1] = ("file-0001", ("dataset-0001.jsonl", "processed at last", "1,000", "file-0001"))
        table.sync(rows)
        await pilot.pause()
        assert [cell.plain for cell in table.get_row("file-0001")] == ["dataset-0001.jsonl", "processed at last", "1,000", "file-0001"]
        assert table.column_widths[1] == len("processed at last")
        assert shown(table) == ["file-0000", "file-0001", "file-0002"] and table.selected_id == "file-0001"
        assert "processed at last" in table.render_line(2).text  # header, then rows 0 and 1


async def test_cells_are_shown_as_they_are_and_measured_and_drawn_as_datatable_does():
    """Cells come from the service: markup in them is text, never styles or actions."""
    tricky = [
        ("a", ("[b]bold[/b] name", "processed", "1", "a")),
        ("b", ("データ.jsonl", ":smile: ok", "22,000", "b")),
        ("c", ("", "error", "3", "c")),
        ("d", ("two\nlines.jsonl", "processed", "4", "d")),
        ("e", ("notes [draft] x[/]y.jsonl", "[@click=app.quit]", "5", "e\x1b]0;title\x07")),
    ]
    app = Host()
    async with app.run_test(size=(80, 30)) as pilot:
        table, plain = app.query_one(ResourceTable), app.query_one("#plain", DataTable)
        table.sync(tricky)
        plain.add_rows([literal_cell(v) for v in values] for _, values in tricky)
        await pilot.pause()
        drawn = [table.render_line(y).text for y in range(6)]
        assert "[b]bold[/b] name" in drawn[1] and ":smile: ok" in drawn[2] and "two lines.jsonl" in drawn[4]
        assert "notes [draft] x[/]y.jsonl" in drawn[5] and "[@click=app.quit]" in drawn[5] and "e]0;title" in drawn[5]
        assert not any(segment.style and "@click" in segment.style.meta for y in range(6) for segment in table.render_line(y))
        assert list(table.column_widths) == [c.content_width for c in plain.columns.values()]
        assert table.virtual_size == plain.virtual_size
        assert [table.render_line(y).text.rstrip() for y in range(6)] == [plain.render_line(y).text.rstrip() for y in range(6)]

        more = files(300)
        table.sync(tricky + more)
        plain.add_rows(values for _, values in more)
        await pilot.pause()
        for each in (table, plain):
            each.move_cursor(row=250)
            each.scroll_to(y=200, animate=False, immediate=True)
        await pilot.pause()
        assert table.virtual_size == plain.virtual_size and table.scroll_y == plain.scroll_y == 200
        assert [table.render_line(y).text.rstrip() for y in range(12)] == [plain.render_line(y).text.rstrip() for y in range(12)]


async def test_the_filter_is_shown_as_typed():
    app = Host()
    async with app.run_test(size=(80, 30)) as pilot:
        table = app.query_one(ResourceTable)
        table.sync(files(3))
        table.set_filter("x[/]y\\")
        await pilot.pause()
        assert app.is_running and Content.from_markup(table.border_subtitle).plain == "0/3 match 'x[/]y\\'"


async def test_keys_and_clicks_move_the_cursor_and_choose_a_row():
    app = Host()
    async with app.run_test(size=(80, 30)) as pilot:
        table = app.query_one(ResourceTable)
        table.sync(files(100))
        table.focus()
        await pilot.pause()
        await pilot.press("end")
        assert table.selected_id == "file-0099" and table.scroll_y == table.max_scroll_y > 0
        assert table.region.y + 1 + table.cursor_row - table.scroll_y < table.region.bottom - 1  # on screen, above the border
        await pilot.press("home")
        assert table.selected_id == "file-0000" and table.scroll_y == 0
        await pilot.press("down", "down", "pagedown")
        rows_shown = table.scrollable_content_region.height - 1
        assert table.cursor_row == 2 + rows_shown
        await pilot.press("pageup", "up")
        assert table.cursor_row == 1 and app.highlighted[-1] == "file-0001"
        await pilot.press("enter")
        assert app.selected == ["file-0001"]

        await pilot.press("home")
        await pilot.click(table, offset=(3, 1 + 1 + 3))  # the border, the header, then row 3
        assert table.selected_id == "file-0003" and app.selected == ["file-0001"]  # moved, not chosen
        await pilot.click(table, offset=(3, 1 + 1 + 3))
        assert app.selected == ["file-0001", "file-0003"]  # a click on the cursor's row chooses it
        await pilot.click(table, offset=(3, 1))  # the header: nothing
        assert table.selected_id == "file-0003"


async def test_columns_fit_the_widest_row_shown_or_filtered_out():
    app = Host()
    async with app.run_test(size=(80, 30)) as pilot:
        table = app.query_one(ResourceTable)
        wide = ("wide", ("a-much-longer-dataset-name.jsonl", "processed", "1", "wide"))
        table.sync([*files(3), wide])
        table.set_filter("file-0001")  # the wide row filtered out: columns stay put while typing
        await pilot.pause()
        assert table.column_widths[0] == len("a-much-longer-dataset-name.jsonl")
        table.sync(files(3))  # gone from the service: the column narrows
        await pilot.pause()
        assert table.column_widths[0] == len("dataset-0000.jsonl")


async def test_the_header_and_cursor_look_as_datatable_draws_them_focused_or_not():
    app = Host()
    async with app.run_test(size=(80, 30)) as pilot:
        table, plain = app.query_one(ResourceTable), app.query_one("#plain", DataTable)
        table.sync(files(5))
        plain.add_rows([literal_cell(v) for v in values] for _, values in files(5))

        async def looks(each, focused: bool) -> list[list[tuple[str, object]]]:
            """The header, the cursor's row and two rows: each character with its style."""
            app.set_focus(each if focused else None)
            await pilot.pause()
            return [[(char, segment.style.clear_meta_and_links()) for segment in each.render_line(y) for char in segment.text][:70]
                    for y in range(4)]  # DataTable adds click metadata: not seen

        for focused in (False, True):
            ours, theirs = await looks(table, focused), await looks(plain, focused)
            assert ours == theirs, focused
