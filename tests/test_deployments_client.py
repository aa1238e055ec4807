"""ftdeck's deployments against the strict emulator (issue 15 sections 1 and 3): base models as name +
version, DeveloperTier as fine-tune-test documents it, long-running deletes, nextLink, the fine-tuned
deployments quota, update, cross-account deploys, and the TUI's update form."""

from __future__ import annotations

import json
import uuid

import httpx
import pytest

from services.playground import sides_for
from tests.conftest import API_KEY, chat_examples, upload, wait_for_job, wait_until
from tui.app import make_app
from tui.cli import main

BASE = "gpt-4o-mini-2024-07-18"


def cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def as_json(capsys, *args: str):
    code, out, err = cli(capsys, *args, "--json")
    assert code == 0, err
    return json.loads(out)


@pytest.fixture
def account(configured, emulator, monkeypatch) -> httpx.Client:
    """An account of the test's own (the quota and lists are per account); its ARM deployments."""
    name = f"acct-{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("AZURE_OPENAI_ACCOUNT", name)
    url = f"{emulator.url}/subscriptions/sub-1/resourceGroups/rg-1/providers/Microsoft.CognitiveServices/accounts/{name}/deployments"
    with httpx.Client(base_url=url, params={"api-version": "2024-10-01"}, headers={"Authorization": f"Bearer {API_KEY}"}) as arm:
        yield arm


@pytest.fixture(scope="module")
def nano_model(emulator) -> str:
    """A fine-tuned gpt-4.1-nano (DeveloperTier serves the gpt-4.1 family)."""
    client = emulator.openai()
    job = client.fine_tuning.jobs.create(model="gpt-4.1-nano-2025-04-14", training_file=upload(client, chat_examples(10)).id)
    return wait_for_job(client, job.id).fine_tuned_model


def test_base_models_deploy_as_name_and_version(account, capsys):
    made = as_json(capsys, "deployments", "create", "mini", "--model", BASE, "--wait")
    assert (made["model"], made["version"]) == ("gpt-4o-mini", "2024-07-18")
    assert account.get("/mini").json()["properties"]["model"]["version"] == "2024-07-18"
    again = as_json(capsys, "deployments", "create", "mini-2", "--model", "gpt-4o-mini", "--model-version", "2024-07-18")
    assert (again["model"], again["version"]) == ("gpt-4o-mini", "2024-07-18")


def test_the_playground_finds_the_base_deployment_by_name_and_version(account, capsys, nano_model):
    as_json(capsys, "deployments", "create", "nano-base", "--model", "gpt-4.1-nano-2025-04-14", "--wait")
    as_json(capsys, "deployments", "create", "nano-tuned", "--model", nano_model, "--wait")
    listed = as_json(capsys, "deployments", "list")
    models = {d["name"]: (d["model"], d["version"]) for d in listed}
    assert sides_for(models, "nano-tuned") == ("nano-base", "nano-tuned")


def test_developer_tier_as_fine_tune_test_documents_it(account, capsys, nano_model):
    made = as_json(capsys, "deployments", "create", "dev", "--model", nano_model, "--sku", "developertier")
    assert account.get("/dev").json()["sku"] == {"name": "DeveloperTier", "capacity": 50}
    assert any("24 hours" in note for note in made["notes"]) and not any("15 days" in note for note in made["notes"])
    shown = as_json(capsys, "deployments", "show", "dev")
    assert shown["hours_left_at_most"] <= 24 and "days_left_at_most" not in shown
    code, _, err = cli(capsys, "deployments", "create", "dev-2", "--model", nano_model, "--sku", "developertier", "--capacity", "2")
    assert code == 2 and "capacity 50" in err


def test_delete_waits_until_the_deployment_is_gone(fresh_emulator, configured, monkeypatch, capsys):
    emu = fresh_emulator(speed=2)  # Deleting lasts a second
    monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", emu.url)
    monkeypatch.setenv("FTDECK_MANAGEMENT_ENDPOINT", emu.url)
    as_json(capsys, "deployments", "create", "brief", "--model", BASE, "--wait")
    assert as_json(capsys, "deployments", "delete", "brief")["deleted"] is True
    code, _, err = cli(capsys, "deployments", "show", "brief")
    assert code != 0 and "DeploymentNotFound" in err


