"""Deployments on the management plane: list, show, create (optionally waiting), delete.

Azure deletes a fine-tuned deployment after 15 days without calls, and bills every hour a
fine-tuned model stays deployed: both are said wherever a deployment is shown or made.
"""

from __future__ import annotations

import time
from datetime import datetime, timezone
from typing import Callable

from services.errors import Deletion, FtdeckError, answer_lost, attempts
from services.workspace import Workspace

SKUS = {"standard": "Standard", "globalstandard": "GlobalStandard", "developertier": "DeveloperTier"}
INACTIVITY_DAYS = 15
HOSTING_REMINDER = "a deployed fine-tuned model is billed for hosting every hour, used or not"
INACTIVITY_RULE = f"Azure deletes a fine-tuned deployment after {INACTIVITY_DAYS} days without calls (the model stays)"


def is_fine_tuned(model: str) -> bool:
    return ".ft-" in model or model.startswith("ftchkpt-")


def list_deployments(ws: Workspace) -> list[dict]:
    return ws.arm("GET").json().get("value", [])


def get_deployment(ws: Workspace, name: str) -> dict:
    return ws.arm("GET", f"/{name}").json()


def describe(deployment: dict, now: float | None = None, last_call: float | None = None) -> dict:
    """The facts a person wants about a deployment, flattened. `last_call` is when ftdeck last
    called it, if known: Azure does not report it, so days left is an upper bound."""
    now = now or time.time()
    props = deployment.get("properties", {})
    model = props.get("model", {}).get("name", "")
    created = (deployment.get("systemData") or {}).get("createdAt")
    age_days = days_left = None
    if created:
        created_at = datetime.fromisoformat(created.replace("Z", "+00:00")).astimezone(timezone.utc).timestamp()
        age_days = round((now - created_at) / 86400, 1)
        idle_since = max(created_at, last_call or 0)
        # Clocks differ (an emulator may run fast): never more than the rule allows, never below 0.
        days_left = min(float(INACTIVITY_DAYS), max(0.0, round(INACTIVITY_DAYS - (now - idle_since) / 86400, 1)))
    facts = {
        "name": deployment.get("name"),
        "model": model,
        "sku": (deployment.get("sku") or {}).get("name"),
        "capacity": (deployment.get("sku") or {}).get("capacity"),
        "state": props.get("provisioningState"),
        "created_days_ago": age_days,
        "fine_tuned": is_fine_tuned(model),
    }
    if facts["fine_tuned"]:
        facts["days_left_at_most"] = days_left
        facts["notes"] = [INACTIVITY_RULE, HOSTING_REMINDER]
    return facts


def create_deployment(
    ws: Workspace,
    name: str,
    model: str,
    *,
    sku: str = "standard",
    capacity: int = 1,
    wait: bool = False,
    on_status: Callable[[str], None] = lambda s: None,
    poll: float = 2.0,
) -> dict:
    if sku.lower() not in SKUS:
        raise FtdeckError(f"--sku must be one of {', '.join(SKUS)}", exit_code=2)
    if capacity < 1:
        raise FtdeckError("--capacity must be 1 or more", exit_code=2)
    for existing in list_deployments(ws):
        if existing["name"] != name and existing["properties"]["model"]["name"] == model and is_fine_tuned(model):
            raise FtdeckError(
                f"{model} is already deployed as '{existing['name']}': a fine-tuned model can have only one deployment. "
                f"Use '{existing['name']}', or delete it first (ftdeck deployments delete {existing['name']})."
            )
    body = {"sku": {"name": SKUS[sku.lower()], "capacity": capacity},
            "properties": {"model": {"format": "OpenAI", "name": model, "version": "1"}}}
    deployment = ws.arm("PUT", f"/{name}", body).json()
    on_status(f"{name}: {deployment['properties'].get('provisioningState')}")
    while wait and deployment["properties"].get("provisioningState") not in ("Succeeded", "Failed", "Canceled"):
        time.sleep(poll)
        deployment = get_deployment(ws, name)
        on_status(f"{name}: {deployment['properties'].get('provisioningState')}")
    if deployment["properties"].get("provisioningState") == "Failed":
        raise FtdeckError(f"deployment {name} failed to provision")
    return deployment


def delete_deployment(ws: Workspace, name: str) -> Deletion:
    """"deleted"; "absent" when there was no such deployment (ARM's 204); "gone" when ARM says so
    to a retry after an answer was lost: the lost attempt deleted it."""
    with attempts(ws.calls) as heard:
        if ws.arm("DELETE", f"/{name}").status_code != 204:
            return "deleted"
    return "gone" if answer_lost(heard) else "absent"
