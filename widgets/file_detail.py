"""The selected file: its facts, the service's verdict with a fix, the validation summary and the
first examples."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Static

from services.outside_text import inert
from services.timestamps import local_time
from widgets.markup import lines, literal, markup

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
    text = " ".join(inert(text).split())  # one line per message, whatever its newlines
    return text if len(text) <= width else text[: width - 1] + "…"


def facts(file: dict) -> Content:
    status = file.get("status") or "?"
    shown = [
        markup(f"[b]$name[/b]  [reverse {STATUS_STYLES.get(status, 'yellow')}] $status [/]", name=file.get("filename") or "?", status=status),
        markup("id $id", id=file["id"]),
        markup("purpose $purpose · $size · created $created", purpose=file.get("purpose"), size=size(file.get("bytes") or 0),
               created=when(file.get("created_at"))),
    ]
    if file.get("status_details"):
        style = "red" if status == "error" else "dim"
        shown.append(markup(f"[{style}]$details[/]", details=file["status_details"]))
        if status == "error":
            shown.append(literal(f"fix: {REJECTED_FIX}"))
    return lines(*shown)


def validation(report: DatasetReport) -> Content:
    verdict = "[green]ok[/]" if report.ok else f"[red]{len(report.errors) + report.more_errors} problem(s)[/]"
    t = report.token_stats()
    shown = [markup(f"[b]Validation[/b] {verdict} · format $format · {report.examples:,} examples", format=report.format or "?")]
    if report.examples:
        shown.append(literal(f"tokens min {t['min']:,} · mean {t['mean']:,} · p95 {t['p95']:,} · max {t['max']:,} · total {t['total']:,}"))
        if report.format in ("chat", "preference"):
            shown.append(system_messages(report))
    errors, warnings = report.errors[:PROBLEMS_SHOWN], report.warnings[:PROBLEMS_SHOWN]
    shown += [markup("[red]$problem[/]", problem=where(e.line) + e.message) for e in errors]
    shown += [markup("[yellow]$problem[/]", problem=where(w.line) + w.message) for w in warnings]
    hidden = len(report.errors) + report.more_errors - len(errors) + len(report.warnings) - len(warnings)
    if hidden:
        shown.append(markup(f"[dim]and {hidden} more: `ftdeck files download` then `ftdeck data validate` lists them all[/]"))
    return lines(*shown)


def where(line: int | None) -> str:
    return f"line {line}: " if line else ""


def system_messages(report: DatasetReport) -> Content:
    """The system message the model will expect, and how many examples say something else."""
    summary = report.system_message_summary()
    if not summary["distinct"]:
        return literal("system message: none")
    most_common, count = summary["counts"][0]
    spread = f"all {count}"
    if count < report.examples:
        spread = f"{count} of {report.examples}, [yellow]{report.examples - count} differ[/]"
        spread += f", {summary['missing']} without one" if summary["missing"] else ""
    return markup(f'system message ({spread}): "$text"', text=clip(most_common or ""))


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


def examples(preview: FilePreview) -> Content:
    if not preview.examples:  # not training data (results.csv), or none readable: the lines as they are
        return lines(markup("[b]First lines[/b]"), *(literal(clip(line)) for line in preview.lines or ["(the file is empty)"]))
    shown = [markup("[b]First examples[/b]")]
    for number, example in enumerate(preview.examples, start=1):
        pairs = turns(example) or [("json", json.dumps(example))]  # nothing readable in it: show it as it is
        for index, (role, text) in enumerate(pairs):
            lead = f"{number}." if index == 0 else ""
            shown.append(markup(f"{lead:3}[b]$role[/b]: $text", role=role, text=clip(text)))
    return lines(*shown)


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
        self.border_title = markup("File $id", id=file["id"])
        self.query_one("#file-facts", Static).update(facts(file))
        report = validation(preview.report) if preview and preview.report else ""
        self.query_one("#file-validation", Static).update(report)
        self.query_one("#file-validation", Static).display = bool(report)
        self.query_one("#file-preview", Static).update(examples(preview) if preview else markup("[dim]reading the content…[/]"))
