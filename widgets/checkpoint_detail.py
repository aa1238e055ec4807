"""The selected checkpoint: which step it is, what it can be deployed as, and its losses."""

from __future__ import annotations

from textual.content import Content

from services.timestamps import local_time
from widgets.detail_pane import DetailPane
from widgets.markup import lines, literal, markup

ROWS = (
    ("train", "train_loss", "train_mean_token_accuracy"),
    ("valid", "valid_loss", "valid_mean_token_accuracy"),
    ("full valid", "full_valid_loss", "full_valid_mean_token_accuracy"),
)


def number(value) -> str:
    return f"{value:.4f}" if isinstance(value, (int, float)) else "-"


def summary(checkpoint: dict) -> Content:
    metrics = checkpoint.get("metrics") or {}
    created = checkpoint.get("created_at")
    return lines(
        markup("[b]step $step[/b]  $id", step=checkpoint.get("step_number"), id=checkpoint["id"]),
        markup("model $model", model=checkpoint.get("fine_tuned_model_checkpoint") or "-"),
        markup("job $job", job=checkpoint.get("fine_tuning_job_id") or "-"),
        literal(f"created {local_time(created)}"),
        literal(""),
        markup(f"[b]{'':12}{'loss':>10}{'accuracy':>10}[/b]"),
        *(literal(f"{label:12}{number(metrics.get(loss)):>10}{number(metrics.get(accuracy)):>10}") for label, loss, accuracy in ROWS),
    )


class CheckpointDetail(DetailPane):
    KIND = "checkpoint"
    HINT = "d deploy · f fine-tune further from it"

    def show(self, checkpoint: dict) -> None:
        self.show_summary(markup("Checkpoint step $step", step=checkpoint.get("step_number")), summary(checkpoint))