def test_a_delete_whose_progress_cannot_be_read_says_it_was_accepted(fresh_emulator, configured, monkeypatch):
    """ARM took the delete (202); then the service went away while ftdeck followed it: the line
    says the delete was accepted and where to look, with exit 4 (status unknown), not "try again"."""
    from services.deployments import create_deployment, delete_deployment
    from services.errors import STATUS_UNKNOWN, FtdeckError
    from services.workspace import open_workspace

    emu = fresh_emulator(speed=2)  # Deleting lasts a second: the first poll finds it under way
    for name in ("AZURE_OPENAI_ENDPOINT", "FTDECK_MANAGEMENT_ENDPOINT"):
        monkeypatch.setenv(name, emu.url)
    monkeypatch.setenv("FTDECK_RETRY_DEADLINE", "1")
    ws = open_workspace()
    try:
        create_deployment(ws, "brief", BASE, wait=True, poll=0.1)
        with pytest.raises(FtdeckError) as raised:
            delete_deployment(ws, "brief", on_status=lambda status: emu.stop(), poll=0.1)  # gone after the first poll
    finally:
        ws.close()
    assert raised.value.exit_code == STATUS_UNKNOWN
    assert str(raised.value).startswith("deleting brief: accepted, but its progress could not be read (")
    assert "`ftdeck deployments show brief` before sending it again" in str(raised.value)


def test_lists_follow_next_link(account, capsys):
    for i in range(23):
        assert account.put(f"/d{i:02}", json={"sku": {"name": "Standard", "capacity": 1},
                                               "properties": {"model": {"format": "OpenAI", "name": "gpt-4o-mini", "version": "2024-07-18"}}}).status_code == 201
    assert [d["name"] for d in as_json(capsys, "deployments", "list")] == [f"d{i:02}" for i in range(23)]


def test_the_fine_tuned_deployments_quota_is_checked_first(account, capsys, nano_model, monkeypatch):
    monkeypatch.setenv("FTDECK_FINE_TUNED_DEPLOYMENT_QUOTA", "5")  # Azure's default (the tests' emulator's is raised)
    for i in range(5):
        as_json(capsys, "deployments", "create", f"ft{i}", "--model", nano_model)
    code, _, err = cli(capsys, "deployments", "create", "ft5", "--model", nano_model)
    assert code == 1 and "5 per resource" in err and "ft0" in err
    assert account.get("/ft5").status_code == 404


def test_update_changes_the_capacity(account, capsys):
    as_json(capsys, "deployments", "create", "grow", "--model", BASE)
    updated = as_json(capsys, "deployments", "update", "grow", "--capacity", "3")
    assert updated["capacity"] == 3 and account.get("/grow").json()["sku"]["capacity"] == 3
    code, _, err = cli(capsys, "deployments", "update", "grow", "--capacity", "0")
    assert code == 2 and "--capacity" in err


def test_deploy_from_another_account(account, capsys, nano_model, monkeypatch):
    source = "/subscriptions/sub-2/resourceGroups/rg-2/providers/Microsoft.CognitiveServices/accounts/west"
    made = as_json(capsys, "deployments", "create", "copied", "--model", nano_model, "--source-account", source)
    assert made["source_account"] == source
    assert account.get("/copied").json()["properties"]["model"]["source"] == source
    # Across tenants: sourceAccount and the source tenant's token.
    monkeypatch.setenv("FTDECK_SOURCE_TENANT_TOKEN", API_KEY)
    as_json(capsys, "deployments", "create", "tenant", "--model", nano_model, "--source-account", source)
    assert account.get("/tenant").json()["properties"]["model"]["sourceAccount"] == source
    code, _, err = cli(capsys, "deployments", "create", "bad", "--model", nano_model, "--source-account", "west")
    # Named before anything is sent (Azure would answer LinkedInvalidPropertyId: tests/test_emulator_arm.py).
    assert code == 2 and "source account: the source account's ARM id" in err
    assert account.get("/bad").status_code == 404


async def test_the_deployments_pane_updates_a_capacity(account, capsys):
    as_json(capsys, "deployments", "create", "pane", "--model", BASE, "--wait")
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: "pane" in app.resources.get("deployments", {}))
        await pilot.press("4")  # the deployments pane
        await wait_until(pilot, lambda: app.current_pane == "deployments" and app.selected() is not None)
        await pilot.press("e")
        await wait_until(pilot, lambda: app.screen.query("#capacity"))
        await pilot.press("tab", "4", "enter")  # sku, then capacity (its text is selected on focus)
        await wait_until(pilot, lambda: account.get("/pane").json()["sku"]["capacity"] == 4)
