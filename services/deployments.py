"""Deployments on the management plane: list, show, create (optionally waiting), update, delete.

Azure deletes a fine-tuned deployment after 15 days without calls, a DeveloperTier one 24 hours
after it was made, and bills every hour a fine-tuned model stays deployed (but not on
DeveloperTier): each is said wherever a deployment is shown or made.
"""

from __future__ import annotations

import os
import re
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Callable

from services.errors import STATUS_UNKNOWN, Deletion, FtdeckError, answer_lost, attempts
from services.workspace import Workspace

SKUS = {"standard": "Standard", "globalstandard": "GlobalStandard", "developertier": "DeveloperTier",
        "provisionedmanaged": "ProvisionedManaged"}
INACTIVITY_DAYS = 15
HOSTING_REMINDER = "a deployed fine-tuned model is billed for hosting every hour, used or not"
INACTIVITY_RULE = f"Azure deletes a fine-tuned deployment after {INACTIVITY_DAYS} days without calls (the model stays)"
# fine-tune-test: DeveloperTier is deployed with this management api-version and capacity, and lives 24 hours.
DEVELOPER_API_VERSION = "2025-07-01-preview"
DEVELOPER_CAPACITY = 50
DEVELOPER_HOURS = 24
DEVELOPER_RULE = (f"Azure deletes a DeveloperTier deployment {DEVELOPER_HOURS} hours after it is made, used or not "
                  "(the model stays); no hourly hosting fee, no SLA")
# quotas-limits: "Max fine-tuned model deployments | 5", per resource.
FINE_TUNED_DEPLOYMENTS_PER_RESOURCE = 5
QUOTA_VARIABLE = "FTDECK_FINE_TUNED_DEPLOYMENT_QUOTA"  # set it when the resource's quota was raised on request


def fine_tuned_quota() -> int:
    value = os.environ.get(QUOTA_VARIABLE, "")
    return int(value) if value.isdigit() else FINE_TUNED_DEPLOYMENTS_PER_RESOURCE
# Cross-tenant deploys send the source tenant's token as `x-ms-authorization-auxiliary` (fine-tuning-deploy).
SOURCE_TOKEN_VARIABLE = "FTDECK_SOURCE_TENANT_TOKEN"
DATED = re.compile(r"^(?P<name>.+?)-(?P<version>\d{4}-\d{2}-\d{2}|[01]\d{3})$")
FINISHED = ("Succeeded", "Failed", "Canceled")


def is_fine_tuned(model: str) -> bool:
    return ".ft-" in model or model.startswith("ftchkpt-")


def name_and_version(model: str, version: str | None = None) -> tuple[str, str | None]:
    """How ARM names a model: a base model by name + version (`gpt-4o-mini-2024-07-18` is
    `gpt-4o-mini` + `2024-07-18`, as the az CLI and SDK samples deploy it); a fine-tuned model or
    checkpoint by its id, version "1". A base name without a date keeps `version` (None: Azure's default)."""
    if is_fine_tuned(model):
        return model, "1"
    found = DATED.match(model)
    if found and version is None:
        return found["name"], found["version"]
    return model, version


def model_id(name: str, version: str | None) -> str:
    """The data plane's id for a deployment's model: `gpt-4o-mini` + `2024-07-18` is `gpt-4o-mini-2024-07-18`."""
    if is_fine_tuned(name) or not version or not DATED.match(f"{name}-{version}"):
        return name
    return f"{name}-{version}"


def list_deployments(ws: Workspace) -> list[dict]:
    """Every deployment of the account: the pages ARM gives, following `nextLink`."""
    answer = ws.arm("GET").json()
    found = list(answer.get("value", []))
    seen = set()
    while answer.get("nextLink") and answer["nextLink"] not in seen:  # a link seen before would loop
        seen.add(answer["nextLink"])
        answer = ws.arm("GET", url=answer["nextLink"]).json()
        found += answer.get("value", [])
    return found


def get_deployment(ws: Workspace, name: str) -> dict:
    return ws.arm("GET", f"/{name}").json()


