"""A finished job's results.csv: downloaded, parsed, and summed up in a few numbers."""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass

from services.errors import FtdeckError
from services.jobs import get_job
from services.workspace import Workspace, calling

OVERFIT_MARGIN = 0.10  # validation loss 10% above its best while training loss still falls


READABLE_LABELS = (("train_loss", "training loss"), ("valid_loss", "validation loss"),
                   ("full_valid_loss", "full validation loss"), ("train_mean_token_accuracy", "training accuracy"),
                   ("full_valid_mean_token_accuracy", "full validation accuracy"),
                   ("train_reward_mean", "training reward"), ("valid_reward_mean", "validation reward"))


@dataclass
class Curves:
    rows: list[dict[str, float | None]]

    @classmethod
    def parse(cls, text: str, source: str = "results.csv") -> "Curves":
        """Every row as numbers (an empty cell is None). A file without a `step` column, or with a
        cell that is not a finite number, is refused in one line naming `source`, row and column."""
        reader = csv.DictReader(io.StringIO(text))
        columns = [name.strip() for name in reader.fieldnames or []]
        if "step" not in columns:
            raise FtdeckError(f"{source} has no 'step' column (columns: {', '.join(columns)[:200] or 'none'}): "
                              "not a fine-tuning results file")
        rows = []
        for raw in reader:
            row: dict[str, float | None] = {}
            for key, value in raw.items():
                if not key:
                    continue
                value = (value or "").strip() if isinstance(value, str) else ""
                try:
                    number = float(value) if value else None
                except ValueError:
                    number = math.nan
                if number is not None and not math.isfinite(number):
                    raise FtdeckError(f"{source} line {reader.line_num}, column '{key.strip()}': {value[:40]!r} is not a finite number")
                row[key.strip()] = number
            if row.get("step") is None:
                raise FtdeckError(f"{source} line {reader.line_num}: no step number")
            rows.append(row)
        return cls(rows)

    def series(self, column: str) -> list[tuple[int, float]]:
        return [(int(r["step"]), r[column]) for r in self.rows if r.get(column) is not None]  # type: ignore[arg-type, misc]

    def summary(self) -> dict:
        out: dict = {"steps": len(self.rows)}
        for column in ("train_loss", "valid_loss", "full_valid_loss", "train_mean_token_accuracy", "validation_mean_token_accuracy", "full_valid_mean_token_accuracy",
                       "train_reward_mean", "valid_reward_mean"):  # rewards: reinforcement fine-tuning (RFT doc)
            points = self.series(column)
            if not points:
                continue
            pick = max if "accuracy" in column or "reward" in column else min
            best_step, best = pick(points, key=lambda p: p[1])
            out[column] = {"final": points[-1][1], "best": best, "best_step": best_step}
        out["overfitting"] = self.overfitting()
        return out

    def readable(self) -> list[str]:
        """The summary as `ftdeck jobs results` prints it and the TUI reports it: one line each."""
        summary = self.summary()
        lines = [f"{summary['steps']} steps"]
        for column, label in READABLE_LABELS:
            if column in summary:
                s = summary[column]
                lines.append(f"{label:25} final {s['final']:.4f}   best {s['best']:.4f} (step {s['best_step']})")
        if summary["overfitting"]:
            lines.append(f"warning: {summary['overfitting']}")
        return lines

    def overfitting(self) -> str | None:
        """A warning when validation loss climbs away from its best while training loss keeps falling."""
        valid = self.series("full_valid_loss") or self.series("valid_loss")
        train = dict(self.series("train_loss"))
        if len(valid) < 2:
            return None
        best_step, best = min(valid, key=lambda p: p[1])
        last_step, last = valid[-1]
        if last > best * (1 + OVERFIT_MARGIN) and train.get(last_step, 0) < train.get(best_step, 0):
            return (f"validation loss rose from {best:.3f} (step {best_step}) to {last:.3f} while training loss kept "
                    "falling: the model is overfitting; try fewer epochs or a smaller learning_rate_multiplier")
        return None


def download_results(ws: Workspace, job_id: str) -> str:
    job = get_job(ws, job_id)
    if not job.get("result_files"):
        raise FtdeckError(f"{job_id} has no results file yet (status {job['status']}); results come when a job succeeds")
    with calling():
        return ws.openai().files.content(job["result_files"][0]).text  # parsed (and checked) by Curves.parse
