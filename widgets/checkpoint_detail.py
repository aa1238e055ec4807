"""The selected checkpoint: which step it is, what it can be deployed as, and its losses."""

from __future__ import annotations

from services.timestamps import local_time
from widgets.detail_pane import DetailPane

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
        f"created {local_time(created)}",
        "",
        f"[b]{'':12}{'loss':>10}{'accuracy':>10}[/b]",
        *(f"{label:12}{number(metrics.get(loss)):>10}{number(metrics.get(accuracy)):>10}" for label, loss, accuracy in ROWS),
    ])


class CheckpointDetail(DetailPane):
    KIND = "checkpoint"
    HINT = "d deploy · f fine-tune further from it"

    def show(self, checkpoint: dict) -> None:
        self.show_summary(f"Checkpoint step {checkpoint.get('step_number')}", summary(checkpoint))
