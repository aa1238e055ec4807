"""Deployments on the management plane (spec section 7): create, get, list, update, delete, and
the rules that remove deployments (15 days idle for fine-tuned models, 24 hours for DeveloperTier).

A deployment belongs to the account in its URL: it is stored under its ARM resource id, listed per
account, and the same name in two accounts is two deployments. Where each rule comes from is in
`emulator/SOURCES.md` ("The management plane").
"""

from __future__ import annotations

import os

import re
from typing import TYPE_CHECKING

from emulator import catalog
from emulator.errors import ServiceError
from emulator.resources import iso, new_id, public

if TYPE_CHECKING:
    from emulator.service import Emulator

PROVISION_SECONDS = 5.0  # Creating -> Succeeded on the emulator clock
DELETE_SECONDS = 2.0  # Deleting -> gone on the emulator clock
UPDATE_SECONDS = 1.0  # how long an update's async operation says InProgress
INACTIVITY_SECONDS = 15 * 86400
DEVELOPER_LIFETIME_SECONDS = 24 * 3600  # fine-tune-test: "a fixed lifetime of 24 hours"
PAGE_SIZE = 20  # deployments per list page; Azure's page size is not documented
# quotas-limits: "Max fine-tuned model deployments | 5" (spec section 7: per resource)
FINE_TUNED_DEPLOYMENTS_PER_RESOURCE = 5
QUOTA_VARIABLE = "FTDECK_FINE_TUNED_DEPLOYMENT_QUOTA"  # a resource whose quota was raised on request (quotas-limits)


def fine_tuned_quota() -> int:
    value = os.environ.get(QUOTA_VARIABLE, "")
    return int(value) if value.isdigit() else FINE_TUNED_DEPLOYMENTS_PER_RESOURCE
SKUS = {
    "standard": "Standard",
    "globalstandard": "GlobalStandard",
    "developertier": "DeveloperTier",
    "provisionedmanaged": "ProvisionedManaged",
}
# fine-tune-test: DeveloperTier is deployed with management api-version 2025-07-01-preview and
# capacity 50 (its Python, REST and CLI samples all send 50).
DEVELOPER_API_VERSION = "2025-07-01"
DEVELOPER_CAPACITY = 50
# fine-tuning-deploy "Deployment Types": the base models whose fine-tuned models each sku serves.
# Standard's table is per region, and the emulator has no region: Standard takes them all.
SKU_BASE_MODELS = {
    "GlobalStandard": ("o4-mini", "gpt-4.1", "gpt-4.1-mini", "gpt-4.1-nano", "gpt-4o", "gpt-4o-mini"),
    "DeveloperTier": ("gpt-4.1", "gpt-4.1-mini", "gpt-4.1-nano"),
    "ProvisionedManaged": ("gpt-4.1", "gpt-4o", "gpt-4o-mini"),
}
ACCOUNT_ID = re.compile(r"^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.CognitiveServices/accounts/[^/]+$", re.I)


def bad_request(message: str, target: str) -> ServiceError:
    return ServiceError(400, "InvalidResourceProperties", message, target)


def key_of(account: str, name: str) -> str:
    """The store's key: the deployment's resource id, in lower case (ARM ids ignore case)."""
    return f"{account}/deployments/{name}".lower()


def model_id(body: dict) -> str:
    """The model a deployment serves, as the data plane names it (a base model by its dated id)."""
    return body.get("_model") or body["properties"]["model"]["name"]


def is_fine_tuned(model: str) -> bool:
    return model not in catalog.BASE_MODELS


