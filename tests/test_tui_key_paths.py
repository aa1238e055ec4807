"""The paths a person takes through the deck, driven by the keys they press (issue 16 §2.20): the
real app on a real emulator, asserting on what the person then sees and on the service's state.

One app session per group, so the file stays fast: upload, create and deploy; a finished job and
its checkpoints; the filter and refresh; the console's commands; the playground; and, on a frozen
emulator whose clock the test moves, a job that finishes, the event tail's count and OFFLINE."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from textual.widgets import Checkbox, Input, Select

from services.wording import count
from tests.conftest import chat_examples, jsonl, upload, wait_for_job, wait_until, workers_done
from tui.app import make_app
from tui.screens.confirm import Confirm
from tui.screens.create_job import CreateJobScreen
from tui.screens.deploy import DeployScreen
from tui.screens.upload import UploadScreen
from widgets.resource_table import ResourceTable

BASE = "gpt-4o-mini-2024-07-18"
PANE_KEYS = {"jobs": "1", "checkpoints": "2", "files": "3", "deployments": "4"}


def unique_examples(n: int = 10) -> list[dict]:
    """Examples no other test uploaded: no identical file is offered in their place."""
    return chat_examples(n, system=f"You are key-path bot {uuid.uuid4().hex}.")


def said(app, text: str) -> bool:
    return any(text in line for line in app.query_one("#console").said)


def said_all(app, *words: str) -> bool:
    """One console line says all of these (in its own words)."""
    return any(all(word in line for word in words) for line in app.query_one("#console").said)


def table(app, pane: str) -> ResourceTable:
    return app.query_one(f"#{pane}", ResourceTable)


def shown_ids(app, pane: str) -> list[str]:
    """The ids of the rows the pane shows (a filter hides some)."""
    return [key.value for key in table(app, pane).rows]


def screen_name(app) -> str:
    return type(app.screen).__name__


async def on_row(pilot, pane: str, row_id: str) -> None:
    """Jump to the pane with its digit and walk the cursor to the row with the arrow keys."""
    app = pilot.app
    await wait_until(pilot, lambda: row_id in shown_ids(app, pane))
    await pilot.press(PANE_KEYS[pane])
    rows = table(app, pane)
    for _ in range(len(rows.rows) + 1):
        if rows.selected_id == row_id:
            break
        await pilot.press("down" if shown_ids(app, pane).index(row_id) > rows.cursor_row else "up")
    assert app.selected()[:2] == (pane, row_id)


async def choose(pilot, select: Select, value: str) -> None:
    """Open the Select with Enter and walk down to the option, as a person looking for it does."""
    if select.value == value:
        return
    select.focus()
    await pilot.press("enter", "home")
    for _ in range(50):
        await pilot.press("enter")
        if select.value == value:
            return
        await pilot.press("enter", "down")
    raise AssertionError(f"{value} is not offered")


async def connected(pilot) -> None:
    await wait_until(pilot, lambda: pilot.app.workspace is not None and pilot.app.last_refresh and pilot.app.details_ready)


# ------------------------------------------------------------------ u, n: upload, then train on it


async def test_u_uploads_a_file_and_n_creates_a_job_on_it(configured, tmp_path):
    path = tmp_path / "key-paths-train.jsonl"
    path.write_bytes(jsonl(unique_examples(12)))
    suffix = f"kp-{uuid.uuid4().hex[:6]}"
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await connected(pilot)
        await wait_until(pilot, lambda: app.models)  # the create form offers them

        await pilot.press("u")
        await wait_until(pilot, lambda: isinstance(app.screen, UploadScreen) and app.screen.focused is not None)
        form = app.screen
        form.query_one("#path", Input).insert_text_at_cursor(f"{path.parent}/")  # the long temporary folder, pasted
        await pilot.press(*path.name, "enter")  # Enter checks the file...
        await wait_until(pilot, lambda: "ready to upload" in str(form.query_one("#report-text").render()))
        await pilot.press("enter")  # ...and Enter again uploads it
        await wait_until(pilot, lambda: screen_name(app) == "MainScreen", timeout=30)
        file_id = next(f.id for f in configured.files.list() if f.filename == path.name)
        assert configured.files.retrieve(file_id).status == "processed"
        assert said_all(app, path.name, file_id)  # the console names the new file
        await wait_until(pilot, lambda: file_id in shown_ids(app, "files"))  # the person sees it in the Files pane

        await pilot.press("n")
        await wait_until(pilot, lambda: isinstance(app.screen, CreateJobScreen) and app.screen.focused is not None)
        form = app.screen
        assert form.query_one("#model", Select).value == BASE  # one the form's supervised method can train
        await choose(pilot, form.query_one("#training", Select), file_id)
        form.query_one("#suffix", Input).focus()
        await pilot.press(*suffix, "ctrl+s")
        await wait_until(pilot, lambda: screen_name(app) == "MainScreen", timeout=30)
        job = next(j for j in configured.fine_tuning.jobs.list(limit=100).data if j.training_file == file_id)
        assert job.suffix == suffix and job.model == BASE
        assert said_all(app, job.id, "created")
        await wait_until(pilot, lambda: job.id in shown_ids(app, "jobs"))


# ------------------------------------------------------------------ / and Enter keep a filter; ctrl+r refreshes


async def test_the_filter_stays_through_enter_and_ctrl_r_refreshes_now(configured):
    token = f"kp{uuid.uuid4().hex[:6]}"  # short: a long name is cut in the pane, and the filter reads what is shown
    mine = upload(configured, unique_examples(), name=f"{token}.jsonl")
    upload(configured, unique_examples(), name="kp-other.jsonl")  # a row the filter hides
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await connected(pilot)
        await wait_until(pilot, lambda: mine.id in shown_ids(app, "files"))
        await pilot.press("3", "slash", *token)
        files = table(app, "files")
        assert shown_ids(app, "files") == [mine.id]
        await pilot.press("enter")  # keeps the filter, back on the pane's rows
        assert app.focused is files and not app.query_one("#filter").has_class("-on")
        await pilot.press("enter")  # Enter on the row it shows
        assert shown_ids(app, "files") == [mine.id] and files.filter_text == token
        assert f"1/{len(files.rows_by_id)} match" in str(files.border_subtitle)

        await pilot.press("p")  # no automatic refresh: what comes next is ctrl+r's doing
        await workers_done(pilot, group="refresh")
        late = upload(configured, unique_examples(), name=f"{token}-late.jsonl")
        await pilot.pause(0.3)
        assert late.id not in files.rows_by_id
        listed = len([c for c in app.workspace.calls.recent() if c.method == "GET" and c.path.endswith("/openai/files")])
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: late.id in files.rows_by_id)
        assert len([c for c in app.workspace.calls.recent() if c.method == "GET" and c.path.endswith("/openai/files")]) == listed + 1
        assert set(shown_ids(app, "files")) == {mine.id, late.id}  # the refreshed rows, still filtered


# ------------------------------------------------------------------ the console's commands


async def test_the_console_commands_act(configured, finished, tmp_path, monkeypatch):
    """Before the next test, which deletes `finished`."""
    monkeypatch.chdir(tmp_path)
    data = upload(configured, unique_examples(100)).id  # 5,000 steps: over a minute at speed 100
    running = configured.fine_tuning.jobs.create(model=BASE, training_file=data, hyperparameters={"n_epochs": 50})
    path = tmp_path / "console-train.jsonl"
    path.write_bytes(jsonl(unique_examples()))
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await connected(pilot)
        await wait_until(pilot, lambda: app.models)

        async def console(line: str) -> None:
            """A line in the console, pasted (typed key by key, ids and paths take seconds each);
            after a form, the console's box has the focus again."""
            if app.focused is None or app.focused.id != "command":
                await pilot.press("colon")
            app.focused.insert_text_at_cursor(line)
            await pilot.press("enter")

        await console(f"/upload {path}")
        await wait_until(pilot, lambda: isinstance(app.screen, UploadScreen))
        assert app.screen.query_one("#path", Input).value == str(path)
        await pilot.press("escape")
        await wait_until(pilot, lambda: screen_name(app) == "MainScreen")
        await console("/create")
        await wait_until(pilot, lambda: isinstance(app.screen, CreateJobScreen))
        await pilot.press("escape")
        await wait_until(pilot, lambda: screen_name(app) == "MainScreen")

        await wait_until(pilot, lambda: configured.fine_tuning.jobs.retrieve(running.id).status == "running")
        await console(f"/pause {running.id}")
        await wait_until(pilot, lambda: said(app, f"pause {running.id}: now"))
        await wait_until(pilot, lambda: configured.fine_tuning.jobs.retrieve(running.id).status == "paused")
        await console(f"/resume {running.id}")
        await wait_until(pilot, lambda: said(app, f"resume {running.id}: now"))
        assert configured.fine_tuning.jobs.retrieve(running.id).status in ("resuming", "running")
        configured.fine_tuning.jobs.cancel(running.id)

        await console(f"/results {finished.id}")
        saved = tmp_path / f"{finished.id}-results.csv"
        await wait_until(pilot, lambda: said(app, f"saved {saved}"))
        assert saved.read_text().startswith("step,train_loss")

        await pilot.press("escape")
        await on_row(pilot, "jobs", finished.id)
        await console("/copy")
        assert app.clipboard == finished.id
        await console(f"/filter {finished.id[-8:]}")
        assert shown_ids(app, "jobs") == [finished.id]
        await console("/filter")
        assert len(shown_ids(app, "jobs")) == len(table(app, "jobs").rows_by_id) > 1

        await console("/theme nord")
        assert app.theme == "nord"
        await console("/theme")
        listed = [line for line in app.query_one("#console").said if line.startswith("themes: ")]  # reports may follow it
        assert listed and "nord" in listed[-1]

        await pilot.press("p")  # no automatic refresh: the next listing is /refresh's
        await workers_done(pilot, group="refresh")
        before = app.last_refresh
        await console("/refresh")
        await wait_until(pilot, lambda: app.last_refresh != before)

        await console("/quit")
        await wait_until(pilot, lambda: app._exit)


