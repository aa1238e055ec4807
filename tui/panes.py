"""The four resource panes: what each shows per row, and how a resource becomes a row."""

from __future__ import annotations

from typing import Callable, NamedTuple


def _num(value) -> str:
    return f"{value:.4f}" if isinstance(value, (int, float)) else "-"


def _days(value) -> str:
    return "-" if value is None else f"{value:g}"


class Pane(NamedTuple):
    title: str
    key: str  # digit that jumps here
    columns: tuple[str, ...]
    row: Callable[[dict], tuple[str, tuple]]  # resource -> (id, cells)


PANES = {
    "jobs": Pane("Jobs", "1", ("status", "id", "model", "fine-tuned model"),
                 lambda j: (j["id"], (j["status"], j["id"], j["model"], j.get("fine_tuned_model") or ""))),
    "checkpoints": Pane("Checkpoints", "2", ("step", "train loss", "valid loss", "id"),
                        lambda c: (c["id"], (c["step_number"], _num((c.get("metrics") or {}).get("train_loss")),
                                             _num((c.get("metrics") or {}).get("full_valid_loss")), c["id"]))),
    "files": Pane("Files", "3", ("filename", "status", "bytes", "id"),
                  lambda f: (f["id"], (f["filename"], f["status"], f"{f['bytes']:,}", f["id"]))),
    # Deployments are shown through services.deployments.describe(): flat facts, days left.
    "deployments": Pane("Deployments", "4", ("name", "state", "days left", "sku", "model"),
                        lambda d: (d["name"], (d["name"], d["state"], _days(d.get("days_left_at_most")), d["sku"], d["model"]))),
}