def _sku(request: dict, api_version: str) -> tuple[str, int]:
    sku = request.get("sku")
    if not isinstance(sku, dict) or str(sku.get("name", "")).lower() not in SKUS:
        raise bad_request(f"sku.name must be one of: {', '.join(SKUS.values())}.", "sku.name")
    name = SKUS[sku["name"].lower()]
    capacity = sku.get("capacity", DEVELOPER_CAPACITY if name == "DeveloperTier" else 1)
    if not isinstance(capacity, int) or isinstance(capacity, bool) or not 1 <= capacity <= 10_000:
        raise bad_request("sku.capacity must be a whole number from 1 to 10000.", "sku.capacity")
    if name == "DeveloperTier":
        if api_version[:10] < DEVELOPER_API_VERSION:
            raise ServiceError(
                400,
                "InvalidResourceProperties",
                f"The sku 'DeveloperTier' needs api-version {DEVELOPER_API_VERSION}-preview or later (this request used '{api_version}').",
                "sku.name",
            )
        if capacity != DEVELOPER_CAPACITY:
            raise bad_request(f"A DeveloperTier deployment has capacity {DEVELOPER_CAPACITY}.", "sku.capacity")
    return name, capacity


def _model(emu: Emulator, request: dict) -> tuple[dict, str]:
    """The `properties.model` to echo (as sent) and the model it names (as the data plane names it)."""
    properties = request.get("properties")
    model = properties.get("model") if isinstance(properties, dict) else None
    name = model.get("name") if isinstance(model, dict) else None
    if not isinstance(name, str) or not name:
        raise bad_request("properties.model.name is required: a base model, fine-tuned model or checkpoint id.", "properties.model.name")
    version = model.get("version")
    if version is not None and not isinstance(version, str):
        raise bad_request("properties.model.version must be a string.", "properties.model.version")
    shown = {"format": model.get("format") or "OpenAI", "name": name}
    if emu.is_deployable(name) and name not in catalog.BASE_MODELS:  # fine-tuned model or checkpoint id
        if version not in (None, "1"):
            raise _not_supported(name, version)
        return {**shown, "version": "1", **_source(model)}, name
    # A base model is its name plus a version (`gpt-4o-mini` + `2024-07-18`); without a version the
    # default one (the newest the emulator knows) is assigned, as the SDK's DeploymentModel says.
    versions = sorted(v for n, v in catalog.DEPLOYABLE_BASE if n == name)
    if not versions or (version is not None and version not in versions):
        raise _not_supported(name, version)
    if _source(model):
        raise bad_request("properties.model.source is for fine-tuned models, not base models.", "properties.model.source")
    version = version or versions[-1]
    return {**shown, "version": version}, catalog.DEPLOYABLE_BASE[(name, version)]


def _not_supported(name: str, version: str | None) -> ServiceError:
    return ServiceError(
        400,
        "DeploymentModelNotSupported",
        f"The model 'Format:OpenAI,Name:{name},Version:{version or ''}' of account deployment is not supported: use a base "
        "model by name and version (gpt-4o-mini, 2024-07-18), a fine-tuned model id, or a checkpoint id (ftchkpt-...).",
        "properties.model",
    )


def _source(model: dict) -> dict:
    """`source` (cross-region / cross-subscription) and `sourceAccount` (cross-tenant), checked as
    account resource ids and kept (fine-tuning-deploy "Cross region deployment")."""
    kept = {}
    for field in ("source", "sourceAccount"):
        value = model.get(field)
        if value is None:
            continue
        if not isinstance(value, str) or not ACCOUNT_ID.match(value):
            raise ServiceError(
                400,
                "LinkedInvalidPropertyId",
                f"properties.model.{field} must be an account's resource id: "
                "/subscriptions/{s}/resourceGroups/{g}/providers/Microsoft.CognitiveServices/accounts/{a}.",
                f"properties.model.{field}",
            )
        kept[field] = value
    return kept


def _base_name(emu: Emulator, model: str) -> str:
    """The ARM name of the base model under a model: `gpt-4.1` for `gpt-4.1-2025-04-14.ft-...`."""
    found = emu.store.checkpoint_weights(model) if model.startswith("ftchkpt-") else None
    if found is not None:
        model = str(found[0].get("fine_tuned_model_checkpoint") or "")
    return catalog.name_and_version(catalog.base_model_of(model))[0]