def describe(deployment: dict, now: float | None = None, last_call: float | None = None) -> dict:
    """The facts a person wants about a deployment, flattened. `last_call` is when ftdeck last
    called it, if known: Azure does not report it, so days left is an upper bound."""
    now = now or time.time()
    props = deployment.get("properties", {})
    model = props.get("model", {}).get("name", "")
    version = props.get("model", {}).get("version")
    sku = (deployment.get("sku") or {}).get("name")
    created = (deployment.get("systemData") or {}).get("createdAt")
    age_days = days_left = hours_left = None
    if created:
        created_at = datetime.fromisoformat(created.replace("Z", "+00:00")).astimezone(timezone.utc).timestamp()
        age_days = round((now - created_at) / 86400, 1)
        idle_since = max(created_at, last_call or 0)
        # Clocks differ (an emulator may run fast): never more than the rule allows, never below 0.
        days_left = min(float(INACTIVITY_DAYS), max(0.0, round(INACTIVITY_DAYS - (now - idle_since) / 86400, 1)))
        hours_left = min(float(DEVELOPER_HOURS), max(0.0, round(DEVELOPER_HOURS - (now - created_at) / 3600, 1)))
    facts = {
        "name": deployment.get("name"),
        "model": model,
        "version": version,
        "sku": sku,
        "capacity": (deployment.get("sku") or {}).get("capacity"),
        "state": props.get("provisioningState"),
        "created_days_ago": age_days,
        "fine_tuned": is_fine_tuned(model),
    }
    for source in ("source", "sourceAccount"):
        if props.get("model", {}).get(source):
            facts["source_account"] = props["model"][source]
    if str(sku).lower() == "developertier":
        facts["hours_left_at_most"] = hours_left
        facts["notes"] = [DEVELOPER_RULE]
    elif facts["fine_tuned"]:
        facts["days_left_at_most"] = days_left
        facts["notes"] = [INACTIVITY_RULE, HOSTING_REMINDER]
    return facts


def _sku(sku: str, capacity: int | None) -> tuple[str, int]:
    if sku.lower() not in SKUS:
        raise FtdeckError(f"--sku must be one of {', '.join(SKUS)}", exit_code=2)
    developer = sku.lower() == "developertier"
    capacity = capacity if capacity is not None else (DEVELOPER_CAPACITY if developer else 1)
    if capacity < 1:
        raise FtdeckError("--capacity must be 1 or more", exit_code=2)
    if developer and capacity != DEVELOPER_CAPACITY:
        raise FtdeckError(f"a DeveloperTier deployment has capacity {DEVELOPER_CAPACITY} (fine-tune-test)", exit_code=2)
    return SKUS[sku.lower()], capacity


def check_quota(existing: list[dict], name: str, model: str) -> None:
    """Refuse a new fine-tuned deployment past the resource's limit, before Azure does."""
    if not is_fine_tuned(model):
        return
    fine_tuned = [d["name"] for d in existing if is_fine_tuned(((d.get("properties") or {}).get("model") or {}).get("name", ""))]
    if name not in fine_tuned and len(fine_tuned) >= fine_tuned_quota():
        raise FtdeckError(
            f"this resource already has {len(fine_tuned)} fine-tuned deployments ({', '.join(fine_tuned)}): Azure allows "
            f"{FINE_TUNED_DEPLOYMENTS_PER_RESOURCE} per resource by default. Delete one (ftdeck deployments delete NAME) "
            f"or request more quota (then set {QUOTA_VARIABLE} to it)."
        )


# `properties.model.source` is "the resource ID of the source account" (fine-tuning-deploy, "Cross
# region deployment"; ARM `DeploymentModel.source`): an account's id, which Azure checks
# (LinkedInvalidPropertyId otherwise). Checked here too, so a typo is named before anything is sent.
ACCOUNT_ID = re.compile(r"^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.CognitiveServices/accounts/[^/]+$", re.I)
ACCOUNT_ID_RULE = "the source account's ARM id: /subscriptions/S/resourceGroups/G/providers/Microsoft.CognitiveServices/accounts/A"


def source_account_problem(source_account: str | None) -> str | None:
    if source_account and not ACCOUNT_ID.match(source_account.strip()):
        return f"source account: {ACCOUNT_ID_RULE}"
    return None


