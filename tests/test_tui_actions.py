"""Row actions through the real app on the test emulator: delete (typed on production), copy,
raw JSON, results.csv, deploy from the console, read-only."""

from __future__ import annotations

import pytest
from textual.widgets import Select

from tests.conftest import API_KEY, ARM_DEPLOYMENTS, chat_examples, upload, wait_for_job, wait_until, workers_done
from tui.app import make_app
from tui.registry import BY_ID
from tui.screens.confirm import Confirm
from tui.screens.create_job import CreateJobScreen
from tui.screens.raw_json import RawJsonScreen
from widgets.resource_table import ResourceTable

BASE = "gpt-4o-mini-2024-07-18"


@pytest.fixture(scope="module")
def finished_job(emulator):
    """Trained once for the module's tests, which only read it (or deploy it and delete that)."""
    client = emulator.openai()
    data = upload(client, chat_examples(10)).id
    return wait_for_job(client, client.fine_tuning.jobs.create(model=BASE, training_file=data, seed=3).id)


async def select(pilot, pane: str, row_id: str) -> ResourceTable:
    """Jump to a pane and put the cursor on a row, as a user does with a digit and the arrows."""
    app = pilot.app
    table = app.query_one(f"#{pane}", ResourceTable)
    await wait_until(pilot, lambda: row_id in table.rows_by_id)
    await pilot.press({"jobs": "1", "checkpoints": "2", "files": "3", "deployments": "4"}[pane])
    table.move_cursor(row=[k.value for k in table.rows].index(row_id))
    await pilot.pause()
    assert app.selected()[1] == row_id
    return table


def said(app, text: str) -> bool:
    return any(text in message for message in app.query_one("#console").said)


def footer_keys(app) -> set[str]:
    return {key.description for key in app.screen.query("FooterKey")}


async def test_the_footer_shows_only_what_applies_to_the_selected_row(configured, finished_job):
    file = upload(configured, chat_examples(10))
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await select(pilot, "jobs", finished_job.id)
        await wait_until(pilot, lambda: {"Deploy", "Results.csv", "Delete"} <= footer_keys(app))
        assert "Cancel" not in footer_keys(app)
        await select(pilot, "files", file.id)
        await wait_until(pilot, lambda: "Deploy" not in footer_keys(app))
        assert {"Delete", "Upload", "JSON"} <= footer_keys(app)


async def test_delete_asks_and_names_the_file(configured):
    file = upload(configured, chat_examples(10))
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await select(pilot, "files", file.id)
        await pilot.press("x")
        assert isinstance(app.screen, Confirm) and file.id in app.screen.question
        await pilot.press("n")
        assert not isinstance(app.screen, Confirm)
        await workers_done(pilot, group="delete")  # what the no started, if anything, has run
        assert not [c for c in app.workspace.calls.recent() if c.method == "DELETE"]
        await pilot.press("x", "y")
        await wait_until(pilot, lambda: said(app, f"deleted file {file.id}"))
    assert file.id not in [f.id for f in configured.files.list()]


async def test_production_profile_wants_the_name_typed(configured, emulator, monkeypatch, tmp_path):
    parts = ARM_DEPLOYMENTS.split("/")
    config = tmp_path / "prod.toml"
    config.write_text(
        f'default_profile = "prod"\n[profiles.prod]\nendpoint = "{emulator.url}"\napi_key = "{API_KEY}"\nproduction = true\n'
        f'management_endpoint = "{emulator.url}"\nmanagement_token = "{API_KEY}"\n'
        f'subscription_id = "{parts[2]}"\nresource_group = "{parts[4]}"\naccount = "{parts[8]}"\n'
    )
    for name in ("AZURE_OPENAI_ENDPOINT", "AZURE_OPENAI_API_KEY"):
        monkeypatch.delenv(name)
    monkeypatch.setenv("FTDECK_CONFIG", str(config))
    file = upload(configured, chat_examples(10))
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await select(pilot, "files", file.id)
        assert app.theme.endswith("-accented")  # production looks different
        await pilot.press("x")
        assert isinstance(app.screen, Confirm) and app.screen.typed == file.id
        await pilot.press("y")  # a stray y is just typing here
        assert isinstance(app.screen, Confirm)
        await pilot.press("ctrl+a", *"file-wrong", "enter")
        assert isinstance(app.screen, Confirm)
        await pilot.press(*file.id, "enter")
        await wait_until(pilot, lambda: said(app, f"deleted file {file.id}"))


async def test_copy_raw_json_and_results(configured, finished_job, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await select(pilot, "jobs", finished_job.id)
        await pilot.press("y")
        assert app.clipboard == finished_job.id
        await pilot.press("v")
        assert isinstance(app.screen, RawJsonScreen)
        await pilot.press("escape")
        assert not isinstance(app.screen, RawJsonScreen)
        assert app.can_run(BY_ID["job.results"])
        await pilot.press("o")
        saved = tmp_path / f"{finished_job.id}-results.csv"
        await wait_until(pilot, lambda: said(app, f"saved {saved}"))
        assert saved.read_text().startswith("step,train_loss")
        assert said(app, "training loss             final ") and not said(app, "{'final'")  # readable, as the CLI prints it
        await pilot.press("o")  # a second download never overwrites the first
        await wait_until(pilot, lambda: (tmp_path / f"{finished_job.id}-results-2.csv").exists())


async def test_deploy_from_the_console_then_delete_it(configured, emulator, finished_job):
    app = make_app()
    name = "console-deploy"
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.workspace is not None)
        await pilot.press("colon", *f"/deploy {name} {finished_job.fine_tuned_model}", "enter")
        await wait_until(pilot, lambda: said(app, f"{name} is deployed: press g"))
        await pilot.press("escape")  # leave the console
        await select(pilot, "deployments", name)
        assert "days left" in str(app.query_one("#deployments-detail").query_one("Static").render())
        await pilot.press("x", "y")
        await wait_until(pilot, lambda: said(app, f"deleted deployment {name}"))
    assert emulator.arm().get(f"/{name}").status_code == 404