def _check_sku_serves(emu: Emulator, sku: str, model: str) -> None:
    bases = SKU_BASE_MODELS.get(sku)
    if bases is None:
        return
    if not is_fine_tuned(model):  # the tables are about fine-tuned models; DeveloperTier serves only them
        if sku == "DeveloperTier":
            raise ServiceError(400, "InvalidResourceProperties", "The sku 'DeveloperTier' is for fine-tuned models.", "sku.name")
        return
    if _base_name(emu, model) not in bases:
        raise ServiceError(
            400,
            "InvalidResourceProperties",
            f"The sku '{sku}' does not serve '{model}': it takes fine-tuned models of {', '.join(bases)}.",
            "sku.name",
        )


def put(
    emu: Emulator, account: str, name: str, request: object, *, api_version: str, auxiliary_token: str | None = None
) -> tuple[dict, bool]:
    """Create or update; returns (deployment, created)."""
    if not isinstance(request, dict):
        raise bad_request("The request body must be a JSON object with 'sku' and 'properties'.", "body")
    sku, capacity = _sku(request, api_version)
    shown_model, model = _model(emu, request)
    if "sourceAccount" in shown_model:
        _check_auxiliary_token(emu, auxiliary_token)
    _check_sku_serves(emu, sku, model)
    key = key_of(account, name)
    existing = emu.store.get_deployment(key)
    if existing and "_deleting_at" in existing[0]:
        raise ServiceError(409, "Conflict", f"The deployment '{name}' is being deleted; try again when it is gone.", name)
    if is_fine_tuned(model) and not (existing and is_fine_tuned(model_id(existing[0]))):
        in_use = sum(is_fine_tuned(model_id(body)) for body, _ in emu.store.list_deployments(account.lower()))
        if in_use >= (quota := fine_tuned_quota()):
            raise ServiceError(
                400,
                "InsufficientQuota",
                f"This resource already has {in_use} fine-tuned model deployments, the most it can have "
                f"({quota}). Delete one first, or request more quota.",
                "properties.model.name",
            )
    now = emu.clock.now()
    created_at = existing[0]["_created"] if existing else now
    body = {
        "id": f"{account}/deployments/{name}",
        "type": "Microsoft.CognitiveServices/accounts/deployments",
        "name": name,
        "sku": {"name": sku, "capacity": capacity},
        "properties": {
            "model": shown_model,
            "provisioningState": "Creating",
            "capabilities": {"chatCompletion": "true"},
            "versionUpgradeOption": "NoAutoUpgrade",
        },
        "systemData": _system_data(created_at, now),
        "etag": f'"{new_id("")}"',
        "_model": model,
        "_created": created_at,
        "_ready_at": now + PROVISION_SECONDS,
    }
    with emu.store.transaction():
        emu.store.put_deployment(key, body, model, existing[1] if existing else now)
    return view(emu, body), existing is None


def _check_auxiliary_token(emu: Emulator, token: str | None) -> None:
    """Cross-tenant deploys send the source tenant's token in `x-ms-authorization-auxiliary`
    (fine-tuning-deploy "Cross tenant deployment"); the emulator's one key stands for both tenants."""
    if token is None:
        raise ServiceError(
            401,
            "AuthenticationFailed",
            "properties.model.sourceAccount needs the source tenant's token in the 'x-ms-authorization-auxiliary' header.",
        )
    if emu.settings.api_key is not None and token != f"Bearer {emu.settings.api_key}":
        raise ServiceError(401, "InvalidAuthenticationTokenTenant", "The access token in 'x-ms-authorization-auxiliary' is invalid.")


