"""Models of the resource: base models that can be fine-tuned, and the fine-tuned ones."""

from __future__ import annotations

from services.deployments import is_fine_tuned
from services.errors import Deletion, deleted_or_gone
from services.workspace import Workspace, calling


def list_models(ws: Workspace) -> list[dict]:
    with calling():
        return [m.model_dump() for m in ws.openai().models.list()]


def fine_tunable(models: list[dict]) -> list[str]:
    """Models a job can start from: fine-tunable base models and fine-tuned models."""
    return [m["id"] for m in models if (m.get("capabilities") or {}).get("fine_tune") or is_fine_tuned(m["id"])]


def delete_model(ws: Workspace, model: str) -> Deletion:
    """Delete a fine-tuned model (the service refuses while it is deployed): "deleted", or "gone"
    when a retry found nothing after the first answer was lost."""
    with calling():
        return deleted_or_gone(ws.calls, lambda: ws.openai().models.delete(model))
