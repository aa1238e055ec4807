"""The selected checkpoint: which step it is, what it can be deployed as, and its losses."""

from __future__ import annotations

import time

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

ROWS = (
    ("train", "train_loss", "train_mean_token_accuracy"),
    ("valid", "valid_loss", "valid_mean_token_accuracy"),
    ("full valid", "full_valid_loss", "full_valid_mean_token_accuracy"),
)


def number(value) -> str:
    return f"{value:.4f}" if isinstance(value, (int, float)) else "-"


def summary(checkpoint: dict) -> str:
    metrics = checkpoint.get("metrics") or {}
    created = checkpoint.get("created_at")
    return "\n".join([
        f"[b]step {checkpoint.get('step_number')}[/b]  {checkpoint['id']}",
        f"model {checkpoint.get('fine_tuned_model_checkpoint') or '-'}",
        f"job {checkpoint.get('fine_tuning_job_id') or '-'}",
        f"created {time.strftime('%Y-%m-%d %H:%M', time.localtime(created)) if created else '-'}",
        "",
        f"[b]{'':12}{'loss':>10}{'accuracy':>10}[/b]",
        *(f"{label:12}{number(metrics.get(loss)):>10}{number(metrics.get(accuracy)):>10}" for label, loss, accuracy in ROWS),
    ])


class CheckpointDetail(VerticalScroll):
    DEFAULT_CSS = """
    CheckpointDetail { border: round $panel-lighten-2; height: 1fr; }
    CheckpointDetail:focus-within, CheckpointDetail:focus { border: round $accent; }
    CheckpointDetail Static { padding: 0 1; }
    """

    def compose(self) -> ComposeResult:
        self.border_title = "Checkpoint"
        self.border_subtitle = "d deploy · f fine-tune further from it"  # always in sight, however tall the pane
        yield Static("Select a checkpoint to see its details.", id="checkpoint-summary")

    def show(self, checkpoint: dict) -> None:
        self.border_title = f"Checkpoint step {checkpoint.get('step_number')}"
        self.query_one("#checkpoint-summary", Static).update(summary(checkpoint))