@pytest.fixture(scope="module")
def two_base_deployments(emulator) -> list[str]:
    from tests.conftest import arm_model, wait_for

    names = [f"kp-a-{uuid.uuid4().hex[:4]}", f"kp-b-{uuid.uuid4().hex[:4]}"]
    with emulator.arm() as arm:
        for name in names:
            arm.put(f"/{name}", json={"sku": {"name": "standard", "capacity": 1}, "properties": {"model": arm_model(BASE)}}).raise_for_status()
        for name in names:
            wait_for(lambda: arm.get(f"/{name}").json()["properties"]["provisioningState"] == "Succeeded")
    return names


@pytest.fixture(scope="module")
def finished(emulator):
    """A job trained once for this module, under a suffix of its own (its deployments' names)."""
    client = emulator.openai()
    data = upload(client, unique_examples()).id
    suffix = f"kp{uuid.uuid4().hex[:6]}"
    return wait_for_job(client, client.fine_tuning.jobs.create(model=BASE, training_file=data, suffix=suffix, seed=5).id)



# ------------------------------------------------------------------ d, 5, g, f, x on a finished job and its checkpoints


async def test_a_finished_job_and_its_checkpoints_through_their_keys(configured, emulator, finished, two_base_deployments):
    from tui.screens.playground import PlaygroundScreen
    from widgets.event_log import EventLog

    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await connected(pilot)
        await on_row(pilot, "jobs", finished.id)

        await pilot.press("d")  # deploy, from the job's row: the form is about its model
        await wait_until(pilot, lambda: isinstance(app.screen, DeployScreen))
        assert app.screen.model == finished.fine_tuned_model
        assert finished.fine_tuned_model in str(app.screen.query_one("#model").render())
        await pilot.press("escape")
        await wait_until(pilot, lambda: screen_name(app) == "MainScreen")
        await wait_until(pilot, lambda: getattr(app.focused, "id", None) == "jobs")  # focus given back as it was

        await pilot.press("3", "5")  # from another pane, the followed job's events
        events = app.query_one(EventLog)
        await wait_until(pilot, lambda: app.focused is events)  # focus lands after the next refresh
        assert app.query_one("#detail").current == "jobs-detail"
        await wait_until(pilot, lambda: any("Job succeeded." in line.text for line in events.lines))
        assert events.region.height > 2  # on screen

        checkpoints = client_checkpoints(configured, finished.id)
        checkpoint = checkpoints[0]  # the newest
        await on_row(pilot, "checkpoints", checkpoint.id)
        await pilot.press("d")
        await wait_until(pilot, lambda: isinstance(app.screen, DeployScreen))
        assert app.screen.model == checkpoint.id  # a checkpoint is deployed by its id (fine-tuning-deploy)
        name = app.screen.query_one("#name", Input).value
        await pilot.press("enter")  # Enter deploys it under the suggested name
        await wait_until(pilot, lambda: screen_name(app) == "MainScreen", timeout=30)
        deployment = emulator.arm().get(f"/{name}").json()
        assert deployment["properties"]["model"]["name"] == checkpoint.id
        assert said(app, f"{name} is deployed")
        await wait_until(pilot, lambda: name in shown_ids(app, "deployments"))

        await on_row(pilot, "checkpoints", checkpoint.id)
        await pilot.press("g")  # chat with the deployment serving the checkpoint
        await wait_until(pilot, lambda: isinstance(app.screen, PlaygroundScreen))
        against, chosen = [side.deployment for side in app.screen.conversation.sides]  # against its base model
        assert chosen == name and app.resources["deployments"][against]["model"] == BASE.rsplit("-", 3)[0]
        await pilot.press("escape", "q")  # leave the prompt box, then the playground
        await wait_until(pilot, lambda: screen_name(app) == "MainScreen")

        await pilot.press("f")  # train further from the checkpoint
        await wait_until(pilot, lambda: isinstance(app.screen, CreateJobScreen))
        assert app.screen.query_one("#model", Select).value == checkpoint.id  # further training takes the id too
        await pilot.press("escape")
        await wait_until(pilot, lambda: screen_name(app) == "MainScreen")

        await on_row(pilot, "jobs", finished.id)
        await pilot.press("x")  # delete the finished job: asked first
        assert isinstance(app.screen, Confirm) and finished.id in app.screen.question
        await pilot.press("y")
        await wait_until(pilot, lambda: said(app, f"deleted job {finished.id}"))
        assert finished.id not in [j.id for j in configured.fine_tuning.jobs.list(limit=100).data]
        await wait_until(pilot, lambda: finished.id not in shown_ids(app, "jobs"))


