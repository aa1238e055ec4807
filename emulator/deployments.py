"""Deployments on the management plane (spec section 7): create, get, list, delete, and the
15-day inactivity rule for fine-tuned models."""

from __future__ import annotations

from typing import TYPE_CHECKING

from emulator import catalog
from emulator.errors import ServiceError
from emulator.resources import iso, new_id, public

if TYPE_CHECKING:
    from emulator.service import Emulator

PROVISION_SECONDS = 5.0  # Creating -> Succeeded on the emulator clock
INACTIVITY_SECONDS = 15 * 86400
SKUS = {
    "standard": "Standard",
    "globalstandard": "GlobalStandard",
    "developertier": "DeveloperTier",
    "provisionedmanaged": "ProvisionedManaged",
}


def bad_request(message: str, target: str) -> ServiceError:
    return ServiceError(400, "InvalidResourceProperties", message, target)


def put(emu: Emulator, resource_id: str, name: str, request: object) -> tuple[dict, bool]:
    """Create or update; returns (deployment, created)."""
    if not isinstance(request, dict):
        raise bad_request("The request body must be a JSON object with 'sku' and 'properties'.", "body")
    sku = request.get("sku")
    if not isinstance(sku, dict) or str(sku.get("name", "")).lower() not in SKUS:
        raise bad_request(f"sku.name must be one of: {', '.join(SKUS.values())}.", "sku.name")
    capacity = sku.get("capacity", 1)
    if not isinstance(capacity, int) or isinstance(capacity, bool) or not 1 <= capacity <= 10_000:
        raise bad_request("sku.capacity must be a whole number from 1 to 10000.", "sku.capacity")
    model = ((request.get("properties") or {}).get("model") or {}) if isinstance(request.get("properties"), dict) else {}
    model_name = model.get("name") if isinstance(model, dict) else None
    if not isinstance(model_name, str) or not model_name:
        raise bad_request("properties.model.name is required: a base model, fine-tuned model or checkpoint id.", "properties.model.name")
    if not emu.is_deployable(model_name):
        raise ServiceError(
            400,
            "DeploymentModelNotSupported",
            f"The model '{model_name}' is not available in this account: use a base model, one of its fine-tuned "
            "models, or one of the last three checkpoints of a fine-tuning job.",
            "properties.model.name",
        )
    existing = emu.store.get_deployment(name)
    holder = emu.store.deployment_of_model(model_name)
    if holder and holder != name and model_name not in catalog.BASE_MODELS:
        raise ServiceError(
            409,
            "Conflict",
            f"The model '{model_name}' is already deployed as '{holder}'. A fine-tuned model can have only one "
            f"deployment: use '{holder}', or delete it first.",
            "properties.model.name",
        )
    now = emu.clock.now()
    created_at = existing[0]["_created"] if existing else now
    body = {
        "id": resource_id,
        "type": "Microsoft.CognitiveServices/accounts/deployments",
        "name": name,
        "sku": {"name": SKUS[sku["name"].lower()], "capacity": capacity},
        "properties": {
            "model": {"format": "OpenAI", "name": model_name, "version": str(model.get("version") or "1")},
            "provisioningState": "Creating",
            "capabilities": {"chatCompletion": "true"},
            "versionUpgradeOption": "NoAutoUpgrade",
        },
        "systemData": {
            "createdBy": "ftdeck-emulator",
            "createdByType": "User",
            "createdAt": iso(created_at),
            "lastModifiedBy": "ftdeck-emulator",
            "lastModifiedByType": "User",
            "lastModifiedAt": iso(now),
        },
        "etag": f'"{new_id("")}"',
        "_created": created_at,
        "_ready_at": now + PROVISION_SECONDS,
    }
    with emu.store.transaction():
        emu.store.put_deployment(body, model_name, existing[1] if existing else now)
    return view(emu, body), existing is None


def view(emu: Emulator, body: dict) -> dict:
    shown = public(body)
    ready = emu.clock.now() >= body["_ready_at"]
    shown["properties"] = {**body["properties"], "provisioningState": "Succeeded" if ready else "Creating"}
    return shown


def get(emu: Emulator, name: str) -> dict:
    found = emu.store.get_deployment(name)
    if found is None:
        raise ServiceError(404, "DeploymentNotFound", f"The deployment '{name}' does not exist.", name)
    return found[0]


def delete(emu: Emulator, name: str) -> bool:
    """True when something was deleted (202), False when there was nothing (204)."""
    if emu.store.get_deployment(name) is None:
        return False
    with emu.store.transaction():
        emu.store.delete_deployment(name)
    return True


def expire_inactive(emu: Emulator) -> list[str]:
    """Delete fine-tuned deployments idle for 15 days (and older than 15 days), as Azure does."""
    now = emu.clock.now()
    gone = []
    for body, last_used in emu.store.list_deployments():
        model = body["properties"]["model"]["name"]
        if model in catalog.BASE_MODELS:
            continue
        if now - body["_created"] > INACTIVITY_SECONDS and now - last_used > INACTIVITY_SECONDS:
            emu.store.delete_deployment(body["name"])
            gone.append(body["name"])
    return gone
