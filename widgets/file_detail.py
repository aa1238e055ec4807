"""The selected file: its facts, the service's verdict with a fix, the validation summary and the
first examples."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from services.timestamps import local_time
from widgets.markup import plain

if TYPE_CHECKING:
    from services.datasets import DatasetReport
    from services.files import FilePreview

PROBLEMS_SHOWN = 5
TEXT_KEPT = 300  # characters of each message in the preview; the pane cuts it to its width
STATUS_STYLES = {"processed": "green", "error": "red", "deleted": "dim"}  # others are in progress: yellow
REJECTED_FIX = "correct that line and upload the file again; `ftdeck data validate FILE` lists every problem"


def when(timestamp: float | None) -> str:
    return local_time(timestamp)


def size(n: float) -> str:
    if n < 1024:
        return f"{n:,} bytes"
    for unit in ("KB", "MB", "GB"):
        n /= 1024
        if n < 1024 or unit == "GB":
            break
    return f"{n:.1f} {unit}"


def clip(text: str, width: int = TEXT_KEPT) -> str:
    text = " ".join(str(text).split())  # one line per message, whatever its newlines
    return plain(text if len(text) <= width else text[: width - 1] + "…")


def facts(file: dict) -> str:
    status = file.get("status") or "?"
    lines = [
        f"[b]{plain(file.get('filename') or '?')}[/b]  [reverse {STATUS_STYLES.get(status, 'yellow')}] {plain(status)} [/]",
        f"id {file['id']}",
        f"purpose {file.get('purpose')} · {size(file.get('bytes') or 0)} · created {when(file.get('created_at'))}",
    ]
    if file.get("status_details"):
        style = "red" if status == "error" else "dim"
        lines.append(f"[{style}]{plain(file['status_details'])}[/]")
        if status == "error":
            lines.append(f"fix: {REJECTED_FIX}")
    return "\n".join(lines)


def validation(report: DatasetReport) -> str:
    verdict = "[green]ok[/]" if report.ok else f"[red]{len(report.errors) + report.more_errors} problem(s)[/]"
    t = report.token_stats()
    lines = [f"[b]Validation[/b] {verdict} · format {report.format or '?'} · {report.examples:,} examples"]
    if report.examples:
        lines.append(f"tokens min {t['min']:,} · mean {t['mean']:,} · p95 {t['p95']:,} · max {t['max']:,} · total {t['total']:,}")
        if report.format in ("chat", "preference"):
            lines.append(system_messages(report))
    errors, warnings = report.errors[:PROBLEMS_SHOWN], report.warnings[:PROBLEMS_SHOWN]
    lines += [f"[red]{where(e.line)}{plain(e.message)}[/]" for e in errors]
    lines += [f"[yellow]{where(w.line)}{plain(w.message)}[/]" for w in warnings]
    hidden = len(report.errors) + report.more_errors - len(errors) + len(report.warnings) - len(warnings)
    if hidden:
        lines.append(f"[dim]and {hidden} more: `ftdeck files download` then `ftdeck data validate` lists them all[/]")
    return "\n".join(lines)


def where(line: int | None) -> str:
    return f"line {line}: " if line else ""


def system_messages(report: DatasetReport) -> str:
    """The system message the model will expect, and how many examples say something else."""
    summary = report.system_message_summary()
    if not summary["distinct"]:
        return "system message: none"
    most_common, count = summary["counts"][0]
    spread = f"all {count}"
    if count < report.examples:
        spread = f"{count} of {report.examples}, [yellow]{report.examples - count} differ[/]"
        spread += f", {summary['missing']} without one" if summary["missing"] else ""
    return f'system message ({spread}): "{clip(most_common or "")}"'


def turns(example: dict) -> list[tuple[str, str]]:
    """(role, text) pairs of one example, whatever its format; never raises, since the data shown
    here is the data being checked."""
    if "messages" in example:
        return said(example["messages"])
    if "input" in example:  # preference (DPO)
        given = example["input"] if isinstance(example["input"], dict) else {}
        return (said(given.get("messages")) + said(example.get("preferred_output"), "preferred")
                + said(example.get("non_preferred_output"), "rejected"))
    return [(key, text_of(example[key])) for key in ("prompt", "completion") if key in example]


def said(messages, label: str | None = None) -> list[tuple[str, str]]:
    if not isinstance(messages, list):
        return []
    return [(label or str(m.get("role", "?")), text_of(m.get("content"))) for m in messages if isinstance(m, dict)]


def text_of(content) -> str:
    if isinstance(content, list):  # vision-style parts: keep the text, mark the images
        return " ".join(p.get("text", "") if p.get("type") == "text" else "[image]" for p in content if isinstance(p, dict))
    return "" if content is None else str(content)


def examples(preview: FilePreview) -> str:
    if not preview.examples:  # not training data (results.csv), or none readable: the lines as they are
        return "[b]First lines[/b]\n" + ("\n".join(clip(line) for line in preview.lines) or "(the file is empty)")
    lines = ["[b]First examples[/b]"]
    for number, example in enumerate(preview.examples, start=1):
        pairs = turns(example) or [("json", json.dumps(example))]  # nothing readable in it: show it as it is
        for index, (role, text) in enumerate(pairs):
            lead = f"{number}." if index == 0 else ""
            lines.append(f"{lead:3}[b]{plain(role)}[/b]: {clip(text)}")
    return "\n".join(lines)


class FileDetail(VerticalScroll):
    DEFAULT_CSS = """
    FileDetail { border: round $panel-lighten-2; height: 1fr; }
    FileDetail:focus-within, FileDetail:focus { border: round $accent; }
    FileDetail Static { padding: 0 1; margin-bottom: 1; }
    FileDetail #file-preview { text-wrap: nowrap; text-overflow: ellipsis; }
    FileDetail #file-validation { display: none; }
    """

    def compose(self) -> ComposeResult:
        self.border_title = "File"
        yield Static("Select a file to see its details.", id="file-facts")
        yield Static("", id="file-validation")
        yield Static("", id="file-preview")

    def show(self, file: dict, preview: FilePreview | None) -> None:
        """The file's facts now; validation and examples once `preview` (services.files.preview_file) is in."""
        self.border_title = f"File {file['id']}"
        self.query_one("#file-facts", Static).update(facts(file))
        report = validation(preview.report) if preview and preview.report else ""
        self.query_one("#file-validation", Static).update(report)
        self.query_one("#file-validation", Static).display = bool(report)
        self.query_one("#file-preview", Static).update(examples(preview) if preview else "[dim]reading the content…[/]")
