"""Models of the resource: base models that can be fine-tuned, and the fine-tuned ones."""

from __future__ import annotations

from urllib.parse import quote

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
    when a retry found nothing after the first answer was lost.

    Sent as `DELETE {endpoint}/openai/v1/models/{model}` with no api-version, whatever the profile's
    version: no versioned authoring spec has a models delete (stable/2024-10-21, preview/2025-04-01-preview:
    Models_List and Models_Get only), the v1 surface does (issue 14; emulator/SOURCES.md "API versions").
    The same resource and credentials; the URL is absolute, so the SDK adds no /openai/ prefix."""
    import openai
    from openai.types import ModelDeleted

    url = f"{ws.endpoint.rstrip('/')}/openai/v1/models/{quote(model, safe='')}"
    no_version = {"params": {"api-version": openai.Omit()}}  # v1 takes none (the Azure client adds its own)
    with calling():
        return deleted_or_gone(ws.calls, lambda: ws.openai().delete(url, cast_to=ModelDeleted, options=no_version))