async def test_read_only_hides_and_refuses_writes(configured):
    file = upload(configured, chat_examples(10))
    app = make_app(read_only=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await select(pilot, "files", file.id)
        await wait_until(pilot, lambda: "Copy id" in footer_keys(app))
        assert "Delete" not in footer_keys(app) and "Upload" not in footer_keys(app)
        refusals = lambda: sum("read-only: refused" in m for m in app.query_one("#console").said)  # noqa: E731
        await pilot.press("x")  # the keys say why they do nothing, as the / commands do (issue 16 §2.16)
        assert not isinstance(app.screen, Confirm) and refusals() == 1
        await pilot.press("u")
        assert type(app.screen).__name__ == "MainScreen" and refusals() == 2
        await pilot.press("colon", *f"/delete file {file.id}", "enter")
        assert refusals() == 3
    assert configured.files.retrieve(file.id).id == file.id


async def test_pause_resume_and_train_further(configured, long_job_and_finished):
    long_job, finished = long_job_and_finished
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await select(pilot, "jobs", long_job.id)
        await wait_until(pilot, lambda: app.jobs[long_job.id]["status"] == "running")
        await pilot.press("s")
        await wait_until(pilot, lambda: configured.fine_tuning.jobs.retrieve(long_job.id).status in ("pausing", "paused"))
        await wait_until(pilot, lambda: app.jobs[long_job.id]["status"] == "paused")
        await pilot.press("s")
        await wait_until(pilot, lambda: configured.fine_tuning.jobs.retrieve(long_job.id).status in ("resuming", "running"))
        configured.fine_tuning.jobs.cancel(long_job.id)

        await select(pilot, "jobs", finished.id)
        await pilot.press("f")
        await wait_until(pilot, lambda: isinstance(app.screen, CreateJobScreen))
        assert app.screen.query_one("#model", Select).value == finished.fine_tuned_model


@pytest.fixture
def long_job_and_finished(configured, finished_job):
    data = upload(configured, chat_examples(100)).id
    return configured.fine_tuning.jobs.create(model=BASE, training_file=data, hyperparameters={"n_epochs": 50}), finished_job


async def test_screen_keeps_responding_while_the_endpoint_misbehaves(monkeypatch, tmp_path):
    """Half the calls are slow or fail: keys still act at once and the console says what happens."""
    from tests.conftest import EmulatorProcess

    faulty = EmulatorProcess(tmp_path / "faulty", "--faults", "slow=0.3,500=0.3,429=0.2")
    try:
        monkeypatch.setenv("FTDECK_CONFIG", str(tmp_path / "none.toml"))
        monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", faulty.url)
        monkeypatch.setenv("AZURE_OPENAI_API_KEY", API_KEY)
        app = make_app()
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_until(pilot, lambda: said(app, "throttled (429)") or said(app, "answered 500"))
            for key, pane in (("3", "files"), ("4", "deployments"), ("1", "jobs")):
                await pilot.press(key)  # answered while slow calls are still out
                assert app.focused.id == pane
    finally:
        faulty.stop()


async def test_a_checkpoint_is_deployed_and_trained_further_by_its_id(configured, emulator, finished_job):
    """Azure deploys a checkpoint "by passing the checkpoint ID" (fine-tuning-deploy) and takes the same
    id for further training; its name (`...:ckpt-step-N`) is sent nowhere."""
    checkpoint = configured.fine_tuning.jobs.checkpoints.list(finished_job.id).data[-1]
    assert checkpoint.fine_tuned_model_checkpoint.endswith(":ckpt-step-10")
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await select(pilot, "jobs", finished_job.id)
        await select(pilot, "checkpoints", checkpoint.id)
        await pilot.press("f")
        await wait_until(pilot, lambda: isinstance(app.screen, CreateJobScreen))
        assert app.screen.query_one("#model", Select).value == checkpoint.id
        offered = app.screen.models  # dated base models, fine-tuned models, checkpoints by id
        assert BASE in offered and "gpt-4o-mini" not in offered and finished_job.fine_tuned_model in offered
        assert not [m for m in offered if ":ckpt-step-" in m]
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, CreateJobScreen))

        from tui.screens.deploy import DeployScreen

        await pilot.press("d")
        await wait_until(pilot, lambda: isinstance(app.screen, DeployScreen))
        assert app.screen.model == checkpoint.id
        name = app.screen.query_one("#name").value
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: said(app, f"{name} is deployed"))
        await pilot.press("colon", *f"/deploy by-name {checkpoint.fine_tuned_model_checkpoint}", "enter")
        await wait_until(pilot, lambda: said(app, "is a checkpoint's name; Azure takes a checkpoint by its id"))
    with emulator.arm() as arm:
        assert arm.get(f"/{name}").json()["properties"]["model"]["name"] == checkpoint.id
        assert arm.get("/by-name").status_code == 404
        arm.delete(f"/{name}")