def client_checkpoints(client, job_id: str) -> list:
    return client.fine_tuning.jobs.checkpoints.list(job_id).data


# ------------------------------------------------------------------ the playground: a, unticking "same for A and B", n, q


async def test_the_playground_adds_a_side_unlinks_it_starts_anew_and_leaves(configured, two_base_deployments):
    from services import playground
    from tui.screens.playground import PlaygroundScreen

    first, _ = two_base_deployments
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await connected(pilot)
        await on_row(pilot, "deployments", first)
        await pilot.press("g")
        await wait_until(pilot, lambda: isinstance(app.screen, PlaygroundScreen) and app.screen.focused is not None)
        screen = app.screen
        assert [s.deployment for s in screen.conversation.sides] == [first] and screen.has_class("-single")

        await pilot.press("escape", "a")  # leave the prompt box; a adds side B
        assert len(screen.conversation.sides) == 2 and not screen.has_class("-single")
        added = screen.conversation.sides[1].deployment  # another deployment (others' tests deploy too)
        assert added != first and added in app.resources["deployments"]
        assert screen.query_one("#pane-1").region.width > 0  # B is on screen
        assert len(playground.load_last().sides) == 2  # and saved so

        assert not screen.query_one("#settings-1").region.width  # linked: one settings block for both
        await pilot.click("#linked")  # untick "same for A and B"
        assert not screen.query_one("#linked", Checkbox).value and not screen.conversation.linked
        await pilot.pause()
        assert screen.has_class("-unlinked") and screen.query_one("#settings-1").region.width > 0  # B's own settings
        assert not playground.load_last().linked

        await pilot.press("escape")  # back to the prompt (the checkbox had the focus)
        if not isinstance(screen.focused, Input):
            await pilot.press("escape")
        await pilot.press(*"hello", "enter")
        await wait_until(pilot, lambda: screen.conversation.turns and not screen.busy)
        asked = screen.conversation.id
        await pilot.press("escape", "n")  # a new chat: same sides and settings, no turns
        assert screen.conversation.id != asked and screen.conversation.turns == []
        assert [s.deployment for s in screen.conversation.sides] == [first, added] and not screen.conversation.linked
        assert playground.load_last().id == screen.conversation.id
        assert [t.prompt for t in playground.load(playground.playground_dir() / f"{asked}.json").turns] == ["hello"]  # the old one stays saved

        await pilot.press("q")
        await wait_until(pilot, lambda: screen_name(app) == "MainScreen")
        assert app.focused is not None