def _system_data(created_at: float, modified_at: float) -> dict:
    return {
        "createdBy": "ftdeck-emulator",
        "createdByType": "User",
        "createdAt": iso(created_at),
        "lastModifiedBy": "ftdeck-emulator",
        "lastModifiedByType": "User",
        "lastModifiedAt": iso(modified_at),
    }


def update(emu: Emulator, account: str, name: str, request: object, *, api_version: str) -> dict:
    """`PATCH`: a new sku or capacity (Deployments_Update, body `PatchResourceTagsAndSku`)."""
    found = _found(emu, account, name)
    if not isinstance(request, dict):
        raise bad_request("The request body must be a JSON object with 'sku' (and optionally 'tags').", "body")
    body = dict(found[0])
    if "sku" in request:
        sku, capacity = _sku({"sku": {**body["sku"], **(request["sku"] if isinstance(request["sku"], dict) else {"name": None})}}, api_version)
        _check_sku_serves(emu, sku, model_id(body))
        body["sku"] = {"name": sku, "capacity": capacity}
    if isinstance(request.get("tags"), dict):
        body["tags"] = request["tags"]
    body["systemData"] = _system_data(body["_created"], emu.clock.now())
    with emu.store.transaction():
        emu.store.put_deployment(key_of(account, name), body, model_id(body), found[1])
    return view(emu, body)


def view(emu: Emulator, body: dict) -> dict:
    shown = public(body)
    if "_deleting_at" in body:
        state = "Deleting"
    else:
        state = "Succeeded" if emu.clock.now() >= body["_ready_at"] else "Creating"
    shown["properties"] = {**body["properties"], "provisioningState": state}
    return shown


def _found(emu: Emulator, account: str, name: str) -> tuple[dict, float]:
    found = emu.store.get_deployment(key_of(account, name))
    if found is None:
        raise ServiceError(404, "DeploymentNotFound", f"The deployment '{name}' does not exist.", name)
    return found


def get(emu: Emulator, account: str, name: str) -> dict:
    return view(emu, _found(emu, account, name)[0])


def list_page(emu: Emulator, account: str, skip: int) -> tuple[list[dict], int | None]:
    """One page of the account's deployments and where the next page starts (None: the last)."""
    found = emu.store.list_deployments(account.lower())
    page = [view(emu, body) for body, _ in found[skip : skip + PAGE_SIZE]]
    return page, (skip + PAGE_SIZE if skip + PAGE_SIZE < len(found) else None)


def delete(emu: Emulator, account: str, name: str) -> float | None:
    """Start deleting: the deployment says `Deleting` until the time returned, then it is gone.
    None when there was nothing to delete (204)."""
    key = key_of(account, name)
    found = emu.store.get_deployment(key)
    if found is None:
        return None
    body, last_used = found
    if "_deleting_at" not in body:
        body = {**body, "_deleting_at": emu.clock.now() + DELETE_SECONDS}
        with emu.store.transaction():
            emu.store.put_deployment(key, body, model_id(body), last_used)
    return body["_deleting_at"]


def expire(emu: Emulator) -> list[str]:
    """Remove deployments whose time is up: deletes that finished; fine-tuned deployments idle for
    15 days (and older than 15 days), as Azure does (spec section 7); DeveloperTier deployments 24
    hours after they were made, whatever their use (fine-tune-test "Clean up your deployment")."""
    now = emu.clock.now()
    gone = []
    for body, last_used in emu.store.list_deployments():
        idle = is_fine_tuned(model_id(body)) and now - body["_created"] > INACTIVITY_SECONDS and now - last_used > INACTIVITY_SECONDS
        developer = body["sku"]["name"] == "DeveloperTier" and now - body["_created"] >= DEVELOPER_LIFETIME_SECONDS
        if now >= body.get("_deleting_at", now + 1) or idle or developer:
            emu.store.delete_deployment(key_of(body["id"].rsplit("/deployments/", 1)[0], body["name"]))
            gone.append(body["name"])
    return gone