def create_deployment(
    ws: Workspace,
    name: str,
    model: str,
    *,
    sku: str = "standard",
    capacity: int | None = None,
    version: str | None = None,
    source_account: str | None = None,
    wait: bool = False,
    on_status: Callable[[str], None] = lambda s: None,
    poll: float = 2.0,
) -> dict:
    if problem := source_account_problem(source_account):
        raise FtdeckError(problem, exit_code=2)
    sku_name, capacity = _sku(sku, capacity)
    model_name, model_version = name_and_version(model, version)
    check_quota(list_deployments(ws), name, model_name)
    shown: dict = {"format": "OpenAI", "name": model_name}
    if model_version:
        shown["version"] = model_version
    headers = {}
    if source_account:
        # Cross-region / cross-subscription: `source`; cross-tenant: `sourceAccount` and the source
        # tenant's token (fine-tuning-deploy "Cross region deployment", "Cross tenant deployment").
        token = os.environ.get(SOURCE_TOKEN_VARIABLE)
        shown["sourceAccount" if token else "source"] = source_account.strip()
        if token:
            headers["x-ms-authorization-auxiliary"] = f"Bearer {token}"
    body = {"sku": {"name": sku_name, "capacity": capacity}, "properties": {"model": shown}}
    api_version = _api_version(ws, sku_name)
    deployment = ws.arm("PUT", f"/{name}", body, api_version=api_version, headers=headers).json()
    on_status(f"{name}: {deployment['properties'].get('provisioningState')}")
    with progress_unknown(f"deploying {name}", name):
        while wait and deployment["properties"].get("provisioningState") not in FINISHED:
            time.sleep(poll)
            deployment = get_deployment(ws, name)
            on_status(f"{name}: {deployment['properties'].get('provisioningState')}")
    if deployment["properties"].get("provisioningState") == "Failed":
        raise FtdeckError(f"deployment {name} failed to provision")
    return deployment


def _api_version(ws: Workspace, sku: str) -> str | None:
    """DeveloperTier needs fine-tune-test's management api-version; an older profile setting is raised for it."""
    if sku == "DeveloperTier" and ws.profile.management_api_version < DEVELOPER_API_VERSION:
        return DEVELOPER_API_VERSION
    return None


def update_deployment(ws: Workspace, name: str, *, capacity: int, sku: str | None = None,
                      on_status: Callable[[str], None] = lambda s: None, poll: float = 1.0) -> dict:
    """A new capacity (and sku): `PATCH` (Deployments_Update), following its operation when it is one."""
    current = get_deployment(ws, name)
    sku_name, capacity = _sku(sku or (current.get("sku") or {}).get("name", "standard"), capacity)
    response = ws.arm("PATCH", f"/{name}", {"sku": {"name": sku_name, "capacity": capacity}}, api_version=_api_version(ws, sku_name))
    if response.status_code == 202:
        follow_operation(ws, response, name, f"updating {name}", on_status, poll)
    return get_deployment(ws, name)


@contextmanager
def progress_unknown(what: str, name: str):
    """ARM has accepted the change (201/202): a failure to read its progress afterwards is not
    the change failing, and sending it again is not the fix."""
    try:
        yield
    except FtdeckError as exc:
        raise FtdeckError(f"{what}: accepted, but its progress could not be read ({exc}); see "
                          f"`ftdeck deployments show {name}` before sending it again", STATUS_UNKNOWN) from None


def follow_operation(ws: Workspace, response, name: str, what: str, on_status: Callable[[str], None], poll: float) -> None:
    """Wait for a long-running operation ARM started (202) on deployment `name`: its
    `Azure-AsyncOperation` (or `Location`) until it says Succeeded; Failed or Canceled is an error."""
    url = response.headers.get("azure-asyncoperation") or response.headers.get("location")
    if not url:
        return
    with progress_unknown(what, name):
        while True:
            answer = ws.arm("GET", url=url)
            status = answer.json().get("status", "Succeeded") if answer.status_code == 200 and answer.content else "Succeeded"
            on_status(f"{what}: {status}")
            if status in FINISHED:
                break
            time.sleep(_retry_after(answer, poll))
    if status != "Succeeded":
        raise FtdeckError(f"{what}: Azure says {status}")


def _retry_after(response, default: float) -> float:
    try:
        return min(float(response.headers.get("retry-after", default)), 30.0)
    except ValueError:
        return default


def delete_deployment(ws: Workspace, name: str, on_status: Callable[[str], None] = lambda s: None, poll: float = 1.0) -> Deletion:
    """"deleted" once ARM's long-running delete has finished; "absent" when there was no such
    deployment (ARM's 204); "gone" when ARM says so to a retry after an answer was lost: the lost
    attempt deleted it."""
    with attempts(ws.calls) as heard:
        response = ws.arm("DELETE", f"/{name}")
        if response.status_code != 204:
            if response.status_code == 202:
                follow_operation(ws, response, name, f"deleting {name}", on_status, poll)
            return "deleted"
    return "gone" if answer_lost(heard) else "absent"