# ------------------------------------------------------------------ a frozen clock: the event tail's count, "deploy it?", x on a running job, OFFLINE


@pytest.fixture
def frozen(fresh_emulator, monkeypatch, tmp_path):
    """ftdeck pointed at an emulator of its own whose clock moves only when the test moves it."""
    from tests.conftest import API_KEY, ARM_DEPLOYMENTS, FROZEN_AT

    emu = fresh_emulator("--frozen-at", str(FROZEN_AT))
    parts = ARM_DEPLOYMENTS.split("/")
    for name, value in {"AZURE_OPENAI_ENDPOINT": emu.url, "FTDECK_MANAGEMENT_ENDPOINT": emu.url, "AZURE_OPENAI_API_KEY": API_KEY,
                        "FTDECK_MANAGEMENT_TOKEN": API_KEY, "FTDECK_CONFIG": str(tmp_path / "none.toml"),
                        "XDG_DATA_HOME": str(tmp_path / "data"), "AZURE_SUBSCRIPTION_ID": parts[2],
                        "AZURE_RESOURCE_GROUP": parts[4], "AZURE_OPENAI_ACCOUNT": parts[8]}.items():
        monkeypatch.setenv(name, value)
    return emu


async def test_a_job_that_finishes_while_watched_then_the_service_goes_away(frozen):
    from tests.conftest import upload_frozen
    from widgets.event_log import EventLog

    client = frozen.openai()
    data = upload_frozen(frozen, client, unique_examples(40)).id
    job = client.fine_tuning.jobs.create(model=BASE, training_file=data, seed=1)
    # Validated, then 100 of its 120 steps (emulator.jobs.STEP_SECONDS): an event every 10 steps, as Azure logs them.
    frozen.advance(4.01 + 100 * 1.5)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await connected(pilot)
        await on_row(pilot, "jobs", job.id)
        events = app.query_one(EventLog)
        await wait_until(pilot, lambda: any("Step 100" in line.text for line in events.lines))
        await pilot.press("x")  # delete does not apply to a running job: said, nothing asked or sent
        assert not isinstance(app.screen, Confirm)
        assert said(app, f"Delete does not apply to {job.id} in jobs while it is running; c cancels it")
        assert not [c for c in app.workspace.calls.recent() if c.method == "DELETE"]
        await pilot.press("5", "home")  # the events, scrolled up to the first
        await pilot.pause()
        assert events.scroll_y == 0 < events.max_scroll_y and not events.border_subtitle
        seen = len(app.tail.events)

        frozen.advance(10 * 1.5)  # ten more steps (one more event) while the person reads the top
        await wait_until(pilot, lambda: len(app.tail.events) > seen and events.border_subtitle)  # drawn after it is read
        new = len(app.tail.events) - seen
        assert events.border_subtitle == f"{count(new, 'new event')} ↓" and events.scroll_y == 0  # counted, not scrolled away

        frozen.advance(10 * 1.5 + 60)  # the rest, and the job is done
        model = wait_for_job(client, job.id, timeout=5).fine_tuned_model
        await wait_until(pilot, lambda: said(app, f"{job.id} made {model}: deploy it? select it and press d"))
        assert app.jobs[job.id]["status"] == "succeeded"
        assert str(events.border_subtitle).endswith(" ↓")  # still counting while scrolled up
        await pilot.press("end")
        await pilot.pause()
        assert not events.border_subtitle  # at the tail again: nothing unseen

        frozen.stop()  # the endpoint goes away
        status = lambda: str(app.query_one("#status").render())  # noqa: E731
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: "OFFLINE" in status())
        assert app.offline and said(app, "cannot refresh")
        assert job.id in shown_ids(app, "jobs")  # what was listed stays on screen
